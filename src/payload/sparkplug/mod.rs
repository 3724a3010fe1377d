//! Sparkplug B: the protobuf payloads under `spBv1.0/`, decoded by topic,
//! with the aliases of DATA messages named from their BIRTH and the session
//! rules checked (see `session`); STATE messages read as a host
//! application's state; payloads made from JSON for `pub --encode`.
//!
//! Layout:
//! - `schema`: the protobuf messages
//! - `datatype`: the datatypes and how their values sit in the fields
//! - `decode` / `encode`: a payload to JSON and back
//! - `topic`: the topic namespace
//! - `session`: what is kept of each edge node

mod datatype;
mod decode;
mod encode;
mod schema;
mod session;
mod topic;

use prost::Message as _;
use serde_json::{Map, Value};

pub use topic::is_sparkplug;

use schema::{Metric, MetricValue, Payload};
use session::Session;
use topic::{Kind, Topic};

/// A Sparkplug message read: its JSON text, the warnings it gave rise to, and,
/// when names are missing and `--rebirth` asked for it, the NCMD topic of
/// the edge node to ask for a new BIRTH.
#[derive(Debug, Default)]
pub struct Read {
    pub json: String,
    pub warnings: Vec<String>,
    pub ask_rebirth: Option<String>,
}

/// A Sparkplug host application's view of the messages, one at a time.
#[derive(Debug, Default)]
pub struct Reader {
    session: Session,
    rebirth: bool,
}

impl Reader {
    /// A reader; with `rebirth`, it names the edge nodes to ask for a new
    /// BIRTH (see [`Read::ask_rebirth`]), otherwise a warning suggests it.
    pub fn new(rebirth: bool) -> Reader {
        Reader {
            session: Session::default(),
            rebirth,
        }
    }

    /// Reads the payload of a message on `topic`.
    pub fn read(&mut self, topic: &str, payload: &[u8]) -> Result<Read, String> {
        match topic::parse(topic) {
            Some(Topic::State { host }) => state(host, payload),
            Some(Topic::Message {
                group,
                kind,
                edge_node,
                device,
            }) => self.message(group, kind, edge_node, device, payload),
            None => Err("not a Sparkplug B topic (spBv1.0/GROUP/TYPE/EDGE_NODE[/DEVICE])".into()),
        }
    }

    fn message(
        &mut self,
        group: &str,
        kind: Kind,
        edge_node: &str,
        device: Option<&str>,
        bytes: &[u8],
    ) -> Result<Read, String> {
        let payload =
            Payload::decode(bytes).map_err(|e| format!("not a Sparkplug B payload: {e}"))?;
        let observed = self
            .session
            .observe((group, edge_node, device), kind, &payload);
        let births = self.session.births(group, edge_node, device);
        let (json, unnamed) = decode::payload(&payload, &births);
        let mut read = Read {
            json,
            warnings: observed.warnings,
            ask_rebirth: None,
        };
        let mut wants_birth = observed.wants_birth;
        if !unnamed.is_empty() && !wants_birth && self.session.first_unnamed(group, edge_node) {
            let aliases: Vec<String> = unnamed.iter().map(u64::to_string).collect();
            read.warnings.push(format!(
                "Sparkplug: {} has aliases no BIRTH named: {}",
                topic_name(group, edge_node, device),
                aliases.join(", ")
            ));
            wants_birth = true;
        }
        if wants_birth {
            let ncmd = format!("{}/{group}/NCMD/{edge_node}", topic::NAMESPACE);
            if self.rebirth {
                read.warnings.push(format!(
                    "Sparkplug: asking {group}/{edge_node} for a new BIRTH on {ncmd}"
                ));
                read.ask_rebirth = Some(ncmd);
            } else {
                read.warnings
                    .push("Sparkplug: --rebirth asks the edge node for a new BIRTH".to_string());
            }
        }
        Ok(read)
    }
}

fn topic_name(group: &str, edge_node: &str, device: Option<&str>) -> String {
    match device {
        Some(device) => format!("{group}/{edge_node}/{device}"),
        None => format!("{group}/{edge_node}"),
    }
}

/// A STATE message: Sparkplug 3.0's JSON `{"online": true, "timestamp":
/// ms}`, or the `ONLINE`/`OFFLINE` text of earlier versions.
fn state(host: &str, payload: &[u8]) -> Result<Read, String> {
    let mut object = Map::new();
    object.insert("host".into(), host.into());
    match payload {
        b"ONLINE" | b"OFFLINE" => {
            object.insert("online".into(), (payload == b"ONLINE").into());
        }
        json => {
            let state: Value = serde_json::from_slice(json)
                .map_err(|e| format!("a STATE payload is JSON: {e}"))?;
            let online = state
                .get("online")
                .and_then(Value::as_bool)
                .ok_or("a STATE payload has \"online\": true or false")?;
            object.insert("online".into(), online.into());
            if let Some(ms) = state.get("timestamp").and_then(Value::as_u64) {
                object.insert("timestamp".into(), datatype::timestamp(ms));
            }
        }
    }
    Ok(Read {
        json: Value::Object(object).to_string(),
        ..Read::default()
    })
}

/// A Sparkplug payload from its JSON (the shape [`Reader::read`] gives);
/// `now_ms` is the payload's timestamp when the JSON has none.
pub fn encode(json: &Value, now_ms: u64) -> Result<Vec<u8>, String> {
    Ok(encode::payload(json, now_ms)?.encode_to_vec())
}

/// The NCMD payload that asks an edge node for a new BIRTH: the metric
/// `Node Control/Rebirth` set to true.
pub fn rebirth_request(now_ms: u64) -> Vec<u8> {
    Payload {
        timestamp: Some(now_ms),
        metrics: vec![Metric {
            name: Some("Node Control/Rebirth".into()),
            datatype: Some(datatype::BOOLEAN),
            value: Some(MetricValue::Boolean(true)),
            ..Metric::default()
        }],
        ..Payload::default()
    }
    .encode_to_vec()
}
