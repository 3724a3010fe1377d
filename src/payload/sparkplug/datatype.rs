//! Sparkplug's datatypes (the `DataType` enum of the specification) and how
//! a value of each sits in the protobuf fields: integers in `int_value` or
//! `long_value` as their two's complement, DateTime as milliseconds since the
//! epoch, arrays packed little-endian into `bytes_value`.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Number, Value};

/// The names by code, 0 to 34.
const NAMES: [&str; 35] = [
    "Unknown",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "UInt8",
    "UInt16",
    "UInt32",
    "UInt64",
    "Float",
    "Double",
    "Boolean",
    "String",
    "DateTime",
    "Text",
    "UUID",
    "DataSet",
    "Bytes",
    "File",
    "Template",
    "PropertySet",
    "PropertySetList",
    "Int8Array",
    "Int16Array",
    "Int32Array",
    "Int64Array",
    "UInt8Array",
    "UInt16Array",
    "UInt32Array",
    "UInt64Array",
    "FloatArray",
    "DoubleArray",
    "BooleanArray",
    "StringArray",
    "DateTimeArray",
];

pub const INT8: u32 = 1;
pub const INT16: u32 = 2;
pub const INT32: u32 = 3;
pub const INT64: u32 = 4;
pub const UINT8: u32 = 5;
pub const UINT16: u32 = 6;
pub const UINT32: u32 = 7;
pub const UINT64: u32 = 8;
pub const FLOAT: u32 = 9;
pub const DOUBLE: u32 = 10;
pub const BOOLEAN: u32 = 11;
pub const STRING: u32 = 12;
pub const DATETIME: u32 = 13;
pub const TEXT: u32 = 14;
pub const UUID: u32 = 15;
pub const DATASET: u32 = 16;
pub const BYTES: u32 = 17;
pub const FILE: u32 = 18;
pub const TEMPLATE: u32 = 19;
pub const PROPERTY_SET: u32 = 20;
pub const PROPERTY_SET_LIST: u32 = 21;
const INT8_ARRAY: u32 = 22;
const INT16_ARRAY: u32 = 23;
const INT32_ARRAY: u32 = 24;
const INT64_ARRAY: u32 = 25;
const UINT8_ARRAY: u32 = 26;
const UINT16_ARRAY: u32 = 27;
const UINT32_ARRAY: u32 = 28;
const UINT64_ARRAY: u32 = 29;
const FLOAT_ARRAY: u32 = 30;
const DOUBLE_ARRAY: u32 = 31;
const BOOLEAN_ARRAY: u32 = 32;
const STRING_ARRAY: u32 = 33;
const DATETIME_ARRAY: u32 = 34;

/// A datatype's name, or its number when the specification has none for it.
pub fn name(code: u32) -> Value {
    match known_name(code) {
        Some(name) => Value::from(name),
        None => Value::from(code),
    }
}

/// A datatype's name, if the specification has one for it.
pub fn known_name(code: u32) -> Option<&'static str> {
    NAMES.get(code as usize).copied()
}

/// A datatype's name for a sentence.
pub fn label(code: u32) -> String {
    NAMES
        .get(code as usize)
        .map_or_else(|| format!("number {code}"), |name| name.to_string())
}

/// A datatype given as its name (any case) or its number.
pub fn code(value: &Value) -> Result<u32, String> {
    match value {
        Value::String(text) => NAMES
            .iter()
            .position(|name| name.eq_ignore_ascii_case(text))
            .map(|code| code as u32)
            .ok_or_else(|| format!("unknown Sparkplug datatype {text:?}")),
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| format!("datatype {n} is not a datatype number")),
        other => Err(format!("a datatype is a name or a number, not {other}")),
    }
}

/// An integer of `datatype` from the raw field, read as that type's two's
/// complement (an Int8 of -1 may arrive as 0xFF or as 0xFFFFFFFF).
pub fn integer(datatype: u32, raw: u64) -> Value {
    match datatype {
        INT8 => Value::from(raw as u8 as i8),
        INT16 => Value::from(raw as u16 as i16),
        INT32 => Value::from(raw as u32 as i32),
        INT64 => Value::from(raw as i64),
        UINT8 => Value::from(raw as u8),
        UINT16 => Value::from(raw as u16),
        UINT32 => Value::from(raw as u32),
        DATETIME => timestamp(raw),
        _ => Value::from(raw),
    }
}

