//! The pure MQTT codec: bytes in, packets out, for MQTT 3.1, 3.1.1 and 5.0.
//!
//! No I/O happens here. [`decode`] takes whole packets off the front of a read
//! buffer (answering `Ok(None)` while a packet is still incomplete) and [`encode`]
//! appends a packet to a write buffer, so many packets can leave in one write.
//! Payloads come out as [`Bytes`] and topic names as [`ByteString`], both
//! sharing the read buffer's memory.
//!
//! Every protocol version decodes into the same structs; MQTT 3.1.1 packets simply
//! have no properties, and its CONNACK return codes are mapped onto the MQTT 5
//! reason codes so that callers handle one set.
//!
//! ```
//! use bytes::BytesMut;
//! use mqtk::codec::{decode, encode, Packet, Protocol, Publish, MAX_PACKET_SIZE};
//!
//! let reading = Packet::Publish(Publish {
//!     topic: "house/kitchen/temperature".into(),
//!     payload: "21.5".into(),
//!     ..Publish::default()
//! });
//! let mut buf = BytesMut::new();
//! encode(&reading, Protocol::V5, &mut buf).unwrap();
//! encode(&Packet::PingReq, Protocol::V5, &mut buf).unwrap();
//! // Two packets in one buffer come out one by one, then "need more bytes".
//! assert_eq!(decode(&mut buf, Protocol::V5, MAX_PACKET_SIZE), Ok(Some(reading)));
//! assert_eq!(decode(&mut buf, Protocol::V5, MAX_PACKET_SIZE), Ok(Some(Packet::PingReq)));
//! assert_eq!(decode(&mut buf, Protocol::V5, MAX_PACKET_SIZE), Ok(None));
//! ```
//!
//! Layout:
//! - `primitives`: integers, variable byte integers, strings and binary data
//! - `properties`: the MQTT 5 properties, with where each one is allowed
//! - `reason`: reason codes, their names and which packet may carry which
//! - `topic`: topic name and filter validation and matching
//! - `connect`, `publish`, `ack`, `subscribe`, `disconnect`: one file per packet family

mod ack;
mod connect;
mod disconnect;
mod primitives;
mod properties;
mod publish;
mod reason;
mod subscribe;
#[cfg(test)]
mod testing;
pub mod topic;

use bytes::{Buf, Bytes, BytesMut};

pub use ack::{Ack, AckKind};
/// The topic name of a [`Publish`]: an immutable UTF-8 string in a [`Bytes`].
pub use bytestring::ByteString;
pub use connect::{ConnAck, Connect, Will};
pub use disconnect::{Auth, Disconnect};
pub use properties::{Properties, PropertyValues};
pub use publish::{Naming, Publish};
pub use reason::ReasonCode;
pub use subscribe::{RetainHandling, SubAck, Subscribe, Subscription, UnsubAck, Unsubscribe};

use primitives::Reader;
pub use primitives::MAX_VARINT;

/// The largest remaining length the four-byte variable integer can express.
pub const MAX_REMAINING_LENGTH: usize = MAX_VARINT as usize;

/// The largest packet MQTT can carry: one header byte, four length bytes and the body.
pub const MAX_PACKET_SIZE: usize = 1 + 4 + MAX_REMAINING_LENGTH;

/// The most [`decode`] reserves ahead for an incomplete packet.
const RESERVE_LIMIT: usize = 1 << 20;

/// The protocol version spoken on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// MQTT 3.1 (protocol name "MQIsdp", level 3).
    V31,
    /// MQTT 3.1.1 (level 4).
    V311,
    /// MQTT 5.0 (level 5).
    V5,
}

impl Protocol {
    /// The protocol level byte of CONNECT.
    pub fn level(self) -> u8 {
        match self {
            Protocol::V31 => 3,
            Protocol::V311 => 4,
            Protocol::V5 => 5,
        }
    }

    /// The protocol name string of CONNECT.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::V31 => "MQIsdp",
            Protocol::V311 | Protocol::V5 => "MQTT",
        }
    }

    /// Whether packets carry MQTT 5 properties and reason codes.
    pub fn is_v5(self) -> bool {
        self == Protocol::V5
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protocol::V31 => "3.1",
            Protocol::V311 => "3.1.1",
            Protocol::V5 => "5",
        })
    }
}

