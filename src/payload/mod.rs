//! What is in a payload: decoders that turn a payload into JSON for `sub
//! --decode` and `rr --decode`, and encoders that turn JSON into a payload
//! for `pub --encode` and `respond --encode`. Pure: bytes in, JSON out, and
//! back; the commands print the JSON and the warnings.
//!
//! A format is chosen by the user, or, with `auto`, by the message: the
//! Sparkplug B namespace by its topic, others by an MQTT 5 content type.
//! Never by guessing from the bytes: a plain string that happens to parse
//! as something else must stay a plain string.
//!
//! Layout:
//! - this file: [`Format`], [`Decoder`] and [`encode`]
//! - `sparkplug`: Sparkplug B, with its session state
//! - `cbor`, `msgpack`: the self-describing binary formats
//! - `protobuf`, `avro`: the formats that need a schema, given at run time

mod avro;
mod cbor;
mod msgpack;
mod protobuf;
pub mod sparkplug;

pub use avro::AvroSchema;
pub use protobuf::ProtoMessage;

use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Number, Value};

/// A payload format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Sparkplug B under spBv1.0/, else CBOR or MessagePack as an MQTT 5 content type says, else the payload as sent
    Auto,
    /// Nothing decoded: every payload as sent
    Raw,
    /// Sparkplug B (protobuf), by its topic namespace
    Sparkplug,
    /// JSON
    Json,
    /// CBOR (RFC 8949)
    Cbor,
    /// MessagePack
    Msgpack,
    /// Protobuf, with --proto FILE and --message TYPE
    Protobuf,
    /// Avro, a raw datum or single-object encoded, with --avro-schema FILE
    Avro,
}

impl Format {
    /// The format's name, for people.
    pub fn name(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Raw => "raw",
            Format::Sparkplug => "Sparkplug B",
            Format::Json => "JSON",
            Format::Cbor => "CBOR",
            Format::Msgpack => "MessagePack",
            Format::Protobuf => "protobuf",
            Format::Avro => "Avro",
        }
    }

    /// The schema option this format needs, if any.
    pub fn needs(self) -> Option<&'static str> {
        match self {
            Format::Protobuf => Some("--proto FILE and --proto-message TYPE"),
            Format::Avro => Some("--avro-schema FILE"),
            _ => None,
        }
    }

    /// The binary format an MQTT 5 content type names, if it is one of
    /// these. Not JSON: a JSON payload is text already, shown as sent.
    fn of_content_type(content_type: &str) -> Option<Format> {
        let essence = content_type.split(';').next()?.trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/cbor" => Some(Format::Cbor),
            "application/msgpack" | "application/x-msgpack" | "application/vnd.msgpack" => {
                Some(Format::Msgpack)
            }
            "application/protobuf"
            | "application/x-protobuf"
            | "application/vnd.google.protobuf" => Some(Format::Protobuf),
            "application/avro" | "avro/binary" | "application/vnd.apache.avro+binary" => {
                Some(Format::Avro)
            }
            _ => None,
        }
    }
}

/// The schemas given for the formats that need one.
#[derive(Debug, Clone, Default)]
pub struct Schemas {
    pub protobuf: Option<ProtoMessage>,
    pub avro: Option<AvroSchema>,
}

impl Schemas {
    /// Whether `format` can be read: it needs no schema, or has one.
    fn has(&self, format: Format) -> bool {
        match format {
            Format::Protobuf => self.protobuf.is_some(),
            Format::Avro => self.avro.is_some(),
            _ => true,
        }
    }
}

/// A payload decoded: its JSON text, on one line (`None` when `auto` found
/// no format, or it did not decode), the warnings to print, and an edge node
/// to ask for a new Sparkplug BIRTH (its NCMD topic).
#[derive(Debug, Default)]
pub struct Decoded {
    pub json: Option<String>,
    pub warnings: Vec<String>,
    pub ask_rebirth: Option<String>,
}

/// Decodes payloads in one format, keeping what a stream of them needs
/// (Sparkplug's BIRTH names).
#[derive(Debug)]
pub struct Decoder {
    format: Format,
    schemas: Schemas,
    sparkplug: sparkplug::Reader,
}

