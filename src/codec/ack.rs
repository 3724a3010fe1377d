//! PUBACK, PUBREC, PUBREL and PUBCOMP (MQTT 5.0 §3.4–3.7): four packets with one
//! shape, told apart by their type and the reason codes each may carry.
//!
//! ```text
//! packet id | [reason code] | [properties]
//! ```
//! In MQTT 5 the reason code may be left out when it is 0 (success) and there
//! are no properties; the properties may be left out when there are none.

use bytes::{BufMut, BytesMut};

use super::primitives::Reader;
use super::properties::{Context, Properties};
use super::reason::{self, ReasonCode};
use super::{check_packet_id, Error, Protocol};

/// Which of the four acknowledgements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AckKind {
    /// QoS 1: the message is accepted.
    PubAck,
    /// QoS 2, step 1: the message is received.
    PubRec,
    /// QoS 2, step 2: the sender releases the packet id.
    PubRel,
    /// QoS 2, step 3: the exchange is complete.
    PubComp,
}

impl AckKind {
    pub fn name(self) -> &'static str {
        match self {
            AckKind::PubAck => "PUBACK",
            AckKind::PubRec => "PUBREC",
            AckKind::PubRel => "PUBREL",
            AckKind::PubComp => "PUBCOMP",
        }
    }

    fn reasons(self) -> &'static [u8] {
        match self {
            AckKind::PubAck | AckKind::PubRec => reason::allowed::PUBACK,
            AckKind::PubRel | AckKind::PubComp => reason::allowed::PUBREL,
        }
    }
}

/// An acknowledgement of a QoS 1 or 2 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub kind: AckKind,
    pub packet_id: u16,
    pub reason: ReasonCode,
    pub properties: Properties,
}

impl Ack {
    /// A successful acknowledgement without properties.
    pub fn new(kind: AckKind, packet_id: u16) -> Ack {
        Ack {
            kind,
            packet_id,
            reason: ReasonCode::SUCCESS,
            properties: Properties::default(),
        }
    }

    pub(crate) fn decode(kind: AckKind, r: &mut Reader, protocol: Protocol) -> Result<Ack, Error> {
        let packet_id = check_packet_id(r.u16("packet identifier")?, kind.name())?;
        let mut ack = Ack::new(kind, packet_id);
        if protocol.is_v5() && r.remaining() > 0 {
            let code = ReasonCode(r.u8("reason code")?);
            ack.reason = reason::check(code, kind.reasons(), kind.name())?;
            if r.remaining() > 0 {
                ack.properties = Properties::decode(r, Context::Ack)?;
            }
        }
        Ok(ack)
    }

    pub(crate) fn validate(&self, protocol: Protocol) -> Result<(), Error> {
        check_packet_id(self.packet_id, self.kind.name())?;
        if protocol.is_v5() {
            reason::check(self.reason, self.kind.reasons(), self.kind.name())?;
            self.properties.validate(Context::Ack)?;
        }
        Ok(())
    }

    pub(crate) fn body_len(&self, protocol: Protocol) -> usize {
        if !protocol.is_v5() {
            2
        } else if !self.properties.is_empty() {
            3 + self.properties.encoded_len()
        } else if self.reason != ReasonCode::SUCCESS {
            3
        } else {
            2
        }
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut, protocol: Protocol) {
        buf.put_u16(self.packet_id);
        let len = self.body_len(protocol);
        if len > 2 {
            buf.put_u8(self.reason.0);
        }
        if len > 3 {
            self.properties.encode(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::decode_bytes;
    use super::super::{encode, Packet};
    use super::*;

    #[test]
    fn each_kind_has_its_type_and_flags() {
        // type nibble and flags for PUBACK, PUBREC, PUBREL (0b0010), PUBCOMP; packet id 0x1234
        for (first, kind) in [
            (0x40, AckKind::PubAck),
            (0x50, AckKind::PubRec),
            (0x62, AckKind::PubRel),
            (0x70, AckKind::PubComp),
        ] {
            let bytes = [first, 0x02, 0x12, 0x34];
            let packet = Packet::ack(Ack::new(kind, 0x1234));
            for protocol in [Protocol::V311, Protocol::V5] {
                let mut buf = BytesMut::new();
                encode(&packet, protocol, &mut buf).unwrap();
                assert_eq!(&buf[..], bytes);
                assert_eq!(
                    decode_bytes(&bytes, protocol).unwrap(),
                    Some(packet.clone())
                );
            }
        }
    }

    #[test]
    fn v5_reason_and_properties_are_optional() {
        // PUBACK, length 3, id 1, reason 0x10 (no matching subscribers)
        let short = [0x40, 0x03, 0x00, 0x01, 0x10];
        let Some(Packet::PubAck(ack)) = decode_bytes(&short, Protocol::V5).unwrap() else {
            panic!("not a PUBACK")
        };
        assert_eq!(ack.reason, ReasonCode::NO_MATCHING_SUBSCRIBERS);
        #[rustfmt::skip]
        let long = [
            0x40, 0x08,                         // PUBACK, remaining length 8
            0x00, 0x01,                         // packet id 1
            0x87,                               // not authorized
            0x04, 0x1F, 0x00, 0x01, b'n',       // reason string "n"
        ];
        let Some(Packet::PubAck(ack)) = decode_bytes(&long, Protocol::V5).unwrap() else {
            panic!("not a PUBACK")
        };
        assert_eq!(ack.reason, ReasonCode::NOT_AUTHORIZED);
        assert_eq!(ack.properties.reason_string.as_deref(), Some("n"));
        let mut buf = BytesMut::new();
        encode(&Packet::PubAck(ack), Protocol::V5, &mut buf).unwrap();
        assert_eq!(&buf[..], long);
    }

    #[test]
    fn malformed_acks_are_rejected() {
        // PUBREL with flags 0: must be 0b0010 [MQTT-3.6.1-1]
        assert!(matches!(
            decode_bytes(&[0x60, 0x02, 0x00, 0x01], Protocol::V311),
            Err(Error::InvalidFlags { .. })
        ));
        // packet id 0
        assert_eq!(
            decode_bytes(&[0x40, 0x02, 0x00, 0x00], Protocol::V311),
            Err(Error::ZeroPacketId("PUBACK"))
        );
        // PUBCOMP cannot carry 0x10
        assert!(matches!(
            decode_bytes(&[0x70, 0x03, 0x00, 0x01, 0x10], Protocol::V5),
            Err(Error::InvalidReasonCode { .. })
        ));
        // a MQTT 3.1.1 PUBACK has exactly two bytes
        assert!(matches!(
            decode_bytes(&[0x40, 0x03, 0x00, 0x01, 0x00], Protocol::V311),
            Err(Error::TrailingBytes { .. })
        ));
        // truncated packet id
        assert_eq!(
            decode_bytes(&[0x40, 0x01, 0x00], Protocol::V311),
            Err(Error::Truncated("packet identifier"))
        );
    }
}