/// Quality of service of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum QoS {
    /// At most once.
    #[default]
    AtMostOnce = 0,
    /// At least once (PUBACK).
    AtLeastOnce = 1,
    /// Exactly once (PUBREC, PUBREL, PUBCOMP).
    ExactlyOnce = 2,
}

impl QoS {
    /// The QoS for a two-bit value; 3 is malformed.
    pub fn from_u8(value: u8) -> Result<QoS, Error> {
        match value {
            0 => Ok(QoS::AtMostOnce),
            1 => Ok(QoS::AtLeastOnce),
            2 => Ok(QoS::ExactlyOnce),
            _ => Err(Error::InvalidQoS(value)),
        }
    }
}

/// Every MQTT control packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    Connect(Box<Connect>),
    ConnAck(ConnAck),
    Publish(Publish),
    PubAck(Ack),
    PubRec(Ack),
    PubRel(Ack),
    PubComp(Ack),
    Subscribe(Subscribe),
    SubAck(SubAck),
    Unsubscribe(Unsubscribe),
    UnsubAck(UnsubAck),
    PingReq,
    PingResp,
    Disconnect(Disconnect),
    Auth(Auth),
}

impl Packet {
    /// The packet's name as the specification writes it, for errors and traces.
    pub fn name(&self) -> &'static str {
        match self {
            Packet::Connect(_) => "CONNECT",
            Packet::ConnAck(_) => "CONNACK",
            Packet::Publish(_) => "PUBLISH",
            Packet::PubAck(_) => "PUBACK",
            Packet::PubRec(_) => "PUBREC",
            Packet::PubRel(_) => "PUBREL",
            Packet::PubComp(_) => "PUBCOMP",
            Packet::Subscribe(_) => "SUBSCRIBE",
            Packet::SubAck(_) => "SUBACK",
            Packet::Unsubscribe(_) => "UNSUBSCRIBE",
            Packet::UnsubAck(_) => "UNSUBACK",
            Packet::PingReq => "PINGREQ",
            Packet::PingResp => "PINGRESP",
            Packet::Disconnect(_) => "DISCONNECT",
            Packet::Auth(_) => "AUTH",
        }
    }

    /// An acknowledgement packet of the given kind.
    pub fn ack(ack: Ack) -> Packet {
        match ack.kind {
            AckKind::PubAck => Packet::PubAck(ack),
            AckKind::PubRec => Packet::PubRec(ack),
            AckKind::PubRel => Packet::PubRel(ack),
            AckKind::PubComp => Packet::PubComp(ack),
        }
    }

    /// The first byte of the fixed header: packet type and flags.
    fn first_byte(&self) -> u8 {
        match self {
            Packet::Connect(_) => 0x10,
            Packet::ConnAck(_) => 0x20,
            Packet::Publish(p) => p.first_byte(),
            Packet::PubAck(_) => 0x40,
            Packet::PubRec(_) => 0x50,
            Packet::PubRel(_) => 0x62,
            Packet::PubComp(_) => 0x70,
            Packet::Subscribe(_) => 0x82,
            Packet::SubAck(_) => 0x90,
            Packet::Unsubscribe(_) => 0xA2,
            Packet::UnsubAck(_) => 0xB0,
            Packet::PingReq => 0xC0,
            Packet::PingResp => 0xD0,
            Packet::Disconnect(_) => 0xE0,
            Packet::Auth(_) => 0xF0,
        }
    }

    /// The length of everything after the fixed header.
    fn body_len(&self, protocol: Protocol) -> usize {
        match self {
            Packet::Connect(c) => c.body_len(),
            Packet::ConnAck(c) => c.body_len(protocol),
            Packet::Publish(p) => p.body_len(protocol, Naming::Topic),
            Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a) => {
                a.body_len(protocol)
            }
            Packet::Subscribe(s) => s.body_len(protocol),
            Packet::SubAck(s) => s.body_len(protocol),
            Packet::Unsubscribe(u) => u.body_len(protocol),
            Packet::UnsubAck(u) => u.body_len(protocol),
            Packet::PingReq | Packet::PingResp => 0,
            Packet::Disconnect(d) => d.body_len(protocol),
            Packet::Auth(a) => a.body_len(),
        }
    }

    /// The whole encoded size of the packet, fixed header included.
    pub fn encoded_len(&self, protocol: Protocol) -> usize {
        packet_len(self.body_len(protocol))
    }
}

