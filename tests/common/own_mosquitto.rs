//! A mosquitto of a test's own, for the tests that stop and restart the broker: the shared
//! brokers of the harness must stay up for every other test of the binary.

use std::path::PathBuf;

use super::{find_tool, free_port, mosquitto_broker, Broker, Mosquitto};

/// The broker name in test messages.
const NAME: &str = "own-mosquitto";

/// A mosquitto, configured like the harness's anonymous one, that a test may kill and start
/// again on the same port; killed when dropped.
pub struct OwnMosquitto {
    exe: PathBuf,
    port: u16,
    /// Configuration lines after the listener's, which apply to it.
    extra: String,
    /// `None` between [`OwnMosquitto::kill`] and [`OwnMosquitto::start_again`].
    running: Option<Mosquitto>,
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
        let mut own = OwnMosquitto {
            exe: find_tool("mosquitto", "mosquitto")?,
            port: free_port(),
            extra: extra.to_string(),
            running: None,
        };
        own.start_again();
        Some(own)
    }

    /// The broker, for `mqtk` arguments; the same across restarts.
    pub fn broker(&self) -> Broker {
        mosquitto_broker(NAME, self.port)
    }

    /// Kills mosquitto with SIGKILL, as a crash would, and waits until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut running) = self.running.take() {
            running.kill();
        }
    }

    /// Starts mosquitto on the same port again (killing it first if it runs) and waits until
    /// it accepts connections.
    pub fn start_again(&mut self) {
        self.kill();
        self.running = Some(Mosquitto::start(
            NAME,
            &self.exe,
            self.port,
            None,
            &self.extra,
        ));
    }
}

impl Drop for OwnMosquitto {
    fn drop(&mut self) {
        self.kill();
    }
}
