//! CONNECT and CONNACK (MQTT 5.0 §3.1, §3.2; MQTT 3.1.1 §3.1, §3.2).
//!
//! ```text
//! CONNECT  protocol name | level | flags | keep alive | [properties]
//!          client id | [will properties] [will topic] [will payload]
//!          [user name] [password]
//! flags    7 user name | 6 password | 5 will retain | 4-3 will QoS
//!          2 will | 1 clean start | 0 reserved
//! CONNACK  flags (0 session present) | reason code | [properties]
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use super::primitives::{check_len, check_string, prefixed_len, put_binary, put_string, Reader};
use super::properties::{Context, Properties};
use super::reason::{self, ReasonCode};
use super::{topic, Error, Protocol, QoS};

/// A client's request to open a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    pub protocol: Protocol,
    pub clean_start: bool,
    /// Seconds; 0 turns keep alive off.
    pub keep_alive: u16,
    /// Empty asks the server to assign one (MQTT 5) or to use a temporary one.
    pub client_id: String,
    pub will: Option<Will>,
    pub username: Option<String>,
    pub password: Option<Bytes>,
    pub properties: Properties,
}

/// The message the server publishes when the client vanishes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Will {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    pub properties: Properties,
}

impl Connect {
    pub(crate) fn decode(r: &mut Reader) -> Result<Connect, Error> {
        let name = r.string("protocol name")?;
        let level = r.u8("protocol level")?;
        let protocol = match (name.as_str(), level) {
            ("MQTT", 4) => Protocol::V311,
            ("MQTT", 5) => Protocol::V5,
            ("MQIsdp", 3) => Protocol::V31,
            _ => return Err(Error::UnsupportedProtocol { name, level }),
        };
        let flags = r.u8("connect flags")?;
        let has_will = flags & 0x04 != 0;
        let will_qos = QoS::from_u8((flags >> 3) & 0x03)?;
        let will_retain = flags & 0x20 != 0;
        let has_password = flags & 0x40 != 0;
        let has_username = flags & 0x80 != 0;
        let reserved = flags & 0x01 != 0;
        let will_bits_without_will = !has_will && (will_qos != QoS::AtMostOnce || will_retain);
        // MQTT 3.1.1 forbids a password without a user name [MQTT-3.1.2-22].
        let lone_password = !protocol.is_v5() && has_password && !has_username;
        if reserved || will_bits_without_will || lone_password {
            return Err(Error::InvalidConnectFlags(flags));
        }
        let keep_alive = r.u16("keep alive")?;
        let properties = read_properties(r, protocol, Context::Connect)?;
        let client_id = r.string("client identifier")?;
        let will = if has_will {
            let properties = read_properties(r, protocol, Context::Will)?;
            let topic = r.string("will topic")?;
            topic::validate_name(&topic)?;
            Some(Will {
                topic,
                payload: r.binary("will payload")?,
                qos: will_qos,
                retain: will_retain,
                properties,
            })
        } else {
            None
        };
        let username = has_username.then(|| r.string("user name")).transpose()?;
        let password = has_password.then(|| r.binary("password")).transpose()?;
        Ok(Connect {
            protocol,
            clean_start: flags & 0x02 != 0,
            keep_alive,
            client_id,
            will,
            username,
            password,
            properties,
        })
    }

    fn flags(&self) -> u8 {
        let mut flags = 0;
        if self.clean_start {
            flags |= 0x02;
        }
        if let Some(will) = &self.will {
            flags |= 0x04 | (will.qos as u8) << 3;
            if will.retain {
                flags |= 0x20;
            }
        }
        if self.password.is_some() {
            flags |= 0x40;
        }
        if self.username.is_some() {
            flags |= 0x80;
        }
        flags
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let v5 = self.protocol.is_v5();
        check_string(&self.client_id, "client identifier")?;
        if let Some(will) = &self.will {
            topic::validate_name(&will.topic)?;
            check_len(&will.payload, "will payload")?;
            if v5 {
                will.properties.validate(Context::Will)?;
            }
        }
        if let Some(username) = &self.username {
            check_string(username, "user name")?;
        }
        if let Some(password) = &self.password {
            check_len(password, "password")?;
            if !v5 && self.username.is_none() {
                return Err(Error::InvalidConnectFlags(self.flags()));
            }
        }
        if v5 {
            self.properties.validate(Context::Connect)?;
        }
        Ok(())
    }