/// The raw field of an integer of `datatype`: the value's two's complement,
/// after a check that it fits.
pub fn raw_integer(datatype: u32, value: &Value) -> Result<u64, String> {
    let (min, max): (i128, i128) = match datatype {
        INT8 => (i8::MIN.into(), i8::MAX.into()),
        INT16 => (i16::MIN.into(), i16::MAX.into()),
        INT32 => (i32::MIN.into(), i32::MAX.into()),
        INT64 => (i64::MIN.into(), i64::MAX.into()),
        UINT8 => (0, u8::MAX.into()),
        UINT16 => (0, u16::MAX.into()),
        UINT32 => (0, u32::MAX.into()),
        DATETIME => return milliseconds(value),
        _ => (0, u64::MAX.into()),
    };
    let n = value
        .as_i64()
        .map(i128::from)
        .or_else(|| value.as_u64().map(i128::from))
        .ok_or_else(|| format!("{value} is not an integer"))?;
    if n < min || n > max {
        return Err(format!("{n} does not fit the datatype {}", label(datatype)));
    }
    Ok(match datatype {
        INT8 | INT16 | INT32 => u64::from(n as i32 as u32),
        _ => n as u64,
    })
}

/// Milliseconds since the epoch as an RFC 3339 time in UTC.
pub fn timestamp(ms: u64) -> Value {
    match utc(ms) {
        Some(time) => Value::from(format!("{time:.3}")),
        None => Value::from(ms),
    }
}

/// Milliseconds since the epoch as a time, when jiff can hold it.
pub fn utc(ms: u64) -> Option<jiff::Timestamp> {
    i64::try_from(ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
}

/// A time given as RFC 3339 text or as milliseconds since the epoch.
pub fn milliseconds(value: &Value) -> Result<u64, String> {
    match value {
        Value::String(text) => text
            .parse::<jiff::Timestamp>()
            .ok()
            .and_then(|t| u64::try_from(t.as_millisecond()).ok())
            .ok_or_else(|| format!("{text:?} is not an RFC 3339 time")),
        other => other
            .as_u64()
            .ok_or_else(|| format!("{other} is not a time (RFC 3339, or milliseconds)")),
    }
}

/// A float as JSON, with the digits the float was written with (21.5 stays
/// 21.5, 0.1f32 does not become 0.10000000149011612); not-a-number and the
/// infinities, which JSON lacks, as text.
pub fn float(f: f32) -> Value {
    f.to_string()
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map_or_else(|| Value::from(f.to_string()), Value::Number)
}

pub fn double(f: f64) -> Value {
    Number::from_f64(f).map_or_else(|| Value::from(f.to_string()), Value::Number)
}

/// A number from JSON, or from the text `NaN`, `inf` or `-inf`.
pub fn number(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!("{n} is not a number")),
        Value::String(text) => text
            .parse::<f64>()
            .map_err(|_| format!("{text:?} is not a number")),
        other => Err(format!("{other} is not a number")),
    }
}

pub fn bytes(data: &[u8]) -> Value {
    Value::from(BASE64.encode(data))
}

pub fn raw_bytes(value: &Value) -> Result<Vec<u8>, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("bytes are base64 text, not {value}"))?;
    BASE64
        .decode(text)
        .map_err(|e| format!("bytes are base64 text: {e}"))
}

/// Whether a datatype is one of the arrays packed into `bytes_value`.
pub fn is_array(datatype: u32) -> bool {
    (INT8_ARRAY..=DATETIME_ARRAY).contains(&datatype)
}

/// Unpacks an array: elements little-endian, side by side; booleans as a
/// four-byte count and then bits, the first the highest of the first byte;
/// strings each ended by a zero byte.
pub fn array(datatype: u32, data: &[u8]) -> Result<Value, String> {
    fn each<const N: usize>(data: &[u8], f: impl Fn([u8; N]) -> Value) -> Result<Value, String> {
        if data.len() % N != 0 {
            return Err(format!(
                "{} bytes are not a whole number of {N}-byte elements",
                data.len()
            ));
        }
        Ok(Value::Array(
            data.chunks_exact(N)
                .map(|c| f(c.try_into().expect("chunks of N")))
                .collect(),
        ))
    }
    match datatype {
        INT8_ARRAY => each(data, |b: [u8; 1]| json!(i8::from_le_bytes(b))),
        INT16_ARRAY => each(data, |b| json!(i16::from_le_bytes(b))),
        INT32_ARRAY => each(data, |b| json!(i32::from_le_bytes(b))),
        INT64_ARRAY => each(data, |b| json!(i64::from_le_bytes(b))),
        UINT8_ARRAY => each(data, |b: [u8; 1]| json!(b[0])),
        UINT16_ARRAY => each(data, |b| json!(u16::from_le_bytes(b))),
        UINT32_ARRAY => each(data, |b| json!(u32::from_le_bytes(b))),
        UINT64_ARRAY => each(data, |b| json!(u64::from_le_bytes(b))),
        FLOAT_ARRAY => each(data, |b| float(f32::from_le_bytes(b))),
        DOUBLE_ARRAY => each(data, |b| double(f64::from_le_bytes(b))),
        DATETIME_ARRAY => each(data, |b| timestamp(i64::from_le_bytes(b) as u64)),
        BOOLEAN_ARRAY => {
            let (count, bits) = data
                .split_first_chunk::<4>()
                .ok_or("a BooleanArray starts with a four-byte count")?;
            let count = u32::from_le_bytes(*count) as usize;
            if bits.len() * 8 < count {
                return Err(format!("{count} booleans in {} bytes", bits.len()));
            }
            Ok((0..count)
                .map(|i| Value::from(bits[i / 8] & (0x80 >> (i % 8)) != 0))
                .collect())
        }
        _ => {
            let text = std::str::from_utf8(data).map_err(|_| "a StringArray that is not UTF-8")?;
            let text = text.strip_suffix('\0').unwrap_or(text);
            Ok(if text.is_empty() && data.is_empty() {
                Value::Array(Vec::new())
            } else {
                text.split('\0').map(Value::from).collect()
            })
        }
    }
}

