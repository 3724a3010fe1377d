//! How a response finds its request. MQTT 5 carries a Correlation Data
//! property that the responder echoes. MQTT 3.1.1 has no properties, so mqtk
//! has a convention of its own, shared by `rr` and `respond`: with
//! `--correlate-json FIELD` the correlation is the value of FIELD in a JSON
//! object payload, put at the start of the request and echoed in the response.

use bytes::{Bytes, BytesMut};
use serde_json::{Map, Value};

use crate::codec::Publish;

/// What a response must carry to be the answer to a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Correlation {
    /// The MQTT 5 Correlation Data, byte for byte.
    Property(Bytes),
    /// The value of a field of a JSON object payload (`--correlate-json`).
    JsonField { field: String, value: Value },
    /// Nothing to match: the first message on the response topic is the answer
    /// (MQTT 3.1.1 without `--correlate-json`).
    First,
}

impl Correlation {
    /// Whether `message` answers the request this correlation belongs to.
    pub fn matches(&self, message: &Publish) -> bool {
        match self {
            Correlation::Property(data) => {
                message.properties.correlation_data.as_ref() == Some(data)
            }
            Correlation::JsonField { field, value } => {
                json_field(&message.payload, field).is_some_and(|found| &found == value)
            }
            Correlation::First => true,
        }
    }
}

/// The value of `field` in a JSON object payload; `None` when the payload is
/// not a JSON object or has no such field.
pub fn json_field(payload: &[u8], field: &str) -> Option<Value> {
    serde_json::from_slice::<Map<String, Value>>(payload)
        .ok()?
        .remove(field)
}

/// `payload`, a JSON object, with `field` set to `value` as its first member;
/// the rest stays as written, its key order and numbers included. A payload
/// that already has the field is returned as it is. Fails when the payload is
/// not a JSON object.
pub fn with_json_field(payload: &[u8], field: &str, value: &Value) -> Result<Bytes, String> {
    let object: Map<String, Value> = serde_json::from_slice(payload)
        .map_err(|_| "the payload is not a JSON object".to_string())?;
    if object.contains_key(field) {
        return Ok(Bytes::copy_from_slice(payload));
    }
    // A JSON object that parsed starts with `{` after any whitespace.
    let open = payload.iter().position(|&b| b == b'{').unwrap_or(0);
    let member = format!(
        "{}:{}{}",
        Value::from(field),
        value,
        if object.is_empty() { "" } else { "," }
    );
    let mut out = BytesMut::with_capacity(payload.len() + member.len());
    out.extend_from_slice(&payload[..=open]);
    out.extend_from_slice(member.as_bytes());
    out.extend_from_slice(&payload[open + 1..]);
    Ok(out.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::PropertyValues;

    fn message(payload: &str, correlation: Option<&str>) -> Publish {
        Publish {
            payload: Bytes::copy_from_slice(payload.as_bytes()),
            properties: PropertyValues {
                correlation_data: correlation.map(|c| Bytes::copy_from_slice(c.as_bytes())),
                ..PropertyValues::default()
            }
            .into(),
            ..Publish::default()
        }
    }

    #[test]
    fn a_field_goes_first_and_leaves_the_rest_as_written() {
        let value = Value::from("c1");
        let set = |payload: &str| with_json_field(payload.as_bytes(), "id", &value);
        assert_eq!(
            set(r#"{"b":1.50,"a":2}"#).unwrap(),
            r#"{"id":"c1","b":1.50,"a":2}"#
        );
        assert_eq!(set(" { } ").unwrap(), r#" {"id":"c1" } "#);
        assert_eq!(set(r#"{"id":7}"#).unwrap(), r#"{"id":7}"#);
        assert!(set("[1]").is_err());
        assert!(set("plain text").is_err());
    }

    #[test]
    fn a_response_matches_by_property_by_json_field_or_first() {
        let property = Correlation::Property(Bytes::from("c1"));
        assert!(property.matches(&message("x", Some("c1"))));
        assert!(!property.matches(&message("x", Some("c2"))));
        assert!(!property.matches(&message("x", None)));
        let json = Correlation::JsonField {
            field: "id".into(),
            value: Value::from("c1"),
        };
        assert!(json.matches(&message(r#"{"ok":true,"id":"c1"}"#, None)));
        assert!(!json.matches(&message(r#"{"id":"c2"}"#, None)));
        assert!(!json.matches(&message("not json", None)));
        assert!(Correlation::First.matches(&message("anything", None)));
    }
}
