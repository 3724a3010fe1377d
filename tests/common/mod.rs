//! Integration-test harness: real MQTT brokers on free loopback ports, the `mqtk` binary, and a
//! scripted fake peer for the few tests that must check or send exact bytes.
//!
//! Tests ask for "a broker" ([`brokers`], [`rumqttd_v5`], [`mosquitto`], ...) and get an address;
//! broker behaviour is never mocked. Each broker starts lazily, once per test binary (every test
//! binary is its own process), and is shared by all tests in it, so tests use [`unique_topic`] to
//! stay out of each other's way.
//!
//! Layout:
//! - [`Broker`], [`Version`]: one listener and the `mqtk` arguments that reach it.
//! - rumqttd: embedded (a dev-dependency), always available, one MQTT 3.1.1 and one MQTT 5
//!   listener, because rumqttd speaks one protocol version per listener.
//! - mosquitto: used when installed (PATH, /usr/sbin, ...); with `CI=true` it must be installed.
//!   A second instance requires a user name and password. [`mosquitto_client`] finds
//!   mosquitto_pub and mosquitto_sub, the witnesses of tests/witness.rs, the same way. No instance limits the messages it
//!   queues for a slow subscriber, so no big test loses any to mosquitto.
//! - [`skip`]: a test that needs what is not installed skips with a note (and fails with
//!   `CI=true`); [`brokers`] says when it narrows a test to rumqttd ([`narrowed`]).
//! - [`HeldPort`]: a port held for a server the test starts, or where nobody listens.
//! - [`FakePeer`], [`read_packet`], [`assert_closed`]: a scripted TCP peer on 127.0.0.1:0.
//! - [`run`]: the `mqtk` binary under a deadline (`Running`, `Finished`), `mqtk pub`/`mqtk sub`
//!   against a broker, `for_each_broker`, line helpers.
//! - [`own_mosquitto`]: a mosquitto of a test's own, which it may kill, or stop and start again
//!   with its persistent sessions, on the same port (the shared ones must stay up for the other
//!   tests).
//! - [`pki`]: certificates a test makes (rcgen), for TLS listeners and servers; [`openssl`] for
//!   the tests that make them with openssl, as `man mosquitto-tls` teaches.
//! - [`socks_proxy`]: a SOCKS5 proxy (fast-socks5), which records how clients named targets.
//! - [`websocket_bridge`]: a WebSocket listener in front of a broker (neither has one of its
//!   own), which records the upgrade requests and the frames, and can re-frame.
//! - [`fault_proxy`]: a TCP proxy in front of a broker that resets, closes, stalls (half-open),
//!   refuses or delays connections on command, and counts them for tests to wait on.
//!
//! rumqttd quirks worth knowing when writing tests (rumqttd 0.20):
//! - a CONNECT with keep-alive 0 is refused by closing the connection without a CONNACK;
//! - a listener closes the connection without a CONNACK when the CONNECT carries the other
//!   protocol version (3.1.1 on the v5 listener, 5 on the v4 listener).

// Every test binary includes this module with `mod common;` but uses only part of it, and the
// items it leaves unused would otherwise be dead-code warnings in that binary. The allowance
// holds for the submodules too.
#![allow(dead_code)]

pub mod fault_proxy;
pub mod own_mosquitto;
pub mod pki;
pub mod programs;
pub mod run;
pub mod skip;
pub mod socks_proxy;
pub mod websocket_bridge;

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fault_proxy::FaultProxy;
// Not every test binary skips (the dead-code allowance above does not cover imports).
#[allow(unused_imports)]
pub use skip::{narrowed, skip};

/// How long any harness wait (broker start, accept, read, write) may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The loopback address every broker and fake peer listens on.
pub const HOST: &str = "127.0.0.1";

/// Which MQTT protocol versions a broker listener speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// MQTT 3.1.1 only (rumqttd's v4 listener).
    V311,
    /// MQTT 5 only (rumqttd's v5 listener).
    V5,
    /// Both MQTT 3.1.1 and MQTT 5 (mosquitto).
    Both,
}

/// A running broker listener that tests can connect to.
#[derive(Debug, Clone)]
pub struct Broker {
    /// Short name for test messages, e.g. "rumqttd-v5" or "mosquitto".
    pub name: &'static str,
    /// Host the listener is bound to (always 127.0.0.1).
    pub host: String,
    /// Port the listener is bound to.
    pub port: u16,
    /// Protocol versions the listener speaks.
    pub version: Version,
}

