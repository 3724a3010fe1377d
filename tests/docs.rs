//! The generated documentation: the checked-in completions and man pages are
//! what `mqtk generate-docs` produces now, the man pages render without
//! warnings, and the completion scripts work in the shells that are installed.
//!
//! A missing man, groff, bash, zsh or fish is a skip with a note, except with
//! CI=true, where .ci/run installs them and a missing one is a failure.

// The harness's skip alone (these tests need no broker), of which they use only part.
#[allow(dead_code)]
#[path = "common/skip.rs"]
mod skip;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mqtk::cli::docs::{self, Stale, REGENERATE};

fn project_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Whether `tool` runs; when it does not, the test is skipped (a failure with CI=true, where
/// .ci/run installs them all).
fn have(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        skip::skip(&format!("{tool} is not installed"));
    }
    found
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

#[test]
fn checked_in_completions_and_man_pages_are_current() {
    let stale = docs::stale_files(project_root()).expect("read completions/ and man/");
    if !stale.is_empty() {
        let list: Vec<String> = stale.iter().map(|s| format!("  {s}")).collect();
        panic!(
            "the generated docs are stale:\n{}\nrun `{REGENERATE}` in the project root and check in the result",
            list.join("\n")
        );
    }
}

#[test]
fn the_generator_writes_what_it_checks() {
    let dir = tempfile::tempdir().unwrap();
    let written = docs::write_all(dir.path()).unwrap();
    assert_eq!(written.len(), docs::generated_files().len());
    assert!(written
        .iter()
        .all(|change| matches!(change, Stale::Missing(_))));
    assert_eq!(docs::stale_files(dir.path()).unwrap(), vec![]);

    // A page of a subcommand that no longer exists is reported, then removed.
    let old_page = dir.path().join("man/mqtk-gone.1");
    std::fs::write(&old_page, ".TH GONE 1\n").unwrap();
    std::fs::write(dir.path().join("man/other-tool.1"), ".TH OTHER 1\n").unwrap();
    std::fs::write(dir.path().join("man/mqtk.1"), "edited by hand\n").unwrap();
    let stale = docs::stale_files(dir.path()).unwrap();
    assert_eq!(
        stale,
        vec![
            Stale::Unexpected(PathBuf::from("man/mqtk-gone.1")),
            Stale::Outdated(PathBuf::from("man/mqtk.1")),
        ]
    );
    docs::write_all(dir.path()).unwrap();
    assert!(!old_page.exists());
    assert!(
        dir.path().join("man/other-tool.1").exists(),
        "files of other programs stay"
    );
    assert_eq!(docs::stale_files(dir.path()).unwrap(), vec![]);
}

#[test]
fn generate_docs_check_fails_with_the_regenerate_command_when_stale() {
    let dir = tempfile::tempdir().unwrap();
    let mqtk = env!("CARGO_BIN_EXE_mqtk");
    let output = run(Command::new(mqtk)
        .args(["generate-docs", "--check"])
        .arg(dir.path()));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("man/mqtk.1 is missing") && stderr.contains(REGENERATE),
        "{stderr}"
    );

    let output = run(Command::new(mqtk).arg("generate-docs").arg(dir.path()));
    assert!(output.status.success(), "{output:?}");
    let output = run(Command::new(mqtk)
        .args(["generate-docs", "--check"])
        .arg(dir.path()));
    assert!(output.status.success(), "{output:?}");
}

#[test]
fn the_hidden_generator_is_not_offered() {
    let mqtk = env!("CARGO_BIN_EXE_mqtk");
    let help = run(Command::new(mqtk).arg("--help"));
    assert!(!String::from_utf8_lossy(&help.stdout).contains("generate-docs"));
    let version = run(Command::new(mqtk).arg("--version"));
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("mqtk {}", env!("CARGO_PKG_VERSION"))
    );
}

/// Renders every man page as `man --warnings` shows it and with groff's
/// warnings all on (`-ww`), both of which must print nothing on stderr. (Both
/// exit with status 0 on warnings; stderr is where they show.) LC_ALL=C, so
/// that a locale the machine lacks cannot add a warning of its own.
#[test]
fn man_pages_render_without_warnings() {
    let (man, groff) = (have("man"), have("groff"));
    if !(man && groff) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for page in docs::man_pages() {
        let path = dir.path().join(page.path.file_name().unwrap());
        std::fs::write(&path, &page.contents).unwrap();
        let shown = run(Command::new("man")
            .args(["--warnings", "-E", "UTF-8", "-l"])
            .arg(&path)
            .env("MANWIDTH", "80")
            .env("LC_ALL", "C")
            .env_remove("MANPAGER")
            .env_remove("PAGER"));
        let strict = run(Command::new("groff")
            .args(["-man", "-ww", "-z", "-Tutf8"])
            .arg(&path)
            .env("LC_ALL", "C"));
        for (checker, output) in [("man --warnings", &shown), ("groff -ww", &strict)] {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.success() && stderr.trim().is_empty(),
                "{} has warnings from {checker}:\n{stderr}",
                page.path.display()
            );
        }
        let text = String::from_utf8_lossy(&shown.stdout);
        for section in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "EXIT STATUS",
            "ENVIRONMENT",
            "EXAMPLES",
        ] {
            assert!(
                text.contains(&format!("\n{section}\n")),
                "{} has no {section}:\n{text}",
                page.path.display()
            );
        }
    }
}

