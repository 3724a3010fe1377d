//! The async MQTT client: connects, publishes, subscribes, keeps the connection
//! alive and ends it in any of the ways a real device does.
//!
//! One task drives everything: there is no background task and no channel. A
//! caller queues work ([`Client::publish`], [`Client::ack`]) and pulls what
//! happens with [`Client::next_event`], which is cancel safe, so it can sit in a
//! `tokio::select!` beside the caller's own input.
//!
//! Layout:
//! - this file: [`Client`] and what it reports ([`Event`], [`BrokerLimits`],
//!   [`ConnectTimes`], [`Resumption`]); connecting, and connecting again
//! - `publish`: sending messages, within the broker's limits and window
//! - `requests`: SUBSCRIBE and UNSUBSCRIBE awaited, acknowledgements, PINGREQ
//! - `scram`: the client's side of SCRAM-SHA-1/256/512, for enhanced authentication
//! - `reauth`: SCRAM re-authentication on a live connection
//! - `drive`: the one task that moves bytes and hands out events
//! - `incoming`: what each packet from the broker does
//! - `keep_alive`: when to ping, and when silence means the connection is lost
//! - `ending`: every way a connection ends ([`Ending`])
//! - `handshake`: CONNECT and CONNACK, the fallback to 3.1.1, and what the
//!   CONNACK allows
//! - `redirect`: following a broker's Server Reference elsewhere
//! - `transport`: the byte stream (TCP, maybe through a SOCKS5 proxy, or a
//!   Unix socket; TLS and WebSocket on top)
//! - `connection`: read and write buffers around the codec
//! - `buffer`: those buffers, sized by the traffic: small while idle
//! - `session`: packet ids, in-flight window, topic aliases from the broker; no I/O
//! - `aliases`: topic aliases towards the broker; no I/O
//! - `options`: what to connect to and how, and the CONNECT it makes
//! - `error`: what can go wrong, with the values a caller needs to say it
//! - `notice`: what the client tells the caller's sink: redirects, warnings
//! - `trace`: the packet trace, told as notices
//!
//! The client knows no command-line flags and prints nothing: errors and
//! notices are typed values, and the caller puts them into words for people.

mod aliases;
mod buffer;
mod connection;
mod drive;
mod ending;
mod error;
mod handshake;
mod incoming;
mod keep_alive;
mod notice;
mod options;
mod publish;
mod reauth;
mod redirect;
mod requests;
pub mod scram;
mod session;
mod trace;
mod transport;

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use crate::codec::{ConnAck, Packet, Protocol, Publish, QoS, ReasonCode, SubAck, UnsubAck};
use aliases::OutgoingAliases;
use connection::Connection;
pub use ending::silent_limit;
pub use error::{verdict, ClientError, Disallowed, Violation};
use handshake::{broker_limits, in_flight_window, new_session, outgoing_aliases, Established};
pub use notice::{Notice, Notices, Warning};
pub use options::Options;
use redirect::establish;
pub use redirect::Redirect;
pub use session::AliasError;
use session::Session;
pub use transport::{
    BrokerUrl, HttpStatus, PemContent, Proxy, Route, Scheme, Shortfall, TlsCause, TlsInfo,
    TlsOptions, TlsSetupError, TlsVersion, Trusted, WebSocketFailure, WebSocketOptions,
    DEFAULT_WEBSOCKET_PATH,
};

/// How many resumed sessions in a row may lose their connection before the
/// broker acknowledges anything, before the session is given up for a new
/// one: a broker that cannot resume it (it closes the connection at the
/// messages sent again) would otherwise be tried for ever.
const FRUITLESS_RESUMES: u32 = 3;

/// Something that happened on the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message arrived. QoS 1 and 2 messages are acknowledged only when the
    /// caller passes them to [`Client::ack`], after handling them.
    Message(Publish),
    /// One of our QoS 1/2 publishes is settled, successfully or not.
    Published {
        packet_id: u16,
        reason: ReasonCode,
        reason_string: Option<String>,
    },
    /// The answer to a SUBSCRIBE.
    Subscribed(SubAck),
    /// The answer to an UNSUBSCRIBE.
    Unsubscribed(UnsubAck),
    /// A PINGRESP arrived.
    Pong,
}

/// How a connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// DISCONNECT, after which the broker discards the will.
    Disconnect,
    /// DISCONNECT with reason 0x04 (MQTT 5): the broker publishes the will.
    DisconnectWithWill,
    /// Close the socket without DISCONNECT (TCP FIN): the broker publishes the will.
    Close,
    /// Reset the socket (TCP RST), as a device whose network vanished.
    Reset,
    /// Send nothing more, PINGREQ included, with the socket open, until the
    /// broker gives up on the connection (after 1.5 times the keep alive).
    Silent,
}

