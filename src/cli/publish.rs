//! The arguments of `mqtk pub`.

use std::path::PathBuf;

use clap::Args;

use super::{
    qos_parser, ConnectionArgs, EndingArgs, MessagePropertyArgs, ReconnectArgs, SessionArgs,
    StatusArgs,
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
    pub ending: EndingArgs,

    #[command(flatten)]
    pub status: StatusArgs,

    #[command(flatten)]
    pub properties: MessagePropertyArgs,

    #[command(flatten)]
    pub reconnect: ReconnectArgs,

    /// The most messages read ahead of the broker, while offline or waiting for acknowledgements; beyond, the input waits
    #[arg(
        long = "max-queued",
        value_name = "COUNT",
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u32).range(1..),
        help_heading = "Reconnect"
    )]
    pub max_queued: u32,

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
