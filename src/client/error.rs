//! The client's errors, each named for the person reading the error line.

use std::io;
use std::time::Duration;

use crate::codec::{self, ReasonCode};

/// What went wrong, named for the person reading the error line.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to {addr}")]
    Unreachable { addr: String, source: io::Error },
    #[error("connecting to {addr} timed out after {}s", after.as_secs_f32())]
    ConnectTimeout { addr: String, after: Duration },
    #[error("TLS with {addr} failed: {detail}")]
    Tls { addr: String, detail: String },
    #[error("TLS: {0}")]
    TlsRefused(String),
    #[error("TLS: {0}")]
    TlsSetup(String),
    #[error("WebSocket with {addr}: {detail}")]
    WebSocket { addr: String, detail: String },
    /// The upgrade was refused as unauthorised (HTTP 401 or 403).
    #[error("WebSocket: {0}")]
    WebSocketRefused(String),
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
    },
    #[error("the broker closed the connection")]
    Closed,
    #[error("the broker disconnected: {}", verdict(*reason, reason_string.as_deref()))]
    Disconnected {
        reason: ReasonCode,
        reason_string: Option<String>,
    },
    #[error("connection lost: {0}")]
    Io(io::Error),
    #[error("malformed packet from the broker: {0}")]
    Malformed(codec::Error),
    #[error("protocol violation by the broker: {0}")]
    Protocol(String),
    #[error("no answer from the broker within the keep alive of {0}s")]
    KeepAliveTimeout(u16),
    #[error("no {packet} from the broker within {}s", after.as_secs_f32())]
    NoResponse {
        packet: &'static str,
        after: Duration,
    },
    #[error("cannot send: {0}")]
    Encode(codec::Error),
    #[error("{0}")]
    NotAllowed(String),
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
    /// An I/O error in words: TLS alerts from the broker say what it refused.
    pub(super) fn from_io(error: io::Error) -> ClientError {
        match super::transport::refusal(&error) {
            Some(detail) => ClientError::TlsRefused(detail),
            None => ClientError::Io(error),
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
