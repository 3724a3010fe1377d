//! A Sparkplug payload from JSON, the shape [`decode`](super::decode) writes:
//! `{"timestamp", "seq", "metrics": [{"name", "alias", "datatype", "value",
//! ...}], "uuid", "body"}`. A metric's datatype may be left out for a
//! boolean (Boolean), an integer (Int64, or UInt64 above its range), another
//! number (Double) or a string (String).

use serde_json::{Map, Value};

use super::datatype::{self as dt, milliseconds, number, raw_bytes, raw_integer};
use super::schema::{
    DataSet, DataSetValue, MetaData, Metric, MetricValue, Parameter, ParameterValue, Payload,
    PropertySet, PropertySetList, PropertyValue, PropertyValueKind, Row, ScalarValue, Template,
};

/// The payload the JSON describes; `now` (milliseconds) is its timestamp when
/// the JSON gives none.
pub fn payload(json: &Value, now: u64) -> Result<Payload, String> {
    let object = object(json, "a Sparkplug payload")?;
    known_keys(
        object,
        &["timestamp", "seq", "metrics", "uuid", "body"],
        "payload",
    )?;
    let metrics = match object.get("metrics") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, m)| metric(m).map_err(|why| format!("metric {}: {why}", i + 1)))
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("\"metrics\" is an array, not {other}")),
    };
    Ok(Payload {
        timestamp: Some(match object.get("timestamp") {
            Some(time) => milliseconds(time)?,
            None => now,
        }),
        metrics,
        seq: object.get("seq").map(unsigned).transpose()?,
        uuid: object.get("uuid").map(text).transpose()?,
        body: object.get("body").map(raw_bytes).transpose()?,
    })
}

fn metric(json: &Value) -> Result<Metric, String> {
    let object = object(json, "a metric")?;
    known_keys(
        object,
        &[
            "name",
            "alias",
            "timestamp",
            "datatype",
            "value",
            "is_null",
            "is_historical",
            "is_transient",
            "metadata",
            "properties",
        ],
        "metric",
    )?;
    let value = object.get("value").unwrap_or(&Value::Null);
    let datatype = match object.get("datatype") {
        Some(datatype) => Some(dt::code(datatype)?),
        None => inferred(value),
    };
    let is_null = flag(object, "is_null")?.or(value.is_null().then_some(true));
    let value = match (is_null, datatype) {
        (Some(true), _) => None,
        (_, Some(datatype)) => Some(metric_value(datatype, value)?),
        (_, None) => return Err("a metric without a value needs a datatype".into()),
    };
    Ok(Metric {
        name: object.get("name").map(text).transpose()?,
        alias: object.get("alias").map(unsigned).transpose()?,
        timestamp: object.get("timestamp").map(milliseconds).transpose()?,
        datatype,
        is_historical: flag(object, "is_historical")?,
        is_transient: flag(object, "is_transient")?,
        is_null,
        metadata: object.get("metadata").map(metadata).transpose()?,
        properties: object.get("properties").map(property_set).transpose()?,
        value,
    })
}

/// The datatype a value without one is sent as.
fn inferred(value: &Value) -> Option<u32> {
    match value {
        Value::Bool(_) => Some(dt::BOOLEAN),
        Value::Number(n) if n.is_i64() => Some(dt::INT64),
        Value::Number(n) if n.is_u64() => Some(dt::UINT64),
        Value::Number(_) => Some(dt::DOUBLE),
        Value::String(_) => Some(dt::STRING),
        _ => None,
    }
}

