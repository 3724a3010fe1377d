//! The arguments of `mqtk pub`.

use std::path::PathBuf;

use clap::Args;

use super::{
    qos_parser, ConnectionArgs, EndingArgs, MessagePropertyArgs, ReadAheadArgs, ReconnectArgs,
    SessionArgs, StatusArgs,
};

/// Arguments of `mqtk pub`.
#[derive(Debug, Args)]
pub struct PubArgs {
    /// Topic to publish to (or the path of an -L URL)
    #[arg(
        short = 't',
        long,
        required_unless_present = "url",
        help_heading = "Message"
    )]
    pub topic: Option<String>,

    #[command(flatten)]
    pub source: MessageSource,

    /// Quality of service: 0, 1 or 2
    #[arg(short = 'q', long, default_value_t = 0, value_parser = qos_parser(), help_heading = "Message")]
    pub qos: u8,

    /// Ask the broker to retain the message
    #[arg(short = 'r', long, help_heading = "Message")]
    pub retain: bool,

    /// The message (-m, -f, -s, each line with -l) is JSON, sent encoded as sparkplug, cbor, msgpack, protobuf or avro (json: compacted)
    #[arg(long, value_name = "FORMAT", value_parser = encode_format(), help_heading = "Message")]
    pub encode: Option<crate::payload::Format>,

    /// Publish the message this many times
    #[arg(long, value_name = "COUNT", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Message")]
    pub repeat: u64,

    /// Seconds to wait between repeated messages
    #[arg(
        long = "repeat-delay",
        value_name = "SECONDS",
        default_value_t = 0.0,
        help_heading = "Message"
    )]
    pub repeat_delay: f64,

    #[command(flatten)]
    pub schemas: super::SchemaArgs,

    #[command(flatten)]
    pub ending: EndingArgs,

    #[command(flatten)]
    pub status: StatusArgs,

    #[command(flatten)]
    pub properties: MessagePropertyArgs,

    #[command(flatten)]
    pub reconnect: ReconnectArgs,

    #[command(flatten)]
    pub read_ahead: ReadAheadArgs,

    #[command(flatten)]
    pub acks: AckArgs,

    #[command(flatten)]
    pub session: SessionArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Where the payload comes from: exactly one of these.
#[derive(Debug, Args, Clone)]
#[group(required = true, multiple = false)]
pub struct MessageSource {
    /// The message payload
    #[arg(short = 'm', long, value_name = "MESSAGE", help_heading = "Message")]
    pub message: Option<String>,

    /// Send the contents of FILE as the message
    #[arg(short = 'f', long, value_name = "FILE", help_heading = "Message")]
    pub file: Option<PathBuf>,

    /// Read stdin to its end and send it as one message
    #[arg(short = 's', long = "stdin-file", help_heading = "Message")]
    pub stdin_file: bool,

    /// Send each line of stdin as a message
    #[arg(short = 'l', long = "stdin-line", help_heading = "Message")]
    pub stdin_line: bool,

    /// Send an empty message
    #[arg(short = 'n', long = "null-message", help_heading = "Message")]
    pub null_message: bool,
}

/// What the broker's acknowledgements of QoS 1/2 messages must say for success.
#[derive(Debug, Clone, Default, Args)]
pub struct AckArgs {
    /// Fail (exit 1) when the broker acknowledges a message that no subscriber matched (MQTT 5 reason 0x10)
    #[arg(long, help_heading = "Acknowledgements")]
    pub require_subscribers: bool,

    /// Succeed only when every acknowledgement carries one of these reason codes, as 0x10 or 0x87,0x97 (MQTT 5)
    #[arg(
        long,
        value_name = "CODE[,CODE]",
        value_delimiter = ',',
        value_parser = parse_ack_reason,
        conflicts_with = "require_subscribers",
        help_heading = "Acknowledgements"
    )]
    pub expect_reason: Vec<u8>,
}

/// A reason code a PUBACK or PUBREC may carry, in hex (0x10) or decimal (16).
fn parse_ack_reason(text: &str) -> Result<u8, String> {
    let text = text.trim();
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u8::from_str_radix(hex, 16),
        None => text.parse(),
    };
    let allowed = crate::codec::ReasonCode::PUBLISH_ACK_CODES;
    match parsed {
        Ok(code) if allowed.contains(&code) => Ok(code),
        _ => Err(format!(
            "{text:?} is not a reason code a PUBACK or PUBREC can carry: {}",
            allowed
                .iter()
                .map(|code| format!("0x{code:02x}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// `--encode`: every format but `auto`, which only decoding has.
pub(super) fn encode_format() -> impl clap::builder::TypedValueParser<Value = crate::payload::Format>
{
    use clap::builder::TypedValueParser as _;
    use clap::ValueEnum as _;
    clap::builder::PossibleValuesParser::new([
        "sparkplug",
        "json",
        "cbor",
        "msgpack",
        "protobuf",
        "avro",
    ])
    .map(|name| crate::payload::Format::from_str(&name, true).expect("a format's name"))
}

#[cfg(test)]
mod tests {
    use super::parse_ack_reason;

    #[test]
    fn ack_reasons_are_hex_or_decimal_and_only_those_an_ack_carries() {
        assert_eq!(parse_ack_reason("0x10"), Ok(0x10));
        assert_eq!(parse_ack_reason("16"), Ok(0x10));
        assert_eq!(parse_ack_reason("0X87"), Ok(0x87));
        assert!(parse_ack_reason("0x42")
            .unwrap_err()
            .contains("0x00, 0x10, 0x80"));
        assert!(parse_ack_reason("x").is_err());
    }
}
