//! The client's errors, each named for the person reading the error line.

use std::io;
use std::time::Duration;

use super::session::AliasError;
use super::transport::{HttpStatus, TlsCause, TlsSetupError, WebSocketFailure};
use crate::codec::{self, QoS, ReasonCode};

/// What went wrong, named for the person reading the error line.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to {addr}")]
    Unreachable { addr: String, source: io::Error },
    #[error("connecting to {addr} timed out after {}s", after.as_secs_f32())]
    ConnectTimeout { addr: String, after: Duration },
    #[error("TLS with {addr} failed: {cause}")]
    Tls { addr: String, cause: TlsCause },
    /// The broker refused our client certificate, or its absence, with
    /// `alert` (in words).
    #[error("TLS: the broker refused our client certificate, or the lack of one ({alert})")]
    TlsRefused { alert: String },
    #[error("TLS: {0}")]
    TlsSetup(TlsSetupError),
    #[error("WebSocket with {addr}: {failure}")]
    WebSocket {
        addr: String,
        failure: WebSocketFailure,
    },
    /// The upgrade of `path` was refused as unauthorised (HTTP 401 or 403).
    #[error("WebSocket: the broker refused the WebSocket upgrade of {path}: {status}")]
    WebSocketRefused { path: String, status: HttpStatus },
    #[error("SOCKS5 proxy {proxy}: {detail}")]
    Proxy { proxy: String, detail: String },
    #[error("connected to {addr}, but the broker did not answer CONNECT within {}s", after.as_secs_f32())]
    NoConnAck { addr: String, after: Duration },
    #[error("the broker does not accept MQTT {protocol} ({answer})")]
    VersionRefused {
        protocol: codec::Protocol,
        answer: &'static str,
    },
    #[error("connection refused by the broker: {}", verdict(*reason, reason_string.as_deref()))]
    Refused {
        reason: ReasonCode,
        reason_string: Option<String>,
        /// MQTT 5: the broker to use instead (0x9C, 0x9D).
        server_reference: Option<String>,
    },
    /// Enhanced authentication (SCRAM) failed: the broker's messages were
    /// wrong, or it could not prove it knows the password.
    #[error("authentication with {method} failed: {cause}")]
    AuthFailed {
        method: &'static str,
        cause: super::scram::ScramError,
    },
    #[error("the broker closed the connection")]
    Closed,
    #[error("the broker disconnected: {}{}", verdict(*reason, reason_string.as_deref()), why(*reason, server_reference.as_deref()))]
    Disconnected {
        reason: ReasonCode,
        reason_string: Option<String>,
        /// MQTT 5: the broker to use instead (0x9C, 0x9D).
        server_reference: Option<String>,
    },
    /// MQTT 5: the session was taken over (0x8E) after a connect attempt
    /// of ours timed out: its CONNECT, held on a dead path, reached the
    /// broker late and took the session from the connection made since.
    #[error(
        "the broker disconnected: session taken over (0x8e), most likely by an earlier connect \
         attempt of ours that reached it late"
    )]
    TakenOverByOwnAttempt,
    #[error("redirected {hops} times in a row, the last time to {to}: giving up")]
    TooManyRedirects { hops: u32, to: String },
    #[error("connection lost: {0}")]
    Io(io::Error),
    #[error("malformed packet from the broker: {0}")]
    Malformed(codec::Error),
    #[error("protocol violation by the broker: {0}")]
    Protocol(Violation),
    /// Nothing arrived for 1.5 times the keep alive, a PINGREQ sent in
    /// between: the path is dead, whether or not the socket knows it.
    #[error(
        "no answer from the broker for {:.1}s (keep alive {keep_alive}s): the connection is lost",
        silent.as_secs_f32()
    )]
    KeepAliveTimeout { silent: Duration, keep_alive: u16 },
    /// Queued bytes found no room in the socket for 1.5 times the keep
    /// alive: the broker takes nothing, however much it still sends.
    #[error(
        "nothing could be sent to the broker for {:.1}s (keep alive {keep_alive}s): the \
         connection is lost",
        stuck.as_secs_f32()
    )]
    WriteStuck { stuck: Duration, keep_alive: u16 },
    #[error("no {packet} from the broker within {}s", after.as_secs_f32())]
    NoResponse {
        packet: &'static str,
        after: Duration,
    },
    #[error("cannot send: {0}")]
    Encode(codec::Error),
    #[error("{0}")]
    NotAllowed(Disallowed),
}

