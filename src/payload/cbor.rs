//! CBOR (RFC 8949) to JSON and back, through ciborium.

use serde_json::{Map, Value};

use super::{json_number, key_text, BASE64};
use base64::Engine as _;

pub fn decode(payload: &[u8]) -> Result<Value, String> {
    let value: ciborium::Value =
        ciborium::from_reader(payload).map_err(|e| format!("not CBOR: {e}"))?;
    Ok(to_json(value))
}

pub fn encode(json: &Value) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    ciborium::into_writer(json, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Byte strings become base64 text, a tag its tagged value, and map keys
/// that are not text their JSON.
fn to_json(value: ciborium::Value) -> Value {
    use ciborium::Value as C;
    match value {
        C::Null => Value::Null,
        C::Bool(b) => Value::Bool(b),
        C::Integer(n) => {
            let n = i128::from(n);
            i64::try_from(n)
                .map(Value::from)
                .or_else(|_| u64::try_from(n).map(Value::from))
                .unwrap_or_else(|_| Value::from(n.to_string()))
        }
        C::Float(f) => json_number(f),
        C::Text(text) => Value::String(text),
        C::Bytes(bytes) => Value::String(BASE64.encode(bytes)),
        C::Tag(_, inner) => to_json(*inner),
        C::Array(items) => Value::Array(items.into_iter().map(to_json).collect()),
        C::Map(pairs) => {
            let object: Map<String, Value> = pairs
                .into_iter()
                .map(|(k, v)| (key_text(to_json(k)), to_json(v)))
                .collect();
            Value::Object(object)
        }
        _ => Value::Null,
    }
}