fn metric_value(datatype: u32, value: &Value) -> Result<MetricValue, String> {
    Ok(match datatype {
        dt::INT8 | dt::INT16 | dt::INT32 | dt::UINT8 | dt::UINT16 | dt::UINT32 => {
            MetricValue::Int(raw_integer(datatype, value)? as u32)
        }
        dt::INT64 | dt::UINT64 | dt::DATETIME => MetricValue::Long(raw_integer(datatype, value)?),
        dt::FLOAT => MetricValue::Float(number(value)? as f32),
        dt::DOUBLE => MetricValue::Double(number(value)?),
        dt::BOOLEAN => MetricValue::Boolean(boolean(value)?),
        dt::STRING | dt::TEXT | dt::UUID => MetricValue::String(text(value)?),
        dt::BYTES | dt::FILE => MetricValue::Bytes(raw_bytes(value)?),
        dt::DATASET => MetricValue::DataSet(dataset(value)?),
        dt::TEMPLATE => MetricValue::Template(template(value)?),
        _ if dt::is_array(datatype) => MetricValue::Bytes(dt::raw_array(datatype, value)?),
        _ => return Err(format!("a metric cannot hold a {}", dt::label(datatype))),
    })
}

fn dataset(json: &Value) -> Result<DataSet, String> {
    let object = object(json, "a DataSet")?;
    known_keys(object, &["columns", "types", "rows"], "DataSet")?;
    let columns: Vec<String> = list(object, "columns")?
        .iter()
        .map(text)
        .collect::<Result<_, _>>()?;
    let types: Vec<u32> = list(object, "types")?
        .iter()
        .map(dt::code)
        .collect::<Result<_, _>>()?;
    if types.len() != columns.len() {
        return Err(format!(
            "{} columns but {} types",
            columns.len(),
            types.len()
        ));
    }
    let rows = list(object, "rows")?
        .iter()
        .map(|row| {
            let cells = row
                .as_array()
                .ok_or_else(|| format!("a row is an array, not {row}"))?;
            if cells.len() != types.len() {
                return Err(format!(
                    "a row of {} cells in {} columns",
                    cells.len(),
                    types.len()
                ));
            }
            let elements = cells
                .iter()
                .zip(&types)
                .map(|(cell, &datatype)| {
                    let value = match cell {
                        Value::Null => None,
                        cell => Some(scalar(datatype, cell)?),
                    };
                    Ok(DataSetValue { value })
                })
                .collect::<Result<_, String>>()?;
            Ok(Row { elements })
        })
        .collect::<Result<_, String>>()?;
    Ok(DataSet {
        num_of_columns: Some(columns.len() as u64),
        columns,
        types,
        rows,
    })
}

/// A DataSet cell or a template parameter's value.
fn scalar(datatype: u32, value: &Value) -> Result<ScalarValue, String> {
    Ok(match metric_value(datatype, value)? {
        MetricValue::Int(n) => ScalarValue::Int(n),
        MetricValue::Long(n) => ScalarValue::Long(n),
        MetricValue::Float(f) => ScalarValue::Float(f),
        MetricValue::Double(f) => ScalarValue::Double(f),
        MetricValue::Boolean(b) => ScalarValue::Boolean(b),
        MetricValue::String(s) => ScalarValue::String(s),
        _ => return Err(format!("a {} is not a plain value", dt::label(datatype))),
    })
}

fn template(json: &Value) -> Result<Template, String> {
    let object = object(json, "a Template")?;
    known_keys(
        object,
        &[
            "version",
            "template_ref",
            "is_definition",
            "parameters",
            "metrics",
        ],
        "Template",
    )?;
    let parameters = match object.get("parameters") {
        None => Vec::new(),
        Some(_) => list(object, "parameters")?
            .iter()
            .map(parameter)
            .collect::<Result<_, _>>()?,
    };
    let metrics = match object.get("metrics") {
        None => Vec::new(),
        Some(_) => list(object, "metrics")?
            .iter()
            .map(metric)
            .collect::<Result<_, _>>()?,
    };
    Ok(Template {
        version: object.get("version").map(text).transpose()?,
        metrics,
        parameters,
        template_ref: object.get("template_ref").map(text).transpose()?,
        is_definition: flag(object, "is_definition")?,
    })
}