/// How the broker broke the protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    #[error("{packet} before CONNACK")]
    BeforeConnAck { packet: &'static str },
    #[error("unexpected {packet} from the broker")]
    Unexpected { packet: &'static str },
    /// An acknowledgement for a packet id in flight, at another step.
    #[error("{packet} for packet id {packet_id} which is not awaiting one")]
    NotAwaited {
        packet: &'static str,
        packet_id: u16,
    },
    /// An answer for a packet id of no request of ours.
    #[error("{packet} for packet id {packet_id} which was not sent")]
    NotSent {
        packet: &'static str,
        packet_id: u16,
    },
    #[error("SUBACK has {reasons} reason codes for {filters} topic filters")]
    SubAckCount { reasons: usize, filters: usize },
    #[error("{0}")]
    TopicAlias(AliasError),
}

/// What the client will not do, because the broker or the protocol does not
/// allow it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Disallowed {
    #[error("the broker accepts at most QoS {}", *maximum as u8)]
    QosAbove { maximum: QoS },
    #[error("the broker does not support retained messages")]
    Retain,
    #[error(
        "a message of {size} bytes exceeds the broker's maximum packet size of {maximum} bytes"
    )]
    PacketSize { size: usize, maximum: u32 },
    #[error("no room in the broker's in-flight window")]
    InFlightWindowFull,
    #[error("disconnecting with the will needs MQTT 5")]
    WillDisconnectBeforeV5,
    /// A silent client waited `waited` for the broker to close, in vain.
    #[error(
        "the broker kept a silent connection open for {}s, past 1.5 times the keep alive of \
         {keep_alive}s",
        waited.as_secs()
    )]
    SilenceOutlasted { waited: Duration, keep_alive: u16 },
    #[error("a SOCKS5 proxy carries TCP, not a Unix socket")]
    ProxyToUnixSocket,
}

/// What a DISCONNECT's reason means for the person, where its name does not
/// say it: who took the session over, where the broker sends the client.
fn why(reason: ReasonCode, server_reference: Option<&str>) -> String {
    match server_reference {
        _ if reason == ReasonCode::SESSION_TAKEN_OVER => ": another client connected with the \
            same client identifier, and connecting again would push it out in turn"
            .to_string(),
        Some(to) if super::redirect::is_redirect(reason) => format!(", to {to}"),
        _ => String::new(),
    }
}

/// A broker's verdict for a person: the reason code by name, and the MQTT 5
/// reason string when the broker sent one.
pub fn verdict(reason: ReasonCode, reason_string: Option<&str>) -> String {
    match reason_string {
        Some(text) => format!("{reason}: {text}"),
        None => reason.to_string(),
    }
}

impl ClientError {
    /// An I/O error, or the TLS alert with which the broker refused our
    /// client certificate.
    pub(super) fn from_io(error: io::Error) -> ClientError {
        match super::transport::refused_certificate(&error) {
            Some(alert) => ClientError::TlsRefused { alert },
            None => ClientError::Io(error),
        }
    }

    /// Whether the connection went away in a way that connecting again can
    /// mend: the network (a reset, a close, a dead path) or a broker that
    /// asked us to come back later. A broker that refused what we sent, or
    /// gave our session to another client with the same identifier (taking
    /// it back would push the two out in turn forever), is not a loss.
    pub fn is_connection_loss(&self) -> bool {
        match self {
            ClientError::Closed
            | ClientError::Io(_)
            | ClientError::KeepAliveTimeout { .. }
            | ClientError::WriteStuck { .. }
            | ClientError::TakenOverByOwnAttempt => true,
            ClientError::Disconnected { reason, .. } => reason.invites_reconnect(),
            _ => false,
        }
    }

    /// Whether no MQTT connection could be made: the broker (or the proxy,
    /// the TLS or WebSocket handshake on the way) could not be reached, or
    /// it never answered CONNECT. Exit code 3.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            ClientError::Unreachable { .. }
                | ClientError::ConnectTimeout { .. }
                | ClientError::NoConnAck { .. }
                | ClientError::Tls { .. }
                | ClientError::WebSocket { .. }
                | ClientError::Proxy { .. }
        )
    }

    /// Whether a connect that failed this way may succeed later: the broker
    /// could not be reached, or said it is unavailable or busy for now. A
    /// broker that refused our credentials or our TLS would refuse again.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Unreachable { .. }
            | ClientError::ConnectTimeout { .. }
            | ClientError::NoConnAck { .. }
            | ClientError::Proxy { .. }
            | ClientError::WebSocket { .. } => true,
            ClientError::Refused { reason, .. } => matches!(reason.0, 0x88 | 0x89 | 0x97 | 0x9F),
            _ => self.is_connection_loss(),
        }
    }

    /// Whether a CONNECT failed in a way that says "I do not speak MQTT 5".
    pub fn is_unsupported_version(&self) -> bool {
        match self {
            ClientError::Refused { reason, .. } => {
                *reason == ReasonCode::UNSUPPORTED_PROTOCOL_VERSION
            }
            ClientError::VersionRefused { .. } => true,
            ClientError::Closed => true,
            ClientError::Io(e) => matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            ),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_and_refusals_read_as_sentences_with_their_values() {
        let lines = [
            (
                ClientError::Protocol(Violation::NotAwaited {
                    packet: "PUBREC",
                    packet_id: 7,
                }),
                "protocol violation by the broker: PUBREC for packet id 7 which is not awaiting \
                 one",
            ),
            (
                ClientError::Protocol(Violation::TopicAlias(AliasError::OutOfRange {
                    alias: 9,
                    maximum: 4,
                })),
                "protocol violation by the broker: topic alias 9 is outside 1..=4",
            ),
            (
                ClientError::NotAllowed(Disallowed::QosAbove {
                    maximum: QoS::AtLeastOnce,
                }),
                "the broker accepts at most QoS 1",
            ),
            (
                ClientError::NotAllowed(Disallowed::SilenceOutlasted {
                    waited: Duration::from_secs(70),
                    keep_alive: 30,
                }),
                "the broker kept a silent connection open for 70s, past 1.5 times the keep alive \
                 of 30s",
            ),
        ];
        for (error, line) in lines {
            assert_eq!(error.to_string(), line);
        }
    }
}
