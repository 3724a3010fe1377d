//! The `-F` format language (its reference is `format.txt`, shown by `--help`,
//! the man page and the `output` module docs): a format is parsed once, before the first message, into literal
//! bytes, `%` fields and `@` times, so that an unknown letter is an error
//! rather than a surprise in the output.
//!
//! Escapes are resolved and neighbouring literals merged while parsing;
//! printing a message is then a walk over the parts.

use std::io::{self, Write};
use std::iter::Peekable;

use super::clock::{Clock, TIME_SPECS};
use super::field::write_field;
use crate::codec::Publish;

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
    /// A separator (as in `%.2:x`) before a letter other than `x` or `X`.
    #[error("a separator applies to %x and %X only, at position {position}")]
    SeparatorNotHex { position: usize },
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
pub(super) enum Spec {
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
    Decoded,
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
            'V' => Spec::Decoded,
            _ => return None,
        })
    }

    /// Numbers take the `0` flag and ignore precision as a maximum width.
    pub(super) fn is_numeric(self) -> bool {
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

/// The flags, width, precision and separator between `%` and its letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Flags {
    pub(super) left: bool,
    pub(super) zero: bool,
    pub(super) width: usize,
    /// For %x and %X, the size of the groups of hex digits instead.
    pub(super) precision: Option<usize>,
    /// What goes between the groups of %x and %X (mosquitto 2.1's `%.2:x`).
    pub(super) separator: Option<u8>,
}

impl Flags {
    pub(super) fn is_plain(&self) -> bool {
        self.width == 0 && self.precision.is_none()
    }
}

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
            let incomplete = |start| FormatError::Incomplete { start, position };
            match c {
                '%' => match field(&mut chars, position)? {
                    None => literal.push(b'%'),
                    Some(part) => {
                        flush_literal(&mut parts, &mut literal);
                        parts.push(part);
                    }
                },
                '@' => {
                    let (_, letter) = chars.next().ok_or(incomplete('@'))?;
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
                    let (_, escape) = chars.next().ok_or(incomplete('\\'))?;
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

    /// Writes `message`, received at `at`, in this format with times in the
    /// local zone: for a topic made from a request (`respond --response-topic`).
    pub fn write_message(
        &self,
        out: &mut impl Write,
        message: &Publish,
        at: std::time::SystemTime,
    ) -> io::Result<()> {
        self.write(out, message, None, &Clock::new(at, None), false)
    }

    /// Writes one message in this format, without the trailing newline.
    pub(super) fn write(
        &self,
        out: &mut impl Write,
        message: &Publish,
        decoded: Option<&str>,
        clock: &Clock<'_>,
        pretty: bool,
    ) -> io::Result<()> {
        for part in &self.parts {
            match part {
                Part::Literal(bytes) => out.write_all(bytes)?,
                Part::Time(spec) => clock.write_strftime(out, *spec)?,
                Part::Field(spec, flags) => {
                    write_field(out, *spec, flags, (message, decoded), clock, pretty)?
                }
            }
        }
        Ok(())
    }
}

/// The `%` field that starts at `position`, read up to its letter; `None`
/// for `%%`.
fn field<I: Iterator<Item = (usize, char)>>(
    chars: &mut Peekable<I>,
    position: usize,
) -> Result<Option<Part>, FormatError> {
    let mut flags = Flags::default();
    while let Some(&(_, flag @ ('-' | '0'))) = chars.peek() {
        if flag == '-' {
            flags.left = true;
        } else {
            flags.zero = true;
        }
        chars.next();
    }
    flags.width = digits(chars, position)?.unwrap_or(0);
    if chars.next_if(|&(_, c)| c == '.').is_some() {
        flags.precision = Some(digits(chars, position)?.unwrap_or(0));
    }
    if let Some((_, separator)) = chars.next_if(|&(_, c)| is_separator(c)) {
        flags.separator = Some(separator as u8);
    }
    let incomplete = FormatError::Incomplete {
        start: '%',
        position,
    };
    let (_, letter) = chars.next().ok_or(incomplete)?;
    if letter == '%' {
        return Ok(None);
    }
    let spec = Spec::from_char(letter);
    match (spec, flags.separator) {
        (Some(spec @ (Spec::HexLower | Spec::HexUpper)), _) | (Some(spec), None) => {
            Ok(Some(Part::Field(spec, flags)))
        }
        (Some(_), Some(_)) => Err(FormatError::SeparatorNotHex { position }),
        // `%@s`: more likely a wrong letter than a separator.
        (None, separator) => Err(FormatError::UnknownSpecifier {
            spec: separator.map_or(letter, char::from),
            position,
        }),
    }
}

/// The characters mosquitto 2.1 takes as a separator of hex groups: ASCII
/// punctuation but `%`, and the space.
fn is_separator(c: char) -> bool {
    c == ' ' || (c.is_ascii_punctuation() && c != '%')
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::test_support::{formatted, message};

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
    fn invalid_formats_are_rejected_when_parsed() {
        let unknown = |spec, position| FormatError::UnknownSpecifier { spec, position };
        let unknown_time = |spec, position| FormatError::UnknownTimeSpecifier { spec, position };
        let unknown_escape = |escape, position| FormatError::UnknownEscape { escape, position };
        let incomplete = |start, position| FormatError::Incomplete { start, position };
        let too_wide = |position| FormatError::TooWide { position };
        let cases = [
            ("tap %z", unknown('z', 5)),
            ("%@s", unknown('@', 1)),
            ("ä%-5.2ü", unknown('ü', 2)),
            ("@Q", unknown_time('Q', 1)),
            ("@Ec", unknown_time('E', 1)),
            (r"x\q", unknown_escape('q', 2)),
            (r#"\""#, unknown_escape('"', 1)),
            ("abc %", incomplete('%', 5)),
            ("%-10.3", incomplete('%', 1)),
            ("@", incomplete('@', 1)),
            ("\\", incomplete('\\', 1)),
            ("%99999999999999999999t", too_wide(1)),
            ("%.65536t", too_wide(1)),
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
        assert_eq!(
            Template::parse("%t %.2:t").unwrap_err().to_string(),
            "a separator applies to %x and %X only, at position 4"
        );
        assert_eq!(
            Template::parse("%.2:").unwrap_err().to_string(),
            "the format ends inside the % sequence at position 1"
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
                        precision: Some(3),
                        separator: None,
                    }
                ),
                Part::Time(b'H'),
            ]
        );
    }
}
