//! How `mqtk sub` prints a received message: the payload alone, `topic payload`
//! (`-v`), one JSON object per message (`--json`), or a format of the user's own
//! (`-F`).
//!
//! The plain styles print exactly what mosquitto_sub prints, byte for byte, so
//! scripts written for it keep working: the payload untouched, a newline after
//! each message unless `-N`, and `topic (null)` for an empty payload with `-v`.
//! One deliberate difference: an empty payload prints an empty line, where
//! mosquitto_sub prints nothing, so that every message is one line and
//! `mqtk pub -l | ... | mqtk sub` keeps blank lines. `-F` takes mosquitto_sub's
//! format language (its man page, "Output format"), also followed by a newline
//! unless `-N`. This is the reference `--help` and the man page show:
//!
//! ```text
#![doc = include_str!("format.txt")]
//! ```
//!
//! Local time is what mosquitto_sub's `localtime()` gives: the zone in `TZ`
//! (a name such as `Europe/Berlin`, or a POSIX rule such as `UTC-2`), else
//! /etc/localtime, else UTC; the `@` letters are written as glibc's strftime
//! writes them in the C locale. The `--json` timestamp is UTC.
//!
//! Where mosquitto_sub is loose, mqtk is strict or lossless instead: a format is
//! checked whole before the first message (an unknown `@` letter is an error
//! rather than whatever the platform's strftime makes of it), `%10p` pads
//! rather than truncates, `%S` prints every subscription identifier, an absent
//! property is padded with blanks even with `0`, and `%J` with a payload that
//! is not JSON prints the payload as a string instead of an error.
//!
//! Layout:
//! - `mod.rs`: [`Style`] and [`Printer`], which prints the plain and verbose styles
//!   itself and hands the others on
//! - `format`: [`Template`] and [`FormatError`], a `-F` format parsed into
//!   literals, `%` fields and `@` times
//! - `field`: one `%` field written from a message, cut to its precision and
//!   padded to its width
//! - `json`: the `--json` / `%j` / `%J` object, and the reformatter that compacts or
//!   indents JSON text without reordering it
//! - `view`: [`View`], what `sub` writes: the printed messages, the `--watch`
//!   table with a row per topic, or the `--message-rate` counts
//! - `clock`: when a message arrived, in local time for `%I` and the `@`
//!   strftime letters (written as glibc's C locale writes them), in UTC for JSON

use std::io::{self, Write};
use std::time::SystemTime;

use colored::Colorize;
use jiff::tz::TimeZone;

use crate::codec::Publish;

mod clock;
mod field;
mod format;
mod json;
mod view;

pub use clock::Arrival;
pub use format::{FormatError, Template};
pub use json::JSON_VERSION;
pub use view::{View, Watch};

use clock::Clock;
use json::{is_json, reformat_json, write_json_message};

/// `at` as the `--json` timestamps are written: UTC, to the microsecond.
pub fn utc_timestamp(at: SystemTime) -> String {
    let mut text = Vec::with_capacity(27);
    let _ = Clock::new(at, None).write_utc_timestamp(&mut text);
    String::from_utf8_lossy(&text).into_owned()
}

/// The local time of day of `at`, `14:04:05`, in the zone of `-F`'s local times.
pub fn local_time_of_day(at: SystemTime) -> String {
    let mut text = Vec::with_capacity(8);
    let _ = Clock::new(at, None).write_strftime(&mut text, b'T');
    String::from_utf8_lossy(&text).into_owned()
}

/// How a message is printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Style {
    /// The payload alone, untouched (mosquitto_sub's default).
    Payload,
    /// `topic payload` (`-v`).
    Verbose,
    /// One JSON object per message (`--json`), see [`Printer`] for its fields.
    Json,
    /// A format of the user's own (`-F`).
    Format(Template),
}

/// Prints received messages in one style.
///
/// The `--json` object (and `%j`/`%J`) has its fields in this order, the
/// MQTT 5 ones only when the message carries them:
///
/// - `topic`
/// - `payload`: a string when the payload is UTF-8, otherwise its base64
///   (standard alphabet, padded) followed by `"payload_encoding":"base64"`;
///   with `--pretty` (and always for `%J`) a payload that is JSON is embedded
///   as JSON, its keys kept in their order and its numbers as written
/// - `decoded`: the payload decoded into JSON (`--decode`), when it was
/// - `qos` (0, 1 or 2), `retain` and `dup` (booleans)
/// - `timestamp`: when the message arrived, with microseconds, always in UTC
///   (unlike `%I`, which is local time), so that it reads the same on every
///   machine: `"2025-11-25T13:04:05.123456Z"`
/// - `offset_s`: when the message arrived in seconds since `mqtk sub`
///   started, with microseconds, on the monotonic clock (which no change of
///   the wall clock moves): what `mqtk replay` paces by; only where the
///   command counts it ([`Arrival::since_start`])
/// - `packet_id`, for QoS 1 and 2 only
/// - `payload_format_indicator`: the number 0 or 1, as on the wire
/// - `message_expiry_interval` (seconds), `content_type`, `response_topic`
/// - `correlation_data`: like the payload, a string or base64 with
///   `"correlation_data_encoding":"base64"`
/// - `subscription_identifiers`: an array of numbers
/// - `topic_alias`
/// - `user_properties`: an array of `[key, value]` pairs in the order
///   received, since a key may repeat
/// - `version`: [`JSON_VERSION`], the version of this format
#[derive(Debug, Clone)]
pub struct Printer {
    style: Style,
    newline: bool,
    color: bool,
    pretty: bool,
    /// The zone of `%I` and the `@` letters; `None` is the local zone.
    zone: Option<TimeZone>,
}

