//! `mqtk config`: the settings a command would use and where each came from,
//! the file's path, and a check of the file.

use std::ffi::OsString;
use std::io::Write;

use clap::parser::ValueSource;
use clap::{ArgAction, CommandFactory};

use super::usage;
use crate::cli::{exit, Cli, ConfigAction, ConfigArgs};
use crate::config::{self, Applied, ConfigFile, Selection};

/// Runs `mqtk config`.
pub fn run(args: &ConfigArgs, selection: &Selection) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    match &args.action {
        ConfigAction::Path => {
            let Some((path, _)) = selection.path() else {
                return usage("no configuration file: set --config, MQTK_CONFIG or HOME");
            };
            writeln!(out, "{}", path.display())?;
            if !path.exists() {
                let _ = writeln!(std::io::stderr(), "mqtk: note: it does not exist");
            }
        }
        ConfigAction::Check => {
            let Some((path, _)) = selection.path() else {
                return usage("no configuration file: set --config, MQTK_CONFIG or HOME");
            };
            let file = ConfigFile::read(&path).or_else(|e| usage(e.to_string()))?;
            let count = config::check(&Cli::command(), &file).or_else(|e| usage(e.to_string()))?;
            if let Some(name) = &selection.profile {
                file.tables_for(Some(name), "")
                    .or_else(|e| usage(e.to_string()))?;
            }
            writeln!(
                out,
                "{}: ok ({count} settings, {} profiles)",
                path.display(),
                file.profile_names().len()
            )?;
        }
        ConfigAction::Show(show) => show_settings(&mut out, &show.command, selection)?,
    }
    Ok(exit::SUCCESS)
}

/// Prints each setting the command would use, its value and where it came from.
fn show_settings(
    out: &mut impl Write,
    words: &[OsString],
    selection: &Selection,
) -> anyhow::Result<()> {
    let cli = Cli::command();
    let (name, rest) = match words.split_first() {
        Some((name, rest)) => (name.to_string_lossy().into_owned(), rest),
        None => (String::new(), &[][..]),
    };
    let connecting = connecting_commands(&cli);
    let target = target_command(&cli, &name, &connecting)?;
    let file = selection.read().or_else(|e| usage(e.to_string()))?;
    let (cli, applied) = match &file {
        Some(file) => {
            // Without a command, only the tables for every command apply.
            let tables = file
                .tables_for(selection.profile.as_deref(), &name)
                .or_else(|e| usage(e.to_string()))?;
            config::apply_tables(cli, file, &tables, &target, &[])
                .or_else(|e| usage(e.to_string()))?
        }
        None => (cli, Applied::new()),
    };
    let shared = name.is_empty().then(|| shared_options(&cli, &connecting));
    let mut argv = vec![OsString::from("mqtk"), OsString::from(&target)];
    argv.extend(rest.iter().cloned());
    let matches = cli
        .clone()
        .ignore_errors(true)
        .try_get_matches_from(argv)
        .or_else(|e| usage(e.to_string()))?;
    let Some((_, matches)) = matches.subcommand() else {
        return usage("config show: no command");
    };
    let sub = cli.find_subcommand(&target).expect("the command exists");
    match &file {
        Some(file) => writeln!(out, "# {}", file.path.display())?,
        None => writeln!(out, "# no configuration file")?,
    }
    if let Some(profile) = &selection.profile {
        writeln!(out, "# profile {profile}")?;
    }
    let shown = Shown {
        matches,
        applied: &applied,
        superseded: config::superseded(sub, matches, &applied),
        shared,
    };
    let rows: Vec<Row> = sub
        .get_arguments()
        .filter_map(|arg| shown.row(arg))
        .collect();
    print_rows(out, &rows)
}

/// The commands that connect, whose settings a profile holds.
fn connecting_commands(cli: &clap::Command) -> Vec<String> {
    cli.get_subcommands()
        .filter(|sub| config::connects(sub))
        .map(|sub| sub.get_name().to_string())
        .collect()
}

/// The command whose settings `config show NAME` shows: NAME, or the first
/// connecting command for the options they all share.
fn target_command(
    cli: &clap::Command,
    name: &str,
    connecting: &[String],
) -> anyhow::Result<String> {
    if name.is_empty() {
        return Ok(connecting[0].clone());
    }
    match cli.find_subcommand(name).filter(|s| config::connects(s)) {
        Some(sub) => Ok(sub.get_name().to_string()),
        None => usage(format!(
            "config show: '{name}' is not a command that connects (one of {})",
            connecting.join(", ")
        )),
    }
}

