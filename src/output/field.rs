//! One `%` field of a `-F` format written from a message: its value rendered
//! (on the stack where it can be, since a field is written for every message),
//! then cut to the precision and padded to the width.

use std::io::{self, Cursor, Write};

use super::clock::Clock;
use super::format::{Flags, Spec};
use super::json::write_json_message;
use crate::codec::{Publish, QoS};

/// Writes one `%` field with its flags.
pub(super) fn write_field(
    out: &mut impl Write,
    spec: Spec,
    flags: &Flags,
    (message, decoded): (&Publish, Option<&str>),
    clock: &Clock<'_>,
    pretty: bool,
) -> io::Result<()> {
    match spec {
        // A JSON object cut or padded would be no use to anyone: no flags.
        Spec::JsonText => write_json_message(out, message, decoded, clock, false, pretty),
        Spec::JsonEmbedded => write_json_message(out, message, decoded, clock, true, pretty),
        Spec::Decoded => write_padded(out, decoded.unwrap_or("").as_bytes(), flags, false),
        Spec::HexLower | Spec::HexUpper => {
            write_hex_field(out, &message.payload, spec == Spec::HexUpper, flags)
        }
        Spec::UserProperties if flags.is_plain() => write_user_properties(out, message),
        Spec::SubscriptionIds if flags.is_plain() => write_subscription_ids(out, message),
        _ => {
            let value = render(spec, message, clock, flags.precision);
            write_padded(out, value.as_bytes(), flags, spec.is_numeric())
        }
    }
}

/// A field's text before padding: borrowed from the message where it can be,
/// on the stack for numbers and times, on the heap only for the rare rest.
enum Rendered<'a> {
    Borrowed(&'a [u8]),
    Stack(Cursor<[u8; 48]>),
    Owned(Vec<u8>),
}

impl Rendered<'_> {
    fn as_bytes(&self) -> &[u8] {
        match self {
            Rendered::Borrowed(bytes) => bytes,
            Rendered::Stack(cursor) => &cursor.get_ref()[..cursor.position() as usize],
            Rendered::Owned(bytes) => bytes,
        }
    }
}

/// Renders a short value on the stack; everything given to it fits in 48 bytes.
fn on_stack(render: impl FnOnce(&mut Cursor<[u8; 48]>) -> io::Result<()>) -> Rendered<'static> {
    let mut cursor = Cursor::new([0; 48]);
    // A value that did not fit would be cut short, not lost; none is that long.
    let _ = render(&mut cursor);
    Rendered::Stack(cursor)
}

/// Renders a value of any length on the heap.
fn on_heap(render: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> Rendered<'static> {
    let mut bytes = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = render(&mut bytes);
    Rendered::Owned(bytes)
}

fn number(value: Option<impl std::fmt::Display>) -> Rendered<'static> {
    match value {
        Some(value) => on_stack(|c| write!(c, "{value}")),
        None => Rendered::Borrowed(b""),
    }
}

fn text(value: Option<&[u8]>) -> Rendered<'_> {
    Rendered::Borrowed(value.unwrap_or_default())
}

fn render<'a>(
    spec: Spec,
    message: &'a Publish,
    clock: &Clock<'_>,
    precision: Option<usize>,
) -> Rendered<'a> {
    let properties = &message.properties;
    match spec {
        Spec::Topic => Rendered::Borrowed(message.topic.as_bytes()),
        Spec::Payload => Rendered::Borrowed(&message.payload),
        Spec::Qos => number(Some(qos_number(message.qos))),
        Spec::Retain => number(Some(u8::from(message.retain))),
        Spec::Length => number(Some(message.payload.len())),
        Spec::MessageId => number(Some(message.packet_id)),
        Spec::Double | Spec::Float => {
            match float_text(&message.payload, spec == Spec::Double, precision) {
                Some(text) => Rendered::Owned(text.into_bytes()),
                None => Rendered::Borrowed(b""),
            }
        }
        Spec::IsoTime => on_stack(|c| clock.write_iso_time(c)),
        Spec::UnixTime => on_stack(|c| clock.write_unix_time(c)),
        Spec::TopicAlias => number(properties.topic_alias),
        Spec::ContentType => text(properties.content_type.as_deref().map(str::as_bytes)),
        Spec::CorrelationData => text(properties.correlation_data.as_deref()),
        Spec::ExpiryInterval => number(properties.message_expiry_interval),
        Spec::FormatIndicator => number(properties.payload_format_indicator.map(u8::from)),
        Spec::ResponseTopic => text(properties.response_topic.as_deref().map(str::as_bytes)),
        Spec::UserProperties => on_heap(|bytes| write_user_properties(bytes, message)),
        Spec::SubscriptionIds => on_heap(|bytes| write_subscription_ids(bytes, message)),
        // Written straight to the output by write_field, never rendered.
        Spec::HexLower | Spec::HexUpper | Spec::JsonText | Spec::JsonEmbedded | Spec::Decoded => {
            Rendered::Borrowed(b"")
        }
    }
}

