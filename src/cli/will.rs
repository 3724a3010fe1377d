//! The arguments of `mqtk will`.

use clap::Args;

use super::{ConnectionArgs, End, SessionArgs};

/// Arguments of `mqtk will`.
#[derive(Debug, Args)]
pub struct WillTestArgs {
    /// How the device connection ends
    #[arg(
        long = "end",
        value_name = "HOW",
        default_value = "close",
        help_heading = "Test"
    )]
    pub end: End,

    /// Seconds to wait for the will [default: what the rules need, plus 3]
    #[arg(long = "wait", value_name = "SECONDS", help_heading = "Test")]
    pub wait: Option<f64>,

    /// Print the whole result as one JSON object
    #[arg(long, help_heading = "Test")]
    pub json: bool,

    #[command(flatten)]
    pub session: SessionArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}
