//! The report, typed: what `--json` writes, what the summary prints and what
//! `bench merge` reads back and adds up. One [`Report`] for a run and for
//! shards merged, so that the two print alike and merge alike.
//!
//! The JSON is format version 1, as mqtk has always written it: every
//! struct's fields are in the order of its keys there (alphabetical), numbers
//! keep their form (12.0 or 12, see [`Figure`]), and absent values are
//! `null`, so that a report reads and writes back byte for byte.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;
use hdrhistogram::serialization::{Serializer, V2Serializer};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::summary;
use crate::commands::json_ms;

/// The version of the JSON report's format.
pub const FORMAT_VERSION: u32 = 1;

/// A run's report, or the report of shards merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Until every connection was up (or had failed), in seconds.
    pub connecting_s: f64,
    pub connections: Connections,
    /// The load's end, in nanoseconds since the Unix epoch.
    pub ended_ns: u64,
    pub generator: Generator,
    /// --load: each group's settings and figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<GroupFigures>>,
    pub histograms: EncodedHistograms,
    /// Ended by Ctrl-C.
    pub interrupted: bool,
    pub latency_ms: Option<Percentiles>,
    /// From the end of the warm-up to the end of publishing, in seconds.
    pub measured_s: f64,
    pub messages: Messages,
    /// The version of mqtk that wrote the report.
    pub mqtk: String,
    /// --offline: the subscribers' outage and the backlog they drained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline: Option<OfflineFigures>,
    pub scenario: String,
    /// --find-max: the search, step by step, and its answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<Search>,
    pub settings: Settings,
    /// A merged report's rows: each shard's own figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<Vec<ShardRow>>,
    /// --share: the shared subscription's members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<ShareFigures>,
    /// The load's start, in nanoseconds since the Unix epoch.
    pub started_ns: u64,
    /// --sub-churn: the unsubscribe-subscribe cycles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_churn: Option<SubChurnFigures>,
    pub throughput: Throughput,
    pub version: u32,
}

/// A load file's group (--load): what it was asked to do, and its own
/// figures. A subscriber group's loss is of what every publisher sent to its
/// subscriptions; a publisher group's latency is seen by the subscribers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupFigures {
    pub connections: Connections,
    /// Its connections, across all shards.
    pub count: u64,
    /// Subscribers: the filter template, `$share/GROUP/` first when shared.
    pub filter: Option<String>,
    /// Its latency (subscribers), lateness (publishers) and connect times.
    pub histograms: EncodedHistograms,
    pub late_ms: Option<Percentiles>,
    pub latency_ms: Option<Percentiles>,
    pub messages: Messages,
    pub name: String,
    /// Publishers: their pace, topic template, payload size and retain flag.
    pub pace: Option<Pace>,
    pub qos: u8,
    pub retain: bool,
    /// `publishers`, `subscribers` or `connections`.
    pub role: String,
    pub size: Option<u64>,
    pub throughput: Throughput,
    pub topic: Option<String>,
}

/// What --find-max found: the answer, why the search ended, every step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Search {
    /// The highest rate that passed, in messages per second in all.
    pub answer_per_s: Option<f64>,
    /// Why the search ended: `broker` (its limit bracketed), `max-rate`
    /// (passed at --max-rate), `mqtk` (the generator was the limit),
    /// `no-step-passed`, `steps` (the most steps), `interrupted`.
    pub ended_by: String,
    /// The answer as the one line the summary ends with.
    pub line: String,
    pub max_loss_percent: f64,
    pub settle_s: f64,
    pub step_s: f64,
    pub steps: Vec<SearchStep>,
    pub target_p99_ms: f64,
}

/// One step of --find-max, measured apart: the counts over the whole step,
/// the percentiles over its part after the settling time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchStep {
    /// Messages not sent by the step's end, and (with subscribers) sent but
    /// not yet received then.
    pub backlog: u64,
    /// The share of its cores mqtk kept busy during the step.
    pub cpu_share: Option<f64>,
    /// Messages the schedule had due in the step.
    pub due: u64,
    /// Deliveries the subscribers should have had; `None` without
    /// subscribers, or when topics vary per message.
    pub expected: Option<u64>,
    /// How late publishers sent, after the settling time.
    pub late_ms: Option<Percentiles>,
    /// From the due time to the arrival, of the messages due after the
    /// settling time; `None` without subscribers.
    pub latency_ms: Option<Percentiles>,
    pub loss_percent: Option<f64>,
    pub lost: Option<u64>,
    pub passed: bool,
    /// The rate asked for, in messages per second in all.
    pub rate: f64,
    pub received: u64,
    pub sent: u64,
    /// `ok`, or what failed: `p99`, `loss`, `backlog`, `mqtk`.
    pub verdict: String,
    /// How late mqtk's scheduler woke the search at the step's end.
    pub woke_late_ms: f64,
}