impl Decoder {
    /// A decoder for `format`, with the schemas it and `auto` may use;
    /// `rebirth` asks Sparkplug edge nodes for a new BIRTH when names are
    /// missing.
    pub fn new(format: Format, schemas: Schemas, rebirth: bool) -> Decoder {
        Decoder {
            format,
            schemas,
            sparkplug: sparkplug::Reader::new(rebirth),
        }
    }

    /// Decodes a message's payload. One that does not decode gives a warning
    /// naming the topic and why, and no value: it is printed as it is.
    pub fn decode(&mut self, topic: &str, content_type: Option<&str>, payload: &[u8]) -> Decoded {
        let format = match self.format {
            Format::Auto if sparkplug::is_sparkplug(topic) => Format::Sparkplug,
            Format::Auto => match content_type.and_then(Format::of_content_type) {
                Some(format) if self.schemas.has(format) => format,
                _ => return Decoded::default(),
            },
            Format::Raw => return Decoded::default(),
            format => format,
        };
        let mut decoded = Decoded::default();
        let json = match format {
            Format::Sparkplug => self.sparkplug.read(topic, payload).map(|read| {
                decoded.warnings = read.warnings;
                decoded.ask_rebirth = read.ask_rebirth;
                read.json
            }),
            Format::Json => serde_json::from_slice::<Value>(payload)
                .map(|value| value.to_string())
                .map_err(|e| format!("not JSON: {e}")),
            Format::Cbor => cbor::decode(payload).map(|value| value.to_string()),
            Format::Msgpack => msgpack::decode(payload).map(|value| value.to_string()),
            Format::Protobuf => schema(&self.schemas.protobuf)
                .and_then(|s| s.decode(payload))
                .map(|value| value.to_string()),
            Format::Avro => schema(&self.schemas.avro)
                .and_then(|s| s.decode(payload))
                .map(|value| value.to_string()),
            Format::Auto | Format::Raw => unreachable!("returned above"),
        };
        match json {
            Ok(json) => decoded.json = Some(json),
            Err(why) => decoded.warnings.push(format!(
                "cannot decode the payload on {topic} as {}: {why}; printed as it is",
                format.name()
            )),
        }
        decoded
    }
}

/// A payload in `format` from JSON text, with the schema `schemas` holds
/// for it; `now_ms` stamps a Sparkplug payload that has no timestamp.
/// `auto` and `raw` leave the text as it is.
pub fn encode(
    format: Format,
    schemas: &Schemas,
    json: &[u8],
    now_ms: u64,
) -> Result<Vec<u8>, String> {
    if matches!(format, Format::Auto | Format::Raw) {
        return Ok(json.to_vec());
    }
    let value: Value =
        serde_json::from_slice(json).map_err(|e| format!("the input is not JSON: {e}"))?;
    match format {
        Format::Sparkplug => sparkplug::encode(&value, now_ms),
        Format::Json => Ok(value.to_string().into_bytes()),
        Format::Cbor => cbor::encode(&value),
        Format::Msgpack => msgpack::encode(&value),
        Format::Protobuf => schema(&schemas.protobuf)?.encode(&value),
        Format::Avro => schema(&schemas.avro)?.encode(&value),
        Format::Auto | Format::Raw => unreachable!("returned above"),
    }
}

/// The schema a format needs; the commands refuse the format without one.
fn schema<T>(schema: &Option<T>) -> Result<&T, String> {
    schema
        .as_ref()
        .ok_or_else(|| "no schema was given".to_string())
}

/// A float as a JSON number, or as text when JSON has none for it (NaN, the
/// infinities).
fn json_number(f: f64) -> Value {
    Number::from_f64(f).map_or_else(|| Value::from(f.to_string()), Value::Number)
}

/// A map key as JSON object keys must be: text, or the JSON of any other key.
fn key_text(key: Value) -> String {
    match key {
        Value::String(text) => text,
        other => other.to_string(),
    }
}
