//! An MQTT broker inside this process: rumqttd 0.20, for `mqtk broker` and for
//! anything else that needs a broker without installing one.
//!
//! rumqttd speaks one protocol version per listener, so the broker has two,
//! MQTT 3.1.1 and MQTT 5, each on a port of its own. It runs on threads of its
//! own (rumqttd's router, and one thread with a tokio runtime per listener),
//! never on the caller's runtime. [`EmbeddedBroker::start`] returns once both
//! listeners accept connections, with their addresses; the broker then runs
//! until the process exits, as rumqttd 0.20 cannot stop its router.
//!
//! ```no_run
//! use mqtk::broker::{EmbeddedBroker, EmbeddedConfig};
//!
//! // Two free ports on 127.0.0.1.
//! let broker = EmbeddedBroker::start(EmbeddedConfig::default())?;
//! println!("MQTT 3.1.1 on {}, MQTT 5 on {}", broker.v311_addr(), broker.v5_addr());
//! # Ok::<(), mqtk::broker::BrokerError>(())
//! ```
//!
//! The settings are made for load rather than for protection: connections,
//! packet sizes and batches are as large as rumqttd allows or as a benchmark
//! needs, there is no authentication and no TLS, and rumqttd's `tracing`
//! output goes nowhere, since mqtk installs no subscriber.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::thread;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::codec::Protocol;

/// Connections the router accepts before refusing more: room for a benchmark's 100,000 and
/// more. The open-file limit (`ulimit -n`) usually comes first.
const MAX_CONNECTIONS: usize = 200_000;

/// The largest packet a client may send: MQTT's largest remaining length (256 MiB - 1), so
/// that no message is refused for its size.
const MAX_PACKET_SIZE: usize = crate::codec::MAX_REMAINING_LENGTH;

/// Packets rumqttd reads from one connection in a batch before handing them to the router.
/// Bigger batches mean fewer router wake-ups under load; rumqttd's sample configuration has 100.
const INCOMING_BATCH: usize = 500;

/// QoS 0 messages the router hands a subscriber's connection in one go; rumqttd's connection
/// buffer holds 200 (its `MAX_CHANNEL_CAPACITY`), so more would gain nothing.
const OUTGOING_BATCH: u64 = 200;

/// Each topic filter keeps the messages published to it in a log of this many segments of
/// this size (rumqttd's sample configuration): a subscriber may fall up to 1 GiB behind on a
/// filter before it loses the oldest messages. The memory is only taken as messages come.
const SEGMENT_SIZE: usize = 100 * 1024 * 1024;
const SEGMENT_COUNT: usize = 10;

/// How long a new connection may take to send CONNECT (rumqttd's limit is 65,535 ms): long
/// enough for a benchmark that opens many connections at once.
const CONNECT_TIMEOUT_MS: u16 = 60_000;

/// How often [`EmbeddedBroker::start`] tries to connect to a listener that is starting, and
/// how long one try may take.
const READY_POLL: Duration = Duration::from_millis(5);
const PROBE_TIMEOUT: Duration = Duration::from_millis(100);

/// Where the embedded broker listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedConfig {
    /// The address both listeners bind to, e.g. 127.0.0.1, or 0.0.0.0 for every interface.
    pub host: IpAddr,
    /// The port of the MQTT 3.1.1 listener; 0 for a free one.
    pub v311_port: u16,
    /// The port of the MQTT 5 listener; 0 for a free one.
    pub v5_port: u16,
    /// How long [`EmbeddedBroker::start`] waits for both listeners to accept connections.
    pub ready_timeout: Duration,
}

impl Default for EmbeddedConfig {
    /// Two free ports on 127.0.0.1, ready within 10 s.
    fn default() -> Self {
        EmbeddedConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            v311_port: 0,
            v5_port: 0,
            ready_timeout: Duration::from_secs(10),
        }
    }
}

