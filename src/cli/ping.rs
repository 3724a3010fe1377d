//! The arguments of `mqtk ping`.

use clap::Args;

use super::{qos_parser, ConnectionArgs, EndingArgs, ReconnectArgs, StatusArgs};
use crate::codec::MAX_VARINT;

/// Arguments of `mqtk ping`.
#[derive(Debug, Args)]
pub struct PingArgs {
    /// Stop after COUNT round trips [default: until Ctrl-C]
    #[arg(short = 'c', long = "count", value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Ping")]
    pub count: Option<u64>,

    /// Seconds between round trips; fractions allowed
    #[arg(
        short = 'i',
        long = "interval",
        value_name = "SECONDS",
        default_value_t = 1.0,
        help_heading = "Ping"
    )]
    pub interval: f64,

    /// Seconds to wait for one answer; a later one counts as lost
    #[arg(
        short = 'W',
        long = "timeout",
        value_name = "SECONDS",
        default_value_t = 5.0,
        help_heading = "Ping"
    )]
    pub timeout: f64,

    /// Time a message through the broker instead: published to a topic of its own, received back
    #[arg(long, help_heading = "Ping")]
    pub publish: bool,

    /// QoS of the --publish messages: 0, 1 or 2
    #[arg(short = 'q', long, default_value_t = 0, value_parser = qos_parser(), requires = "publish", help_heading = "Ping")]
    pub qos: u8,

    /// Payload size of the --publish messages, in bytes (at least 8: a sequence number)
    #[arg(short = 's', long = "size", value_name = "BYTES", default_value_t = 16, value_parser = clap::value_parser!(u32).range(8..=i64::from(MAX_VARINT)), requires = "publish", help_heading = "Ping")]
    pub size: u32,

    /// Print what the broker said in CONNACK, one item a line, and the TLS details, then ping
    #[arg(long, help_heading = "Output")]
    pub info: bool,

    /// Print the TLS details: version, cipher suite, ALPN, and the broker's certificates (subject, issuer, names, expiry), with a warning for one that expires within 30 days
    #[arg(short = 'v', long, help_heading = "Output")]
    pub verbose: bool,

    /// Print the whole result as one JSON object at the end, and nothing else
    #[arg(long, help_heading = "Output")]
    pub json: bool,

    #[command(flatten)]
    pub ending: EndingArgs,

    #[command(flatten)]
    pub status: StatusArgs,

    #[command(flatten)]
    pub reconnect: ReconnectArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}
