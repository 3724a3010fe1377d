//! The man pages: clap_mangen's sections, plus one section for every block of
//! a command's `after_long_help` (see [`help_sections`]).

use std::io;
use std::path::Path;

use clap::{Command, CommandFactory};
use clap_mangen::roff::{bold, roman, Roff};
use clap_mangen::Man;

use super::{GeneratedFile, MAN_DIR};
use crate::cli::Cli;

/// The man page section of every page.
const MAN_SECTION: &str = "1";

/// The man pages: `mqtk.1` and one for every subcommand that is not hidden
/// (`mqtk-pub.1`, ...), nested ones included.
pub fn man_pages() -> Vec<GeneratedFile> {
    let mut pages = Vec::new();
    collect_man_pages(&documented_command(), None, &mut pages);
    pages
}

/// The command line the man pages describe: built, so that subcommands know
/// their full names, and without clap's `help` subcommand, which needs no page.
fn documented_command() -> Command {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    root
}

fn collect_man_pages(command: &Command, parent: Option<&Command>, pages: &mut Vec<GeneratedFile>) {
    pages.push(GeneratedFile {
        path: Path::new(MAN_DIR).join(format!("{}.{MAN_SECTION}", page_name(command))),
        contents: man_page(command, parent),
    });
    for sub in visible_subcommands(command) {
        collect_man_pages(sub, Some(command), pages);
    }
}

/// `mqtk`, `mqtk-pub`, ...: the name of a command's page (clap sets the
/// display name of subcommands of a built command).
fn page_name(command: &Command) -> &str {
    command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
}

fn visible_subcommands(command: &Command) -> impl Iterator<Item = &Command> {
    command.get_subcommands().filter(|sub| !sub.is_hide_set())
}

/// One man page, for a subcommand of a built root command (or the root).
fn man_page(command: &Command, parent: Option<&Command>) -> String {
    let man = Man::new(command.clone());
    let sections = help_sections(
        &command
            .get_after_long_help()
            .map(ToString::to_string)
            .unwrap_or_default(),
    );
    let mut page = preamble();

    page.push_str(&title_line(command));
    page.push_str(&rendered(|w| man.render_name_section(w)));
    page.push_str(&synopsis_section(command));
    page.push_str(&rendered(|w| man.render_description_section(w)));
    // Text before any titled block (a note) belongs to the description.
    let mut roff = Roff::new();
    for section in sections.iter().filter(|s| s.title.is_none()) {
        render_items(&mut roff, &section.items);
    }
    page.push_str(&roff_text(&roff));

    if command.get_arguments().any(|arg| !arg.is_hide_set()) {
        page.push_str(&options_section(
            command,
            &rendered(|w| man.render_options_section(w)),
        ));
    }
    if visible_subcommands(command).next().is_some() {
        page.push_str(&rendered(|w| man.render_subcommands_section(w)));
    }

    // The other titled sections (e.g. FORMAT), then the standard ones in the
    // order man-pages(7) gives them.
    let titled: Vec<&HelpSection> = sections.iter().filter(|s| s.title.is_some()).collect();
    let standard = ["EXIT STATUS", "ENVIRONMENT", "EXAMPLES"];
    let mut roff = Roff::new();
    for section in titled
        .iter()
        .filter(|s| !standard.contains(&s.man_title().as_str()))
    {
        roff.control("SH", [section.man_title().as_str()]);
        render_items(&mut roff, &section.items);
    }
    for name in standard {
        let mut items: Vec<HelpItem> = titled
            .iter()
            .filter(|s| s.man_title() == name)
            .flat_map(|s| s.items.iter().cloned())
            .collect();
        // The main page shows the examples of every command.
        if name == "EXAMPLES" && parent.is_none() {
            items.extend(examples_of_subcommands(command));
        }
        if !items.is_empty() {
            roff.control("SH", [name]);
            render_items(&mut roff, &items);
        }
    }
    see_also(&mut roff, command, parent);
    page.push_str(&roff_text(&roff));
    page
}

