//! MQTT 5 properties (MQTT 5.0 §2.2.2.2): one struct for every packet, and a
//! table of which packet may carry which property.
//!
//! ```text
//! +-----------------------------+----------------------------------------+
//! | property length (varint)    | identifier (varint, one byte in use)   |
//! |                             | value (byte, u16, u32, varint, string, |
//! |                             |        binary or string pair)          |
//! |                             | ... repeated                           |
//! +-----------------------------+----------------------------------------+
//! ```
//!
//! Each property may appear at most once, except User Property (any number, in
//! order) and Subscription Identifier (repeated in a PUBLISH from the server).

use bytes::{BufMut, Bytes, BytesMut};

use super::primitives::{
    check_len, check_string, prefixed_len, put_binary, put_string, put_varint, varint_len, Reader,
    MAX_VARINT,
};
use super::{Error, QoS};

/// Where a set of properties stands; each property is allowed in some of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Connect,
    Will,
    ConnAck,
    Publish,
    /// PUBACK, PUBREC, PUBREL and PUBCOMP.
    Ack,
    Subscribe,
    SubAck,
    Unsubscribe,
    UnsubAck,
    Disconnect,
    Auth,
}

impl Context {
    fn bit(self) -> u16 {
        1 << self as u16
    }

    fn name(self) -> &'static str {
        match self {
            Context::Connect => "CONNECT",
            Context::Will => "the will properties",
            Context::ConnAck => "CONNACK",
            Context::Publish => "PUBLISH",
            Context::Ack => "PUBACK/PUBREC/PUBREL/PUBCOMP",
            Context::Subscribe => "SUBSCRIBE",
            Context::SubAck => "SUBACK",
            Context::Unsubscribe => "UNSUBSCRIBE",
            Context::UnsubAck => "UNSUBACK",
            Context::Disconnect => "DISCONNECT",
            Context::Auth => "AUTH",
        }
    }
}

