//! `mqtk ping --info`: what the broker said in its CONNACK, item by item,
//! with the value that applies where it said nothing (MQTT 5.0 §3.2.2.3).

use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::{json, Value};

use crate::codec::{ConnAck, Protocol, QoS};

/// The largest packet MQTT allows: a remaining length of 268,435,455 bytes.
const PROTOCOL_MAXIMUM_PACKET_SIZE: u32 = crate::codec::MAX_VARINT;

/// Where the value of an item comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    /// Part of every CONNACK: the protocol in use, session present.
    Connack,
    /// The broker sent it; with a note when it overrides what we asked.
    Sent(String),
    /// The broker did not send it and this is what applies, for the reason
    /// given when there is more to say than "the default".
    Default(String),
}

/// One line of the info block: a value for JSON and the same for a person.
#[derive(Debug, Clone)]
struct Item {
    label: &'static str,
    key: &'static str,
    value: Value,
    shown: String,
    origin: Origin,
}

/// What the broker said in CONNACK, and what applies where it said nothing.
#[derive(Debug, Clone)]
pub struct Info {
    items: Vec<Item>,
    /// Said once, above the items: why every property is a default.
    note: Option<String>,
}

/// What we asked for in CONNECT, which some defaults repeat.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// The version pinned with -V, if any.
    pub protocol: Option<Protocol>,
    /// Our client identifier, as CONNECT carried it.
    pub client_id: &'a str,
    /// Our keep alive (-k).
    pub keep_alive: u16,
}

impl Info {
    /// Reads the CONNACK that accepted a connection in `protocol`.
    pub fn new(protocol: Protocol, connack: &ConnAck, asked: Asked<'_>) -> Info {
        let v5 = protocol.is_v5();
        let props = &connack.properties;
        let mut block = Block::default();

        let fallback = asked.protocol.is_none() && !v5;
        let version = if fallback {
            format!("{protocol} (the broker refused MQTT 5)")
        } else {
            protocol.to_string()
        };
        block.push(
            "protocol version",
            "protocol_version",
            (protocol.to_string().into(), version),
            Origin::Connack,
        );
        block.push(
            "session present",
            "session_present",
            flag(connack.session_present),
            Origin::Connack,
        );
        block.text(
            "assigned client identifier",
            "assigned_client_identifier",
            &props.assigned_client_identifier,
            &format!("ours, {}", asked.client_id),
        );
        let qos = |q: QoS| number(q as u8);
        block.property(
            "maximum QoS",
            "maximum_qos",
            props.maximum_qos.map(qos),
            qos(QoS::ExactlyOnce),
            "",
        );
        block.flag(
            "retain available",
            "retain_available",
            props.retain_available,
            true,
        );
        block.property(
            "maximum packet size",
            "maximum_packet_size",
            props
                .maximum_packet_size
                .map(|size| (size.into(), format!("{size} bytes"))),
            (Value::Null, "none".into()),
            &format!("the protocol's {PROTOCOL_MAXIMUM_PACKET_SIZE} bytes"),
        );
        block.property(
            "topic alias maximum",
            "topic_alias_maximum",
            props.topic_alias_maximum.map(number),
            number(0u16),
            "",
        );
        let (receive_maximum, why) = if v5 {
            (number(u16::MAX), "")
        } else {
            (
                (Value::Null, "none".into()),
                "mqtk keeps at most 20 QoS 1/2 messages in flight",
            )
        };
        block.property(
            "receive maximum",
            "receive_maximum",
            props.receive_maximum.map(number),
            receive_maximum,
            why,
        );
        let ours = asked.keep_alive;
        match props.server_keep_alive {
            Some(k) => block.push(
                "server keep alive",
                "server_keep_alive",
                keep_alive(k),
                Origin::Sent(if k == ours {
                    String::new()
                } else {
                    format!("replaces -k {ours}")
                }),
            ),
            None => block.push(
                "server keep alive",
                "server_keep_alive",
                keep_alive(ours),
                Origin::Default(format!("ours, -k {ours}")),
            ),
        }
        block.flag(
            "wildcard subscription available",
            "wildcard_subscription_available",
            props.wildcard_subscription_available,
            true,
        );
        block.flag(
            "shared subscription available",
            "shared_subscription_available",
            props.shared_subscription_available,
            true,
        );
        if v5 {
            block.flag(
                "subscription identifier available",
                "subscription_identifier_available",
                props.subscription_identifier_available,
                true,
            );
        } else {
            block.push(
                "subscription identifier available",
                "subscription_identifier_available",
                flag(false),
                Origin::Default("MQTT 5 only".into()),
            );
        }
        block.property(
            "session expiry interval",
            "session_expiry_interval",
            props.session_expiry_interval.map(seconds),
            seconds(0),
            "ours",
        );
        block.text(
            "response information",
            "response_information",
            &props.response_information,
            "",
        );
        block.text(
            "server reference",
            "server_reference",
            &props.server_reference,
            "",
        );
        block.text("reason string", "reason_string", &props.reason_string, "");
        if props.user_properties.is_empty() {
            block.push(
                "user properties",
                "user_properties",
                (json!([]), "none".into()),
                Origin::Default(String::new()),
            );
        }
        for (key, value) in &props.user_properties {
            block.push(
                "user property",
                "user_properties",
                (json!([[key, value]]), format!("{key}={value}")),
                Origin::Sent(String::new()),
            );
        }
        block.text(
            "authentication method",
            "authentication_method",
            &props.authentication_method,
            "",
        );
        let data = props.authentication_data.as_ref().map(|data| {
            let encoded = base64::engine::general_purpose::STANDARD.encode(data);
            (encoded.into(), format!("{} bytes", data.len()))
        });
        block.property(
            "authentication data",
            "authentication_data",
            data,
            (Value::Null, "none".into()),
            "",
        );

        let note = (!v5).then(|| {
            format!("MQTT {protocol} has no CONNACK properties: the defaults below apply")
        });
        Info {
            items: block.items,
            note,
        }
    }

