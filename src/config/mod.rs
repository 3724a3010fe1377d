//! Profiles: one TOML file whose keys are the long names of the options, with
//! the precedence default < file < environment < flag.
//!
//! The file's settings become the `default_value`s of the command's arguments
//! before clap parses, so that clap's own order (a flag, then the variable of
//! an `env` argument, then the default) gives the precedence, and
//! `ArgMatches::value_source` tells where a value came from.
//!
//! Layout:
//! - `file`: the file read and parsed, with line numbers; knows no flags
//! - `mod.rs`: which file and profile (`--config`, `--profile` and their
//!   variables, seen before clap parses), and the settings put on a `clap::Command`

mod file;

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::builder::{Resettable, ValueHint};
use clap::{Arg, ArgAction, Command};

pub use file::{ConfigError, ConfigFile, Setting, SettingValue, SettingsTable};

/// The variable that names the configuration file.
pub const CONFIG_ENV: &str = "MQTK_CONFIG";
/// The variable that names the profile.
pub const PROFILE_ENV: &str = "MQTK_PROFILE";

/// The keys that set the password: the file's secret forms.
const PASSWORD_ARG: &str = "password";

/// Which file and profile a command line asks for, and its subcommand; read
/// from the arguments before clap parses them, then from the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// `--config FILE` or `MQTK_CONFIG`.
    pub config: Option<PathBuf>,
    /// `--profile NAME` or `MQTK_PROFILE`.
    pub profile: Option<String>,
    /// The subcommand's name.
    pub command: Option<String>,
}

impl Selection {
    /// Looks for `--config` and `--profile` in `args` (the program name
    /// first), then in the environment.
    pub fn scan(args: &[OsString]) -> Selection {
        let mut selection = Selection::default();
        let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
        while let Some(word) = words.next() {
            if word == "--" {
                break;
            }
            if let Some(value) = option_value(&word, "--config", &mut words) {
                selection.config = Some(PathBuf::from(value));
            } else if let Some(value) = option_value(&word, "--profile", &mut words) {
                selection.profile = Some(value);
            } else if selection.command.is_none() && !word.starts_with('-') {
                selection.command = Some(word.into_owned());
            }
        }
        let from_env = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        if selection.config.is_none() {
            selection.config = from_env(CONFIG_ENV).map(PathBuf::from);
        }
        if selection.profile.is_none() {
            selection.profile = from_env(PROFILE_ENV).map(|v| v.to_string_lossy().into_owned());
        }
        selection
    }

    /// The file to read, and whether it was asked for (and so must exist):
    /// `--config`/`MQTK_CONFIG`, else `$XDG_CONFIG_HOME/mqtk/config.toml`,
    /// else `~/.config/mqtk/config.toml`.
    pub fn path(&self) -> Option<(PathBuf, bool)> {
        if let Some(path) = &self.config {
            return Some((path.clone(), true));
        }
        let home = || std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config"));
        let folder = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
            .or_else(home)?;
        Some((folder.join("mqtk").join("config.toml"), false))
    }

    /// The file, when there is one to read: a missing file is an error when
    /// it was named or a profile was asked for.
    pub fn read(&self) -> Result<Option<ConfigFile>, ConfigError> {
        let Some((path, named)) = self.path() else {
            return match &self.profile {
                Some(name) => Err(ConfigError::at(
                    Path::new("config.toml"),
                    None,
                    format!("no configuration file for profile '{name}' (set --config)"),
                )),
                None => Ok(None),
            };
        };
        if !named && self.profile.is_none() && !path.exists() {
            return Ok(None);
        }
        ConfigFile::read(&path).map(Some)
    }
}

/// The value of `--name VALUE` or `--name=VALUE` when `word` is that option.
fn option_value<'a>(
    word: &str,
    name: &str,
    rest: &mut impl Iterator<Item = std::borrow::Cow<'a, str>>,
) -> Option<String> {
    if word == name {
        return Some(rest.next().map(|v| v.into_owned()).unwrap_or_default());
    }
    word.strip_prefix(name)
        .and_then(|tail| tail.strip_prefix('='))
        .map(str::to_string)
}

/// Where the file set an argument: its table and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The table, e.g. `profiles.prod`.
    pub table: String,
    /// The line, counted from 1.
    pub line: usize,
}

/// The arguments the file set, by argument id.
pub type Applied = HashMap<String, Origin>;

/// The command line with the file's settings for the subcommand `selection`
/// names, when it is one that connects; unchanged otherwise.
/// Settings whose argument id is in `except` are left out.
pub fn prepare(
    cli: Command,
    selection: &Selection,
    except: &[String],
) -> Result<(Command, Applied), ConfigError> {
    let Some(name) = &selection.command else {
        return Ok((cli, Applied::new()));
    };
    if !cli.find_subcommand(name).is_some_and(connects) {
        return Ok((cli, Applied::new()));
    }
    match selection.read()? {
        Some(file) => {
            let tables = file.tables_for(selection.profile.as_deref(), name)?;
            apply_tables(cli, &file, &tables, name, except)
        }
        None => Ok((cli, Applied::new())),
    }
}