/// What the broker allows, from its CONNACK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerLimits {
    pub maximum_qos: QoS,
    pub retain_available: bool,
    pub maximum_packet_size: Option<u32>,
    pub receive_maximum: u16,
    pub keep_alive: u16,
}

/// How long connecting took, phase by phase, and to which address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectTimes {
    /// The address connected to, or the Unix socket's path.
    pub peer: String,
    /// Resolving the host name.
    pub resolve: Duration,
    /// The TCP handshake (to the proxy, with one).
    pub tcp: Duration,
    /// The SOCKS5 handshake through the proxy.
    pub proxy: Option<Duration>,
    /// The TLS handshake and what it agreed on.
    pub tls: Option<(Duration, TlsInfo)>,
    /// The WebSocket upgrade.
    pub websocket: Option<Duration>,
    /// From CONNECT sent to CONNACK received.
    pub connack: Duration,
}

/// What became of the session when the client connected again.
#[derive(Debug, Default)]
pub struct Resumption {
    /// The broker kept the session.
    pub session_present: bool,
    /// Messages sent again with DUP in the kept session.
    pub resent: usize,
    /// The broker lost the session, or the client gave it up: the QoS 1/2
    /// messages not fully acknowledged, in order, not sent again.
    pub unfinished: Vec<Publish>,
    /// The client started a new session because the broker closed every
    /// connection that resumed the old one before acknowledging anything.
    pub gave_up_session: bool,
}

/// A connected MQTT client.
pub struct Client {
    conn: Connection,
    session: Session,
    /// Topic aliases set on this connection.
    aliases: OutgoingAliases,
    events: VecDeque<Event>,
    connack: ConnAck,
    limits: BrokerLimits,
    client_id: String,
    /// The host and port connected to: the options', or where a broker
    /// redirected the client.
    broker: (String, u16),
    /// When a PINGREQ went out with no packet received since.
    ping_sent: Option<Instant>,
    /// QoS 0 messages queued on this connection, and how many of them the
    /// broker has surely read: those queued before a PINGREQ it answered.
    qos0_queued: u64,
    qos0_before_ping: u64,
    qos0_confirmed: u64,
    /// MQTT 5: a clean DISCONNECT ends the session (Session Expiry 0), which
    /// was kept only to survive a lost connection.
    expire_on_disconnect: bool,
    /// Resumed sessions in a row whose connection was lost before any of
    /// our messages was acknowledged; `resume_unproven` while the latest is
    /// still waiting for its first acknowledgement.
    fruitless_resumes: u32,
    resume_unproven: bool,
    /// Reconnect attempts given up after their CONNECT was sent: each may
    /// still reach the broker once the path heals, and take the session
    /// over from the connection made since.
    abandoned_connects: u32,
    /// Wakes the client for keep alive. It is set once and moved only when it
    /// fires early, not at every packet: a busy connection would otherwise
    /// register a new timer for every read and write.
    keep_alive_timer: Option<Pin<Box<Sleep>>>,
    /// How long to wait for the broker's answer (see [`Options::response_timeout`]).
    response_timeout: Duration,
    /// An error found while decoding without I/O, returned by the next call
    /// that drives I/O: what was whole before it is handed out first.
    failure: Option<ClientError>,
    /// The most events ever queued at once, to show the queue stays bounded.
    peak_queued_events: usize,
    times: ConnectTimes,
    /// SCRAM re-authentication, when asked for.
    reauth: Option<reauth::Reauth>,
}

impl Client {
    /// Connects and waits for the CONNACK, falling back from MQTT 5 to 3.1.1
    /// when the broker refuses version 5 (or ignores it) and no version was
    /// pinned.
    pub async fn connect(options: &Options) -> Result<Client, ClientError> {
        let (
            Established {
                conn,
                connack,
                times,
            },
            broker,
        ) = establish(options).await?;
        let limits = broker_limits(options, &connack);
        let session = new_session(options, &limits, conn.protocol());
        let conn_v5 = conn.protocol().is_v5();
        let client_id = connack
            .properties
            .assigned_client_identifier
            .clone()
            .unwrap_or_else(|| options.client_id.clone());
        Ok(Client {
            aliases: outgoing_aliases(options, &connack),
            conn,
            session,
            events: VecDeque::new(),
            connack,
            limits,
            client_id,
            broker,
            ping_sent: None,
            qos0_queued: 0,
            qos0_before_ping: 0,
            qos0_confirmed: 0,
            expire_on_disconnect: options.expire_on_disconnect,
            fruitless_resumes: 0,
            resume_unproven: false,
            abandoned_connects: 0,
            keep_alive_timer: None,
            response_timeout: options.response_timeout,
            failure: None,
            peak_queued_events: 0,
            reauth: reauth::Reauth::new(options, conn_v5),
            times,
        })
    }