/// What bash's completion offers for `words`, the last being the word being
/// completed, with the checked-in script loaded.
fn bash_completions(words: &[&str]) -> Vec<String> {
    let script = r#"
        source "$1" || exit 1
        shift
        spec=$(complete -p mqtk) || exit 1
        function=$(sed -E 's/.* -F ([^ ]+) .*/\1/' <<<"$spec")
        COMP_WORDS=("$@")
        COMP_CWORD=$(( $# - 1 ))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        "$function" mqtk "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
        printf '%s\n' "${COMPREPLY[@]}"
    "#;
    let output = run(Command::new("bash")
        .args(["--norc", "--noprofile", "-c", script, "bash"])
        .arg(project_root().join("completions/mqtk.bash"))
        .args(words));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.is_empty(),
        "bash failed: {stderr}"
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_subcommands_flags_and_values() {
    if !have("bash") {
        return;
    }
    assert_eq!(bash_completions(&["mqtk", "su"]), ["sub"]);
    assert_eq!(bash_completions(&["mqtk", "pub", "--ho"]), ["--host"]);
    assert_eq!(
        bash_completions(&["mqtk", "sub", "--color", ""]),
        ["auto", "always", "never"]
    );
    let top = bash_completions(&["mqtk", ""]);
    assert!(
        top.contains(&"pub".to_string()) && !top.contains(&"generate-docs".to_string()),
        "{top:?}"
    );
}

#[test]
fn zsh_loads_its_completion() {
    if !have("zsh") {
        return;
    }
    let script =
        r#"autoload -U compinit && compinit -u -D && source "$1" && (( $+functions[_mqtk] ))"#;
    let output = run(Command::new("zsh")
        .args(["-f", "-c", script, "zsh"])
        .arg(project_root().join("completions/_mqtk")));
    assert!(
        output.status.success(),
        "zsh: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn fish_completes_subcommands() {
    if !have("fish") {
        return;
    }
    let script = "source $argv[1]; and complete --do-complete 'mqtk su'";
    let output = run(Command::new("fish")
        .args(["--no-config", "-c", script])
        .arg(project_root().join("completions/mqtk.fish")));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.lines().any(|line| line.starts_with("sub")),
        "fish: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The entries of one section of `mqtk --help`'s closing text ("Exit codes:", "Environment:"):
/// the first word of each line indented by two, before the next section.
fn help_entries(help: &str, section: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| *line != section)
        .skip(1)
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.strip_prefix("  "))
        .filter(|line| !line.starts_with(' '))
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .collect()
}

/// The first cells of the rows of the README table under `heading`, backquotes removed.
fn readme_rows(readme: &str, heading: &str) -> Vec<String> {
    readme
        .lines()
        .skip_while(|line| *line != heading)
        .skip(1)
        .take_while(|line| !line.starts_with('#'))
        .filter(|line| line.starts_with("| ") && !line.starts_with("| ---"))
        .filter_map(|line| line.split('|').nth(1))
        .map(|cell| cell.trim().trim_matches('`').to_string())
        .skip(1) // the header row
        .collect()
}

#[test]
fn the_readme_tables_list_the_exit_codes_and_variables_the_help_lists() {
    let help = run(Command::new(env!("CARGO_BIN_EXE_mqtk")).arg("--help"));
    let help = String::from_utf8(help.stdout).expect("UTF-8 help");
    let readme = std::fs::read_to_string(project_root().join("README.md")).expect("README.md");
    for (section, heading) in [
        ("Exit codes:", "## Exit codes"),
        ("Environment:", "## Environment"),
    ] {
        let listed = help_entries(&help, section);
        assert!(!listed.is_empty(), "no {section} in mqtk --help:\n{help}");
        assert_eq!(
            readme_rows(&readme, heading),
            listed,
            "the README's {heading} table against {section} in mqtk --help"
        );
    }
}
