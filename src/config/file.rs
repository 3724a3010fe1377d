//! The configuration file: read, parsed with its line numbers, and its tables
//! turned into plain settings. Knows no flags: which keys exist is the command
//! line's business (`config::apply`).

use std::fmt;
use std::path::{Path, PathBuf};

use toml_edit::{ImDocument, Item, Table, Value};

/// A mistake in the configuration file, or the file missing: shown as
/// `FILE:LINE: message`, a usage error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file the mistake is in.
    pub path: PathBuf,
    /// Its line, counted from 1, where one is known.
    pub line: Option<usize>,
    /// What is wrong, without the file name.
    pub message: String,
}

impl ConfigError {
    /// An error at a line of `path`.
    pub fn at(path: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        ConfigError {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The value of one key, as the command line would have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    /// `true` or `false`: a flag that takes no value.
    Bool(bool),
    /// One value: a string, or a number written out.
    One(String),
    /// An array: a repeatable option given several times.
    Many(Vec<String>),
}

/// One key of the file, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The key: an option's long name, or `password` / `pw-env`.
    pub key: String,
    /// Its value.
    pub value: SettingValue,
    /// The table it is in, e.g. `profiles.prod.sub`.
    pub table: String,
    /// Its line, counted from 1.
    pub line: usize,
}

/// One table of the file, for `config check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsTable {
    /// Its name, e.g. `profiles.prod.sub`.
    pub name: String,
    /// The command it is for; None for a table that applies to every command.
    pub command: Option<String>,
    /// Its keys.
    pub settings: Vec<Setting>,
}

/// A configuration file, parsed.
#[derive(Debug)]
pub struct ConfigFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Whether only its owner may read it (mode 0600 or tighter), which a
    /// `password` key needs.
    pub owner_only: bool,
    text: String,
    document: ImDocument<String>,
}

impl ConfigFile {
    /// Reads and parses the file at `path`.
    pub fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            let reason = match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                _ => e.to_string(),
            };
            ConfigError::at(
                path,
                None,
                format!("cannot read the configuration: {reason}"),
            )
        })?;
        let owner_only = owner_only(path);
        ConfigFile::parse(path, &text, owner_only)
    }

    /// Parses `text` as the file at `path`.
    pub fn parse(path: &Path, text: &str, owner_only: bool) -> Result<ConfigFile, ConfigError> {
        let document = ImDocument::parse(text.to_string()).map_err(|e| {
            let line = e.span().map(|span| line_of(text, span.start));
            let message = e.message().trim().replace('\n', " ");
            ConfigError::at(path, line, format!("not valid TOML: {message}"))
        })?;
        let file = ConfigFile {
            path: path.to_path_buf(),
            owner_only,
            text: text.to_string(),
            document,
        };
        for (key, item) in file.document.iter() {
            if key != "default" && key != "profiles" {
                return Err(file.error_at_key(
                    file.document.as_table(),
                    key,
                    format!("unknown table '{key}' (expected [default] or [profiles.NAME])"),
                ));
            }
            if !item.is_table_like() {
                return Err(file.error_at_key(
                    file.document.as_table(),
                    key,
                    format!("'{key}' must be a table"),
                ));
            }
        }
        if let Some(profiles) = file.document.get("profiles").and_then(Item::as_table) {
            for (name, item) in profiles.iter() {
                if item.as_table().is_none() {
                    return Err(file.error_at_key(
                        profiles,
                        name,
                        format!("profile '{name}' must be a table"),
                    ));
                }
            }
        }
        Ok(file)
    }

    /// The folder relative paths in the file start from.
    pub fn folder(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The names of the profiles, in the file's order.
    pub fn profile_names(&self) -> Vec<String> {
        self.profiles()
            .map(|profiles| profiles.iter().map(|(name, _)| name.to_string()).collect())
            .unwrap_or_default()
    }

    /// The tables that apply to `command` under `profile`, least important
    /// first: `[default]`, `[default.COMMAND]`, `[profiles.NAME]`,
    /// `[profiles.NAME.COMMAND]`; each as its name and its settings. A key
    /// whose value is a table is a command's table, left to its own entry.
    pub fn tables_for(
        &self,
        profile: Option<&str>,
        command: &str,
    ) -> Result<Vec<(String, Vec<Setting>)>, ConfigError> {
        let mut tables = Vec::new();
        let mut add = |name: String, table: &Table| -> Result<(), ConfigError> {
            let settings = self.settings(&name, table)?;
            if let Some(Item::Table(inner)) = table.get(command) {
                let inner_name = format!("{name}.{command}");
                let inner_settings = self.settings(&inner_name, inner)?;
                tables.push((name, settings));
                tables.push((inner_name, inner_settings));
            } else {
                tables.push((name, settings));
            }
            Ok(())
        };
        if let Some(default) = self.document.get("default").and_then(Item::as_table) {
            add("default".to_string(), default)?;
        }
        if let Some(name) = profile {
            let Some(table) = self
                .profiles()
                .and_then(|profiles| profiles.get(name))
                .and_then(Item::as_table)
            else {
                let known = self.profile_names();
                let known = if known.is_empty() {
                    "it has none".to_string()
                } else {
                    format!("it has {}", known.join(", "))
                };
                return Err(ConfigError::at(
                    &self.path,
                    None,
                    format!("no profile '{name}' ({known})"),
                ));
            };
            add(format!("profiles.{name}"), table)?;
        }
        Ok(tables)
    }

    /// Every table of the file, for `config check`.
    pub fn all_tables(&self) -> Result<Vec<SettingsTable>, ConfigError> {
        let mut all = Vec::new();
        let mut add = |name: String, table: &Table| -> Result<(), ConfigError> {
            all.push(SettingsTable {
                settings: self.settings(&name, table)?,
                name: name.clone(),
                command: None,
            });
            for (command, item) in table.iter() {
                if let Item::Table(inner) = item {
                    let inner_name = format!("{name}.{command}");
                    all.push(SettingsTable {
                        settings: self.settings(&inner_name, inner)?,
                        name: inner_name,
                        command: Some(command.to_string()),
                    });
                }
            }
            Ok(())
        };
        if let Some(default) = self.document.get("default").and_then(Item::as_table) {
            add("default".to_string(), default)?;
        }
        if let Some(profiles) = self.profiles() {
            for (name, item) in profiles.iter() {
                if let Some(table) = item.as_table() {
                    add(format!("profiles.{name}"), table)?;
                }
            }
        }
        Ok(all)
    }

    fn profiles(&self) -> Option<&Table> {
        self.document.get("profiles").and_then(Item::as_table)
    }

    /// The plain keys of one table (a nested table is a command's, skipped).
    fn settings(&self, name: &str, table: &Table) -> Result<Vec<Setting>, ConfigError> {
        let mut settings = Vec::new();
        for (key, item) in table.iter() {
            let line = self.key_line(table, key);
            let value = match item {
                Item::Table(_) => continue,
                Item::Value(value) => self.setting_value(key, value, line)?,
                Item::ArrayOfTables(_) | Item::None => {
                    return Err(ConfigError::at(
                        &self.path,
                        Some(line),
                        format!("'{key}' must be a string, a number, true or false, or an array"),
                    ))
                }
            };
            settings.push(Setting {
                key: key.to_string(),
                value,
                table: name.to_string(),
                line,
            });
        }
        Ok(settings)
    }

    fn setting_value(
        &self,
        key: &str,
        value: &Value,
        line: usize,
    ) -> Result<SettingValue, ConfigError> {
        if let Value::Boolean(b) = value {
            return Ok(SettingValue::Bool(*b.value()));
        }
        if let Value::Array(array) = value {
            let values = array
                .iter()
                .map(|v| scalar(v).ok_or(()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|()| {
                    ConfigError::at(
                        &self.path,
                        Some(line),
                        format!("'{key}' must be an array of strings or numbers"),
                    )
                })?;
            return Ok(SettingValue::Many(values));
        }
        scalar(value).map(SettingValue::One).ok_or_else(|| {
            ConfigError::at(
                &self.path,
                Some(line),
                format!("'{key}' must be a string, a number, true or false, or an array"),
            )
        })
    }

    fn key_line(&self, table: &Table, key: &str) -> usize {
        table
            .get_key_value(key)
            .and_then(|(key, _)| key.span())
            .map(|span| line_of(&self.text, span.start))
            .unwrap_or(1)
    }

    fn error_at_key(&self, table: &Table, key: &str, message: String) -> ConfigError {
        ConfigError::at(&self.path, Some(self.key_line(table, key)), message)
    }
}

/// A string or a number as the command line would write it.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.value().clone()),
        Value::Integer(i) => Some(i.value().to_string()),
        Value::Float(f) => Some(f.value().to_string()),
        _ => None,
    }
}