    /// The block as text, one item a line, the values aligned.
    pub fn text(&self) -> String {
        let width = self.items.iter().map(|i| i.label.len()).max().unwrap_or(0);
        let mut text = String::from("CONNACK:\n");
        if let Some(note) = &self.note {
            let _ = writeln!(text, "  ({note})");
        }
        for item in &self.items {
            let origin = match &item.origin {
                Origin::Connack => String::new(),
                Origin::Sent(note) if note.is_empty() => " (sent)".into(),
                Origin::Sent(note) => format!(" (sent, {note})"),
                Origin::Default(why) if why.is_empty() => " (default)".into(),
                Origin::Default(why) => format!(" (default: {why})"),
            };
            let _ = writeln!(text, "  {:<width$}  {}{origin}", item.label, item.shown);
        }
        text
    }

    /// The block as a JSON object: the CONNACK's flags as they are, and each
    /// property as `{"value": ..., "sent": true|false}`.
    pub fn json(&self) -> Value {
        let mut object = serde_json::Map::new();
        let mut properties = serde_json::Map::new();
        for item in &self.items {
            if item.origin == Origin::Connack {
                object.insert(item.key.into(), item.value.clone());
                continue;
            }
            let sent = matches!(item.origin, Origin::Sent(_));
            let entry = properties
                .entry(item.key)
                .or_insert_with(|| json!({"value": null, "sent": sent}));
            // Each user property is an item of its own; JSON gathers them.
            match (&mut entry["value"], &item.value) {
                (Value::Array(all), Value::Array(more)) => all.extend(more.iter().cloned()),
                (slot, value) => *slot = value.clone(),
            }
        }
        object.insert("properties".into(), Value::Object(properties));
        Value::Object(object)
    }
}

/// The items, in the order they are printed.
#[derive(Default)]
struct Block {
    items: Vec<Item>,
}

impl Block {
    fn push(
        &mut self,
        label: &'static str,
        key: &'static str,
        (value, shown): (Value, String),
        origin: Origin,
    ) {
        self.items.push(Item {
            label,
            key,
            value,
            shown,
            origin,
        });
    }

    /// A property as sent, or else `absent` for the reason `why`.
    fn property(
        &mut self,
        label: &'static str,
        key: &'static str,
        sent: Option<(Value, String)>,
        absent: (Value, String),
        why: &str,
    ) {
        match sent {
            Some(sent) => self.push(label, key, sent, Origin::Sent(String::new())),
            None => self.push(label, key, absent, Origin::Default(why.into())),
        }
    }

    /// A yes-or-no property, `absent` when not sent.
    fn flag(&mut self, label: &'static str, key: &'static str, sent: Option<bool>, absent: bool) {
        self.property(label, key, sent.map(flag), flag(absent), "");
    }

    /// A text property, none when not sent.
    fn text(&mut self, label: &'static str, key: &'static str, sent: &Option<String>, why: &str) {
        let sent = sent.clone().map(|text| (text.clone().into(), text));
        self.property(label, key, sent, (Value::Null, "none".into()), why);
    }
}

