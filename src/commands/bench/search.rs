//! `--find-max`: steps towards the highest total rate the broker sustains.
//!
//! The connections are made once; the search then sets the publishers' pace
//! step by step. A step runs `--step` at one rate; its first fifth settles
//! and is left out of its percentiles; then the load pauses while what is
//! still on its way arrives (the drain), so that each step is measured
//! apart. The rate doubles from the first (-R, 1,000 msg/s) until a step
//! fails, then the gap between the highest pass and the lowest failure is
//! halved until they are within 5 % of each other; a first step that fails
//! halves the rate instead.
//!
//! A step passes when
//! - its p99 latency (from the due time to the arrival; without subscribers,
//!   the publishers' lateness, which a broker that does not take the
//!   messages raises) is within --target-p99;
//! - its loss is within --max-loss (0 unless said, at every QoS);
//! - the broker kept up: by the step's end, the messages not sent
//!   (publishers held back by the socket or the in-flight window) and those
//!   sent but not yet received are at most 2 % of the step's messages.
//!
//! mqtk checks itself: a step during which it kept its cores more than 90 %
//! busy, or its scheduler ran late (the search's own timer woke at the step's
//! end more than 100 ms or a tenth of the step late), ends the search, as
//! the limit found would be mqtk's.

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::connection::Shared;
use super::finish::{self, SATURATED};
use super::histograms::Histograms;
use super::live::thousands;
use super::plan::{BenchPlan, Role, SearchPlan};
use super::report::{Percentiles, Search, SearchStep};
use super::schedule::Step;
use super::stats::{Live, Snapshot};
use super::summary::plural;
use crate::codec::topic;
use crate::commands::json_ms;

/// The share of a step's messages that may be behind at its end.
const KEEP_UP: f64 = 0.02;

/// Bisection ends when the lowest failure is within this of the highest pass.
const PRECISION: f64 = 1.05;

/// A search halves a failing first rate down to this share of it, at most.
const LOWEST: f64 = 1.0 / 16.0;

/// How late the search may wake at a step's end (or a tenth of the step,
/// when longer) before mqtk's scheduler counts as overloaded.
const SCHEDULER_SLACK: Duration = Duration::from_millis(100);

/// The most steps a search takes.
const MAX_STEPS: usize = 30;

/// A drain ends when nothing was sent or received for this long...
const DRAIN_QUIET: Duration = Duration::from_millis(200);

/// ... or after this long, however much is still arriving.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// How often a drain looks at the counters.
const DRAIN_TICK: Duration = Duration::from_millis(20);

/// Why a search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The broker's limit was bracketed.
    Broker,
    /// The step at --max-rate passed.
    MaxRate,
    /// mqtk itself was the limit.
    Mqtk,
    NoStepPassed,
    /// The most steps were taken.
    Steps,
    Interrupted,
}

impl Ended {
    fn name(self) -> &'static str {
        match self {
            Ended::Broker => "broker",
            Ended::MaxRate => "max-rate",
            Ended::Mqtk => "mqtk",
            Ended::NoStepPassed => "no-step-passed",
            Ended::Steps => "steps",
            Ended::Interrupted => "interrupted",
        }
    }
}

/// The search over the connections of a run.
pub struct Searcher<'a> {
    shared: &'a Shared,
    lives: &'a [Arc<Live>],
    search: SearchPlan,
    /// Deliveries per message sent, when known.
    fan_out: Option<f64>,
    cores: usize,
    /// What the steps took out of the recorder, for the run's report.
    histograms: Histograms,
    steps: Vec<SearchStep>,
    generation: u64,
}

impl<'a> Searcher<'a> {
    pub fn new(shared: &'a Shared, lives: &'a [Arc<Live>], search: SearchPlan) -> Self {
        let plan = &shared.plan;
        Searcher {
            shared,
            lives,
            search,
            fan_out: fan_out(plan),
            cores: finish::cores(plan),
            histograms: Histograms::new(),
            steps: Vec::new(),
            generation: 0,
        }
    }