impl FaultProxy {
    /// A proxy in front of `broker`.
    pub fn start(broker: &Broker) -> FaultProxy {
        FaultProxy::to(
            broker
                .addr()
                .parse()
                .expect("a broker's address is ip:port"),
        )
    }
}

impl Broker {
    /// The listener's address as "127.0.0.1:port".
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The same listener, reached through `proxy`: its name and versions, the proxy's address.
    pub fn via(&self, proxy: &FaultProxy) -> Broker {
        Broker {
            host: HOST.to_string(),
            port: proxy.port(),
            ..self.clone()
        }
    }

    /// The `mqtk` arguments that reach this listener, with `-V` when it speaks only one version.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec![
            "-h".to_string(),
            self.host.clone(),
            "-p".to_string(),
            self.port.to_string(),
        ];
        match self.version {
            Version::V311 => args.extend(["-V".to_string(), "3.1.1".to_string()]),
            Version::V5 => args.extend(["-V".to_string(), "5".to_string()]),
            Version::Both => {}
        }
        args
    }

    /// A raw TCP connection to this listener, with read and write timeouts of [`TIMEOUT`].
    pub fn connect_tcp(&self) -> TcpStream {
        let addr: SocketAddr = self.addr().parse().expect("broker address is ip:port");
        let stream = TcpStream::connect_timeout(&addr, TIMEOUT)
            .unwrap_or_else(|err| panic!("connect to {} at {addr}: {err}", self.name));
        set_timeouts(&stream);
        stream
    }
}

/// Every available broker listener: rumqttd-v5, rumqttd-v311, and mosquitto when installed.
///
/// Without mosquitto, says that the calling test runs on rumqttd only ([`narrowed`]), which
/// [`run::for_each_broker`] then runs it on; with `CI=true`, panics instead: CI must never skip
/// mosquitto.
pub fn brokers() -> Vec<Broker> {
    let mut brokers = vec![rumqttd_v5(), rumqttd_v311()];
    match mosquitto() {
        Some(mosquitto) => brokers.push(mosquitto),
        None => narrowed("mosquitto is not installed: on rumqttd only"),
    }
    brokers
}

/// The embedded rumqttd's MQTT 5 listener.
pub fn rumqttd_v5() -> Broker {
    rumqttd_listener("rumqttd-v5", rumqttd().v5.port(), Version::V5)
}

/// The embedded rumqttd's MQTT 3.1.1 listener.
pub fn rumqttd_v311() -> Broker {
    rumqttd_listener("rumqttd-v311", rumqttd().v4.port(), Version::V311)
}

/// A mosquitto that allows anonymous clients, or `None` when mosquitto is not installed.
pub fn mosquitto() -> Option<Broker> {
    static MOSQUITTO: OnceLock<Option<(HeldPort, Mosquitto)>> = OnceLock::new();
    let server = MOSQUITTO.get_or_init(|| {
        let exe = find_tool("mosquitto", "mosquitto")?;
        let port = HeldPort::for_server();
        let server = Mosquitto::start("mosquitto", &exe, port.port(), None, "", &[]);
        Some((port, server))
    });
    server.as_ref().map(|(_, server)| server.broker.clone())
}

/// A mosquitto that requires a user name and password: `(broker, user, password)`, or `None`
/// when mosquitto is not installed.
pub fn mosquitto_with_password() -> Option<(Broker, &'static str, &'static str)> {
    static MOSQUITTO_WITH_PASSWORD: OnceLock<Option<(HeldPort, Mosquitto)>> = OnceLock::new();
    let server = MOSQUITTO_WITH_PASSWORD.get_or_init(|| {
        let exe = find_tool("mosquitto", "mosquitto")?;
        let passwd_exe = find_tool("mosquitto_passwd", "mosquitto")?;
        let login = (passwd_exe.as_path(), MOSQUITTO_USER, MOSQUITTO_PASSWORD);
        let port = HeldPort::for_server();
        let server = Mosquitto::start(
            "mosquitto-password",
            &exe,
            port.port(),
            Some(login),
            "",
            &[],
        );
        Some((port, server))
    });
    let (_, server) = server.as_ref()?;
    Some((server.broker.clone(), MOSQUITTO_USER, MOSQUITTO_PASSWORD))
}

