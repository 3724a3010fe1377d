//! A mosquitto of a test's own, for the tests that stop and restart the broker: the shared
//! brokers of the harness must stay up for every other test of the binary.

use std::path::PathBuf;

use tempfile::TempDir;

use super::{find_tool, mosquitto_broker, Broker, HeldPort, Mosquitto};

/// The broker name in test messages.
const NAME: &str = "own-mosquitto";

/// A mosquitto, configured like the harness's anonymous one, that a test may kill, or stop, and
/// start again on the same port; killed when dropped.
pub struct OwnMosquitto {
    exe: PathBuf,
    /// Held while mosquitto is down too, so that nothing else takes it before a restart.
    port: HeldPort,
    /// Configuration lines after the listener's, which apply to it.
    extra: String,
    /// Environment variables besides ours (OPENSSL_CONF, for one).
    env: Vec<(String, String)>,
    /// `None` between [`OwnMosquitto::kill`] or [`OwnMosquitto::stop`] and
    /// [`OwnMosquitto::start_again`].
    running: Option<Mosquitto>,
    /// Where [`OwnMosquitto::start_persistent`]'s mosquitto keeps its database across restarts:
    /// not in the directory of one start, which goes with that start. Removed on drop, after
    /// mosquitto is killed.
    persistence: Option<TempDir>,
}

impl OwnMosquitto {
    /// Starts mosquitto on a free port, or returns `None` when mosquitto is not installed (with
    /// CI=true the harness panics instead).
    pub fn start() -> Option<OwnMosquitto> {
        OwnMosquitto::start_with("")
    }

    /// Like [`OwnMosquitto::start`], with `extra` configuration lines after the listener's
    /// (TLS files, another listener).
    pub fn start_with(extra: &str) -> Option<OwnMosquitto> {
        OwnMosquitto::start_configured(extra.to_string(), Vec::new(), None)
    }

    /// Like [`OwnMosquitto::start_with`], with the environment variables `env` besides ours: what
    /// only the environment can set, such as OPENSSL_CONF, the OpenSSL settings mosquitto's TLS
    /// listener takes.
    pub fn start_with_env(extra: &str, env: &[(&str, &str)]) -> Option<OwnMosquitto> {
        let env = env
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        OwnMosquitto::start_configured(extra.to_string(), env, None)
    }

    /// Like [`OwnMosquitto::start`], with persistence: sessions, subscriptions and queued
    /// messages survive [`OwnMosquitto::stop`] and [`OwnMosquitto::start_again`]. (After
    /// [`OwnMosquitto::kill`], only what the last autosave, each second, wrote.)
    pub fn start_persistent() -> Option<OwnMosquitto> {
        let persistence = tempfile::Builder::new()
            .prefix("mqtk-mosquitto-persistence-")
            .tempdir()
            .expect("create a directory for mosquitto's persistence");
        // Later lines win: this overrides the harness's `persistence false`. The location must
        // end with a slash, as mosquitto appends the file name to it.
        let extra = format!(
            "persistence true\n\
             persistence_location {}/\n\
             autosave_interval 1\n",
            persistence.path().display()
        );
        OwnMosquitto::start_configured(extra, Vec::new(), Some(persistence))
    }

    fn start_configured(
        extra: String,
        env: Vec<(String, String)>,
        persistence: Option<TempDir>,
    ) -> Option<OwnMosquitto> {
        let mut own = OwnMosquitto {
            exe: find_tool("mosquitto", "mosquitto")?,
            port: HeldPort::for_server(),
            extra,
            env,
            running: None,
            persistence,
        };
        own.start_again();
        Some(own)
    }

    /// The broker, for `mqtk` arguments; the same across restarts.
    pub fn broker(&self) -> Broker {
        mosquitto_broker(NAME, self.port.port())
    }

    /// Kills mosquitto with SIGKILL, as a crash would, and waits until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut running) = self.running.take() {
            running.kill();
        }
    }

    /// Stops mosquitto with SIGTERM, as a service manager would, and waits until it is gone:
    /// with persistence, it has saved its database then.
    pub fn stop(&mut self) {
        if let Some(mut running) = self.running.take() {
            running.terminate();
        }
    }

    /// Starts mosquitto on the same port again (killing it first if it runs) and waits until
    /// it accepts connections.
    pub fn start_again(&mut self) {
        self.kill();
        self.running = Some(Mosquitto::start(
            NAME,
            &self.exe,
            self.port.port(),
            None,
            &self.extra,
            &self.env,
        ));
    }
}

impl Drop for OwnMosquitto {
    fn drop(&mut self) {
        // Before the fields drop, so the persistence directory goes after mosquitto.
        self.kill();
    }
}
