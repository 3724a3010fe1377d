//! PUBLISH (MQTT 5.0 §3.3, MQTT 3.1.1 §3.3).
//!
//! ```text
//! fixed header  0011 | DUP | QoS (2 bits) | RETAIN
//! variable      topic name | packet id (QoS 1 and 2 only) | [properties]
//! payload       everything up to the end of the packet
//! ```

use bytes::{BufMut, Bytes, BytesMut};
use bytestring::ByteString;

use super::connect::read_properties;
use super::primitives::{check_string, prefixed_len, put_string, Reader};
use super::properties::{Context, Properties};
use super::{check_packet_id, topic, Error, Protocol, QoS};

/// An application message on its way to or from the server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Publish {
    pub dup: bool,
    pub qos: QoS,
    pub retain: bool,
    /// Empty only in MQTT 5 when a topic alias stands for it. Shared, not
    /// owned: a clone counts a reference, and a decoded topic is a slice of
    /// the packet it came in.
    pub topic: ByteString,
    /// 0 for QoS 0, never 0 otherwise.
    pub packet_id: u16,
    pub properties: Properties,
    pub payload: Bytes,
}

/// How a PUBLISH names its topic on the wire (MQTT 5.0 §3.3.2.3.4). Once a
/// Topic Alias is set on a connection it stands for the topic, and later
/// PUBLISH packets carry the two-byte alias instead of the whole name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Naming {
    /// The topic name, as the message has it.
    #[default]
    Topic,
    /// The topic name, and an alias that stands for it from now on.
    SetAlias(u16),
    /// The alias alone, set earlier on this connection.
    Alias(u16),
}

impl Naming {
    /// The alias the packet carries besides the message's own properties.
    fn alias(self) -> Option<u16> {
        match self {
            Naming::Topic => None,
            Naming::SetAlias(alias) | Naming::Alias(alias) => Some(alias),
        }
    }

    /// An alias is MQTT 5's, never 0, and the only one in the packet.
    pub(crate) fn validate(self, publish: &Publish, protocol: Protocol) -> Result<(), Error> {
        let Some(alias) = self.alias() else {
            return Ok(());
        };
        if !protocol.is_v5() {
            return Err(Error::WrongProtocol {
                packet: "a topic alias",
                protocol,
            });
        }
        if alias == 0 {
            return Err(Error::InvalidPropertyValue {
                name: "Topic Alias",
                value: 0,
            });
        }
        if publish.properties.topic_alias.is_some() {
            return Err(Error::DuplicateProperty("Topic Alias"));
        }
        Ok(())
    }
}

impl Publish {
    pub(crate) fn first_byte(&self) -> u8 {
        0x30 | u8::from(self.dup) << 3 | (self.qos as u8) << 1 | u8::from(self.retain)
    }

    pub(crate) fn decode(flags: u8, r: &mut Reader, protocol: Protocol) -> Result<Publish, Error> {
        let dup = flags & 0x08 != 0;
        let qos = QoS::from_u8((flags >> 1) & 0x03)?;
        // The DUP flag MUST be 0 for all QoS 0 messages [MQTT-3.3.1-2].
        if dup && qos == QoS::AtMostOnce {
            return Err(Error::DupOnQoS0);
        }
        let topic = r.shared_string("topic name")?;
        let packet_id = match qos {
            QoS::AtMostOnce => 0,
            _ => check_packet_id(r.u16("packet identifier")?, "PUBLISH")?,
        };
        let properties = read_properties(r, protocol, Context::Publish)?;
        check_topic(&topic, &properties, protocol)?;
        Ok(Publish {
            dup,
            qos,
            retain: flags & 0x01 != 0,
            topic,
            packet_id,
            properties,
            payload: r.rest(),
        })
    }

    pub(crate) fn validate(&self, protocol: Protocol) -> Result<(), Error> {
        check_string(&self.topic, "topic name")?;
        check_topic(&self.topic, &self.properties, protocol)?;
        if self.qos != QoS::AtMostOnce {
            check_packet_id(self.packet_id, "PUBLISH")?;
        } else if self.dup {
            return Err(Error::DupOnQoS0);
        }
        if protocol.is_v5() {
            self.properties.validate(Context::Publish)?;
        }
        Ok(())
    }

    /// The whole encoded size, without building the packet; the packet id's
    /// value does not change it.
    pub fn encoded_len(&self, protocol: Protocol) -> usize {
        super::packet_len(self.body_len(protocol, Naming::Topic))
    }

