//! What a run counts, and where: live counters each connection owns (the live
//! display sums them), samples batched into the histograms of the thread
//! that records them, and per-subscriber accounting of loss, duplicates and
//! order.
//!
//! No lock is shared on the hot path: a connection task writes only its own
//! atomics and its own sample buffer, and a full buffer goes to its thread's
//! histograms.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use super::gaps::{Gaps, Seen};
use super::histograms::{Recorder, Series};

/// The counters of one connection, read by the live display.
#[derive(Debug, Default)]
pub struct Live {
    /// 1 while the connection is up.
    pub up: AtomicU64,
    /// Messages written to the socket.
    pub sent: AtomicU64,
    /// QoS 1/2 messages the broker acknowledged (PUBACK, PUBCOMP).
    pub acked: AtomicU64,
    /// Messages received (subscribers).
    pub received: AtomicU64,
    /// Connections lost, acknowledgements with an error, and failed connects.
    pub errors: AtomicU64,
}

impl Live {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }
}

/// The live counters of the whole run, summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub up: u64,
    pub sent: u64,
    pub acked: u64,
    pub received: u64,
    pub errors: u64,
}

impl Snapshot {
    pub fn of(all: &[Arc<Live>]) -> Snapshot {
        let mut sum = Snapshot::default();
        for live in all {
            sum.up += live.up.load(Relaxed);
            sum.sent += live.sent.load(Relaxed);
            sum.acked += live.acked.load(Relaxed);
            sum.received += live.received.load(Relaxed);
            sum.errors += live.errors.load(Relaxed);
        }
        sum
    }

    /// The counts since `earlier`; the `up` gauge is kept as it is now.
    pub fn since(&self, earlier: &Snapshot) -> Snapshot {
        Snapshot {
            up: self.up,
            sent: self.sent - earlier.sent,
            acked: self.acked - earlier.acked,
            received: self.received - earlier.received,
            errors: self.errors - earlier.errors,
        }
    }
}

/// Samples per batch: few enough to be fresh for --metrics, many enough
/// that a thread takes its histograms' lock once in a while.
const BATCH: usize = 256;

/// One connection's buffer of samples of one series, on their way to the
/// histograms of the thread it runs on.
#[derive(Debug)]
pub struct Samples<'a> {
    series: Series,
    /// The group of the connection that takes them.
    group: usize,
    buffer: Vec<u64>,
    to: &'a Recorder,
}

impl<'a> Samples<'a> {
    pub fn new(series: Series, to: &'a Recorder) -> Samples<'a> {
        Samples {
            series,
            group: 0,
            buffer: Vec::new(),
            to,
        }
    }

    /// The samples of a connection of `group` (its place in the plan).
    pub fn of_group(mut self, group: usize) -> Samples<'a> {
        self.group = group;
        self
    }

    /// Keeps a sample. The buffer grows as samples come, so a connection that
    /// takes one (its connect time) holds a few bytes, not a batch's worth.
    pub fn record(&mut self, sample: Duration) {
        self.buffer
            .push(u64::try_from(sample.as_nanos()).unwrap_or(u64::MAX));
        if self.buffer.len() >= BATCH || self.to.immediate {
            self.to.record_in(self.series, self.group, &self.buffer);
            self.buffer.clear();
        }
    }

    pub fn flush(&mut self) {
        if !self.buffer.is_empty() {
            self.to.record_in(self.series, self.group, &self.buffer);
            self.buffer = Vec::new();
        }
    }
}

impl Drop for Samples<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Sequence numbers seen behind the highest one, to tell a duplicate from a
/// late arrival.
const WINDOW: u64 = 256;

/// What one subscriber saw of one publisher.
#[derive(Debug, Clone, Default)]
pub struct Track {
    /// One above the highest sequence number seen.
    next: u64,
    /// Which of the last `WINDOW` sequence numbers were seen, as a ring.
    seen: [u64; (WINDOW / 64) as usize],
    pub unique: u64,
    pub duplicates: u64,
    pub reordered: u64,
}