/// Why the embedded broker could not start, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("cannot listen on {addr} for MQTT {protocol}: the port is in use")]
    PortInUse {
        addr: SocketAddr,
        protocol: Protocol,
    },
    #[error("cannot listen on {addr} for MQTT {protocol}")]
    Listen {
        addr: SocketAddr,
        protocol: Protocol,
        source: io::Error,
    },
    #[error("the MQTT {protocol} listener on {addr} did not accept connections within {}s", after.as_secs_f32())]
    NotReady {
        addr: SocketAddr,
        protocol: Protocol,
        after: Duration,
    },
    #[error("the MQTT {protocol} listener on {addr} stopped: {reason}")]
    Stopped {
        addr: SocketAddr,
        protocol: Protocol,
        reason: String,
    },
    #[error("cannot start a thread of the broker")]
    Thread(#[source] io::Error),
}

impl BrokerError {
    /// Whether the broker could not listen where it was asked to (a port in use, an address
    /// not this machine's), rather than failing later.
    pub fn is_listen_failure(&self) -> bool {
        matches!(
            self,
            BrokerError::PortInUse { .. } | BrokerError::Listen { .. }
        )
    }
}

/// A running rumqttd with an MQTT 3.1.1 and an MQTT 5 listener.
#[derive(Debug)]
pub struct EmbeddedBroker {
    v311: SocketAddr,
    v5: SocketAddr,
    /// Why a listener thread ended; nothing while both run.
    stops: mpsc::UnboundedReceiver<BrokerError>,
}

impl EmbeddedBroker {
    /// Starts the broker and returns once both listeners accept TCP connections.
    ///
    /// Blocks the calling thread for that long (a few milliseconds; at most
    /// `config.ready_timeout`). A port that is taken fails at once with
    /// [`BrokerError::PortInUse`]; ports given as 0 are chosen free.
    pub fn start(config: EmbeddedConfig) -> Result<EmbeddedBroker, BrokerError> {
        let [v311, v5] = reserve_ports(config.host, config.v311_port, config.v5_port)?;
        let router_tx = rumqttd::Router::new(0, router_config()).spawn();
        let (stop_tx, mut stops) = mpsc::unbounded_channel();
        for (protocol, addr) in [(Protocol::V311, v311), (Protocol::V5, v5)] {
            let router_tx = router_tx.clone();
            let stop_tx = stop_tx.clone();
            thread::Builder::new()
                .name(format!("mqtk-broker-v{}", protocol.level()))
                .spawn(move || {
                    let settings = listener_settings(protocol, addr);
                    let outcome = panic::catch_unwind(AssertUnwindSafe(|| match protocol {
                        Protocol::V5 => serve(rumqttd::Server::new(
                            settings,
                            router_tx,
                            rumqttd::protocol::v5::V5,
                        )),
                        Protocol::V311 | Protocol::V31 => serve(rumqttd::Server::new(
                            settings,
                            router_tx,
                            rumqttd::protocol::v4::V4,
                        )),
                    }));
                    let reason =
                        outcome.unwrap_or_else(|_| ListenerEnd::Reason("it panicked".into()));
                    let _ = stop_tx.send(reason.into_error(protocol, addr));
                })
                .map_err(BrokerError::Thread)?;
        }
        let deadline = Instant::now() + config.ready_timeout;
        for (protocol, addr) in [(Protocol::V311, v311), (Protocol::V5, v5)] {
            wait_until_ready(protocol, addr, deadline, config.ready_timeout, &mut stops)?;
        }
        Ok(EmbeddedBroker { v311, v5, stops })
    }

    /// The address of the MQTT 3.1.1 listener.
    pub fn v311_addr(&self) -> SocketAddr {
        self.v311
    }

    /// The address of the MQTT 5 listener.
    pub fn v5_addr(&self) -> SocketAddr {
        self.v5
    }

    /// Waits until a listener stops, which it does only when something went badly wrong, and
    /// says why; pending forever while the broker runs. Cancel safe.
    pub async fn stopped(&mut self) -> BrokerError {
        match self.stops.recv().await {
            Some(error) => error,
            None => BrokerError::Stopped {
                addr: self.v311,
                protocol: Protocol::V311,
                reason: "its thread is gone".into(),
            },
        }
    }
}

