//! Connecting: the network connection, CONNECT and CONNACK, the fallback from
//! MQTT 5 to 3.1.1, and what the CONNACK allows.

use std::time::Duration;

use tokio::time::Instant;

use super::aliases::OutgoingAliases;
use super::connection::Connection;
use super::notice::Warning;
use super::options::connect_packet;
use super::session::Session;
use super::trace::Trace;
use super::transport::{Opened, Transport};
use super::{BrokerLimits, ClientError, ConnectTimes, Options, Violation};
use bytes::Bytes;

use super::scram::{self, Mechanism, ScramClient, ScramError};
use crate::codec::{self, Auth, ConnAck, Packet, PropertyValues, Protocol, QoS, ReasonCode};

/// How long an MQTT 5 CONNECT may go unanswered, when no version was pinned,
/// before MQTT 3.1.1 is tried: some 3.1.1 brokers ignore a version 5 CONNECT.
const FALLBACK_SILENCE: Duration = Duration::from_secs(3);

/// A connection whose CONNACK accepted it.
pub(super) struct Established {
    pub(super) conn: Connection,
    pub(super) connack: ConnAck,
    pub(super) times: ConnectTimes,
}

/// Opens a connection and exchanges CONNECT and CONNACK, in the pinned
/// protocol version or else MQTT 5 with a fallback to 3.1.1.
pub(super) async fn handshake(options: &Options) -> Result<Established, ClientError> {
    let timeout = options.connect_timeout;
    let established = match options.protocol {
        Some(protocol) => open(options, protocol, timeout).await?,
        None => {
            let silence = FALLBACK_SILENCE.min(timeout / 2);
            match open(options, Protocol::V5, silence).await {
                Err(ClientError::NoConnAck { after, .. }) => {
                    options.notices.warn(Warning::NoAnswerToV5 { after });
                    open(options, Protocol::V311, timeout - silence).await?
                }
                Err(e) if e.is_unsupported_version() => {
                    if let Some(trace) = trace(options) {
                        trace.note(format!(
                            "the broker refused MQTT 5 ({e}); connecting again with MQTT 3.1.1"
                        ));
                    }
                    open(options, Protocol::V311, timeout).await?
                }
                result => result?,
            }
        }
    };
    let will_properties = options
        .will
        .as_ref()
        .is_some_and(|w| !w.properties.is_empty());
    let protocol = established.conn.protocol();
    if will_properties && !protocol.is_v5() {
        options
            .notices
            .warn(Warning::WillPropertiesDropped { protocol });
    }
    Ok(established)
}

/// One attempt: a TCP connection within the connect timeout, then CONNECT,
/// and a CONNACK within `connack_wait`.
async fn open(
    options: &Options,
    protocol: Protocol,
    connack_wait: Duration,
) -> Result<Established, ClientError> {
    let (transport, opened) = Transport::connect(
        &options.host,
        options.port,
        &options.route,
        options.connect_timeout,
        &options.notices,
    )
    .await?;
    let trace = trace(options);
    if let Some(trace) = &trace {
        trace_transport(trace, &opened, options);
    }
    let connect_sent = Instant::now();
    let mut conn = Connection::new(transport, protocol, trace);
    if let Some(max) = options.maximum_packet_size.filter(|_| protocol.is_v5()) {
        conn.limit_incoming(max as usize);
    }
    let connack = tokio::time::timeout(connack_wait, exchange(&mut conn, options, protocol))
        .await
        .map_err(|_| ClientError::NoConnAck {
            addr: format!("{}:{}", options.host, options.port),
            after: connack_wait,
        })??;
    if connack.reason.is_error() {
        let properties = connack.properties.into_values();
        return Err(ClientError::Refused {
            reason: connack.reason,
            reason_string: properties.reason_string,
            server_reference: properties.server_reference,
        });
    }
    let times = connect_times(options, opened, connect_sent.elapsed());
    Ok(Established {
        conn,
        connack,
        times,
    })
}

/// Sends the CONNECT of `options` and reads until the broker's CONNACK.
async fn exchange(
    conn: &mut Connection,
    options: &Options,
    protocol: Protocol,
) -> Result<ConnAck, ClientError> {
    let mut connect = connect_packet(options, protocol);
    let mut scram = protocol.is_v5().then(|| scram_exchange(options)).flatten();
    if let Some(scram) = &scram {
        // The password proves itself in the exchange; it is never sent.
        connect.password = None;
        connect.properties.authentication_data = Some(Bytes::from(scram.client_first()));
    }
    conn.queue(&Packet::Connect(Box::new(connect)))?;
    conn.flush().await?;
    loop {
        if let Some(packet) = conn.decode().map_err(|e| refusal_in_311(e, protocol))? {
            match (packet, scram.as_mut()) {
                (Packet::ConnAck(connack), Some(scram)) if !connack.reason.is_error() => {
                    let server_final = connack.properties.authentication_data.clone();
                    scram
                        .verify_server_final(server_final.as_deref().unwrap_or_default())
                        .map_err(|cause| auth_failed(options, cause))?;
                    return Ok(connack);
                }
                (Packet::ConnAck(connack), _) => return Ok(connack),
                (Packet::Auth(auth), Some(scram))
                    if auth.reason == ReasonCode::CONTINUE_AUTHENTICATION =>
                {
                    let server_first = auth.properties.authentication_data.clone();
                    let client_final = scram
                        .client_final(server_first.as_deref().unwrap_or_default())
                        .map_err(|cause| auth_failed(options, cause))?;
                    conn.queue(&Packet::Auth(continue_with(scram, client_final)))?;
                    conn.flush().await?;
                }
                (other, _) => {
                    return Err(ClientError::Protocol(Violation::BeforeConnAck {
                        packet: other.name(),
                    }))
                }
            }
            continue;
        }
        conn.transfer(false).await?;
    }
}

