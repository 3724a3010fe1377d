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
//! unless `-N`:
//!
//! ```text
//! %t topic                        %A topic alias            (MQTT 5, blank if absent)
//! %p payload, raw bytes           %C content type           (MQTT 5)
//! %q QoS                          %D correlation data, raw  (MQTT 5)
//! %r retain flag, 0 or 1          %E message expiry interval (MQTT 5)
//! %l payload length in bytes      %F payload format indicator, 0 or 1 (MQTT 5)
//! %m packet id, 0 for QoS 0       %P user properties, "key:value key:value" (MQTT 5)
//! %x payload as lowercase hex     %R response topic         (MQTT 5)
//! %X payload as uppercase hex     %S subscription identifiers, "3,9" (MQTT 5)
//! %d payload as an 8-byte IEEE 754 double, %f as a 4-byte float (little-endian)
//! %j the --json object, payload as a string
//! %J the --json object, a JSON payload embedded as JSON
//! %I ISO 8601 time, UTC: 2025-11-25T13:04:05+0000
//! %U Unix time with nanoseconds: 1764075845.123456789
//! %% a percent sign
//!
//! Between % and the letter: "-" left-aligns, "0" pads numbers with zeros, a
//! number is the minimum width and ".N" the maximum width of text (the number
//! of decimals for %d and %f). Widths count characters, or bytes when a value
//! is not UTF-8.
//!
//! @ passes the next letter to strftime, in UTC:
//! @Y @y @C @G @g  year       @m @b @B @h  month     @d @e @j  day
//! @H @I @k @l     hour       @M minute   @S second  @N nanoseconds   @s Unix seconds
//! @a @A @u @w     weekday    @U @W @V  week          @p @P  AM/PM
//! @F @T @D @R @r @c @x @X    combinations            @z +0000   @Z UTC
//! @n newline  @t tab  @% percent sign  @@ an at sign
//!
//! Escapes: \\ \0 \a \e \n \r \t \v
//! ```
//!
//! Where mosquitto_sub is loose, mqtk is strict or lossless instead: a format is
//! checked whole before the first message (an unknown `@` letter is an error
//! rather than whatever the platform's strftime makes of it), times are UTC,
//! `%10p` pads rather than truncates, `%S` prints every subscription
//! identifier, an absent property is padded with blanks even with `0`, and `%J`
//! with a payload that is not JSON prints the payload as a string instead of
//! an error.

use std::io::{self, Cursor, Write};
use std::iter::Peekable;
use std::time::{SystemTime, UNIX_EPOCH};

use colored::Colorize;

use crate::codec::{Publish, QoS};

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

/// A parsed `-F` format, ready to print any number of messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

/// What is wrong with a `-F` format. Positions count characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// A `%` followed by a letter that is not a specifier.
    #[error("unknown format specifier %{spec} at position {position}")]
    UnknownSpecifier { spec: char, position: usize },
    /// An `@` followed by a letter mqtk does not pass to strftime.
    #[error("unknown time specifier @{spec} at position {position}")]
    UnknownTimeSpecifier { spec: char, position: usize },
    /// A `\` followed by a character that is not an escape.
    #[error("unknown escape \\{escape} at position {position}")]
    UnknownEscape { escape: char, position: usize },
    /// The format ends right after `%` (or its flags), `@` or `\`.
    #[error("the format ends inside the {start} sequence at position {position}")]
    Incomplete { start: char, position: usize },
    /// A width or precision over 65535.
    #[error("field width or precision over 65535 at position {position}")]
    TooWide { position: usize },
}

/// The largest field width or precision a format may ask for.
const MAX_WIDTH: usize = 65_535;

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Text printed as it is (escapes already resolved).
    Literal(Vec<u8>),
    /// A `%` specifier with its flags.
    Field(Spec, Flags),
    /// An `@` time specifier: the strftime letter.
    Time(u8),
}

/// A `%` specifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    Topic,
    Payload,
    Qos,
    Retain,
    Length,
    MessageId,
    HexLower,
    HexUpper,
    Double,
    Float,
    JsonText,
    JsonEmbedded,
    IsoTime,
    UnixTime,
    TopicAlias,
    ContentType,
    CorrelationData,
    ExpiryInterval,
    FormatIndicator,
    UserProperties,
    ResponseTopic,
    SubscriptionIds,
}