/// A TCP port this process holds with a socket that is bound but never listens, for as long as
/// it lives: for a server the test starts (mosquitto, `mqtk broker`) to listen on, or for a
/// port where nobody listens.
///
/// A port found free and let go (bind port 0, read it, close) can be taken by another process
/// before the server binds it, and the test then fails or, worse, talks to that process. Held,
/// it cannot be (Linux): the socket binds it while nothing else has it bound, and then the
/// kernel picks it for no other bind to port 0 and no outgoing connection, another bind to it
/// fails, and a connection to it is refused. Only when both sockets have SO_REUSEADDR may
/// another bind it too, and listen, as long as no other socket listens on it. Every server of
/// the tests sets SO_REUSEADDR (mosquitto, rumqttd and `mqtk` through tokio or the standard
/// library), and [`HeldPort::for_server`] sets it, once bound, for their sake: each server binds
/// its port while the test holds it, and binds it again after a restart.
#[derive(Debug)]
pub struct HeldPort {
    socket: tokio::net::TcpSocket,
    port: u16,
}

impl HeldPort {
    /// A port on 127.0.0.1 for a server of the test's to listen on.
    pub fn for_server() -> HeldPort {
        HeldPort::for_server_on(IpAddr::from([127, 0, 0, 1]))
    }

    /// A port on `ip` (127.0.0.1 or ::1) for a server of the test's to listen on.
    pub fn for_server_on(ip: IpAddr) -> HeldPort {
        HeldPort::bind(SocketAddr::new(ip, 0), true)
            .unwrap_or_else(|err| panic!("hold a port on {ip} for a server: {err}"))
    }

    /// `port` on 127.0.0.1 for a server of the test's, or the error when it is bound already.
    pub fn try_for_server_at(port: u16) -> io::Result<HeldPort> {
        HeldPort::bind(SocketAddr::from(([127, 0, 0, 1], port)), true)
    }

    /// A port on 127.0.0.1 where nobody listens while it is held: connections are refused.
    pub fn closed() -> HeldPort {
        HeldPort::bind(SocketAddr::from(([127, 0, 0, 1], 0)), false)
            .unwrap_or_else(|err| panic!("hold a closed port on 127.0.0.1: {err}"))
    }

    /// Binds `addr` without SO_REUSEADDR, so only when no other socket has it bound; then sets
    /// SO_REUSEADDR when `for_server`, so that a server can bind it too.
    fn bind(addr: SocketAddr, for_server: bool) -> io::Result<HeldPort> {
        let socket = match addr {
            SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        socket.set_reuseaddr(false)?;
        socket.bind(addr)?;
        socket.set_reuseaddr(for_server)?;
        let port = socket.local_addr()?.port();
        Ok(HeldPort { socket, port })
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// A `Command` for the `mqtk` binary under test, without any inherited `MQTK_*` variables.
pub fn mqtk() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mqtk"));
    // A developer's own MQTK_* settings must not change what the tests see.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("MQTK_") {
            command.env_remove(name);
        }
    }
    // Nor their profiles file: no [default] table of theirs applies here.
    command.env(
        "XDG_CONFIG_HOME",
        concat!(env!("CARGO_TARGET_TMPDIR"), "/no-config-here"),
    );
    command
}

/// A topic no other test uses: "mqtk-test/<prefix>/<pid>-<counter>-<nanos>".
pub fn unique_topic(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("system clock is after 1970")
        .subsec_nanos();
    format!(
        "mqtk-test/{prefix}/{}-{counter}-{nanos}",
        std::process::id()
    )
}

// ---------------------------------------------------------------------------------------------
// rumqttd

/// The ports of the one embedded rumqttd of this test process, held for it (see [`HeldPort`]).
struct RumqttdPorts {
    v4: HeldPort,
    v5: HeldPort,
}

fn rumqttd_listener(name: &'static str, port: u16, version: Version) -> Broker {
    Broker {
        name,
        host: HOST.to_string(),
        port,
        version,
    }
}

