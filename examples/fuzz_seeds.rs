//! Writes the seed corpus of the `decode` fuzz target: every kind of packet in
//! MQTT 3.1, 3.1.1 and 5, encoded by mqtk's own codec, one packet per file plus
//! one whole session per version, each file named after what it holds.
//!
//! The fuzz target takes its input as packets back to back and decodes it once
//! as MQTT 3.1.1 and once as MQTT 5, so a seed is the encoded bytes and nothing
//! else. A name ends in the version it decodes in; a name without one is the
//! same bytes in both. MQTT 3.1 differs from 3.1.1 only in CONNECT, which
//! names its own version, so only CONNECT has 3.1 seeds.
//!
//! Usage: `cargo run --example fuzz_seeds -- fuzz/corpus/decode`
//!
//! Seeds are `.bin` files. The fuzzer's own finds (named by their SHA-1) are
//! left alone; a `.bin` file this run did not write is removed, so that a
//! renamed seed does not linger.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use bytes::{Bytes, BytesMut};
use mqtk::codec::{
    encode, Ack, AckKind, Auth, ConnAck, Connect, Disconnect, Packet, Properties, PropertyValues,
    Protocol, Publish, QoS, ReasonCode, RetainHandling, SubAck, Subscribe, Subscription, UnsubAck,
    Unsubscribe, Will,
};

/// One corpus file: packets encoded in one protocol version.
struct Seed {
    name: String,
    protocol: Protocol,
    packets: Vec<Packet>,
}

fn seed(name: impl Into<String>, protocol: Protocol, packet: Packet) -> Seed {
    Seed {
        name: name.into(),
        protocol,
        packets: vec![packet],
    }
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: cargo run --example fuzz_seeds -- DIR");
        std::process::exit(2);
    };
    let dir = Path::new(&dir);
    fs::create_dir_all(dir).expect("create the corpus directory");
    let mut written: HashMap<Vec<u8>, String> = HashMap::new();
    for seed in all_seeds() {
        let mut bytes = BytesMut::new();
        for packet in &seed.packets {
            if let Err(e) = encode(packet, seed.protocol, &mut bytes) {
                panic!("{}: cannot encode {packet:?}: {e}", seed.name);
            }
        }
        let file = format!("{}.bin", seed.name);
        // Two names for the same bytes would make one of them a lie.
        if let Some(other) = written.insert(bytes.to_vec(), file.clone()) {
            panic!("{file} and {other} are the same bytes: keep one");
        }
        fs::write(dir.join(&file), &bytes).expect("write a seed");
    }
    let kept: Vec<&String> = written.values().collect();
    for entry in fs::read_dir(dir).expect("list the corpus directory") {
        let path = entry.expect("a corpus entry").path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.ends_with(".bin") && !kept.iter().any(|k| **k == name) {
            fs::remove_file(&path).expect("remove a stale seed");
        }
    }
    println!("wrote {} seeds to {}", written.len(), dir.display());
}

fn all_seeds() -> Vec<Seed> {
    let mut seeds = Vec::new();
    seeds.extend(connects());
    seeds.extend(connacks());
    seeds.extend(publishes());
    seeds.extend(acks());
    seeds.extend(subscriptions());
    seeds.extend(endings());
    seeds.extend([session(Protocol::V311, "v311"), session(Protocol::V5, "v5")]);
    seeds
}

