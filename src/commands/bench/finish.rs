//! The end of a run: its [`Report`] made from what the connections counted,
//! with the warnings when mqtk itself may have been the limit, and the exit
//! status the gates (--max-loss, --max-p99, a connection lost) give.

use std::io::Write;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::header::HEADER_LEN;
use super::histograms::Histograms;
use super::live::thousands;
use super::outcome::Totals;
use super::plan::{self, BenchPlan, Group, Role};
use super::report::Search;
use super::report::{
    encode, Connections, EncodedHistograms, Figure, Generator, GroupFigures, Messages,
    OfflineFigures, Pace, Percentiles, Report, Settings, Shard, ShareFigures, SubChurnFigures,
    Throughput, TlsFigures, FORMAT_VERSION,
};
use super::search;
use super::summary::plural;
use crate::cli::exit;
use crate::codec::QoS;
use crate::commands::json_ms;

/// How the failure of a connection that was up begins.
pub const LOST: &str = "lost: ";

/// Share of the cores above which mqtk, not the broker, may be the limit.
pub const SATURATED: f64 = 0.9;

/// Subscribers that received this share of what the publishers sent per
/// second, or less, fell behind: the broker queued.
const FLOODED: f64 = 0.95;

/// ... and were still receiving this long after the publishers stopped.
const FLOODED_TAIL: Duration = Duration::from_millis(100);

/// Lateness (99th percentile) past which the schedule was not kept.
const LATE: Duration = Duration::from_millis(10);

/// When the run's phases began and ended.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Until every connection was up (or had failed).
    pub connecting: Duration,
    /// From the end of the warm-up to the end of publishing.
    pub measured: Duration,
    /// The end of the warm-up, in nanoseconds since the epoch.
    pub measured_from_ns: u64,
    pub started_ns: u64,
    pub ended_ns: u64,
    /// User and system CPU mqtk spent, where the platform tells.
    pub cpu: Option<Duration>,
    pub interrupted: bool,
}

/// Everything a finished run measured, to be reported.
pub struct Finished {
    plan: BenchPlan,
    totals: Totals,
    histograms: Histograms,
    timing: Timing,
    /// The cores mqtk could use: all of them, or --threads.
    cores: usize,
    /// --find-max's search.
    search: Option<Search>,
    /// --load: what each group counted and recorded, in the plan's order.
    groups: Vec<(Totals, Histograms)>,
}

/// The cores mqtk can use for `plan`: all of them, or --threads.
pub fn cores(plan: &BenchPlan) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(plan.threads.map_or(usize::MAX, usize::from))
}

impl Finished {
    pub fn new(plan: BenchPlan, totals: Totals, histograms: Histograms, timing: Timing) -> Self {
        Finished {
            cores: cores(&plan),
            plan,
            totals,
            histograms,
            timing,
            search: None,
            groups: Vec::new(),
        }
    }

    /// The run was of a load file's groups (--load), which counted and recorded this.
    pub fn with_groups(mut self, groups: Vec<(Totals, Histograms)>) -> Self {
        self.groups = groups;
        self
    }

    /// The run was a search (--find-max), which found this.
    pub fn with_search(mut self, search: Option<Search>) -> Self {
        self.search = search;
        self
    }

    /// Prints the report (and writes the JSON) and gives the exit code.
    pub fn finish(self) -> anyhow::Result<u8> {
        self.report().emit(self.plan.json.as_ref())?;
        if let Some(line) = self.flooded() {
            let _ = writeln!(std::io::stderr(), "mqtk bench: {line}");
        }
        if let Some(search) = &self.search {
            // The answer is the search's; a connection lost fails it too.
            let failed = self.lost_connections();
            if let Some(line) = &failed {
                let _ = writeln!(std::io::stderr(), "mqtk: {line}");
            }
            return Ok(match (search::answered(search), failed) {
                (true, None) => exit::SUCCESS,
                _ => exit::FAILURE,
            });
        }
        // One line, as for every error, however many gates failed.
        let failed = self.gates_failed();
        if failed.is_empty() {
            return Ok(exit::SUCCESS);
        }
        let _ = writeln!(std::io::stderr(), "mqtk: {}", failed.join("; "));
        Ok(exit::FAILURE)
    }