    /// Connects again after the connection was lost, in the protocol version
    /// and with the client identifier in use. Events not yet taken are kept.
    ///
    /// An MQTT 5 session that outlives its connection (a session expiry) is
    /// resumed rather than started clean. When the broker kept it, the
    /// session goes on: unacknowledged messages are sent again, with DUP, in
    /// order, and incoming QoS 2 messages are not delivered twice. When it did
    /// not, the session starts anew and the unfinished messages are handed
    /// back, for the caller to publish again as new ones, or not; so they are
    /// when the broker closed `FRUITLESS_RESUMES` connections in a row that
    /// resumed the session before acknowledging anything.
    pub async fn reconnect(&mut self, options: &Options) -> Result<Resumption, ClientError> {
        let protocol = self.protocol();
        if std::mem::take(&mut self.resume_unproven) {
            self.fruitless_resumes += 1;
        }
        let give_up_session = self.fruitless_resumes >= FRUITLESS_RESUMES;
        let outlives_connection = !give_up_session
            && protocol.is_v5()
            && self
                .connack
                .properties
                .session_expiry_interval
                .or(options.session_expiry)
                .is_some_and(|s| s > 0);
        let options = Options {
            host: self.broker.0.clone(),
            port: self.broker.1,
            protocol: Some(protocol),
            client_id: self.client_id.clone(),
            clean_start: give_up_session || (options.clean_start && !outlives_connection),
            ..options.clone()
        };
        let established = establish(&options).await;
        if let Err(ClientError::NoConnAck { .. }) = established {
            self.abandoned_connects += 1;
        }
        let (
            Established {
                conn,
                connack,
                times,
            },
            broker,
        ) = established?;
        self.broker = broker;
        let limits = broker_limits(&options, &connack);
        let window = in_flight_window(&options, &limits, conn.protocol());
        let mut resumption = Resumption {
            session_present: connack.session_present,
            gave_up_session: give_up_session,
            ..Resumption::default()
        };
        let resend = if connack.session_present {
            self.session.resume(window)
        } else {
            resumption.unfinished = self.session.take_unfinished();
            self.session = new_session(&options, &limits, conn.protocol());
            self.fruitless_resumes = 0;
            Vec::new()
        };
        self.resume_unproven = !resend.is_empty();
        self.conn = conn;
        self.aliases = outgoing_aliases(&options, &connack);
        self.connack = connack;
        self.limits = limits;
        self.times = times;
        self.failure = None;
        self.ping_sent = None;
        self.qos0_queued = 0;
        self.qos0_before_ping = 0;
        self.qos0_confirmed = 0;
        self.reauth = reauth::Reauth::new(&options, self.protocol().is_v5());
        for packet in &resend {
            self.send(packet)?;
            resumption.resent += usize::from(matches!(packet, Packet::Publish(_)));
        }
        Ok(resumption)
    }

    /// How long connecting took, and to which address.
    pub fn connect_times(&self) -> &ConnectTimes {
        &self.times
    }

    /// [`Client::connect_times`], taken out: the TLS details (the broker's
    /// certificates as sent, the cipher suite's name) are about 750 bytes a
    /// connection, a tenth of an idle TLS connection, for a load that reads
    /// them once.
    pub fn take_connect_times(&mut self) -> ConnectTimes {
        std::mem::take(&mut self.times)
    }

    /// The protocol version in use.
    pub fn protocol(&self) -> Protocol {
        self.conn.protocol()
    }

    /// The broker's CONNACK.
    pub fn connack(&self) -> &ConnAck {
        &self.connack
    }

    /// What the broker allows.
    pub fn limits(&self) -> &BrokerLimits {
        &self.limits
    }

    /// The client identifier in use: ours, or the one the broker assigned.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// QoS 1/2 publishes sent and not yet settled.
    pub fn publishes_in_flight(&self) -> usize {
        self.session.publishes_in_flight()
    }

    /// The most events that were ever queued, waiting to be taken: a caller
    /// that takes them as it goes keeps this near the in-flight window.
    pub fn peak_queued_events(&self) -> usize {
        self.peak_queued_events
    }

    /// Bytes queued and not yet written: a caller that batches flushes when
    /// this is large, and counts a message as sent only once it is written.
    pub fn pending_write(&self) -> usize {
        self.conn.pending_write()
    }

    /// Whether a QoS 1/2 publish would be sent without waiting for the window.
    pub fn has_room(&self) -> bool {
        self.session.has_room()
    }
}
