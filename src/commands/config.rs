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
    let connecting: Vec<String> = cli
        .get_subcommands()
        .filter(|sub| config::connects(sub))
        .map(|sub| sub.get_name().to_string())
        .collect();
    let (name, rest) = match words.split_first() {
        Some((name, rest)) => (name.to_string_lossy().into_owned(), rest),
        None => (String::new(), &[][..]),
    };
    let target = if name.is_empty() {
        connecting[0].clone()
    } else if let Some(sub) = cli.find_subcommand(&name).filter(|s| config::connects(s)) {
        sub.get_name().to_string()
    } else {
        return usage(format!(
            "config show: '{name}' is not a command that connects (one of {})",
            connecting.join(", ")
        ));
    };
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
    let shared: Option<Vec<String>> = name.is_empty().then(|| shared_options(&cli, &connecting));
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
    let superseded = config::superseded(sub, matches, &applied);
    match &file {
        Some(file) => writeln!(out, "# {}", file.path.display())?,
        None => writeln!(out, "# no configuration file")?,
    }
    if let Some(profile) = &selection.profile {
        writeln!(out, "# profile {profile}")?;
    }
    // A URL names the broker: the default host is then not used.
    let url_given = matches.value_source("url").is_some() && !superseded.iter().any(|s| s == "url");
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for arg in sub.get_arguments() {
        let id = arg.get_id().as_str();
        let Some(long) = arg.get_long() else { continue };
        if matches!(id, "help" | "config" | "profile")
            || superseded.iter().any(|s| s == id)
            || shared
                .as_ref()
                .is_some_and(|s| !s.iter().any(|l| l == long))
        {
            continue;
        }
        let Some(source) = matches.value_source(id) else {
            continue;
        };
        let Some(values) = matches.get_raw(id) else {
            continue;
        };
        let values: Vec<String> = values.map(|v| v.to_string_lossy().into_owned()).collect();
        let is_flag = matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse);
        if source == ValueSource::DefaultValue
            && !applied.contains_key(id)
            && (is_flag || values.is_empty() || (url_given && id == "host"))
        {
            continue;
        }
        let value = values
            .iter()
            .map(|v| mask(long, v))
            .collect::<Vec<_>>()
            .join(", ");
        let origin = match source {
            ValueSource::CommandLine => "flag".to_string(),
            ValueSource::EnvVariable => match arg.get_env() {
                Some(var) => format!("environment ({})", var.to_string_lossy()),
                None => "environment".to_string(),
            },
            _ => match applied.get(id) {
                Some(origin) => format!("file ([{}], line {})", origin.table, origin.line),
                None => "default".to_string(),
            },
        };
        rows.push((long.to_string(), value, origin));
    }
    let width =
        |pick: fn(&(String, String, String)) -> usize| rows.iter().map(pick).max().unwrap_or(0);
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
