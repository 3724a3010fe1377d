//! The `mqtk` binary: parse the command line, run the subcommand, and turn
//! its outcome into one line on stderr and a documented exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use mqtk::cli::{exit, Cli, Command};
use mqtk::commands;
use mqtk::config::{self, Selection};

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    // The profile's settings become the options' defaults before clap parses,
    // so that a variable and a flag win over them.
    let selection = Selection::scan(&args);
    let cli = match parse(&args, &selection) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let runtime = match runtime(&cli.command) {
        Ok(runtime) => runtime,
        Err(e) => {
            return fail(
                &anyhow::anyhow!("cannot start the async runtime: {e}"),
                exit::FAILURE,
            )
        }
    };
    let result = runtime.block_on(run(cli.command, &selection));
    // Do not wait for a blocked stdin read on the way out.
    runtime.shutdown_background();
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let code = commands::exit_code(&error);
            fail(&error, code)
        }
    }
}

/// The command line with the profile's settings beneath it; the exit code
/// when it is wrong (or asks for help).
fn parse(args: &[std::ffi::OsString], selection: &Selection) -> Result<Cli, ExitCode> {
    let matches = match matches_with_profile(args, selection) {
        Ok(matches) => matches,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "mqtk: {e}");
            return Err(ExitCode::from(exit::USAGE));
        }
    };
    match matches.and_then(|matches| Cli::from_arg_matches(&matches)) {
        Ok(cli) => Ok(cli),
        // --help and --version print to stdout and exit 0, and a bare `mqtk`
        // shows the help (exit 2), as clap does.
        Err(e)
            if !e.use_stderr()
                || e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            e.exit()
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "mqtk: {}", one_line(&e));
            Err(ExitCode::from(exit::USAGE))
        }
    }
}

/// clap's matches with the profile's settings as defaults; parsed again
/// without the settings a flag overrode (a flag's `-h` over a file's `url`).
fn matches_with_profile(
    args: &[std::ffi::OsString],
    selection: &Selection,
) -> anyhow::Result<Result<clap::ArgMatches, clap::Error>> {
    let (mut command, applied) = config::prepare(Cli::command(), selection, &[])?;
    // Parsed in place: a copy of the whole command tree is start-up work for nothing.
    let matches = command.try_get_matches_from_mut(args);
    let superseded = match (&matches, &selection.command) {
        (Ok(matches), Some(name)) => match (matches.subcommand(), command.find_subcommand(name)) {
            (Some((_, sub_matches)), Some(sub)) => config::superseded(sub, sub_matches, &applied),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    if superseded.is_empty() {
        return Ok(matches);
    }
    let (command, _) = config::prepare(Cli::command(), selection, &superseded)?;
    Ok(command.try_get_matches_from(args))
}

/// One thread serves one connection best; bench spreads many over all
/// cores, or over --threads. `--threads 1` is the current thread alone: a
/// multi-threaded runtime of one worker still runs the bench's own work on a
/// second thread, and its work-stealing bookkeeping costs about 400 of 5,400
/// instructions a paced message.
fn runtime(command: &Command) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = match command {
        Command::Bench(args) if args.threads == Some(1) => {
            tokio::runtime::Builder::new_current_thread()
        }
        Command::Bench(args) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            if let Some(threads) = args.threads {
                builder.worker_threads(threads.into());
            }
            builder
        }
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    builder.enable_all().build()
}

/// Runs the subcommand.
async fn run(command: Command, selection: &Selection) -> anyhow::Result<u8> {
    match command {
        Command::Pub(args) => commands::publish::run(args).await,
        Command::Sub(args) => commands::subscribe::run(args).await,
        Command::Topics(args) => commands::topics::run(args).await,
        Command::Replay(args) => commands::replay::run(args).await,
        Command::Rr(args) => commands::rr::run(args).await,
        Command::Respond(args) => commands::respond::run(args).await,
        Command::Ping(args) => commands::ping::run(args).await,
        Command::Will(args) => commands::will::run(args).await,
        Command::Bench(args) => commands::bench::run(args).await,
        Command::Broker(args) => commands::broker::run(args).await,
        Command::Config(args) => commands::config::run(&args, selection),
        Command::GenerateDocs(args) => mqtk::cli::docs::run(&args),
    }
}

/// A command-line error as one line: clap's first paragraph without its
/// "error:" label, clap's tip if it has one, and a pointer to --help.
fn one_line(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let mut paragraphs = rendered.split("\n\n");
    let first = paragraphs.next().unwrap_or_default();
    let first = first.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = first.strip_prefix("error: ").unwrap_or(&first);
    let tip = paragraphs
        .flat_map(str::lines)
        .map(str::trim)
        .find(|line| line.starts_with("tip:"));
    match tip {
        Some(tip) => format!("{text} ({tip}; see --help)"),
        None => format!("{text} (see --help)"),
    }
}

/// Prints the error on one line, its causes joined by colons.
fn fail(error: &anyhow::Error, code: u8) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "mqtk: {}", commands::error_line(error));
    ExitCode::from(code)
}