/// A setting as `config show` prints it: its long name, value and origin.
type Row = (String, String, String);

/// What decides which settings `config show` prints, and how.
struct Shown<'a> {
    matches: &'a clap::ArgMatches,
    applied: &'a Applied,
    /// The file's settings a flag overrode.
    superseded: Vec<String>,
    /// Without a command, the options every connecting command has.
    shared: Option<Vec<String>>,
}

impl Shown<'_> {
    /// The row of `arg`, unless it is not set, or set only by a default that
    /// says nothing (a flag off, no value, the host when a URL names the broker).
    fn row(&self, arg: &clap::Arg) -> Option<Row> {
        let id = arg.get_id().as_str();
        let long = arg.get_long()?;
        let hidden = matches!(id, "help" | "config" | "profile")
            || self.superseded.iter().any(|s| s == id)
            || self
                .shared
                .as_ref()
                .is_some_and(|s| !s.iter().any(|l| l == long));
        if hidden {
            return None;
        }
        let source = self.matches.value_source(id)?;
        let values: Vec<String> = self
            .matches
            .get_raw(id)?
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        // A URL names the broker: the default host is then not used.
        let url_given = self.matches.value_source("url").is_some()
            && !self.superseded.iter().any(|s| s == "url");
        let is_flag = matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse);
        if source == ValueSource::DefaultValue
            && !self.applied.contains_key(id)
            && (is_flag || values.is_empty() || (url_given && id == "host"))
        {
            return None;
        }
        let value = values
            .iter()
            .map(|v| mask(long, v))
            .collect::<Vec<_>>()
            .join(", ");
        Some((long.to_string(), value, self.origin(arg, source)))
    }

    /// Where a value came from: a flag, the environment, the file, or the default.
    fn origin(&self, arg: &clap::Arg, source: ValueSource) -> String {
        match source {
            ValueSource::CommandLine => "flag".to_string(),
            ValueSource::EnvVariable => match arg.get_env() {
                Some(var) => format!("environment ({})", var.to_string_lossy()),
                None => "environment".to_string(),
            },
            _ => match self.applied.get(arg.get_id().as_str()) {
                Some(origin) => format!("file ([{}], line {})", origin.table, origin.line),
                None => "default".to_string(),
            },
        }
    }
}

/// The rows in three aligned columns.
fn print_rows(out: &mut impl Write, rows: &[Row]) -> anyhow::Result<()> {
    let width = |pick: fn(&Row) -> usize| rows.iter().map(pick).max().unwrap_or(0);
    let (long_width, value_width) = (width(|r| r.0.len()), width(|r| r.1.chars().count()));
    for (long, value, origin) in rows {
        writeln!(out, "{long:<long_width$}  {value:<value_width$}  {origin}")?;
    }
    Ok(())
}

/// The long names every connecting command has.
fn shared_options(cli: &clap::Command, connecting: &[String]) -> Vec<String> {
    let longs = |name: &str| -> Vec<String> {
        cli.find_subcommand(name)
            .map(|sub| {
                sub.get_arguments()
                    .filter_map(|a| a.get_long().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut shared = longs(&connecting[0]);
    for name in &connecting[1..] {
        let other = longs(name);
        shared.retain(|long| other.contains(long));
    }
    shared
}

/// A value as `config show` prints it: passwords masked, also in a URL or a
/// SOCKS5 proxy, and the authentication data and the values of WebSocket
/// headers (often a token).
fn mask(long: &str, value: &str) -> String {
    const MASK: &str = "********";
    match long {
        "pw" | "auth-data" => MASK.to_string(),
        "ws-header" => match value.split_once(':') {
            Some((name, _)) => format!("{name}: {MASK}"),
            None => MASK.to_string(),
        },
        "url" | "proxy" => mask_url_password(value),
        _ => value.to_string(),
    }
}

/// `scheme://user:password@host` with the password masked.
fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:********{}", &rest[at..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_and_headers_are_masked() {
        assert_eq!(
            mask("url", "mqtts://me:secret@broker:8883/a"),
            "mqtts://me:********@broker:8883/a"
        );
        assert_eq!(mask("url", "mqtt://me@broker"), "mqtt://me@broker");
        assert_eq!(mask("pw", "secret"), "********");
        assert_eq!(mask("auth-data", "jwt"), "********");
        assert_eq!(
            mask("ws-header", "Authorization: Bearer x"),
            "Authorization: ********"
        );
        assert_eq!(mask("host", "broker"), "broker");
    }
}