/// A packet's whole size from the size of its body.
fn packet_len(body_len: usize) -> usize {
    1 + primitives::varint_len(body_len) + body_len
}

/// What is wrong with bytes that do not form a valid packet, or a packet that
/// cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("malformed remaining length (more than four bytes)")]
    MalformedRemainingLength,
    #[error("packet of {size} bytes exceeds the maximum packet size of {max} bytes")]
    PacketTooLarge { size: usize, max: usize },
    #[error("unknown packet type {0}")]
    InvalidPacketType(u8),
    #[error("{packet} is not valid in MQTT {protocol}")]
    WrongProtocol {
        packet: &'static str,
        protocol: Protocol,
    },
    #[error("reserved fixed header flags {flags:#06b} in {packet}")]
    InvalidFlags { packet: &'static str, flags: u8 },
    #[error("{0} ends early")]
    Truncated(&'static str),
    #[error("{count} unexpected bytes at the end of {packet}")]
    TrailingBytes { packet: &'static str, count: usize },
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    #[error("string contains the null character U+0000")]
    NullCharacter,
    #[error("{0} is longer than 65535 bytes")]
    TooLong(&'static str),
    #[error("invalid QoS {0}")]
    InvalidQoS(u8),
    #[error("packet identifier 0 in {0}")]
    ZeroPacketId(&'static str),
    #[error("DUP flag set on a QoS 0 PUBLISH")]
    DupOnQoS0,
    #[error("unsupported protocol {name:?} level {level}")]
    UnsupportedProtocol { name: String, level: u8 },
    #[error("malformed CONNECT flags {0:#010b}")]
    InvalidConnectFlags(u8),
    #[error("malformed CONNACK flags {0:#010b}")]
    InvalidConnAckFlags(u8),
    #[error("unknown property identifier {0:#04x}")]
    UnknownProperty(u32),
    #[error("property {name} is not allowed in {context}")]
    PropertyNotAllowed {
        name: &'static str,
        context: &'static str,
    },
    #[error("property {0} appears more than once")]
    DuplicateProperty(&'static str),
    #[error("invalid value {value} for property {name}")]
    InvalidPropertyValue { name: &'static str, value: u32 },
    #[error("reason code {code:#04x} is not valid in {packet}")]
    InvalidReasonCode { packet: &'static str, code: u8 },
    #[error("invalid topic: {0}")]
    Topic(#[from] topic::TopicError),
    #[error("{0} has no topic filters")]
    NoTopicFilters(&'static str),
    #[error("{0} has no reason codes")]
    NoReasonCodes(&'static str),
    #[error("malformed subscription options {0:#010b}")]
    InvalidSubscriptionOptions(u8),
    #[error("no local is not allowed on the shared subscription {0:?}")]
    NoLocalOnSharedSubscription(String),
    #[error("PUBLISH with an empty topic and no topic alias")]
    EmptyTopicWithoutAlias,
}

/// Peeks at the fixed header at the front of `buf`.
///
/// Returns the total length of the first packet (header included) once enough of
/// the header is buffered to know it, `Ok(None)` while it is not, and an error
/// for a malformed length or one over `max_packet_size`, before any payload is
/// buffered.
pub fn frame_len(buf: &[u8], max_packet_size: usize) -> Result<Option<usize>, Error> {
    Ok(fixed_header(buf, max_packet_size)?.map(|(_, total)| total))
}

/// The fixed header's own length and the packet's total length, when known.
fn fixed_header(buf: &[u8], max_packet_size: usize) -> Result<Option<(usize, usize)>, Error> {
    let mut remaining: usize = 0;
    for (i, &byte) in buf.iter().skip(1).take(4).enumerate() {
        remaining |= ((byte & 0x7F) as usize) << (7 * i);
        if byte & 0x80 == 0 {
            let header_len = 1 + i + 1;
            let total = header_len + remaining;
            if total > max_packet_size {
                return Err(Error::PacketTooLarge {
                    size: total,
                    max: max_packet_size,
                });
            }
            return Ok(Some((header_len, total)));
        }
    }
    if buf.len() >= 5 {
        return Err(Error::MalformedRemainingLength);
    }
    Ok(None)
}

/// Takes the first whole packet off the front of `buf`.
///
/// `Ok(None)` means more bytes are needed; `buf` is then left untouched but for
/// room reserved for the rest of the packet. A CONNECT is decoded by the version
/// it announces itself; every other packet by `protocol`.
pub fn decode(
    buf: &mut BytesMut,
    protocol: Protocol,
    max_packet_size: usize,
) -> Result<Option<Packet>, Error> {
    let Some((header_len, total)) = fixed_header(buf, max_packet_size)? else {
        return Ok(None);
    };
    if buf.len() < total {
        // Make room for the rest, but no more than RESERVE_LIMIT at a time: a
        // peer must send the bytes, not only announce them (a length of
        // 256 MiB takes 1 MiB until the bytes come).
        buf.reserve((total - buf.len()).min(RESERVE_LIMIT));
        return Ok(None);
    }
    let first = buf[0];
    let mut frame = buf.split_to(total).freeze();
    frame.advance(header_len);
    decode_body(first, frame, protocol).map(Some)
}

/// Decodes a packet body once its fixed header has been read.
fn decode_body(first: u8, body: Bytes, protocol: Protocol) -> Result<Packet, Error> {
    let flags = first & 0x0F;
    let expect_flags = |packet: &'static str, expected: u8| {
        if flags == expected {
            Ok(())
        } else {
            Err(Error::InvalidFlags { packet, flags })
        }
    };
    let mut r = Reader::new(body);
    let packet = match first >> 4 {
        1 => {
            expect_flags("CONNECT", 0)?;
            Packet::Connect(Box::new(Connect::decode(&mut r)?))
        }
        2 => {
            expect_flags("CONNACK", 0)?;
            Packet::ConnAck(ConnAck::decode(&mut r, protocol)?)
        }
        3 => Packet::Publish(Publish::decode(flags, &mut r, protocol)?),
        4 => {
            expect_flags("PUBACK", 0)?;
            Packet::PubAck(Ack::decode(AckKind::PubAck, &mut r, protocol)?)
        }
        5 => {
            expect_flags("PUBREC", 0)?;
            Packet::PubRec(Ack::decode(AckKind::PubRec, &mut r, protocol)?)
        }
        6 => {
            expect_flags("PUBREL", 0b0010)?;
            Packet::PubRel(Ack::decode(AckKind::PubRel, &mut r, protocol)?)
        }
        7 => {
            expect_flags("PUBCOMP", 0)?;
            Packet::PubComp(Ack::decode(AckKind::PubComp, &mut r, protocol)?)
        }
        8 => {
            expect_flags("SUBSCRIBE", 0b0010)?;
            Packet::Subscribe(Subscribe::decode(&mut r, protocol)?)
        }
        9 => {
            expect_flags("SUBACK", 0)?;
            Packet::SubAck(SubAck::decode(&mut r, protocol)?)
        }
        10 => {
            expect_flags("UNSUBSCRIBE", 0b0010)?;
            Packet::Unsubscribe(Unsubscribe::decode(&mut r, protocol)?)
        }
        11 => {
            expect_flags("UNSUBACK", 0)?;
            Packet::UnsubAck(UnsubAck::decode(&mut r, protocol)?)
        }
        12 => {
            expect_flags("PINGREQ", 0)?;
            Packet::PingReq
        }
        13 => {
            expect_flags("PINGRESP", 0)?;
            Packet::PingResp
        }
        14 => {
            expect_flags("DISCONNECT", 0)?;
            Packet::Disconnect(Disconnect::decode(&mut r, protocol)?)
        }
        15 if protocol.is_v5() => {
            expect_flags("AUTH", 0)?;
            Packet::Auth(Auth::decode(&mut r)?)
        }
        15 => {
            return Err(Error::WrongProtocol {
                packet: "AUTH",
                protocol,
            })
        }
        other => return Err(Error::InvalidPacketType(other)),
    };
    r.finish(packet.name())?;
    Ok(packet)
}

/// Appends `packet` to `buf` in the encoding of `protocol`.
///
/// Fails, leaving `buf` as it was, when the packet cannot be expressed: an
/// invalid topic, a string over 65535 bytes, a packet over the 256 MiB limit,
/// or an AUTH outside MQTT 5. A CONNECT is encoded in its own version.
pub fn encode(packet: &Packet, protocol: Protocol, buf: &mut BytesMut) -> Result<(), Error> {
    validate_for_encoding(packet, protocol)?;
    let body_len = packet.body_len(protocol);
    let start = put_fixed_header(packet.first_byte(), body_len, buf)?;
    match packet {
        Packet::Connect(c) => c.encode(buf),
        Packet::ConnAck(c) => c.encode(buf, protocol),
        Packet::Publish(p) => p.encode(buf, protocol, Naming::Topic),
        Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a) => {
            a.encode(buf, protocol)
        }
        Packet::Subscribe(s) => s.encode(buf, protocol),
        Packet::SubAck(s) => s.encode(buf, protocol),
        Packet::Unsubscribe(u) => u.encode(buf, protocol),
        Packet::UnsubAck(u) => u.encode(buf, protocol),
        Packet::PingReq | Packet::PingResp => {}
        Packet::Disconnect(d) => d.encode(buf, protocol),
        Packet::Auth(a) => a.encode(buf),
    }
    debug_assert_eq!(buf.len() - start, body_len, "{} body length", packet.name());
    Ok(())
}

/// Appends a PUBLISH whose topic is named as `naming` says, a Topic Alias
/// added to its properties where it has one: [`encode`] for a client that
/// keeps the message itself as it was, to send again in full after a
/// reconnect, when aliases are forgotten.
pub fn encode_publish(
    publish: &Publish,
    naming: Naming,
    protocol: Protocol,
    buf: &mut BytesMut,
) -> Result<(), Error> {
    publish.validate(protocol)?;
    naming.validate(publish, protocol)?;
    let body_len = publish.body_len(protocol, naming);
    let start = put_fixed_header(publish.first_byte(), body_len, buf)?;
    publish.encode(buf, protocol, naming);
    debug_assert_eq!(buf.len() - start, body_len, "PUBLISH body length");
    Ok(())
}

/// Appends the fixed header of a packet whose body will be `body_len` bytes,
/// with room reserved for the body; returns where the body starts.
fn put_fixed_header(first_byte: u8, body_len: usize, buf: &mut BytesMut) -> Result<usize, Error> {
    if body_len > MAX_REMAINING_LENGTH {
        return Err(Error::PacketTooLarge {
            size: 1 + 4 + body_len,
            max: MAX_PACKET_SIZE,
        });
    }
    buf.reserve(1 + 4 + body_len);
    buf.extend_from_slice(&[first_byte]);
    primitives::put_varint(buf, body_len as u32);
    Ok(buf.len())
}

/// Everything that would make an encoded packet invalid, checked before any byte
/// is written so that a failed encode leaves the buffer untouched.
fn validate_for_encoding(packet: &Packet, protocol: Protocol) -> Result<(), Error> {
    match packet {
        Packet::Connect(c) => c.validate(),
        Packet::ConnAck(c) => c.validate(protocol),
        Packet::Publish(p) => p.validate(protocol),
        Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a) => {
            a.validate(protocol)
        }
        Packet::Subscribe(s) => s.validate(protocol),
        Packet::SubAck(s) => s.validate(protocol),
        Packet::Unsubscribe(u) => u.validate(protocol),
        Packet::UnsubAck(u) => u.validate(protocol),
        Packet::PingReq | Packet::PingResp => Ok(()),
        Packet::Disconnect(d) => d.validate(protocol),
        Packet::Auth(a) if protocol.is_v5() => a.validate(),
        Packet::Auth(_) => Err(Error::WrongProtocol {
            packet: "AUTH",
            protocol,
        }),
    }
}

/// Checks that a packet identifier required by `packet` is not zero.
fn check_packet_id(id: u16, packet: &'static str) -> Result<u16, Error> {
    if id == 0 {
        Err(Error::ZeroPacketId(packet))
    } else {
        Ok(id)
    }
}
