//! One line of a recording: the JSON object `mqtk sub --json` writes for a
//! message (see [`Printer`](crate::output::Printer) for its fields), read
//! back into the message to publish and the time it arrived.
//!
//! What belongs to the recording's connection is not read: the packet id,
//! the dup flag, subscription identifiers and the topic alias. Fields this
//! reader does not know are ignored, so that fields added to the format
//! without a new version do not stop it.

use base64::Engine as _;
use bytes::Bytes;
use serde::Deserialize;

use crate::codec::{PropertyValues, Publish, QoS};
use crate::output::JSON_VERSION;

/// When a recorded message arrived, as the recording says it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Time {
    /// `offset_s`: seconds since the recording started, on the monotonic clock.
    Offset(f64),
    /// `timestamp` alone, in seconds since the Unix epoch: a line of the
    /// format before versions, which had no `offset_s`.
    Wall(f64),
}

impl Time {
    /// The seconds it stands for, and which clock they were counted on.
    pub fn seconds(self) -> (f64, &'static str) {
        match self {
            Time::Offset(seconds) => (seconds, "offset_s"),
            Time::Wall(seconds) => (seconds, "timestamp"),
        }
    }
}

/// A recorded message: what to publish, and when it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub message: Publish,
    pub time: Time,
}

/// The fields of a line that a replay reads.
#[derive(Deserialize)]
struct Line {
    topic: String,
    payload: String,
    payload_encoding: Option<String>,
    qos: u8,
    retain: bool,
    timestamp: Option<String>,
    offset_s: Option<f64>,
    payload_format_indicator: Option<u8>,
    message_expiry_interval: Option<u32>,
    content_type: Option<String>,
    response_topic: Option<String>,
    correlation_data: Option<String>,
    correlation_data_encoding: Option<String>,
    #[serde(default)]
    user_properties: Vec<(String, String)>,
    version: Option<u32>,
}

/// Reads one line of a recording (without its newline); the error says
/// what is wrong with it, in words for a person.
pub fn parse(line: &[u8]) -> Result<Record, String> {
    if line.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err("not a JSON object, as mqtk sub --json writes one a line".into());
    }
    let line: Line = serde_json::from_slice(line).map_err(|e| {
        let at = format!(" at line {} column {}", e.line(), e.column());
        let error = e.to_string();
        format!(
            "not a message of mqtk sub --json: {} (column {})",
            error.strip_suffix(&at).unwrap_or(&error),
            e.column()
        )
    })?;
    if let Some(version) = line.version {
        if version > JSON_VERSION {
            return Err(format!(
                "recorded in format version {version}; this mqtk reads version {JSON_VERSION} \
                 and before"
            ));
        }
    }
    let qos = match line.qos {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        2 => QoS::ExactlyOnce,
        other => return Err(format!("qos {other} is not 0, 1 or 2")),
    };
    if line.topic.is_empty() || line.topic.contains(['+', '#']) {
        return Err(format!("{:?} is not a topic name", line.topic));
    }
    let time = match (line.offset_s, &line.timestamp) {
        (Some(offset), _) if offset.is_finite() && offset >= 0.0 => Time::Offset(offset),
        (Some(offset), _) => return Err(format!("offset_s {offset} is not a time")),
        (None, Some(timestamp)) => {
            let at: jiff::Timestamp = timestamp
                .parse()
                .map_err(|e| format!("timestamp {timestamp:?}: {e}"))?;
            Time::Wall(at.as_microsecond() as f64 / 1e6)
        }
        (None, None) => return Err("neither offset_s nor timestamp: when did it arrive?".into()),
    };
    let payload_format_indicator = match line.payload_format_indicator {
        None => None,
        Some(0) => Some(false),
        Some(1) => Some(true),
        Some(other) => return Err(format!("payload_format_indicator {other} is not 0 or 1")),
    };
    let payload = bytes("payload", line.payload, line.payload_encoding.as_deref())?;
    let correlation_data = match line.correlation_data {
        None => None,
        Some(data) => Some(bytes(
            "correlation_data",
            data,
            line.correlation_data_encoding.as_deref(),
        )?),
    };
    let properties = PropertyValues {
        payload_format_indicator,
        message_expiry_interval: line.message_expiry_interval,
        content_type: line.content_type,
        response_topic: line.response_topic,
        correlation_data,
        user_properties: line.user_properties,
        ..PropertyValues::default()
    };
    Ok(Record {
        message: Publish {
            qos,
            retain: line.retain,
            topic: line.topic.into(),
            properties: properties.into(),
            payload,
            ..Publish::default()
        },
        time,
    })
}

