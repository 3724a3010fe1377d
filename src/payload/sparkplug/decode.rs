//! A Sparkplug payload as JSON: times in RFC 3339, datatypes by name, values
//! read as their datatype says, and names for the aliases a BIRTH defined.

use serde_json::{Map, Value};

use super::datatype::{self as dt, bytes, double, float, integer, timestamp};
use super::schema::{
    DataSet, MetaData, Metric, MetricValue, Parameter, ParameterValue, Payload, PropertySet,
    PropertyValue, PropertyValueKind, ScalarValue, Template,
};
use super::session::Birth;

/// The payload as JSON, and the aliases that no BIRTH named.
pub fn payload(payload: &Payload, births: &[&Birth]) -> (Value, Vec<u64>) {
    let mut object = Map::new();
    if let Some(ms) = payload.timestamp {
        object.insert("timestamp".into(), timestamp(ms));
    }
    if let Some(seq) = payload.seq {
        object.insert("seq".into(), seq.into());
    }
    let mut unknown = Vec::new();
    let metrics = payload
        .metrics
        .iter()
        .map(|m| metric(m, births, &mut unknown))
        .collect();
    object.insert("metrics".into(), Value::Array(metrics));
    if let Some(uuid) = &payload.uuid {
        object.insert("uuid".into(), uuid.as_str().into());
    }
    if let Some(body) = &payload.body {
        object.insert("body".into(), bytes(body));
    }
    (Value::Object(object), unknown)
}

/// One metric; `unknown` gathers an alias without a name.
fn metric(m: &Metric, births: &[&Birth], unknown: &mut Vec<u64>) -> Value {
    let known = births
        .iter()
        .find_map(|b| b.lookup(m.alias, m.name.as_deref()));
    let name = m.name.as_deref().or(known.map(|(name, _)| name));
    let datatype = m.datatype.or(known.map(|(_, datatype)| datatype));
    let mut object = Map::new();
    match name {
        Some(name) => {
            object.insert("name".into(), name.into());
        }
        None => unknown.extend(m.alias),
    }
    if let Some(alias) = m.alias {
        object.insert("alias".into(), alias.into());
    }
    if let Some(ms) = m.timestamp {
        object.insert("timestamp".into(), timestamp(ms));
    }
    if let Some(datatype) = datatype {
        object.insert("datatype".into(), dt::name(datatype));
    }
    let value = if m.is_null == Some(true) {
        Value::Null
    } else {
        m.value
            .as_ref()
            .map_or(Value::Null, |v| metric_value(datatype, v))
    };
    object.insert("value".into(), value);
    for (flag, set) in [
        ("is_null", m.is_null),
        ("is_historical", m.is_historical),
        ("is_transient", m.is_transient),
    ] {
        if set == Some(true) {
            object.insert(flag.into(), true.into());
        }
    }
    if let Some(meta) = &m.metadata {
        object.insert("metadata".into(), metadata(meta));
    }
    if let Some(properties) = &m.properties {
        object.insert("properties".into(), property_set(properties));
    }
    Value::Object(object)
}

fn metric_value(datatype: Option<u32>, value: &MetricValue) -> Value {
    let datatype = datatype.unwrap_or(0);
    match value {
        MetricValue::Int(n) => integer(datatype, u64::from(*n)),
        MetricValue::Long(n) => integer(datatype, *n),
        MetricValue::Float(f) => float(*f),
        MetricValue::Double(f) => double(*f),
        MetricValue::Boolean(b) => Value::from(*b),
        MetricValue::String(s) => Value::from(s.as_str()),
        MetricValue::Bytes(data) if dt::is_array(datatype) => dt::array(datatype, data)
            .unwrap_or_else(|why| {
                let mut object = Map::new();
                object.insert("bytes".into(), bytes(data));
                object.insert("error".into(), why.into());
                Value::Object(object)
            }),
        MetricValue::Bytes(data) => bytes(data),
        MetricValue::DataSet(set) => dataset(set),
        MetricValue::Template(template) => self::template(template),
    }
}

