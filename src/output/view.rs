//! What `sub` writes for the messages it receives: each message as the
//! [`Printer`] prints it, one line per topic rewritten in place (`--watch`,
//! mosquitto 2.1's live table), or the number of messages each second
//! (`--message-rate`).

use super::{Arrival, Printer};
use crate::codec::{ByteString, Publish};
use std::collections::HashMap;
use std::io::{self, Write};

/// How received messages reach the output.
#[derive(Debug, Clone)]
pub enum View {
    /// Each message, one after the other.
    Messages(Printer),
    /// One line per topic, on the screen's rows in order of first arrival.
    Watch(Watch),
    /// The count of the messages of each second, one number a line.
    Rate { count: u64 },
}

impl View {
    /// What the screen shows before the first message: the table's header.
    pub fn start(&mut self, out: &mut impl Write) -> io::Result<()> {
        match self {
            View::Watch(watch) => watch.start(out),
            _ => Ok(()),
        }
    }

    /// Shows one message received at `at`.
    pub fn show(
        &mut self,
        out: &mut impl Write,
        message: &Publish,
        decoded: Option<&str>,
        at: Arrival,
    ) -> io::Result<()> {
        match self {
            View::Messages(printer) => printer.print(out, message, decoded, at),
            View::Watch(watch) => watch.show(out, message, decoded, at),
            View::Rate { count } => {
                *count += 1;
                Ok(())
            }
        }
    }

    /// Whether [`View::tick`] is to be called every second.
    pub fn ticks(&self) -> bool {
        matches!(self, View::Rate { .. })
    }

    /// One second has passed: the rate view writes its count and starts again.
    pub fn tick(&mut self, out: &mut impl Write) -> io::Result<()> {
        if let View::Rate { count } = self {
            writeln!(out, "{count}")?;
            *count = 0;
        }
        Ok(())
    }
}

/// `--watch`: a row per topic, the latest message of each written over the last.
#[derive(Debug, Clone)]
pub struct Watch {
    printer: Printer,
    /// The first line: where the messages come from.
    header: String,
    rows: HashMap<ByteString, usize>,
    line: Vec<u8>,
}

/// The row of the first topic; the header is on the first.
const FIRST_ROW: usize = 2;

impl Watch {
    pub fn new(printer: Printer, header: String) -> Watch {
        Watch {
            printer,
            header,
            rows: HashMap::new(),
            line: Vec::new(),
        }
    }

    fn start(&self, out: &mut impl Write) -> io::Result<()> {
        // Clear the screen, cursor home.
        writeln!(out, "\x1b[2J\x1b[1;1H{}", self.header)
    }

    fn show(
        &mut self,
        out: &mut impl Write,
        message: &Publish,
        decoded: Option<&str>,
        at: Arrival,
    ) -> io::Result<()> {
        let next = FIRST_ROW + self.rows.len();
        let row = *self.rows.entry(message.topic.clone()).or_insert(next);
        self.line.clear();
        self.printer.print(&mut self.line, message, decoded, at)?;
        let text = self.line.strip_suffix(b"\n").unwrap_or(&self.line);
        // To the topic's row, the message, the rest of the old one erased,
        // then the cursor below the table, where the shell's prompt will go.
        write!(out, "\x1b[{row};1H")?;
        out.write_all(text)?;
        write!(out, "\x1b[K\x1b[{};1H", FIRST_ROW + self.rows.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::test_support::{at, message};
    use crate::output::Style;

    fn shown(view: &mut View, topics: &[(&str, &str)]) -> String {
        let mut out = Vec::new();
        view.start(&mut out).unwrap();
        for (topic, payload) in topics {
            view.show(
                &mut out,
                &message(topic, payload.as_bytes()),
                None,
                Arrival::at(at()),
            )
            .unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn watch_gives_each_topic_a_row_and_writes_over_it() {
        let printer = Printer::new(Style::Verbose, true, false, false);
        let mut view = View::Watch(Watch::new(printer, "Broker: localhost".into()));
        let screen = shown(&mut view, &[("a", "1"), ("b", "2"), ("a", "3")]);
        assert_eq!(
            screen,
            "\x1b[2J\x1b[1;1HBroker: localhost\n\
             \x1b[2;1Ha 1\x1b[K\x1b[3;1H\
             \x1b[3;1Hb 2\x1b[K\x1b[4;1H\
             \x1b[2;1Ha 3\x1b[K\x1b[4;1H"
        );
    }

    #[test]
    fn the_rate_is_the_count_of_each_second() {
        let mut view = View::Rate { count: 0 };
        assert!(view.ticks());
        assert_eq!(shown(&mut view, &[("a", "1"), ("b", "2")]), "");
        let mut out = Vec::new();
        view.tick(&mut out).unwrap();
        view.tick(&mut out).unwrap();
        assert_eq!(out, b"2\n0\n");
    }
}