    pub fn report(&self) -> Report {
        let histograms = &self.histograms;
        Report {
            connecting_s: self.timing.connecting.as_secs_f64(),
            connections: self.connections(),
            ended_ns: self.timing.ended_ns,
            generator: self.generator(),
            groups: (!self.groups.is_empty()).then(|| self.group_figures()),
            histograms: self.encoded(histograms),
            interrupted: self.timing.interrupted,
            latency_ms: Percentiles::of(&histograms.latency),
            measured_s: self.timing.measured.as_secs_f64(),
            messages: self.messages(),
            mqtk: env!("CARGO_PKG_VERSION").into(),
            offline: self.offline(),
            scenario: match self.plan.load {
                Some(_) => "load".into(),
                None => self.plan.scenario.name().into(),
            },
            search: self.search.clone(),
            settings: settings(&self.plan),
            shards: None,
            share: self.share(),
            started_ns: self.timing.started_ns,
            sub_churn: self.sub_churn(),
            throughput: self.throughput(),
            version: FORMAT_VERSION,
        }
    }

    /// The histograms of the run, or of one of its groups, as the report
    /// keeps them: SUBACK times with --sub-churn, the TLS handshake and the
    /// CONNACK apart with TLS.
    fn encoded(&self, histograms: &Histograms) -> EncodedHistograms {
        let mut encoded = EncodedHistograms::of(
            &histograms.latency,
            &histograms.connect,
            &histograms.lateness,
        );
        if self.plan.sub_churn.is_some() {
            encoded.suback = encode(&histograms.suback);
        }
        if self.tls() {
            encoded.connack = encode(&histograms.connack);
            encoded.tls_handshake = encode(&histograms.tls_handshake);
        }
        encoded
    }

    /// --load: each group's settings and figures.
    fn group_figures(&self) -> Vec<GroupFigures> {
        let groups = self.plan.groups.iter().zip(&self.groups);
        (groups.map(|(group, (totals, histograms))| {
            let publishing = group.role == Role::Publisher;
            GroupFigures {
                connections: connections(totals, histograms, self.tls()),
                count: group.count.into(),
                filter: (group.role == Role::Subscriber)
                    .then(|| group.subscription(group.filter.text())),
                histograms: self.encoded(histograms),
                late_ms: Percentiles::of(&histograms.lateness),
                latency_ms: Percentiles::of(&histograms.latency),
                messages: self.messages_of(totals),
                name: group.name.clone(),
                pace: publishing.then(|| pace(group.pace)),
                qos: group.qos as u8,
                retain: group.retain,
                role: group.role.name().into(),
                size: publishing.then_some(group.size as u64),
                throughput: self.throughput_of(totals, group.size as f64),
                topic: publishing.then(|| group.topic.text().to_string()),
            }
        }))
        .collect()
    }

    fn share(&self) -> Option<ShareFigures> {
        let subscribers = self.plan.group_of(Role::Subscriber)?;
        let (group, share) = (subscribers.share.clone()?, self.totals.share.as_ref()?);
        Some(ShareFigures::of(
            group,
            share.members.clone(),
            share.unique,
            share.duplicated,
            share.expected,
        ))
    }

