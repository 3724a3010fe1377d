//! Avro datums of a schema given at run time (apache-avro): a raw datum, or
//! the single-object encoding, whose header (0xC3 0x01 and the schema's
//! 64-bit Rabin fingerprint) is checked against the schema.

use apache_avro::rabin::Rabin;
use apache_avro::types::Value as Avro;
use apache_avro::Schema;
use serde_json::Value;

/// The single-object encoding's marker.
const SINGLE_OBJECT: [u8; 2] = [0xC3, 0x01];

#[derive(Debug, Clone)]
pub struct AvroSchema {
    schema: Schema,
    fingerprint: [u8; 8],
}

impl AvroSchema {
    /// A schema from its JSON text.
    pub fn parse(text: &str) -> Result<AvroSchema, String> {
        let schema = Schema::parse_str(text).map_err(|e| e.to_string())?;
        let fingerprint = schema.fingerprint::<Rabin>().bytes;
        let fingerprint = fingerprint
            .try_into()
            .map_err(|_| "the schema's fingerprint is not 8 bytes".to_string())?;
        Ok(AvroSchema {
            schema,
            fingerprint,
        })
    }

    pub fn decode(&self, payload: &[u8]) -> Result<Value, String> {
        let mut datum = match payload.strip_prefix(&SINGLE_OBJECT) {
            Some(rest) if rest.len() >= 8 => {
                let (fingerprint, datum) = rest.split_at(8);
                if fingerprint != self.fingerprint {
                    return Err(
                        "a single-object datum of another schema (its fingerprint differs)".into(),
                    );
                }
                datum
            }
            _ => payload,
        };
        let value = apache_avro::from_avro_datum(&self.schema, &mut datum, None)
            .map_err(|e| format!("not a datum of the schema: {e}"))?;
        if !datum.is_empty() {
            return Err(format!("{} bytes after the datum", datum.len()));
        }
        Value::try_from(value).map_err(|e| e.to_string())
    }

    /// A raw datum (no single-object header).
    pub fn encode(&self, json: &Value) -> Result<Vec<u8>, String> {
        let value = Avro::from(json.clone())
            .resolve(&self.schema)
            .map_err(|e| format!("does not fit the schema: {e}"))?;
        apache_avro::to_avro_datum(&self.schema, value).map_err(|e| e.to_string())
    }
}
