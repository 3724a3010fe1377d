//! SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK (MQTT 5.0 §3.8–3.11).
//!
//! ```text
//! SUBSCRIBE    packet id | [properties] | (topic filter, options)+
//! options      7-6 reserved | 5-4 retain handling | 3 retain as published
//!              2 no local | 1-0 maximum QoS        (3.1.1: QoS only)
//! SUBACK       packet id | [properties] | reason code+
//! UNSUBSCRIBE  packet id | [properties] | topic filter+
//! UNSUBACK     packet id | [properties] | reason code+   (3.1.1: id only)
//! ```

use bytes::{BufMut, BytesMut};

use super::connect::read_properties;
use super::primitives::{check_string, prefixed_len, put_string, Reader};
use super::properties::{Context, Properties};
use super::reason::{self, ReasonCode};
use super::{check_packet_id, topic, Error, Protocol, QoS};

/// Whether the server sends retained messages when a subscription is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetainHandling {
    /// Always send them.
    #[default]
    OnSubscribe = 0,
    /// Only when the subscription did not exist before.
    OnNewSubscribe = 1,
    /// Never.
    Never = 2,
}

/// One topic filter of a SUBSCRIBE and its options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subscription {
    pub filter: String,
    pub qos: QoS,
    pub no_local: bool,
    pub retain_as_published: bool,
    pub retain_handling: RetainHandling,
}

impl Subscription {
    /// A subscription with default options.
    pub fn new(filter: impl Into<String>, qos: QoS) -> Subscription {
        Subscription {
            filter: filter.into(),
            qos,
            ..Subscription::default()
        }
    }

    fn options(&self, protocol: Protocol) -> u8 {
        let mut options = self.qos as u8;
        if protocol.is_v5() {
            options |= u8::from(self.no_local) << 2
                | u8::from(self.retain_as_published) << 3
                | (self.retain_handling as u8) << 4;
        }
        options
    }

    fn check(&self, protocol: Protocol) -> Result<(), Error> {
        topic::validate_filter(&self.filter)?;
        // No Local on a shared subscription is a protocol error [MQTT-3.8.3-4];
        // MQTT 3.1.1 has no such option to set.
        if protocol.is_v5() && self.no_local && topic::is_shared(&self.filter) {
            return Err(Error::NoLocalOnSharedSubscription(self.filter.clone()));
        }
        Ok(())
    }
}

/// A request to subscribe to one or more topic filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    pub packet_id: u16,
    pub subscriptions: Vec<Subscription>,
    pub properties: Properties,
}

impl Subscribe {
    pub(crate) fn decode(r: &mut Reader, protocol: Protocol) -> Result<Subscribe, Error> {
        let packet_id = check_packet_id(r.u16("packet identifier")?, "SUBSCRIBE")?;
        let properties = read_properties(r, protocol, Context::Subscribe)?;
        let mut subscriptions = Vec::new();
        while r.remaining() > 0 {
            let filter = r.string("topic filter")?;
            let options = r.u8("subscription options")?;
            let reserved = if protocol.is_v5() { 0xC0 } else { 0xFC };
            let retain_handling = match (options >> 4) & 0x03 {
                0 => RetainHandling::OnSubscribe,
                1 => RetainHandling::OnNewSubscribe,
                2 => RetainHandling::Never,
                _ => return Err(Error::InvalidSubscriptionOptions(options)),
            };
            if options & reserved != 0 {
                return Err(Error::InvalidSubscriptionOptions(options));
            }
            let subscription = Subscription {
                filter,
                qos: QoS::from_u8(options & 0x03)?,
                no_local: options & 0x04 != 0,
                retain_as_published: options & 0x08 != 0,
                retain_handling,
            };
            subscription.check(protocol)?;
            subscriptions.push(subscription);
        }
        if subscriptions.is_empty() {
            return Err(Error::NoTopicFilters("SUBSCRIBE"));
        }
        Ok(Subscribe {
            packet_id,
            subscriptions,
            properties,
        })
    }

    pub(crate) fn validate(&self, protocol: Protocol) -> Result<(), Error> {
        check_packet_id(self.packet_id, "SUBSCRIBE")?;
        if self.subscriptions.is_empty() {
            return Err(Error::NoTopicFilters("SUBSCRIBE"));
        }
        for subscription in &self.subscriptions {
            subscription.check(protocol)?;
        }
        if protocol.is_v5() {
            self.properties.validate(Context::Subscribe)?;
        }
        Ok(())
    }