    /// Steps until the search ends (or the run is stopped): the search, and
    /// the histograms its steps recorded.
    pub async fn run(mut self) -> (Search, Histograms) {
        let first = self.capped(self.search.start_rate);
        let mut rate = first;
        let (mut passed, mut failed): (Option<f64>, Option<f64>) = (None, None);
        let ended = loop {
            if self.steps.len() >= MAX_STEPS {
                break Ended::Steps;
            }
            let Some(step) = self.step(rate).await else {
                break Ended::Interrupted;
            };
            let (ok, mqtk) = (step.passed, step.verdict == "mqtk");
            self.steps.push(step);
            if mqtk {
                break Ended::Mqtk;
            }
            if ok {
                passed = Some(passed.map_or(rate, |p: f64| p.max(rate)));
            } else {
                failed = Some(failed.map_or(rate, |f: f64| f.min(rate)));
            }
            match next_rate(passed, failed, first, self.search.max_rate) {
                Ok(next) => rate = next,
                Err(ended) => break ended,
            }
        };
        self.pause();
        let line = answer_line(&self.steps, ended, passed, &self.shared.plan, self.cores);
        let search = Search {
            answer_per_s: passed,
            ended_by: ended.name().into(),
            line,
            max_loss_percent: self.search.max_loss,
            settle_s: self.search.settle.as_secs_f64(),
            step_s: self.search.step.as_secs_f64(),
            steps: self.steps,
            target_p99_ms: json_ms(self.search.target_p99),
        };
        (search, self.histograms)
    }

    fn capped(&self, rate: f64) -> f64 {
        self.search.max_rate.map_or(rate, |max| rate.min(max))
    }

    /// Publishers pause: a step ended.
    fn pause(&mut self) {
        self.generation += 1;
        self.shared.steps.send_replace(Step {
            generation: self.generation,
            pace: None,
        });
    }

    /// One step at `rate`, measured; `None` when the run was stopped.
    async fn step(&mut self, rate: f64) -> Option<SearchStep> {
        let shared = self.shared;
        let begin = Instant::now();
        let settled = begin + self.search.settle;
        let end = begin + self.search.step;
        shared
            .latency_from_ns
            .store(shared.clock.ns(settled), Relaxed);
        self.histograms.add(&shared.recorder.take());
        let before = Snapshot::of(self.lives);
        let cpu_before = finish::cpu_time();
        self.generation += 1;
        shared.steps.send_replace(Step {
            generation: self.generation,
            pace: Some((begin, rate)),
        });
        self.sleep_until(settled).await?;
        // The settling time's samples are left out.
        self.histograms.add(&shared.recorder.take());
        self.sleep_until(end).await?;
        // mqtk's own scheduler: how late this task woke at the step's end.
        let woke_late = end.elapsed();
        let at_end = Snapshot::of(self.lives);
        let cpu = finish::cpu_time()
            .zip(cpu_before)
            .map(|(after, before)| after - before);
        let wall = begin.elapsed();
        self.pause();
        let drained = self.drain(&before).await;
        let taken = shared.recorder.take();
        self.histograms.add(&taken);
        let plan = &shared.plan;
        let sent = drained.sent - before.sent;
        let expected = self.expected(sent);
        let received = drained.received - before.received;
        let behind = self
            .expected(at_end.sent - before.sent)
            .map_or(0, |e| e.saturating_sub(at_end.received - before.received));
        // Publishers go on until they hear that the step ended.
        let due = due(rate, plan.all.publishers, wall);
        let lost = expected.map(|e| e.saturating_sub(received));
        let figures = Figures {
            due,
            backlog: due.saturating_sub(sent) + behind,
            loss_percent: expected.zip(lost).map(|(e, l)| percent(l, e)),
            cpu_share: cpu.map(|c| c.as_secs_f64() / wall.as_secs_f64() / self.cores as f64),
            woke_late,
        };
        let latency = (plan.subscribers > 0).then(|| Percentiles::of(&taken.latency));
        let late = Percentiles::of(&taken.lateness);
        // Without subscribers, the publishers' lateness stands for the latency.
        let judged = match &latency {
            Some(latency) => latency.as_ref(),
            None => late.as_ref(),
        };
        let verdict = self.verdict(&figures, judged.map(|p| p.p99), plan.publishers);
        Some(SearchStep {
            backlog: figures.backlog,
            cpu_share: figures.cpu_share,
            due,
            expected,
            late_ms: late,
            latency_ms: latency.flatten(),
            loss_percent: figures.loss_percent,
            lost,
            passed: verdict == "ok",
            rate,
            received,
            sent,
            verdict: verdict.into(),
            woke_late_ms: json_ms(figures.woke_late),
        })
    }

