//! What a subscriber may miss while it is away (--offline) or unsubscribed
//! (--sub-churn), and what a shared subscription's members saw together
//! (--share).
//!
//! A gap opens when a subscriber leaves: for each publisher it has heard
//! from, the gap begins one above the highest sequence number it saw. It
//! closes, for that publisher, at the first message due after the
//! subscriber was back (subscribed again, or reconnected with its session):
//! every message from then on must arrive. The sequence numbers in between
//! were published around the gap; those that did not arrive are what the gap
//! missed. For --sub-churn they are expected missing (the broker had no
//! subscription to deliver them to) and not loss; for --offline they are
//! loss (the broker should have queued them).

use std::collections::HashMap;
use std::time::Duration;

use super::stats::{Track, Tracks};

/// One publisher's gap, still open.
#[derive(Debug, Clone, Copy)]
struct Open {
    /// The first sequence number of the gap.
    from: u64,
    /// Messages of the publisher this subscriber had counted when the gap opened.
    unique: u64,
}

/// A subscriber's gaps and what they missed.
#[derive(Debug, Clone, Default)]
pub struct Gaps {
    open: HashMap<u32, Open>,
    /// When the subscriber was back, in nanoseconds since the epoch; `None`
    /// while it is away.
    back_ns: Option<u64>,
    /// Gaps opened: outages or unsubscribe-subscribe cycles.
    pub gaps: u64,
    /// Time away: offline, or from UNSUBSCRIBE to SUBACK.
    pub away: Duration,
    /// Messages published in the gaps that closed, and of those, the ones that did not arrive.
    pub spanned: u64,
    pub missed: u64,
    /// Messages that arrived after the subscriber was back and were due
    /// before: what the broker held for it.
    pub backlog: u64,
    /// When the first return was, and when the last of the backlog arrived.
    pub first_back_ns: u64,
    pub last_backlog_ns: u64,
    /// Duplicates that arrived after a return.
    pub duplicates: u64,
    /// Outages after which the broker had not kept the session.
    pub sessions_lost: u64,
}

impl Gaps {
    /// The subscriber leaves: a gap opens for each publisher it has heard
    /// from (one still open goes on).
    pub fn open(&mut self, tracks: &Tracks) {
        self.gaps += 1;
        self.back_ns = None;
        for (&publisher, track) in tracks {
            self.open.entry(publisher).or_insert(Open {
                from: track.next(),
                unique: track.unique,
            });
        }
    }

    /// The subscriber is back at `now_ns`, after `away`.
    pub fn back(&mut self, now_ns: u64, away: Duration) {
        self.back_ns = Some(now_ns);
        self.away += away;
        if self.first_back_ns == 0 {
            self.first_back_ns = now_ns;
        }
    }

    /// A message of `publisher`, `sequence`, due at `due_ns`, arrives at
    /// `now_ns`; `track` is what was counted of the publisher before it.
    pub fn see(&mut self, publisher: u32, sequence: u64, due_ns: u64, now_ns: u64, track: &Track) {
        let Some(back_ns) = self.back_ns else {
            return;
        };
        if due_ns < back_ns && now_ns >= back_ns {
            self.backlog += 1;
            self.last_backlog_ns = now_ns;
        }
        if due_ns > back_ns && !self.open.is_empty() {
            if let Some(open) = self.open.remove(&publisher) {
                self.close(open, sequence, track.unique);
            }
        }
    }

    /// A duplicate arrived at `now_ns`.
    pub fn duplicate(&mut self, now_ns: u64) {
        if self.back_ns.is_some_and(|back| now_ns >= back) {
            self.duplicates += 1;
        }
    }

    fn close(&mut self, open: Open, until: u64, unique: u64) {
        let spanned = until.saturating_sub(open.from);
        let arrived = unique.saturating_sub(open.unique);
        self.spanned += spanned;
        self.missed += spanned.saturating_sub(arrived);
    }

    /// Closes the gaps still open when the run ended, each at the number of
    /// messages its publisher sent (`sent`, by publisher index; a publisher
    /// of another shard is not known and its gap stays uncounted).
    pub fn close_at_end(&mut self, tracks: &Tracks, sent: &HashMap<u32, u64>) {
        for (publisher, open) in std::mem::take(&mut self.open) {
            if let Some(&sent) = sent.get(&publisher) {
                let unique = tracks.get(&publisher).map_or(0, |t| t.unique);
                self.close(open, sent, unique);
            }
        }
    }

