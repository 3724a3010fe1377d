//! Property tests of the codec through its public API: every packet type, in
//! every protocol version it exists in, generated valid by construction, must
//! encode to exactly `encoded_len` bytes and decode back to itself.
//!
//! Around that round trip: a prefix of a packet is only ever "incomplete",
//! packets sharing one buffer come out in order, no input makes the decoder
//! panic, whatever decodes re-encodes to the same packet, and an oversized
//! frame is refused from its fixed header alone.
//!
//! The reason-code and property tables below are copied from the specification
//! (MQTT 5.0 §2.2.2.2, §2.4 and MQTT 3.1.1 §3.2.2.3, §3.9.3) rather than taken
//! from the codec, so that a mistake in the codec's tables shows up here.

use bytes::{Bytes, BytesMut};
use mqtk::codec::topic::is_shared;
use mqtk::codec::{
    decode, encode, frame_len, Ack, AckKind, Auth, ConnAck, Connect, Disconnect, Error, Packet,
    Properties, PropertyValues, Protocol, Publish, QoS, ReasonCode, RetainHandling, SubAck,
    Subscribe, Subscription, UnsubAck, Unsubscribe, Will, MAX_PACKET_SIZE, MAX_REMAINING_LENGTH,
};
use proptest::collection::vec;
use proptest::option::weighted;
use proptest::prelude::*;
use proptest::strategy::Union;

/// Cases for the generated-packet tests; each case is cheap, so this stays fast.
const CASES: u32 = 256;

/// Cases for the random-bytes tests, which are cheaper still.
const RANDOM_CASES: u32 = 2048;

/// How often an optional field or property is present.
const PRESENT: f64 = 0.3;

/// MQTT 5.0 reason codes each packet may carry (§2.4, Table 2-6).
const CONNACK_REASONS: &[u8] = &[
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97,
    0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
];
const PUBACK_REASONS: &[u8] = &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
const PUBREL_REASONS: &[u8] = &[0x00, 0x92];
const SUBACK_REASONS: &[u8] = &[
    0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2,
];
const UNSUBACK_REASONS: &[u8] = &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91];
const DISCONNECT_REASONS: &[u8] = &[
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95,
    0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
];
const AUTH_REASONS: &[u8] = &[0x00, 0x18, 0x19];

/// The MQTT 5 reason codes that MQTT 3.1.1 CONNACK return codes 0 to 5 map to.
const CONNACK_V311_REASONS: &[u8] = &[0x00, 0x84, 0x85, 0x88, 0x86, 0x87];
/// MQTT 3.1.1 SUBACK return codes: granted QoS 0, 1, 2, or failure.
const SUBACK_V311_REASONS: &[u8] = &[0x00, 0x01, 0x02, 0x80];
/// Success, the only reason MQTT 3.x acknowledgements and DISCONNECT can express.
const SUCCESS_ONLY: &[u8] = &[0x00];

// ---------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------

fn protocol_strategy() -> impl Strategy<Value = Protocol> {
    prop_oneof![
        Just(Protocol::V31),
        Just(Protocol::V311),
        Just(Protocol::V5)
    ]
}

fn qos_strategy() -> impl Strategy<Value = QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
}

fn reason_strategy(table: &'static [u8]) -> impl Strategy<Value = ReasonCode> {
    proptest::sample::select(table).prop_map(ReasonCode)
}

/// A packet identifier where one is required: never 0.
fn packet_id_strategy() -> impl Strategy<Value = u16> {
    1..=u16::MAX
}

/// Any UTF-8 string an MQTT string may hold: everything but U+0000.
fn text_strategy() -> impl Strategy<Value = String> {
    "[^\\x00]{0,12}"
}

fn binary_strategy() -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..24).prop_map(Bytes::from)
}

/// One level of a topic: any characters but the separator, the wildcards and U+0000.
fn level_strategy() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9]{1,6}", "[^\\x00+#/]{0,6}", Just(String::new())]
}

/// A topic name: levels without wildcards, at least one character.
fn topic_name_strategy() -> impl Strategy<Value = String> {
    vec(level_strategy(), 1..5)
        .prop_map(|levels| levels.join("/"))
        .prop_filter("a topic name is not empty", |name| !name.is_empty())
}