    /// What a step's figures make of it: `ok` or what failed.
    fn verdict(&self, figures: &Figures, p99_ms: Option<f64>, publishers: u32) -> &'static str {
        let slack = (self.search.step / 10).max(SCHEDULER_SLACK);
        if figures.cpu_share.is_some_and(|share| share > SATURATED) || figures.woke_late > slack {
            return "mqtk";
        }
        let target = json_ms(self.search.target_p99);
        // No sample after the settling time: nothing arrived (or left) in time.
        if p99_ms.is_none_or(|p99| p99 > target) {
            return "p99";
        }
        if figures
            .loss_percent
            .is_some_and(|loss| loss > self.search.max_loss)
        {
            return "loss";
        }
        let allowed = (figures.due as f64 * KEEP_UP).max(f64::from(publishers) + 1.0);
        if figures.backlog as f64 > allowed {
            return "backlog";
        }
        "ok"
    }

    /// The deliveries `sent` messages owe the subscribers, when known.
    fn expected(&self, sent: u64) -> Option<u64> {
        let fan_out = self.fan_out.filter(|_| self.shared.plan.subscribers > 0)?;
        Some((sent as f64 * fan_out).round() as u64)
    }

    /// Sleeps until `at`; `None` when the run was stopped first.
    async fn sleep_until(&self, at: Instant) -> Option<()> {
        tokio::select! {
            _ = tokio::time::sleep_until(at) => Some(()),
            _ = self.shared.stop.cancelled() => None,
        }
    }

    /// Waits, the load paused, until what is on its way arrived: the
    /// subscribers have what was sent, or nothing moved for a while, or the
    /// drain took too long. The counters then.
    async fn drain(&self, before: &Snapshot) -> Snapshot {
        let limit = Instant::now() + DRAIN_LIMIT;
        let mut last = Snapshot::of(self.lives);
        let mut quiet_since = Instant::now();
        loop {
            if self
                .sleep_until(Instant::now() + DRAIN_TICK)
                .await
                .is_none()
            {
                return last;
            }
            let now = Snapshot::of(self.lives);
            let moved = (now.sent, now.received) != (last.sent, last.received);
            let arrived = self
                .expected(now.sent - before.sent)
                .is_some_and(|e| now.received - before.received >= e);
            last = now;
            if moved {
                quiet_since = Instant::now();
            }
            if (arrived && !moved) || quiet_since.elapsed() >= DRAIN_QUIET || Instant::now() > limit
            {
                return last;
            }
        }
    }
}

/// A step's counts, as its verdict weighs them.
struct Figures {
    due: u64,
    backlog: u64,
    loss_percent: Option<f64>,
    cpu_share: Option<f64>,
    woke_late: Duration,
}

/// The next step's rate, or why the search ends: doubling from the first
/// until a step fails, then halving the gap between the highest pass and the
/// lowest failure; a first rate that fails is halved.
fn next_rate(
    passed: Option<f64>,
    failed: Option<f64>,
    first: f64,
    max_rate: Option<f64>,
) -> Result<f64, Ended> {
    match (passed, failed) {
        (Some(lo), None) => match max_rate {
            Some(max) if lo >= max => Err(Ended::MaxRate),
            Some(max) => Ok((lo * 2.0).min(max)),
            None => Ok(lo * 2.0),
        },
        (None, Some(hi)) if hi / 2.0 < first * LOWEST => Err(Ended::NoStepPassed),
        (None, Some(hi)) => Ok((hi / 2.0).round().max(1.0)),
        (Some(lo), Some(hi)) => {
            let middle = ((lo + hi) / 2.0).round();
            if hi <= lo * PRECISION || middle <= lo || middle >= hi {
                Err(Ended::Broker)
            } else {
                Ok(middle)
            }
        }
        (None, None) => Ok(first),
    }
}

/// The messages due in a step of `length` at `rate` in all, spread over
/// `publishers` as they pace themselves.
fn due(rate: f64, publishers: u32, length: Duration) -> u64 {
    let length = length.as_secs_f64();
    let interval = f64::from(publishers) / rate;
    (0..publishers)
        .map(|index| {
            let offset = f64::from(index) / rate;
            if offset >= length {
                0
            } else {
                ((length - offset) / interval).ceil() as u64
            }
        })
        .sum()
}

fn percent(part: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        part as f64 * 100.0 / of as f64
    }
}