/// The load that was asked for (of this process, or of all merged shards).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Idle connections (conn).
    pub connections: u64,
    /// Messages per publisher.
    pub count: Option<u64>,
    pub duration_s: Option<f64>,
    /// --load: the load file, as named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<String>,
    pub pace: Pace,
    pub publishers: u64,
    pub qos: u8,
    pub retain: bool,
    /// `None` for a run that was not a shard, and for a merge of shards.
    pub shard: Option<Shard>,
    pub size: u64,
    pub start_at: Option<String>,
    pub subscribers: u64,
    pub warmup_s: f64,
}

/// How publishers were paced: `{"rate": R}`, `{"interval_ms": I}` or `"unpaced"`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    /// Messages per second across all publishers (of all shards).
    Rate(f64),
    /// Milliseconds between two messages of one publisher.
    IntervalMs(f64),
    Unpaced,
}

/// Which slice of a load a run made (`--shard I/N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub count: u32,
    pub index: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connections {
    pub attempted: u64,
    pub connect_ms: Option<Percentiles>,
    pub failed: u64,
    /// Failed connects and connections lost, by reason.
    pub failures: BTreeMap<String, u64>,
    pub longest_offline_s: f64,
    pub offline_s: Figure,
    /// Connections that were lost and made again (--reconnect), and how often.
    pub reconnected: u64,
    pub reconnects: u64,
    /// With TLS: its handshakes, and `connect_ms` told apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsFigures>,
    pub up: u64,
}

/// The TLS handshakes, and a connect's time split in two: `connect_ms` runs
/// from starting to connect to the CONNACK, the TCP and TLS handshakes and
/// CONNECT to CONNACK in one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TlsFigures {
    /// From CONNECT sent to the CONNACK, after the TLS handshake.
    pub connack_ms: Option<Percentiles>,
    /// From TCP connected to TLS established.
    pub handshake_ms: Option<Percentiles>,
    /// Connects and reconnects, each one handshake.
    pub handshakes: u64,
    /// Of `handshakes`, those that resumed an earlier one's session (from a
    /// ticket), no certificate sent.
    pub resumed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Messages {
    pub acknowledged: u64,
    pub duplicated: u64,
    /// `None` when topics vary per message, as `lost` and `loss_percent`.
    pub expected: Option<u64>,
    pub loss_percent: Option<f64>,
    pub lost: Option<u64>,
    pub out_of_order: u64,
    pub received: u64,
    /// Acknowledged with an error reason code.
    pub rejected: u64,
    pub sent: u64,
}

/// Rates over the measured part of the run (received: until the last arrival).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    pub acknowledged_per_s: Figure,
    pub received_mb_per_s: Figure,
    pub received_per_s: Figure,
    pub sent_mb_per_s: Figure,
    pub sent_per_s: Figure,
}

/// --share: how the group's messages were spread over its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareFigures {
    /// Messages that reached more than one member (once per extra member).
    pub duplicated_across_members: u64,
    /// Messages the publishers sent to the group (each should reach one member).
    pub expected: Option<u64>,
    pub group: String,
    /// `expected` less `unique`.
    pub lost: Option<u64>,
    /// Messages per member: the most, the mean, the fewest, the standard deviation.
    pub max: u64,
    pub mean: f64,
    pub members: u64,
    pub min: u64,
    /// Messages each member received (each once), in the order of the members.
    pub per_member: Vec<u64>,
    pub stddev: f64,
    /// Messages any member received, each once.
    pub unique: u64,
}

/// --offline: the subscribers' outage, and what the broker held for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfflineFigures {
    /// When the subscribers left, into the load, and for how long.
    pub at_s: f64,
    /// Time away, all subscribers together.
    pub away_s: f64,
    /// Messages delivered after the return that were due before it: the backlog the broker queued.
    pub backlog: u64,
    /// The backlog over the time from the first return to its last message.
    pub drain_per_s: Option<f64>,
    pub drain_s: f64,
    /// Duplicates after the return.
    pub duplicated: u64,
    pub duration_s: f64,
    /// Of `published`, what never arrived.
    pub lost: u64,
    /// Subscribers that left (and came back).
    pub outages: u64,
    /// Messages published around the outages, from the last each subscriber
    /// saw before leaving to the first due after its return.
    pub published: u64,
    /// Returns to a session the broker had not kept.
    pub sessions_lost: u64,
}