fn user_properties(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

fn connect(protocol: Protocol) -> Connect {
    Connect {
        protocol,
        clean_start: true,
        keep_alive: 60,
        client_id: "mqtk-seed".into(),
        will: None,
        username: None,
        password: None,
        properties: Properties::default(),
    }
}

fn will() -> Will {
    Will {
        topic: "dev/1/status".into(),
        payload: Bytes::from_static(b"gone"),
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: Properties::default(),
    }
}

fn connects() -> Vec<Seed> {
    let mut seeds = Vec::new();
    for (protocol, version) in [
        (Protocol::V31, "v31"),
        (Protocol::V311, "v311"),
        (Protocol::V5, "v5"),
    ] {
        let with_credentials = |connect: Connect| Connect {
            username: Some("user".into()),
            password: Some(Bytes::from_static(b"secret")),
            ..connect
        };
        let with_will = Connect {
            will: Some(will()),
            ..connect(protocol)
        };
        let everything = Connect {
            clean_start: false,
            keep_alive: 0,
            ..with_credentials(with_will.clone())
        };
        for (variant, packet) in [
            ("", connect(protocol)),
            ("-credentials", with_credentials(connect(protocol))),
            ("-will", with_will),
            ("-will-credentials", everything),
        ] {
            let name = format!("connect{variant}-{version}");
            seeds.push(seed(name, protocol, Packet::Connect(Box::new(packet))));
        }
    }
    let properties: Properties = PropertyValues {
        session_expiry_interval: Some(3600),
        receive_maximum: Some(20),
        maximum_packet_size: Some(65_536),
        topic_alias_maximum: Some(10),
        request_response_information: Some(true),
        request_problem_information: Some(false),
        user_properties: user_properties(&[("site", "lab"), ("site", "roof")]),
        authentication_method: Some("SCRAM-SHA-1".into()),
        authentication_data: Some(Bytes::from_static(b"client-first")),
        ..PropertyValues::default()
    }
    .into();
    let will_properties: Properties = PropertyValues {
        will_delay_interval: Some(30),
        payload_format_indicator: Some(true),
        message_expiry_interval: Some(600),
        content_type: Some("text/plain".into()),
        response_topic: Some("dev/1/reply".into()),
        correlation_data: Some(Bytes::from_static(b"c1")),
        user_properties: user_properties(&[("cause", "power")]),
        ..PropertyValues::default()
    }
    .into();
    seeds.extend([
        seed(
            "connect-properties-v5",
            Protocol::V5,
            Packet::Connect(Box::new(Connect {
                properties: properties.clone(),
                ..connect(Protocol::V5)
            })),
        ),
        seed(
            "connect-will-properties-v5",
            Protocol::V5,
            Packet::Connect(Box::new(Connect {
                will: Some(Will {
                    properties: will_properties,
                    ..will()
                }),
                username: Some("user".into()),
                password: Some(Bytes::from_static(b"secret")),
                properties: PropertyValues {
                    user_properties: user_properties(&[("site", "lab")]),
                    ..PropertyValues::default()
                }
                .into(),
                ..connect(Protocol::V5)
            })),
        ),
        seed(
            "connect-empty-client-id-v5",
            Protocol::V5,
            Packet::Connect(Box::new(Connect {
                client_id: String::new(),
                ..connect(Protocol::V5)
            })),
        ),
    ]);
    seeds
}

fn connacks() -> Vec<Seed> {
    let connack = |session_present, reason, properties| {
        Packet::ConnAck(ConnAck {
            session_present,
            reason,
            properties,
        })
    };
    let none = Properties::default;
    let everything: Properties = PropertyValues {
        session_expiry_interval: Some(120),
        receive_maximum: Some(100),
        maximum_qos: Some(QoS::AtLeastOnce),
        retain_available: Some(false),
        maximum_packet_size: Some(1 << 20),
        assigned_client_identifier: Some("auto-1".into()),
        topic_alias_maximum: Some(16),
        reason_string: Some("welcome".into()),
        user_properties: user_properties(&[("broker", "seed")]),
        wildcard_subscription_available: Some(true),
        subscription_identifier_available: Some(true),
        shared_subscription_available: Some(false),
        server_keep_alive: Some(30),
        response_information: Some("reply/".into()),
        server_reference: Some("other.example".into()),
        authentication_method: Some("SCRAM-SHA-1".into()),
        authentication_data: Some(Bytes::from_static(b"server-final")),
        ..PropertyValues::default()
    }
    .into();
    let refused: Properties = PropertyValues {
        reason_string: Some("bad credentials".into()),
        ..PropertyValues::default()
    }
    .into();
    vec![
        seed(
            "connack-v311",
            Protocol::V311,
            connack(false, ReasonCode::SUCCESS, none()),
        ),
        seed(
            "connack-session-present-v311",
            Protocol::V311,
            connack(true, ReasonCode::SUCCESS, none()),
        ),
        seed(
            "connack-refused-v311",
            Protocol::V311,
            connack(false, ReasonCode::NOT_AUTHORIZED, none()),
        ),
        seed(
            "connack-v5",
            Protocol::V5,
            connack(false, ReasonCode::SUCCESS, none()),
        ),
        seed(
            "connack-properties-v5",
            Protocol::V5,
            connack(true, ReasonCode::SUCCESS, everything),
        ),
        seed(
            "connack-refused-v5",
            Protocol::V5,
            connack(false, ReasonCode::BAD_USERNAME_OR_PASSWORD, refused),
        ),
    ]
}

fn publish(qos: QoS, packet_id: u16) -> Publish {
    Publish {
        qos,
        packet_id,
        topic: "house/kitchen/temperature".into(),
        payload: Bytes::from_static(b"21.5"),
        ..Publish::default()
    }
}

fn publishes() -> Vec<Seed> {
    let mut seeds = Vec::new();
    for (protocol, version) in [(Protocol::V311, "v311"), (Protocol::V5, "v5")] {
        let variants = [
            ("qos0", publish(QoS::AtMostOnce, 0)),
            (
                "qos1-retain",
                Publish {
                    retain: true,
                    ..publish(QoS::AtLeastOnce, 1)
                },
            ),
            (
                "qos2-dup",
                Publish {
                    dup: true,
                    payload: Bytes::from_static(&[0x00, 0x01, 0xFF]),
                    ..publish(QoS::ExactlyOnce, 2)
                },
            ),
            (
                "empty-payload",
                Publish {
                    retain: true,
                    payload: Bytes::new(),
                    ..publish(QoS::AtMostOnce, 0)
                },
            ),
        ];
        for (variant, packet) in variants {
            let name = format!("publish-{variant}-{version}");
            seeds.push(seed(name, protocol, Packet::Publish(packet)));
        }
    }
    let properties: Properties = PropertyValues {
        payload_format_indicator: Some(true),
        message_expiry_interval: Some(60),
        content_type: Some("text/plain".into()),
        response_topic: Some("reply/here".into()),
        correlation_data: Some(Bytes::from_static(b"abc")),
        subscription_identifiers: vec![3, 9],
        topic_alias: Some(4),
        user_properties: user_properties(&[("unit", "C"), ("unit", "F")]),
        ..PropertyValues::default()
    }
    .into();
    for (qos, packet_id) in [
        (QoS::AtMostOnce, 0),
        (QoS::AtLeastOnce, 5),
        (QoS::ExactlyOnce, 6),
    ] {
        let packet = Publish {
            properties: properties.clone(),
            ..publish(qos, packet_id)
        };
        let name = format!("publish-properties-qos{}-v5", qos as u8);
        seeds.push(seed(name, Protocol::V5, Packet::Publish(packet)));
    }
    // An empty topic stands for the one the alias was set to.
    let aliased = Publish {
        topic: "".into(),
        properties: PropertyValues {
            topic_alias: Some(4),
            ..PropertyValues::default()
        }
        .into(),
        ..publish(QoS::AtMostOnce, 0)
    };
    seeds.push(seed(
        "publish-topic-alias-v5",
        Protocol::V5,
        Packet::Publish(aliased),
    ));
    seeds
}

fn acks() -> Vec<Seed> {
    let mut seeds = Vec::new();
    for (kind, name, refusal) in [
        (
            AckKind::PubAck,
            "puback",
            ReasonCode::NO_MATCHING_SUBSCRIBERS,
        ),
        (AckKind::PubRec, "pubrec", ReasonCode::NOT_AUTHORIZED),
        (AckKind::PubRel, "pubrel", ReasonCode::PACKET_ID_NOT_FOUND),
        (AckKind::PubComp, "pubcomp", ReasonCode::PACKET_ID_NOT_FOUND),
    ] {
        let with_reason = Ack {
            reason: refusal,
            ..Ack::new(kind, 7)
        };
        let with_properties = Ack {
            properties: PropertyValues {
                reason_string: Some("see the broker log".into()),
                user_properties: user_properties(&[("trace", "42")]),
                ..PropertyValues::default()
            }
            .into(),
            ..with_reason.clone()
        };
        // Without a reason code an acknowledgement is the same in 3.1.1 and 5.
        seeds.extend([
            seed(name, Protocol::V311, Packet::ack(Ack::new(kind, 7))),
            seed(
                format!("{name}-reason-v5"),
                Protocol::V5,
                Packet::ack(with_reason),
            ),
            seed(
                format!("{name}-properties-v5"),
                Protocol::V5,
                Packet::ack(with_properties),
            ),
        ]);
    }
    seeds
}

fn subscribe(properties: Properties, subscriptions: Vec<Subscription>) -> Packet {
    Packet::Subscribe(Subscribe {
        packet_id: 3,
        subscriptions,
        properties,
    })
}

fn suback(reasons: &[ReasonCode], properties: Properties) -> Packet {
    Packet::SubAck(SubAck {
        packet_id: 3,
        reasons: reasons.to_vec(),
        properties,
    })
}

fn unsubscribe(properties: Properties) -> Packet {
    Packet::Unsubscribe(Unsubscribe {
        packet_id: 4,
        filters: vec!["house/#".into(), "status".into()],
        properties,
    })
}

fn unsuback(reasons: &[ReasonCode], properties: Properties) -> Packet {
    Packet::UnsubAck(UnsubAck {
        packet_id: 4,
        reasons: reasons.to_vec(),
        properties,
    })
}

fn subscriptions() -> Vec<Seed> {
    let filters = || {
        vec![
            Subscription::new("house/+/temperature", QoS::AtLeastOnce),
            Subscription::new("house/#", QoS::ExactlyOnce),
            Subscription::new("status", QoS::AtMostOnce),
        ]
    };
    let with_options = vec![
        Subscription {
            no_local: true,
            retain_as_published: true,
            retain_handling: RetainHandling::Never,
            ..Subscription::new("dev/1/cmd", QoS::AtLeastOnce)
        },
        Subscription {
            retain_handling: RetainHandling::OnNewSubscribe,
            ..Subscription::new("$share/group/sensors/#", QoS::ExactlyOnce)
        },
    ];
    let none = Properties::default;
    let tagged = || PropertyValues {
        user_properties: user_properties(&[("client", "seed")]),
        ..PropertyValues::default()
    };
    let explained = || -> Properties {
        PropertyValues {
            reason_string: Some("not for you".into()),
            ..tagged()
        }
        .into()
    };
    let granted = [
        ReasonCode::GRANTED_QOS_1,
        ReasonCode::GRANTED_QOS_2,
        ReasonCode::SUCCESS,
    ];
    let granted_and_refused = [
        ReasonCode::GRANTED_QOS_1,
        ReasonCode::GRANTED_QOS_2,
        ReasonCode::UNSPECIFIED_ERROR,
    ];
    let no_subscription_existed = ReasonCode(0x11);
    vec![
        seed(
            "subscribe-v311",
            Protocol::V311,
            subscribe(none(), filters()),
        ),
        seed("subscribe-v5", Protocol::V5, subscribe(none(), filters())),
        seed(
            "subscribe-options-v5",
            Protocol::V5,
            subscribe(none(), with_options),
        ),
        seed(
            "subscribe-properties-v5",
            Protocol::V5,
            subscribe(
                PropertyValues {
                    subscription_identifiers: vec![42],
                    ..tagged()
                }
                .into(),
                filters(),
            ),
        ),
        seed(
            "suback-v311",
            Protocol::V311,
            suback(&granted_and_refused, none()),
        ),
        seed("suback-v5", Protocol::V5, suback(&granted, none())),
        seed(
            "suback-properties-v5",
            Protocol::V5,
            suback(
                &[ReasonCode::GRANTED_QOS_1, ReasonCode::NOT_AUTHORIZED],
                explained(),
            ),
        ),
        seed("unsubscribe-v311", Protocol::V311, unsubscribe(none())),
        seed("unsubscribe-v5", Protocol::V5, unsubscribe(none())),
        seed(
            "unsubscribe-properties-v5",
            Protocol::V5,
            unsubscribe(tagged().into()),
        ),
        seed("unsuback-v311", Protocol::V311, unsuback(&[], none())),
        seed(
            "unsuback-v5",
            Protocol::V5,
            unsuback(&[ReasonCode::SUCCESS, no_subscription_existed], none()),
        ),
        seed(
            "unsuback-properties-v5",
            Protocol::V5,
            unsuback(&[ReasonCode::NOT_AUTHORIZED], explained()),
        ),
    ]
}

/// PINGREQ, PINGRESP, DISCONNECT and AUTH.
fn endings() -> Vec<Seed> {
    let disconnect = |reason, properties| Packet::Disconnect(Disconnect { reason, properties });
    let auth = |reason, properties| Packet::Auth(Auth { reason, properties });
    let method = |data: &'static [u8]| PropertyValues {
        authentication_method: Some("SCRAM-SHA-1".into()),
        authentication_data: Some(Bytes::from_static(data)),
        ..PropertyValues::default()
    };
    let (continue_authentication, re_authenticate) = (ReasonCode(0x18), ReasonCode(0x19));
    vec![
        // The same bytes in 3.1.1 and 5.
        seed("pingreq", Protocol::V311, Packet::PingReq),
        seed("pingresp", Protocol::V311, Packet::PingResp),
        seed(
            "disconnect",
            Protocol::V311,
            disconnect(ReasonCode::SUCCESS, Properties::default()),
        ),
        seed(
            "disconnect-with-will-v5",
            Protocol::V5,
            disconnect(ReasonCode::DISCONNECT_WITH_WILL, Properties::default()),
        ),
        seed(
            "disconnect-session-expiry-v5",
            Protocol::V5,
            disconnect(
                ReasonCode::SUCCESS,
                PropertyValues {
                    session_expiry_interval: Some(120),
                    ..PropertyValues::default()
                }
                .into(),
            ),
        ),
        seed(
            "disconnect-properties-v5",
            Protocol::V5,
            disconnect(
                ReasonCode::SESSION_TAKEN_OVER,
                PropertyValues {
                    reason_string: Some("another client took the id".into()),
                    server_reference: Some("other.example".into()),
                    user_properties: user_properties(&[("by", "mqtk-seed-2")]),
                    ..PropertyValues::default()
                }
                .into(),
            ),
        ),
        seed(
            "auth-v5",
            Protocol::V5,
            auth(ReasonCode::SUCCESS, Properties::default()),
        ),
        seed(
            "auth-continue-v5",
            Protocol::V5,
            auth(continue_authentication, method(b"client-final").into()),
        ),
        seed(
            "auth-reauthenticate-v5",
            Protocol::V5,
            auth(
                re_authenticate,
                PropertyValues {
                    reason_string: Some("token expires".into()),
                    user_properties: user_properties(&[("step", "1")]),
                    ..method(b"client-first")
                }
                .into(),
            ),
        ),
    ]
}