    pub(crate) fn body_len(&self, protocol: Protocol, naming: Naming) -> usize {
        let topic = match naming {
            Naming::Alias(_) => 2,
            _ => prefixed_len(self.topic.as_bytes()),
        };
        let mut len = topic + self.payload.len();
        if self.qos != QoS::AtMostOnce {
            len += 2;
        }
        if protocol.is_v5() {
            len += self.properties.encoded_len_with_alias(naming.alias());
        }
        len
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut, protocol: Protocol, naming: Naming) {
        match naming {
            Naming::Alias(_) => put_string(buf, ""),
            _ => put_string(buf, &self.topic),
        }
        if self.qos != QoS::AtMostOnce {
            buf.put_u16(self.packet_id);
        }
        if protocol.is_v5() {
            self.properties.encode_with_alias(naming.alias(), buf);
        }
        buf.put_slice(&self.payload);
    }
}

/// A topic name is valid, or empty with a topic alias in its place in MQTT 5
/// [MQTT-3.3.2-8].
fn check_topic(topic: &str, properties: &Properties, protocol: Protocol) -> Result<(), Error> {
    if topic.is_empty() {
        return match properties.topic_alias {
            Some(_) if protocol.is_v5() => Ok(()),
            _ => Err(Error::EmptyTopicWithoutAlias),
        };
    }
    Ok(topic::validate_name(topic)?)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{decode, encode, encode_publish, Packet, MAX_PACKET_SIZE};
    use super::*;
    use crate::codec::PropertyValues;

    #[test]
    fn qos0_publish_v311() {
        #[rustfmt::skip]
        let bytes = [
            0x31, 0x07,                   // PUBLISH, retain, remaining length 7
            0x00, 0x03, b'a', b'/', b'b', // topic "a/b"
            b'h', b'i',                   // payload "hi"
        ];
        let publish = Publish {
            retain: true,
            topic: "a/b".into(),
            payload: Bytes::from_static(b"hi"),
            ..Publish::default()
        };
        round_trip(&Packet::Publish(publish), Protocol::V311, &bytes);
    }

    #[test]
    fn qos2_dup_publish_v5_with_properties() {
        #[rustfmt::skip]
        let bytes = [
            0x3C, 0x0C,                   // PUBLISH, DUP, QoS 2, remaining length 12
            0x00, 0x01, b't',             // topic "t"
            0x00, 0x07,                   // packet id 7
            0x05,                         // properties, 5 bytes
            0x01, 0x01,                   // payload format: UTF-8
            0x23, 0x00, 0x02,             // topic alias 2
            b'x',                         // payload "x"
        ];
        let publish = Publish {
            dup: true,
            qos: QoS::ExactlyOnce,
            topic: "t".into(),
            packet_id: 7,
            properties: PropertyValues {
                payload_format_indicator: Some(true),
                topic_alias: Some(2),
                ..PropertyValues::default()
            }
            .into(),
            payload: Bytes::from_static(b"x"),
            ..Publish::default()
        };
        round_trip(&Packet::Publish(publish), Protocol::V5, &bytes);
    }

    #[test]
    fn an_aliased_publish_may_have_an_empty_topic() {
        #[rustfmt::skip]
        let bytes = [
            0x30, 0x06,                   // PUBLISH QoS 0, remaining length 6
            0x00, 0x00,                   // empty topic
            0x03, 0x23, 0x00, 0x01,       // properties: topic alias 1
        ];
        let mut buf = BytesMut::from(&bytes[..]);
        let packet = decode(&mut buf, Protocol::V5, MAX_PACKET_SIZE)
            .unwrap()
            .unwrap();
        assert!(matches!(packet, Packet::Publish(p) if p.topic.is_empty()));
        // MQTT 3.1.1 has no topic aliases, so it cannot send an empty topic
        let mut aliased = Publish::default();
        aliased.properties.topic_alias = Some(1);
        assert_eq!(
            encode(
                &Packet::Publish(aliased),
                Protocol::V311,
                &mut BytesMut::new()
            ),
            Err(Error::EmptyTopicWithoutAlias)
        );
        // without the alias, an empty topic is malformed
        let mut buf = BytesMut::from(&[0x30, 0x03, 0x00, 0x00, 0x00][..]);
        assert_eq!(
            decode(&mut buf, Protocol::V5, MAX_PACKET_SIZE),
            Err(Error::EmptyTopicWithoutAlias)
        );
    }

    #[test]
    fn a_topic_is_named_by_an_alias_added_as_it_is_encoded() {
        let publish = Publish {
            qos: QoS::AtLeastOnce,
            topic: "a/b".into(),
            packet_id: 1,
            properties: PropertyValues {
                content_type: Some("t".into()),
                ..PropertyValues::default()
            }
            .into(),
            payload: Bytes::from_static(b"x"),
            ..Publish::default()
        };
        let encoded = |naming| {
            let mut buf = BytesMut::new();
            encode_publish(&publish, naming, Protocol::V5, &mut buf).map(|()| buf)
        };
        #[rustfmt::skip]
        let set = [
            0x32, 0x10,                   // PUBLISH QoS 1, remaining length 16
            0x00, 0x03, b'a', b'/', b'b', // topic "a/b"
            0x00, 0x01,                   // packet id 1
            0x07,                         // properties, 7 bytes
            0x23, 0x00, 0x05,             // topic alias 5, first
            0x03, 0x00, 0x01, b't',       // the message's own content type
            b'x',
        ];
        #[rustfmt::skip]
        let used = [
            0x32, 0x0D,                   // remaining length 13
            0x00, 0x00,                   // empty topic
            0x00, 0x01,
            0x07,
            0x23, 0x00, 0x05,
            0x03, 0x00, 0x01, b't',
            b'x',
        ];
        assert_eq!(encoded(Naming::SetAlias(5)).unwrap(), &set[..]);
        assert_eq!(encoded(Naming::Alias(5)).unwrap(), &used[..]);
        assert_eq!(
            encoded(Naming::Topic).unwrap(),
            encode_bytes(&Packet::Publish(publish.clone()), Protocol::V5)
        );
        // what the broker reads: the alias with the topic, then in its place
        let Packet::Publish(first) = decode_one(&set, Protocol::V5).unwrap() else {
            panic!("a PUBLISH")
        };
        assert_eq!(
            (&*first.topic, first.properties.topic_alias),
            ("a/b", Some(5))
        );
        let Packet::Publish(next) = decode_one(&used, Protocol::V5).unwrap() else {
            panic!("a PUBLISH")
        };
        assert_eq!((&*next.topic, next.properties.topic_alias), ("", Some(5)));
        assert_eq!(next.properties.content_type.as_deref(), Some("t"));

        assert_eq!(
            encoded(Naming::Alias(0)),
            Err(Error::InvalidPropertyValue {
                name: "Topic Alias",
                value: 0
            })
        );
        let mut own_alias = publish.clone();
        own_alias.properties.topic_alias = Some(1);
        assert_eq!(
            encode_publish(
                &own_alias,
                Naming::SetAlias(2),
                Protocol::V5,
                &mut BytesMut::new()
            ),
            Err(Error::DuplicateProperty("Topic Alias"))
        );
        assert!(matches!(
            encode_publish(
                &publish,
                Naming::Alias(1),
                Protocol::V311,
                &mut BytesMut::new()
            ),
            Err(Error::WrongProtocol { .. })
        ));
    }

    #[test]
    fn malformed_publishes_are_rejected() {
        let cases: [(&[u8], Error); 4] = [
            // QoS 3
            (
                &[0x36, 0x05, 0x00, 0x01, b't', 0x00, 0x01],
                Error::InvalidQoS(3),
            ),
            // DUP on QoS 0
            (&[0x38, 0x03, 0x00, 0x01, b't'], Error::DupOnQoS0),
            // QoS 1 with packet id 0
            (
                &[0x32, 0x05, 0x00, 0x01, b't', 0x00, 0x00],
                Error::ZeroPacketId("PUBLISH"),
            ),
            // wildcard in the topic name
            (
                &[0x30, 0x03, 0x00, 0x01, b'#'],
                Error::Topic(topic::TopicError {
                    topic: "#".into(),
                    why: "a topic name must not contain the wildcards + or #",
                }),
            ),
        ];
        for (bytes, error) in cases {
            let mut buf = BytesMut::from(bytes);
            assert_eq!(
                decode(&mut buf, Protocol::V311, MAX_PACKET_SIZE),
                Err(error)
            );
        }
    }

    #[test]
    fn the_topic_and_payload_share_the_read_buffer() {
        #[rustfmt::skip]
        let bytes = [
            0x30, 0x08,                   // PUBLISH QoS 0, remaining length 8
            0x00, 0x03, b'a', b'/', b'b', // topic "a/b"
            b'a', b'b', b'c',             // payload "abc"
        ];
        let mut buf = BytesMut::from(&bytes[..]);
        let start = buf.as_ptr() as usize;
        let Some(Packet::Publish(p)) = decode(&mut buf, Protocol::V311, MAX_PACKET_SIZE).unwrap()
        else {
            panic!("not a publish")
        };
        assert_eq!(p.topic, "a/b");
        assert_eq!(p.topic.as_ptr() as usize, start + 4);
        assert_eq!(p.payload.as_ptr() as usize, start + 7);
        // and a clone of the topic is the same memory, not a copy
        assert_eq!(p.topic.clone().as_ptr(), p.topic.as_ptr());
    }
}
