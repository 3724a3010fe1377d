//! MessagePack to JSON and back, through rmpv.

use rmpv::Value as M;
use serde_json::{Map, Value};

use super::{json_number, key_text, BASE64};
use base64::Engine as _;

pub fn decode(payload: &[u8]) -> Result<Value, String> {
    let mut reader = payload;
    let value =
        rmpv::decode::read_value(&mut reader).map_err(|e| format!("not MessagePack: {e}"))?;
    if !reader.is_empty() {
        return Err(format!(
            "{} bytes after the MessagePack value",
            reader.len()
        ));
    }
    Ok(to_json(value))
}

pub fn encode(json: &Value) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &from_json(json)).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Binary becomes base64 text, an extension `{"ext": TYPE, "data":
/// BASE64}`, and map keys that are not text their JSON.
fn to_json(value: M) -> Value {
    match value {
        M::Nil => Value::Null,
        M::Boolean(b) => Value::Bool(b),
        M::Integer(n) => n
            .as_i64()
            .map(Value::from)
            .or_else(|| n.as_u64().map(Value::from))
            .unwrap_or(Value::Null),
        M::F32(f) => json_number(f64::from(f)),
        M::F64(f) => json_number(f),
        M::String(text) => {
            Value::String(text.into_str().unwrap_or_else(|| String::from("\u{FFFD}")))
        }
        M::Binary(bytes) => Value::String(BASE64.encode(bytes)),
        M::Array(items) => Value::Array(items.into_iter().map(to_json).collect()),
        M::Map(pairs) => {
            let object: Map<String, Value> = pairs
                .into_iter()
                .map(|(k, v)| (key_text(to_json(k)), to_json(v)))
                .collect();
            Value::Object(object)
        }
        M::Ext(kind, data) => {
            let mut object = Map::new();
            object.insert("ext".into(), kind.into());
            object.insert("data".into(), BASE64.encode(data).into());
            Value::Object(object)
        }
    }
}

fn from_json(json: &Value) -> M {
    match json {
        Value::Null => M::Nil,
        Value::Bool(b) => M::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => M::from(i),
            (_, Some(u)) => M::from(u),
            _ => M::F64(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(text) => M::from(text.as_str()),
        Value::Array(items) => M::Array(items.iter().map(from_json).collect()),
        Value::Object(object) => M::Map(
            object
                .iter()
                .map(|(k, v)| (M::from(k.as_str()), from_json(v)))
                .collect(),
        ),
    }
}
