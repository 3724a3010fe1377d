//! The 16 bytes at the start of every bench payload: who sent it, its
//! sequence number, and when it was due, so that a subscriber can count loss,
//! duplicates and reordering and measure latency without asking anyone.
//!
//! Layout, big-endian: publisher index (3 bytes), sequence number (5 bytes),
//! due time in nanoseconds since the Unix epoch (8 bytes).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

pub const HEADER_LEN: usize = 16;

/// The largest publisher index the header can carry.
pub const MAX_PUBLISHER: u32 = (1 << 24) - 1;

/// A decoded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub publisher: u32,
    pub sequence: u64,
    pub due_ns: u64,
}

impl Header {
    pub fn write(&self, out: &mut [u8; HEADER_LEN]) {
        let id = (u64::from(self.publisher) << 40) | (self.sequence & ((1 << 40) - 1));
        out[..8].copy_from_slice(&id.to_be_bytes());
        out[8..].copy_from_slice(&self.due_ns.to_be_bytes());
    }

    /// The header of a payload, if it looks like one of ours: long enough and
    /// due within the last hour (or the next minute, for clocks a little apart).
    pub fn read(payload: &[u8], now_ns: u64) -> Option<Header> {
        let id = u64::from_be_bytes(payload.get(..8)?.try_into().ok()?);
        let due_ns = u64::from_be_bytes(payload.get(8..16)?.try_into().ok()?);
        let plausible = due_ns <= now_ns.saturating_add(60_000_000_000)
            && now_ns.saturating_sub(due_ns) <= 3_600_000_000_000;
        plausible.then_some(Header {
            publisher: (id >> 40) as u32,
            sequence: id & ((1 << 40) - 1),
            due_ns,
        })
    }
}

/// Wall-clock nanoseconds read off the monotonic clock: one reading of the
/// system clock at the start, so times within a run never jump, and times of
/// runs on different machines compare as well as their clocks agree.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
    start_ns: u64,
}

impl Clock {
    pub fn new() -> Clock {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        Clock {
            start: Instant::now(),
            start_ns: u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX),
        }
    }

    /// Nanoseconds since the Unix epoch at `instant`.
    pub fn ns(&self, instant: Instant) -> u64 {
        let since = instant.saturating_duration_since(self.start).as_nanos();
        self.start_ns + u64::try_from(since).unwrap_or(u64::MAX - self.start_ns)
    }

    pub fn now_ns(&self) -> u64 {
        self.ns(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_reads_back() {
        let header = Header {
            publisher: MAX_PUBLISHER,
            sequence: (1 << 40) - 1,
            due_ns: 1_800_000_000_000_000_000,
        };
        let mut bytes = [0; HEADER_LEN];
        header.write(&mut bytes);
        assert_eq!(Header::read(&bytes, header.due_ns + 5), Some(header));
    }

    #[test]
    fn foreign_payloads_are_not_headers() {
        let now = 1_800_000_000_000_000_000;
        assert_eq!(Header::read(b"hello", now), None);
        assert_eq!(Header::read(b"0123456789abcdef", now), None);
        let old = Header {
            publisher: 1,
            sequence: 1,
            due_ns: now - 7_200_000_000_000,
        };
        let mut bytes = [0; HEADER_LEN];
        old.write(&mut bytes);
        assert_eq!(Header::read(&bytes, now), None);
    }
}