fn dataset(set: &DataSet) -> Value {
    let rows = set
        .rows
        .iter()
        .map(|row| {
            row.elements
                .iter()
                .zip(set.types.iter().copied().chain(std::iter::repeat(0)))
                .map(|(cell, datatype)| match &cell.value {
                    Some(ScalarValue::Int(n)) => integer(datatype, u64::from(*n)),
                    Some(ScalarValue::Long(n)) => integer(datatype, *n),
                    Some(ScalarValue::Float(f)) => float(*f),
                    Some(ScalarValue::Double(f)) => double(*f),
                    Some(ScalarValue::Boolean(b)) => Value::from(*b),
                    Some(ScalarValue::String(s)) => Value::from(s.as_str()),
                    None => Value::Null,
                })
                .collect()
        })
        .collect();
    let mut object = Map::new();
    object.insert("columns".into(), set.columns.clone().into());
    object.insert(
        "types".into(),
        set.types.iter().map(|&t| dt::name(t)).collect(),
    );
    object.insert("rows".into(), Value::Array(rows));
    Value::Object(object)
}

fn template(t: &Template) -> Value {
    let mut object = Map::new();
    if let Some(version) = &t.version {
        object.insert("version".into(), version.as_str().into());
    }
    if let Some(reference) = &t.template_ref {
        object.insert("template_ref".into(), reference.as_str().into());
    }
    if let Some(definition) = t.is_definition {
        object.insert("is_definition".into(), definition.into());
    }
    let parameters = t.parameters.iter().map(parameter).collect();
    object.insert("parameters".into(), Value::Array(parameters));
    // A template's own metrics have names, never the edge node's aliases.
    let metrics = t
        .metrics
        .iter()
        .map(|m| metric(m, &[], &mut Vec::new()))
        .collect();
    object.insert("metrics".into(), Value::Array(metrics));
    Value::Object(object)
}

fn parameter(p: &Parameter) -> Value {
    let datatype = p.r#type.unwrap_or(0);
    let value = match &p.value {
        Some(ParameterValue::Int(n)) => integer(datatype, u64::from(*n)),
        Some(ParameterValue::Long(n)) => integer(datatype, *n),
        Some(ParameterValue::Float(f)) => float(*f),
        Some(ParameterValue::Double(f)) => double(*f),
        Some(ParameterValue::Boolean(b)) => Value::from(*b),
        Some(ParameterValue::String(s)) => Value::from(s.as_str()),
        None => Value::Null,
    };
    let mut object = Map::new();
    if let Some(name) = &p.name {
        object.insert("name".into(), name.as_str().into());
    }
    if let Some(datatype) = p.r#type {
        object.insert("type".into(), dt::name(datatype));
    }
    object.insert("value".into(), value);
    Value::Object(object)
}

/// A property set as an object of `{"type": ..., "value": ...}` by key.
pub fn property_set(set: &PropertySet) -> Value {
    let object = set
        .keys
        .iter()
        .zip(&set.values)
        .map(|(key, value)| (key.clone(), property_value(value)))
        .collect();
    Value::Object(object)
}

fn property_value(p: &PropertyValue) -> Value {
    let datatype = p.r#type.unwrap_or(0);
    let value = if p.is_null == Some(true) {
        Value::Null
    } else {
        match &p.value {
            Some(PropertyValueKind::Int(n)) => integer(datatype, u64::from(*n)),
            Some(PropertyValueKind::Long(n)) => integer(datatype, *n),
            Some(PropertyValueKind::Float(f)) => float(*f),
            Some(PropertyValueKind::Double(f)) => double(*f),
            Some(PropertyValueKind::Boolean(b)) => Value::from(*b),
            Some(PropertyValueKind::String(s)) => Value::from(s.as_str()),
            Some(PropertyValueKind::PropertySet(set)) => property_set(set),
            Some(PropertyValueKind::PropertySetList(list)) => {
                list.propertyset.iter().map(property_set).collect()
            }
            None => Value::Null,
        }
    };
    let mut object = Map::new();
    if let Some(datatype) = p.r#type {
        object.insert("type".into(), dt::name(datatype));
    }
    object.insert("value".into(), value);
    Value::Object(object)
}

fn metadata(m: &MetaData) -> Value {
    let mut object = Map::new();
    let texts = [
        ("content_type", &m.content_type),
        ("file_name", &m.file_name),
        ("file_type", &m.file_type),
        ("md5", &m.md5),
        ("description", &m.description),
    ];
    if let Some(multi) = m.is_multi_part {
        object.insert("is_multi_part".into(), multi.into());
    }
    for (key, text) in texts {
        if let Some(text) = text {
            object.insert(key.into(), text.as_str().into());
        }
    }
    for (key, n) in [("size", m.size), ("seq", m.seq)] {
        if let Some(n) = n {
            object.insert(key.into(), n.into());
        }
    }
    Value::Object(object)
}