impl Track {
    pub fn record(&mut self, sequence: u64) {
        if sequence >= self.next {
            // Numbers skipped over are not seen (yet); forget what their
            // places in the ring held a window ago.
            if sequence - self.next >= WINDOW {
                self.seen = Default::default();
            } else {
                for skipped in self.next..sequence {
                    self.set(skipped, false);
                }
            }
            self.set(sequence, true);
            self.next = sequence + 1;
            self.unique += 1;
        } else if self.next - sequence > WINDOW {
            // Too far behind to know: count it as late, not as a duplicate.
            self.reordered += 1;
            self.unique += 1;
        } else if self.is_set(sequence) {
            self.duplicates += 1;
        } else {
            self.set(sequence, true);
            self.reordered += 1;
            self.unique += 1;
        }
    }

    /// One above the highest sequence number seen.
    pub fn next(&self) -> u64 {
        self.next
    }

    fn set(&mut self, sequence: u64, seen: bool) {
        let bit = sequence % WINDOW;
        let word = &mut self.seen[(bit / 64) as usize];
        if seen {
            *word |= 1 << (bit % 64);
        } else {
            *word &= !(1 << (bit % 64));
        }
    }

    fn is_set(&self, sequence: u64) -> bool {
        let bit = sequence % WINDOW;
        self.seen[(bit / 64) as usize] & (1 << (bit % 64)) != 0
    }
}

/// Each publisher's track, by publisher index: looked up for every message.
pub type Tracks = HashMap<u32, Track, foldhash::fast::RandomState>;

/// What one subscriber counted, handed over when it ends.
#[derive(Debug, Clone, Default)]
pub struct Received {
    /// Messages from bench publishers, by publisher index.
    pub tracks: Tracks,
    /// Messages without a bench header, or retained ones from an earlier run.
    pub foreign: u64,
    /// Messages and payload bytes that arrived after the warm-up.
    pub measured: u64,
    pub measured_bytes: u64,
    /// When the last message arrived, in nanoseconds since the epoch.
    pub last_ns: u64,
    /// --offline, --sub-churn: what this subscriber missed while away.
    pub gaps: Option<Box<Gaps>>,
    /// --share: which messages this member got.
    pub seen: Option<Box<Seen>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(sequences: impl IntoIterator<Item = u64>) -> Track {
        let mut track = Track::default();
        for s in sequences {
            track.record(s);
        }
        track
    }

    #[test]
    fn in_order_is_all_unique() {
        let t = track(0..10_000);
        assert_eq!((t.unique, t.duplicates, t.reordered), (10_000, 0, 0));
    }

    #[test]
    fn a_repeat_is_a_duplicate_and_a_late_one_is_reordered() {
        let t = track([0, 1, 3, 2, 2, 3, 4]);
        assert_eq!((t.unique, t.duplicates, t.reordered), (5, 2, 1));
    }

    #[test]
    fn a_gap_is_missing_not_a_duplicate_of_what_its_place_held_before() {
        // 260 is skipped; its place in the ring held 4, which must not make
        // the late 260 look like a duplicate.
        let mut sequences: Vec<u64> = (0..=300).filter(|&s| s != 260).collect();
        sequences.push(260);
        let t = track(sequences);
        assert_eq!((t.unique, t.duplicates, t.reordered), (301, 0, 1));
    }

    #[test]
    fn a_jump_past_the_window_forgets_it() {
        let t = track([0, 1, 1000, 1]);
        assert_eq!((t.unique, t.duplicates, t.reordered), (4, 0, 1));
    }

    #[test]
    fn samples_reach_the_histograms_in_batches_and_at_the_end() {
        let recorder = Recorder::new(false);
        let mut samples = Samples::new(Series::Latency, &recorder);
        for ms in 1..=300 {
            samples.record(Duration::from_millis(ms));
        }
        // One batch is in, the rest waits in the buffer.
        assert_eq!(recorder.histograms().latency.len(), BATCH as u64);
        drop(samples);
        let histograms = recorder.histograms();
        assert_eq!(histograms.latency.len(), 300);
        assert!(histograms.connect.is_empty());
    }
}
