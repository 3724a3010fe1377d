//! Reason codes (MQTT 5.0 §2.4): one byte saying how an operation went, below
//! 0x80 for success, from 0x80 for failure. MQTT 3.1.1's CONNACK return codes and
//! SUBACK failure byte are mapped onto these.

use std::fmt;

use super::Error;

/// A reason code as sent on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ReasonCode(pub u8);

impl ReasonCode {
    pub const SUCCESS: ReasonCode = ReasonCode(0x00);
    pub const GRANTED_QOS_1: ReasonCode = ReasonCode(0x01);
    pub const GRANTED_QOS_2: ReasonCode = ReasonCode(0x02);
    pub const DISCONNECT_WITH_WILL: ReasonCode = ReasonCode(0x04);
    pub const NO_MATCHING_SUBSCRIBERS: ReasonCode = ReasonCode(0x10);
    pub const CONTINUE_AUTHENTICATION: ReasonCode = ReasonCode(0x18);
    pub const RE_AUTHENTICATE: ReasonCode = ReasonCode(0x19);
    pub const UNSPECIFIED_ERROR: ReasonCode = ReasonCode(0x80);
    pub const MALFORMED_PACKET: ReasonCode = ReasonCode(0x81);
    pub const PROTOCOL_ERROR: ReasonCode = ReasonCode(0x82);
    pub const UNSUPPORTED_PROTOCOL_VERSION: ReasonCode = ReasonCode(0x84);
    pub const CLIENT_ID_NOT_VALID: ReasonCode = ReasonCode(0x85);
    pub const BAD_USERNAME_OR_PASSWORD: ReasonCode = ReasonCode(0x86);
    pub const NOT_AUTHORIZED: ReasonCode = ReasonCode(0x87);
    pub const SERVER_UNAVAILABLE: ReasonCode = ReasonCode(0x88);
    pub const SESSION_TAKEN_OVER: ReasonCode = ReasonCode(0x8E);
    pub const PACKET_ID_NOT_FOUND: ReasonCode = ReasonCode(0x92);
    pub const TOPIC_ALIAS_INVALID: ReasonCode = ReasonCode(0x94);
    pub const PACKET_TOO_LARGE: ReasonCode = ReasonCode(0x95);

    /// The codes a PUBACK or PUBREC may carry (the two lists are the same).
    pub const PUBLISH_ACK_CODES: &'static [u8] = allowed::PUBACK;

    /// Whether the code reports a failure.
    pub fn is_error(self) -> bool {
        self.0 >= 0x80
    }

    /// Whether a DISCONNECT with this code asks the client to come back
    /// (later, or elsewhere): the server is going down, busy or moving, or
    /// ended the connection for reasons of its own. After the others (a
    /// protocol error, not authorised, session taken over, ...) connecting
    /// again would only meet the same answer.
    pub fn invites_reconnect(self) -> bool {
        matches!(
            self.0,
            0x00 | 0x80 | 0x89 | 0x8B | 0x8D | 0x97 | 0x98 | 0x9C | 0x9D | 0x9F | 0xA0
        )
    }

    /// The name the specification gives the code.
    pub fn description(self) -> &'static str {
        match self.0 {
            0x00 => "success",
            0x01 => "granted QoS 1",
            0x02 => "granted QoS 2",
            0x04 => "disconnect with will message",
            0x10 => "no matching subscribers",
            0x11 => "no subscription existed",
            0x18 => "continue authentication",
            0x19 => "re-authenticate",
            0x80 => "unspecified error",
            0x81 => "malformed packet",
            0x82 => "protocol error",
            0x83 => "implementation specific error",
            0x84 => "unsupported protocol version",
            0x85 => "client identifier not valid",
            0x86 => "bad user name or password",
            0x87 => "not authorized",
            0x88 => "server unavailable",
            0x89 => "server busy",
            0x8A => "banned",
            0x8B => "server shutting down",
            0x8C => "bad authentication method",
            0x8D => "keep alive timeout",
            0x8E => "session taken over",
            0x8F => "topic filter invalid",
            0x90 => "topic name invalid",
            0x91 => "packet identifier in use",
            0x92 => "packet identifier not found",
            0x93 => "receive maximum exceeded",
            0x94 => "topic alias invalid",
            0x95 => "packet too large",
            0x96 => "message rate too high",
            0x97 => "quota exceeded",
            0x98 => "administrative action",
            0x99 => "payload format invalid",
            0x9A => "retain not supported",
            0x9B => "QoS not supported",
            0x9C => "use another server",
            0x9D => "server moved",
            0x9E => "shared subscriptions not supported",
            0x9F => "connection rate exceeded",
            0xA0 => "maximum connect time",
            0xA1 => "subscription identifiers not supported",
            0xA2 => "wildcard subscriptions not supported",
            _ => "unknown reason code",
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (0x{:02x})", self.description(), self.0)
    }
}

/// The reason codes each packet may carry (MQTT 5.0 §2.4, Table 2-6).
pub mod allowed {
    pub const CONNACK: &[u8] = &[
        0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95,
        0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
    ];
    pub const PUBACK: &[u8] = &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
    pub const PUBREL: &[u8] = &[0x00, 0x92];
    pub const SUBACK: &[u8] = &[
        0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2,
    ];
    /// MQTT 3.1.1 SUBACK return codes [MQTT-3.9.3-2].
    pub const SUBACK_V311: &[u8] = &[0x00, 0x01, 0x02, 0x80];
    pub const UNSUBACK: &[u8] = &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91];
    pub const DISCONNECT: &[u8] = &[
        0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
        0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
    ];
    pub const AUTH: &[u8] = &[0x00, 0x18, 0x19];
}

/// Checks that `code` is one `packet` may carry.
pub fn check(code: ReasonCode, table: &[u8], packet: &'static str) -> Result<ReasonCode, Error> {
    if table.contains(&code.0) {
        Ok(code)
    } else {
        Err(Error::InvalidReasonCode {
            packet,
            code: code.0,
        })
    }
}

/// MQTT 3.1.1 CONNACK return codes (§3.2.2.3) and the MQTT 5 reason codes that
/// mean the same.
const V311_CONNACK: [(u8, ReasonCode); 6] = [
    (0, ReasonCode::SUCCESS),
    (1, ReasonCode::UNSUPPORTED_PROTOCOL_VERSION),
    (2, ReasonCode::CLIENT_ID_NOT_VALID),
    (3, ReasonCode::SERVER_UNAVAILABLE),
    (4, ReasonCode::BAD_USERNAME_OR_PASSWORD),
    (5, ReasonCode::NOT_AUTHORIZED),
];

/// The reason code for a MQTT 3.1.1 CONNACK return code.
pub fn from_v311_connack(code: u8) -> Result<ReasonCode, Error> {
    V311_CONNACK
        .iter()
        .find(|(v311, _)| *v311 == code)
        .map(|(_, reason)| *reason)
        .ok_or(Error::InvalidReasonCode {
            packet: "CONNACK",
            code,
        })
}

/// The MQTT 3.1.1 CONNACK return code for a reason code, if it has one.
pub fn to_v311_connack(reason: ReasonCode) -> Result<u8, Error> {
    V311_CONNACK
        .iter()
        .find(|(_, v5)| *v5 == reason)
        .map(|(v311, _)| *v311)
        .ok_or(Error::InvalidReasonCode {
            packet: "CONNACK",
            code: reason.0,
        })
}
