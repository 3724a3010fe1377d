//! The arguments of `mqtk sub`.

use clap::{Args, ValueEnum};

use super::{qos_parser, ConnectionArgs, EndingArgs, ReconnectArgs, SessionArgs, StatusArgs};
use crate::codec::MAX_VARINT;

/// Arguments of `mqtk sub`.
#[derive(Debug, Args)]
pub struct SubArgs {
    /// Topic filter to subscribe to (repeatable; + and # wildcards)
    #[arg(
        short = 't',
        long = "topic",
        value_name = "FILTER",
        required_unless_present_any = ["unsubscribe", "url"],
        help_heading = "Subscription"
    )]
    pub topics: Vec<String>,

    /// Maximum QoS of the subscriptions: 0, 1 or 2
    #[arg(short = 'q', long, default_value_t = 0, value_parser = qos_parser(), help_heading = "Subscription")]
    pub qos: u8,

    /// Hide messages whose topic matches FILTER (repeatable)
    #[arg(
        short = 'T',
        long = "filter-out",
        value_name = "FILTER",
        help_heading = "Subscription"
    )]
    pub filter_out: Vec<String>,

    /// Unsubscribe from FILTER first, e.g. in a resumed session (repeatable)
    #[arg(
        short = 'U',
        long = "unsubscribe",
        value_name = "FILTER",
        help_heading = "Subscription"
    )]
    pub unsubscribe: Vec<String>,

    /// Do not receive our own messages (MQTT 5)
    #[arg(long = "no-local", help_heading = "Subscription")]
    pub no_local: bool,

    /// Keep the retain flag as published (MQTT 5)
    #[arg(long = "retain-as-published", help_heading = "Subscription")]
    pub retain_as_published: bool,

    /// When to send retained messages: always (0), new for new subscriptions only (1), never (2) (MQTT 5)
    #[arg(long = "retain-handling", value_name = "WHEN", default_value = "always", value_parser = parse_retain_handling, help_heading = "Subscription")]
    pub retain_handling: u8,

    /// Subscription identifier the broker returns with each matching message (MQTT 5)
    #[arg(long = "subscription-id", value_name = "ID", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_VARINT)), help_heading = "Subscription")]
    pub subscription_id: Option<u32>,

    /// Exit once the subscriptions are acknowledged
    #[arg(short = 'E', long = "exit-after-subscribe", help_heading = "Ending")]
    pub exit_after_subscribe: bool,

    /// Exit after COUNT messages
    #[arg(
        short = 'C',
        long = "count",
        value_name = "COUNT",
        help_heading = "Ending"
    )]
    pub count: Option<u64>,

    /// Exit with status 1 after SECONDS without the count reached
    #[arg(
        short = 'W',
        long = "timeout",
        value_name = "SECONDS",
        help_heading = "Ending"
    )]
    pub timeout: Option<f64>,

    /// Do not print stale retained messages
    #[arg(short = 'R', long = "no-retained", help_heading = "Ending")]
    pub no_retained: bool,

    /// Print only retained messages; exit when the first live one arrives
    #[arg(
        long = "retained-only",
        conflicts_with = "no_retained",
        help_heading = "Ending"
    )]
    pub retained_only: bool,

    /// Clear each retained message received
    #[arg(long = "remove-retained", help_heading = "Ending")]
    pub remove_retained: bool,

    #[command(flatten)]
    pub output: OutputArgs,

    /// One line per topic, its latest message rewritten in place: a live table (on a terminal)
    #[arg(short = 'w', long, conflicts_with = "json", help_heading = "Output")]
    pub watch: bool,

    /// When a Sparkplug edge node's DATA has aliases no BIRTH named, ask it for a new BIRTH (an NCMD setting Node Control/Rebirth)
    #[arg(long, help_heading = "Output")]
    pub rebirth: bool,

    /// Print how many messages arrived each second, one number a line, instead of the messages
    #[arg(long = "message-rate", conflicts_with_all = ["watch", "verbose", "format", "json", "pretty"], help_heading = "Output")]
    pub message_rate: bool,

    #[command(flatten)]
    pub ending: EndingArgs,

    #[command(flatten)]
    pub status: StatusArgs,

    #[command(flatten)]
    pub reconnect: ReconnectArgs,

    #[command(flatten)]
    pub session: SessionArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set
    Auto,
    Always,
    Never,
}

/// How received messages are printed, for `sub` and `rr`.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Print the topic before each payload
    #[arg(short = 'v', long, help_heading = "Output")]
    pub verbose: bool,

    /// No newline after each message
    #[arg(short = 'N', long = "no-newline", help_heading = "Output")]
    pub no_newline: bool,

    /// Print each message in FORMAT (see Format, below)
    #[arg(short = 'F', long = "format", value_name = "FORMAT", conflicts_with_all = ["verbose", "json"], help_heading = "Output")]
    pub format: Option<String>,

    /// One JSON object per message per line, its timestamp in UTC: the recording mqtk replay reads
    #[arg(long, conflicts_with = "verbose", help_heading = "Output")]
    pub json: bool,

    /// Pretty-print a JSON payload
    #[arg(long, help_heading = "Output")]
    pub pretty: bool,

    /// Show payloads decoded into JSON: sparkplug, json, cbor, msgpack, protobuf or avro; auto decodes Sparkplug B under spBv1.0/ and the binary formats an MQTT 5 content type names, and leaves the rest as sent; raw decodes nothing
    #[arg(
        long,
        value_name = "FORMAT",
        default_value = "auto",
        help_heading = "Output"
    )]
    pub decode: crate::payload::Format,

    #[command(flatten)]
    pub schemas: super::SchemaArgs,

    /// When to colour the output
    #[arg(
        long,
        value_name = "WHEN",
        default_value = "auto",
        help_heading = "Output"
    )]
    pub color: ColorChoice,
}

/// `--retain-handling`: mosquitto 2.1's names, or the option's value on the wire.
fn parse_retain_handling(text: &str) -> Result<u8, String> {
    match text {
        "always" | "0" => Ok(0),
        "new" | "1" => Ok(1),
        "never" | "2" => Ok(2),
        _ => Err(format!(
            "expected always, new or never (or 0, 1, 2), got {text:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_retain_handling;

    #[test]
    fn retain_handling_takes_mosquitto_21_names_and_numbers() {
        for (text, value) in [("always", 0), ("new", 1), ("never", 2), ("0", 0), ("2", 2)] {
            assert_eq!(parse_retain_handling(text), Ok(value), "{text}");
        }
        assert!(parse_retain_handling("3").is_err());
        assert!(parse_retain_handling("sometimes").is_err());
    }
}