/// A whole conversation in one file: the fuzz target decodes packets back to
/// back, so the packets after the first get a valid start too.
fn session(protocol: Protocol, version: &str) -> Seed {
    let mut packets = vec![
        Packet::Connect(Box::new(Connect {
            will: Some(will()),
            ..connect(protocol)
        })),
        Packet::ConnAck(ConnAck::default()),
        subscribe(
            Properties::default(),
            vec![Subscription::new("house/#", QoS::ExactlyOnce)],
        ),
        suback(&[ReasonCode::GRANTED_QOS_2], Properties::default()),
        Packet::Publish(publish(QoS::AtLeastOnce, 1)),
        Packet::ack(Ack::new(AckKind::PubAck, 1)),
        Packet::Publish(publish(QoS::ExactlyOnce, 2)),
    ];
    packets.extend(
        [AckKind::PubRec, AckKind::PubRel, AckKind::PubComp]
            .map(|kind| Packet::ack(Ack::new(kind, 2))),
    );
    let unsubscribed = if protocol.is_v5() {
        vec![ReasonCode::SUCCESS]
    } else {
        Vec::new()
    };
    packets.extend([
        Packet::PingReq,
        Packet::PingResp,
        unsubscribe(Properties::default()),
        unsuback(&unsubscribed, Properties::default()),
        Packet::Disconnect(Disconnect::default()),
    ]);
    Seed {
        name: format!("session-{version}"),
        protocol,
        packets,
    }
}
