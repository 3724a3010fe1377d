//! The `mqtk` binary: parse the command line, run the subcommand, and turn
//! its outcome into one line on stderr and a documented exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use mqtk::cli::{exit, Cli, Command};
use mqtk::commands::{self, UsageError};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return fail(
                &anyhow::anyhow!("cannot start the async runtime: {e}"),
                exit::FAILURE,
            )
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Pub(args) => commands::publish::run(args).await,
            Command::Sub(args) => commands::subscribe::run(args).await,
            Command::GenerateDocs(args) => mqtk::docs::run(&args),
        }
    });
    // Do not wait for a blocked stdin read on the way out.
    runtime.shutdown_background();
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let code = if error.downcast_ref::<UsageError>().is_some() {
                exit::USAGE
            } else {
                commands::connect_failure_code(&error).unwrap_or(exit::FAILURE)
            };
            fail(&error, code)
        }
    }
}

/// Prints the error on one line, its causes joined by colons.
fn fail(error: &anyhow::Error, code: u8) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "mqtk: {error:#}");
    ExitCode::from(code)
}