    fn offline(&self) -> Option<OfflineFigures> {
        let offline = self.plan.offline.as_ref()?;
        let gaps = &self.totals.gaps;
        let drain_ns = gaps.last_backlog_ns.saturating_sub(gaps.first_back_ns);
        let drain_s = if gaps.backlog > 0 {
            drain_ns as f64 / 1e9
        } else {
            0.0
        };
        Some(OfflineFigures {
            at_s: offline.at.as_secs_f64(),
            away_s: gaps.away.as_secs_f64(),
            backlog: gaps.backlog,
            drain_per_s: (drain_s > 0.0).then(|| gaps.backlog as f64 / drain_s),
            drain_s,
            duplicated: gaps.duplicates,
            duration_s: offline.duration.as_secs_f64(),
            lost: gaps.missed,
            outages: gaps.gaps,
            published: gaps.spanned,
            sessions_lost: gaps.sessions_lost,
        })
    }

    fn sub_churn(&self) -> Option<SubChurnFigures> {
        let rate = self.plan.sub_churn?;
        let gaps = &self.totals.gaps;
        Some(SubChurnFigures {
            cycles: gaps.gaps,
            missed_while_unsubscribed: self.totals.unsubscribed_missed,
            rate,
            suback_ms: Percentiles::of(&self.histograms.suback),
            unsubscribed_s: gaps.away.as_secs_f64(),
        })
    }

    fn connections(&self) -> Connections {
        connections(&self.totals, &self.histograms, self.tls())
    }

    /// Whether the connections were made over TLS.
    fn tls(&self) -> bool {
        self.plan.options.route.tls.is_some()
    }

    fn messages(&self) -> Messages {
        self.messages_of(&self.totals)
    }

    fn messages_of(&self, t: &Totals) -> Messages {
        Messages {
            acknowledged: t.acked,
            duplicated: t.duplicates,
            expected: t.expected,
            loss_percent: loss_percent(t),
            lost: t.lost,
            out_of_order: t.reordered,
            received: t.received,
            rejected: t.rejected,
            sent: t.sent,
        }
    }

    fn throughput(&self) -> Throughput {
        self.throughput_of(&self.totals, self.mean_size())
    }

    /// The mean payload size of the messages sent: the publishers' -s, or
    /// the groups' sizes weighed by what each sent (--load).
    fn mean_size(&self) -> f64 {
        let publishing = |(group, _): &(&Group, _)| group.role == Role::Publisher;
        let groups = self.plan.groups.iter().zip(&self.groups).filter(publishing);
        let (sent, bytes) = groups.fold((0, 0.0), |(sent, bytes), (group, (totals, _))| {
            (
                sent + totals.sent,
                bytes + totals.sent as f64 * group.size as f64,
            )
        });
        match self.plan.group_of(Role::Publisher) {
            _ if sent > 0 => bytes / sent as f64,
            Some(group) => group.size as f64,
            None => 0.0,
        }
    }

    fn throughput_of(&self, t: &Totals, size: f64) -> Throughput {
        let sent_per_s = self.per_second(measured(t.sent, t.sent_in_warmup));
        let acked_per_s = self.per_second(measured(t.acked, t.sent_in_warmup));
        let received_per_s = self.received_per_second(t, t.received_measured);
        let received_mb_per_s = self.received_per_second(t, t.bytes_measured) / 1e6;
        Throughput {
            acknowledged_per_s: Figure::Fraction(acked_per_s),
            received_mb_per_s: Figure::Fraction(received_mb_per_s),
            received_per_s: Figure::Fraction(received_per_s),
            sent_mb_per_s: Figure::Fraction(sent_per_s * size / 1e6),
            sent_per_s: Figure::Fraction(sent_per_s),
        }
    }

    fn generator(&self) -> Generator {
        Generator {
            cores: self.cores as u64,
            cpu_s: self.timing.cpu.map(|c| Figure::Fraction(c.as_secs_f64())),
            cpu_share: self.cpu_share(),
            late_ms: Percentiles::of(&self.histograms.lateness),
            warnings: self.warnings(),
        }
    }

    /// Sent per second, over the measured part of the run.
    fn per_second(&self, count: u64) -> f64 {
        count as f64 / self.timing.measured.as_secs_f64().max(1e-9)
    }