/// A topic filter: `+` as any whole level, `#` as an optional last level, and
/// sometimes the `$share/{group}/` prefix of a shared subscription.
fn topic_filter_strategy() -> impl Strategy<Value = String> {
    let level = prop_oneof![3 => level_strategy(), 1 => Just("+".to_owned())];
    let plain = (vec(level, 1..5), any::<bool>())
        .prop_map(|(mut levels, multi_level)| {
            if multi_level {
                levels.push("#".to_owned());
            }
            levels.join("/")
        })
        // "$share" as a first level would make it a malformed shared subscription.
        .prop_filter("a plain filter is not empty and not $share", |filter| {
            !filter.is_empty() && !filter.starts_with("$share")
        });
    (weighted(0.2, "[^\\x00+#/]{1,6}"), plain).prop_map(|(group, filter)| match group {
        Some(group) => format!("$share/{group}/{filter}"),
        None => filter,
    })
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

/// Where a set of properties stands (MQTT 5.0 §2.2.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
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

/// Every property with a value of its type (zero excluded where it is invalid),
/// each present with probability [`PRESENT`]; [`allowed_in`] then drops those
/// the packet may not carry.
fn any_properties_strategy() -> BoxedStrategy<Properties> {
    let message = (
        weighted(PRESENT, any::<bool>()),
        weighted(PRESENT, any::<u32>()),
        weighted(PRESENT, text_strategy()),
        weighted(PRESENT, topic_name_strategy()),
        weighted(PRESENT, binary_strategy()),
        weighted(PRESENT, any::<u32>()),
        weighted(PRESENT, 1..=u16::MAX),
        vec(1..=MAX_REMAINING_LENGTH as u32, 0..3),
    );
    let session = (
        weighted(PRESENT, any::<u32>()),
        weighted(PRESENT, text_strategy()),
        weighted(PRESENT, any::<u16>()),
        weighted(PRESENT, text_strategy()),
        weighted(PRESENT, binary_strategy()),
        weighted(PRESENT, any::<bool>()),
        weighted(PRESENT, any::<bool>()),
        weighted(PRESENT, text_strategy()),
        weighted(PRESENT, text_strategy()),
        weighted(PRESENT, text_strategy()),
    );
    let limits = (
        weighted(PRESENT, 1..=u16::MAX),
        weighted(PRESENT, any::<u16>()),
        weighted(
            PRESENT,
            prop_oneof![Just(QoS::AtMostOnce), Just(QoS::AtLeastOnce)],
        ),
        weighted(PRESENT, any::<bool>()),
        weighted(PRESENT, 1..=u32::MAX),
        weighted(PRESENT, any::<bool>()),
        weighted(PRESENT, any::<bool>()),
        weighted(PRESENT, any::<bool>()),
        vec((text_strategy(), text_strategy()), 0..3),
    );
    (message, session, limits)
        .prop_map(|(message, session, limits)| {
            PropertyValues {
                payload_format_indicator: message.0,
                message_expiry_interval: message.1,
                content_type: message.2,
                response_topic: message.3,
                correlation_data: message.4,
                will_delay_interval: message.5,
                topic_alias: message.6,
                subscription_identifiers: message.7,
                session_expiry_interval: session.0,
                assigned_client_identifier: session.1,
                server_keep_alive: session.2,
                authentication_method: session.3,
                authentication_data: session.4,
                request_problem_information: session.5,
                request_response_information: session.6,
                response_information: session.7,
                server_reference: session.8,
                reason_string: session.9,
                receive_maximum: limits.0,
                topic_alias_maximum: limits.1,
                maximum_qos: limits.2,
                retain_available: limits.3,
                maximum_packet_size: limits.4,
                wildcard_subscription_available: limits.5,
                subscription_identifier_available: limits.6,
                shared_subscription_available: limits.7,
                user_properties: limits.8,
            }
            .into()
        })
        .boxed()
}

/// Keeps only the properties the table of MQTT 5.0 §2.2.2.2 lets `place` carry.
fn in_table_for(mut p: Properties, place: Place) -> Properties {
    let allowed = |places: &[Place]| places.contains(&place);
    if !allowed(&[Place::Publish, Place::Will]) {
        p.payload_format_indicator = None;
        p.message_expiry_interval = None;
        p.content_type = None;
        p.response_topic = None;
        p.correlation_data = None;
    }
    if !allowed(&[Place::Connect, Place::ConnAck, Place::Disconnect]) {
        p.session_expiry_interval = None;
    }
    if !allowed(&[Place::ConnAck]) {
        p.assigned_client_identifier = None;
        p.server_keep_alive = None;
        p.response_information = None;
        p.maximum_qos = None;
        p.retain_available = None;
        p.wildcard_subscription_available = None;
        p.subscription_identifier_available = None;
        p.shared_subscription_available = None;
    }
    if !allowed(&[Place::Connect, Place::ConnAck, Place::Auth]) {
        p.authentication_method = None;
        p.authentication_data = None;
    }
    if !allowed(&[Place::Connect]) {
        p.request_problem_information = None;
        p.request_response_information = None;
    }
    if !allowed(&[Place::Will]) {
        p.will_delay_interval = None;
    }
    if !allowed(&[Place::ConnAck, Place::Disconnect]) {
        p.server_reference = None;
    }
    if !allowed(&[
        Place::ConnAck,
        Place::Ack,
        Place::SubAck,
        Place::UnsubAck,
        Place::Disconnect,
        Place::Auth,
    ]) {
        p.reason_string = None;
    }
    if !allowed(&[Place::Connect, Place::ConnAck]) {
        p.receive_maximum = None;
        p.topic_alias_maximum = None;
        p.maximum_packet_size = None;
    }
    if !allowed(&[Place::Publish]) {
        p.topic_alias = None;
    }
    if !allowed(&[Place::Publish, Place::Subscribe]) {
        p.subscription_identifiers.clear();
    }
    // User Property is allowed everywhere.
    p
}

/// Keeps only the properties `place` may carry, and those in a valid combination.
fn allowed_in(p: Properties, place: Place) -> Properties {
    let mut p = in_table_for(p, place);
    // Authentication Data without an Authentication Method is a protocol error.
    if p.authentication_method.is_none() {
        p.authentication_data = None;
    }
    // A SUBSCRIBE carries at most one Subscription Identifier.
    if place == Place::Subscribe {
        p.subscription_identifiers.truncate(1);
    }
    p
}

/// Properties for `place` in MQTT 5; none at all in MQTT 3.x.
///
/// Boxed, as is [`any_properties_strategy`]: the value tree of 27 optional
/// properties is large, and nesting it unboxed overflows a debug-build test
/// thread's stack.
fn properties_strategy(protocol: Protocol, place: Place) -> BoxedStrategy<Properties> {
    if !protocol.is_v5() {
        return Just(Properties::default()).boxed();
    }
    any_properties_strategy()
        .prop_map(move |p| allowed_in(p, place))
        .boxed()
}

fn place_strategy() -> impl Strategy<Value = Place> {
    proptest::sample::select(
        &[
            Place::Connect,
            Place::Will,
            Place::ConnAck,
            Place::Publish,
            Place::Ack,
            Place::Subscribe,
            Place::SubAck,
            Place::Unsubscribe,
            Place::UnsubAck,
            Place::Disconnect,
            Place::Auth,
        ][..],
    )
}

/// The smallest valid MQTT 5 packet with `properties` in `place`.
fn packet_with_properties_in(place: Place, properties: Properties) -> Packet {
    let t = || "t".to_owned();
    match place {
        Place::Connect | Place::Will => {
            let (properties, will) = match place {
                Place::Will => {
                    let will = Will {
                        topic: t(),
                        properties,
                        ..Will::default()
                    };
                    (Properties::default(), Some(will))
                }
                _ => (properties, None),
            };
            Packet::Connect(Box::new(Connect {
                protocol: Protocol::V5,
                clean_start: true,
                keep_alive: 0,
                client_id: String::new(),
                will,
                username: None,
                password: None,
                properties,
            }))
        }
        Place::ConnAck => Packet::ConnAck(ConnAck {
            properties,
            ..ConnAck::default()
        }),
        Place::Publish => Packet::Publish(Publish {
            topic: t().into(),
            properties,
            ..Publish::default()
        }),
        Place::Ack => Packet::PubAck(Ack {
            properties,
            ..Ack::new(AckKind::PubAck, 1)
        }),
        Place::Subscribe => Packet::Subscribe(Subscribe {
            packet_id: 1,
            subscriptions: vec![Subscription::new(t(), QoS::AtMostOnce)],
            properties,
        }),
        Place::SubAck => Packet::SubAck(SubAck {
            packet_id: 1,
            reasons: vec![ReasonCode::SUCCESS],
            properties,
        }),
        Place::Unsubscribe => Packet::Unsubscribe(Unsubscribe {
            packet_id: 1,
            filters: vec![t()],
            properties,
        }),
        Place::UnsubAck => Packet::UnsubAck(UnsubAck {
            packet_id: 1,
            reasons: vec![ReasonCode::SUCCESS],
            properties,
        }),
        Place::Disconnect => Packet::Disconnect(Disconnect {
            reason: ReasonCode::SUCCESS,
            properties,
        }),
        Place::Auth => Packet::Auth(Auth {
            reason: ReasonCode::SUCCESS,
            properties,
        }),
    }
}

// ---------------------------------------------------------------------------
// Packets, one strategy per family
// ---------------------------------------------------------------------------

fn will_strategy(protocol: Protocol) -> impl Strategy<Value = Will> {
    (
        topic_name_strategy(),
        binary_strategy(),
        qos_strategy(),
        any::<bool>(),
        properties_strategy(protocol, Place::Will),
    )
        .prop_map(|(topic, payload, qos, retain, properties)| Will {
            topic,
            payload,
            qos,
            retain,
            properties,
        })
}

/// CONNECT in any of the three versions, which it carries itself.
fn connect_strategy() -> impl Strategy<Value = Connect> {
    protocol_strategy().prop_flat_map(|protocol| {
        // MQTT 3.1 requires 1 to 23 characters; later versions allow an empty one.
        let client_id = if protocol == Protocol::V31 {
            "[^\\x00]{1,23}"
        } else {
            "[^\\x00]{0,23}"
        };
        (
            any::<bool>(),
            any::<u16>(),
            client_id,
            weighted(PRESENT, will_strategy(protocol)),
            weighted(0.5, text_strategy()),
            weighted(0.5, binary_strategy()),
            properties_strategy(protocol, Place::Connect),
        )
            .prop_map(
                move |(
                    clean_start,
                    keep_alive,
                    client_id,
                    will,
                    username,
                    password,
                    properties,
                )| {
                    // MQTT 3.x allows a password only after a user name [MQTT-3.1.2-22].
                    let password = if protocol.is_v5() || username.is_some() {
                        password
                    } else {
                        None
                    };
                    Connect {
                        protocol,
                        // MQTT 3.x allows an empty client id only with a clean session
                        // [MQTT-3.1.3-7].
                        clean_start: clean_start || (client_id.is_empty() && !protocol.is_v5()),
                        keep_alive,
                        client_id,
                        will,
                        username,
                        password,
                        properties,
                    }
                },
            )
    })
}

fn connack_strategy(protocol: Protocol) -> impl Strategy<Value = ConnAck> {
    let table = if protocol.is_v5() {
        CONNACK_REASONS
    } else {
        CONNACK_V311_REASONS
    };
    (
        any::<bool>(),
        reason_strategy(table),
        properties_strategy(protocol, Place::ConnAck),
    )
        .prop_map(|(session_present, reason, properties)| ConnAck {
            // A refusal never has a session [MQTT-3.2.2-6].
            session_present: session_present && reason == ReasonCode::SUCCESS,
            reason,
            properties,
        })
}

fn publish_strategy(protocol: Protocol) -> impl Strategy<Value = Publish> {
    (
        qos_strategy(),
        any::<bool>(),
        any::<bool>(),
        topic_name_strategy(),
        packet_id_strategy(),
        properties_strategy(protocol, Place::Publish),
        any::<bool>(),
        vec(any::<u8>(), 0..64),
    )
        .prop_map(
            |(qos, dup, retain, topic, id, properties, use_alias_only, payload)| {
                // With a topic alias, MQTT 5 may leave the topic name empty.
                let topic = if use_alias_only && properties.topic_alias.is_some() {
                    String::new()
                } else {
                    topic
                };
                let at_most_once = qos == QoS::AtMostOnce;
                Publish {
                    dup: dup && !at_most_once,
                    qos,
                    retain,
                    topic: topic.into(),
                    packet_id: if at_most_once { 0 } else { id },
                    properties,
                    payload: Bytes::from(payload),
                }
            },
        )
}

/// PUBACK, PUBREC, PUBREL or PUBCOMP.
fn ack_strategy(protocol: Protocol) -> impl Strategy<Value = Ack> {
    let kind = prop_oneof![
        Just(AckKind::PubAck),
        Just(AckKind::PubRec),
        Just(AckKind::PubRel),
        Just(AckKind::PubComp)
    ];
    kind.prop_flat_map(move |kind| {
        let table = match kind {
            _ if !protocol.is_v5() => SUCCESS_ONLY,
            AckKind::PubAck | AckKind::PubRec => PUBACK_REASONS,
            AckKind::PubRel | AckKind::PubComp => PUBREL_REASONS,
        };
        (
            packet_id_strategy(),
            reason_strategy(table),
            properties_strategy(protocol, Place::Ack),
        )
            .prop_map(move |(packet_id, reason, properties)| Ack {
                kind,
                packet_id,
                reason,
                properties,
            })
    })
}

fn subscription_strategy(protocol: Protocol) -> impl Strategy<Value = Subscription> {
    let retain_handling = prop_oneof![
        Just(RetainHandling::OnSubscribe),
        Just(RetainHandling::OnNewSubscribe),
        Just(RetainHandling::Never)
    ];
    (
        topic_filter_strategy(),
        qos_strategy(),
        any::<bool>(),
        any::<bool>(),
        retain_handling,
    )
        .prop_map(
            move |(filter, qos, no_local, retain_as_published, retain_handling)| {
                if !protocol.is_v5() {
                    return Subscription::new(filter, qos);
                }
                Subscription {
                    // No Local on a shared subscription is a protocol error [MQTT-3.8.3-4].
                    no_local: no_local && !is_shared(&filter),
                    filter,
                    qos,
                    retain_as_published,
                    retain_handling,
                }
            },
        )
}

fn subscribe_strategy(protocol: Protocol) -> impl Strategy<Value = Subscribe> {
    (
        packet_id_strategy(),
        vec(subscription_strategy(protocol), 1..4),
        properties_strategy(protocol, Place::Subscribe),
    )
        .prop_map(|(packet_id, subscriptions, properties)| Subscribe {
            packet_id,
            subscriptions,
            properties,
        })
}

fn suback_strategy(protocol: Protocol) -> impl Strategy<Value = SubAck> {
    let table = if protocol.is_v5() {
        SUBACK_REASONS
    } else {
        SUBACK_V311_REASONS
    };
    (
        packet_id_strategy(),
        vec(reason_strategy(table), 1..4),
        properties_strategy(protocol, Place::SubAck),
    )
        .prop_map(|(packet_id, reasons, properties)| SubAck {
            packet_id,
            reasons,
            properties,
        })
}

fn unsubscribe_strategy(protocol: Protocol) -> impl Strategy<Value = Unsubscribe> {
    (
        packet_id_strategy(),
        vec(topic_filter_strategy(), 1..4),
        properties_strategy(protocol, Place::Unsubscribe),
    )
        .prop_map(|(packet_id, filters, properties)| Unsubscribe {
            packet_id,
            filters,
            properties,
        })
}

/// UNSUBACK: one reason code per filter in MQTT 5, none in MQTT 3.x.
fn unsuback_strategy(protocol: Protocol) -> impl Strategy<Value = UnsubAck> {
    let count = if protocol.is_v5() { 1..4 } else { 0..1 };
    (
        packet_id_strategy(),
        vec(reason_strategy(UNSUBACK_REASONS), count),
        properties_strategy(protocol, Place::UnsubAck),
    )
        .prop_map(|(packet_id, reasons, properties)| UnsubAck {
            packet_id,
            reasons,
            properties,
        })
}

/// DISCONNECT: a reason and properties in MQTT 5, empty in MQTT 3.x.
fn disconnect_strategy(protocol: Protocol) -> impl Strategy<Value = Disconnect> {
    let table = if protocol.is_v5() {
        DISCONNECT_REASONS
    } else {
        SUCCESS_ONLY
    };
    (
        reason_strategy(table),
        properties_strategy(protocol, Place::Disconnect),
    )
        .prop_map(|(reason, properties)| Disconnect { reason, properties })
}

/// AUTH (MQTT 5 only): empty for plain success, else with its method [MQTT-3.15.2-1].
fn auth_strategy() -> impl Strategy<Value = Auth> {
    let step = (
        reason_strategy(AUTH_REASONS),
        properties_strategy(Protocol::V5, Place::Auth),
        "[^\\x00]{1,12}",
    )
        .prop_map(|(reason, mut properties, method)| {
            properties.authentication_method = Some(method);
            Auth { reason, properties }
        });
    prop_oneof![1 => Just(Auth::default()), 4 => step]
}

fn ping_strategy() -> impl Strategy<Value = Packet> {
    prop_oneof![Just(Packet::PingReq), Just(Packet::PingResp)]
}

/// Any packet valid on a connection speaking `protocol`.
fn packet_strategy(protocol: Protocol) -> BoxedStrategy<Packet> {
    let mut families = vec![
        connect_strategy()
            .prop_map(|c| Packet::Connect(Box::new(c)))
            .boxed(),
        connack_strategy(protocol).prop_map(Packet::ConnAck).boxed(),
        publish_strategy(protocol).prop_map(Packet::Publish).boxed(),
        ack_strategy(protocol).prop_map(Packet::ack).boxed(),
        subscribe_strategy(protocol)
            .prop_map(Packet::Subscribe)
            .boxed(),
        suback_strategy(protocol).prop_map(Packet::SubAck).boxed(),
        unsubscribe_strategy(protocol)
            .prop_map(Packet::Unsubscribe)
            .boxed(),
        unsuback_strategy(protocol)
            .prop_map(Packet::UnsubAck)
            .boxed(),
        ping_strategy().boxed(),
        disconnect_strategy(protocol)
            .prop_map(Packet::Disconnect)
            .boxed(),
    ];
    if protocol.is_v5() {
        families.push(auth_strategy().prop_map(Packet::Auth).boxed());
    }
    Union::new(families).boxed()
}

/// A protocol and a packet valid in it.
fn protocol_and_packet_strategy() -> impl Strategy<Value = (Protocol, Packet)> {
    protocol_strategy().prop_flat_map(|protocol| (Just(protocol), packet_strategy(protocol)))
}

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

/// Encodes `packet`, failing the case if the codec refuses a valid packet.
fn encoded(packet: &Packet, protocol: Protocol) -> Result<BytesMut, TestCaseError> {
    let mut buf = BytesMut::new();
    encode(packet, protocol, &mut buf)
        .map_err(|e| TestCaseError::fail(format!("encoding {packet:?} failed: {e}")))?;
    Ok(buf)
}

/// Encodes to `encoded_len` bytes and decodes back to the same packet, using the
/// whole buffer.
fn check_round_trip(packet: &Packet, protocol: Protocol) -> Result<(), TestCaseError> {
    let mut buf = encoded(packet, protocol)?;
    prop_assert_eq!(packet.encoded_len(protocol), buf.len());
    let decoded = decode(&mut buf, protocol, MAX_PACKET_SIZE);
    prop_assert_eq!(decoded, Ok(Some(packet.clone())));
    prop_assert!(buf.is_empty(), "{} bytes left over", buf.len());
    Ok(())
}

/// Takes packets off `buf` until it is empty, incomplete or invalid; every
/// packet decoded must encode again and decode to itself.
fn check_whatever_decodes_round_trips(
    mut buf: BytesMut,
    protocol: Protocol,
    max_packet_size: usize,
) -> Result<(), TestCaseError> {
    while let Ok(Some(packet)) = decode(&mut buf, protocol, max_packet_size) {
        check_round_trip(&packet, protocol)?;
    }
    Ok(())
}

/// A fixed header: the first byte and the remaining length as a variable byte integer.
fn fixed_header(first: u8, mut remaining: usize) -> Vec<u8> {
    let mut header = vec![first];
    loop {
        let byte = (remaining % 128) as u8;
        remaining /= 128;
        if remaining == 0 {
            header.push(byte);
            return header;
        }
        header.push(byte | 0x80);
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn a_connect_of_any_version_round_trips_on_any_connection(
        connect in connect_strategy(),
        protocol in protocol_strategy(),
    ) {
        check_round_trip(&Packet::Connect(Box::new(connect)), protocol)?;
    }

    #[test]
    fn a_connack_round_trips(
        (protocol, connack) in protocol_strategy().prop_flat_map(|p| (Just(p), connack_strategy(p))),
    ) {
        check_round_trip(&Packet::ConnAck(connack), protocol)?;
    }

    #[test]
    fn a_publish_round_trips(
        (protocol, publish) in protocol_strategy().prop_flat_map(|p| (Just(p), publish_strategy(p))),
    ) {
        check_round_trip(&Packet::Publish(publish), protocol)?;
    }

    #[test]
    fn each_acknowledgement_round_trips(
        (protocol, ack) in protocol_strategy().prop_flat_map(|p| (Just(p), ack_strategy(p))),
    ) {
        check_round_trip(&Packet::ack(ack), protocol)?;
    }

    #[test]
    fn a_subscribe_round_trips(
        (protocol, subscribe) in protocol_strategy().prop_flat_map(|p| (Just(p), subscribe_strategy(p))),
    ) {
        check_round_trip(&Packet::Subscribe(subscribe), protocol)?;
    }

    #[test]
    fn a_suback_round_trips(
        (protocol, suback) in protocol_strategy().prop_flat_map(|p| (Just(p), suback_strategy(p))),
    ) {
        check_round_trip(&Packet::SubAck(suback), protocol)?;
    }

    #[test]
    fn an_unsubscribe_round_trips(
        (protocol, unsubscribe) in protocol_strategy().prop_flat_map(|p| (Just(p), unsubscribe_strategy(p))),
    ) {
        check_round_trip(&Packet::Unsubscribe(unsubscribe), protocol)?;
    }

    #[test]
    fn an_unsuback_round_trips(
        (protocol, unsuback) in protocol_strategy().prop_flat_map(|p| (Just(p), unsuback_strategy(p))),
    ) {
        check_round_trip(&Packet::UnsubAck(unsuback), protocol)?;
    }

    #[test]
    fn pings_round_trip(packet in ping_strategy(), protocol in protocol_strategy()) {
        check_round_trip(&packet, protocol)?;
    }

    #[test]
    fn a_disconnect_round_trips(
        (protocol, disconnect) in protocol_strategy().prop_flat_map(|p| (Just(p), disconnect_strategy(p))),
    ) {
        check_round_trip(&Packet::Disconnect(disconnect), protocol)?;
    }

    #[test]
    fn an_auth_round_trips_in_mqtt5(auth in auth_strategy()) {
        check_round_trip(&Packet::Auth(auth), Protocol::V5)?;
    }

    #[test]
    fn an_auth_is_refused_by_mqtt3_encoders(
        auth in auth_strategy(),
        protocol in prop_oneof![Just(Protocol::V31), Just(Protocol::V311)],
    ) {
        let mut buf = BytesMut::new();
        prop_assert!(encode(&Packet::Auth(auth), protocol, &mut buf).is_err());
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn every_prefix_of_a_packet_is_incomplete(
        (protocol, packet) in protocol_and_packet_strategy(),
    ) {
        let bytes = encoded(&packet, protocol)?;
        for len in 0..bytes.len() {
            let mut prefix = BytesMut::from(&bytes[..len]);
            prop_assert_eq!(
                decode(&mut prefix, protocol, MAX_PACKET_SIZE),
                Ok(None),
                "prefix of {} of {} bytes",
                len,
                bytes.len()
            );
            prop_assert_eq!(&prefix[..], &bytes[..len], "an incomplete decode consumed bytes");
        }
    }

    #[test]
    fn packets_sharing_a_buffer_decode_in_order(
        (protocol, packets) in protocol_strategy()
            .prop_flat_map(|p| (Just(p), vec(packet_strategy(p), 1..6))),
    ) {
        let mut buf = BytesMut::new();
        for packet in &packets {
            encode(packet, protocol, &mut buf)
                .map_err(|e| TestCaseError::fail(format!("encoding {packet:?} failed: {e}")))?;
        }
        let mut decoded = Vec::new();
        while let Some(packet) = decode(&mut buf, protocol, MAX_PACKET_SIZE)
            .map_err(|e| TestCaseError::fail(format!("decoding failed: {e}")))?
        {
            decoded.push(packet);
        }
        prop_assert_eq!(decoded, packets);
        prop_assert!(buf.is_empty(), "{} bytes left over", buf.len());
    }

    #[test]
    fn a_corrupted_packet_fails_to_decode_or_round_trips(
        (protocol, packet) in protocol_and_packet_strategy(),
        position in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = encoded(&packet, protocol)?;
        let i = position.index(bytes.len());
        bytes[i] = byte;
        check_whatever_decodes_round_trips(bytes, protocol, MAX_PACKET_SIZE)?;
    }

    #[test]
    fn a_property_outside_the_table_is_refused_and_one_inside_round_trips(
        place in place_strategy(),
        properties in any_properties_strategy(),
        only_allowed in any::<bool>(),
    ) {
        let properties = if only_allowed { allowed_in(properties, place) } else { properties };
        let packet = packet_with_properties_in(place, properties.clone());
        let mut buf = BytesMut::new();
        let result = encode(&packet, Protocol::V5, &mut buf);
        if allowed_in(properties.clone(), place) == properties {
            prop_assert_eq!(result, Ok(()));
            check_round_trip(&packet, Protocol::V5)?;
        } else if in_table_for(properties.clone(), place) != properties {
            prop_assert!(
                matches!(result, Err(Error::PropertyNotAllowed { .. })),
                "{:?} in {:?}: {:?}", properties, place, result
            );
            prop_assert!(buf.is_empty(), "a refused packet left bytes behind");
        }
    }

    #[test]
    fn a_frame_over_the_maximum_size_is_refused_from_its_header_alone(
        first in any::<u8>(),
        max_packet_size in 2..1024usize,
        excess in 1..=MAX_REMAINING_LENGTH,
        protocol in protocol_strategy(),
    ) {
        // The smallest remaining length over the maximum, plus some.
        let remaining = (max_packet_size + excess).min(MAX_REMAINING_LENGTH);
        let header = fixed_header(first, remaining);
        let size = header.len() + remaining;
        prop_assert!(size > max_packet_size);
        let too_large = Error::PacketTooLarge { size, max: max_packet_size };
        prop_assert_eq!(frame_len(&header, max_packet_size), Err(too_large.clone()));
        let mut buf = BytesMut::from(&header[..]);
        prop_assert_eq!(decode(&mut buf, protocol, max_packet_size).err(), Some(too_large));
    }

    #[test]
    fn a_frame_within_the_maximum_size_is_measured_from_its_header_alone(
        first in any::<u8>(),
        remaining in 0..=MAX_REMAINING_LENGTH,
    ) {
        let header = fixed_header(first, remaining);
        let size = header.len() + remaining;
        prop_assert_eq!(frame_len(&header, size), Ok(Some(size)));
        prop_assert_eq!(frame_len(&header[..header.len() - 1], size), Ok(None));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(RANDOM_CASES))]

    #[test]
    fn random_bytes_never_panic_and_whatever_decodes_round_trips(
        bytes in vec(any::<u8>(), 0..512),
        protocol in protocol_strategy(),
    ) {
        // Not MAX_PACKET_SIZE: decode reserves room for the whole announced packet,
        // which for random length bytes is often hundreds of megabytes.
        check_whatever_decodes_round_trips(BytesMut::from(&bytes[..]), protocol, 1 << 20)?;
        check_whatever_decodes_round_trips(BytesMut::from(&bytes[..]), protocol, 64)?;
    }

    #[test]
    fn a_random_body_behind_a_valid_header_never_panics_and_round_trips_if_it_decodes(
        first in any::<u8>(),
        body in vec(any::<u8>(), 0..512),
        protocol in protocol_strategy(),
    ) {
        let mut bytes = fixed_header(first, body.len());
        bytes.extend_from_slice(&body);
        check_whatever_decodes_round_trips(BytesMut::from(&bytes[..]), protocol, MAX_PACKET_SIZE)?;
    }
}

/// Which reason codes one packet may carry, and how to build it and its bytes.
struct ReasonCase {
    packet: &'static str,
    protocol: Protocol,
    table: &'static [u8],
    build: Box<dyn Fn(ReasonCode) -> Packet>,
    /// The packet's bytes with `code` as its reason; none for the MQTT 3.1.1
    /// CONNACK, which sends return codes rather than reason codes.
    wire: Option<Box<dyn Fn(u8) -> Vec<u8>>>,
}

impl ReasonCase {
    fn v5(
        packet: &'static str,
        table: &'static [u8],
        build: impl Fn(ReasonCode) -> Packet + 'static,
        wire: impl Fn(u8) -> Vec<u8> + 'static,
    ) -> ReasonCase {
        ReasonCase {
            packet,
            protocol: Protocol::V5,
            table,
            build: Box::new(build),
            wire: Some(Box::new(wire)),
        }
    }

    /// PUBACK, PUBREC, PUBREL or PUBCOMP with packet id 1.
    fn ack(kind: AckKind, table: &'static [u8], first_byte: u8) -> ReasonCase {
        ReasonCase::v5(
            kind.name(),
            table,
            move |reason| {
                Packet::ack(Ack {
                    reason,
                    ..Ack::new(kind, 1)
                })
            },
            // type and flags, length 3, packet id 1, reason
            move |code| vec![first_byte, 0x03, 0x00, 0x01, code],
        )
    }
}

fn connack_with(reason: ReasonCode) -> Packet {
    Packet::ConnAck(ConnAck {
        reason,
        ..ConnAck::default()
    })
}

fn suback_with(reason: ReasonCode) -> Packet {
    Packet::SubAck(SubAck {
        packet_id: 1,
        reasons: vec![reason],
        properties: Properties::default(),
    })
}

fn reason_cases() -> Vec<ReasonCase> {
    vec![
        ReasonCase::v5(
            "CONNACK",
            CONNACK_REASONS,
            connack_with,
            // CONNACK, length 3, no session, reason, no properties
            |code| vec![0x20, 0x03, 0x00, code, 0x00],
        ),
        ReasonCase {
            packet: "CONNACK",
            protocol: Protocol::V311,
            table: CONNACK_V311_REASONS,
            build: Box::new(connack_with),
            wire: None,
        },
        ReasonCase::ack(AckKind::PubAck, PUBACK_REASONS, 0x40),
        ReasonCase::ack(AckKind::PubRec, PUBACK_REASONS, 0x50),
        ReasonCase::ack(AckKind::PubRel, PUBREL_REASONS, 0x62),
        ReasonCase::ack(AckKind::PubComp, PUBREL_REASONS, 0x70),
        ReasonCase::v5(
            "SUBACK",
            SUBACK_REASONS,
            suback_with,
            // SUBACK, length 4, packet id 1, no properties, reason
            |code| vec![0x90, 0x04, 0x00, 0x01, 0x00, code],
        ),
        ReasonCase {
            packet: "SUBACK",
            protocol: Protocol::V311,
            table: SUBACK_V311_REASONS,
            build: Box::new(suback_with),
            // SUBACK, length 3, packet id 1, return code
            wire: Some(Box::new(|code| vec![0x90, 0x03, 0x00, 0x01, code])),
        },
        ReasonCase::v5(
            "UNSUBACK",
            UNSUBACK_REASONS,
            |reason| {
                Packet::UnsubAck(UnsubAck {
                    packet_id: 1,
                    reasons: vec![reason],
                    properties: Properties::default(),
                })
            },
            // UNSUBACK, length 4, packet id 1, no properties, reason
            |code| vec![0xB0, 0x04, 0x00, 0x01, 0x00, code],
        ),
        ReasonCase::v5(
            "DISCONNECT",
            DISCONNECT_REASONS,
            |reason| {
                Packet::Disconnect(Disconnect {
                    reason,
                    properties: Properties::default(),
                })
            },
            // DISCONNECT, length 1, reason
            |code| vec![0xE0, 0x01, code],
        ),
        ReasonCase::v5(
            "AUTH",
            AUTH_REASONS,
            |reason| {
                Packet::Auth(Auth {
                    reason,
                    properties: Properties::default(),
                })
            },
            // AUTH, length 1, reason
            |code| vec![0xF0, 0x01, code],
        ),
    ]
}

#[test]
fn every_reason_code_is_accepted_exactly_where_the_specification_allows_it() {
    for case in reason_cases() {
        for code in 0..=u8::MAX {
            let packet = (case.build)(ReasonCode(code));
            let what = format!("{} {:#04x} in MQTT {}", case.packet, code, case.protocol);
            let refused = Error::InvalidReasonCode {
                packet: case.packet,
                code,
            };
            let allowed = case.table.contains(&code);
            let encoded = encode(&packet, case.protocol, &mut BytesMut::new());
            assert_eq!(encoded.is_ok(), allowed, "encoding {what}: {encoded:?}");
            if !allowed {
                assert_eq!(encoded, Err(refused.clone()), "encoding {what}");
            }
            if let Some(wire) = &case.wire {
                let mut buf = BytesMut::from(&wire(code)[..]);
                let decoded = decode(&mut buf, case.protocol, MAX_PACKET_SIZE);
                let expected = if allowed {
                    Ok(Some(packet))
                } else {
                    Err(refused)
                };
                assert_eq!(decoded, expected, "decoding {what}");
            }
        }
    }
}