impl Spec {
    fn from_char(c: char) -> Option<Spec> {
        Some(match c {
            't' => Spec::Topic,
            'p' => Spec::Payload,
            'q' => Spec::Qos,
            'r' => Spec::Retain,
            'l' => Spec::Length,
            'm' => Spec::MessageId,
            'x' => Spec::HexLower,
            'X' => Spec::HexUpper,
            'd' => Spec::Double,
            'f' => Spec::Float,
            'j' => Spec::JsonText,
            'J' => Spec::JsonEmbedded,
            'I' => Spec::IsoTime,
            'U' => Spec::UnixTime,
            'A' => Spec::TopicAlias,
            'C' => Spec::ContentType,
            'D' => Spec::CorrelationData,
            'E' => Spec::ExpiryInterval,
            'F' => Spec::FormatIndicator,
            'P' => Spec::UserProperties,
            'R' => Spec::ResponseTopic,
            'S' => Spec::SubscriptionIds,
            _ => return None,
        })
    }

    /// Numbers take the `0` flag and ignore precision as a maximum width.
    fn is_numeric(self) -> bool {
        matches!(
            self,
            Spec::Qos
                | Spec::Retain
                | Spec::Length
                | Spec::MessageId
                | Spec::Double
                | Spec::Float
                | Spec::TopicAlias
                | Spec::ExpiryInterval
                | Spec::FormatIndicator
                | Spec::SubscriptionIds
        )
    }
}

/// The flags, width and precision between `%` and its letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Flags {
    left: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
}

impl Flags {
    fn is_plain(&self) -> bool {
        self.width == 0 && self.precision.is_none()
    }
}

/// The strftime letters `@` accepts.
const TIME_SPECS: &[u8] = b"aAbBcCdDeFgGhHIjklmMnNpPrRsStTuUVwWxXyYzZ%";