    pub(crate) fn body_len(&self) -> usize {
        let v5 = self.protocol.is_v5();
        let mut len = prefixed_len(self.protocol.name().as_bytes()) + 1 + 1 + 2;
        if v5 {
            len += self.properties.encoded_len();
        }
        len += prefixed_len(self.client_id.as_bytes());
        if let Some(will) = &self.will {
            if v5 {
                len += will.properties.encoded_len();
            }
            len += prefixed_len(will.topic.as_bytes()) + prefixed_len(&will.payload);
        }
        if let Some(username) = &self.username {
            len += prefixed_len(username.as_bytes());
        }
        if let Some(password) = &self.password {
            len += prefixed_len(password);
        }
        len
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        let v5 = self.protocol.is_v5();
        put_string(buf, self.protocol.name());
        buf.put_u8(self.protocol.level());
        buf.put_u8(self.flags());
        buf.put_u16(self.keep_alive);
        if v5 {
            self.properties.encode(buf);
        }
        put_string(buf, &self.client_id);
        if let Some(will) = &self.will {
            if v5 {
                will.properties.encode(buf);
            }
            put_string(buf, &will.topic);
            put_binary(buf, &will.payload);
        }
        if let Some(username) = &self.username {
            put_string(buf, username);
        }
        if let Some(password) = &self.password {
            put_binary(buf, password);
        }
    }
}

/// Reads a properties block in MQTT 5; MQTT 3.x has none.
pub(crate) fn read_properties(
    r: &mut Reader,
    protocol: Protocol,
    context: Context,
) -> Result<Properties, Error> {
    if protocol.is_v5() {
        Properties::decode(r, context)
    } else {
        Ok(Properties::default())
    }
}

/// The server's answer to CONNECT.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnAck {
    pub session_present: bool,
    /// MQTT 3.1.1 return codes are mapped to their MQTT 5 equivalents.
    pub reason: ReasonCode,
    pub properties: Properties,
}

impl ConnAck {
    pub(crate) fn decode(r: &mut Reader, protocol: Protocol) -> Result<ConnAck, Error> {
        let flags = r.u8("connack flags")?;
        if flags & 0xFE != 0 {
            return Err(Error::InvalidConnAckFlags(flags));
        }
        let code = r.u8("connack reason code")?;
        let reason = if protocol.is_v5() {
            reason::check(ReasonCode(code), reason::allowed::CONNACK, "CONNACK")?
        } else {
            reason::from_v311_connack(code)?
        };
        // Some servers leave the properties out of a refusal; treat that as none.
        let properties = if protocol.is_v5() && r.remaining() > 0 {
            Properties::decode(r, Context::ConnAck)?
        } else {
            Properties::default()
        };
        Ok(ConnAck {
            session_present: flags & 0x01 != 0,
            reason,
            properties,
        })
    }

    pub(crate) fn validate(&self, protocol: Protocol) -> Result<(), Error> {
        if protocol.is_v5() {
            reason::check(self.reason, reason::allowed::CONNACK, "CONNACK")?;
            self.properties.validate(Context::ConnAck)
        } else {
            reason::to_v311_connack(self.reason).map(|_| ())
        }
    }