    /// Received per second, from the end of the warm-up to the last arrival:
    /// a broker that queues delivers at its own pace, after the publishers.
    fn received_per_second(&self, t: &Totals, count: u64) -> f64 {
        let span = t
            .last_arrival_ns
            .saturating_sub(self.timing.measured_from_ns);
        count as f64 / (span as f64 / 1e9).max(1e-9)
    }

    /// The share of all cores mqtk kept busy.
    fn cpu_share(&self) -> Option<f64> {
        let cpu = self.timing.cpu?;
        let wall = Duration::from_nanos(self.timing.ended_ns - self.timing.started_ns)
            + self.timing.connecting;
        Some(cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9) / self.cores as f64)
    }

    /// One line each that says when mqtk itself, not the broker, was the limit.
    fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Some(share) = self.cpu_share().filter(|&share| share > SATURATED) {
            warnings.push(format!(
                "mqtk used {:.0}% of {}: the figures may measure mqtk, not the broker",
                share * 100.0,
                plural(self.cores as u64, "core")
            ));
        }
        let lateness = &self.histograms.lateness;
        let late = Duration::from_nanos(lateness.value_at_percentile(99.0));
        // A search's steps say how late each was; some steps fail on purpose.
        if !lateness.is_empty() && late > LATE && self.search.is_none() {
            warnings.push(format!(
                "publishers fell behind their schedule (p99 {} ms late): the rate was not held; \
                 the broker's acknowledgements or mqtk's CPU held them back",
                json_ms(late)
            ));
        }
        if self.timing.interrupted {
            warnings.push("interrupted: the figures cover the run until Ctrl-C".into());
        }
        warnings
    }

    /// The line that names a flooded broker: a run without a rate whose
    /// subscribers received (until the last arrival) a few percent less per
    /// second than the publishers sent, deliveries per message counted.
    pub fn flooded(&self) -> Option<String> {
        let t = &self.totals;
        // Subscribers away on purpose (--offline, --sub-churn) trail by design.
        let away = self.plan.offline.is_some() || self.plan.sub_churn.is_some();
        let paced = (self.plan.groups.iter())
            .any(|g| g.role == Role::Publisher && g.count > 0 && g.pace != plan::Pace::Unpaced);
        if paced || self.search.is_some() || away || t.sent == 0 {
            return None;
        }
        let fan_out = t.expected? as f64 / t.sent as f64;
        let owed = self.per_second(measured(t.sent, t.sent_in_warmup)) * fan_out;
        let received = self.received_per_second(t, t.received_measured);
        // The queue's tail after the publishers, not a short run's last message.
        let receiving = t
            .last_arrival_ns
            .saturating_sub(self.timing.measured_from_ns);
        let tail = Duration::from_nanos(receiving).saturating_sub(self.timing.measured);
        (owed > 0.0 && received < owed * FLOODED && tail > FLOODED_TAIL).then(|| {
            format!(
                "the broker was the bottleneck: subscribers received {} msg/s of the {} msg/s \
                 the publishers sent them, so the latency measures its queue; \
                 try a rate below that with -R, or --find-max",
                thousands(received),
                thousands(owed)
            )
        })
    }

    /// The gates the run did not pass, each as one line. A connection lost
    /// during the run fails it too: the load was not what was asked for. A
    /// load file's groups pass their own gates (and the flags') as well.
    fn gates_failed(&self) -> Vec<String> {
        let mut failed = Vec::new();
        failed.extend(self.lost_connections());
        let total = Gate {
            max_loss: self.plan.max_loss,
            max_p99: self.plan.max_p99,
        };
        failed.extend(total.failed(&self.totals, &self.histograms.latency));
        // What a subscriber group is sent at QoS 1/2 and takes at QoS 1/2 may not be lost.
        let publishers = (self.plan.groups.iter()).filter(|g| g.role == Role::Publisher);
        let sent_lossless = plan::lossless(publishers);
        for (group, (totals, histograms)) in self.plan.groups.iter().zip(&self.groups) {
            let lossless = sent_lossless && group.qos != QoS::AtMostOnce;
            let gate = Gate {
                max_loss: (group.max_loss.or(self.plan.max_loss))
                    .or(lossless.then_some(0.0))
                    .filter(|_| group.role == Role::Subscriber),
                max_p99: group.max_p99.or(self.plan.max_p99),
            };
            let named = |line: String| format!("group {}: {line}", group.name);
            failed.extend(gate.failed(totals, &histograms.latency).map(named));
        }
        failed
    }

    /// "3 connections were lost during the run (the first reason)".
    fn lost_connections(&self) -> Option<String> {
        let lost: Vec<(&str, u64)> = (self.totals.failures.iter())
            .filter_map(|(reason, &n)| Some((reason.strip_prefix(LOST)?, n)))
            .collect();
        let (first, _) = lost.first()?;
        let count: u64 = lost.iter().map(|(_, n)| n).sum();
        Some(format!(
            "{count} connection{} lost during the run ({first})",
            if count == 1 { " was" } else { "s were" },
        ))
    }
}