/// The `.TH` line: the page name, its section, no date (so that the page only
/// changes when the command line does), the version, and the manual.
fn title_line(command: &Command) -> String {
    let root = command
        .get_bin_name()
        .unwrap_or("mqtk")
        .split(' ')
        .next()
        .unwrap_or("mqtk");
    format!(
        ".TH {} {MAN_SECTION} \"\" \"{root} {}\" \"User Commands\"\n",
        page_name(command).to_uppercase().replace('-', "\\-"),
        env!("CARGO_PKG_VERSION")
    )
}

/// The synopsis from clap's usage line (`mqtk pub [OPTIONS] --topic <TOPIC>
/// <--message <MESSAGE>|...>`): clap_mangen's lists every option without
/// saying which are required or what they take.
fn synopsis_section(command: &Command) -> String {
    let usage = command.clone().render_usage().to_string();
    let name = command.get_bin_name().unwrap_or_else(|| command.get_name());
    let mut roff = Roff::new();
    roff.control("SH", ["SYNOPSIS"]);
    for (i, line) in usage.lines().enumerate() {
        if i > 0 {
            roff.control("br", []);
        }
        let line = line.trim_start_matches("Usage:").trim();
        match line.strip_prefix(name) {
            Some(rest) => roff.text([bold(name), roman(rest)]),
            None => roff.text([roman(line)]),
        };
    }
    roff_text(&roff)
}

/// clap_mangen's option sections, one `.SH` per help heading, turned into
/// `.SS` subsections of one OPTIONS section.
fn options_section(command: &Command, rendered: &str) -> String {
    let headings: Vec<&str> = command
        .get_arguments()
        .filter(|arg| !arg.is_hide_set())
        .filter_map(|arg| arg.get_help_heading())
        .collect();
    let mut out = String::from(".SH OPTIONS\n");
    for line in rendered.lines() {
        if line == ".SH OPTIONS" {
            continue;
        }
        if let Some(heading) = line.strip_prefix(".SH ") {
            let unquoted = heading.trim_matches('"');
            let original = headings
                .iter()
                .find(|h| h.to_uppercase() == unquoted)
                .copied()
                .unwrap_or(unquoted);
            out.push_str(&roff_text(Roff::new().control("SS", [original])));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn examples_of_subcommands(command: &Command) -> Vec<HelpItem> {
    let mut items = Vec::new();
    for sub in visible_subcommands(command) {
        let text = sub
            .get_after_long_help()
            .map(ToString::to_string)
            .unwrap_or_default();
        for section in help_sections(&text) {
            if section.man_title() == "EXAMPLES" {
                items.extend(section.items);
            }
        }
        items.extend(examples_of_subcommands(sub));
    }
    items
}

fn see_also(roff: &mut Roff, command: &Command, parent: Option<&Command>) {
    let mut pages: Vec<&str> = Vec::new();
    if let Some(parent) = parent {
        pages.push(page_name(parent));
        pages.extend(
            visible_subcommands(parent)
                .map(page_name)
                .filter(|&name| name != page_name(command)),
        );
    }
    pages.extend(visible_subcommands(command).map(page_name));
    if pages.is_empty() {
        return;
    }
    roff.control("SH", ["SEE ALSO"]);
    let mut line = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        if i > 0 {
            line.push(roman(", "));
        }
        line.push(bold(*page));
        line.push(roman(format!("({MAN_SECTION})")));
    }
    roff.text(line);
}

/// A block of `--help` text after the options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpSection {
    /// "Examples", "Exit codes", ...; `None` for a block without a title line.
    pub title: Option<String>,
    pub items: Vec<HelpItem>,
}

impl HelpSection {
    /// The man page section this block becomes: EXAMPLES, EXIT STATUS,
    /// ENVIRONMENT, or the title in capitals without a parenthesis ("Format
    /// (-F)" is FORMAT).
    pub fn man_title(&self) -> String {
        let title = self.title.as_deref().unwrap_or_default();
        match title {
            "Exit codes" => "EXIT STATUS".to_string(),
            _ => title.split(" (").next().unwrap_or(title).to_uppercase(),
        }
    }
}

/// A piece of a [`HelpSection`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpItem {
    /// Lines of running text.
    Paragraph(Vec<String>),
    /// A table row: an exit code, a variable, a specifier, and what it means.
    Entry { name: String, text: Vec<String> },
    /// Lines to show as they are: the commands of an example.
    Literal(Vec<String>),
}

