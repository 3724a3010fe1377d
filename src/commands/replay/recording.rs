//! A recording read as a publisher's [`Messages`]: line by line, no faster
//! than the queue has room, each message handed over once it is due.
//!
//! The schedule is an open loop, as bench's is: message k is due at
//! `start + (t_k - t_first) / speed`, whatever became of message k - 1, so a
//! message that went out late does not delay the ones after it, and lateness
//! never adds up. A file is read in passes: the retained messages first with
//! --retained-first (no pauses), then the recording once per --loop, each
//! pass paced on after the last.

use std::collections::VecDeque;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

use super::record;
use super::topics::Topics;
use crate::codec::{Properties, Publish};
use crate::commands::notices::say;
use crate::commands::publish::{next_line, Messages};

/// Room made in the read buffer before each read.
const CHUNK: usize = 64 * 1024;

/// The furthest ahead a message is due (30 years, as tokio's own far
/// future), so that a tiny --speed cannot overflow the clock.
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// A line that is not a recorded message, with where it is.
#[derive(Debug)]
pub struct BadRecording {
    /// The file as the user named it, or "stdin".
    pub name: String,
    pub line: u64,
    pub reason: String,
}

impl fmt::Display for BadRecording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.name, self.line, self.reason)
    }
}

impl std::error::Error for BadRecording {}

/// One reading of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// The retained messages alone, at once (--retained-first).
    Retained,
    /// The messages at their pace; `unretained` leaves out the retained ones
    /// a [`Pass::Retained`] published.
    Paced { unretained: bool },
}

/// The pace of the paced passes.
#[derive(Debug)]
struct Pacing {
    /// 0: as fast as the broker takes them.
    speed: f64,
    /// When the first paced message was taken.
    start: Option<Instant>,
    /// The recorded seconds the passes before this one took.
    base: f64,
    /// Which clock the recording counts on, set by its first message: a
    /// file that mixes `offset_s` and bare timestamps has no one pace.
    clock: Option<&'static str>,
    /// This pass's first and last recorded time, and how many it paced.
    first: Option<f64>,
    last: f64,
    count: u64,
}

impl Pacing {
    /// Paced `speed` times as fast as recorded; nothing taken yet.
    fn new(speed: f64) -> Pacing {
        Pacing {
            speed,
            start: None,
            base: 0.0,
            clock: None,
            first: None,
            last: 0.0,
            count: 0,
        }
    }

    /// When a message recorded at `seconds` on `clock` is due; `None`: now.
    fn due(&mut self, seconds: f64, clock: &'static str) -> Result<Option<Instant>, String> {
        match self.clock {
            None => self.clock = Some(clock),
            Some(known) if known != clock => {
                return Err(format!(
                    "timed by {clock} where the lines before have {known}: \
                     not one recording"
                ))
            }
            Some(_) => {}
        }
        let first = *self.first.get_or_insert(seconds);
        self.last = seconds;
        self.count += 1;
        let start = *self.start.get_or_insert_with(Instant::now);
        if self.speed == 0.0 {
            return Ok(None);
        }
        // A message recorded before the first (files joined together) is
        // due at once.
        let elapsed = (self.base + seconds - first).max(0.0) / self.speed;
        let after = Duration::try_from_secs_f64(elapsed)
            .unwrap_or(FAR_FUTURE)
            .min(FAR_FUTURE);
        Ok(Some(start + after))
    }

    /// A paced pass is over: the next one begins one mean gap after this
    /// one's last message, so that a steady stream stays steady across loops.
    fn end_pass(&mut self) {
        if let Some(first) = self.first.take() {
            let span = (self.last - first).max(0.0);
            if self.count > 1 {
                self.base += span + span / (self.count - 1) as f64;
            }
        }
        self.count = 0;
    }
}

/// The input of a pass, and what was read of it.
struct Reading {
    input: Box<dyn AsyncRead + Unpin + Send>,
    buf: BytesMut,
    at_eof: bool,
    /// The number of the line last taken.
    line: u64,
}

/// A recording, read as a publisher's source.
pub struct Recording {
    /// The file; `None` is stdin.
    path: Option<PathBuf>,
    /// The file as the user named it, for errors.
    name: String,
    topics: Topics,
    pacing: Pacing,
    /// The passes not yet begun.
    passes: VecDeque<Pass>,
    /// The pass under way, and its input.
    pass: Option<(Pass, Reading)>,
    /// The next message, read and waiting to be due.
    next: Option<(Publish, Option<Instant>)>,
    /// MQTT 3.1.1: the properties are left out, which is said once.
    strip_properties: bool,
    said_stripped: bool,
    /// Ctrl-C, or a line that is not a recorded message.
    ended: bool,
    failure: Option<BadRecording>,
    /// Messages taken, for the closing note.
    taken: u64,
}

