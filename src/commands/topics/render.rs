//! What `topics` prints: the topic tree and the retained listing, as text
//! for people and as one JSON document for scripts.
//!
//! The text tree has a row for each topic level, indented two spaces a
//! level; a level that is a topic has its figures after it:
//!
//! ```text
//! 3 topics, 14 messages in 10.0 s under "#"
//! TOPIC             MSGS   RATE/S   SIZE  QOS    RETAINED  LAST
//! house
//!   kitchen
//!     temperature     12     1.10      4  0,1    yes       14:04:05
//! ```
//!
//! Names are written with their control characters escaped, so that a
//! topic cannot move the cursor of the live view.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{self, Write};

use base64::Engine as _;
use serde::Serialize;

use super::table::{Entry, Table};
use crate::output::{local_time_of_day, utc_timestamp};

/// The widest the TOPIC column is padded to; longer names push the figures right.
const MAX_TOPIC_WIDTH: usize = 60;

/// The most characters of a payload the retained listing shows.
const PREVIEW_CHARS: usize = 40;

/// What a watch saw: the table, the filters and for how long.
pub struct Watched<'a> {
    pub table: &'a Table,
    pub filters: &'a [String],
    pub seconds: f64,
}

impl Watched<'_> {
    /// Live messages per second on a topic.
    fn rate(&self, entry: &Entry) -> f64 {
        if self.seconds > 0.0 {
            entry.live as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// One row of the tree: a level at a depth, with its figures when it is a topic.
struct Row<'a> {
    depth: usize,
    name: &'a str,
    entry: Option<&'a Entry>,
}

/// Calls `row` for each row of the tree, in order: the levels not shown
/// yet above a topic, then the topic; stops when `row` says `false`.
fn visit_rows<'a>(
    table: &'a Table,
    mut row: impl FnMut(Row<'a>) -> io::Result<bool>,
) -> io::Result<()> {
    let mut previous: Vec<&str> = Vec::new();
    for (key, entry) in table.iter() {
        let levels: Vec<&str> = key.levels().collect();
        let last = levels.len() - 1;
        let shared = previous
            .iter()
            .zip(&levels)
            .take_while(|(a, b)| a == b)
            .count()
            .min(last);
        for (depth, name) in levels.iter().enumerate().take(last).skip(shared) {
            let above = Row {
                depth,
                name,
                entry: None,
            };
            if !row(above)? {
                return Ok(());
            }
        }
        let topic = Row {
            depth: last,
            name: levels[last],
            entry: Some(entry),
        };
        if !row(topic)? {
            return Ok(());
        }
        previous = levels;
    }
    Ok(())
}

/// The filters, quoted and joined: `"a/#", "b"`.
fn quoted(filters: &[String]) -> String {
    let quoted: Vec<String> = filters.iter().map(|f| format!("{f:?}")).collect();
    quoted.join(", ")
}

/// Writes the tree's summary line, its header and at most `limit` rows (all
/// without one), then how many topics were left out. Only the rows written
/// are visited: the live view costs what fits the screen.
pub fn write_tree(out: &mut impl Write, watched: &Watched, limit: Option<usize>) -> io::Result<()> {
    let table = watched.table;
    writeln!(
        out,
        "{} topic{}, {} message{} in {:.1} s under {}",
        table.len(),
        plural(table.len() as u64),
        table.messages,
        plural(table.messages),
        watched.seconds,
        quoted(watched.filters)
    )?;
    let limit = limit.unwrap_or(usize::MAX);
    let mut width = "TOPIC".len();
    let mut rows = 0;
    visit_rows(table, |row| {
        width = width.max(2 * row.depth + printable(row.name).chars().count());
        rows += 1;
        Ok(rows < limit)
    })?;
    let width = width.min(MAX_TOPIC_WIDTH);
    writeln!(
        out,
        "{:width$}  {:>8}  {:>8}  {:>8}  {:5}  {:8}  LAST",
        "TOPIC", "MSGS", "RATE/S", "SIZE", "QOS", "RETAINED"
    )?;
    let (mut written, mut topics) = (0, 0);
    let mut name = String::new();
    visit_rows(table, |row| {
        written += 1;
        name.clear();
        name.push_str(&"  ".repeat(row.depth));
        name.push_str(&printable(row.name));
        let Some(entry) = row.entry else {
            writeln!(out, "{name}")?;
            return Ok(written < limit);
        };
        topics += 1;
        let qos: Vec<String> = entry.qos_seen().map(|q| q.to_string()).collect();
        writeln!(
            out,
            "{name:width$}  {:>8}  {:>8.2}  {:>8}  {:5}  {:8}  {}",
            entry.messages,
            watched.rate(entry),
            entry.size,
            qos.join(","),
            if entry.retained { "yes" } else { "" },
            local_time_of_day(entry.last_seen)
        )?;
        Ok(written < limit)
    })?;
    if table.len() > topics {
        writeln!(out, "... and {} more topics", table.len() - topics)?;
    }
    Ok(())
}

/// One topic of the tree's JSON document.
#[derive(Serialize)]
struct TopicJson<'a> {
    topic: &'a str,
    messages: u64,
    live_messages: u64,
    rate: f64,
    size: usize,
    qos: Vec<u8>,
    retained: bool,
    last_seen: String,
}