/// How many deliveries a message makes, on average over the publishers'
/// topics: the subscriptions that match it (a shared subscription's group
/// once). `None` when topics vary per message, or there are too many pairs
/// to count.
pub fn fan_out(plan: &BenchPlan) -> Option<f64> {
    let publishing = plan.groups.iter().filter(|g| g.role == Role::Publisher);
    if publishing.clone().any(|g| g.topic.varies_per_message()) || plan.publishers == 0 {
        return None;
    }
    let filling = |role, index| {
        let group = plan.group(role, index);
        let client_id = plan.client_id(role, index);
        let filling = group.filling(index, &client_id, plan.username());
        match role {
            Role::Publisher => group.topic.filled(filling),
            _ => group.subscription(&group.filter.filled(filling)),
        }
    };
    let mut filters: HashMap<String, u64> = HashMap::new();
    for index in plan.shard.slice(plan.all.subscribers) {
        let filter = filling(Role::Subscriber, index);
        let shared = filter.starts_with("$share/");
        let deliveries = filters.entry(filter).or_default();
        *deliveries = if shared { 1 } else { *deliveries + 1 };
    }
    if u64::from(plan.publishers) * filters.len() as u64 > 10_000_000 {
        return None;
    }
    let mut deliveries = 0;
    for index in plan.shard.slice(plan.all.publishers) {
        let topic = filling(Role::Publisher, index);
        for (filter, n) in &filters {
            let filter = match filter.strip_prefix("$share/") {
                Some(rest) => rest.split_once('/').map_or(rest, |(_, f)| f),
                None => filter,
            };
            if topic::matches(filter, &topic) {
                deliveries += n;
            }
        }
    }
    Some(deliveries as f64 / f64::from(plan.publishers))
}