/// --max-loss and --max-p99, of the run or of one group.
struct Gate {
    max_loss: Option<f64>,
    max_p99: Option<Duration>,
}

impl Gate {
    /// A line for each gate that what was counted and recorded did not pass.
    fn failed(&self, t: &Totals, latency: &Histogram<u64>) -> impl Iterator<Item = String> {
        let mut failed = Vec::new();
        if let (Some(max), Some(loss)) = (self.max_loss, loss_percent(t)) {
            if loss > max {
                failed.push(format!(
                    "{} of {} deliveries lost ({loss:.3}%), more than --max-loss {max}%",
                    t.lost.unwrap_or(0),
                    t.expected.unwrap_or(0)
                ));
            }
        }
        let p99 = Duration::from_nanos(latency.value_at_percentile(99.0));
        if let Some(max) = self.max_p99.filter(|&max| !latency.is_empty() && p99 > max) {
            failed.push(format!(
                "p99 latency {} ms is more than --max-p99 {} ms",
                json_ms(p99),
                json_ms(max)
            ));
        }
        failed.into_iter()
    }
}

/// The settings as the report gives them. A load file's are of its groups
/// together: the highest QoS, the largest payloads, the rates added up
/// (unpaced when a group is), retained when a group retains.
fn settings(plan: &BenchPlan) -> Settings {
    let publishing: Vec<&Group> = (plan.groups.iter())
        .filter(|g| g.role == Role::Publisher)
        .collect();
    let rates: Option<Vec<f64>> = publishing.iter().map(|g| g.rate()).collect();
    let pace = match (&publishing[..], rates) {
        ([group], _) => pace(group.pace),
        (_, Some(rates)) => Pace::Rate(rates.iter().sum()),
        (_, None) => Pace::Unpaced,
    };
    Settings {
        connections: plan.idle.into(),
        count: plan.count,
        duration_s: plan.duration.map(|d| d.as_secs_f64()),
        load: plan.load.as_ref().map(|path| path.display().to_string()),
        pace,
        publishers: plan.publishers.into(),
        qos: plan.qos as u8,
        retain: publishing.iter().any(|g| g.retain),
        shard: Some(Shard {
            count: plan.shard.count,
            index: plan.shard.index,
        }),
        size: (publishing.iter().map(|g| g.size as u64).max()).unwrap_or(HEADER_LEN as u64),
        start_at: plan.start_at.map(|at| at.to_string()),
        subscribers: plan.subscribers.into(),
        warmup_s: plan.warmup.as_secs_f64(),
    }
}