/// Writes the tree as one JSON document, each topic an object in tree
/// order, written as it goes rather than built whole first.
pub fn write_tree_json(out: &mut impl Write, watched: &Watched) -> io::Result<()> {
    let table = watched.table;
    out.write_all(b"{\"filters\":")?;
    serde_json::to_writer(&mut *out, watched.filters)?;
    write!(
        out,
        ",\"seconds\":{},\"topic_count\":{},\"messages\":{},\"topics\":[",
        round3(watched.seconds),
        table.len(),
        table.messages
    )?;
    for (i, (key, entry)) in table.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let topic = TopicJson {
            topic: key.as_str(),
            messages: entry.messages,
            live_messages: entry.live,
            rate: round3(watched.rate(entry)),
            size: entry.size,
            qos: entry.qos_seen().collect(),
            retained: entry.retained,
            last_seen: utc_timestamp(entry.last_seen),
        };
        serde_json::to_writer(&mut *out, &topic)?;
    }
    out.write_all(b"]}\n")
}

/// The retained messages under some filters, and with `--clear` what became
/// of them.
pub struct Retained<'a> {
    pub table: &'a Table,
    pub filters: &'a [String],
    pub clear: Option<Cleared<'a>>,
}

/// What `--clear` did.
pub struct Cleared<'a> {
    /// Only listed, without `--yes`.
    pub dry_run: bool,
    /// Empty retained messages the broker acknowledged.
    pub cleared: u64,
    /// Empty retained messages the broker refused.
    pub refused: u64,
    /// Topics that still delivered a retained message afterwards.
    pub still_retained: &'a [String],
}

/// Writes the retained listing: a summary line, then the topic, size and
/// start of the payload of each retained message.
pub fn write_retained(out: &mut impl Write, retained: &Retained) -> io::Result<()> {
    let table = retained.table;
    writeln!(
        out,
        "{} retained message{} under {}",
        table.len(),
        plural(table.len() as u64),
        quoted(retained.filters)
    )?;
    let width = table
        .iter()
        .map(|(key, _)| printable(key.as_str()).chars().count())
        .fold("TOPIC".len(), usize::max)
        .min(MAX_TOPIC_WIDTH);
    writeln!(out, "{:width$}  {:>8}  PAYLOAD", "TOPIC", "SIZE")?;
    for (key, entry) in table.iter() {
        writeln!(
            out,
            "{:width$}  {:>8}  {}",
            printable(key.as_str()),
            entry.size,
            preview_text(entry)
        )?;
    }
    match &retained.clear {
        Some(clear) if !clear.dry_run => writeln!(
            out,
            "cleared {} of {}{}; subscribing again, {} retained",
            clear.cleared,
            table.len(),
            match clear.refused {
                0 => String::new(),
                refused => format!(" ({refused} refused)"),
            },
            match clear.still_retained.len() {
                0 => "none is".to_string(),
                still => format!("{still} still"),
            }
        ),
        _ => Ok(()),
    }
}

