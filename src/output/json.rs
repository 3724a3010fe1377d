//! The JSON object of a message (`--json`, `%j`, `%J`; its fields are listed
//! on [`Printer`](super::Printer)), and a reformatter that compacts or indents
//! JSON text.
//!
//! The reformatter works on the text rather than on a parsed value so that a
//! payload keeps its key order and its numbers their digits; it is only given
//! text that [`is_json`] has accepted. (Streaming it through serde, as
//! serde_transcode does, would print `1.50` as `1.5`, `1e3` as `1000.0` and an
//! integer over 2^64 as a float, and rewrite the payload's escapes.)

use std::fmt;
use std::io::{self, Write};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::clock::Clock;
use super::field::{pad, qos_number, write_subscription_ids};
use crate::codec::{Publish, QoS};

/// The version of the message object, its last field: a reader such as
/// `mqtk replay` checks it. It changes only when a field changes its meaning
/// or one a replay needs goes; fields may be added without a new version.
pub const JSON_VERSION: u32 = 1;

/// Writes the JSON object for a message (see [`Printer`](super::Printer));
/// `embed` puts a JSON payload in as JSON; `pretty` spreads the object over
/// indented lines.
pub(super) fn write_json_message(
    out: &mut impl Write,
    message: &Publish,
    decoded: Option<&str>,
    clock: &Clock<'_>,
    embed: bool,
    pretty: bool,
) -> io::Result<()> {
    if pretty {
        let mut line = Vec::with_capacity(256 + message.payload.len());
        write_json_line(&mut line, message, decoded, clock, embed)?;
        reformat_json(&line, true, out)
    } else {
        write_json_line(out, message, decoded, clock, embed)
    }
}

/// Writes the JSON object on one line, field by field in a fixed order.
fn write_json_line(
    out: &mut impl Write,
    message: &Publish,
    decoded: Option<&str>,
    clock: &Clock<'_>,
    embed: bool,
) -> io::Result<()> {
    out.write_all(b"{\"topic\":")?;
    write_json_string(out, &message.topic)?;
    out.write_all(b",\"payload\":")?;
    if embed && is_json(&message.payload) {
        reformat_json(&message.payload, false, out)?;
    } else {
        write_json_bytes(out, "payload", &message.payload)?;
    }
    if let Some(json) = decoded {
        write!(out, ",\"decoded\":{json}")?;
    }
    write!(
        out,
        ",\"qos\":{},\"retain\":{},\"dup\":{},\"timestamp\":\"",
        qos_number(message.qos),
        message.retain,
        message.dup
    )?;
    clock.write_utc_timestamp(out)?;
    out.write_all(b"\"")?;
    if let Some(elapsed) = clock.since_start() {
        // Seconds with microseconds, as the timestamp has them.
        write!(
            out,
            ",\"offset_s\":{}.{:06}",
            elapsed.as_secs(),
            elapsed.subsec_micros()
        )?;
    }
    if message.qos != QoS::AtMostOnce {
        write!(out, ",\"packet_id\":{}", message.packet_id)?;
    }
    let properties = &message.properties;
    if let Some(indicator) = properties.payload_format_indicator {
        write!(out, ",\"payload_format_indicator\":{}", u8::from(indicator))?;
    }
    if let Some(interval) = properties.message_expiry_interval {
        write!(out, ",\"message_expiry_interval\":{interval}")?;
    }
    if let Some(content_type) = &properties.content_type {
        out.write_all(b",\"content_type\":")?;
        write_json_string(out, content_type)?;
    }
    if let Some(response_topic) = &properties.response_topic {
        out.write_all(b",\"response_topic\":")?;
        write_json_string(out, response_topic)?;
    }
    if let Some(data) = &properties.correlation_data {
        out.write_all(b",\"correlation_data\":")?;
        write_json_bytes(out, "correlation_data", data)?;
    }
    if !properties.subscription_identifiers.is_empty() {
        out.write_all(b",\"subscription_identifiers\":[")?;
        write_subscription_ids(out, message)?;
        out.write_all(b"]")?;
    }
    if let Some(alias) = properties.topic_alias {
        write!(out, ",\"topic_alias\":{alias}")?;
    }
    if !properties.user_properties.is_empty() {
        out.write_all(b",\"user_properties\":[")?;
        for (i, (key, value)) in properties.user_properties.iter().enumerate() {
            out.write_all(if i == 0 { &b"["[..] } else { &b",["[..] })?;
            write_json_string(out, key)?;
            out.write_all(b",")?;
            write_json_string(out, value)?;
            out.write_all(b"]")?;
        }
        out.write_all(b"]")?;
    }
    write!(out, ",\"version\":{JSON_VERSION}}}")
}