fn number<T: Copy + ToString + Into<Value>>(n: T) -> (Value, String) {
    (n.into(), n.to_string())
}

fn flag(value: bool) -> (Value, String) {
    (value.into(), if value { "yes" } else { "no" }.into())
}

fn seconds(s: u32) -> (Value, String) {
    (s.into(), format!("{s} s"))
}

fn keep_alive(k: u16) -> (Value, String) {
    let shown = match k {
        0 => "0 (off)".to_string(),
        k => format!("{k} s"),
    };
    (k.into(), shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::PropertyValues;
    use crate::codec::{Properties, ReasonCode};

    const ASKED: Asked<'static> = Asked {
        protocol: None,
        client_id: "me",
        keep_alive: 30,
    };

    fn connack(properties: Properties) -> ConnAck {
        ConnAck {
            session_present: false,
            reason: ReasonCode::SUCCESS,
            properties,
        }
    }

    fn line<'a>(text: &'a str, label: &str) -> &'a str {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label:?} line in:\n{text}"))
    }

    #[test]
    fn absent_properties_show_the_values_that_apply_and_say_so() {
        let info = Info::new(Protocol::V5, &connack(Properties::default()), ASKED);
        let text = info.text();
        assert!(line(&text, "protocol version").ends_with(" 5"), "{text}");
        assert!(line(&text, "session present").ends_with(" no"), "{text}");
        assert!(line(&text, "maximum QoS").ends_with(" 2 (default)"));
        assert!(line(&text, "retain available").ends_with(" yes (default)"));
        assert!(line(&text, "receive maximum").ends_with(" 65535 (default)"));
        assert!(line(&text, "topic alias maximum").ends_with(" 0 (default)"));
        assert!(line(&text, "server keep alive").ends_with(" 30 s (default: ours, -k 30)"));
        assert!(line(&text, "maximum packet size").contains("none (default: the protocol's"));
        assert!(line(&text, "assigned client identifier").ends_with("none (default: ours, me)"));
        let json = info.json();
        assert_eq!(json["protocol_version"], "5");
        assert_eq!(
            json["properties"]["receive_maximum"],
            json!({"value": 65535, "sent": false})
        );
        assert_eq!(
            json["properties"]["maximum_packet_size"]["value"],
            Value::Null
        );
    }

    #[test]
    fn sent_properties_are_marked_sent_and_the_server_keep_alive_replaces_ours() {
        let properties: Properties = PropertyValues {
            receive_maximum: Some(10),
            server_keep_alive: Some(5),
            maximum_qos: Some(QoS::AtLeastOnce),
            user_properties: vec![("a".into(), "1".into()), ("b".into(), "2".into())],
            ..PropertyValues::default()
        }
        .into();
        let info = Info::new(Protocol::V5, &connack(properties), ASKED);
        let text = info.text();
        assert!(
            line(&text, "receive maximum").ends_with(" 10 (sent)"),
            "{text}"
        );
        assert!(line(&text, "maximum QoS").ends_with(" 1 (sent)"));
        assert!(line(&text, "server keep alive").ends_with(" 5 s (sent, replaces -k 30)"));
        assert!(text.contains("user property") && text.contains("a=1 (sent)"));
        assert!(text.contains("b=2 (sent)"));
        let json = info.json();
        assert_eq!(
            json["properties"]["server_keep_alive"],
            json!({"value": 5, "sent": true})
        );
        assert_eq!(
            json["properties"]["user_properties"]["value"],
            json!([["a", "1"], ["b", "2"]])
        );
    }

    #[test]
    fn mqtt_3_1_1_says_it_has_no_properties_and_which_defaults_apply() {
        let info = Info::new(Protocol::V311, &connack(Properties::default()), ASKED);
        let text = info.text();
        assert!(
            text.contains("MQTT 3.1.1 has no CONNACK properties"),
            "{text}"
        );
        assert!(line(&text, "protocol version").contains("3.1.1 (the broker refused MQTT 5)"));
        assert!(
            line(&text, "subscription identifier available").ends_with("no (default: MQTT 5 only)")
        );
        assert!(line(&text, "receive maximum").contains("none (default: mqtk keeps at most 20"));
        let pinned = Asked {
            protocol: Some(Protocol::V311),
            ..ASKED
        };
        let text = Info::new(Protocol::V311, &connack(Properties::default()), pinned).text();
        assert!(
            line(&text, "protocol version").ends_with(" 3.1.1"),
            "{text}"
        );
    }
}