/// Milliseconds as a person reads them: 412, 31.2, 1.24.
fn ms(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// "p99 31.2 ms, 0 lost", or, without subscribers, the publishers' lateness.
fn step_figures(step: &SearchStep) -> String {
    match (&step.latency_ms, &step.late_ms, step.lost) {
        (Some(latency), _, Some(lost)) => format!(
            "p99 {} ms, {} lost",
            ms(latency.p99),
            thousands(lost as f64)
        ),
        (Some(latency), _, None) => format!("p99 {} ms", ms(latency.p99)),
        (None, Some(late), _) => format!("publishers' p99 lateness {} ms", ms(late.p99)),
        (None, None, _) => "no message measured".into(),
    }
}

/// What failed at a step, as the answer names it.
fn failure(step: &SearchStep, plan: &BenchPlan) -> String {
    let p99 = step
        .latency_ms
        .as_ref()
        .or(step.late_ms.as_ref())
        .map(|p| p.p99);
    match step.verdict.as_str() {
        "p99" => match (p99, step.latency_ms.is_some() || plan.subscribers > 0) {
            (Some(p99), true) => format!("p99 was {} ms", ms(p99)),
            (Some(p99), false) => format!("the publishers' p99 lateness was {} ms", ms(p99)),
            (None, _) => "no message arrived after the settling time".into(),
        },
        "loss" => format!(
            "{} of {} deliveries were lost ({:.2}%)",
            thousands(step.lost.unwrap_or(0) as f64),
            thousands(step.expected.unwrap_or(0) as f64),
            step.loss_percent.unwrap_or(0.0)
        ),
        "backlog" if plan.subscribers > 0 => format!(
            "the broker fell behind by {} messages",
            thousands(step.backlog as f64)
        ),
        "backlog" => format!(
            "{} messages due were not sent: the broker did not take them",
            thousands(step.backlog as f64)
        ),
        _ => "mqtk was the limit".into(),
    }
}

/// The one line that answers the search.
fn answer_line(
    steps: &[SearchStep],
    ended: Ended,
    passed: Option<f64>,
    plan: &BenchPlan,
    cores: usize,
) -> String {
    let best = passed.and_then(|rate| steps.iter().rev().find(|s| s.passed && s.rate == rate));
    let sustained = best.map(|s| {
        format!(
            "sustainable: {} msg/s ({})",
            thousands(s.rate),
            step_figures(s)
        )
    });
    let above = passed.map_or(0.0, |p| p);
    let first_failure = steps
        .iter()
        .filter(|s| !s.passed && s.rate > above)
        .min_by(|a, b| a.rate.total_cmp(&b.rate));
    let at_failure =
        |s: &SearchStep| format!("at {} msg/s {}", thousands(s.rate), failure(s, plan));
    match ended {
        Ended::Mqtk => {
            let last = steps.last();
            let share = match last.and_then(|s| s.cpu_share) {
                Some(share) if share > SATURATED => format!(
                    " (it kept {:.0}% of {} busy)",
                    share * 100.0,
                    plural(cores as u64, "core")
                ),
                _ => last.map_or(String::new(), |s| {
                    format!(" (its scheduler ran {} ms late)", ms(s.woke_late_ms))
                }),
            };
            let rate = last.map_or(String::new(), |s| {
                format!(" at {} msg/s", thousands(s.rate))
            });
            let so_far = match &sustained {
                Some(line) => format!("; {line} so far"),
                None => String::new(),
            };
            format!(
                "mqtk was the limit{rate}{share}, not the broker: the answer would be mqtk's{so_far}; \
                 make the load with more processes (--shard) or more cores"
            )
        }
        Ended::NoStepPassed => match first_failure.or(steps.last()) {
            Some(step) => format!(
                "no rate passed: down to {} msg/s; {}",
                thousands(steps.iter().map(|s| s.rate).fold(f64::MAX, f64::min)),
                at_failure(step)
            ),
            None => "no rate passed".into(),
        },
        Ended::Interrupted => match sustained {
            Some(line) => format!("interrupted; {line} so far"),
            None => "interrupted before a step passed".into(),
        },
        Ended::MaxRate => format!(
            "{}, the --max-rate: higher rates were not tried",
            sustained.unwrap_or_default()
        ),
        Ended::Broker | Ended::Steps => {
            let mut line = sustained.unwrap_or_else(|| "no rate passed".into());
            if let Some(step) = first_failure {
                line.push_str("; ");
                line.push_str(&at_failure(step));
            }
            if ended == Ended::Steps {
                line.push_str(&format!(" (the search stopped after {MAX_STEPS} steps)"));
            }
            line
        }
    }
}

/// The exit status of a search: 0 when it found an answer (the broker's
/// limit bracketed, or --max-rate passed), 1 otherwise.
pub fn answered(search: &Search) -> bool {
    search.answer_per_s.is_some()
        && matches!(search.ended_by.as_str(), "broker" | "max-rate" | "steps")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::bench::plan::tests::plan;

    #[test]
    fn rates_double_until_a_step_fails_then_the_gap_is_halved() {
        assert_eq!(next_rate(None, None, 1000.0, None), Ok(1000.0));
        assert_eq!(next_rate(Some(1000.0), None, 1000.0, None), Ok(2000.0));
        assert_eq!(
            next_rate(Some(4000.0), Some(8000.0), 1000.0, None),
            Ok(6000.0)
        );
        assert_eq!(
            next_rate(Some(6000.0), Some(6200.0), 1000.0, None),
            Err(Ended::Broker)
        );
        assert_eq!(next_rate(None, Some(1000.0), 1000.0, None), Ok(500.0));
        assert_eq!(
            next_rate(None, Some(62.5), 1000.0, None),
            Err(Ended::NoStepPassed)
        );
        assert_eq!(
            next_rate(Some(1000.0), None, 1000.0, Some(1500.0)),
            Ok(1500.0)
        );
        assert_eq!(
            next_rate(Some(1500.0), None, 1000.0, Some(1500.0)),
            Err(Ended::MaxRate)
        );
    }

    #[test]
    fn a_step_has_its_rate_times_its_length_due() {
        assert_eq!(due(1000.0, 10, Duration::from_secs(1)), 1000);
        assert_eq!(due(1000.0, 1, Duration::from_millis(300)), 300);
        assert_eq!(due(10.0, 100, Duration::from_secs(1)), 10);
    }

    #[test]
    fn fan_out_counts_the_subscriptions_each_message_meets() {
        assert_eq!(fan_out(&plan("-c 4").unwrap()), Some(1.0));
        assert_eq!(
            fan_out(&plan("-c 4 -S 2 -T mqtk-bench/#").unwrap()),
            Some(2.0)
        );
        assert_eq!(
            fan_out(&plan("-c 4 -S 3 -T $share/g/mqtk-bench/#").unwrap()),
            Some(1.0)
        );
        assert_eq!(fan_out(&plan("pub -c 4").unwrap()), Some(0.0));
        assert_eq!(fan_out(&plan("-c 4 -t a/%s -T a/#").unwrap()), None);
    }
}