fn parameter(json: &Value) -> Result<Parameter, String> {
    let object = object(json, "a template parameter")?;
    let datatype = object.get("type").map(dt::code).transpose()?;
    let value = match (object.get("value"), datatype) {
        (None | Some(Value::Null), _) => None,
        (Some(value), Some(datatype)) => Some(match scalar(datatype, value)? {
            ScalarValue::Int(n) => ParameterValue::Int(n),
            ScalarValue::Long(n) => ParameterValue::Long(n),
            ScalarValue::Float(f) => ParameterValue::Float(f),
            ScalarValue::Double(f) => ParameterValue::Double(f),
            ScalarValue::Boolean(b) => ParameterValue::Boolean(b),
            ScalarValue::String(s) => ParameterValue::String(s),
        }),
        (Some(_), None) => return Err("a parameter with a value needs a type".into()),
    };
    Ok(Parameter {
        name: object.get("name").map(text).transpose()?,
        r#type: datatype,
        value,
    })
}

/// `{"key": {"type": ..., "value": ...}}`.
fn property_set(json: &Value) -> Result<PropertySet, String> {
    let object = object(json, "a property set")?;
    let mut set = PropertySet::default();
    for (key, value) in object {
        set.keys.push(key.clone());
        set.values
            .push(property_value(value).map_err(|why| format!("property {key:?}: {why}"))?);
    }
    Ok(set)
}

fn property_value(json: &Value) -> Result<PropertyValue, String> {
    let object = object(json, "a property ({\"type\": ..., \"value\": ...})")?;
    let value = object.get("value").unwrap_or(&Value::Null);
    let datatype = match object.get("type") {
        Some(datatype) => dt::code(datatype)?,
        None => inferred(value).ok_or("a property without a value needs a type")?,
    };
    let kind = match (value, datatype) {
        (Value::Null, _) => None,
        (value, dt::PROPERTY_SET) => Some(PropertyValueKind::PropertySet(property_set(value)?)),
        (Value::Array(sets), dt::PROPERTY_SET_LIST) => {
            Some(PropertyValueKind::PropertySetList(PropertySetList {
                propertyset: sets.iter().map(property_set).collect::<Result<_, _>>()?,
            }))
        }
        (value, datatype) => Some(match scalar(datatype, value)? {
            ScalarValue::Int(n) => PropertyValueKind::Int(n),
            ScalarValue::Long(n) => PropertyValueKind::Long(n),
            ScalarValue::Float(f) => PropertyValueKind::Float(f),
            ScalarValue::Double(f) => PropertyValueKind::Double(f),
            ScalarValue::Boolean(b) => PropertyValueKind::Boolean(b),
            ScalarValue::String(s) => PropertyValueKind::String(s),
        }),
    };
    Ok(PropertyValue {
        r#type: Some(datatype),
        is_null: kind.is_none().then_some(true),
        value: kind,
    })
}

fn metadata(json: &Value) -> Result<MetaData, String> {
    let object = object(json, "metadata")?;
    let get_text = |key| object.get(key).map(text).transpose();
    Ok(MetaData {
        is_multi_part: flag(object, "is_multi_part")?,
        content_type: get_text("content_type")?,
        size: object.get("size").map(unsigned).transpose()?,
        seq: object.get("seq").map(unsigned).transpose()?,
        file_name: get_text("file_name")?,
        file_type: get_text("file_type")?,
        md5: get_text("md5")?,
        description: get_text("description")?,
    })
}

fn object<'a>(json: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    json.as_object()
        .ok_or_else(|| format!("{what} is a JSON object, not {json}"))
}

fn known_keys(object: &Map<String, Value>, known: &[&str], what: &str) -> Result<(), String> {
    match object.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err(format!("unknown key {key:?} in a {what}")),
        None => Ok(()),
    }
}

fn list<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a Vec<Value>, String> {
    match object.get(key) {
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(format!("{key:?} is an array, not {other}")),
        None => Err(format!("{key:?} is missing")),
    }
}

fn flag(object: &Map<String, Value>, key: &str) -> Result<Option<bool>, String> {
    object.get(key).map(boolean).transpose()
}

fn boolean(value: &Value) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| format!("{value} is not true or false"))
}

fn text(value: &Value) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{value} is not a string"))
}

fn unsigned(value: &Value) -> Result<u64, String> {
    value
        .as_u64()
        .ok_or_else(|| format!("{value} is not a whole number"))
}