/// Binds every `(protocol, port)` on `host` at once, so that free ports (0) come out distinct
/// and a taken one is said at once, and lets them go again for rumqttd to bind: rumqttd
/// binds by address and cannot say which port 0 became.
fn reserve_ports(
    host: IpAddr,
    v311_port: u16,
    v5_port: u16,
) -> Result<[SocketAddr; 2], BrokerError> {
    let bind = |protocol, port| -> Result<(TcpListener, SocketAddr), BrokerError> {
        let addr = SocketAddr::new(host, port);
        let listener = TcpListener::bind(addr).map_err(|e| listen_error(protocol, addr, e))?;
        let bound = listener
            .local_addr()
            .map_err(|e| listen_error(protocol, addr, e))?;
        Ok((listener, bound))
    };
    let (_v311_listener, v311) = bind(Protocol::V311, v311_port)?;
    let (_v5_listener, v5) = bind(Protocol::V5, v5_port)?;
    Ok([v311, v5])
}

fn listen_error(protocol: Protocol, addr: SocketAddr, error: io::Error) -> BrokerError {
    if error.kind() == io::ErrorKind::AddrInUse {
        BrokerError::PortInUse { addr, protocol }
    } else {
        BrokerError::Listen {
            addr,
            protocol,
            source: error,
        }
    }
}

/// Polls `addr` until it accepts a TCP connection, failing as soon as its listener reports
/// that it stopped, or at `deadline`.
fn wait_until_ready(
    protocol: Protocol,
    addr: SocketAddr,
    deadline: Instant,
    timeout: Duration,
    stops: &mut mpsc::UnboundedReceiver<BrokerError>,
) -> Result<(), BrokerError> {
    let probe = SocketAddr::new(reachable(addr.ip()), addr.port());
    loop {
        // A listener that failed to bind says so first: another process's listener on the
        // same port would accept the probe.
        if let Ok(error) = stops.try_recv() {
            return Err(error);
        }
        if TcpStream::connect_timeout(&probe, PROBE_TIMEOUT).is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(BrokerError::NotReady {
                addr,
                protocol,
                after: timeout,
            });
        }
        thread::sleep(READY_POLL);
    }
}

/// The address to connect to for a listener bound to `ip`: loopback for "every interface".
fn reachable(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    }
}

/// How a listener thread ended.
enum ListenerEnd {
    /// rumqttd could not bind the address.
    Bind(io::Error),
    Reason(String),
}

impl ListenerEnd {
    fn into_error(self, protocol: Protocol, addr: SocketAddr) -> BrokerError {
        match self {
            ListenerEnd::Bind(error) => listen_error(protocol, addr, error),
            ListenerEnd::Reason(reason) => BrokerError::Stopped {
                addr,
                protocol,
                reason,
            },
        }
    }
}

/// Runs one rumqttd listener on a tokio runtime of this thread's own, until it fails.
fn serve<P>(mut server: rumqttd::Server<P>) -> ListenerEnd
where
    P: rumqttd::protocol::Protocol + Clone + Send + 'static,
{
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return ListenerEnd::Reason(format!("cannot start its runtime: {error}")),
    };
    // `start` binds, then accepts until the process ends: it returns only when the bind
    // failed, with rumqttd's I/O error as the source of its own.
    match runtime.block_on(server.start(rumqttd::LinkType::Remote)) {
        Ok(()) => ListenerEnd::Reason("it stopped accepting connections".into()),
        Err(error) => {
            let io_error = std::error::Error::source(&error)
                .and_then(|source| source.downcast_ref::<io::Error>())
                .map(|io_error| io::Error::new(io_error.kind(), io_error.to_string()));
            match io_error {
                Some(io_error) => ListenerEnd::Bind(io_error),
                None => ListenerEnd::Reason(error.to_string()),
            }
        }
    }
}

fn router_config() -> rumqttd::RouterConfig {
    rumqttd::RouterConfig {
        max_connections: MAX_CONNECTIONS,
        max_outgoing_packet_count: OUTGOING_BATCH,
        max_segment_size: SEGMENT_SIZE,
        max_segment_count: SEGMENT_COUNT,
        ..Default::default()
    }
}