/// The line, counted from 1, of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Whether only the file's owner may read or write it.
#[cfg(unix)]
fn owner_only(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 == 0)
}

#[cfg(not(unix))]
fn owner_only(_path: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[default]
keepalive = 30

[profiles.prod]
url = "mqtts://broker.example.com"
cafile = "ca.pem"
debug = true
alpn = ["x-amzn-mqtt-ca", "mqtt"]

[profiles.prod.sub]
qos = 1
"#;

    fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        ConfigFile::parse(Path::new("conf/config.toml"), text, true)
    }

    #[test]
    fn a_profile_brings_the_default_table_then_its_own_then_its_commands() {
        let file = parse(FILE).unwrap();
        let tables = file.tables_for(Some("prod"), "sub").unwrap();
        let names: Vec<_> = tables.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["default", "profiles.prod", "profiles.prod.sub"]);
        let prod = &tables[1].1;
        assert_eq!(prod[0].key, "url");
        assert_eq!(prod[0].line, 6);
        assert_eq!(prod[2].value, SettingValue::Bool(true));
        assert_eq!(
            prod[3].value,
            SettingValue::Many(vec!["x-amzn-mqtt-ca".into(), "mqtt".into()])
        );
        assert_eq!(tables[2].1[0].value, SettingValue::One("1".into()));
        assert_eq!(file.folder(), Path::new("conf"));
    }

    #[test]
    fn without_a_profile_only_the_default_table_applies() {
        let file = parse(FILE).unwrap();
        let tables = file.tables_for(None, "pub").unwrap();
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].1[0].key, "keepalive");
    }

    #[test]
    fn an_unknown_profile_names_the_known_ones() {
        let file = parse(FILE).unwrap();
        let error = file.tables_for(Some("staging"), "pub").unwrap_err();
        assert_eq!(
            error.to_string(),
            "conf/config.toml: no profile 'staging' (it has prod)"
        );
    }

    #[test]
    fn mistakes_are_one_line_with_the_line_number() {
        let error = parse("[default]\nhost = \"a\"\nport = \n").unwrap_err();
        assert_eq!(error.line, Some(3), "{error}");
        assert!(!error.to_string().contains('\n'));
        let error = parse("[default]\n\n[other]\nx = 1\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "conf/config.toml:3: unknown table 'other' (expected [default] or [profiles.NAME])"
        );
        let file = parse("[default]\nhost = { a = 1 }\n").unwrap();
        let error = file.tables_for(None, "pub").unwrap_err();
        assert_eq!(error.line, Some(2));
    }
}
