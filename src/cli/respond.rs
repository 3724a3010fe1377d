//! The arguments of `mqtk respond`.

use clap::Args;

use super::{qos_parser, ConnectionArgs, EndingArgs, ReconnectArgs, SessionArgs, StatusArgs};

/// Arguments of `mqtk respond`.
#[derive(Debug, Args)]
pub struct RespondArgs {
    /// Topic filter to take requests from (repeatable; + and # wildcards)
    #[arg(
        short = 't',
        long = "topic",
        value_name = "FILTER",
        required = true,
        help_heading = "Requests"
    )]
    pub topics: Vec<String>,

    /// QoS of the subscriptions: 0, 1 or 2 (an answer goes at its request's QoS)
    #[arg(short = 'q', long, default_value_t = 0, value_parser = qos_parser(), help_heading = "Requests")]
    pub qos: u8,

    /// Where to answer a request that names no response topic (every one under MQTT 3.1.1), as a -F format such as %t/reply
    #[arg(
        short = 'e',
        long = "response-topic",
        value_name = "FORMAT",
        help_heading = "Requests"
    )]
    pub response_topic: Option<String>,

    /// Copy this field of a JSON request into the JSON answer, for MQTT 3.1.1 (see mqtk rr --help)
    #[arg(
        long = "correlate-json",
        value_name = "FIELD",
        help_heading = "Requests"
    )]
    pub correlate_json: Option<String>,

    /// End after COUNT requests, once they are answered
    #[arg(short = 'C', long = "count", value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Requests")]
    pub count: Option<u64>,

    /// Answer every request with MESSAGE instead of running a command
    #[arg(
        short = 'm',
        long,
        value_name = "MESSAGE",
        conflicts_with = "command",
        required_unless_present = "command",
        help_heading = "Answers"
    )]
    pub message: Option<String>,

    /// The answer (-m, or the command's output) is JSON, sent encoded as sparkplug, cbor, msgpack, protobuf or avro
    #[arg(long, value_name = "FORMAT", value_parser = super::publish::encode_format(), help_heading = "Answers")]
    pub encode: Option<crate::payload::Format>,

    #[command(flatten)]
    pub schemas: super::SchemaArgs,

    /// Run up to N commands at once (answers then go out as they finish)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024), help_heading = "Answers")]
    pub jobs: u32,

    /// Kill a command still running after SECONDS, and answer nothing
    #[arg(long, value_name = "SECONDS", help_heading = "Answers")]
    pub timeout: Option<f64>,

    /// Answer with the command's stderr when it fails, instead of nothing
    #[arg(long = "answer-stderr", help_heading = "Answers")]
    pub answer_stderr: bool,

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

    /// The command that answers a request: its stdin the request's payload, its stdout the answer
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}