/// A group's pace as the report gives it.
fn pace(pace: plan::Pace) -> Pace {
    match pace {
        plan::Pace::Rate(rate) => Pace::Rate(rate),
        plan::Pace::Interval(interval) => Pace::IntervalMs(json_ms(interval)),
        plan::Pace::Unpaced => Pace::Unpaced,
    }
}

/// What the connections of `t` (the run's, or a group's) did, and with
/// `tls` what their TLS handshakes took.
fn connections(t: &Totals, histograms: &Histograms, tls: bool) -> Connections {
    Connections {
        attempted: t.attempted,
        connect_ms: Percentiles::of(&histograms.connect),
        failed: t.failures.values().sum(),
        failures: t.failures.clone(),
        longest_offline_s: t.longest_offline.as_secs_f64(),
        offline_s: Figure::Fraction(t.offline.as_secs_f64()),
        reconnected: t.reconnected,
        reconnects: t.reconnects,
        tls: tls.then(|| TlsFigures {
            connack_ms: Percentiles::of(&histograms.connack),
            handshake_ms: Percentiles::of(&histograms.tls_handshake),
            handshakes: t.tls_handshakes,
            resumed: t.tls_resumed,
        }),
        up: t.connected,
    }
}

/// The percentage of the expected deliveries lost, where known.
fn loss_percent(t: &Totals) -> Option<f64> {
    let (expected, lost) = (t.expected?, t.lost?);
    Some(if expected == 0 {
        0.0
    } else {
        lost as f64 * 100.0 / expected as f64
    })
}

/// A count without what the warm-up took: acknowledgements come in the
/// order of the messages, so the first ones are the warm-up's too.
fn measured(count: u64, in_warmup: u64) -> u64 {
    count.saturating_sub(in_warmup)
}

/// User and system CPU time of this process so far, all its threads.
#[cfg(unix)]
pub fn cpu_time() -> Option<Duration> {
    use rustix::time::{clock_gettime, ClockId};
    let spent = clock_gettime(ClockId::ProcessCPUTime);
    Some(Duration::new(
        u64::try_from(spent.tv_sec).ok()?,
        u32::try_from(spent.tv_nsec).ok()?,
    ))
}

