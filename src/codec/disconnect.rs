//! DISCONNECT and AUTH (MQTT 5.0 §3.14, §3.15): a reason code and properties,
//! both optional on the wire. MQTT 3.1.1's DISCONNECT is empty and it has no AUTH.
//!
//! ```text
//! [reason code] | [properties]     (remaining length 0 means "success")
//! ```

use bytes::{BufMut, BytesMut};

use super::primitives::Reader;
use super::properties::{Context, Properties};
use super::reason::{self, ReasonCode};
use super::{Error, Protocol};

/// The end of a connection, sent by either side.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Disconnect {
    pub reason: ReasonCode,
    pub properties: Properties,
}

/// An extended authentication exchange step (MQTT 5 only).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Auth {
    pub reason: ReasonCode,
    pub properties: Properties,
}

/// Reads the optional reason code and properties shared by both packets.
fn decode_tail(
    r: &mut Reader,
    table: &[u8],
    packet: &'static str,
    context: Context,
) -> Result<(ReasonCode, Properties), Error> {
    let mut reason = ReasonCode::SUCCESS;
    let mut properties = Properties::default();
    if r.remaining() > 0 {
        reason = reason::check(ReasonCode(r.u8("reason code")?), table, packet)?;
        if r.remaining() > 0 {
            properties = Properties::decode(r, context)?;
        }
    }
    Ok((reason, properties))
}

fn tail_len(reason: ReasonCode, properties: &Properties) -> usize {
    if !properties.is_empty() {
        1 + properties.encoded_len()
    } else if reason != ReasonCode::SUCCESS {
        1
    } else {
        0
    }
}

fn encode_tail(reason: ReasonCode, properties: &Properties, buf: &mut BytesMut) {
    let len = tail_len(reason, properties);
    if len > 0 {
        buf.put_u8(reason.0);
    }
    if len > 1 {
        properties.encode(buf);
    }
}

impl Disconnect {
    pub(crate) fn decode(r: &mut Reader, protocol: Protocol) -> Result<Disconnect, Error> {
        if !protocol.is_v5() {
            return Ok(Disconnect::default());
        }
        let (reason, properties) = decode_tail(
            r,
            reason::allowed::DISCONNECT,
            "DISCONNECT",
            Context::Disconnect,
        )?;
        Ok(Disconnect { reason, properties })
    }

    pub(crate) fn validate(&self, protocol: Protocol) -> Result<(), Error> {
        if protocol.is_v5() {
            reason::check(self.reason, reason::allowed::DISCONNECT, "DISCONNECT")?;
            self.properties.validate(Context::Disconnect)?;
        }
        Ok(())
    }

    pub(crate) fn body_len(&self, protocol: Protocol) -> usize {
        if protocol.is_v5() {
            tail_len(self.reason, &self.properties)
        } else {
            0
        }
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut, protocol: Protocol) {
        if protocol.is_v5() {
            encode_tail(self.reason, &self.properties, buf);
        }
    }
}

impl Auth {
    pub(crate) fn decode(r: &mut Reader) -> Result<Auth, Error> {
        let (reason, properties) = decode_tail(r, reason::allowed::AUTH, "AUTH", Context::Auth)?;
        Ok(Auth { reason, properties })
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        reason::check(self.reason, reason::allowed::AUTH, "AUTH")?;
        self.properties.validate(Context::Auth)
    }

    pub(crate) fn body_len(&self) -> usize {
        tail_len(self.reason, &self.properties)
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        encode_tail(self.reason, &self.properties, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{decode, encode, Packet, MAX_PACKET_SIZE};
    use super::*;
    use crate::codec::PropertyValues;

    #[test]
    fn disconnect_forms() {
        let plain = Packet::Disconnect(Disconnect::default());
        round_trip(&plain, Protocol::V311, &[0xE0, 0x00]);
        round_trip(&plain, Protocol::V5, &[0xE0, 0x00]);
        let with_will = Packet::Disconnect(Disconnect {
            reason: ReasonCode::DISCONNECT_WITH_WILL,
            properties: Properties::default(),
        });
        // DISCONNECT, length 1, 0x04 disconnect with will message
        round_trip(&with_will, Protocol::V5, &[0xE0, 0x01, 0x04]);
        #[rustfmt::skip]
        let bytes = [
            0xE0, 0x07,                   // DISCONNECT, remaining length 7
            0x8B,                         // server shutting down
            0x05, 0x11, 0x00, 0x00, 0x00, 0x00, // session expiry 0
        ];
        let shutdown = Packet::Disconnect(Disconnect {
            reason: ReasonCode(0x8B),
            properties: PropertyValues {
                session_expiry_interval: Some(0),
                ..PropertyValues::default()
            }
            .into(),
        });
        round_trip(&shutdown, Protocol::V5, &bytes);
        // 0x84 is a CONNACK code only
        assert!(decode(
            &mut BytesMut::from(&[0xE0, 0x01, 0x84][..]),
            Protocol::V5,
            MAX_PACKET_SIZE
        )
        .is_err());
        // a 3.1.1 DISCONNECT is empty
        assert!(decode(
            &mut BytesMut::from(&[0xE0, 0x01, 0x00][..]),
            Protocol::V311,
            MAX_PACKET_SIZE
        )
        .is_err());
    }

    #[test]
    fn auth_is_mqtt5_only() {
        #[rustfmt::skip]
        let bytes = [
            0xF0, 0x08,                   // AUTH, remaining length 8
            0x18,                         // continue authentication
            0x06, 0x15, 0x00, 0x03, b'k', b'r', b'b', // authentication method "krb"
        ];
        let auth = Packet::Auth(Auth {
            reason: ReasonCode(0x18),
            properties: PropertyValues {
                authentication_method: Some("krb".into()),
                ..PropertyValues::default()
            }
            .into(),
        });
        round_trip(&auth, Protocol::V5, &bytes);
        assert!(decode(
            &mut BytesMut::from(&bytes[..]),
            Protocol::V311,
            MAX_PACKET_SIZE
        )
        .is_err());
        assert!(encode(&auth, Protocol::V311, &mut BytesMut::new()).is_err());
    }
}