/// Splits `after_long_help` text into its blocks.
///
/// The layout, which cli.rs's help macros follow: blocks are separated by
/// empty lines; a block may start with a title line, unindented and ending in
/// a colon. In the block, a line indented by two spaces is a table entry when
/// it has two spaces between its name and its text (`  0  success`), and
/// otherwise a line of a paragraph; a line indented by four continues the
/// entry above, or after a paragraph is a command shown as it is.
pub fn help_sections(text: &str) -> Vec<HelpSection> {
    let mut sections = Vec::new();
    for block in text.split("\n\n") {
        let mut lines = block
            .lines()
            .filter(|line| !line.trim().is_empty())
            .peekable();
        let Some(first) = lines.peek() else { continue };
        let title = (!first.starts_with(' ') && first.ends_with(':'))
            .then(|| first.trim_end_matches(':').to_string());
        if title.is_some() {
            lines.next();
        }
        let mut items: Vec<HelpItem> = Vec::new();
        for line in lines {
            let indent = line.len() - line.trim_start().len();
            let content = line.trim().to_string();
            if indent >= 4 {
                match items.last_mut() {
                    Some(HelpItem::Entry { text, .. }) | Some(HelpItem::Literal(text)) => {
                        text.push(content)
                    }
                    _ => items.push(HelpItem::Literal(vec![content])),
                }
            } else if let (true, Some((name, text))) = (indent > 0, content.split_once("  ")) {
                items.push(HelpItem::Entry {
                    name: name.to_string(),
                    text: vec![text.trim().to_string()],
                });
            } else if let Some(HelpItem::Paragraph(text)) = items.last_mut() {
                text.push(content);
            } else {
                items.push(HelpItem::Paragraph(vec![content]));
            }
        }
        sections.push(HelpSection { title, items });
    }
    sections
}

fn render_items(roff: &mut Roff, items: &[HelpItem]) {
    // One indent for each run of entries, found at its first.
    let mut indent = None;
    for (i, item) in items.iter().enumerate() {
        if !matches!(item, HelpItem::Entry { .. }) {
            indent = None;
        }
        match item {
            HelpItem::Paragraph(lines) => {
                roff.control("PP", []);
                roff.text([roman(lines.join(" "))]);
            }
            HelpItem::Entry { name, text } => {
                let indent = indent.get_or_insert_with(|| entry_indent(&items[i..]));
                roff.control("TP", [indent.as_str()]);
                roff.text([bold(name.as_str())]);
                roff.text([roman(text.join(" "))]);
            }
            HelpItem::Literal(lines) => {
                roff.control("RS", ["4"]);
                roff.control("nf", []);
                for line in lines {
                    roff.text([roman(line.as_str())]);
                }
                roff.control("fi", []);
                roff.control("RE", []);
            }
        }
    }
}

