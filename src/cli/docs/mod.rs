//! The generated documentation: shell completions and man pages, rendered
//! from the one clap definition in [`crate::cli`]. `man` renders the
//! pages; this file the completions, and writes and checks them all.
//!
//! Everything here is a pure function from [`Cli::command`] to strings, so that
//! `mqtk generate-docs DIR` (which writes the files) and the test that keeps
//! the checked-in copies current (tests/docs.rs) render exactly the same text.
//!
//! The man pages are clap_mangen's sections (name, synopsis, description,
//! options) plus sections made from the text after `--help`'s options: each
//! block of a command's `after_long_help` becomes a man page section (see
//! [`help_sections`] for the layout it follows), so a new subcommand gets its
//! page, with its examples, exit codes and environment, by regenerating.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Command, CommandFactory};
use clap_complete::Shell;

use super::{exit, Cli, GenerateDocsArgs};

mod man;

pub use man::{help_sections, man_pages, HelpItem, HelpSection};

/// The command that brings the generated files up to date, run in the project root.
pub const REGENERATE: &str = "cargo run -- generate-docs .";

/// Where the completion scripts go, relative to the output directory.
pub const COMPLETIONS_DIR: &str = "completions";

/// Where the man pages go, relative to the output directory.
pub const MAN_DIR: &str = "man";

/// The shells that get a completion script.
pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::PowerShell,
    Shell::Elvish,
];

/// One generated file: where it goes, relative to the output directory, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: String,
}

/// How a file on disk differs from what the generator produces now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// The file should exist and does not.
    Missing(PathBuf),
    /// The file exists with other contents.
    Outdated(PathBuf),
    /// A generated-looking file the generator no longer produces, e.g. the page
    /// of a removed subcommand.
    Unexpected(PathBuf),
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stale::Missing(path) => write!(f, "{} is missing", path.display()),
            Stale::Outdated(path) => write!(
                f,
                "{} is not what the generator produces now",
                path.display()
            ),
            Stale::Unexpected(path) => write!(f, "{} is no longer generated", path.display()),
        }
    }
}

/// Every completion script and every man page.
pub fn generated_files() -> Vec<GeneratedFile> {
    let mut files = completion_scripts();
    files.extend(man_pages());
    files
}

/// The completion script of every shell in [`SHELLS`].
pub fn completion_scripts() -> Vec<GeneratedFile> {
    SHELLS
        .iter()
        .map(|&shell| GeneratedFile {
            path: Path::new(COMPLETIONS_DIR)
                .join(clap_complete::Generator::file_name(&shell, "mqtk")),
            contents: completion_script(shell),
        })
        .collect()
}

/// The completion script for one shell.
pub fn completion_script(shell: Shell) -> String {
    let mut command = completion_command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "mqtk", &mut script);
    String::from_utf8(script).expect("completion scripts are UTF-8")
}

/// The command line as completions offer it: without hidden subcommands,
/// which clap_complete would list with the others.
pub fn completion_command() -> Command {
    let full = Cli::command();
    Command::new("mqtk")
        .about(full.get_about().cloned().unwrap_or_default())
        .version(env!("CARGO_PKG_VERSION"))
        .disable_version_flag(full.is_disable_version_flag_set())
        .disable_help_flag(full.is_disable_help_flag_set())
        .subcommand_required(full.is_subcommand_required_set())
        .args(full.get_arguments().cloned())
        .groups(full.get_groups().cloned())
        .subcommands(
            full.get_subcommands()
                .filter(|sub| !sub.is_hide_set())
                .cloned(),
        )
}

/// Writes every generated file under `dir`, creating the directories, and
/// removes the files that are no longer generated. Returns what changed.
pub fn write_all(dir: &Path) -> io::Result<Vec<Stale>> {
    let changes = stale_files(dir)?;
    for file in generated_files() {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        if fs::read_to_string(&path).ok().as_deref() != Some(file.contents.as_str()) {
            fs::write(&path, &file.contents)?;
        }
    }
    for change in &changes {
        if let Stale::Unexpected(path) = change {
            fs::remove_file(dir.join(path))?;
        }
    }
    Ok(changes)
}

/// How the files under `dir` differ from what the generator produces now;
/// empty when they are current.
pub fn stale_files(dir: &Path) -> io::Result<Vec<Stale>> {
    let files = generated_files();
    let mut stale = Vec::new();
    for file in &files {
        match fs::read_to_string(dir.join(&file.path)) {
            Ok(contents) if contents == file.contents => {}
            Ok(_) => stale.push(Stale::Outdated(file.path.clone())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                stale.push(Stale::Missing(file.path.clone()))
            }
            Err(e) => return Err(e),
        }
    }
    // Only names the generator could have written count: the directories may
    // be shared, e.g. a system's share/man.
    for sub_dir in [COMPLETIONS_DIR, MAN_DIR] {
        let entries = match fs::read_dir(dir.join(sub_dir)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let path = Path::new(sub_dir).join(entry.file_name());
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = if sub_dir == MAN_DIR {
                (name == "mqtk.1" || name.starts_with("mqtk-")) && name.ends_with(".1")
            } else {
                name.trim_start_matches('_').starts_with("mqtk.")
            };
            if ours && entry.file_type()?.is_file() && !files.iter().any(|f| f.path == path) {
                stale.push(Stale::Unexpected(path));
            }
        }
    }
    stale.sort_by_key(|s| match s {
        Stale::Missing(p) | Stale::Outdated(p) | Stale::Unexpected(p) => p.clone(),
    });
    Ok(stale)
}

/// Runs `mqtk generate-docs`: writes the files, or with `--check` fails when
/// they are not current.
pub fn run(args: &GenerateDocsArgs) -> anyhow::Result<u8> {
    let dir = &args.dir;
    if args.check {
        let stale = stale_files(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if stale.is_empty() {
            return Ok(exit::SUCCESS);
        }
        let list: Vec<String> = stale.iter().map(ToString::to_string).collect();
        anyhow::bail!(
            "generated docs are stale: {}; run `{REGENERATE}`",
            list.join(", ")
        );
    }
    let changes =
        write_all(dir).with_context(|| format!("cannot write the docs into {}", dir.display()))?;
    for change in &changes {
        match change {
            Stale::Missing(path) | Stale::Outdated(path) => println!("wrote {}", path.display()),
            Stale::Unexpected(path) => println!("removed {}", path.display()),
        }
    }
    Ok(exit::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_leave_out_hidden_subcommands_only() {
        let full = Cli::command();
        let completed = completion_command();
        let names = |command: &Command, visible_only: bool| -> Vec<String> {
            command
                .get_subcommands()
                .filter(|sub| !visible_only || !sub.is_hide_set())
                .map(|sub| sub.get_name().to_string())
                .collect()
        };
        assert_eq!(names(&completed, false), names(&full, true));
        assert!(!names(&completed, false).contains(&"generate-docs".to_string()));
        let args = |command: &Command| -> Vec<String> {
            command
                .get_arguments()
                .map(|a| a.get_id().to_string())
                .collect()
        };
        assert_eq!(args(&completed), args(&full));
        completed.debug_assert();
        assert!(!completion_script(Shell::Bash).contains("generate-docs"));
    }
}