/// Puts the settings of `file` for `profile` on the subcommand `command` of
/// `cli` as its arguments' defaults; returns the command and which arguments
/// the file set. A key no command knows, a value of the wrong type or one the
/// option would refuse is an error at its line.
pub fn apply(
    cli: Command,
    file: &ConfigFile,
    profile: Option<&str>,
    command: &str,
) -> Result<(Command, Applied), ConfigError> {
    let tables = file.tables_for(profile, command)?;
    apply_tables(cli, file, &tables, command, &[])
}

/// Puts the settings of `tables` on the subcommand `command` of `cli`, but
/// those of the argument ids in `except`.
pub fn apply_tables(
    mut cli: Command,
    file: &ConfigFile,
    tables: &[(String, Vec<Setting>)],
    command: &str,
    except: &[String],
) -> Result<(Command, Applied), ConfigError> {
    let Some(sub) = cli.find_subcommand(command) else {
        return Ok((cli, Applied::new()));
    };
    let mut defaults: Vec<(String, Vec<OsString>)> = Vec::new();
    let mut applied = Applied::new();
    for (table, settings) in tables {
        let for_command = table.ends_with(&format!(".{command}"));
        for setting in settings {
            let Some(values) = resolve(&cli, sub, file, setting, for_command, false)? else {
                continue;
            };
            let (id, values) = values;
            if except.contains(&id) {
                continue;
            }
            applied.insert(
                id.clone(),
                Origin {
                    table: table.clone(),
                    line: setting.line,
                },
            );
            defaults.push((id, values));
        }
    }
    let name = sub.get_name().to_string();
    // What the file sets need not be typed: a required option, or one of a
    // required group, is there.
    let groups: Vec<String> = sub
        .get_groups()
        .filter(|group| group.is_required_set())
        .filter(|group| group.get_args().any(|id| applied.contains_key(id.as_str())))
        .map(|group| group.get_id().to_string())
        .collect();
    // The topic is required unless a URL is given (whose path may be the
    // topic): a URL from the file counts, and the command checks the rest.
    let topic = sub
        .get_arguments()
        .find(|arg| arg.get_long() == Some("topic"))
        .filter(|_| applied.contains_key("url"))
        .map(|arg| arg.get_id().to_string());
    cli = cli.mut_subcommand(name, |mut sub| {
        for (id, values) in defaults {
            sub = sub.mut_arg(id, |arg| {
                arg.default_values(values)
                    .required(false)
                    .required_unless_present(Resettable::Reset)
            });
        }
        if let Some(topic) = topic {
            sub = sub.mut_arg(topic, |arg| arg.required_unless_present(Resettable::Reset));
        }
        for id in groups {
            sub = sub.mut_group(id, |group| group.required(false));
        }
        sub
    });
    Ok((cli, applied))
}

/// The arguments the file set that an argument given on the command line or
/// in the environment conflicts with (`-h` and a profile's `url`, `-l` and a
/// profile's `message`): the file's setting gives way, as a default does.
pub fn superseded(sub: &Command, matches: &clap::ArgMatches, applied: &Applied) -> Vec<String> {
    use clap::parser::ValueSource;
    let given: Vec<&Arg> = sub
        .get_arguments()
        .filter(|arg| {
            matches!(
                matches.value_source(arg.get_id().as_str()),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            )
        })
        .collect();
    let mut superseded: Vec<String> = sub
        .get_arguments()
        .filter(|arg| applied.contains_key(arg.get_id().as_str()))
        .filter(|arg| {
            matches.value_source(arg.get_id().as_str()) == Some(ValueSource::DefaultValue)
        })
        .filter(|arg| given.iter().any(|other| conflict(sub, arg, other)))
        .map(|arg| arg.get_id().to_string())
        .collect();
    superseded.sort();
    superseded
}

/// Whether `a` and `b` may not be given together.
fn conflict(sub: &Command, a: &Arg, b: &Arg) -> bool {
    let names = |x: &Arg, y: &Arg| {
        sub.get_arg_conflicts_with(x)
            .iter()
            .any(|c| c.get_id() == y.get_id())
    };
    let one_of = sub.get_groups().any(|group| {
        let members: Vec<_> = group.get_args().collect();
        !group.clone().is_multiple()
            && members.contains(&a.get_id())
            && members.contains(&b.get_id())
    });
    names(a, b) || names(b, a) || one_of
}

