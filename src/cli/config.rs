//! The arguments of `mqtk config`.

use std::ffi::OsString;

use clap::{Args, Subcommand};

use super::help::CONFIG_LONG_HELP;
use super::EXIT_CODES;

/// Arguments of `mqtk config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub action: ConfigAction,
}

/// What `mqtk config` does.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the settings a command would use and where each came from (default, file, environment, flag), secrets masked
    #[command(after_help = EXIT_CODES, after_long_help = CONFIG_LONG_HELP)]
    Show(ConfigShowArgs),
    /// Print the path of the configuration file that would be read
    #[command(after_help = EXIT_CODES, after_long_help = CONFIG_LONG_HELP)]
    Path,
    /// Check the configuration file: every table, key, type and value; exit 2 at the first mistake
    #[command(after_help = EXIT_CODES, after_long_help = CONFIG_LONG_HELP)]
    Check,
}

/// Arguments of `mqtk config show`.
#[derive(Debug, Args)]
pub struct ConfigShowArgs {
    /// A command and its options, e.g. 'sub -q 2' [default: the connection options every command shares]
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true,
        num_args = 0..
    )]
    pub command: Vec<OsString>,
}