/// One retained message of the listing's JSON document.
#[derive(Serialize)]
struct RetainedJson<'a> {
    topic: &'a str,
    size: usize,
    preview: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    preview_encoding: Option<&'static str>,
    truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cleared: Option<bool>,
}

/// Writes the retained listing (and what `--clear` did) as one JSON document.
pub fn write_retained_json(out: &mut impl Write, retained: &Retained) -> io::Result<()> {
    out.write_all(b"{\"filters\":")?;
    serde_json::to_writer(&mut *out, retained.filters)?;
    write!(out, ",\"count\":{}", retained.table.len())?;
    if let Some(clear) = &retained.clear {
        write!(out, ",\"dry_run\":{}", clear.dry_run)?;
        if !clear.dry_run {
            write!(
                out,
                ",\"cleared\":{},\"refused\":{},\"still_retained\":",
                clear.cleared, clear.refused
            )?;
            serde_json::to_writer(&mut *out, clear.still_retained)?;
        }
    }
    let still: HashSet<&str> = match &retained.clear {
        Some(clear) => clear.still_retained.iter().map(String::as_str).collect(),
        None => HashSet::new(),
    };
    out.write_all(b",\"retained\":[")?;
    for (i, (key, entry)) in retained.table.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let kept = preview_bytes(entry);
        let (preview, preview_encoding) = match std::str::from_utf8(kept) {
            Ok(text) => (text.to_string(), None),
            Err(_) => (
                base64::engine::general_purpose::STANDARD.encode(kept),
                Some("base64"),
            ),
        };
        let cleared = retained
            .clear
            .as_ref()
            .filter(|clear| !clear.dry_run)
            .map(|_| !still.contains(key.as_str()));
        let message = RetainedJson {
            topic: key.as_str(),
            size: entry.size,
            preview,
            preview_encoding,
            truncated: entry.size > kept.len(),
            cleared,
        };
        serde_json::to_writer(&mut *out, &message)?;
    }
    out.write_all(b"]}\n")
}

/// The kept start of a retained payload, less a character cut in two at its end.
fn preview_bytes(entry: &Entry) -> &[u8] {
    let kept = entry.preview.as_deref().unwrap_or_default();
    match std::str::from_utf8(kept) {
        Err(e) if e.error_len().is_none() && entry.size > kept.len() => &kept[..e.valid_up_to()],
        _ => kept,
    }
}

/// The start of a retained payload as text: its characters with the
/// control ones escaped, bytes that are not UTF-8 as `\xNN`, and `...`
/// when there is more.
fn preview_text(entry: &Entry) -> String {
    let kept = preview_bytes(entry);
    let mut text = String::new();
    let mut shown = 0;
    let mut cut = entry.size > kept.len();
    'chunks: for chunk in kept.utf8_chunks() {
        for c in chunk.valid().chars() {
            if shown == PREVIEW_CHARS {
                cut = true;
                break 'chunks;
            }
            push_printable(&mut text, c);
            shown += 1;
        }
        for byte in chunk.invalid() {
            if shown == PREVIEW_CHARS {
                cut = true;
                break 'chunks;
            }
            let _ = write!(text, "\\x{byte:02x}");
            shown += 1;
        }
    }
    if cut {
        text.push_str("...");
    }
    text
}

/// `name` with its control characters escaped; an empty level as `""`.
fn printable(name: &str) -> String {
    if name.is_empty() {
        return "\"\"".to_string();
    }
    let mut text = String::with_capacity(name.len());
    for c in name.chars() {
        push_printable(&mut text, c);
    }
    text
}

/// A character as it is, or escaped when it is a control character: `\n`,
/// `\t` and `\r`, the other ASCII ones as `\xNN` (as bytes that are not
/// UTF-8 are), the rest as `\u{NN}`.
fn push_printable(text: &mut String, c: char) {
    match c {
        '\n' => text.push_str("\\n"),
        '\t' => text.push_str("\\t"),
        '\r' => text.push_str("\\r"),
        _ if c.is_ascii_control() => {
            let _ = write!(text, "\\x{:02x}", c as u32);
        }
        _ if c.is_control() => text.extend(c.escape_default()),
        _ => text.push(c),
    }
}

