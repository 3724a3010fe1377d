//! Profiles: one TOML file whose keys are the long names of the options, with
//! the precedence default < file < environment < flag.
//!
//! Layout:
//! - `file`: the file read and parsed, with line numbers; knows no flags

mod file;

pub use file::{ConfigError, ConfigFile, Setting, SettingValue, SettingsTable};