    pub(crate) fn body_len(&self, protocol: Protocol) -> usize {
        let filters: usize = self
            .subscriptions
            .iter()
            .map(|s| prefixed_len(s.filter.as_bytes()) + 1)
            .sum();
        2 + properties_len(&self.properties, protocol) + filters
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut, protocol: Protocol) {
        buf.put_u16(self.packet_id);
        if protocol.is_v5() {
            self.properties.encode(buf);
        }
        for subscription in &self.subscriptions {
            put_string(buf, &subscription.filter);
            buf.put_u8(subscription.options(protocol));
        }
    }
}

/// The server's answer to SUBSCRIBE: one reason code per filter, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAck {
    pub packet_id: u16,
    /// The granted QoS (0x00–0x02) or a failure (0x80 and up).
    pub reasons: Vec<ReasonCode>,
    pub properties: Properties,
}

impl SubAck {
    fn table(protocol: Protocol) -> &'static [u8] {
        if protocol.is_v5() {
            reason::allowed::SUBACK
        } else {
            reason::allowed::SUBACK_V311
        }
    }

    pub(crate) fn decode(r: &mut Reader, protocol: Protocol) -> Result<SubAck, Error> {
        let packet_id = check_packet_id(r.u16("packet identifier")?, "SUBACK")?;
        let properties = read_properties(r, protocol, Context::SubAck)?;
        let reasons = read_reasons(r, Self::table(protocol), "SUBACK")?;
        Ok(SubAck {
            packet_id,
            reasons,
            properties,
        })
    }

    pub(crate) fn validate(&self, protocol: Protocol) -> Result<(), Error> {
        check_packet_id(self.packet_id, "SUBACK")?;
        if self.reasons.is_empty() {
            return Err(Error::NoReasonCodes("SUBACK"));
        }
        for code in &self.reasons {
            reason::check(*code, Self::table(protocol), "SUBACK")?;
        }
        if protocol.is_v5() {
            self.properties.validate(Context::SubAck)?;
        }
        Ok(())
    }

    pub(crate) fn body_len(&self, protocol: Protocol) -> usize {
        2 + properties_len(&self.properties, protocol) + self.reasons.len()
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut, protocol: Protocol) {
        buf.put_u16(self.packet_id);
        if protocol.is_v5() {
            self.properties.encode(buf);
        }
        for code in &self.reasons {
            buf.put_u8(code.0);
        }
    }
}

/// A request to remove one or more subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub packet_id: u16,
    pub filters: Vec<String>,
    pub properties: Properties,
}

impl Unsubscribe {
    pub(crate) fn decode(r: &mut Reader, protocol: Protocol) -> Result<Unsubscribe, Error> {
        let packet_id = check_packet_id(r.u16("packet identifier")?, "UNSUBSCRIBE")?;
        let properties = read_properties(r, protocol, Context::Unsubscribe)?;
        let mut filters = Vec::new();
        while r.remaining() > 0 {
            let filter = r.string("topic filter")?;
            topic::validate_filter(&filter)?;
            filters.push(filter);
        }
        if filters.is_empty() {
            return Err(Error::NoTopicFilters("UNSUBSCRIBE"));
        }
        Ok(Unsubscribe {
            packet_id,
            filters,
            properties,
        })
    }

    pub(crate) fn validate(&self, protocol: Protocol) -> Result<(), Error> {
        check_packet_id(self.packet_id, "UNSUBSCRIBE")?;
        if self.filters.is_empty() {
            return Err(Error::NoTopicFilters("UNSUBSCRIBE"));
        }
        for filter in &self.filters {
            check_string(filter, "topic filter")?;
            topic::validate_filter(filter)?;
        }
        if protocol.is_v5() {
            self.properties.validate(Context::Unsubscribe)?;
        }
        Ok(())
    }

    pub(crate) fn body_len(&self, protocol: Protocol) -> usize {
        let filters: usize = self
            .filters
            .iter()
            .map(|f| prefixed_len(f.as_bytes()))
            .sum();
        2 + properties_len(&self.properties, protocol) + filters
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut, protocol: Protocol) {
        buf.put_u16(self.packet_id);
        if protocol.is_v5() {
            self.properties.encode(buf);
        }
        for filter in &self.filters {
            put_string(buf, filter);
        }
    }
}