/// --sub-churn: the unsubscribe-subscribe cycles and what they cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubChurnFigures {
    pub cycles: u64,
    /// Messages published while a subscriber was unsubscribed that did not
    /// reach it: expected missing, left out of `messages.expected`.
    pub missed_while_unsubscribed: u64,
    /// Cycles per second asked for, all subscribers together.
    pub rate: f64,
    /// From SUBSCRIBE to SUBACK.
    pub suback_ms: Option<Percentiles>,
    /// Time unsubscribed (UNSUBSCRIBE to SUBACK), all subscribers together.
    pub unsubscribed_s: f64,
}

impl ShareFigures {
    /// The figures of a group whose members received `per_member`.
    pub fn of(
        group: String,
        per_member: Vec<u64>,
        unique: u64,
        duplicated: u64,
        expected: Option<u64>,
    ) -> ShareFigures {
        let n = per_member.len().max(1) as f64;
        let mean = per_member.iter().sum::<u64>() as f64 / n;
        let variance = per_member
            .iter()
            .map(|&c| (c as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        ShareFigures {
            duplicated_across_members: duplicated,
            expected,
            group,
            lost: expected.map(|e| e.saturating_sub(unique)),
            max: per_member.iter().copied().max().unwrap_or(0),
            mean,
            members: per_member.len() as u64,
            min: per_member.iter().copied().min().unwrap_or(0),
            per_member,
            stddev: variance.sqrt(),
            unique,
        }
    }
}

/// What the run cost mqtk itself, and when mqtk may have been the limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generator {
    pub cores: u64,
    pub cpu_s: Option<Figure>,
    /// The share of all cores mqtk kept busy.
    pub cpu_share: Option<f64>,
    /// How late publishers sent their messages.
    pub late_ms: Option<Percentiles>,
    pub warnings: Vec<String>,
}

/// The run's HDR histograms, in nanoseconds, each the standard V2
/// encoding in base64: what merging and comparing runs need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncodedHistograms {
    /// With TLS: CONNECT to CONNACK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connack: Option<String>,
    pub connect: Option<String>,
    pub encoding: String,
    pub latency: Option<String>,
    pub lateness: Option<String>,
    /// --sub-churn: SUBSCRIBE to SUBACK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suback: Option<String>,
    /// With TLS: TCP connected to TLS established.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_handshake: Option<String>,
    pub unit: String,
}

/// One shard's row of a merged report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardRow {
    pub ended_ns: u64,
    pub latency_ms: Option<Percentiles>,
    pub messages: Messages,
    /// The file the shard's report was read from.
    pub report: String,
    pub shard: Option<Shard>,
    pub started_ns: u64,
    pub throughput: Throughput,
}

/// Percentiles of a histogram, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub max: f64,
    pub mean: f64,
    pub min: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    #[serde(rename = "p99.9")]
    pub p99_9: f64,
    #[serde(rename = "p99.99")]
    pub p99_99: f64,
}

/// A figure `bench merge` adds up. A run writes it as the fraction it is
/// (0.0, 400.25); a merge writes a whole sum as a whole number (0, 800), as
/// it always has. Either reads back as it was written.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Figure {
    Whole(i64),
    Fraction(f64),
}

impl Figure {
    pub fn value(self) -> f64 {
        match self {
            Figure::Whole(n) => n as f64,
            Figure::Fraction(x) => x,
        }
    }

    /// The sum of `values`, whole when it is.
    pub fn sum(values: impl Iterator<Item = f64>) -> Figure {
        let sum: f64 = values.sum();
        if sum.fract() == 0.0 && sum.abs() < 9e15 {
            Figure::Whole(sum as i64)
        } else {
            Figure::Fraction(sum)
        }
    }
}

impl Percentiles {
    /// The percentiles the report gives, by the names it gives them.
    pub fn named(&self) -> [(&'static str, f64); 5] {
        [
            ("p50", self.p50),
            ("p90", self.p90),
            ("p99", self.p99),
            ("p99.9", self.p99_9),
            ("p99.99", self.p99_99),
        ]
    }

    /// The percentiles of `histogram` (in nanoseconds); `None` when it is empty.
    pub fn of(histogram: &Histogram<u64>) -> Option<Percentiles> {
        if histogram.is_empty() {
            return None;
        }
        let ms = |ns: u64| json_ms(Duration::from_nanos(ns));
        let at = |percentile: f64| ms(histogram.value_at_percentile(percentile));
        Some(Percentiles {
            count: histogram.len(),
            max: ms(histogram.max()),
            mean: histogram.mean() / 1e6,
            min: ms(histogram.min()),
            p50: at(50.0),
            p90: at(90.0),
            p99: at(99.0),
            p99_9: at(99.9),
            p99_99: at(99.99),
        })
    }
}

impl EncodedHistograms {
    pub fn of(
        latency: &Histogram<u64>,
        connect: &Histogram<u64>,
        lateness: &Histogram<u64>,
    ) -> Self {
        EncodedHistograms {
            connack: None,
            connect: encode(connect),
            encoding: "HdrHistogram V2, base64".into(),
            latency: encode(latency),
            lateness: encode(lateness),
            suback: None,
            tls_handshake: None,
            unit: "ns".into(),
        }
    }
}

/// A histogram in the standard HdrHistogram V2 encoding, base64.
pub fn encode(histogram: &Histogram<u64>) -> Option<String> {
    let mut bytes = Vec::new();
    V2Serializer::new().serialize(histogram, &mut bytes).ok()?;
    Some(base64::engine::general_purpose::STANDARD.encode(bytes))
}

impl Report {
    /// The report as the JSON `--json` writes.
    pub fn to_json(&self) -> serde_json::Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }

    /// Reads a report `--json` wrote.
    pub fn read(path: &Path) -> anyhow::Result<Report> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the report {}", path.display()))?;
        let not_a_report = || format!("{} is not a JSON report of mqtk bench", path.display());
        let json: serde_json::Value = serde_json::from_str(&text).with_context(not_a_report)?;
        if json["version"] != FORMAT_VERSION {
            anyhow::bail!(
                "{}: a report of format version {}, not {FORMAT_VERSION}",
                path.display(),
                json["version"]
            );
        }
        serde_json::from_value(json).with_context(not_a_report)
    }

    /// Writes the report as JSON to `json_to` (stdout for `-`, instead of the
    /// summary), and prints the summary on stdout unless the JSON went there.
    pub fn emit(&self, json_to: Option<&PathBuf>) -> anyhow::Result<()> {
        let to_stdout = json_to.is_some_and(|p| p.as_os_str() == "-");
        if let Some(path) = json_to {
            let text = self.to_json()?;
            if to_stdout {
                std::io::stdout().write_all(text.as_bytes())?;
            } else {
                std::fs::write(path, text)
                    .with_context(|| format!("cannot write the report to {}", path.display()))?;
            }
        }
        if !to_stdout {
            let mut out = std::io::stdout().lock();
            summary::print(self, &mut out)?;
            out.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::commands::bench::histograms::histogram;
    use hdrhistogram::serialization::Deserializer;

    /// The reports in tests/data, as an earlier mqtk wrote them, with the
    /// summaries it printed.
    pub const WRITTEN: [(&str, &str, &str); 13] = {
        macro_rules! written {
            ($($name:literal),*) => {[$((
                $name,
                include_str!(concat!("../../../tests/data/bench-report-", $name, ".json")),
                include_str!(concat!("../../../tests/data/bench-report-", $name, ".txt")),
            )),*]};
        }
        written!(
            "qos0",
            "qos1-warmup",
            "gate-p99",
            "conn",
            "conn-tls",
            "pub",
            "sub",
            "failures",
            "reconnect",
            "interrupted",
            "shard0",
            "shard1",
            "merged"
        )
    };

    pub fn parse(json: &str) -> Report {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn reports_an_earlier_mqtk_wrote_are_written_back_byte_for_byte() {
        for (name, json, _) in WRITTEN {
            let report = parse(json);
            assert_eq!(report.to_json().unwrap(), json, "{name}");
        }
    }

    #[test]
    fn a_merge_writes_whole_sums_as_whole_numbers_and_a_run_as_it_measured() {
        let merged = parse(WRITTEN.iter().find(|w| w.0 == "merged").unwrap().1);
        assert_eq!(merged.connections.offline_s, Figure::Whole(0));
        let run = parse(WRITTEN[0].1);
        assert_eq!(run.connections.offline_s, Figure::Fraction(0.0));
        assert_eq!(Figure::sum([0.5, 1.5].into_iter()), Figure::Whole(2));
        assert_eq!(Figure::sum([0.5, 1.0].into_iter()), Figure::Fraction(1.5));
    }

    #[test]
    fn histograms_encode_to_the_standard_format() {
        let mut histogram = histogram();
        for ns in [1_000, 2_000, 3_000_000] {
            histogram.record(ns).unwrap();
        }
        let text = encode(&histogram).unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&text)
            .unwrap();
        let back: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .unwrap();
        assert_eq!(back, histogram);
    }

    #[test]
    fn percentiles_are_in_milliseconds_and_none_without_samples() {
        assert_eq!(Percentiles::of(&histogram()), None);
        let mut histogram = histogram();
        for ms in 1..=100 {
            histogram.record(ms * 1_000_000).unwrap();
        }
        let p = Percentiles::of(&histogram).unwrap();
        assert_eq!((p.count, p.min, p.max), (100, 1.0, 100.008));
        assert_eq!(p.named()[0], ("p50", 50.004));
    }
}