/// One listener's settings: rumqttd takes a map of them per protocol version, and a listener
/// of its own is started from each.
fn listener_settings(protocol: Protocol, addr: SocketAddr) -> rumqttd::ServerSettings {
    rumqttd::ServerSettings {
        name: format!("mqtt-v{}", protocol.level()),
        listen: addr,
        tls: None,
        // rumqttd waits this long after each accepted connection (its sample: 1 ms).
        next_connection_delay_ms: 0,
        connections: rumqttd::ConnectionSettings {
            connection_timeout_ms: CONNECT_TIMEOUT_MS,
            max_payload_size: MAX_PACKET_SIZE,
            max_inflight_count: INCOMING_BATCH,
            auth: None,
            external_auth: None,
            // Without it, a message to a topic nobody has subscribed to yet is an error, and
            // rumqttd disconnects its publisher.
            dynamic_filters: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{Client, Event, Options};
    use crate::codec::{Properties, Publish, QoS, Subscription};

    fn client_options(addr: SocketAddr, protocol: Protocol, id: &str) -> Options {
        Options {
            host: addr.ip().to_string(),
            port: addr.port(),
            protocol: Some(protocol),
            client_id: id.to_string(),
            ..Options::default()
        }
    }

    #[tokio::test]
    async fn free_ports_are_two_listeners_of_one_broker() {
        let broker = EmbeddedBroker::start(EmbeddedConfig::default()).unwrap();
        let (v311, v5) = (broker.v311_addr(), broker.v5_addr());
        assert!(v311.ip().is_loopback() && v5.ip().is_loopback());
        assert!(v311.port() != 0 && v5.port() != 0 && v311.port() != v5.port());

        // A message published over MQTT 3.1.1 reaches an MQTT 5 subscriber.
        let subscriber_options = client_options(v5, Protocol::V5, "embedded-sub");
        let mut subscriber = Client::connect(&subscriber_options).await.unwrap();
        assert_eq!(subscriber.protocol(), Protocol::V5);
        let subscription = Subscription::new("embedded/t", QoS::AtLeastOnce);
        subscriber
            .subscribe(vec![subscription], Properties::default())
            .await
            .unwrap();
        let publisher_options = client_options(v311, Protocol::V311, "embedded-pub");
        let mut publisher = Client::connect(&publisher_options).await.unwrap();
        assert_eq!(publisher.protocol(), Protocol::V311);
        let message = Publish {
            qos: QoS::AtLeastOnce,
            topic: "embedded/t".into(),
            payload: "across".into(),
            ..Publish::default()
        };
        let (reason, _) = publisher.publish_and_settle(message).await.unwrap();
        assert!(!reason.is_error(), "{reason:?}");
        let wait = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Event::Message(message) = subscriber.next_event().await.unwrap() {
                    return message;
                }
            }
        });
        let received = wait.await.expect("the message within 10 s");
        assert_eq!(received.topic, "embedded/t");
        assert_eq!(&received.payload[..], b"across");
    }

    #[test]
    fn a_taken_port_is_said_at_once() {
        let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = taken.local_addr().unwrap().port();
        for (config, protocol) in [
            (
                EmbeddedConfig {
                    v311_port: port,
                    ..EmbeddedConfig::default()
                },
                Protocol::V311,
            ),
            (
                EmbeddedConfig {
                    v5_port: port,
                    ..EmbeddedConfig::default()
                },
                Protocol::V5,
            ),
        ] {
            let error = EmbeddedBroker::start(config).unwrap_err();
            assert!(error.is_listen_failure(), "{error:?}");
            let BrokerError::PortInUse { addr, protocol: p } = error else {
                panic!("not PortInUse: {error:?}");
            };
            assert_eq!((addr.port(), p), (port, protocol));
        }
    }

    #[test]
    fn one_port_cannot_serve_both_versions() {
        let free = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        let error = EmbeddedBroker::start(EmbeddedConfig {
            v311_port: port,
            v5_port: port,
            ..EmbeddedConfig::default()
        })
        .unwrap_err();
        assert!(
            matches!(
                error,
                BrokerError::PortInUse {
                    protocol: Protocol::V5,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn every_interface_is_probed_on_loopback() {
        assert_eq!(reachable(Ipv4Addr::UNSPECIFIED.into()), Ipv4Addr::LOCALHOST);
        assert_eq!(reachable(Ipv6Addr::UNSPECIFIED.into()), Ipv6Addr::LOCALHOST);
        let other: IpAddr = [192, 0, 2, 1].into();
        assert_eq!(reachable(other), other);
    }
}