/// Checks every table of `file` against `cli`'s subcommands, as `config check` does.
pub fn check(cli: &Command, file: &ConfigFile) -> Result<usize, ConfigError> {
    let mut count = 0;
    for SettingsTable {
        name: table,
        command,
        settings,
    } in file.all_tables()?
    {
        let subs: Vec<&Command> = match &command {
            Some(name) => match cli.find_subcommand(name) {
                Some(sub) if connects(sub) => vec![sub],
                _ => {
                    let line = settings.first().map(|s| s.line);
                    return Err(ConfigError::at(
                        &file.path,
                        line,
                        format!("[{table}]: '{name}' is not a command that connects"),
                    ));
                }
            },
            None => cli.get_subcommands().filter(|sub| connects(sub)).collect(),
        };
        for setting in &settings {
            // A key is checked against the first command that has it.
            let sub = subs
                .iter()
                .find(|sub| find_arg(sub, &setting.key).is_some())
                .unwrap_or(&subs[0]);
            resolve(cli, sub, file, setting, command.is_some(), true)?;
            count += 1;
        }
    }
    Ok(count)
}

/// Whether a subcommand takes connection options, and so settings from the file.
pub fn connects(sub: &Command) -> bool {
    sub.get_arguments()
        .any(|arg| arg.get_long() == Some("keepalive"))
}

/// The argument `key` names in `sub`: a long option name, or the file's
/// `password` and `pw-env`.
fn find_arg<'a>(sub: &'a Command, key: &str) -> Option<&'a Arg> {
    let key = match key {
        "password" | "pw-env" => "pw",
        other => other,
    };
    sub.get_arguments()
        .find(|arg| arg.get_long() == Some(key) && !is_file_only(arg))
}

/// Options that choose the file and the profile, or print help: never in the file.
fn is_file_only(arg: &Arg) -> bool {
    matches!(arg.get_id().as_str(), "config" | "profile" | "help")
}

/// The argument id and the default values a setting gives `sub`, or None for
/// a key of a table for every command that this one lacks.
fn resolve(
    cli: &Command,
    sub: &Command,
    file: &ConfigFile,
    setting: &Setting,
    for_command: bool,
    checking: bool,
) -> Result<Option<(String, Vec<OsString>)>, ConfigError> {
    let error = |message: String| ConfigError::at(&file.path, Some(setting.line), message);
    let key = setting.key.as_str();
    let Some(arg) = find_arg(sub, key) else {
        let known_elsewhere = cli
            .get_subcommands()
            .any(|other| find_arg(other, key).is_some());
        return if !for_command && known_elsewhere {
            Ok(None)
        } else if for_command {
            Err(error(format!(
                "unknown key '{key}' for mqtk {}",
                sub.get_name()
            )))
        } else {
            Err(error(format!("unknown key '{key}'")))
        };
    };
    if arg.get_id() == PASSWORD_ARG && key != "pw-env" && !file.owner_only {
        return Err(error(format!(
            "'{key}' is refused: {} may be read by others (chmod 600 it, or use pw-file or pw-env)",
            file.path.display()
        )));
    }
    let values = setting_values(&setting.value, arg, key).map_err(error)?;
    // `config check` checks the file, not the environment it runs in.
    let values = if key == "pw-env" && !checking {
        let [name] = values.as_slice() else {
            return Err(error("'pw-env' takes the name of a variable".to_string()));
        };
        match std::env::var(name) {
            Ok(password) => vec![password],
            Err(_) => return Err(error(format!("pw-env: the variable {name} is not set"))),
        }
    } else {
        values
    };
    let values = relative_to(file.folder(), arg, values);
    if arg.get_action().takes_values() {
        for value in &values {
            if let Err(e) = parse_alone(arg, value) {
                // A password is never shown, not even in an error.
                let why = if arg.get_id() == PASSWORD_ARG {
                    "not a valid password".to_string()
                } else {
                    first_line(&e.render().to_string())
                };
                return Err(error(format!("'{key}': {why}")));
            }
        }
    }
    Ok(Some((arg.get_id().to_string(), values)))
}

/// A setting's values as `arg` takes them: a flag's true or false, one
/// value, or an array for a repeatable option.
fn setting_values(value: &SettingValue, arg: &Arg, key: &str) -> Result<Vec<String>, String> {
    Ok(match (value, arg.get_action()) {
        (SettingValue::Bool(b), ArgAction::SetTrue) => vec![b.to_string()],
        (SettingValue::Bool(b), ArgAction::SetFalse) => vec![(!b).to_string()],
        (_, ArgAction::SetTrue | ArgAction::SetFalse) => {
            return Err(format!("'{key}' is a flag: write true or false"))
        }
        (SettingValue::Bool(_), _) => {
            return Err(format!("'{key}' takes a value, not true or false"))
        }
        (SettingValue::One(value), ArgAction::Set | ArgAction::Append | ArgAction::Count) => {
            vec![value.clone()]
        }
        (SettingValue::Many(values), ArgAction::Append) => values.clone(),
        (SettingValue::Many(_), ArgAction::Set) => {
            return Err(format!("'{key}' takes one value, not an array"))
        }
        _ => return Err(format!("'{key}' cannot be set in the file")),
    })
}