/// The `s` of a plural, for `n` things.
pub(super) fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A figure to three decimals, for the JSON documents.
fn round3(value: f64) -> f64 {
    (value * 1e3).round() / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Publish, QoS};
    use bytes::Bytes;
    use std::time::SystemTime;

    fn table(messages: &[(&str, &[u8], bool)], previews: bool) -> Table {
        let mut table = Table::new(previews);
        for (topic, payload, retain) in messages {
            let message = Publish {
                topic: (*topic).into(),
                payload: Bytes::copy_from_slice(payload),
                qos: QoS::AtMostOnce,
                retain: *retain,
                ..Publish::default()
            };
            table.record(&message, SystemTime::UNIX_EPOCH);
        }
        table
    }

    #[test]
    fn the_tree_shows_each_level_once_and_figures_on_topics() {
        let table = table(
            &[
                ("a/b/c", b"xyz", false),
                ("a/b-c", b"", true),
                ("a", b"1", false),
            ],
            false,
        );
        let filters = ["#".to_string()];
        let watched = Watched {
            table: &table,
            filters: &filters,
            seconds: 2.0,
        };
        let mut out = Vec::new();
        write_tree(&mut out, &watched, None).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "3 topics, 3 messages in 2.0 s under \"#\"");
        assert!(lines[1].starts_with("TOPIC  "), "{text}");
        assert_eq!(lines.len(), 6, "{text}");
        assert!(
            lines[2].starts_with("a ") && lines[2].contains("0.50"),
            "{text}"
        );
        assert_eq!(lines[3], "  b");
        assert!(
            lines[4].starts_with("    c ") && lines[4].contains(" 3 "),
            "{text}"
        );
        assert!(
            lines[5].starts_with("  b-c ") && lines[5].contains("yes"),
            "{text}"
        );

        let mut out = Vec::new();
        write_tree(&mut out, &watched, Some(2)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("  b\n... and 2 more topics\n"), "{text}");
    }

    #[test]
    fn the_json_tree_has_every_topic_with_its_figures() {
        let table = table(&[("a/b", b"12345", true), ("a/b", b"1", false)], false);
        let filters = ["a/#".to_string()];
        let watched = Watched {
            table: &table,
            filters: &filters,
            seconds: 4.0,
        };
        let mut out = Vec::new();
        write_tree_json(&mut out, &watched).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["topic_count"], 1);
        let topic = &doc["topics"][0];
        assert_eq!(topic["topic"], "a/b");
        assert_eq!(topic["messages"], 2);
        assert_eq!(topic["live_messages"], 1);
        assert_eq!(topic["rate"], 0.25);
        assert_eq!(topic["size"], 1);
        assert_eq!(topic["retained"], true);
        assert_eq!(topic["qos"], serde_json::json!([0]));
        assert_eq!(topic["last_seen"], "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn previews_escape_control_characters_and_binary_and_say_when_cut() {
        let long = "é".repeat(40);
        let table = table(
            &[
                ("bin", &[0xff, b'a', 0x1b], true),
                ("long", long.as_bytes(), true),
                ("text", b"line\none", true),
            ],
            true,
        );
        let entries: Vec<&Entry> = table.iter().map(|(_, e)| e).collect();
        assert_eq!(preview_text(entries[0]), "\\xffa\\x1b");
        // 64 bytes kept are 32 characters of two bytes each; more is cut.
        assert_eq!(preview_text(entries[1]), format!("{}...", "é".repeat(32)));
        assert_eq!(preview_text(entries[2]), "line\\none");
        let filters = ["#".to_string()];
        let retained = Retained {
            table: &table,
            filters: &filters,
            clear: None,
        };
        let mut out = Vec::new();
        write_retained_json(&mut out, &retained).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["retained"][0]["preview_encoding"], "base64");
        assert_eq!(doc["retained"][1]["truncated"], true);
        assert_eq!(doc["retained"][2]["preview"], "line\none");
    }

    #[test]
    fn an_empty_level_and_control_characters_are_shown_so_that_they_can_be_seen() {
        assert_eq!(printable(""), "\"\"");
        assert_eq!(printable("a\u{1b}[2J\u{85}\t"), "a\\x1b[2J\\u{85}\\t");
    }
}