pub(super) fn qos_number(qos: QoS) -> u8 {
    qos as u8
}

/// `%d` and `%f`: the payload as an IEEE 754 number, little-endian as
/// mosquitto_sub reads it on every common platform; `None` when the payload
/// is not 8 (4) bytes long. Six decimals unless a precision says otherwise.
fn float_text(payload: &[u8], double: bool, precision: Option<usize>) -> Option<String> {
    let value = if double {
        f64::from_le_bytes(payload.try_into().ok()?)
    } else {
        f64::from(f32::from_le_bytes(payload.try_into().ok()?))
    };
    let precision = precision.unwrap_or(6);
    Some(if value.is_nan() {
        "nan".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else {
        format!("{value:.precision$}")
    })
}

/// `%P`: every user property as `key:value`, separated by spaces.
fn write_user_properties(out: &mut impl Write, message: &Publish) -> io::Result<()> {
    for (i, (key, value)) in message.properties.user_properties.iter().enumerate() {
        if i > 0 {
            out.write_all(b" ")?;
        }
        out.write_all(key.as_bytes())?;
        out.write_all(b":")?;
        out.write_all(value.as_bytes())?;
    }
    Ok(())
}

/// `%S`: every subscription identifier, separated by commas.
pub(super) fn write_subscription_ids(out: &mut impl Write, message: &Publish) -> io::Result<()> {
    for (i, id) in message
        .properties
        .subscription_identifiers
        .iter()
        .enumerate()
    {
        if i > 0 {
            out.write_all(b",")?;
        }
        write!(out, "{id}")?;
    }
    Ok(())
}

/// Writes `value` truncated to the precision (text only) and padded to the
/// width. Lengths count characters when the value is UTF-8, bytes otherwise.
fn write_padded(
    out: &mut impl Write,
    value: &[u8],
    flags: &Flags,
    numeric: bool,
) -> io::Result<()> {
    if flags.is_plain() {
        return out.write_all(value);
    }
    let (value, units) = if numeric {
        (value, units(value))
    } else {
        truncate(value, flags.precision)
    };
    let fill = flags.width.saturating_sub(units);
    if flags.left {
        out.write_all(value)?;
        return pad(out, b' ', fill);
    }
    // Zeros go after a sign and only before digits: never for a blank absent
    // property, "inf" or "nan".
    let digits_follow = value
        .iter()
        .find(|b| **b != b'-')
        .is_some_and(u8::is_ascii_digit);
    if numeric && flags.zero && digits_follow {
        let (sign, rest) = match value.split_first() {
            Some((b'-', rest)) => (&b"-"[..], rest),
            _ => (&b""[..], value),
        };
        out.write_all(sign)?;
        pad(out, b'0', fill)?;
        out.write_all(rest)
    } else {
        pad(out, b' ', fill)?;
        out.write_all(value)
    }
}

/// The length of a value: characters when it is UTF-8, bytes otherwise.
fn units(value: &[u8]) -> usize {
    match std::str::from_utf8(value) {
        Ok(text) => text.chars().count(),
        Err(_) => value.len(),
    }
}

/// Cuts a value to at most `precision` characters (bytes when not UTF-8), and
/// says how long the result is.
fn truncate(value: &[u8], precision: Option<usize>) -> (&[u8], usize) {
    match std::str::from_utf8(value) {
        Ok(text) => {
            match precision.and_then(|p| text.char_indices().nth(p).map(|(end, _)| (end, p))) {
                Some((end, count)) => (&value[..end], count),
                None => (value, text.chars().count()),
            }
        }
        Err(_) => {
            let len = precision.map_or(value.len(), |p| p.min(value.len()));
            (&value[..len], len)
        }
    }
}

/// Writes `count` copies of `byte` (a space or a zero).
pub(super) fn pad(out: &mut impl Write, byte: u8, mut count: usize) -> io::Result<()> {
    const SPACES: [u8; 64] = [b' '; 64];
    const ZEROS: [u8; 64] = [b'0'; 64];
    let chunk = if byte == b'0' { &ZEROS } else { &SPACES };
    while count > 0 {
        let n = count.min(chunk.len());
        out.write_all(&chunk[..n])?;
        count -= n;
    }
    Ok(())
}

/// `%x` and `%X`: the payload in hex; a precision N splits it into groups of
/// N digits, with a space (or the separator given) between them.
fn write_hex_field(
    out: &mut impl Write,
    payload: &[u8],
    upper: bool,
    flags: &Flags,
) -> io::Result<()> {
    let digits = payload.len() * 2;
    let grouping = flags
        .precision
        .filter(|&size| size > 0)
        .map(|size| (size, flags.separator.unwrap_or(b' ')));
    let separators = grouping.map_or(0, |(size, _)| digits.saturating_sub(1) / size);
    let fill = flags.width.saturating_sub(digits + separators);
    if !flags.left {
        pad(out, if flags.zero { b'0' } else { b' ' }, fill)?;
    }
    write_hex(out, payload, upper, grouping)?;
    if flags.left {
        pad(out, b' ', fill)?;
    }
    Ok(())
}

/// Writes `bytes` in hex digits, in groups of a size with a separator between
/// them when `grouping` is given, through a small buffer.
fn write_hex(
    out: &mut impl Write,
    bytes: &[u8],
    upper: bool,
    grouping: Option<(usize, u8)>,
) -> io::Result<()> {
    let digits = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut buf = [0; 256];
    let mut n = 0;
    let nibbles = bytes.iter().flat_map(|b| [b >> 4, b & 0x0F]);
    for (i, nibble) in nibbles.enumerate() {
        if let Some((size, separator)) = grouping {
            if i > 0 && i % size == 0 {
                buf[n] = separator;
                n += 1;
            }
        }
        buf[n] = digits[usize::from(nibble)];
        n += 1;
        if n >= buf.len() - 1 {
            out.write_all(&buf[..n])?;
            n = 0;
        }
    }
    out.write_all(&buf[..n])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::test_support::{formatted, formatted_text, message, v5_message};

    #[test]
    fn every_format_specifier() {
        let line = formatted_text(
            "%t|%p|%q|%r|%l|%m|%x|%X|%I|%U|%A|%C|%D|%E|%F|%P|%R|%S|%%",
            &v5_message(),
        );
        assert_eq!(
            line,
            "house/kitchen|21.5|1|1|4|7|32312e35|32312E35|2025-11-25T13:04:05+0000|1764075845.123456789\
             |4|text/plain|abc|60|1|a:1 a:2|reply/here|3,9|%"
        );
        // absent MQTT 5 properties print nothing, or blanks to the width
        let plain = message("a/b", b"hi");
        assert_eq!(
            formatted_text("%A|%C|%D|%E|%F|%P|%R|%S|%m", &plain),
            "||||||||0"
        );
        assert_eq!(
            formatted_text("[%3A|%-2C|%03E|%2S]", &plain),
            "[   |  |   |  ]"
        );
    }

    #[test]
    fn field_width_alignment_and_precision() {
        let m = Publish {
            packet_id: 7,
            qos: QoS::AtLeastOnce,
            ..message("a/b", b"hi")
        };
        let cases = [
            ("[%10t]", "[       a/b]"),
            ("[%-10t]", "[a/b       ]"),
            ("[%.2t]", "[a/]"),
            ("[%5.2t]", "[   a/]"),
            ("[%-5.2t]", "[a/   ]"),
            ("[%.9t]", "[a/b]"),
            ("[%010t]", "[       a/b]"),
            ("[%5p]", "[   hi]"),
            ("[%-5p]", "[hi   ]"),
            ("[%.1p]", "[h]"),
            ("[%08x]", "[00006869]"),
            ("[%8x]", "[    6869]"),
            ("[%-8X]", "[6869    ]"),
            ("[%.3x]", "[686 9]"),
            ("[%.2x]", "[68 69]"),
            ("[%.2:X]", "[68:69]"),
            ("[%.1-x]", "[6-8-6-9]"),
            ("[%.0x]", "[6869]"),
            ("[%8.2x]", "[   68 69]"),
            ("[%-8.2x]", "[68 69   ]"),
            ("[%08.2x]", "[00068 69]"),
            ("[%05l]", "[00002]"),
            ("[%-4m]", "[7   ]"),
            ("[%-04m]", "[7   ]"),
            ("[%3q|%03r]", "[  1|000]"),
            ("[%30I]", "[      2025-11-25T13:04:05+0000]"),
            ("[%.10I]", "[2025-11-25]"),
        ];
        for (format, expected) in cases {
            assert_eq!(formatted_text(format, &m), expected, "{format}");
        }
    }

    #[test]
    fn widths_count_characters_in_text_and_bytes_in_binary() {
        let m = message("größe", &[0xFF, 0xFE, 0xFD]);
        assert_eq!(formatted_text("[%.3t|%7t]", &m), "[grö|  größe]");
        assert_eq!(formatted("[%.2p|%4p]", &m), b"[\xFF\xFE| \xFF\xFE\xFD]");
    }

    #[test]
    fn float_specifiers_read_ieee754_payloads() {
        let single = message("t", &21.5f32.to_le_bytes());
        assert_eq!(
            formatted_text("%f|%.1f|%08.2f|%-7.1f|", &single),
            "21.500000|21.5|00021.50|21.5   |"
        );
        let double = message("t", &(-1.25f64).to_le_bytes());
        assert_eq!(formatted_text("%d|%08.3d", &double), "-1.250000|-001.250");
        // the wrong size prints nothing
        assert_eq!(
            formatted_text("[%f|%5d]", &message("t", b"21.50")),
            "[|     ]"
        );
        let nan = message("t", &f32::NAN.to_le_bytes());
        assert_eq!(formatted_text("[%05f]", &nan), "[  nan]");
    }
}
