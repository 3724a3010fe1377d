//! A Sparkplug payload as JSON: times in RFC 3339, datatypes by name, values
//! read as their datatype says, and names for the aliases a BIRTH defined.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::datatype::{self as dt, bytes, double, float, integer};
use super::schema::{
    DataSet, MetaData, Metric, MetricValue, Parameter, ParameterValue, Payload, PropertySet,
    PropertyValue, PropertyValueKind, ScalarValue, Template,
};
use super::session::Birth;

/// The payload as JSON text, and the aliases that no BIRTH named. Written
/// from borrowed views rather than built as a `Value`: a DATA message of
/// many metrics would otherwise cost an allocation for every key.
pub fn payload(payload: &Payload, births: &[&Birth]) -> (String, Vec<u64>) {
    let mut unknown = Vec::new();
    let view = PayloadView {
        timestamp: payload.timestamp.map(Millis),
        seq: payload.seq,
        metrics: payload
            .metrics
            .iter()
            .map(|m| MetricView::new(m, births, &mut unknown))
            .collect(),
        uuid: payload.uuid.as_deref(),
        body: payload.body.as_deref().map(bytes),
    };
    let text = serde_json::to_string(&view).expect("a payload's JSON is always written");
    (text, unknown)
}

#[derive(Serialize)]
struct PayloadView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<Millis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
    metrics: Vec<MetricView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uuid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Value>,
}

/// One metric as JSON: its name, from a BIRTH when it came by alias alone,
/// and its value read as its datatype (also from the BIRTH) says.
#[derive(Serialize)]
struct MetricView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alias: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<Millis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    datatype: Option<Datatype>,
    value: Value,
    #[serde(skip_serializing_if = "is_false")]
    is_null: bool,
    #[serde(skip_serializing_if = "is_false")]
    is_historical: bool,
    #[serde(skip_serializing_if = "is_false")]
    is_transient: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<Value>,
}

impl<'a> MetricView<'a> {
    /// `unknown` gathers an alias without a name.
    fn new(m: &'a Metric, births: &[&'a Birth], unknown: &mut Vec<u64>) -> MetricView<'a> {
        let known = births
            .iter()
            .find_map(|b| b.lookup(m.alias, m.name.as_deref()));
        let name = m.name.as_deref().or(known.map(|(name, _)| name));
        if name.is_none() {
            unknown.extend(m.alias);
        }
        let datatype = m.datatype.or(known.map(|(_, datatype)| datatype));
        let is_null = m.is_null == Some(true);
        let value = match &m.value {
            Some(value) if !is_null => metric_value(datatype, value),
            _ => Value::Null,
        };
        MetricView {
            name,
            alias: m.alias,
            timestamp: m.timestamp.map(Millis),
            datatype: datatype.map(Datatype),
            value,
            is_null,
            is_historical: m.is_historical == Some(true),
            is_transient: m.is_transient == Some(true),
            metadata: m.metadata.as_ref().map(metadata),
            properties: m.properties.as_ref().map(property_set),
        }
    }
}

fn is_false(flag: &bool) -> bool {
    !flag
}

/// Milliseconds since the epoch, written as an RFC 3339 time in UTC.
struct Millis(u64);

impl Serialize for Millis {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match dt::utc(self.0) {
            Some(time) => serializer.collect_str(&format_args!("{time:.3}")),
            None => serializer.serialize_u64(self.0),
        }
    }
}

/// A datatype, written by its name.
struct Datatype(u32);

impl Serialize for Datatype {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match dt::known_name(self.0) {
            Some(name) => serializer.serialize_str(name),
            None => serializer.serialize_u32(self.0),
        }
    }
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
        .map(|m| serde_json::to_value(MetricView::new(m, &[], &mut Vec::new())))
        .collect::<Result<_, _>>()
        .expect("a metric's JSON is always written");
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