impl Recording {
    /// The recording at `path` (`-`: stdin), read in `passes`, `speed` times
    /// as fast as recorded (0: no pauses).
    pub fn new(path: PathBuf, passes: Vec<Pass>, speed: f64, topics: Topics) -> Recording {
        let stdin = path.as_os_str() == "-";
        Recording {
            name: if stdin {
                "stdin".to_string()
            } else {
                path.display().to_string()
            },
            path: (!stdin).then_some(path),
            topics,
            pacing: Pacing::new(speed),
            passes: passes.into(),
            pass: None,
            next: None,
            strip_properties: false,
            said_stripped: false,
            ended: false,
            failure: None,
            taken: 0,
        }
    }

    /// Leaves the properties out of every message (MQTT 3.1.1 has none).
    pub fn strip_properties(&mut self) {
        self.strip_properties = true;
    }

    /// The line that ended the replay, when one did.
    pub fn failure(&mut self) -> Option<BadRecording> {
        self.failure.take()
    }

    /// Messages handed to the publisher.
    pub fn taken(&self) -> u64 {
        self.taken
    }

    /// Reads the next message of the pass under way from what was read,
    /// into `next`; false when more input is needed, the pass is over, or
    /// a line was not a recorded message.
    fn read_next(&mut self) -> bool {
        loop {
            let Some((pass, reading)) = &mut self.pass else {
                return false;
            };
            let pass = *pass;
            let Some(line) = next_line(&mut reading.buf, reading.at_eof) else {
                if reading.at_eof {
                    self.pass = None;
                    if matches!(pass, Pass::Paced { .. }) {
                        self.pacing.end_pass();
                    }
                }
                return false;
            };
            reading.line += 1;
            let number = reading.line;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let scheduled = record::parse(&line).and_then(|record| self.schedule(pass, record));
            match scheduled {
                Ok(None) => continue,
                Ok(Some(next)) => {
                    self.next = Some(next);
                    return true;
                }
                Err(reason) => {
                    self.failure = Some(BadRecording {
                        name: self.name.clone(),
                        line: number,
                        reason,
                    });
                    self.ended = true;
                    return false;
                }
            }
        }
    }

    /// The message of `record` and when it is due, or `None` when this pass
    /// leaves it out.
    fn schedule(
        &mut self,
        pass: Pass,
        record: record::Record,
    ) -> Result<Option<(Publish, Option<Instant>)>, String> {
        let mut message = record.message;
        let wanted = match pass {
            Pass::Retained => message.retain,
            Pass::Paced { unretained } => !(unretained && message.retain),
        };
        if !wanted || !self.topics.selects(&message.topic) {
            return Ok(None);
        }
        message.topic = self.topics.rename(&message.topic);
        if self.strip_properties && !message.properties.is_empty() {
            if !std::mem::replace(&mut self.said_stripped, true) {
                say("note: MQTT 3.1.1 has no message properties: the recorded ones are left out");
            }
            message.properties = Properties::default();
        }
        let due = match pass {
            Pass::Retained => None,
            Pass::Paced { .. } => {
                let (seconds, clock) = record.time.seconds();
                self.pacing.due(seconds, clock)?
            }
        };
        Ok(Some((message, due)))
    }

    /// Begins the next pass: opens the file again, or stdin. Cancel safe:
    /// the pass is taken off the list only once its input is open.
    async fn begin_pass(&mut self) -> anyhow::Result<()> {
        if self.passes.is_empty() {
            return Ok(());
        }
        let input: Box<dyn AsyncRead + Unpin + Send> = match &self.path {
            Some(path) => Box::new(
                tokio::fs::File::open(path)
                    .await
                    .with_context(|| format!("cannot read {}", path.display()))?,
            ),
            None => Box::new(tokio::io::stdin()),
        };
        let Some(pass) = self.passes.pop_front() else {
            return Ok(());
        };
        self.pass = Some((
            pass,
            Reading {
                input,
                buf: BytesMut::with_capacity(CHUNK),
                at_eof: false,
                line: 0,
            },
        ));
        Ok(())
    }
}