#[cfg(not(unix))]
pub fn cpu_time() -> Option<Duration> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::bench::plan::tests::plan;

    /// A run of `mqtk bench ARGS` that lost `lost` of 100 deliveries, two
    /// connections midway, and whose latencies were all 10 ms.
    fn finished(args: &str, lost: u64) -> Finished {
        let mut totals = Totals {
            sent: 100,
            acked: 100,
            received: 100 - lost,
            expected: Some(100),
            lost: Some(lost),
            ..Totals::default()
        };
        totals.failures.insert(format!("{LOST}connection reset"), 2);
        totals.failures.insert("refused".into(), 1);
        let mut histograms = Histograms::new();
        for _ in 0..100 {
            histograms.latency.record(10_000_000).unwrap();
        }
        let timing = Timing {
            connecting: Duration::from_millis(10),
            measured: Duration::from_secs(1),
            measured_from_ns: 1_000_000_000,
            started_ns: 1_000_000_000,
            ended_ns: 2_000_000_000,
            cpu: Some(Duration::from_millis(100)),
            interrupted: false,
        };
        Finished::new(plan(args).unwrap(), totals, histograms, timing)
    }

    #[test]
    fn every_gate_that_failed_is_named() {
        let failed = finished("-q 1 --max-p99 5", 3).gates_failed();
        assert_eq!(failed.len(), 3, "{failed:?}");
        assert_eq!(
            failed[0],
            "2 connections were lost during the run (connection reset)"
        );
        assert_eq!(
            failed[1],
            "3 of 100 deliveries lost (3.000%), more than --max-loss 0%"
        );
        assert!(failed[2].starts_with("p99 latency 10.0"), "{failed:?}");
        assert!(
            failed[2].ends_with(" ms is more than --max-p99 5 ms"),
            "{failed:?}"
        );
    }

    #[test]
    fn at_qos_0_loss_passes_unless_a_maximum_is_given() {
        let gates = |args| finished(args, 3).gates_failed();
        assert_eq!(gates("-q 0").len(), 1);
        assert_eq!(gates("-q 0 --max-loss 5").len(), 1);
        assert_eq!(gates("-q 0 --max-loss 2").len(), 2);
    }

    #[test]
    fn a_run_reports_what_it_counted_and_reads_back_as_written() {
        let report = finished("-c 2 -R 100 -s 64 --shard 1/2", 3).report();
        assert_eq!(report.messages.loss_percent, Some(3.0));
        assert_eq!(report.connections.failed, 3);
        assert_eq!(report.settings.pace, Pace::Rate(100.0));
        assert_eq!(report.settings.shard, Some(Shard { count: 2, index: 1 }));
        assert_eq!(report.throughput.sent_per_s, Figure::Fraction(100.0));
        assert_eq!(report.latency_ms.as_ref().map(|l| l.count), Some(100));
        let json = report.to_json().unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, report);
        assert_eq!(back.to_json().unwrap(), json);
    }

    #[test]
    fn a_broker_is_named_flooded_when_subscribers_trail_unpaced_publishers() {
        let flooded = |args: &str, arrival_s: f64| {
            let mut run = finished(args, 0);
            run.totals.received_measured = 100;
            run.totals.last_arrival_ns = 1_000_000_000 + (arrival_s * 1e9) as u64;
            run.flooded()
        };
        let line = flooded("-c 1", 2.0).unwrap();
        assert!(
            line.starts_with(
                "the broker was the bottleneck: subscribers received 50 msg/s of the 100 msg/s"
            ),
            "{line}"
        );
        assert_eq!(flooded("-c 1", 1.02), None, "the last message's way");
        assert_eq!(flooded("-c 1 -R 100", 2.0), None, "a paced run");
        assert_eq!(flooded("-c 1 --offline 1s", 2.0), None, "subscribers away");
    }

    #[test]
    fn a_search_is_in_the_report_and_reads_back_and_its_answer_is_the_exit_status() {
        let step = |rate: f64, passed: bool| crate::commands::bench::report::SearchStep {
            backlog: 0,
            cpu_share: Some(0.1),
            due: 100,
            expected: Some(100),
            late_ms: None,
            latency_ms: None,
            loss_percent: Some(0.0),
            lost: Some(0),
            passed,
            rate,
            received: 100,
            sent: 100,
            verdict: if passed { "ok" } else { "p99" }.into(),
            woke_late_ms: 0.5,
        };
        let search = Search {
            answer_per_s: Some(1000.0),
            ended_by: "broker".into(),
            line: "sustainable: 1,000 msg/s".into(),
            max_loss_percent: 0.0,
            settle_s: 1.0,
            step_s: 5.0,
            steps: vec![step(1000.0, true), step(2000.0, false)],
            target_p99_ms: 50.0,
        };
        let run = finished("--find-max", 0).with_search(Some(search.clone()));
        let report = run.report();
        assert_eq!(report.search.as_ref(), Some(&search));
        let json = report.to_json().unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back.to_json().unwrap(), json);
        let mut printed = Vec::new();
        crate::commands::bench::summary::print(&report, &mut printed).unwrap();
        let printed = String::from_utf8(printed).unwrap();
        assert!(printed.ends_with("sustainable: 1,000 msg/s\n"), "{printed}");
        assert!(printed.contains("         2,000 "), "{printed}");
        assert!(search::answered(&search));
        let nothing = Search {
            answer_per_s: None,
            ended_by: "no-step-passed".into(),
            ..search
        };
        assert!(!search::answered(&nothing));
    }

    #[test]
    fn cpu_time_is_measured() {
        let before = cpu_time().unwrap();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(cpu_time().unwrap() > before);
    }
}
