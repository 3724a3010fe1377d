//! The progress display on stderr while a run goes on: an indicatif line
//! redrawn ten times a second on a terminal, otherwise one plain line per
//! --report-interval. It reads the connections' counters; it never blocks them.

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::plan::BenchPlan;
use super::stats::{Live, Snapshot};
use crate::codec::QoS;

/// Frames per second on a terminal.
const TERMINAL_FRAME: Duration = Duration::from_millis(100);

/// The span the rates "now" are taken over: frames are too short for steady figures.
const RECENT: Duration = Duration::from_secs(1);

pub struct Display {
    lives: Vec<Arc<Live>>,
    bar: Option<ProgressBar>,
    frames: Interval,
    connections: u64,
    duration: Option<Duration>,
    /// Which counters the scenario has.
    publishing: bool,
    acknowledged: bool,
    receiving: bool,
    /// When the load started, and the counters then.
    start: Option<(Instant, Snapshot)>,
    /// The frames of the last second or so, oldest first, for the rates "now".
    recent: VecDeque<(Instant, Snapshot)>,
}

impl Display {
    pub fn new(plan: &BenchPlan, lives: Vec<Arc<Live>>) -> Display {
        let terminal = std::io::stderr().is_terminal();
        let every = if terminal {
            TERMINAL_FRAME
        } else {
            plan.report_interval
        };
        let mut frames = tokio::time::interval_at(Instant::now() + every, every);
        frames.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let bar = terminal.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
            let style = ProgressStyle::with_template("{spinner} {prefix} {wide_bar}\n  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style.progress_chars("=> "));
            bar
        });
        Display {
            lives,
            bar,
            frames,
            connections: u64::from(plan.total_connections()),
            duration: plan.duration,
            publishing: plan.publishers > 0,
            acknowledged: plan.qos != QoS::AtMostOnce && plan.publishers > 0,
            receiving: plan.subscribers > 0,
            start: None,
            recent: VecDeque::new(),
        }
    }

    /// The load starts now: elapsed time counts from `start`.
    pub fn started(&mut self, start: Instant) {
        let now = Snapshot::of(&self.lives);
        self.start = Some((start, now));
        self.recent = VecDeque::from([(start, now)]);
        if let (Some(bar), Some(duration)) = (&self.bar, self.duration) {
            bar.set_length(duration.as_millis() as u64);
        }
    }

    /// Waits for the next frame and draws it. Cancel safe.
    pub async fn tick(&mut self) {
        self.frames.tick().await;
        let now = Instant::now();
        let counts = Snapshot::of(&self.lives);
        // Keep one frame at least RECENT old, and the ones since.
        while self.recent.len() > 1 && now - self.recent[1].0 >= RECENT {
            self.recent.pop_front();
        }
        let line = self.line(now, &counts);
        self.recent.push_back((now, counts));
        let elapsed = match self.start {
            Some((start, _)) => {
                let elapsed = seconds(now - start);
                match self.duration {
                    Some(total) => format!("{elapsed}/{}", seconds(total)),
                    None => elapsed,
                }
            }
            None => "connecting".into(),
        };
        match &self.bar {
            Some(bar) => {
                if let Some((start, _)) = self.start {
                    bar.set_position((now - start).as_millis() as u64);
                }
                bar.set_prefix(elapsed);
                bar.set_message(line);
            }
            None => {
                let _ = writeln!(std::io::stderr(), "mqtk bench: {elapsed:>11}  {line}");
            }
        }
    }

    /// One line of counters: rates now and on average since the start.
    fn line(&self, now: Instant, counts: &Snapshot) -> String {
        let mut parts = vec![format!("up {}/{}", counts.up, self.connections)];
        if let (Some((start, at_start)), Some(&(then, previous))) =
            (self.start, self.recent.front())
        {
            let recent = counts.since(&previous);
            let total = counts.since(&at_start);
            let dt = (now - then).as_secs_f64().max(1e-3);
            let elapsed = (now - start).as_secs_f64().max(1e-3);
            let rate = |name: &str, recent: u64, total: u64| {
                format!(
                    "{name} {}/s (avg {}/s)",
                    thousands(recent as f64 / dt),
                    thousands(total as f64 / elapsed)
                )
            };
            if self.publishing {
                parts.push(rate("sent", recent.sent, total.sent));
            }
            if self.acknowledged {
                parts.push(rate("acked", recent.acked, total.acked));
                parts.push(format!(
                    "in flight {}",
                    counts.sent.saturating_sub(counts.acked)
                ));
            }
            if self.receiving {
                parts.push(rate("received", recent.received, total.received));
            }
        }
        parts.push(format!("errors {}", counts.errors));
        parts.join("  ")
    }

    /// Removes the display, to make room for the report or an error.
    pub fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Seconds with one decimal, as the elapsed time shows.
fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

/// A count or rate with thousands separators, rounded to a whole number.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1234567.0), "1,234,567");
    }
}