/// Sleeps until `due`, to a tenth of a millisecond or so. tokio's timers
/// tick in whole milliseconds, so a message due between two ticks would go
/// out up to one late: the last millisecond is slept on a blocking thread,
/// which the kernel wakes within tens of microseconds. Cancel safe: a
/// blocking sleep left behind only ends a little later.
async fn sleep_precisely_until(due: Instant) {
    if let Some(coarse) = due.checked_sub(Duration::from_millis(1)) {
        tokio::time::sleep_until(coarse).await;
    }
    let rest = due.saturating_duration_since(Instant::now());
    if !rest.is_zero() {
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
    }
}

impl Messages for Recording {
    fn is_done(&self) -> bool {
        self.ended || (self.next.is_none() && self.pass.is_none() && self.passes.is_empty())
    }

    fn end(&mut self) {
        self.ended = true;
        self.next = None;
    }

    fn take_ready(&mut self, queue: &mut VecDeque<Publish>, limit: usize) -> anyhow::Result<()> {
        let mut now = None;
        while queue.len() < limit && !self.ended {
            if self.next.is_none() && !self.read_next() {
                return Ok(());
            }
            let Some((_, due)) = &self.next else {
                return Ok(());
            };
            if let Some(due) = *due {
                if due > *now.get_or_insert_with(Instant::now) {
                    return Ok(());
                }
            }
            if let Some((message, _)) = self.next.take() {
                queue.push_back(message);
                self.taken += 1;
            }
        }
        Ok(())
    }

    async fn wait(&mut self) -> anyhow::Result<()> {
        if let Some((_, due)) = &self.next {
            if let Some(due) = *due {
                sleep_precisely_until(due).await;
            }
            return Ok(());
        }
        let Some((_, reading)) = &mut self.pass else {
            return self.begin_pass().await;
        };
        if memchr::memchr(b'\n', &reading.buf).is_some() {
            return Ok(());
        }
        reading.buf.reserve(CHUNK);
        let read = reading
            .input
            .read_buf(&mut reading.buf)
            .await
            .with_context(|| format!("cannot read {}", self.name))?;
        reading.at_eof = read == 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How long after the start a message recorded at `seconds` is due.
    fn after_start(pacing: &mut Pacing, seconds: f64) -> Duration {
        let due = pacing.due(seconds, "offset_s").unwrap().unwrap();
        due - pacing.start.unwrap()
    }

    #[test]
    fn a_message_is_due_at_the_start_plus_its_offset_from_the_first_over_the_speed() {
        let mut pacing = Pacing::new(2.0);
        assert_eq!(after_start(&mut pacing, 10.0), Duration::ZERO);
        assert_eq!(after_start(&mut pacing, 14.0), Duration::from_secs(2));
        assert_eq!(after_start(&mut pacing, 15.0), Duration::from_millis(2500));
        // recorded before the first (files joined together): at once
        assert_eq!(after_start(&mut pacing, 3.0), Duration::ZERO);
        // no pauses at all
        let mut unpaced = Pacing::new(0.0);
        assert_eq!(unpaced.due(1.0, "offset_s"), Ok(None));
        assert_eq!(unpaced.due(3600.0, "offset_s"), Ok(None));
    }

    #[test]
    fn the_next_loop_begins_one_mean_gap_after_the_last_message() {
        let mut pacing = Pacing::new(1.0);
        for seconds in [10.0, 11.0, 12.0] {
            after_start(&mut pacing, seconds);
        }
        pacing.end_pass();
        assert_eq!(after_start(&mut pacing, 10.0), Duration::from_secs(3));
        assert_eq!(after_start(&mut pacing, 11.0), Duration::from_secs(4));
        assert_eq!(after_start(&mut pacing, 12.0), Duration::from_secs(5));
        pacing.end_pass();
        assert_eq!(after_start(&mut pacing, 10.0), Duration::from_secs(6));
    }

    #[test]
    fn a_tiny_speed_cannot_overflow_the_clock() {
        let mut pacing = Pacing::new(1e-300);
        after_start(&mut pacing, 0.0);
        assert_eq!(after_start(&mut pacing, 1.0), FAR_FUTURE);
    }

    #[test]
    fn one_recording_is_timed_by_one_clock() {
        let mut pacing = Pacing::new(1.0);
        pacing.due(1.0, "offset_s").unwrap();
        let error = pacing.due(1.7e9, "timestamp").unwrap_err();
        assert!(error.contains("timed by timestamp where the lines before have offset_s"));
    }
}