/// A field written as text, or as base64 when `encoding` says so.
fn bytes(name: &str, text: String, encoding: Option<&str>) -> Result<Bytes, String> {
    match encoding {
        None => Ok(Bytes::from(text)),
        Some("base64") => base64::engine::general_purpose::STANDARD
            .decode(&text)
            .map(Bytes::from)
            .map_err(|e| format!("{name} is not base64: {e}")),
        Some(other) => Err(format!("{name}_encoding {other:?} is not base64")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_of_sub_json_is_read_back_with_every_property() {
        let line = br#"{"topic":"house/kitchen","payload":"21.5","qos":1,"retain":true,"dup":false,"timestamp":"2025-11-25T13:04:05.123456Z","offset_s":2.5,"packet_id":7,"payload_format_indicator":1,"message_expiry_interval":60,"content_type":"text/plain","response_topic":"reply/here","correlation_data":"wyg=","correlation_data_encoding":"base64","subscription_identifiers":[3,9],"topic_alias":4,"user_properties":[["a","1"],["a","2"]],"version":1}"#;
        let record = parse(line).unwrap();
        assert_eq!(record.time, Time::Offset(2.5));
        let message = record.message;
        assert_eq!(message.topic, "house/kitchen");
        assert_eq!(message.payload, "21.5");
        assert_eq!((message.qos, message.retain), (QoS::AtLeastOnce, true));
        // the recording connection's own: not replayed
        assert_eq!((message.packet_id, message.dup), (0, false));
        let p = &message.properties;
        assert_eq!(p.payload_format_indicator, Some(true));
        assert_eq!(p.message_expiry_interval, Some(60));
        assert_eq!(p.content_type.as_deref(), Some("text/plain"));
        assert_eq!(p.response_topic.as_deref(), Some("reply/here"));
        assert_eq!(p.correlation_data.as_deref(), Some(&[0xC3, 0x28][..]));
        assert_eq!(
            p.user_properties,
            [("a".into(), "1".into()), ("a".into(), "2".into())]
        );
        assert!(p.subscription_identifiers.is_empty());
        assert_eq!(p.topic_alias, None);
    }

    #[test]
    fn a_binary_payload_comes_back_from_base64() {
        let line = br#"{"topic":"a","payload":"/wD+","payload_encoding":"base64","qos":0,"retain":false,"offset_s":0.0}"#;
        assert_eq!(
            parse(line).unwrap().message.payload,
            &[0xFF, 0x00, 0xFE][..]
        );
    }

    #[test]
    fn a_line_without_offset_is_timed_by_its_timestamp() {
        let line = br#"{"topic":"a","payload":"x","qos":0,"retain":false,"dup":false,"timestamp":"1970-01-01T00:00:02.500000Z"}"#;
        assert_eq!(parse(line).unwrap().time, Time::Wall(2.5));
    }

    #[test]
    fn what_is_not_a_recorded_message_is_said_in_words() {
        let cases: [(&[u8], &str); 9] = [
            (b"hello", "not a JSON object"),
            (b"[1]", "not a JSON object"),
            (br#"{"topic":"a""#, "EOF while parsing"),
            (br#"{"payload":"x","qos":0,"retain":false}"#, "missing field `topic`"),
            (br#"{"topic":"a","payload":{"t":1},"qos":0,"retain":false,"offset_s":1}"#, "invalid type: map"),
            (br#"{"topic":"a","payload":"x","qos":3,"retain":false,"offset_s":1}"#, "qos 3"),
            (br#"{"topic":"a/#","payload":"x","qos":0,"retain":false,"offset_s":1}"#, "not a topic name"),
            (br#"{"topic":"a","payload":"%%","payload_encoding":"base64","qos":0,"retain":false,"offset_s":1}"#, "payload is not base64"),
            (br#"{"topic":"a","payload":"x","qos":0,"retain":false,"offset_s":1,"version":2}"#, "format version 2"),
        ];
        for (line, expected) in cases {
            let error = parse(line).unwrap_err();
            assert!(
                error.contains(expected),
                "{}: {error}",
                String::from_utf8_lossy(line)
            );
            assert!(!error.contains("at line 1"), "{error}");
        }
        let error = parse(br#"{"topic":"a","payload":"x","qos":0,"retain":false}"#).unwrap_err();
        assert!(error.contains("neither offset_s nor timestamp"), "{error}");
    }
}