/// The indent of a table, in ens: wide enough for the longest name among the
/// entries that follow (up to a limit), so that texts line up beside them.
fn entry_indent(items: &[HelpItem]) -> String {
    let widest = items
        .iter()
        .map_while(|item| match item {
            HelpItem::Entry { name, .. } => Some(name.chars().count()),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    // 7 is man's default; past 24 a name goes on a line of its own.
    format!("{}n", (widest + 2).clamp(7, 24))
}

/// The lines every page starts with once: the definitions the roff crate's
/// apostrophe handling needs.
fn preamble() -> String {
    Roff::new().render()
}

/// Roff text without the preamble, which every rendering repeats.
fn roff_text(roff: &Roff) -> String {
    strip_preamble(roff.render())
}

/// One clap_mangen section, without the preamble.
fn rendered(render: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
    let mut out = Vec::new();
    render(&mut out).expect("writing to a Vec cannot fail");
    strip_preamble(String::from_utf8(out).expect("man pages are UTF-8"))
}

fn strip_preamble(text: String) -> String {
    match text.strip_prefix(&preamble()) {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn help_text_blocks_become_sections_of_paragraphs_entries_and_commands() {
        let text = "Examples:\n  Publish one:\n    mqtk pub -t a -m 1\n    mqtk pub -t b -m 2\n\n\
                    Exit codes:\n  0  success\n  1  failure,\n     continued\n\nA note\non two lines.";
        let sections = help_sections(text);
        assert_eq!(
            sections,
            vec![
                HelpSection {
                    title: Some("Examples".into()),
                    items: vec![
                        HelpItem::Paragraph(vec!["Publish one:".into()]),
                        HelpItem::Literal(vec![
                            "mqtk pub -t a -m 1".into(),
                            "mqtk pub -t b -m 2".into()
                        ]),
                    ],
                },
                HelpSection {
                    title: Some("Exit codes".into()),
                    items: vec![
                        HelpItem::Entry {
                            name: "0".into(),
                            text: vec!["success".into()]
                        },
                        HelpItem::Entry {
                            name: "1".into(),
                            text: vec!["failure,".into(), "continued".into()]
                        },
                    ],
                },
                HelpSection {
                    title: None,
                    items: vec![HelpItem::Paragraph(vec![
                        "A note".into(),
                        "on two lines.".into()
                    ])],
                },
            ]
        );
        assert_eq!(sections[1].man_title(), "EXIT STATUS");
        let format = help_sections("Format (-F):\n  %t  topic");
        assert_eq!(format[0].man_title(), "FORMAT");
    }

    #[test]
    fn every_visible_command_has_examples_exit_codes_and_environment_in_its_help() {
        let root = documented_command();
        for command in std::iter::once(&root).chain(visible_subcommands(&root)) {
            let text = command
                .get_after_long_help()
                .map(ToString::to_string)
                .unwrap_or_default();
            let titles: Vec<String> = help_sections(&text)
                .iter()
                .map(HelpSection::man_title)
                .collect();
            for wanted in ["EXIT STATUS", "ENVIRONMENT"] {
                assert!(
                    titles.iter().any(|t| t == wanted),
                    "{} lacks {wanted}: {titles:?}",
                    command.get_name()
                );
            }
            if command.get_name() != "mqtk" {
                assert!(
                    titles.iter().any(|t| t == "EXAMPLES"),
                    "{} has no examples",
                    command.get_name()
                );
            }
        }
    }

    #[test]
    fn every_visible_subcommand_gets_a_man_page() {
        let paths: Vec<PathBuf> = man_pages().into_iter().map(|page| page.path).collect();
        for page in ["man/mqtk.1", "man/mqtk-pub.1", "man/mqtk-sub.1"] {
            assert!(paths.contains(&PathBuf::from(page)), "{page} in {paths:?}");
        }
        assert!(!paths
            .iter()
            .any(|p| p.to_string_lossy().contains("generate-docs")));
        fn pages_under(command: &Command) -> usize {
            1 + visible_subcommands(command).map(pages_under).sum::<usize>()
        }
        assert_eq!(paths.len(), pages_under(&documented_command()));
        assert!(paths.contains(&PathBuf::from("man/mqtk-bench-merge.1")));
    }

    #[test]
    fn man_pages_carry_exit_status_environment_and_examples() {
        for page in man_pages() {
            let text = &page.contents;
            for section in [
                ".SH NAME",
                ".SH SYNOPSIS",
                ".SH OPTIONS",
                ".SH \"EXIT STATUS\"",
                ".SH ENVIRONMENT",
                ".SH EXAMPLES",
            ] {
                assert!(
                    text.contains(section),
                    "{} lacks {section}",
                    page.path.display()
                );
            }
            assert_eq!(
                text.matches(".ie \\n(.g").count(),
                1,
                "one preamble in {}",
                page.path.display()
            );
        }
        let sub = man_pages()
            .into_iter()
            .find(|p| p.path.ends_with("mqtk-sub.1"))
            .unwrap();
        assert!(sub.contents.contains(".SH FORMAT"));
        assert!(sub.contents.contains("\\fB%t\\fR"));
        let root = man_pages().into_iter().next().unwrap();
        assert!(
            root.contents.contains("house/+/temperature"),
            "the main page has every example"
        );
    }
}
