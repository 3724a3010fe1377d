//! The arguments of `mqtk topics`.

use clap::Args;

use super::{qos_parser, ConnectionArgs, ReconnectArgs};

/// Arguments of `mqtk topics`.
#[derive(Debug, Args)]
pub struct TopicsArgs {
    /// Topic filter to watch (repeatable; + and # wildcards) [default: #]
    #[arg(
        short = 't',
        long = "topic",
        value_name = "FILTER",
        help_heading = "Subscription"
    )]
    pub topics: Vec<String>,

    /// Maximum QoS of the subscriptions: 0, 1 or 2 (2 shows the QoS each message was published with)
    #[arg(short = 'q', long, default_value_t = 2, value_parser = qos_parser(), conflicts_with_all = ["retained", "clear"], help_heading = "Subscription")]
    pub qos: u8,

    /// Watch for SECONDS, then print the tree and exit 0 [default: until Ctrl-C]
    #[arg(
        short = 'W',
        long = "timeout",
        value_name = "SECONDS",
        help_heading = "Ending"
    )]
    pub timeout: Option<f64>,

    /// List the retained messages only: topic, size and the start of the payload
    #[arg(long, help_heading = "Retained messages")]
    pub retained: bool,

    /// Delete the retained messages under FILTER (repeatable); without --yes, only list them
    #[arg(
        long,
        value_name = "FILTER",
        conflicts_with = "topics",
        help_heading = "Retained messages"
    )]
    pub clear: Vec<String>,

    /// Really delete what --clear lists
    #[arg(long, requires = "clear", help_heading = "Retained messages")]
    pub yes: bool,

    /// Seconds without a message after which the retained messages count as all delivered
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 1.0,
        help_heading = "Retained messages"
    )]
    pub settle: f64,

    /// The tree (or the retained messages) as one JSON document
    #[arg(long, help_heading = "Output")]
    pub json: bool,

    // The tree rides out a lost connection, as sub does; --retained and --clear end on one.
    #[command(flatten)]
    pub reconnect: ReconnectArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}
