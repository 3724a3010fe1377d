//! When each message is due, and when a worker stops.
//!
//! The schedule is an open loop: message k of a paced publisher is due at
//! `first + k * interval` whatever happened to message k - 1, so a stall shows
//! up as latency measured from the due time rather than as a lower rate
//! (no coordinated omission). An unpaced publisher's messages are due when
//! there is room for them.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The due times of one publisher's messages.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// `None`: unpaced.
    pacing: Option<(Instant, Duration)>,
    sent: u64,
}

impl Schedule {
    /// Paced from `first`, one message every `interval`; `None`: unpaced.
    pub fn new(pacing: Option<(Instant, Duration)>) -> Schedule {
        Schedule { pacing, sent: 0 }
    }

    /// When the next message is due; `None` when unpaced (due now).
    pub fn due(&self) -> Option<Instant> {
        let (first, interval) = self.pacing?;
        // u32 steps keep Duration's multiplication exact; beyond them, f64.
        let offset = match u32::try_from(self.sent) {
            Ok(k) => interval.saturating_mul(k),
            Err(_) => interval.mul_f64(self.sent as f64),
        };
        Some(first + offset)
    }

    pub fn advance(&mut self) {
        self.sent += 1;
    }

    /// Messages scheduled so far.
    pub fn sent(&self) -> u64 {
        self.sent
    }
}

/// When a worker stops: at a deadline, after a count, or when the run is
/// cancelled (Ctrl-C, or every publisher done).
#[derive(Debug, Clone)]
pub struct Stop {
    pub deadline: Option<Instant>,
    pub count: Option<u64>,
    pub cancel: CancellationToken,
}

impl Stop {
    /// Whether a worker that has done `done` messages stops now.
    pub fn reached(&self, done: u64, now: Instant) -> bool {
        self.count.is_some_and(|count| done >= count)
            || self.deadline.is_some_and(|deadline| now >= deadline)
            || self.cancel.is_cancelled()
    }

    /// Completes when the deadline passes or the run is cancelled.
    pub async fn wait(&self) {
        match self.deadline {
            Some(deadline) => tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {}
                _ = self.cancel.cancelled() => {}
            },
            None => self.cancel.cancelled().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_times_do_not_drift() {
        let first = Instant::now();
        let mut schedule = Schedule::new(Some((first, Duration::from_micros(3))));
        for _ in 0..1_000_000 {
            schedule.advance();
        }
        assert_eq!(schedule.due(), Some(first + Duration::from_secs(3)));
        assert_eq!(Schedule::new(None).due(), None);
    }

    #[test]
    fn a_stop_is_a_count_a_deadline_or_a_cancel() {
        let now = Instant::now();
        let stop = Stop {
            deadline: Some(now + Duration::from_secs(1)),
            count: Some(10),
            cancel: CancellationToken::new(),
        };
        assert!(!stop.reached(9, now));
        assert!(stop.reached(10, now));
        assert!(stop.reached(0, now + Duration::from_secs(1)));
        stop.cancel.cancel();
        assert!(stop.reached(0, now));
    }
}