/// The server's answer to UNSUBSCRIBE; MQTT 3.1.1 carries no reason codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsubAck {
    pub packet_id: u16,
    pub reasons: Vec<ReasonCode>,
    pub properties: Properties,
}

impl UnsubAck {
    pub(crate) fn decode(r: &mut Reader, protocol: Protocol) -> Result<UnsubAck, Error> {
        let packet_id = check_packet_id(r.u16("packet identifier")?, "UNSUBACK")?;
        let properties = read_properties(r, protocol, Context::UnsubAck)?;
        let reasons = if protocol.is_v5() {
            read_reasons(r, reason::allowed::UNSUBACK, "UNSUBACK")?
        } else {
            Vec::new()
        };
        Ok(UnsubAck {
            packet_id,
            reasons,
            properties,
        })
    }

    pub(crate) fn validate(&self, protocol: Protocol) -> Result<(), Error> {
        check_packet_id(self.packet_id, "UNSUBACK")?;
        if protocol.is_v5() {
            if self.reasons.is_empty() {
                return Err(Error::NoReasonCodes("UNSUBACK"));
            }
            for code in &self.reasons {
                reason::check(*code, reason::allowed::UNSUBACK, "UNSUBACK")?;
            }
            self.properties.validate(Context::UnsubAck)?;
        }
        Ok(())
    }

    pub(crate) fn body_len(&self, protocol: Protocol) -> usize {
        if protocol.is_v5() {
            2 + self.properties.encoded_len() + self.reasons.len()
        } else {
            2
        }
    }

    pub(crate) fn encode(&self, buf: &mut BytesMut, protocol: Protocol) {
        buf.put_u16(self.packet_id);
        if protocol.is_v5() {
            self.properties.encode(buf);
            for code in &self.reasons {
                buf.put_u8(code.0);
            }
        }
    }
}

fn properties_len(properties: &Properties, protocol: Protocol) -> usize {
    if protocol.is_v5() {
        properties.encoded_len()
    } else {
        0
    }
}