/// A quoted, escaped JSON string.
fn write_json_string(out: &mut impl Write, text: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *out, text).map_err(io::Error::from)
}

/// Binary data as a JSON string when it is UTF-8, otherwise as base64 followed
/// by a `"<name>_encoding":"base64"` field.
fn write_json_bytes(out: &mut impl Write, name: &str, bytes: &[u8]) -> io::Result<()> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return write_json_string(out, text);
    }
    out.write_all(b"\"")?;
    {
        let mut encoder = base64::write::EncoderWriter::new(
            &mut *out,
            &base64::engine::general_purpose::STANDARD,
        );
        encoder.write_all(bytes)?;
        encoder.finish()?;
    }
    write!(out, "\",\"{name}_encoding\":\"base64\"")
}

/// Whether `bytes` hold exactly one JSON value (whitespace around it allowed).
pub(super) fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Checked>(bytes).is_ok()
}

/// A JSON value checked as serde_json checks one it parses into a `Value`,
/// but kept nowhere, since every message with `--pretty` or `%J` is checked.
/// `serde::de::IgnoredAny` would not do: it skips over strings and numbers
/// unchecked, passing invalid UTF-8, a lone surrogate (`"\ud800"`) or
/// `1e400`, and has no depth limit, where a `Value` allows 127 levels.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Checked, D::Error> {
        deserializer.deserialize_any(Checked)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Checked, A::Error> {
        while items.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Checked, A::Error> {
        while entries.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

/// Rewrites valid JSON text without insignificant whitespace, or with
/// `pretty` indented as serde_json's pretty printer does (two spaces, `": "`).
/// Works on the text itself so that keys keep their order and numbers their
/// digits.
pub(super) fn reformat_json(json: &[u8], pretty: bool, out: &mut impl Write) -> io::Result<()> {
    let mut depth = 0;
    let mut i = 0;
    while i < json.len() {
        let byte = json[i];
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'"' => {
                let end = string_end(json, i);
                out.write_all(&json[i..end])?;
                i = end;
            }
            b'{' | b'[' => {
                let next = skip_whitespace(json, i + 1);
                if let Some(&close @ (b'}' | b']')) = json.get(next) {
                    out.write_all(&[byte, close])?;
                    i = next + 1;
                } else {
                    depth += 1;
                    out.write_all(&[byte])?;
                    json_newline(out, pretty, depth)?;
                    i += 1;
                }
            }
            b'}' | b']' => {
                depth = usize::saturating_sub(depth, 1);
                json_newline(out, pretty, depth)?;
                out.write_all(&[byte])?;
                i += 1;
            }
            b',' => {
                out.write_all(b",")?;
                json_newline(out, pretty, depth)?;
                i += 1;
            }
            b':' => {
                out.write_all(if pretty { &b": "[..] } else { &b":"[..] })?;
                i += 1;
            }
            _ => {
                // A number, true, false or null runs to the next delimiter.
                let end = json[i..]
                    .iter()
                    .position(|b| {
                        matches!(b, b',' | b':' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                    })
                    .map_or(json.len(), |n| i + n);
                out.write_all(&json[i..end])?;
                i = end;
            }
        }
    }
    Ok(())
}

/// The index just past the string starting with the quote at `start`.
fn string_end(json: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < json.len() {
        match json[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    json.len()
}

fn skip_whitespace(json: &[u8], mut i: usize) -> usize {
    while matches!(json.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

fn json_newline(out: &mut impl Write, pretty: bool, depth: usize) -> io::Result<()> {
    if pretty {
        out.write_all(b"\n")?;
        pad(out, b' ', depth * 2)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use bytes::Bytes;
    use jiff::tz::{Offset, TimeZone};
    use serde_json::{json, Value};

    use super::*;
    use crate::output::test_support::{
        at, formatted_text, formatted_text_in, message, print, printed, v5_message,
    };
    use crate::output::{Arrival, Printer, Style, Template};

    fn json_of(line: &str) -> Value {
        serde_json::from_str(line).unwrap()
    }

    #[test]
    fn json_style_prints_one_object_per_line_in_a_fixed_order() {
        assert_eq!(
            printed(Style::Json, &message("a/b", b"hello \"you\"")),
            concat!(
                r#"{"topic":"a/b","payload":"hello \"you\"","qos":0,"retain":false,"dup":false,"#,
                r#""timestamp":"2025-11-25T13:04:05.123456Z","version":1}"#,
                "\n"
            )
        );
    }

    #[test]
    fn the_offset_since_the_start_follows_the_timestamp_when_it_counts() {
        let printer = Printer::new(Style::Json, false, false, false);
        let arrival = Arrival {
            at: at(),
            since_start: Some(std::time::Duration::new(12, 345_678_999)),
        };
        let mut line = Vec::new();
        printer
            .print(&mut line, &message("a/b", b"x"), None, arrival)
            .unwrap();
        let line = String::from_utf8(line).unwrap();
        assert!(
            line.contains(r#""timestamp":"2025-11-25T13:04:05.123456Z","offset_s":12.345678,"#),
            "{line}"
        );
        assert_eq!(json_of(&line)["offset_s"], 12.345678);
        assert!(line.ends_with(r#","version":1}"#), "{line}");
        // sub's first messages arrive within a second of its start
        let mut line = Vec::new();
        let early = Arrival {
            since_start: Some(std::time::Duration::from_micros(1_500)),
            ..arrival
        };
        printer
            .print(&mut line, &message("a/b", b"x"), None, early)
            .unwrap();
        assert_eq!(
            json_of(std::str::from_utf8(&line).unwrap())["offset_s"],
            0.0015
        );
    }

    #[test]
    fn the_json_timestamp_is_utc_whatever_the_local_zone() {
        let one_hour_east = TimeZone::fixed(Offset::constant(1));
        let line = formatted_text_in(&one_hour_east, "%I %j", &message("a/b", b"x"));
        let (local, object) = line.split_once(' ').unwrap();
        assert_eq!(local, "2025-11-25T14:04:05+0100");
        assert_eq!(json_of(object)["timestamp"], "2025-11-25T13:04:05.123456Z");
        let printer = Printer::new(Style::Json, true, false, false).in_time_zone(one_hour_east);
        assert_eq!(
            json_of(&String::from_utf8(print(&printer, &message("a/b", b"x"))).unwrap())
                ["timestamp"],
            "2025-11-25T13:04:05.123456Z"
        );
    }

    #[test]
    fn json_style_carries_every_mqtt5_property() {
        let line = printed(Style::Json, &v5_message());
        assert_eq!(line.matches('\n').count(), 1);
        assert_eq!(
            json_of(&line),
            json!({
                "topic": "house/kitchen",
                "payload": "21.5",
                "qos": 1,
                "retain": true,
                "dup": false,
                "timestamp": "2025-11-25T13:04:05.123456Z",
                "packet_id": 7,
                "payload_format_indicator": 1,
                "message_expiry_interval": 60,
                "content_type": "text/plain",
                "response_topic": "reply/here",
                "correlation_data": "abc",
                "subscription_identifiers": [3, 9],
                "topic_alias": 4,
                "user_properties": [["a", "1"], ["a", "2"]],
                "version": 1,
            })
        );
        let order = [
            "topic",
            "payload",
            "qos",
            "retain",
            "dup",
            "timestamp",
            "packet_id",
            "payload_format_indicator",
            "message_expiry_interval",
            "content_type",
            "response_topic",
            "correlation_data",
            "subscription_identifiers",
            "topic_alias",
            "user_properties",
            "version",
        ];
        let positions: Vec<usize> = order
            .iter()
            .map(|key| line.find(&format!("\"{key}\":")).unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{line}");
    }

    #[test]
    fn json_style_gives_binary_data_in_base64() {
        let payload = [0xFF, 0x00, 0x80, b'a'];
        let mut binary = message("a/b", &payload);
        binary.properties.correlation_data = Some(Bytes::from_static(&[0xC3, 0x28]));
        let object = json_of(&printed(Style::Json, &binary));
        assert_eq!(object["payload_encoding"], "base64");
        assert_eq!(object["correlation_data_encoding"], "base64");
        let standard = base64::engine::general_purpose::STANDARD;
        assert_eq!(
            standard
                .decode(object["payload"].as_str().unwrap())
                .unwrap(),
            payload
        );
        assert_eq!(
            standard
                .decode(object["correlation_data"].as_str().unwrap())
                .unwrap(),
            [0xC3, 0x28]
        );
        // text has no encoding field
        let object = json_of(&printed(
            Style::Json,
            &message("a/b", "größe\u{0}\n".as_bytes()),
        ));
        assert_eq!(object["payload"], "größe\u{0}\n");
        assert!(object.get("payload_encoding").is_none());
    }

    #[test]
    fn pretty_json_embeds_a_json_payload_and_keeps_its_key_order() {
        let printer = Printer::new(Style::Json, true, false, true);
        let mut m = message("a/b", br#"{ "b": 1, "a": [1, 2.50], "c": {}, "d": [] }"#);
        m.properties.user_properties = vec![("k".into(), "v".into())];
        let out = String::from_utf8(print(&printer, &m)).unwrap();
        assert_eq!(
            out,
            r#"{
  "topic": "a/b",
  "payload": {
    "b": 1,
    "a": [
      1,
      2.50
    ],
    "c": {},
    "d": []
  },
  "qos": 0,
  "retain": false,
  "dup": false,
  "timestamp": "2025-11-25T13:04:05.123456Z",
  "user_properties": [
    [
      "k",
      "v"
    ]
  ],
  "version": 1
}
"#
        );
        assert_eq!(json_of(&out)["payload"]["a"], json!([1, 2.5]));
        // a payload that is not JSON stays a string
        let out = String::from_utf8(print(&printer, &message("a/b", b"{not json"))).unwrap();
        assert_eq!(json_of(&out)["payload"], "{not json");
    }

    #[test]
    fn is_json_accepts_exactly_what_serde_json_parses_into_a_value() {
        let nested = |levels| format!("{}{}", "[".repeat(levels), "]".repeat(levels)).into_bytes();
        let json: [&[u8]; 9] = [
            br#"{"a":[1,2.5,-3e2,true,false,null,"\u00e9\"\\\ud83d\ude00"]}"#,
            b" 1 \n",
            br#""text""#,
            b"[]",
            b"{}",
            br#"{"a":1,"a":2}"#,
            b"1e-400",
            "\"größe\"".as_bytes(),
            &nested(127),
        ];
        let not_json: [&[u8]; 17] = [
            b"",
            b"  ",
            b"{not json",
            br#"{"a":}"#,
            b"[1,]",
            b"'a'",
            b"01",
            b"NaN",
            // trailing garbage
            br#"{"a":1} x"#,
            b"1 2",
            // what IgnoredAny would let through
            b"\"\xFF\"",
            br#""\ud800""#,
            br#"{"\udc00":1}"#,
            b"1e400",
            b"-1e400",
            b"\"a\x01\"",
            &nested(128),
        ];
        for bytes in json {
            assert!(is_json(bytes), "{}", String::from_utf8_lossy(bytes));
        }
        for bytes in not_json {
            assert!(!is_json(bytes), "{}", String::from_utf8_lossy(bytes));
        }
        for bytes in json.iter().chain(&not_json) {
            let as_value = serde_json::from_slice::<Value>(bytes).is_ok();
            assert_eq!(
                is_json(bytes),
                as_value,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn is_json_agrees_with_serde_json_on_json_like_text(
            text in r#"[ \[\]{}:,"0-9.eE+\-a-z\\]{0,24}"#
        ) {
            let as_value = serde_json::from_str::<Value>(&text).is_ok();
            proptest::prop_assert_eq!(is_json(text.as_bytes()), as_value);
        }
    }

    #[test]
    fn reformatting_matches_serde_json_pretty_printing() {
        let text =
            r#" {"a" : [1, {"b":null, "c":"x,y: {}[] \"q\\"}], "d":{ }, "e":[ ], "f": -1.5e3 } "#;
        let value: Value = serde_json::from_str(text).unwrap();
        let mut pretty = Vec::new();
        reformat_json(text.as_bytes(), true, &mut pretty).unwrap();
        // the same but for the number, which keeps its digits
        let expected = serde_json::to_string_pretty(&value)
            .unwrap()
            .replace("-1500.0", "-1.5e3");
        assert_eq!(String::from_utf8(pretty).unwrap(), expected);
        let mut compact = Vec::new();
        reformat_json(text.as_bytes(), false, &mut compact).unwrap();
        assert_eq!(
            String::from_utf8(compact).unwrap(),
            r#"{"a":[1,{"b":null,"c":"x,y: {}[] \"q\\"}],"d":{},"e":[],"f":-1.5e3}"#
        );
    }

    #[test]
    fn format_json_specifiers_differ_in_the_payload() {
        let m = message("a/b", b"{ \"t\": [21.5,\n 3] }");
        let text = json_of(&formatted_text("%j", &m));
        assert_eq!(text["payload"], "{ \"t\": [21.5,\n 3] }");
        let embedded = formatted_text("%J", &m);
        assert!(
            embedded.contains(r#""payload":{"t":[21.5,3]}"#),
            "{embedded}"
        );
        assert!(!embedded.contains('\n'));
        assert_eq!(
            json_of(&embedded)["timestamp"],
            "2025-11-25T13:04:05.123456Z"
        );
        // %J falls back to a string when the payload is not JSON
        assert_eq!(
            json_of(&formatted_text("%J", &message("a", b"21.5 C")))["payload"],
            "21.5 C"
        );
        // flags are ignored rather than cutting the object
        assert_eq!(formatted_text("%5.3j", &m), formatted_text("%j", &m));
        // --pretty spreads either over lines
        let pretty = Printer::new(
            Style::Format(Template::parse("%J").unwrap()),
            true,
            false,
            true,
        );
        let out = String::from_utf8(print(&pretty, &m)).unwrap();
        assert!(
            out.starts_with("{\n  \"topic\": \"a/b\",\n  \"payload\": {\n    \"t\": [\n"),
            "{out}"
        );
    }
}