/// Starts rumqttd on first use and returns its ports.
fn rumqttd() -> &'static RumqttdPorts {
    static RUMQTTD: OnceLock<RumqttdPorts> = OnceLock::new();
    RUMQTTD.get_or_init(start_rumqttd)
}

fn start_rumqttd() -> RumqttdPorts {
    keep_rumqttd_log();
    let ports = RumqttdPorts {
        v4: HeldPort::for_server(),
        v5: HeldPort::for_server(),
    };
    let config = rumqttd_config(&ports);
    let (stopped_tx, stopped_rx) = mpsc::channel();
    thread::Builder::new()
        .name("rumqttd".to_string())
        .spawn(move || {
            // `start` blocks while the listeners run. It returns only when they have all
            // stopped, e.g. because they could not bind their ports.
            let result = rumqttd::Broker::new(config).start();
            let _ = stopped_tx.send(format!("{result:?}"));
        })
        .expect("spawn the rumqttd thread");
    for port in [ports.v4.port(), ports.v5.port()] {
        wait_for_port("rumqttd", port, || {
            stopped_rx
                .try_recv()
                .ok()
                .map(|result| format!("rumqttd stopped: {result}"))
        });
    }
    ports
}

/// Keeps rumqttd's warnings and errors in `target/tmp/rumqttd-BINARY-PID.log`, where a
/// test that failed on it ("the broker closed the connection") finds the broker's reason. A
/// file, not stderr: rumqttd logs an error for each packet that arrives after its client left.
fn keep_rumqttd_log() {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|path| Some(path.file_stem()?.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let name = format!("rumqttd-{binary}-{}.log", std::process::id());
    let Ok(file) = std::fs::File::create(Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)) else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

/// A rumqttd configuration with one v4 and one v5 listener and room for big tests.
fn rumqttd_config(ports: &RumqttdPorts) -> rumqttd::Config {
    let listener = |name: &str, port: u16| {
        let settings = rumqttd::ServerSettings {
            name: name.to_string(),
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            tls: None,
            next_connection_delay_ms: 0,
            connections: rumqttd::ConnectionSettings {
                connection_timeout_ms: 60_000,
                // Room for the 1 MiB+ payload tests.
                max_payload_size: 4 * 1024 * 1024,
                max_inflight_count: 500,
                auth: None,
                external_auth: None,
                // Without this, a publish to a topic nobody subscribed to yet is an error
                // and rumqttd disconnects the publisher.
                dynamic_filters: true,
            },
        };
        HashMap::from([(name.to_string(), settings)])
    };
    rumqttd::Config {
        id: 0,
        router: rumqttd::RouterConfig {
            max_connections: 10_000,
            max_outgoing_packet_count: 200,
            max_segment_size: 100 * 1024 * 1024,
            max_segment_count: 10,
            ..Default::default()
        },
        v4: Some(listener("v4", ports.v4.port())),
        v5: Some(listener("v5", ports.v5.port())),
        // No websocket, cluster, console, bridge, prometheus or metrics.
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------
// mosquitto

/// The user name the password-protected mosquitto accepts.
const MOSQUITTO_USER: &str = "mqtk";
/// The password the password-protected mosquitto accepts.
const MOSQUITTO_PASSWORD: &str = "secret";

/// The path of mosquitto's client `name` ("mosquitto_pub" or "mosquitto_sub"), the independent
/// witnesses of what `mqtk` sends and receives; `None` when it is not installed, a panic when
/// it is missing with `CI=true`.
pub fn mosquitto_client(name: &str) -> Option<PathBuf> {
    find_tool(name, "mosquitto-clients")
}

/// The path of the `openssl` command, with which tests make certificates the way people do
/// (`man mosquitto-tls`); `None` when it is not installed, a panic when it is missing with
/// `CI=true`.
pub fn openssl() -> Option<PathBuf> {
    find_tool("openssl", "openssl")
}

/// The path of an installed tool (mosquitto's, or openssl), which the Debian package `package`
/// installs; `None` when missing, a panic when missing in CI.
fn find_tool(name: &str, package: &str) -> Option<PathBuf> {
    let found = programs::find_program(name);
    if found.is_none() && skip::in_ci() {
        panic!(
            "CI=true but {name} is not installed (looked in PATH and {}); \
             install {package} (e.g. `apt-get install {package}`) so the integration tests \
             run against it",
            programs::EXTRA_DIRS.join(", ")
        );
    }
    found
}

/// A mosquitto process started by this test process.
///
/// The harness's shared instances live in statics, which are never dropped: their watchdogs
/// stop them when the test process exits. [`own_mosquitto::OwnMosquitto`] kills its instance
/// itself with [`Mosquitto::kill`].
struct Mosquitto {
    broker: Broker,
    child: Child,
    /// Kills mosquitto and removes its directory once its stdin pipe closes (see
    /// `start_watchdog`).
    watchdog: Child,
}

impl Mosquitto {
    /// Starts mosquitto on `port` in a temporary directory of its own, with
    /// `login = (mosquitto_passwd, user, password)` required when given, the `extra`
    /// configuration lines after the listener's (they apply to it) and the environment variables
    /// `env` besides ours, and waits until it accepts connections.
    fn start(
        name: &'static str,
        exe: &Path,
        port: u16,
        login: Option<(&Path, &str, &str)>,
        extra: &str,
        env: &[(String, String)],
    ) -> Mosquitto {
        // Kept on disk after this function; the watchdog removes it.
        let dir = tempfile::Builder::new()
            .prefix("mqtk-mosquitto-")
            .tempdir()
            .expect("create a temporary directory for mosquitto")
            .keep();
        let config_file = write_mosquitto_config(&dir, port, login, extra);
        let log_file = dir.join("mosquitto.log");
        let log = File::create(&log_file).expect("create mosquitto.log");
        let mut child = Command::new(exe)
            .arg("-c")
            .arg(&config_file)
            .envs(env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the mosquitto.log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| panic!("start {}: {err}", exe.display()));
        // Start the watchdog before waiting, so a failed start is cleaned up too.
        let watchdog = start_watchdog(child.id(), &dir);
        wait_for_port(name, port, || {
            let status = child.try_wait().ok().flatten()?;
            let log = fs::read_to_string(&log_file).unwrap_or_default();
            Some(format!("{name} exited with {status}; its log:\n{log}"))
        });
        Mosquitto {
            broker: mosquitto_broker(name, port),
            child,
            watchdog,
        }
    }

    /// Kills mosquitto with SIGKILL, as a crash would, and waits until it is gone and its
    /// directory removed.
    fn kill(&mut self) {
        let _ = self.child.kill();
        // Mosquitto is reaped only after the watchdog's own `kill`, so that one cannot hit
        // another process that was given the same pid.
        drop(self.watchdog.stdin.take());
        let _ = self.watchdog.wait();
        let _ = self.child.wait();
    }

    /// Stops mosquitto with SIGTERM, as a service manager would, so that it saves its
    /// persistence database first; waits until it is gone and its directory removed. Panics
    /// (after a SIGKILL) when it is still running after [`TIMEOUT`].
    fn terminate(&mut self) {
        // The watchdog's `kill` is the SIGTERM, sent before mosquitto is reaped (see `kill`).
        drop(self.watchdog.stdin.take());
        let _ = self.watchdog.wait();
        let deadline = Instant::now() + TIMEOUT;
        while self.child.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("{} still ran {TIMEOUT:?} after SIGTERM", self.broker.name);
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The [`Broker`] of a mosquitto listening on `port`.
fn mosquitto_broker(name: &'static str, port: u16) -> Broker {
    Broker {
        name,
        host: HOST.to_string(),
        port,
        version: Version::Both,
    }
}

/// Writes `dir`/mosquitto.conf for a listener on `port`, anonymous or with `login` (see
/// [`Mosquitto::start`]), and returns its path.
fn write_mosquitto_config(
    dir: &Path,
    port: u16,
    login: Option<(&Path, &str, &str)>,
    extra: &str,
) -> PathBuf {
    // mosquitto's default `max_queued_messages 1000` drops messages, QoS 0 and 1 alike, for a
    // subscriber that falls more than 1000 behind (a debug build on a busy machine does with
    // 100,000 messages; "Outgoing messages are being dropped" in the log); the tests are about
    // mqtk, not about that queue. `max_queued_bytes 0` is the default, written out because the
    // queue is unlimited only when both limits are 0.
    let mut config = format!(
        "# Written by the mqtk test harness (tests/common/mod.rs).\n\
         # Started as root, mosquitto would switch to the `mosquitto` user, which cannot read\n\
         # this private directory; `user root` keeps the current user (ignored when not root).\n\
         user root\n\
         listener {port} {HOST}\n\
         persistence false\n\
         log_dest stderr\n\
         max_queued_messages 0\n\
         max_queued_bytes 0\n"
    );
    match login {
        None => config.push_str("allow_anonymous true\n"),
        Some((passwd_exe, user, password)) => {
            let password_file = dir.join("passwd");
            let status = Command::new(passwd_exe)
                .args(["-b", "-c"])
                .arg(&password_file)
                .args([user, password])
                .stdin(Stdio::null())
                .status()
                .unwrap_or_else(|err| panic!("run {}: {err}", passwd_exe.display()));
            assert!(
                status.success(),
                "{} failed: {status}",
                passwd_exe.display()
            );
            config.push_str("allow_anonymous false\n");
            config.push_str(&format!("password_file {}\n", password_file.display()));
        }
    }
    config.push_str(extra);
    let config_file = dir.join("mosquitto.conf");
    fs::write(&config_file, config).expect("write mosquitto.conf");
    config_file
}

/// Starts a shell that stops process `pid` with SIGTERM and removes `dir` once this test process
/// exits, or earlier when the pipe to its stdin is closed ([`Mosquitto::kill`],
/// [`Mosquitto::terminate`]).
///
/// The shell waits for end-of-file on its stdin, a pipe whose only write end this process
/// holds (Rust opens pipes close-on-exec, so no other child inherits it). The kernel closes it
/// when this process exits in any way, even by SIGKILL, so no mosquitto outlives the tests.
fn start_watchdog(pid: u32, dir: &Path) -> Child {
    // Ctrl-C reaches the whole process group; the ignored SIGINT/SIGHUP (inherited by `cat`)
    // lets the watchdog outlive it and still clean up.
    let script = r#"trap '' INT HUP; cat >/dev/null; kill -TERM "$1" 2>/dev/null; rm -rf "$2""#;
    Command::new("sh")
        .args(["-c", script, "mqtk-mosquitto-watchdog"])
        .arg(pid.to_string())
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the `sh` watchdog that stops mosquitto when the tests end")
}

/// Waits until 127.0.0.1:`port` accepts TCP connections; panics after [`TIMEOUT`] or as soon
/// as `stopped` reports why the server is gone.
fn wait_for_port(name: &str, port: u16, mut stopped: impl FnMut() -> Option<String>) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Some(reason) = stopped() {
            panic!("{name} did not start on {addr}: {reason}");
        }
        if Instant::now() > deadline {
            panic!("{name} did not accept TCP connections on {addr} within {TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------
// Fake peer

/// A scripted TCP peer on 127.0.0.1 for tests that must send or check exact bytes.
///
/// It accepts connections one after another and runs the script on each; its listener closes
/// after the last one, so further connection attempts are refused. Call [`FakePeer::join`] at
/// the end of the test: it fails the test when the script panicked.
pub struct FakePeer {
    /// The port the peer listens on.
    pub port: u16,
    thread: JoinHandle<()>,
}

impl FakePeer {
    /// Accepts one connection and runs `script` on it.
    pub fn start(script: impl FnOnce(TcpStream) + Send + 'static) -> FakePeer {
        let mut script = Some(script);
        FakePeer::start_many(1, move |_, stream| {
            let script = script.take().expect("a one-connection script runs once");
            script(stream);
        })
    }

    /// Accepts `connections` connections in turn and runs `script(index, stream)` on each,
    /// `index` counting from 0 (e.g. refuse the first CONNECT, accept the second).
    pub fn start_many(
        connections: usize,
        mut script: impl FnMut(usize, TcpStream) + Send + 'static,
    ) -> FakePeer {
        let listener = TcpListener::bind((HOST, 0)).expect("bind the fake peer to 127.0.0.1:0");
        let port = listener
            .local_addr()
            .expect("local address of the fake peer")
            .port();
        let thread = thread::Builder::new()
            .name(format!("fake-peer-{port}"))
            .spawn(move || {
                for index in 0..connections {
                    script(index, accept(&listener, index));
                }
            })
            .expect("spawn the fake peer thread");
        FakePeer { port, thread }
    }

    /// The peer's address as "127.0.0.1:port".
    pub fn addr(&self) -> String {
        format!("{HOST}:{}", self.port)
    }

    /// The `mqtk` arguments that reach this peer (no `-V`).
    pub fn args(&self) -> Vec<String> {
        vec![
            "-h".to_string(),
            HOST.to_string(),
            "-p".to_string(),
            self.port.to_string(),
        ]
    }

    /// Waits for the script to finish and re-raises its panic, if any.
    pub fn join(self) {
        if let Err(panic) = self.thread.join() {
            std::panic::resume_unwind(panic);
        }
    }
}

/// Accepts one connection within [`TIMEOUT`] and gives it read and write timeouts.
fn accept(listener: &TcpListener, index: usize) -> TcpStream {
    listener
        .set_nonblocking(true)
        .expect("make the fake peer's listener non-blocking");
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                // Some platforms hand out accepted sockets non-blocking like their listener.
                stream
                    .set_nonblocking(false)
                    .expect("make the accepted connection blocking");
                set_timeouts(&stream);
                return stream;
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                if Instant::now() > deadline {
                    panic!("fake peer: connection {index} did not arrive within {TIMEOUT:?}");
                }
                thread::sleep(Duration::from_millis(5));
            }
            Err(err) => panic!("fake peer: accept connection {index}: {err}"),
        }
    }
}

/// Gives `stream` read and write timeouts of [`TIMEOUT`], so no test can hang on it.
pub fn set_timeouts(stream: &TcpStream) {
    stream
        .set_read_timeout(Some(TIMEOUT))
        .expect("set the read timeout");
    stream
        .set_write_timeout(Some(TIMEOUT))
        .expect("set the write timeout");
}

/// Reads one whole MQTT packet (fixed header, remaining length, rest) and returns all its bytes.
///
/// Panics when the connection closes or no whole packet arrives within [`TIMEOUT`].
pub fn read_packet(stream: &mut TcpStream) -> Vec<u8> {
    match try_read_packet(stream) {
        Ok(Some(packet)) => packet,
        Ok(None) => panic!("read_packet: the connection was closed before a packet arrived"),
        Err(err) => panic!("read_packet: {err} (kind {:?})", err.kind()),
    }
}

/// Reads one whole MQTT packet; `Ok(None)` when the peer closed the connection before one began.
///
/// Sets a read timeout of [`TIMEOUT`] on `stream` when it has none, so it never hangs.
pub fn try_read_packet(stream: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    if stream.read_timeout()?.is_none() {
        stream.set_read_timeout(Some(TIMEOUT))?;
    }
    let mut first = [0u8];
    if read_or_eof(stream, &mut first)? == 0 {
        return Ok(None);
    }
    let mut packet = vec![first[0]];
    // Remaining length: 7 bits a byte, low bits first, high bit set when another byte follows,
    // at most four bytes (MQTT 3.1.1 §2.2.3, MQTT 5 §1.5.5).
    let mut remaining = 0usize;
    let mut shift = 0;
    loop {
        if shift == 28 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("remaining length longer than four bytes: {packet:02x?}"),
            ));
        }
        let mut byte = [0u8];
        stream.read_exact(&mut byte)?;
        packet.push(byte[0]);
        remaining |= usize::from(byte[0] & 0x7f) << shift;
        if byte[0] & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let header_len = packet.len();
    packet.resize(header_len + remaining, 0);
    stream.read_exact(&mut packet[header_len..])?;
    Ok(Some(packet))
}

/// Reads into `buf`, retrying on EINTR; returns 0 on end-of-file.
fn read_or_eof(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match stream.read(buf) {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

/// Asserts that the peer closes the connection (end-of-file or reset) without sending more.
pub fn assert_closed(stream: &mut TcpStream) {
    if stream.read_timeout().ok().flatten().is_none() {
        stream
            .set_read_timeout(Some(TIMEOUT))
            .expect("set the read timeout");
    }
    let mut buf = [0u8; 256];
    match read_or_eof(stream, &mut buf) {
        Ok(0) => {}
        Ok(n) => panic!("expected the connection to close, got {:02x?}", &buf[..n]),
        Err(err) if err.kind() == io::ErrorKind::ConnectionReset => {}
        Err(err) => panic!(
            "expected the connection to close, got {err} (kind {:?})",
            err.kind()
        ),
    }
}
