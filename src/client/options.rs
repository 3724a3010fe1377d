//! What the client is asked to do: where the broker is, how to connect, and
//! the CONNECT packet that follows from it.

use std::time::Duration;

use bytes::Bytes;

use super::notice::Notices;
use super::transport::Route;
use crate::codec::{Connect, Properties, PropertyValues, Protocol, Will};

/// How to reach the broker and what to ask of it. Plain settings: the client
/// knows nothing of command-line flags.
#[derive(Debug, Clone)]
pub struct Options {
    pub host: String,
    pub port: u16,
    /// A Unix socket instead of host and port, TLS on top.
    pub route: Route,
    /// `None`: MQTT 5, falling back to 3.1.1 when the broker refuses version 5.
    pub protocol: Option<Protocol>,
    /// Empty: the broker assigns one (MQTT 5) or uses a temporary session.
    pub client_id: String,
    pub clean_start: bool,
    /// MQTT 5 Session Expiry Interval in seconds.
    pub session_expiry: Option<u32>,
    /// MQTT 5: end the session at a clean DISCONNECT (Session Expiry 0): the
    /// expiry above was only to survive a lost connection.
    pub expire_on_disconnect: bool,
    /// Seconds; 0 disables keep alive.
    pub keep_alive: u16,
    pub username: Option<String>,
    pub password: Option<Bytes>,
    pub will: Option<Will>,
    /// For the TCP connection and the CONNACK together.
    pub connect_timeout: Duration,
    /// How long the broker may take to answer a request: SUBSCRIBE and
    /// UNSUBSCRIBE, a QoS 1/2 publish awaited alone, the acknowledgements
    /// still due at a clean end (at most a second of them), and the close of a
    /// connection taken over.
    pub response_timeout: Duration,
    /// Tell every packet sent and received, and what the TLS and WebSocket
    /// handshakes agreed on, as [`Notice::Trace`](super::Notice::Trace).
    pub trace: bool,
    /// Where the client's notices go (redirects followed, warnings, the
    /// trace): nowhere by default. The client prints nothing itself.
    pub notices: Notices,
    /// MQTT 5 user properties for CONNECT.
    pub user_properties: Vec<(String, String)>,
    /// How many topic aliases the broker may use towards us (MQTT 5); 0 for
    /// none. Off by default: some brokers assign aliases wrongly (rumqttd 0.20
    /// gives every topic under a wildcard subscription the same one), and a
    /// command-line client gains little from them.
    pub topic_alias_maximum: u16,
    /// Name a repeated topic by a topic alias after its first message, as
    /// many topics as the broker's CONNACK allows (MQTT 5). Off by default:
    /// a client that sends one message gains nothing from it.
    pub alias_topics: bool,
    /// The most QoS 1/2 publishes in flight at once, below the broker's
    /// Receive Maximum: each is kept until acknowledged, so this bounds memory.
    pub max_in_flight: u16,
    /// The in-flight window under MQTT 3.1.1, which has no Receive Maximum:
    /// brokers bound it all the same (mosquitto to 20 by default,
    /// acknowledging and then dropping QoS 2 messages beyond it), and
    /// mosquitto_pub keeps to 20 too.
    pub v311_in_flight: u16,
    /// MQTT 5: the most QoS 1/2 messages the broker may send us before we
    /// acknowledge one (Receive Maximum); `None` for the protocol's 65,535.
    /// A client that acknowledges only after slow work bounds its backlog so.
    pub receive_maximum: Option<u16>,
    /// MQTT 5: the largest packet the broker may send us; a larger one ends
    /// the connection with DISCONNECT 0x95.
    pub maximum_packet_size: Option<u32>,
    /// MQTT 5: ask for Response Information in the CONNACK.
    pub request_response_information: bool,
    /// MQTT 5: whether the broker may add reason strings and user properties
    /// to failures; `None` leaves the protocol's default (yes).
    pub request_problem_information: Option<bool>,
    /// MQTT 5: a single-step authentication method and its data, as the
    /// CONNECT carries them.
    pub authentication: Option<(String, Option<Bytes>)>,
    /// MQTT 5 with a SCRAM method: prove the password again this often.
    pub reauthenticate_every: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            host: "localhost".into(),
            port: 1883,
            route: Route::default(),
            protocol: None,
            client_id: String::new(),
            clean_start: true,
            session_expiry: None,
            expire_on_disconnect: false,
            keep_alive: 60,
            username: None,
            password: None,
            will: None,
            connect_timeout: Duration::from_secs(10),
            response_timeout: Duration::from_secs(10),
            trace: false,
            notices: Notices::default(),
            user_properties: Vec::new(),
            topic_alias_maximum: 0,
            alias_topics: false,
            max_in_flight: 1024,
            v311_in_flight: 20,
            receive_maximum: None,
            maximum_packet_size: None,
            request_response_information: false,
            request_problem_information: None,
            authentication: None,
            reauthenticate_every: None,
        }
    }
}

/// The CONNECT that `options` ask for, in `protocol`.
pub(super) fn connect_packet(options: &Options, protocol: Protocol) -> Connect {
    let v5 = protocol.is_v5();
    // Built whole, so that a CONNECT without properties boxes none.
    let properties = if v5 {
        PropertyValues {
            session_expiry_interval: options.session_expiry.filter(|&s| s > 0),
            topic_alias_maximum: Some(options.topic_alias_maximum).filter(|&m| m > 0),
            receive_maximum: options.receive_maximum.filter(|&m| m > 0),
            maximum_packet_size: options.maximum_packet_size,
            request_response_information: options.request_response_information.then_some(true),
            request_problem_information: options.request_problem_information,
            authentication_method: options.authentication.as_ref().map(|(m, _)| m.clone()),
            authentication_data: options.authentication.as_ref().and_then(|(_, d)| d.clone()),
            user_properties: options.user_properties.clone(),
            ..PropertyValues::default()
        }
        .into()
    } else {
        Properties::default()
    };
    let will = options.will.clone().map(|mut will| {
        if !v5 {
            will.properties = Properties::default();
        }
        will
    });
    Connect {
        protocol,
        clean_start: options.clean_start,
        keep_alive: options.keep_alive,
        client_id: options.client_id.clone(),
        will,
        username: options.username.clone(),
        password: options.password.clone(),
        properties,
    }
}