    /// Adds another subscriber's counts to these.
    pub fn add(&mut self, other: &Gaps) {
        self.gaps += other.gaps;
        self.away += other.away;
        self.spanned += other.spanned;
        self.missed += other.missed;
        self.backlog += other.backlog;
        self.duplicates += other.duplicates;
        self.sessions_lost += other.sessions_lost;
        if other.first_back_ns > 0 {
            self.first_back_ns = match self.first_back_ns {
                0 => other.first_back_ns,
                first => first.min(other.first_back_ns),
            };
        }
        self.last_backlog_ns = self.last_backlog_ns.max(other.last_backlog_ns);
    }
}

/// Which sequence numbers a member of a shared subscription received, per
/// publisher: a bit each, so that the members' sets can be put together.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    bits: HashMap<u32, Vec<u64>>,
}

impl Seen {
    pub fn insert(&mut self, publisher: u32, sequence: u64) {
        let words = self.bits.entry(publisher).or_default();
        let word = usize::try_from(sequence / 64).unwrap_or(usize::MAX);
        if word >= words.len() {
            words.resize(word + 1, 0);
        }
        words[word] |= 1 << (sequence % 64);
    }

    /// Adds `other`'s numbers to these.
    pub fn union(&mut self, other: &Seen) {
        for (publisher, theirs) in &other.bits {
            let words = self.bits.entry(*publisher).or_default();
            if words.len() < theirs.len() {
                words.resize(theirs.len(), 0);
            }
            for (word, their) in words.iter_mut().zip(theirs) {
                *word |= their;
            }
        }
    }

    /// How many numbers there are in all.
    pub fn len(&self) -> u64 {
        let ones = self
            .bits
            .values()
            .flatten()
            .map(|w| u64::from(w.count_ones()));
        ones.sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A subscriber that saw `sequences` of publisher 0 before a gap, then
    /// `after` (each due after its return, at 100).
    fn gap(before: std::ops::Range<u64>, after: &[u64]) -> Gaps {
        let mut track = Track::default();
        before.for_each(|s| track.record(s));
        let mut tracks = Tracks::from_iter([(0, track)]);
        let mut gaps = Gaps::default();
        gaps.open(&tracks);
        gaps.back(100, Duration::from_secs(1));
        for &s in after {
            let track = tracks.get_mut(&0).unwrap();
            gaps.see(0, s, 101, 102, track);
            track.record(s);
        }
        gaps
    }

    #[test]
    fn a_gap_spans_from_the_last_seen_to_the_first_due_after_the_return() {
        // 0..10 seen, then back at 15: 10 to 14 were published around the gap.
        let gaps = gap(0..10, &[15, 16, 17]);
        assert_eq!((gaps.spanned, gaps.missed, gaps.gaps), (5, 5, 1));
    }

    #[test]
    fn what_arrived_late_in_the_gap_is_not_missed() {
        let mut track = Track::default();
        (0..10).for_each(|s| track.record(s));
        let mut tracks = Tracks::from_iter([(0, track)]);
        let mut gaps = Gaps::default();
        gaps.open(&tracks);
        gaps.back(100, Duration::ZERO);
        // 10..13 were queued and arrive after the return, due before it.
        for (s, due) in [(10, 50), (11, 60), (12, 70), (14, 150)] {
            let track = tracks.get_mut(&0).unwrap();
            gaps.see(0, s, due, 120, track);
            track.record(s);
        }
        assert_eq!((gaps.spanned, gaps.missed, gaps.backlog), (4, 1, 3));
        assert_eq!(gaps.last_backlog_ns, 120);
    }

    #[test]
    fn a_gap_open_at_the_end_closes_at_what_was_sent() {
        let mut gaps = gap(0..10, &[]);
        let tracks = Tracks::from_iter([(0, Track::default())]);
        gaps.close_at_end(&tracks, &HashMap::from([(0, 30)]));
        assert_eq!((gaps.spanned, gaps.missed), (20, 20));
    }

    #[test]
    fn members_sets_are_put_together() {
        let (mut a, mut b) = (Seen::default(), Seen::default());
        for s in [0, 2, 64, 200] {
            a.insert(1, s);
        }
        for s in [1, 2, 300] {
            b.insert(1, s);
        }
        b.insert(7, 0);
        a.union(&b);
        assert_eq!(a.len(), 7);
    }
}