/// The values of a path-valued `arg`, relative ones taken from `folder`.
fn relative_to(folder: &Path, arg: &Arg, values: Vec<String>) -> Vec<OsString> {
    let is_path = matches!(
        arg.get_value_hint(),
        ValueHint::AnyPath | ValueHint::FilePath | ValueHint::DirPath
    );
    values
        .into_iter()
        .map(|value| {
            if is_path && Path::new(&value).is_relative() {
                folder.join(&value).into_os_string()
            } else {
                OsString::from(value)
            }
        })
        .collect()
}

/// Parses `value` with `arg`'s parser alone, as `--LONG VALUE`.
fn parse_alone(arg: &Arg, value: &OsString) -> Result<(), clap::Error> {
    let long = arg.get_long().unwrap_or("value").to_string();
    let mut alone = Arg::new("value")
        .long(long.clone())
        .action(ArgAction::Set)
        .allow_hyphen_values(true)
        .value_parser(arg.get_value_parser().clone());
    if let Some(names) = arg.get_value_names() {
        alone = alone.value_names(names.iter().cloned());
    }
    Command::new("mqtk")
        .arg(alone)
        .try_get_matches_from([
            OsString::from("mqtk"),
            format!("--{long}").into(),
            value.clone(),
        ])
        .map(drop)
}

/// clap's message, without its "error:" label, on one line.
fn first_line(rendered: &str) -> String {
    let first = rendered.split("\n\n").next().unwrap_or_default();
    let first = first.split_whitespace().collect::<Vec<_>>().join(" ");
    first.strip_prefix("error: ").unwrap_or(&first).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command as Cmd};
    use clap::{CommandFactory, FromArgMatches};

    fn file(text: &str) -> ConfigFile {
        ConfigFile::parse(Path::new("/etc/mqtk/config.toml"), text, true).unwrap()
    }

    fn parse_sub(file: &ConfigFile, profile: Option<&str>, args: &[&str]) -> crate::cli::SubArgs {
        let (command, _) = apply(Cli::command(), file, profile, "sub").unwrap();
        let argv = [&["mqtk", "sub"], args].concat();
        let matches = command.try_get_matches_from(argv).unwrap();
        match Cli::from_arg_matches(&matches).unwrap().command {
            Cmd::Sub(args) => args,
            _ => panic!("not sub"),
        }
    }

    #[test]
    fn the_file_sets_defaults_that_flags_override() {
        let file = file(
            "[default]\nkeepalive = 30\n[profiles.p]\nhost = \"b\"\ntopic = [\"a\", \"b/#\"]\n[profiles.p.sub]\nqos = 2\n",
        );
        let args = parse_sub(&file, Some("p"), &["-k", "5"]);
        assert_eq!(args.connection.keepalive, 5);
        assert_eq!(args.connection.host, "b");
        assert_eq!(args.topics, ["a", "b/#"]);
        assert_eq!(args.qos, 2);
        let args = parse_sub(&file, None, &["-t", "x"]);
        assert_eq!(args.connection.keepalive, 30);
        assert_eq!(args.connection.host, "localhost");
    }

    #[test]
    fn path_options_start_at_the_files_folder() {
        let file = file("[default]\ncafile = \"ca.pem\"\nws-path = \"mqtt\"\n");
        let args = parse_sub(&file, None, &["-t", "x"]);
        assert_eq!(
            args.connection.tls.cafile.as_deref(),
            Some(Path::new("/etc/mqtk/ca.pem"))
        );
        assert_eq!(args.connection.ws_path.as_deref(), Some("mqtt"));
    }

    #[test]
    fn a_key_for_another_command_is_skipped_and_an_unknown_one_refused() {
        let (_, applied) = apply(
            Cli::command(),
            &file("[default]\nretain = true\n"),
            None,
            "sub",
        )
        .unwrap();
        assert!(applied.is_empty());
        let error = apply(
            Cli::command(),
            &file("[default.sub]\nretain = true\n"),
            None,
            "sub",
        )
        .unwrap_err();
        assert_eq!(error.line, Some(2));
    }

    #[test]
    fn the_scan_finds_config_profile_and_command_before_clap() {
        let args: Vec<OsString> = [
            "mqtk",
            "--profile=prod",
            "sub",
            "--config",
            "c.toml",
            "-t",
            "a",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let selection = Selection::scan(&args);
        assert_eq!(selection.profile.as_deref(), Some("prod"));
        assert_eq!(selection.config.as_deref(), Some(Path::new("c.toml")));
        assert_eq!(selection.command.as_deref(), Some("sub"));
    }
}