/// How one kind of property value is read, written and sized. Implemented by
/// marker types, so that a `u32` can be a four-byte integer in one property and
/// a variable byte integer in another.
trait Wire {
    type Value;
    fn read(r: &mut Reader, name: &'static str) -> Result<Self::Value, Error>;
    fn write(value: &Self::Value, buf: &mut BytesMut);
    fn len(value: &Self::Value) -> usize;
    /// Checks a value before it is encoded.
    fn check(_value: &Self::Value, _name: &'static str) -> Result<(), Error> {
        Ok(())
    }
}

/// A two-byte integer.
struct Int16;
/// A four-byte integer.
struct Int32;
/// A byte that may only be 0 or 1.
struct Flag;
/// Maximum QoS: a byte that may only be 0 or 1 [MQTT-3.2.2-9].
struct MaxQoS;
/// A UTF-8 string.
struct Text;
/// Binary data.
struct Binary;
/// A Subscription Identifier: a variable byte integer from 1 to 268,435,455.
struct SubscriptionId;
/// A User Property: a name and a value, both strings.
struct Pair;

impl Wire for Int16 {
    type Value = u16;
    fn read(r: &mut Reader, name: &'static str) -> Result<u16, Error> {
        r.u16(name)
    }
    fn write(value: &u16, buf: &mut BytesMut) {
        buf.put_u16(*value)
    }
    fn len(_: &u16) -> usize {
        2
    }
}

impl Wire for Int32 {
    type Value = u32;
    fn read(r: &mut Reader, name: &'static str) -> Result<u32, Error> {
        r.u32(name)
    }
    fn write(value: &u32, buf: &mut BytesMut) {
        buf.put_u32(*value)
    }
    fn len(_: &u32) -> usize {
        4
    }
}

/// Reads a byte that must be at most `max`.
fn small_byte(r: &mut Reader, name: &'static str, max: u8) -> Result<u8, Error> {
    match r.u8(name)? {
        value if value <= max => Ok(value),
        value => Err(Error::InvalidPropertyValue {
            name,
            value: value.into(),
        }),
    }
}

impl Wire for Flag {
    type Value = bool;
    fn read(r: &mut Reader, name: &'static str) -> Result<bool, Error> {
        Ok(small_byte(r, name, 1)? == 1)
    }
    fn write(value: &bool, buf: &mut BytesMut) {
        buf.put_u8(u8::from(*value))
    }
    fn len(_: &bool) -> usize {
        1
    }
}

impl Wire for MaxQoS {
    type Value = QoS;
    fn read(r: &mut Reader, name: &'static str) -> Result<QoS, Error> {
        QoS::from_u8(small_byte(r, name, 1)?)
    }
    fn write(value: &QoS, buf: &mut BytesMut) {
        buf.put_u8(*value as u8)
    }
    fn len(_: &QoS) -> usize {
        1
    }
    fn check(value: &QoS, name: &'static str) -> Result<(), Error> {
        if *value == QoS::ExactlyOnce {
            return Err(Error::InvalidPropertyValue { name, value: 2 });
        }
        Ok(())
    }
}

impl Wire for Text {
    type Value = String;
    fn read(r: &mut Reader, name: &'static str) -> Result<String, Error> {
        r.string(name)
    }
    fn write(value: &String, buf: &mut BytesMut) {
        put_string(buf, value)
    }
    fn len(value: &String) -> usize {
        prefixed_len(value.as_bytes())
    }
    fn check(value: &String, name: &'static str) -> Result<(), Error> {
        check_string(value, name)
    }
}

impl Wire for Binary {
    type Value = Bytes;
    fn read(r: &mut Reader, name: &'static str) -> Result<Bytes, Error> {
        r.binary(name)
    }
    fn write(value: &Bytes, buf: &mut BytesMut) {
        put_binary(buf, value)
    }
    fn len(value: &Bytes) -> usize {
        prefixed_len(value)
    }
    fn check(value: &Bytes, name: &'static str) -> Result<(), Error> {
        check_len(value, name)
    }
}

impl Wire for SubscriptionId {
    type Value = u32;
    fn read(r: &mut Reader, name: &'static str) -> Result<u32, Error> {
        let value = r.varint(name)?;
        Self::check(&value, name)?;
        Ok(value)
    }
    fn write(value: &u32, buf: &mut BytesMut) {
        put_varint(buf, *value)
    }
    fn len(value: &u32) -> usize {
        varint_len(*value as usize)
    }
    fn check(value: &u32, name: &'static str) -> Result<(), Error> {
        if *value == 0 || *value > MAX_VARINT {
            return Err(Error::InvalidPropertyValue {
                name,
                value: *value,
            });
        }
        Ok(())
    }
}

impl Wire for Pair {
    type Value = (String, String);
    fn read(r: &mut Reader, name: &'static str) -> Result<(String, String), Error> {
        Ok((r.string(name)?, r.string(name)?))
    }
    fn write(value: &(String, String), buf: &mut BytesMut) {
        put_string(buf, &value.0);
        put_string(buf, &value.1);
    }
    fn len(value: &(String, String)) -> usize {
        prefixed_len(value.0.as_bytes()) + prefixed_len(value.1.as_bytes())
    }
    fn check(value: &(String, String), name: &'static str) -> Result<(), Error> {
        check_string(&value.0, name)?;
        check_string(&value.1, name)
    }
}

/// Declares the property table once; the struct, decoding, encoding, sizing and
/// the where-allowed check all come from it.
macro_rules! properties {
    (
        single { $( $id:literal $field:ident : $ty:ty as $wire:ident = $name:literal in [$($ctx:ident),+] ; )* }
        repeated { $( $rid:literal $rfield:ident : $rty:ty as $rwire:ident = $rname:literal in [$($rctx:ident),+] ; )* }
    ) => {
        /// The values of a packet's MQTT 5 properties, reached through
        /// [`Properties`].
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct PropertyValues {
            $( #[doc = $name] pub $field: Option<$ty>, )*
            $( #[doc = $rname] pub $rfield: Vec<$rty>, )*
        }

        /// No property set: what [`Properties`] reads as when it holds none.
        static NO_PROPERTIES: PropertyValues = PropertyValues {
            $( $field: None, )*
            $( $rfield: Vec::new(), )*
        };

        impl PropertyValues {
            /// Whether no property is set.
            pub fn is_empty(&self) -> bool {
                $( self.$field.is_none() && )* $( self.$rfield.is_empty() && )* true
            }

            /// Reads one property (identifier already read) into `self`.
            fn read_one(&mut self, id: u32, r: &mut Reader, context: Context) -> Result<(), Error> {
                match id {
                    $( $id => {
                        check_allowed($name, context, $( Context::$ctx.bit() )|+)?;
                        if self.$field.is_some() {
                            return Err(Error::DuplicateProperty($name));
                        }
                        self.$field = Some($wire::read(r, $name)?);
                    } )*
                    $( $rid => {
                        check_allowed($rname, context, $( Context::$rctx.bit() )|+)?;
                        self.$rfield.push($rwire::read(r, $rname)?);
                    } )*
                    other => return Err(Error::UnknownProperty(other)),
                }
                Ok(())
            }

            /// Bytes the properties take, without their length prefix.
            fn content_len(&self) -> usize {
                let mut len = 0;
                $( if let Some(value) = &self.$field { len += 1 + $wire::len(value); } )*
                $( for value in &self.$rfield { len += 1 + $rwire::len(value); } )*
                len
            }

            fn write_content(&self, buf: &mut BytesMut) {
                $( if let Some(value) = &self.$field { buf.put_u8($id); $wire::write(value, buf); } )*
                $( for value in &self.$rfield { buf.put_u8($rid); $rwire::write(value, buf); } )*
            }

            /// Checks that every property may stand in `context` and has a valid value.
            pub(crate) fn validate(&self, context: Context) -> Result<(), Error> {
                $( if let Some(value) = &self.$field {
                    check_allowed($name, context, $( Context::$ctx.bit() )|+)?;
                    $wire::check(value, $name)?;
                } )*
                $( for value in &self.$rfield {
                    check_allowed($rname, context, $( Context::$rctx.bit() )|+)?;
                    $rwire::check(value, $rname)?;
                } )*
                self.check_values()
            }
        }
    };
}

properties! {
    single {
        0x01 payload_format_indicator: bool as Flag = "Payload Format Indicator" in [Publish, Will];
        0x02 message_expiry_interval: u32 as Int32 = "Message Expiry Interval" in [Publish, Will];
        0x03 content_type: String as Text = "Content Type" in [Publish, Will];
        0x08 response_topic: String as Text = "Response Topic" in [Publish, Will];
        0x09 correlation_data: Bytes as Binary = "Correlation Data" in [Publish, Will];
        0x11 session_expiry_interval: u32 as Int32 = "Session Expiry Interval" in [Connect, ConnAck, Disconnect];
        0x12 assigned_client_identifier: String as Text = "Assigned Client Identifier" in [ConnAck];
        0x13 server_keep_alive: u16 as Int16 = "Server Keep Alive" in [ConnAck];
        0x15 authentication_method: String as Text = "Authentication Method" in [Connect, ConnAck, Auth];
        0x16 authentication_data: Bytes as Binary = "Authentication Data" in [Connect, ConnAck, Auth];
        0x17 request_problem_information: bool as Flag = "Request Problem Information" in [Connect];
        0x18 will_delay_interval: u32 as Int32 = "Will Delay Interval" in [Will];
        0x19 request_response_information: bool as Flag = "Request Response Information" in [Connect];
        0x1A response_information: String as Text = "Response Information" in [ConnAck];
        0x1C server_reference: String as Text = "Server Reference" in [ConnAck, Disconnect];
        0x1F reason_string: String as Text = "Reason String" in [ConnAck, Ack, SubAck, UnsubAck, Disconnect, Auth];
        0x21 receive_maximum: u16 as Int16 = "Receive Maximum" in [Connect, ConnAck];
        0x22 topic_alias_maximum: u16 as Int16 = "Topic Alias Maximum" in [Connect, ConnAck];
        0x23 topic_alias: u16 as Int16 = "Topic Alias" in [Publish];
        0x24 maximum_qos: QoS as MaxQoS = "Maximum QoS" in [ConnAck];
        0x25 retain_available: bool as Flag = "Retain Available" in [ConnAck];
        0x27 maximum_packet_size: u32 as Int32 = "Maximum Packet Size" in [Connect, ConnAck];
        0x28 wildcard_subscription_available: bool as Flag = "Wildcard Subscription Available" in [ConnAck];
        0x29 subscription_identifier_available: bool as Flag = "Subscription Identifier Available" in [ConnAck];
        0x2A shared_subscription_available: bool as Flag = "Shared Subscription Available" in [ConnAck];
    }
    repeated {
        0x0B subscription_identifiers: u32 as SubscriptionId = "Subscription Identifier" in [Publish, Subscribe];
        0x26 user_properties: (String, String) as Pair = "User Property" in [Connect, Will, ConnAck, Publish, Ack, Subscribe, SubAck, Unsubscribe, UnsubAck, Disconnect, Auth];
    }
}

fn check_allowed(name: &'static str, context: Context, allowed: u16) -> Result<(), Error> {
    if allowed & context.bit() == 0 {
        return Err(Error::PropertyNotAllowed {
            name,
            context: context.name(),
        });
    }
    Ok(())
}

/// The MQTT 5 properties of a packet; all absent in MQTT 3.1.1.
///
/// Most packets carry none, so none costs no memory: the values live in a box
/// taken on the first write. Reading an absent one reads as not set. A packet
/// is then small to move and to clone (a PUBLISH is 80 bytes, not 400), and an
/// idle connection keeps its CONNACK for 8 bytes of properties.
#[derive(Clone, Default)]
pub struct Properties(Option<Box<PropertyValues>>);

impl std::ops::Deref for Properties {
    type Target = PropertyValues;

    fn deref(&self) -> &PropertyValues {
        self.0.as_deref().unwrap_or(&NO_PROPERTIES)
    }
}

impl std::ops::DerefMut for Properties {
    fn deref_mut(&mut self) -> &mut PropertyValues {
        self.0.get_or_insert_with(Box::default)
    }
}

impl From<PropertyValues> for Properties {
    fn from(values: PropertyValues) -> Properties {
        Properties((!values.is_empty()).then(|| Box::new(values)))
    }
}

impl PartialEq for Properties {
    fn eq(&self, other: &Properties) -> bool {
        **self == **other
    }
}

impl Eq for Properties {}

impl std::fmt::Debug for Properties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl Properties {
    /// Checks that every property may stand in `context` and has a valid
    /// value. No properties, as most packets have, are valid anywhere: known
    /// without going through the table's every field.
    pub(crate) fn validate(&self, context: Context) -> Result<(), Error> {
        self.0
            .as_ref()
            .map_or(Ok(()), |values| values.validate(context))
    }

    /// Bytes the properties take, without their length prefix: none without
    /// going through the table.
    fn content_len(&self) -> usize {
        self.0.as_ref().map_or(0, |values| values.content_len())
    }

    /// The values, out of their box: for taking fields by value.
    pub fn into_values(self) -> PropertyValues {
        self.0.map(|values| *values).unwrap_or_default()
    }

    /// Reads a property length and the properties it covers.
    pub(crate) fn decode(r: &mut Reader, context: Context) -> Result<Properties, Error> {
        let len = r.varint("property length")? as usize;
        if len == 0 {
            return Ok(Properties::default());
        }
        let mut block = Reader::new(r.take(len, "properties")?);
        let mut values = PropertyValues::default();
        while block.remaining() > 0 {
            let id = block.varint("property identifier")?;
            values.read_one(id, &mut block, context)?;
        }
        values.check_values()?;
        Ok(values.into())
    }

    /// Bytes the properties take on the wire, length prefix included.
    pub(crate) fn encoded_len(&self) -> usize {
        self.encoded_len_with_alias(None)
    }

    /// Appends the property length and the properties.
    pub(crate) fn encode(&self, buf: &mut BytesMut) {
        self.encode_with_alias(None, buf)
    }

    /// [`encoded_len`](Self::encoded_len) with a Topic Alias that the values
    /// do not hold: the client adds one as it writes, and the message it
    /// keeps to send again stays as the caller made it.
    pub(crate) fn encoded_len_with_alias(&self, alias: Option<u16>) -> usize {
        let len = self.content_len() + alias.map_or(0, |_| TOPIC_ALIAS_LEN);
        varint_len(len) + len
    }

    /// [`encode`](Self::encode) with a Topic Alias the values do not hold;
    /// properties may come in any order [MQTT 5.0 §2.2.2.2].
    pub(crate) fn encode_with_alias(&self, alias: Option<u16>, buf: &mut BytesMut) {
        let extra = alias.map_or(0, |_| TOPIC_ALIAS_LEN);
        put_varint(buf, (self.content_len() + extra) as u32);
        if let Some(alias) = alias {
            buf.put_u8(TOPIC_ALIAS_ID);
            buf.put_u16(alias);
        }
        if let Some(values) = &self.0 {
            values.write_content(buf);
        }
    }
}

/// The Topic Alias property's identifier, and its size with its value.
const TOPIC_ALIAS_ID: u8 = 0x23;
const TOPIC_ALIAS_LEN: usize = 3;

impl PropertyValues {
    /// Values the table's types allow but the specification does not.
    fn check_values(&self) -> Result<(), Error> {
        let zero_is_invalid = [
            ("Receive Maximum", self.receive_maximum.map(u32::from)),
            ("Maximum Packet Size", self.maximum_packet_size),
            ("Topic Alias", self.topic_alias.map(u32::from)),
        ];
        for (name, value) in zero_is_invalid {
            if value == Some(0) {
                return Err(Error::InvalidPropertyValue { name, value: 0 });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &'static [u8], context: Context) -> Result<Properties, Error> {
        Properties::decode(&mut Reader::new(Bytes::from_static(bytes)), context)
    }

    #[test]
    fn properties_round_trip_in_table_order() {
        let props: Properties = PropertyValues {
            payload_format_indicator: Some(true),
            message_expiry_interval: Some(60),
            content_type: Some("text/plain".into()),
            correlation_data: Some(Bytes::from_static(b"\x01\x02")),
            topic_alias: Some(3),
            subscription_identifiers: vec![1, 268_435_455],
            user_properties: vec![("a".into(), "1".into()), ("a".into(), "2".into())],
            ..PropertyValues::default()
        }
        .into();
        props.validate(Context::Publish).unwrap();
        let mut buf = BytesMut::new();
        props.encode(&mut buf);
        assert_eq!(buf.len(), props.encoded_len());
        let back = Properties::decode(&mut Reader::new(buf.freeze()), Context::Publish).unwrap();
        assert_eq!(back, props);
    }

    #[test]
    fn a_property_outside_its_packets_is_rejected() {
        // length 5, Session Expiry Interval (0x11) = 10: allowed in CONNECT, not in PUBLISH
        let bytes = &[0x05, 0x11, 0x00, 0x00, 0x00, 0x0A];
        assert!(decode(bytes, Context::Connect).is_ok());
        assert_eq!(
            decode(bytes, Context::Publish),
            Err(Error::PropertyNotAllowed {
                name: "Session Expiry Interval",
                context: "PUBLISH"
            })
        );
    }

    #[test]
    fn a_property_twice_is_rejected_but_user_properties_repeat() {
        // length 4, Topic Alias (0x23) = 1, twice... only 3+3 bytes: length 6
        let twice = &[0x06, 0x23, 0x00, 0x01, 0x23, 0x00, 0x02];
        assert_eq!(
            decode(twice, Context::Publish),
            Err(Error::DuplicateProperty("Topic Alias"))
        );
        // length 10, User Property ("a", "b") twice
        let users = &[
            0x0E, 0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'b', 0x26, 0x00, 0x01, b'a', 0x00, 0x01,
            b'b',
        ];
        assert_eq!(
            decode(users, Context::Publish)
                .unwrap()
                .user_properties
                .len(),
            2
        );
    }

    #[test]
    fn invalid_values_are_rejected() {
        // Receive Maximum 0
        assert!(decode(&[0x03, 0x21, 0x00, 0x00], Context::ConnAck).is_err());
        // Maximum QoS 2
        assert!(decode(&[0x02, 0x24, 0x02], Context::ConnAck).is_err());
        // Payload Format Indicator 2
        assert!(decode(&[0x02, 0x01, 0x02], Context::Publish).is_err());
        // Subscription Identifier 0
        assert!(decode(&[0x02, 0x0B, 0x00], Context::Publish).is_err());
        // unknown identifier 0x7F
        assert_eq!(
            decode(&[0x02, 0x7F, 0x00], Context::Publish),
            Err(Error::UnknownProperty(0x7F))
        );
        // property length 5 with 1 byte present
        assert!(matches!(
            decode(&[0x05, 0x01], Context::Publish),
            Err(Error::Truncated(_))
        ));
    }
}