/// Reads the rest of the packet as reason codes, at least one.
fn read_reasons(
    r: &mut Reader,
    table: &[u8],
    packet: &'static str,
) -> Result<Vec<ReasonCode>, Error> {
    let codes = r.rest();
    if codes.is_empty() {
        return Err(Error::NoReasonCodes(packet));
    }
    codes
        .iter()
        .map(|&code| reason::check(ReasonCode(code), table, packet))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{encode, Packet};
    use super::*;
    use crate::codec::PropertyValues;

    #[test]
    fn subscribe_v311() {
        #[rustfmt::skip]
        let bytes = [
            0x82, 0x0C,                         // SUBSCRIBE, remaining length 12
            0x00, 0x0A,                         // packet id 10
            0x00, 0x03, b'a', b'/', b'+', 0x01, // "a/+" QoS 1
            0x00, 0x01, b'#', 0x02,             // "#" QoS 2
        ];
        let packet = Packet::Subscribe(Subscribe {
            packet_id: 10,
            subscriptions: vec![
                Subscription::new("a/+", QoS::AtLeastOnce),
                Subscription::new("#", QoS::ExactlyOnce),
            ],
            properties: Properties::default(),
        });
        round_trip(&packet, Protocol::V311, &bytes);
    }

    #[test]
    fn subscribe_v5_options_and_identifier() {
        #[rustfmt::skip]
        let bytes = [
            0x82, 0x09,             // SUBSCRIBE, remaining length 9
            0x00, 0x01,             // packet id 1
            0x02, 0x0B, 0x05,       // properties: subscription identifier 5
            0x00, 0x01, b't',       // "t"
            0x2D,                   // retain handling 2, retain as published, no local, QoS 1
        ];
        let packet = Packet::Subscribe(Subscribe {
            packet_id: 1,
            subscriptions: vec![Subscription {
                filter: "t".into(),
                qos: QoS::AtLeastOnce,
                no_local: true,
                retain_as_published: true,
                retain_handling: RetainHandling::Never,
            }],
            properties: PropertyValues {
                subscription_identifiers: vec![5],
                ..PropertyValues::default()
            }
            .into(),
        });
        round_trip(&packet, Protocol::V5, &bytes);
    }

    #[test]
    fn malformed_subscribes_are_rejected() {
        // no filters at all [MQTT-3.8.3-2]
        assert_eq!(
            decode_bytes(&[0x82, 0x02, 0x00, 0x01], Protocol::V311),
            Err(Error::NoTopicFilters("SUBSCRIBE"))
        );
        // an empty filter [MQTT-4.7.3-1]
        assert!(decode_bytes(&[0x82, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00], Protocol::V311).is_err());
        // reserved option bits in 3.1.1
        assert!(decode_bytes(
            &[0x82, 0x06, 0x00, 0x01, 0x00, 0x01, b't', 0x04],
            Protocol::V311
        )
        .is_err());
        // retain handling 3
        assert!(decode_bytes(
            &[0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, b't', 0x30],
            Protocol::V5
        )
        .is_err());
        // a badly placed wildcard
        assert!(decode_bytes(
            &[0x82, 0x07, 0x00, 0x01, 0x00, 0x02, b'a', b'#', 0x00],
            Protocol::V311
        )
        .is_err());
        // flags must be 0b0010 [MQTT-3.8.1-1]
        assert!(decode_bytes(
            &[0x80, 0x06, 0x00, 0x01, 0x00, 0x01, b't', 0x00],
            Protocol::V311
        )
        .is_err());
    }

    #[test]
    fn suback_in_both_versions() {
        // SUBACK, id 10, granted QoS 1, failure 0x80
        let v311 = [0x90, 0x04, 0x00, 0x0A, 0x01, 0x80];
        let packet = Packet::SubAck(SubAck {
            packet_id: 10,
            reasons: vec![ReasonCode::GRANTED_QOS_1, ReasonCode::UNSPECIFIED_ERROR],
            properties: Properties::default(),
        });
        round_trip(&packet, Protocol::V311, &v311);
        // same with an empty property block in MQTT 5
        round_trip(
            &packet,
            Protocol::V5,
            &[0x90, 0x05, 0x00, 0x0A, 0x00, 0x01, 0x80],
        );
        // 0x87 is a MQTT 5 code only
        assert!(decode_bytes(&[0x90, 0x03, 0x00, 0x0A, 0x87], Protocol::V311).is_err());
        assert!(decode_bytes(&[0x90, 0x04, 0x00, 0x0A, 0x00, 0x87], Protocol::V5).is_ok());
    }

    #[test]
    fn unsubscribe_and_unsuback() {
        #[rustfmt::skip]
        let bytes = [
            0xA2, 0x05,             // UNSUBSCRIBE, remaining length 5
            0x00, 0x02,             // packet id 2
            0x00, 0x01, b'#',       // "#"
        ];
        let packet = Packet::Unsubscribe(Unsubscribe {
            packet_id: 2,
            filters: vec!["#".into()],
            properties: Properties::default(),
        });
        round_trip(&packet, Protocol::V311, &bytes);
        let unsuback = Packet::UnsubAck(UnsubAck {
            packet_id: 2,
            reasons: vec![],
            properties: Properties::default(),
        });
        round_trip(&unsuback, Protocol::V311, &[0xB0, 0x02, 0x00, 0x02]);
        let unsuback_v5 = Packet::UnsubAck(UnsubAck {
            packet_id: 2,
            reasons: vec![ReasonCode(0x11)],
            properties: Properties::default(),
        });
        // id 2, no properties, "no subscription existed"
        round_trip(
            &unsuback_v5,
            Protocol::V5,
            &[0xB0, 0x04, 0x00, 0x02, 0x00, 0x11],
        );
    }

    #[test]
    fn acknowledgements_without_reason_codes_are_refused_both_ways() {
        let suback = Packet::SubAck(SubAck {
            packet_id: 1,
            reasons: vec![],
            properties: Properties::default(),
        });
        assert_eq!(
            encode(&suback, Protocol::V311, &mut BytesMut::new()),
            Err(Error::NoReasonCodes("SUBACK"))
        );
        // SUBACK, id 1, nothing after
        assert_eq!(
            decode_bytes(&[0x90, 0x02, 0x00, 0x01], Protocol::V311),
            Err(Error::NoReasonCodes("SUBACK"))
        );
        let unsuback = Packet::UnsubAck(UnsubAck {
            packet_id: 1,
            reasons: vec![],
            properties: Properties::default(),
        });
        assert_eq!(
            encode(&unsuback, Protocol::V5, &mut BytesMut::new()),
            Err(Error::NoReasonCodes("UNSUBACK"))
        );
    }
}