/// A SCRAM exchange, when the authentication method is SCRAM and there is a
/// user name and password to prove.
fn scram_exchange(options: &Options) -> Option<ScramClient> {
    let (method, _) = options.authentication.as_ref()?;
    let mechanism = Mechanism::from_name(method)?;
    let username = options.username.as_deref().unwrap_or_default();
    let password = options.password.as_deref().unwrap_or_default();
    Some(ScramClient::new(
        mechanism,
        username,
        password,
        &scram::nonce(),
    ))
}

/// The AUTH that goes on with `scram`'s next message.
fn continue_with(scram: &ScramClient, data: Vec<u8>) -> Auth {
    Auth {
        reason: ReasonCode::CONTINUE_AUTHENTICATION,
        properties: PropertyValues {
            authentication_method: Some(scram.mechanism().name().to_string()),
            authentication_data: Some(Bytes::from(data)),
            ..PropertyValues::default()
        }
        .into(),
    }
}

fn auth_failed(options: &Options, cause: ScramError) -> ClientError {
    let method = options
        .authentication
        .as_ref()
        .and_then(|(method, _)| Mechanism::from_name(method))
        .map_or("SCRAM", Mechanism::name);
    ClientError::AuthFailed { method, cause }
}

/// What the TLS handshake and the WebSocket upgrade agreed on, and how long
/// they took, in the trace.
fn trace_transport(trace: &Trace, opened: &Opened, options: &Options) {
    if let Some((took, tls)) = &opened.tls {
        trace.note(format!(
            "{} with {}, ALPN {},{} in {:.3} ms",
            tls.version,
            tls.cipher_suite,
            tls.alpn.as_deref().unwrap_or("none"),
            if tls.resumed { " resumed," } else { "" },
            took.as_secs_f64() * 1e3
        ));
    }
    if let (Some(took), Some(websocket)) = (opened.websocket, &options.route.websocket) {
        trace.note(format!(
            "WebSocket upgrade of {} with the mqtt subprotocol in {:.3} ms",
            websocket.path,
            took.as_secs_f64() * 1e3
        ));
    }
}

/// How long each step of connecting took, the CONNACK's `connack`, and the
/// address reached.
fn connect_times(options: &Options, opened: Opened, connack: Duration) -> ConnectTimes {
    let peer = match (opened.peer, &options.route.unix) {
        (Some(addr), _) => addr.to_string(),
        (None, Some(path)) => path.display().to_string(),
        (None, None) => format!("{}:{}", options.host, options.port),
    };
    ConnectTimes {
        peer,
        resolve: opened.resolve,
        tcp: opened.tcp,
        proxy: opened.proxy,
        tls: opened.tls,
        websocket: opened.websocket,
        connack,
    }
}

/// The packet trace, when `options` ask for it.
fn trace(options: &Options) -> Option<Trace> {
    options.trace.then(|| Trace::new(options.notices.clone()))
}

/// A 3.1.1 broker answers a version 5 CONNECT with its return code 1,
/// "unacceptable protocol version", which is no MQTT 5 reason code: a refusal
/// of the version, not a malformed packet.
fn refusal_in_311(error: ClientError, protocol: Protocol) -> ClientError {
    match error {
        ClientError::Malformed(codec::Error::InvalidReasonCode {
            packet: "CONNACK",
            code: 1,
        }) if protocol.is_v5() => ClientError::VersionRefused {
            protocol,
            answer: "it answered as an MQTT 3.1.1 broker: unacceptable protocol version",
        },
        other => other,
    }
}

/// What the broker allows, from its CONNACK and our options.
pub(super) fn broker_limits(options: &Options, connack: &ConnAck) -> BrokerLimits {
    let props = &connack.properties;
    BrokerLimits {
        maximum_qos: props.maximum_qos.unwrap_or(QoS::ExactlyOnce),
        retain_available: props.retain_available.unwrap_or(true),
        maximum_packet_size: props.maximum_packet_size,
        receive_maximum: props.receive_maximum.unwrap_or(u16::MAX),
        keep_alive: props.server_keep_alive.unwrap_or(options.keep_alive),
    }
}

/// The topic aliases of a new connection: none set, and as many to give as
/// the broker's CONNACK allows, when the options ask for them.
pub(super) fn outgoing_aliases(options: &Options, connack: &ConnAck) -> OutgoingAliases {
    let maximum = connack.properties.topic_alias_maximum.unwrap_or(0);
    OutgoingAliases::new(if options.alias_topics { maximum } else { 0 })
}

/// A session with nothing in flight yet.
pub(super) fn new_session(options: &Options, limits: &BrokerLimits, protocol: Protocol) -> Session {
    // Topic aliases towards us exist in MQTT 5 only.
    let alias_maximum = if protocol.is_v5() {
        options.topic_alias_maximum
    } else {
        0
    };
    Session::new(in_flight_window(options, limits, protocol), alias_maximum)
}

/// How many QoS 1/2 publishes may be in flight: the broker's Receive Maximum
/// (MQTT 5) or the usual 3.1.1 limit, or our own smaller bound.
pub(super) fn in_flight_window(
    options: &Options,
    limits: &BrokerLimits,
    protocol: Protocol,
) -> u16 {
    let broker = if protocol.is_v5() {
        limits.receive_maximum
    } else {
        options.v311_in_flight
    };
    broker.min(options.max_in_flight)
}
