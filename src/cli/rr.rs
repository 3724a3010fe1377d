//! The arguments of `mqtk rr`.

use clap::Args;

use super::{
    qos_parser, AckArgs, ConnectionArgs, EndingArgs, MessagePropertyArgs, MessageSource,
    OutputArgs, SessionArgs, StatusArgs,
};

/// Arguments of `mqtk rr`.
#[derive(Debug, Args)]
pub struct RrArgs {
    /// Topic to send the request to (or the path of an -L URL)
    #[arg(
        short = 't',
        long = "topic",
        value_name = "TOPIC",
        required_unless_present = "url",
        help_heading = "Request"
    )]
    pub topic: Option<String>,

    /// QoS of the request and of the subscription to the response topic: 0, 1 or 2
    #[arg(short = 'q', long, default_value_t = 0, value_parser = qos_parser(), help_heading = "Request")]
    pub qos: u8,

    /// Match the response by this field of a JSON request and response, for MQTT 3.1.1 (see Notes)
    #[arg(
        long = "correlate-json",
        value_name = "FIELD",
        help_heading = "Request"
    )]
    pub correlate_json: Option<String>,

    /// Ask this many times, one request after the answer to the last, and print a summary
    #[arg(long, value_name = "COUNT", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..), conflicts_with = "stdin_line", help_heading = "Request")]
    pub repeat: u64,

    /// Seconds between an answer and the next request
    #[arg(
        long = "repeat-delay",
        value_name = "SECONDS",
        default_value_t = 0.0,
        help_heading = "Request"
    )]
    pub repeat_delay: f64,

    #[command(flatten)]
    pub source: MessageSource,

    #[command(flatten)]
    pub properties: MessagePropertyArgs,

    #[command(flatten)]
    pub acks: AckArgs,

    /// Wait for COUNT responses to each request
    #[arg(
        short = 'C',
        long = "count",
        value_name = "COUNT",
        default_value_t = 1,
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "Response"
    )]
    pub count: u64,

    /// Give up on a request after SECONDS without its responses (exit 1)
    #[arg(
        short = 'W',
        long = "timeout",
        value_name = "SECONDS",
        help_heading = "Response"
    )]
    pub timeout: Option<f64>,

    /// Print the time from request to response after each response
    #[arg(long, help_heading = "Response")]
    pub latency: bool,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub ending: EndingArgs,

    #[command(flatten)]
    pub status: StatusArgs,

    #[command(flatten)]
    pub session: SessionArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}