impl Template {
    /// Parses a `-F` format, rejecting unknown specifiers and escapes.
    pub fn parse(format: &str) -> Result<Template, FormatError> {
        let mut parts = Vec::new();
        let mut literal = Vec::new();
        let mut chars = format
            .chars()
            .enumerate()
            .map(|(i, c)| (i + 1, c))
            .peekable();
        while let Some((position, c)) = chars.next() {
            match c {
                '%' => {
                    let mut flags = Flags::default();
                    while let Some(&(_, flag @ ('-' | '0'))) = chars.peek() {
                        if flag == '-' {
                            flags.left = true;
                        } else {
                            flags.zero = true;
                        }
                        chars.next();
                    }
                    flags.width = digits(&mut chars, position)?.unwrap_or(0);
                    if chars.next_if(|&(_, c)| c == '.').is_some() {
                        flags.precision = Some(digits(&mut chars, position)?.unwrap_or(0));
                    }
                    let Some((_, letter)) = chars.next() else {
                        return Err(FormatError::Incomplete {
                            start: '%',
                            position,
                        });
                    };
                    if letter == '%' {
                        literal.push(b'%');
                        continue;
                    }
                    let spec = Spec::from_char(letter).ok_or(FormatError::UnknownSpecifier {
                        spec: letter,
                        position,
                    })?;
                    flush_literal(&mut parts, &mut literal);
                    parts.push(Part::Field(spec, flags));
                }
                '@' => {
                    let Some((_, letter)) = chars.next() else {
                        return Err(FormatError::Incomplete {
                            start: '@',
                            position,
                        });
                    };
                    if letter == '@' {
                        literal.push(b'@');
                        continue;
                    }
                    let known = u8::try_from(letter).ok().filter(|b| TIME_SPECS.contains(b));
                    let spec = known.ok_or(FormatError::UnknownTimeSpecifier {
                        spec: letter,
                        position,
                    })?;
                    flush_literal(&mut parts, &mut literal);
                    parts.push(Part::Time(spec));
                }
                '\\' => {
                    let Some((_, escape)) = chars.next() else {
                        return Err(FormatError::Incomplete {
                            start: '\\',
                            position,
                        });
                    };
                    literal.push(match escape {
                        '\\' => b'\\',
                        '0' => 0,
                        'a' => 0x07,
                        'e' => 0x1B,
                        'n' => b'\n',
                        'r' => b'\r',
                        't' => b'\t',
                        'v' => 0x0B,
                        _ => return Err(FormatError::UnknownEscape { escape, position }),
                    });
                }
                c => literal.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
        flush_literal(&mut parts, &mut literal);
        Ok(Template { parts })
    }

    /// Writes one message in this format, without the trailing newline.
    fn write(
        &self,
        out: &mut impl Write,
        message: &Publish,
        clock: &Clock,
        pretty: bool,
    ) -> io::Result<()> {
        for part in &self.parts {
            match part {
                Part::Literal(bytes) => out.write_all(bytes)?,
                Part::Time(spec) => clock.write_strftime(out, *spec)?,
                Part::Field(spec, flags) => write_field(out, *spec, flags, message, clock, pretty)?,
            }
        }
        Ok(())
    }
}

/// Reads an optional run of decimal digits after the `%` at `position`.
fn digits<I: Iterator<Item = (usize, char)>>(
    chars: &mut Peekable<I>,
    position: usize,
) -> Result<Option<usize>, FormatError> {
    let mut value = None;
    while let Some((_, c)) = chars.next_if(|(_, c)| c.is_ascii_digit()) {
        let digit = c.to_digit(10).unwrap_or(0) as usize;
        let next = value.unwrap_or(0) * 10 + digit;
        if next > MAX_WIDTH {
            return Err(FormatError::TooWide { position });
        }
        value = Some(next);
    }
    Ok(value)
}

fn flush_literal(parts: &mut Vec<Part>, literal: &mut Vec<u8>) {
    if !literal.is_empty() {
        parts.push(Part::Literal(std::mem::take(literal)));
    }
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
/// - `qos` (0, 1 or 2), `retain` and `dup` (booleans)
/// - `timestamp`: when the message arrived, UTC with microseconds,
///   `"2025-11-25T13:04:05.123456Z"`
/// - `packet_id`, for QoS 1 and 2 only
/// - `payload_format_indicator`: the number 0 or 1, as on the wire
/// - `message_expiry_interval` (seconds), `content_type`, `response_topic`
/// - `correlation_data`: like the payload, a string or base64 with
///   `"correlation_data_encoding":"base64"`
/// - `subscription_identifiers`: an array of numbers
/// - `topic_alias`
/// - `user_properties`: an array of `[key, value]` pairs in the order
///   received, since a key may repeat
#[derive(Debug, Clone)]
pub struct Printer {
    style: Style,
    newline: bool,
    color: bool,
    pretty: bool,
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
        }
    }

    /// Writes one message. `at` is when it was received.
    pub fn print(&self, out: &mut impl Write, message: &Publish, at: SystemTime) -> io::Result<()> {
        match &self.style {
            Style::Payload => self.write_payload(out, &message.payload)?,
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
                    self.write_payload(out, &message.payload)?;
                }
            }
            Style::Json => {
                write_json_message(out, message, &Clock::new(at), self.pretty, self.pretty)?
            }
            Style::Format(template) => {
                template.write(out, message, &Clock::new(at), self.pretty)?
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
        write!(out, "{}", message.topic.as_str().bold().cyan())?;
        if message.retain {
            write!(out, " {}", "(retained)".yellow())?;
        }
        Ok(())
    }

    /// The payload as it came, or re-indented with `--pretty` when it is JSON.
    fn write_payload(&self, out: &mut impl Write, payload: &[u8]) -> io::Result<()> {
        if self.pretty && is_json(payload) {
            reformat_json(payload, true, out)
        } else {
            out.write_all(payload)
        }
    }
}

/// Writes one `%` field with its flags.
fn write_field(
    out: &mut impl Write,
    spec: Spec,
    flags: &Flags,
    message: &Publish,
    clock: &Clock,
    pretty: bool,
) -> io::Result<()> {
    match spec {
        // A JSON object cut or padded would be no use to anyone: no flags.
        Spec::JsonText => write_json_message(out, message, clock, false, pretty),
        Spec::JsonEmbedded => write_json_message(out, message, clock, true, pretty),
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
    clock: &Clock,
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
        Spec::IsoTime => on_stack(|c| {
            clock.write_date_time(c)?;
            c.write_all(b"+0000")
        }),
        Spec::UnixTime => on_stack(|c| write!(c, "{}.{:09}", clock.secs, clock.nanos)),
        Spec::TopicAlias => number(properties.topic_alias),
        Spec::ContentType => text(properties.content_type.as_deref().map(str::as_bytes)),
        Spec::CorrelationData => text(properties.correlation_data.as_deref()),
        Spec::ExpiryInterval => number(properties.message_expiry_interval),
        Spec::FormatIndicator => number(properties.payload_format_indicator.map(u8::from)),
        Spec::ResponseTopic => text(properties.response_topic.as_deref().map(str::as_bytes)),
        Spec::UserProperties => {
            let mut bytes = Vec::new();
            let _ = write_user_properties(&mut bytes, message);
            Rendered::Owned(bytes)
        }
        Spec::SubscriptionIds => {
            let mut bytes = Vec::new();
            let _ = write_subscription_ids(&mut bytes, message);
            Rendered::Owned(bytes)
        }
        // Written straight to the output by write_field, never rendered.
        Spec::HexLower | Spec::HexUpper | Spec::JsonText | Spec::JsonEmbedded => {
            Rendered::Borrowed(b"")
        }
    }
}

fn qos_number(qos: QoS) -> u8 {
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
fn write_subscription_ids(out: &mut impl Write, message: &Publish) -> io::Result<()> {
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
fn pad(out: &mut impl Write, byte: u8, mut count: usize) -> io::Result<()> {
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

/// `%x` and `%X`: the payload in hex, the precision counting hex digits.
fn write_hex_field(
    out: &mut impl Write,
    payload: &[u8],
    upper: bool,
    flags: &Flags,
) -> io::Result<()> {
    let len = flags
        .precision
        .map_or(payload.len() * 2, |p| p.min(payload.len() * 2));
    let fill = flags.width.saturating_sub(len);
    if !flags.left {
        pad(out, if flags.zero { b'0' } else { b' ' }, fill)?;
    }
    write_hex(out, payload, upper, len)?;
    if flags.left {
        pad(out, b' ', fill)?;
    }
    Ok(())
}

/// Writes the first `limit` hex digits of `bytes`, in chunks.
fn write_hex(out: &mut impl Write, bytes: &[u8], upper: bool, limit: usize) -> io::Result<()> {
    let digits = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut buf = [0; 256];
    let mut n = 0;
    for nibble in bytes.iter().flat_map(|b| [b >> 4, b & 0x0F]).take(limit) {
        buf[n] = digits[usize::from(nibble)];
        n += 1;
        if n == buf.len() {
            out.write_all(&buf)?;
            n = 0;
        }
    }
    out.write_all(&buf[..n])
}

/// Writes the JSON object for a message (see [`Printer`]); `embed` puts a JSON
/// payload in as JSON; `pretty` spreads the object over indented lines.
fn write_json_message(
    out: &mut impl Write,
    message: &Publish,
    clock: &Clock,
    embed: bool,
    pretty: bool,
) -> io::Result<()> {
    if pretty {
        let mut line = Vec::with_capacity(256 + message.payload.len());
        write_json_line(&mut line, message, clock, embed)?;
        reformat_json(&line, true, out)
    } else {
        write_json_line(out, message, clock, embed)
    }
}

/// Writes the JSON object on one line, field by field in a fixed order.
fn write_json_line(
    out: &mut impl Write,
    message: &Publish,
    clock: &Clock,
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
    write!(
        out,
        ",\"qos\":{},\"retain\":{},\"dup\":{},\"timestamp\":\"",
        qos_number(message.qos),
        message.retain,
        message.dup
    )?;
    clock.write_date_time(out)?;
    write!(out, ".{:06}Z\"", clock.nanos / 1000)?;
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
    out.write_all(b"}")
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
fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes).is_ok()
}

/// Rewrites valid JSON text without insignificant whitespace, or with
/// `pretty` indented as serde_json's pretty printer does (two spaces, `": "`).
/// Works on the text itself so that keys keep their order and numbers their
/// digits.
fn reformat_json(json: &[u8], pretty: bool, out: &mut impl Write) -> io::Result<()> {
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

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A moment broken down into its UTC calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Clock {
    /// Seconds since 1970-01-01T00:00:00Z, rounded down.
    secs: i64,
    /// Nanoseconds after `secs`.
    nanos: u32,
    year: i64,
    /// 1 to 12.
    month: u32,
    /// 1 to 31.
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// 0 is Sunday.
    weekday: u32,
    /// Days since 1 January, from 0.
    yday: u32,
}

impl Clock {
    fn new(at: SystemTime) -> Clock {
        let (secs, nanos) = match at.duration_since(UNIX_EPOCH) {
            Ok(after) => (
                i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
                after.subsec_nanos(),
            ),
            Err(before) => {
                let before = before.duration();
                let secs = -i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
                match before.subsec_nanos() {
                    0 => (secs, 0),
                    nanos => (secs - 1, 1_000_000_000 - nanos),
                }
            }
        };
        Clock::from_unix(secs, nanos)
    }

    fn from_unix(secs: i64, nanos: u32) -> Clock {
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        Clock {
            secs,
            nanos,
            year,
            month,
            day,
            hour: of_day / 3600,
            minute: of_day / 60 % 60,
            second: of_day % 60,
            // 1970-01-01 was a Thursday.
            weekday: (days + 4).rem_euclid(7) as u32,
            yday: (days - days_from_civil(year, 1, 1)) as u32,
        }
    }

    /// `2025-11-25T13:04:05`
    fn write_date_time(&self, out: &mut impl Write) -> io::Result<()> {
        write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    fn hour12(&self) -> u32 {
        match self.hour % 12 {
            0 => 12,
            hour => hour,
        }
    }

    /// The ISO 8601 week-based year and week number.
    fn iso_week(&self) -> (i64, u32) {
        let iso_weekday = (self.weekday + 6) % 7 + 1;
        let week = (i64::from(self.yday) + 1 - i64::from(iso_weekday) + 10) / 7;
        if week < 1 {
            (self.year - 1, iso_weeks_in(self.year - 1))
        } else if week > i64::from(iso_weeks_in(self.year)) {
            (self.year + 1, 1)
        } else {
            (self.year, week as u32)
        }
    }

    /// One strftime conversion in the C locale; `spec` is one of TIME_SPECS.
    fn write_strftime(&self, out: &mut impl Write, spec: u8) -> io::Result<()> {
        let weekday = WEEKDAYS[self.weekday as usize];
        let month = MONTHS[self.month as usize - 1];
        match spec {
            b'a' => out.write_all(&weekday.as_bytes()[..3]),
            b'A' => out.write_all(weekday.as_bytes()),
            b'b' | b'h' => out.write_all(&month.as_bytes()[..3]),
            b'B' => out.write_all(month.as_bytes()),
            b'c' => {
                for (i, part) in b"abeTY".iter().enumerate() {
                    if i > 0 {
                        out.write_all(b" ")?;
                    }
                    self.write_strftime(out, *part)?;
                }
                Ok(())
            }
            b'C' => write!(out, "{:02}", self.year.div_euclid(100)),
            b'd' => write!(out, "{:02}", self.day),
            b'D' | b'x' => write!(
                out,
                "{:02}/{:02}/{:02}",
                self.month,
                self.day,
                self.year.rem_euclid(100)
            ),
            b'e' => write!(out, "{:2}", self.day),
            b'F' => write!(out, "{:04}-{:02}-{:02}", self.year, self.month, self.day),
            b'g' => write!(out, "{:02}", self.iso_week().0.rem_euclid(100)),
            b'G' => write!(out, "{}", self.iso_week().0),
            b'H' => write!(out, "{:02}", self.hour),
            b'I' => write!(out, "{:02}", self.hour12()),
            b'j' => write!(out, "{:03}", self.yday + 1),
            b'k' => write!(out, "{:2}", self.hour),
            b'l' => write!(out, "{:2}", self.hour12()),
            b'm' => write!(out, "{:02}", self.month),
            b'M' => write!(out, "{:02}", self.minute),
            b'n' => out.write_all(b"\n"),
            b'N' => write!(out, "{:09}", self.nanos),
            b'p' => out.write_all(if self.hour < 12 { b"AM" } else { b"PM" }),
            b'P' => out.write_all(if self.hour < 12 { b"am" } else { b"pm" }),
            b'r' => {
                let noon = if self.hour < 12 { "AM" } else { "PM" };
                write!(
                    out,
                    "{:02}:{:02}:{:02} {noon}",
                    self.hour12(),
                    self.minute,
                    self.second
                )
            }
            b'R' => write!(out, "{:02}:{:02}", self.hour, self.minute),
            b's' => write!(out, "{}", self.secs),
            b'S' => write!(out, "{:02}", self.second),
            b't' => out.write_all(b"\t"),
            b'T' | b'X' => write!(
                out,
                "{:02}:{:02}:{:02}",
                self.hour, self.minute, self.second
            ),
            b'u' => write!(out, "{}", (self.weekday + 6) % 7 + 1),
            b'U' => write!(out, "{:02}", (self.yday + 7 - self.weekday) / 7),
            b'V' => write!(out, "{:02}", self.iso_week().1),
            b'w' => write!(out, "{}", self.weekday),
            b'W' => write!(out, "{:02}", (self.yday + 7 - (self.weekday + 6) % 7) / 7),
            b'y' => write!(out, "{:02}", self.year.rem_euclid(100)),
            b'Y' => write!(out, "{}", self.year),
            b'z' => out.write_all(b"+0000"),
            b'Z' => out.write_all(b"UTC"),
            b'%' => out.write_all(b"%"),
            // Template::parse lets no other letter through.
            _ => Ok(()),
        }
    }
}

/// The proleptic Gregorian date of a day counted from 1970-01-01
/// (Howard Hinnant's civil_from_days: eras of 400 years starting 1 March).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

/// The day, counted from 1970-01-01, of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// 53 when the year starts on a Thursday, or on a Wednesday in a leap year.
fn iso_weeks_in(year: i64) -> u32 {
    let jan1_weekday =
        |y: i64| (y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)).rem_euclid(7);
    if jan1_weekday(year) == 4 || jan1_weekday(year - 1) == 3 {
        53
    } else {
        52
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use base64::Engine;
    use bytes::Bytes;
    use serde_json::{json, Value};

    use super::*;
    use crate::codec::Properties;

    /// 2025-11-25T13:04:05.123456789Z
    fn at() -> SystemTime {
        UNIX_EPOCH + Duration::new(1_764_075_845, 123_456_789)
    }

    fn message(topic: &str, payload: &[u8]) -> Publish {
        Publish {
            topic: topic.into(),
            payload: Bytes::copy_from_slice(payload),
            ..Publish::default()
        }
    }

    /// A QoS 1 retained MQTT 5 message with every property a PUBLISH can carry.
    fn v5_message() -> Publish {
        Publish {
            qos: QoS::AtLeastOnce,
            retain: true,
            packet_id: 7,
            properties: Properties {
                payload_format_indicator: Some(true),
                message_expiry_interval: Some(60),
                content_type: Some("text/plain".into()),
                response_topic: Some("reply/here".into()),
                correlation_data: Some(Bytes::from_static(b"abc")),
                topic_alias: Some(4),
                subscription_identifiers: vec![3, 9],
                user_properties: vec![("a".into(), "1".into()), ("a".into(), "2".into())],
                ..Properties::default()
            },
            ..message("house/kitchen", b"21.5")
        }
    }

    fn print(printer: &Printer, message: &Publish) -> Vec<u8> {
        let mut out = Vec::new();
        printer.print(&mut out, message, at()).unwrap();
        out
    }

    fn printed(style: Style, message: &Publish) -> String {
        String::from_utf8(print(&Printer::new(style, true, false, false), message)).unwrap()
    }

    fn formatted(format: &str, message: &Publish) -> Vec<u8> {
        let style = Style::Format(Template::parse(format).unwrap());
        print(&Printer::new(style, false, false, false), message)
    }

    fn formatted_text(format: &str, message: &Publish) -> String {
        String::from_utf8(formatted(format, message)).unwrap()
    }

    fn json_of(line: &str) -> Value {
        serde_json::from_str(line).unwrap()
    }

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
    fn json_style_prints_one_object_per_line_in_a_fixed_order() {
        assert_eq!(
            printed(Style::Json, &message("a/b", b"hello \"you\"")),
            concat!(
                r#"{"topic":"a/b","payload":"hello \"you\"","qos":0,"retain":false,"dup":false,"#,
                r#""timestamp":"2025-11-25T13:04:05.123456Z"}"#,
                "\n"
            )
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
  ]
}
"#
        );
        assert_eq!(json_of(&out)["payload"]["a"], json!([1, 2.5]));
        // a payload that is not JSON stays a string
        let out = String::from_utf8(print(&printer, &message("a/b", b"{not json"))).unwrap();
        assert_eq!(json_of(&out)["payload"], "{not json");
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

    #[test]
    fn a_format_ends_each_message_with_a_newline_unless_told_not_to() {
        let template = Template::parse("%t").unwrap();
        let with = Printer::new(Style::Format(template.clone()), true, false, false);
        assert_eq!(print(&with, &message("a/b", b"")), b"a/b\n");
        let without = Printer::new(Style::Format(template), false, false, false);
        assert_eq!(print(&without, &message("a/b", b"")), b"a/b");
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
            ("[%.3x]", "[686]"),
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

    #[test]
    fn escapes() {
        let out = formatted(r"a\tb\nc\\d\0e\ef\ag\rh\vi%%@@", &message("t", b""));
        assert_eq!(out, b"a\tb\nc\\d\0e\x1bf\x07g\rh\x0bi%@");
        assert_eq!(
            formatted("größe ✓", &message("t", b"")),
            "größe ✓".as_bytes()
        );
    }

    #[test]
    fn time_specifiers() {
        assert_eq!(
            formatted_text("@Y-@m-@dT@H:@M:@S@z @N @s @j @a @b @e @F @T @Z @k@l@P", &message("t", b"")),
            "2025-11-25T13:04:05+0000 123456789 1764075845 329 Tue Nov 25 2025-11-25 13:04:05 UTC 13 1pm"
        );
    }

    #[test]
    fn strftime_agrees_with_gnu_date() {
        // `date -u -d @SECS '+%s %Y-%m-%dT%H:%M:%S %a %A %b %B %j %u %w %U %W %G %g %V %C %y %e %I %p %c|%x|%X|%D|%r'`
        let cases: [(i64, &str); 9] = [
            (0, "0 1970-01-01T00:00:00 Thu Thursday Jan January 001 4 4 00 00 1970 70 01 19 70  1 12 AM Thu Jan  1 00:00:00 1970|01/01/70|00:00:00|01/01/70|12:00:00 AM"),
            (1_764_075_845, "1764075845 2025-11-25T13:04:05 Tue Tuesday Nov November 329 2 2 47 47 2025 25 48 20 25 25 01 PM Tue Nov 25 13:04:05 2025|11/25/25|13:04:05|11/25/25|01:04:05 PM"),
            (1_709_164_800, "1709164800 2024-02-29T00:00:00 Thu Thursday Feb February 060 4 4 08 09 2024 24 09 20 24 29 12 AM Thu Feb 29 00:00:00 2024|02/29/24|00:00:00|02/29/24|12:00:00 AM"),
            (951_782_400, "951782400 2000-02-29T00:00:00 Tue Tuesday Feb February 060 2 2 09 09 2000 00 09 20 00 29 12 AM Tue Feb 29 00:00:00 2000|02/29/00|00:00:00|02/29/00|12:00:00 AM"),
            (-1, "-1 1969-12-31T23:59:59 Wed Wednesday Dec December 365 3 3 52 52 1970 70 01 19 69 31 11 PM Wed Dec 31 23:59:59 1969|12/31/69|23:59:59|12/31/69|11:59:59 PM"),
            (253_402_300_799, "253402300799 9999-12-31T23:59:59 Fri Friday Dec December 365 5 5 52 52 9999 99 52 99 99 31 11 PM Fri Dec 31 23:59:59 9999|12/31/99|23:59:59|12/31/99|11:59:59 PM"),
            (1_609_459_200, "1609459200 2021-01-01T00:00:00 Fri Friday Jan January 001 5 5 00 00 2020 20 53 20 21  1 12 AM Fri Jan  1 00:00:00 2021|01/01/21|00:00:00|01/01/21|12:00:00 AM"),
            (1_735_516_800, "1735516800 2024-12-30T00:00:00 Mon Monday Dec December 365 1 1 52 53 2025 25 01 20 24 30 12 AM Mon Dec 30 00:00:00 2024|12/30/24|00:00:00|12/30/24|12:00:00 AM"),
            (68_169_600, "68169600 1972-02-29T00:00:00 Tue Tuesday Feb February 060 2 2 09 09 1972 72 09 19 72 29 12 AM Tue Feb 29 00:00:00 1972|02/29/72|00:00:00|02/29/72|12:00:00 AM"),
        ];
        let template =
            Template::parse("@s @Y-@m-@dT@H:@M:@S @a @A @b @B @j @u @w @U @W @G @g @V @C @y @e @I @p @c|@x|@X|@D|@r")
                .unwrap();
        for (secs, expected) in cases {
            let mut out = Vec::new();
            template
                .write(
                    &mut out,
                    &message("t", b""),
                    &Clock::from_unix(secs, 0),
                    false,
                )
                .unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{secs}");
        }
    }

    #[test]
    fn iso_timestamps_of_known_moments() {
        let iso = |at: SystemTime| {
            let mut out = Vec::new();
            Clock::new(at).write_date_time(&mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(iso(UNIX_EPOCH), "1970-01-01T00:00:00");
        assert_eq!(
            iso(UNIX_EPOCH + Duration::from_secs(1_764_075_845)),
            "2025-11-25T13:04:05"
        );
        // leap days, including the 400-year rule
        assert_eq!(
            iso(UNIX_EPOCH + Duration::from_secs(1_709_164_800)),
            "2024-02-29T00:00:00"
        );
        assert_eq!(
            iso(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00"
        );
        assert_eq!(
            iso(UNIX_EPOCH + Duration::from_secs(1_709_251_199)),
            "2024-02-29T23:59:59"
        );
        assert_eq!(
            iso(UNIX_EPOCH + Duration::from_secs(1_709_251_200)),
            "2024-03-01T00:00:00"
        );
        // 2100 is not a leap year
        assert_eq!(
            iso(UNIX_EPOCH + Duration::from_secs(4_107_456_000)),
            "2100-02-28T00:00:00"
        );
        assert_eq!(
            iso(UNIX_EPOCH + Duration::from_secs(4_107_542_400)),
            "2100-03-01T00:00:00"
        );
        assert_eq!(
            iso(UNIX_EPOCH + Duration::from_secs(253_402_300_799)),
            "9999-12-31T23:59:59"
        );
        // before the epoch the seconds round down and the nanoseconds count up
        let before = Clock::new(UNIX_EPOCH - Duration::from_millis(250));
        assert_eq!((before.secs, before.nanos), (-1, 750_000_000));
        assert_eq!(
            iso(UNIX_EPOCH - Duration::from_millis(250)),
            "1969-12-31T23:59:59"
        );
        assert_eq!(
            formatted_text("%U", &message("t", b"")),
            "1764075845.123456789"
        );
    }

    #[test]
    fn days_and_dates_round_trip() {
        for days in (-1_000_000..1_000_000).step_by(7) {
            let (year, month, day) = civil_from_days(days);
            assert!((1..=12).contains(&month) && (1..=31).contains(&day));
            assert_eq!(days_from_civil(year, month, day), days);
        }
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
    }

    #[test]
    fn invalid_formats_are_rejected_when_parsed() {
        let cases = [
            (
                "tap %z",
                FormatError::UnknownSpecifier {
                    spec: 'z',
                    position: 5,
                },
            ),
            (
                "%@s",
                FormatError::UnknownSpecifier {
                    spec: '@',
                    position: 1,
                },
            ),
            (
                "ä%-5.2ü",
                FormatError::UnknownSpecifier {
                    spec: 'ü',
                    position: 2,
                },
            ),
            (
                "@Q",
                FormatError::UnknownTimeSpecifier {
                    spec: 'Q',
                    position: 1,
                },
            ),
            (
                "@Ec",
                FormatError::UnknownTimeSpecifier {
                    spec: 'E',
                    position: 1,
                },
            ),
            (
                r"x\q",
                FormatError::UnknownEscape {
                    escape: 'q',
                    position: 2,
                },
            ),
            (
                r#"\""#,
                FormatError::UnknownEscape {
                    escape: '"',
                    position: 1,
                },
            ),
            (
                "abc %",
                FormatError::Incomplete {
                    start: '%',
                    position: 5,
                },
            ),
            (
                "%-10.3",
                FormatError::Incomplete {
                    start: '%',
                    position: 1,
                },
            ),
            (
                "@",
                FormatError::Incomplete {
                    start: '@',
                    position: 1,
                },
            ),
            (
                "\\",
                FormatError::Incomplete {
                    start: '\\',
                    position: 1,
                },
            ),
            (
                "%99999999999999999999t",
                FormatError::TooWide { position: 1 },
            ),
            ("%.65536t", FormatError::TooWide { position: 1 }),
        ];
        for (format, error) in cases {
            assert_eq!(Template::parse(format), Err(error), "{format}");
        }
        assert_eq!(
            Template::parse("tap %z").unwrap_err().to_string(),
            "unknown format specifier %z at position 5"
        );
        assert_eq!(
            Template::parse("@Q").unwrap_err().to_string(),
            "unknown time specifier @Q at position 1"
        );
        assert_eq!(
            Template::parse("abc %").unwrap_err().to_string(),
            "the format ends inside the % sequence at position 5"
        );
    }

    #[test]
    fn a_template_is_parsed_into_merged_literals_and_fields() {
        let template = Template::parse(r"%%a\tb@@%-08.3t@H").unwrap();
        assert_eq!(
            template.parts,
            vec![
                Part::Literal(b"%a\tb@".to_vec()),
                Part::Field(
                    Spec::Topic,
                    Flags {
                        left: true,
                        zero: true,
                        width: 8,
                        precision: Some(3)
                    }
                ),
                Part::Time(b'H'),
            ]
        );
    }
}