    pub(crate) fn body_len(&self, protocol: Protocol) -> usize {
        2 + if protocol.is_v5() {
            self.properties.encoded_len()
        } else {
            0
        }
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut, protocol: Protocol) {
        buf.put_u8(u8::from(self.session_present));
        if protocol.is_v5() {
            buf.put_u8(self.reason.0);
            self.properties.encode(buf);
        } else {
            // validate() has checked that a 3.1.1 return code exists.
            buf.put_u8(reason::to_v311_connack(self.reason).unwrap_or(0x03));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::Packet;
    use super::*;
    use crate::codec::PropertyValues;

    #[rustfmt::skip]
    const CONNECT_V311: &[u8] = &[
        0x10, 0x26,                               // CONNECT, remaining length 38
        0x00, 0x04, b'M', b'Q', b'T', b'T',       // protocol name
        0x04,                                     // level 4
        0xEE,                                     // user, password, will retain, will QoS 1, will, clean
        0x00, 0x3C,                               // keep alive 60
        0x00, 0x03, b'c', b'i', b'd',             // client id "cid"
        0x00, 0x03, b'w', b'/', b't',             // will topic "w/t"
        0x00, 0x04, b'g', b'o', b'n', b'e',       // will payload "gone"
        0x00, 0x04, b'u', b's', b'e', b'r',       // user name "user"
        0x00, 0x04, b'p', b'a', b's', b's',       // password "pass"
    ];

    fn connect_v311() -> Connect {
        Connect {
            protocol: Protocol::V311,
            clean_start: true,
            keep_alive: 60,
            client_id: "cid".into(),
            will: Some(Will {
                topic: "w/t".into(),
                payload: Bytes::from_static(b"gone"),
                qos: QoS::AtLeastOnce,
                retain: true,
                properties: Properties::default(),
            }),
            username: Some("user".into()),
            password: Some(Bytes::from_static(b"pass")),
            properties: Properties::default(),
        }
    }

    #[test]
    fn connect_v311_matches_bytes_both_ways() {
        let packet = Packet::Connect(Box::new(connect_v311()));
        assert_eq!(encode_bytes(&packet, Protocol::V311), CONNECT_V311);
        assert_eq!(decode_one(CONNECT_V311, Protocol::V5).unwrap(), packet);
    }

    #[test]
    fn connect_v31_uses_mqisdp() {
        #[rustfmt::skip]
        let bytes = [
            0x10, 0x11,                                   // CONNECT, remaining length 17
            0x00, 0x06, b'M', b'Q', b'I', b's', b'd', b'p', // protocol name "MQIsdp"
            0x03,                                         // level 3
            0x02,                                         // clean session
            0x00, 0x0A,                                   // keep alive 10
            0x00, 0x03, b'a', b'b', b'c',                 // client id "abc"
        ];
        let connect = Connect {
            protocol: Protocol::V31,
            clean_start: true,
            keep_alive: 10,
            client_id: "abc".into(),
            will: None,
            username: None,
            password: None,
            properties: Properties::default(),
        };
        let packet = Packet::Connect(Box::new(connect));
        assert_eq!(encode_bytes(&packet, Protocol::V31), bytes);
        assert_eq!(decode_one(&bytes, Protocol::V311).unwrap(), packet);
    }

    #[test]
    fn connect_v5_carries_properties() {
        #[rustfmt::skip]
        let bytes = [
            0x10, 0x1D,                          // CONNECT, remaining length 29
            0x00, 0x04, b'M', b'Q', b'T', b'T',  // protocol name
            0x05,                                // level 5
            0x06,                                // will, clean start
            0x00, 0x00,                          // keep alive off
            0x05, 0x11, 0x00, 0x00, 0x0E, 0x10,  // properties: session expiry 3600
            0x00, 0x00,                          // empty client id
            0x05, 0x18, 0x00, 0x00, 0x00, 0x05,  // will properties: will delay 5
            0x00, 0x01, b'w',                    // will topic "w"
            0x00, 0x00,                          // empty will payload
        ];
        let connect = Connect {
            protocol: Protocol::V5,
            clean_start: true,
            keep_alive: 0,
            client_id: String::new(),
            will: Some(Will {
                topic: "w".into(),
                properties: PropertyValues {
                    will_delay_interval: Some(5),
                    ..PropertyValues::default()
                }
                .into(),
                ..Will::default()
            }),
            username: None,
            password: None,
            properties: PropertyValues {
                session_expiry_interval: Some(3600),
                ..PropertyValues::default()
            }
            .into(),
        };
        let packet = Packet::Connect(Box::new(connect));
        assert_eq!(encode_bytes(&packet, Protocol::V5), bytes);
        assert_eq!(decode_one(&bytes, Protocol::V5).unwrap(), packet);
    }

    #[test]
    fn malformed_connects_are_rejected() {
        let mut reserved = CONNECT_V311.to_vec();
        reserved[9] |= 0x01; // reserved flag bit
        assert_eq!(
            decode_one(&reserved, Protocol::V311),
            Err(Error::InvalidConnectFlags(0xEF))
        );
        let mut qos3 = CONNECT_V311.to_vec();
        qos3[9] |= 0x18; // will QoS 3
        assert_eq!(decode_one(&qos3, Protocol::V311), Err(Error::InvalidQoS(3)));
        let mut level = CONNECT_V311.to_vec();
        level[8] = 6; // unknown protocol level
        assert!(matches!(
            decode_one(&level, Protocol::V311),
            Err(Error::UnsupportedProtocol { level: 6, .. })
        ));
        let mut wildcard_will = CONNECT_V311.to_vec();
        wildcard_will[21] = b'#'; // will topic "w/#"
        assert!(matches!(
            decode_one(&wildcard_will, Protocol::V311),
            Err(Error::Topic(_))
        ));
    }

    #[test]
    fn connack_v311_return_codes_map_to_reason_codes() {
        // CONNACK, length 2, session present, return code 4 (bad user name or password)
        let bytes = [0x20, 0x02, 0x01, 0x04];
        let packet = decode_one(&bytes, Protocol::V311).unwrap();
        let expected = Packet::ConnAck(ConnAck {
            session_present: true,
            reason: ReasonCode::BAD_USERNAME_OR_PASSWORD,
            properties: Properties::default(),
        });
        assert_eq!(packet, expected);
        assert_eq!(encode_bytes(&expected, Protocol::V311), bytes);
        // return code 6 does not exist
        assert!(decode_one(&[0x20, 0x02, 0x00, 0x06], Protocol::V311).is_err());
        // reserved acknowledge flag bit
        assert!(decode_one(&[0x20, 0x02, 0x02, 0x00], Protocol::V311).is_err());
    }

    #[test]
    fn connack_v5_carries_server_limits() {
        #[rustfmt::skip]
        let bytes = [
            0x20, 0x0A,             // CONNACK, remaining length 10
            0x00,                   // no session present
            0x00,                   // success
            0x07,                   // properties, 7 bytes
            0x21, 0x00, 0x0A,       // receive maximum 10
            0x24, 0x01,             // maximum QoS 1
            0x25, 0x00,             // retain not available
        ];
        let expected = Packet::ConnAck(ConnAck {
            session_present: false,
            reason: ReasonCode::SUCCESS,
            properties: PropertyValues {
                receive_maximum: Some(10),
                maximum_qos: Some(QoS::AtLeastOnce),
                retain_available: Some(false),
                ..PropertyValues::default()
            }
            .into(),
        });
        assert_eq!(decode_one(&bytes, Protocol::V5).unwrap(), expected);
        assert_eq!(encode_bytes(&expected, Protocol::V5), bytes);
        // a refusal without properties, as some servers send it: 0x84 unsupported version
        let refusal = decode_one(&[0x20, 0x02, 0x00, 0x84], Protocol::V5).unwrap();
        assert!(
            matches!(refusal, Packet::ConnAck(c) if c.reason == ReasonCode::UNSUPPORTED_PROTOCOL_VERSION)
        );
        // 0x04 is no CONNACK reason code
        assert!(decode_one(&[0x20, 0x03, 0x00, 0x04, 0x00], Protocol::V5).is_err());
    }
}