/// Packs an array, as [`array`] unpacks it.
pub fn raw_array(datatype: u32, value: &Value) -> Result<Vec<u8>, String> {
    let items = value
        .as_array()
        .ok_or_else(|| format!("a {} is a JSON array, not {value}", label(datatype)))?;
    let mut out = Vec::new();
    match datatype {
        BOOLEAN_ARRAY => {
            out.extend((items.len() as u32).to_le_bytes());
            let mut bits = vec![0u8; items.len().div_ceil(8)];
            for (i, item) in items.iter().enumerate() {
                let bit = item
                    .as_bool()
                    .ok_or_else(|| format!("{item} is not a boolean"))?;
                bits[i / 8] |= u8::from(bit) << (7 - i % 8);
            }
            out.extend(bits);
        }
        STRING_ARRAY => {
            for item in items {
                let text = item
                    .as_str()
                    .ok_or_else(|| format!("{item} is not a string"))?;
                out.extend(text.as_bytes());
                out.push(0);
            }
        }
        FLOAT_ARRAY => {
            for item in items {
                out.extend((number(item)? as f32).to_le_bytes());
            }
        }
        DOUBLE_ARRAY => {
            for item in items {
                out.extend(number(item)?.to_le_bytes());
            }
        }
        _ => {
            // Integers: the element's scalar type is the array's less 21
            // (Int8Array 22 holds Int8 1), DateTimeArray's is DateTime.
            let (element, width) = match datatype {
                DATETIME_ARRAY => (DATETIME, 8),
                INT8_ARRAY | UINT8_ARRAY => (datatype - 21, 1),
                INT16_ARRAY | UINT16_ARRAY => (datatype - 21, 2),
                INT32_ARRAY | UINT32_ARRAY => (datatype - 21, 4),
                _ => (datatype - 21, 8),
            };
            for item in items {
                let raw = raw_integer(element, item)?;
                out.extend(&raw.to_le_bytes()[..width]);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_integers_read_from_either_width_of_twos_complement() {
        assert_eq!(integer(INT8, 0xFF), json!(-1));
        assert_eq!(integer(INT8, 0xFFFF_FFFF), json!(-1));
        assert_eq!(integer(INT16, 0xFFFF_8000), json!(-32768));
        assert_eq!(integer(INT32, 0x8000_0000), json!(i32::MIN));
        assert_eq!(integer(INT64, u64::MAX), json!(-1));
        assert_eq!(integer(UINT32, 0xFFFF_FFFF), json!(u32::MAX));
        assert_eq!(raw_integer(INT8, &json!(-1)), Ok(0xFFFF_FFFF));
        assert!(raw_integer(INT8, &json!(128)).is_err());
        assert!(raw_integer(UINT16, &json!(-1)).is_err());
    }

    #[test]
    fn arrays_pack_and_unpack() {
        let cases = [
            (INT16_ARRAY, json!([-2, 300])),
            (UINT64_ARRAY, json!([0, u64::MAX])),
            (FLOAT_ARRAY, json!([1.5, 0.1])),
            (
                BOOLEAN_ARRAY,
                json!([true, false, false, true, true, false, true, false, true]),
            ),
            (STRING_ARRAY, json!(["a", "", "bc"])),
            (DATETIME_ARRAY, json!(["2024-01-02T03:04:05.678Z"])),
        ];
        for (datatype, value) in &cases {
            let packed = raw_array(*datatype, value).unwrap();
            assert_eq!(
                &array(*datatype, &packed).unwrap(),
                value,
                "{}",
                label(*datatype)
            );
        }
        // nine booleans: count 9, then 1001_1010 1000_0000
        let packed = raw_array(BOOLEAN_ARRAY, &cases[3].1).unwrap();
        assert_eq!(packed, [9, 0, 0, 0, 0b1001_1010, 0b1000_0000]);
        assert!(array(INT32_ARRAY, &[1, 2, 3]).is_err());
    }

    #[test]
    fn datatypes_by_name_or_number() {
        assert_eq!(code(&json!("int32")), Ok(INT32));
        assert_eq!(code(&json!(12)), Ok(STRING));
        assert!(code(&json!("Int128")).is_err());
        assert_eq!(name(DATETIME), json!("DateTime"));
        assert_eq!(name(99), json!(99));
        assert_eq!(
            timestamp(1_704_164_645_678),
            json!("2024-01-02T03:04:05.678Z")
        );
    }
}