impl Printer {
    /// A printer in `style`; `newline` is false for `-N`; `color` says whether
    /// to colour (decided by the caller, which also sets colored's override);
    /// `pretty` is `--pretty`.
    pub fn new(style: Style, newline: bool, color: bool, pretty: bool) -> Printer {
        Printer {
            style,
            newline,
            color,
            pretty,
            zone: None,
        }
    }

    /// The same printer showing local times in `zone` rather than the
    /// machine's zone.
    pub fn in_time_zone(self, zone: TimeZone) -> Printer {
        Printer {
            zone: Some(zone),
            ..self
        }
    }

    /// Writes one message, received at `at`; `decoded` is its payload as
    /// JSON text when `--decode` made one, shown instead of the payload (and
    /// beside it in JSON).
    pub fn print(
        &self,
        out: &mut impl Write,
        message: &Publish,
        decoded: Option<&str>,
        at: Arrival,
    ) -> io::Result<()> {
        match &self.style {
            Style::Payload => self.write_payload(out, &message.payload, decoded)?,
            Style::Verbose => {
                // mosquitto_sub prints "topic (null)" for an empty payload, or
                // nothing when told not to end lines.
                if message.payload.is_empty() && !self.newline {
                    return Ok(());
                }
                self.write_topic(out, message)?;
                if message.payload.is_empty() {
                    if self.color {
                        write!(out, " {}", "(null)".dimmed())?;
                    } else {
                        out.write_all(b" (null)")?;
                    }
                } else {
                    out.write_all(b" ")?;
                    self.write_payload(out, &message.payload, decoded)?;
                }
            }
            Style::Json => {
                let clock = Clock::of(at, self.zone.as_ref());
                write_json_message(out, message, decoded, &clock, self.pretty, self.pretty)?
            }
            Style::Format(template) => {
                let clock = Clock::of(at, self.zone.as_ref());
                template.write(out, message, decoded, &clock, self.pretty)?
            }
        }
        if self.newline {
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// The topic, coloured and with a retained marker when colouring.
    fn write_topic(&self, out: &mut impl Write, message: &Publish) -> io::Result<()> {
        if !self.color {
            return out.write_all(message.topic.as_bytes());
        }
        write!(out, "{}", message.topic.bold().cyan())?;
        if message.retain {
            write!(out, " {}", "(retained)".yellow())?;
        }
        Ok(())
    }

    /// The payload as it came, or re-indented with `--pretty` when it is JSON;
    /// its decoded JSON instead when there is one.
    fn write_payload(
        &self,
        out: &mut impl Write,
        payload: &[u8],
        decoded: Option<&str>,
    ) -> io::Result<()> {
        if let Some(json) = decoded {
            return match self.pretty {
                true => reformat_json(json.as_bytes(), true, out),
                false => out.write_all(json.as_bytes()),
            };
        }
        if self.pretty && is_json(payload) {
            reformat_json(payload, true, out)
        } else {
            out.write_all(payload)
        }
    }
}

/// Messages and printers shared by the tests of every output module.
#[cfg(test)]
mod test_support {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use bytes::Bytes;
    use jiff::tz::TimeZone;

    use super::{Printer, Style, Template};
    use crate::codec::{PropertyValues, Publish, QoS};

    /// 2025-11-25T13:04:05.123456789Z
    pub(super) fn at() -> SystemTime {
        UNIX_EPOCH + Duration::new(1_764_075_845, 123_456_789)
    }

    pub(super) fn message(topic: &str, payload: &[u8]) -> Publish {
        Publish {
            topic: topic.into(),
            payload: Bytes::copy_from_slice(payload),
            ..Publish::default()
        }
    }

    /// A QoS 1 retained MQTT 5 message with every property a PUBLISH can carry.
    pub(super) fn v5_message() -> Publish {
        Publish {
            qos: QoS::AtLeastOnce,
            retain: true,
            packet_id: 7,
            properties: PropertyValues {
                payload_format_indicator: Some(true),
                message_expiry_interval: Some(60),
                content_type: Some("text/plain".into()),
                response_topic: Some("reply/here".into()),
                correlation_data: Some(Bytes::from_static(b"abc")),
                topic_alias: Some(4),
                subscription_identifiers: vec![3, 9],
                user_properties: vec![("a".into(), "1".into()), ("a".into(), "2".into())],
                ..PropertyValues::default()
            }
            .into(),
            ..message("house/kitchen", b"21.5")
        }
    }

    /// What `printer` prints for `message` at [`at`], local times in UTC
    /// (unless the printer was given a zone) whatever the machine's zone.
    pub(super) fn print(printer: &Printer, message: &Publish) -> Vec<u8> {
        let mut printer = printer.clone();
        printer.zone.get_or_insert(TimeZone::UTC);
        let mut out = Vec::new();
        printer
            .print(&mut out, message, None, super::Arrival::at(at()))
            .unwrap();
        out
    }

    pub(super) fn printed(style: Style, message: &Publish) -> String {
        String::from_utf8(print(&Printer::new(style, true, false, false), message)).unwrap()
    }

    pub(super) fn formatted(format: &str, message: &Publish) -> Vec<u8> {
        let style = Style::Format(Template::parse(format).unwrap());
        print(&Printer::new(style, false, false, false), message)
    }

    pub(super) fn formatted_text(format: &str, message: &Publish) -> String {
        String::from_utf8(formatted(format, message)).unwrap()
    }

    /// A `-F` format printed with local times in `zone`.
    pub(super) fn formatted_text_in(zone: &TimeZone, format: &str, message: &Publish) -> String {
        let style = Style::Format(Template::parse(format).unwrap());
        let printer = Printer::new(style, false, false, false).in_time_zone(zone.clone());
        String::from_utf8(print(&printer, message)).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{message, print, printed, v5_message};
    use super::*;

    #[test]
    fn payload_style_prints_the_payload_and_a_newline() {
        assert_eq!(
            printed(Style::Payload, &message("a/b", b"hello")),
            "hello\n"
        );
        let no_newline = Printer::new(Style::Payload, false, false, false);
        assert_eq!(print(&no_newline, &message("a/b", b"hello")), b"hello");
    }

    #[test]
    fn payload_style_never_alters_a_binary_payload() {
        let payload = [0xFF, 0x00, b'\n', 0x1B, 0x80, b'\r'];
        let printer = Printer::new(Style::Payload, false, true, true);
        assert_eq!(print(&printer, &message("a", &payload)), payload);
    }

    #[test]
    fn an_empty_payload_prints_an_empty_line() {
        assert_eq!(printed(Style::Payload, &message("a/b", b"")), "\n");
    }

    #[test]
    fn verbose_style_is_topic_space_payload() {
        assert_eq!(
            printed(Style::Verbose, &message("a/b", b"hello world")),
            "a/b hello world\n"
        );
        assert_eq!(
            printed(Style::Verbose, &v5_message()),
            "house/kitchen 21.5\n"
        );
    }

    #[test]
    fn verbose_style_prints_null_for_an_empty_payload() {
        assert_eq!(
            printed(Style::Verbose, &message("a/b", b"")),
            "a/b (null)\n"
        );
        let no_newline = Printer::new(Style::Verbose, false, false, false);
        assert_eq!(print(&no_newline, &message("a/b", b"")), b"");
    }

    #[test]
    fn colour_off_writes_no_escape_bytes() {
        colored::control::set_override(true);
        for style in [Style::Payload, Style::Verbose, Style::Json] {
            let out = print(&Printer::new(style, true, false, false), &v5_message());
            assert!(!out.contains(&0x1B), "{}", String::from_utf8_lossy(&out));
        }
    }

    #[test]
    fn colour_on_colours_the_topic_and_marks_retained_messages() {
        colored::control::set_override(true);
        let printer = Printer::new(Style::Verbose, true, true, false);
        let retained = String::from_utf8(print(&printer, &v5_message())).unwrap();
        assert!(retained.contains('\x1b'));
        assert!(retained.contains("house/kitchen"));
        assert!(retained.contains("(retained)"));
        assert!(retained.ends_with(" 21.5\n"));
        let fresh = String::from_utf8(print(&printer, &message("a/b", b"x"))).unwrap();
        assert!(fresh.contains('\x1b'));
        assert!(!fresh.contains("retained"));
        // the payload itself is never coloured
        let payload_only = Printer::new(Style::Payload, true, true, false);
        assert_eq!(print(&payload_only, &message("a/b", b"x")), b"x\n");
    }

    #[test]
    fn pretty_payload_and_verbose_styles_indent_json_payloads() {
        let printer = Printer::new(Style::Payload, true, false, true);
        assert_eq!(
            print(&printer, &message("t", br#"{"a":[1]}"#)),
            b"{\n  \"a\": [\n    1\n  ]\n}\n"
        );
        assert_eq!(print(&printer, &message("t", b"not {json")), b"not {json\n");
        let verbose = Printer::new(Style::Verbose, true, false, true);
        assert_eq!(
            print(&verbose, &message("t", br#"{"a":1}"#)),
            b"t {\n  \"a\": 1\n}\n"
        );
    }

    #[test]
    fn a_format_ends_each_message_with_a_newline_unless_told_not_to() {
        let template = Template::parse("%t").unwrap();
        let with = Printer::new(Style::Format(template.clone()), true, false, false);
        assert_eq!(print(&with, &message("a/b", b"")), b"a/b\n");
        let without = Printer::new(Style::Format(template), false, false, false);
        assert_eq!(print(&without, &message("a/b", b"")), b"a/b");
    }
}
