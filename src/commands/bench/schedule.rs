//! When each message is due, and when a worker stops.
//!
//! The schedule is an open loop: message k of a paced publisher is due at
//! `first + k * interval` whatever happened to message k - 1, so a stall shows
//! up as latency measured from the due time rather than as a lower rate
//! (no coordinated omission). An unpaced publisher's messages are due when
//! there is room for them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

/// A step of --find-max, as every publisher follows it: the load from
/// `start` at `rate` messages per second in all; `None` between steps.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Step {
    /// Counts the changes, so that a publisher sees each once.
    pub generation: u64,
    pub pace: Option<(Instant, f64)>,
}

/// A publisher's part in the steps: its place among the publishers.
#[derive(Debug, Clone)]
struct Stepping {
    steps: watch::Receiver<Step>,
    seen: u64,
    index: u32,
    publishers: u32,
    paused: bool,
}

/// The due times of one publisher's messages.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// `None`: unpaced.
    pacing: Option<(Instant, Duration)>,
    sent: u64,
    /// Messages scheduled before the pacing last changed.
    before: u64,
    stepping: Option<Stepping>,
}

impl Schedule {
    /// Paced from `first`, one message every `interval`; `None`: unpaced.
    pub fn new(pacing: Option<(Instant, Duration)>) -> Schedule {
        Schedule {
            pacing,
            sent: 0,
            before: 0,
            stepping: None,
        }
    }

    /// Paced by the steps of --find-max: publisher `index` of `publishers`
    /// takes its share of each step's rate, evenly spread; paused until the
    /// first step.
    pub fn stepped(steps: watch::Receiver<Step>, index: u32, publishers: u32) -> Schedule {
        Schedule {
            stepping: Some(Stepping {
                steps,
                seen: 0,
                index,
                publishers,
                paused: true,
            }),
            ..Schedule::new(None)
        }
    }

    /// Takes up a new step, if there is one; whether the load is paused
    /// (between steps). What was due in a step and not sent by its end is
    /// not sent: the step's backlog, which the search counts.
    pub fn follow(&mut self) -> bool {
        let Some(stepping) = &mut self.stepping else {
            return false;
        };
        let step = *stepping.steps.borrow();
        if step.generation != stepping.seen {
            stepping.seen = step.generation;
            stepping.paused = step.pace.is_none();
            if let Some((start, rate)) = step.pace {
                let offset = Duration::from_secs_f64(f64::from(stepping.index) / rate);
                let interval = Duration::from_secs_f64(f64::from(stepping.publishers) / rate);
                self.pacing = Some((start + offset, interval));
                self.before = self.sent;
            }
        }
        stepping.paused
    }

    /// Completes when the steps change; never without steps.
    pub async fn changed(&mut self) {
        let changed = match &mut self.stepping {
            Some(stepping) => stepping.steps.changed().await.is_ok(),
            None => false,
        };
        if !changed {
            std::future::pending::<()>().await;
        }
    }

    /// When the next message is due; `None` when unpaced (due now).
    pub fn due(&self) -> Option<Instant> {
        let (first, interval) = self.pacing?;
        let k = self.sent - self.before;
        // u32 steps keep Duration's multiplication exact; beyond them, f64.
        let offset = match u32::try_from(k) {
            Ok(k) => interval.saturating_mul(k),
            Err(_) => interval.mul_f64(k as f64),
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

/// A cancellation that publishers check for every message: one atomic load,
/// where `CancellationToken::is_cancelled` takes a lock (5 % of a paced
/// publisher's own CPU).
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    token: CancellationToken,
    cancelled: Arc<AtomicBool>,
}

impl Cancel {
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        self.token.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Completes once cancelled.
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        self.token.cancelled()
    }
}

/// When a worker stops: at a deadline, after a count, or when the run is
/// cancelled (Ctrl-C, or every publisher done).
#[derive(Debug, Clone)]
pub struct StopCondition {
    pub deadline: Option<Instant>,
    pub count: Option<u64>,
    pub cancel: Cancel,
}

/// How long past the deadline a late publisher may still send what was due
/// before it: long enough to make up a short stall, so that a run sends
/// rate x duration, not so long that a broker too slow for the rate keeps
/// the run going.
const CATCH_UP: Duration = Duration::from_secs(1);

impl StopCondition {
    /// Whether a worker that has done `done` messages, the next due at `due`,
    /// stops now; an unpaced worker's next is due `now`.
    pub fn reached(&self, done: u64, due: Instant, now: Instant) -> bool {
        self.count.is_some_and(|count| done >= count)
            || self
                .deadline
                .is_some_and(|deadline| due >= deadline || now >= deadline + CATCH_UP)
            || self.cancel.is_cancelled()
    }

    /// Completes when the deadline passes or the run is cancelled.
    pub async fn wait(&self) {
        self.wait_for(self.deadline).await;
    }

    /// Completes when a late publisher must stop catching up, or the run is cancelled.
    pub async fn wait_overdue(&self) {
        self.wait_for(self.deadline.map(|deadline| deadline + CATCH_UP))
            .await;
    }

    async fn wait_for(&self, deadline: Option<Instant>) {
        match deadline {
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
        let stop = StopCondition {
            deadline: Some(now + Duration::from_secs(1)),
            count: Some(10),
            cancel: Cancel::default(),
        };
        let second = Duration::from_secs(1);
        assert!(!stop.reached(9, now, now));
        assert!(stop.reached(10, now, now));
        assert!(stop.reached(0, now + second, now + second));
        // Late, a message due before the deadline still goes, for a while.
        assert!(!stop.reached(0, now, now + second));
        assert!(stop.reached(0, now, now + 2 * second));
        stop.cancel.cancel();
        assert!(stop.reached(0, now, now));
    }

    #[test]
    fn a_stepped_schedule_waits_for_a_step_and_takes_up_each_new_rate() {
        let (steps, receiver) = watch::channel(Step::default());
        let mut schedule = Schedule::stepped(receiver, 1, 4);
        assert!(schedule.follow(), "paused before the first step");
        let start = Instant::now();
        let second = Duration::from_secs(1);
        steps.send_replace(Step {
            generation: 1,
            pace: Some((start, 400.0)),
        });
        assert!(!schedule.follow());
        // Publisher 1 of 4 at 400 msg/s: 100 each, the first 2.5 ms in.
        assert_eq!(schedule.due(), Some(start + Duration::from_micros(2500)));
        schedule.advance();
        assert_eq!(schedule.due(), Some(start + Duration::from_micros(12500)));
        steps.send_replace(Step {
            generation: 2,
            pace: None,
        });
        assert!(schedule.follow());
        steps.send_replace(Step {
            generation: 3,
            pace: Some((start + second, 800.0)),
        });
        assert!(!schedule.follow());
        assert_eq!(
            schedule.due(),
            Some(start + second + Duration::from_micros(1250))
        );
        assert_eq!(schedule.sent(), 1);
    }
}
