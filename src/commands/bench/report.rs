//! The end of a run: a summary table on stdout, the same as JSON (with the
//! HDR histograms, so that runs can be compared and merged), the generator's
//! own load, and the exit status the gates (--max-loss, --max-p99) give.

use std::io::Write;
use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;
use hdrhistogram::serialization::{Serializer, V2Serializer};
use hdrhistogram::Histogram;
use serde_json::{json, Value};

use super::live::thousands;
use super::plan::{Pace, Plan};
use super::stats::{Histograms, Totals};
use crate::cli::exit;
use crate::codec::QoS;
use crate::commands::json_ms;

/// The version of the JSON report's format.
pub const FORMAT_VERSION: u32 = 1;

/// The percentiles the report gives.
const PERCENTILES: [(&str, f64); 5] = [
    ("p50", 50.0),
    ("p90", 90.0),
    ("p99", 99.0),
    ("p99.9", 99.9),
    ("p99.99", 99.99),
];

/// How the failure of a connection that was up begins.
pub const LOST: &str = "lost: ";

/// Share of the cores above which mqtk, not the broker, may be the limit.
const SATURATED: f64 = 0.9;

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

pub struct Report {
    plan: Plan,
    totals: Totals,
    histograms: Histograms,
    timing: Timing,
    cores: usize,
}

impl Report {
    pub fn new(plan: Plan, totals: Totals, histograms: Histograms, timing: Timing) -> Report {
        Report {
            plan,
            totals,
            histograms,
            timing,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }

    /// Prints the report (and writes the JSON) and gives the exit code.
    pub fn finish(self) -> anyhow::Result<u8> {
        let json_to_stdout = self
            .plan
            .json
            .as_deref()
            .is_some_and(|p| p.as_os_str() == "-");
        if let Some(path) = &self.plan.json {
            let text = serde_json::to_string_pretty(&self.json())? + "\n";
            if json_to_stdout {
                std::io::stdout().write_all(text.as_bytes())?;
            } else {
                std::fs::write(path, text)
                    .with_context(|| format!("cannot write the report to {}", path.display()))?;
            }
        }
        if !json_to_stdout {
            let mut out = std::io::stdout().lock();
            self.print(&mut out)?;
            out.flush()?;
        }
        // One line, as for every error, however many gates failed.
        let failed = self.gates_failed();
        if !failed.is_empty() {
            let _ = writeln!(std::io::stderr(), "mqtk: {}", failed.join("; "));
        }
        Ok(if failed.is_empty() {
            exit::SUCCESS
        } else {
            exit::FAILURE
        })
    }

    fn loss_percent(&self) -> Option<f64> {
        let expected = self.totals.expected?;
        let lost = self.totals.lost?;
        Some(if expected == 0 {
            0.0
        } else {
            lost as f64 * 100.0 / expected as f64
        })
    }

    /// The gates the run did not pass, each as one line. A connection lost
    /// during the run fails it too: the load was not what was asked for.
    fn gates_failed(&self) -> Vec<String> {
        let mut failed = Vec::new();
        let lost: Vec<(&String, &u64)> = self
            .totals
            .failures
            .iter()
            .filter(|(reason, _)| reason.starts_with(LOST))
            .collect();
        if let Some((reason, _)) = lost.first() {
            let count: u64 = lost.iter().map(|(_, n)| **n).sum();
            failed.push(format!(
                "{count} connection{} lost during the run ({})",
                if count == 1 { " was" } else { "s were" },
                &reason[LOST.len()..]
            ));
        }
        if let (Some(max), Some(loss)) = (self.plan.max_loss, self.loss_percent()) {
            if loss > max {
                failed.push(format!(
                    "{} of {} deliveries lost ({loss:.3}%), more than --max-loss {max}%",
                    self.totals.lost.unwrap_or(0),
                    self.totals.expected.unwrap_or(0)
                ));
            }
        }
        if let Some(max) = self.plan.max_p99 {
            let latency = &self.histograms.latency;
            let p99 = Duration::from_nanos(latency.value_at_percentile(99.0));
            if !latency.is_empty() && p99 > max {
                failed.push(format!(
                    "p99 latency {} ms is more than --max-p99 {} ms",
                    json_ms(p99),
                    json_ms(max)
                ));
            }
        }
        failed
    }

    /// Sent per second, over the measured part of the run.
    fn per_second(&self, count: u64) -> f64 {
        count as f64 / self.timing.measured.as_secs_f64().max(1e-9)
    }

    /// Received per second, from the end of the warm-up to the last arrival:
    /// a broker that queues delivers at its own pace, after the publishers.
    fn received_per_second(&self, count: u64) -> f64 {
        let span = self
            .totals
            .last_arrival_ns
            .saturating_sub(self.timing.measured_from_ns);
        count as f64 / (span as f64 / 1e9).max(1e-9)
    }

    /// One line each that says when mqtk itself, not the broker, was the limit.
    fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Some(share) = self.cpu_share() {
            if share > SATURATED {
                warnings.push(format!(
                    "mqtk used {:.0}% of {} cores: the figures may measure mqtk, not the broker",
                    share * 100.0,
                    self.cores
                ));
            }
        }
        let lateness = &self.histograms.lateness;
        let late = Duration::from_nanos(lateness.value_at_percentile(99.0));
        if !lateness.is_empty() && late > LATE {
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

    /// The share of all cores mqtk kept busy.
    fn cpu_share(&self) -> Option<f64> {
        let cpu = self.timing.cpu?;
        let wall = Duration::from_nanos(self.timing.ended_ns - self.timing.started_ns)
            + self.timing.connecting;
        Some(cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9) / self.cores as f64)
    }

    fn describe_load(&self) -> String {
        let plan = &self.plan;
        let pace = match plan.pace {
            Pace::Rate(rate) => format!("{} msg/s in all", thousands(rate)),
            Pace::Interval(interval) => format!("one message every {} ms each", json_ms(interval)),
            Pace::Unpaced => "as fast as the broker takes them".into(),
        };
        let mut parts = Vec::new();
        if plan.publishers > 0 {
            parts.push(plural(plan.publishers, "publisher"));
        }
        if plan.subscribers > 0 {
            parts.push(plural(plan.subscribers, "subscriber"));
        }
        if plan.idle > 0 {
            parts.push(plural(plan.idle, "connection"));
        }
        if plan.publishers > 0 {
            parts.push(format!("QoS {}", plan.qos as u8));
            parts.push(format!("{}-byte payloads", plan.size));
            parts.push(pace);
        }
        parts.join(", ")
    }

    pub fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        let t = &self.totals;
        let plan = &self.plan;
        let shard = match plan.shard.count {
            1 => String::new(),
            n => format!(" (shard {}/{n})", plan.shard.index),
        };
        writeln!(
            out,
            "mqtk bench {}{shard}: {}",
            plan.scenario.name(),
            self.describe_load()
        )?;
        writeln!(
            out,
            "  {:<12} {:.2} s measured{}, {:.2} s connecting",
            "Time",
            self.timing.measured.as_secs_f64(),
            if plan.warmup.is_zero() {
                String::new()
            } else {
                format!(" after {:.2} s of warm-up", plan.warmup.as_secs_f64())
            },
            self.timing.connecting.as_secs_f64()
        )?;
        let failed: u64 = t.failures.values().sum();
        writeln!(
            out,
            "  {:<12} {} attempted, {} up, {} failed",
            "Connections",
            thousands(t.attempted as f64),
            thousands(t.connected as f64),
            thousands(failed as f64)
        )?;
        for (reason, count) in &t.failures {
            writeln!(
                out,
                "  {:<12}   {} × {reason}",
                "",
                thousands(*count as f64)
            )?;
        }
        if !self.histograms.connect.is_empty() {
            writeln!(
                out,
                "  {:<12} {}",
                "Connect",
                percentiles(&self.histograms.connect)
            )?;
        }
        if plan.publishers + plan.subscribers > 0 {
            let mut messages = vec![format!("sent {}", thousands(t.sent as f64))];
            if plan.qos != QoS::AtMostOnce && plan.publishers > 0 {
                messages.push(format!("acknowledged {}", thousands(t.acked as f64)));
                if t.rejected > 0 {
                    messages.push(format!("rejected {}", thousands(t.rejected as f64)));
                }
            }
            if plan.subscribers > 0 {
                messages.push(format!("received {}", thousands(t.received as f64)));
            }
            writeln!(out, "  {:<12} {}", "Messages", messages.join(", "))?;
            if plan.subscribers > 0 {
                let lost = match (t.lost, self.loss_percent()) {
                    (Some(lost), Some(percent)) => format!(
                        "lost {} ({percent:.3}% of {} expected)",
                        thousands(lost as f64),
                        thousands(t.expected.unwrap_or(0) as f64)
                    ),
                    _ => "lost: not known (no publisher here, or topics vary per message)".into(),
                };
                writeln!(
                    out,
                    "  {:<12} {lost}, duplicated {}, out of order {}",
                    "",
                    thousands(t.duplicates as f64),
                    thousands(t.reordered as f64)
                )?;
            }
            let size = plan.size as f64;
            let mut rates = Vec::new();
            if plan.publishers > 0 {
                let sent = self.per_second(measured(t.sent, t.sent_in_warmup));
                rates.push(format!(
                    "sent {} msg/s ({:.2} MB/s)",
                    thousands(sent),
                    sent * size / 1e6
                ));
                if plan.qos != QoS::AtMostOnce {
                    let acked = self.per_second(measured(t.acked, t.sent_in_warmup));
                    rates.push(format!("acknowledged {} msg/s", thousands(acked)));
                }
            }
            if plan.subscribers > 0 {
                rates.push(format!(
                    "received {} msg/s ({:.2} MB/s)",
                    thousands(self.received_per_second(t.received_measured)),
                    self.received_per_second(t.bytes_measured) / 1e6
                ));
            }
            writeln!(out, "  {:<12} {}", "Throughput", rates.join(", "))?;
        }
        if !self.histograms.latency.is_empty() {
            writeln!(
                out,
                "  {:<12} {}",
                "Latency",
                percentiles(&self.histograms.latency)
            )?;
        }
        if let (Some(cpu), Some(share)) = (self.timing.cpu, self.cpu_share()) {
            writeln!(
                out,
                "  {:<12} mqtk used {:.2} CPU-seconds, {:.0}% of {} cores",
                "Generator",
                cpu.as_secs_f64(),
                share * 100.0,
                self.cores
            )?;
        }
        for warning in self.warnings() {
            writeln!(out, "  {:<12} {warning}", "Warning")?;
        }
        Ok(())
    }

    pub fn json(&self) -> Value {
        let t = &self.totals;
        let plan = &self.plan;
        let pace = match plan.pace {
            Pace::Rate(rate) => json!({ "rate": rate }),
            Pace::Interval(interval) => json!({ "interval_ms": json_ms(interval) }),
            Pace::Unpaced => json!("unpaced"),
        };
        let size = plan.size as f64;
        let received_per_s = self.received_per_second(t.received_measured);
        let sent_per_s = self.per_second(measured(t.sent, t.sent_in_warmup));
        let acked_per_s = self.per_second(measured(t.acked, t.sent_in_warmup));
        json!({
            "version": FORMAT_VERSION,
            "mqtk": env!("CARGO_PKG_VERSION"),
            "scenario": plan.scenario.name(),
            "started_ns": self.timing.started_ns,
            "ended_ns": self.timing.ended_ns,
            "measured_s": self.timing.measured.as_secs_f64(),
            "connecting_s": self.timing.connecting.as_secs_f64(),
            "interrupted": self.timing.interrupted,
            "settings": {
                "publishers": plan.publishers,
                "subscribers": plan.subscribers,
                "connections": plan.idle,
                "qos": plan.qos as u8,
                "size": plan.size,
                "retain": plan.retain,
                "pace": pace,
                "duration_s": plan.duration.map(|d| d.as_secs_f64()),
                "count": plan.count,
                "warmup_s": plan.warmup.as_secs_f64(),
                "shard": { "index": plan.shard.index, "count": plan.shard.count },
                "start_at": plan.start_at.map(|at| at.to_string()),
            },
            "connections": {
                "attempted": t.attempted,
                "up": t.connected,
                "failed": t.failures.values().sum::<u64>(),
                "failures": t.failures,
                "connect_ms": percentiles_json(&self.histograms.connect),
            },
            "messages": {
                "sent": t.sent,
                "acknowledged": t.acked,
                "rejected": t.rejected,
                "received": t.received,
                "expected": t.expected,
                "lost": t.lost,
                "loss_percent": self.loss_percent(),
                "duplicated": t.duplicates,
                "out_of_order": t.reordered,
            },
            "throughput": {
                "sent_per_s": sent_per_s,
                "sent_mb_per_s": sent_per_s * size / 1e6,
                "acknowledged_per_s": acked_per_s,
                "received_per_s": received_per_s,
                "received_mb_per_s": self.received_per_second(t.bytes_measured) / 1e6,
            },
            "latency_ms": percentiles_json(&self.histograms.latency),
            "generator": {
                "cpu_s": self.timing.cpu.map(|c| c.as_secs_f64()),
                "cores": self.cores,
                "cpu_share": self.cpu_share(),
                "late_ms": percentiles_json(&self.histograms.lateness),
                "warnings": self.warnings(),
            },
            "histograms": {
                "unit": "ns",
                "encoding": "HdrHistogram V2, base64",
                "latency": encode(&self.histograms.latency),
                "connect": encode(&self.histograms.connect),
                "lateness": encode(&self.histograms.lateness),
            },
        })
    }
}

/// A count without what the warm-up took: acknowledgements come in the
/// order of the messages, so the first ones are the warm-up's too.
fn measured(count: u64, in_warmup: u64) -> u64 {
    count.saturating_sub(in_warmup)
}

/// "3 publishers", "1 publisher".
fn plural(n: u32, what: &str) -> String {
    match n {
        1 => format!("1 {what}"),
        n => format!("{} {what}s", thousands(f64::from(n))),
    }
}

/// "p50 0.123 ms  p90 ...  max ..." for the summary table.
fn percentiles(histogram: &Histogram<u64>) -> String {
    let ms = |ns: u64| json_ms(Duration::from_nanos(ns));
    let mut parts: Vec<String> = PERCENTILES
        .iter()
        .map(|(name, p)| format!("{name} {}", ms(histogram.value_at_percentile(*p))))
        .collect();
    parts.push(format!("max {} ms", ms(histogram.max())));
    parts.join("  ")
}

fn percentiles_json(histogram: &Histogram<u64>) -> Value {
    if histogram.is_empty() {
        return Value::Null;
    }
    let ms = |ns: u64| json_ms(Duration::from_nanos(ns));
    let mut map = serde_json::Map::new();
    map.insert("count".into(), histogram.len().into());
    map.insert("min".into(), ms(histogram.min()).into());
    map.insert("mean".into(), (histogram.mean() / 1e6).into());
    for (name, p) in PERCENTILES {
        map.insert(name.into(), ms(histogram.value_at_percentile(p)).into());
    }
    map.insert("max".into(), ms(histogram.max()).into());
    Value::Object(map)
}

/// A histogram in the standard HdrHistogram V2 encoding, base64.
fn encode(histogram: &Histogram<u64>) -> Value {
    let mut bytes = Vec::new();
    match V2Serializer::new().serialize(histogram, &mut bytes) {
        Ok(_) => base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .into(),
        Err(_) => Value::Null,
    }
}

/// User and system CPU time of this process so far.
#[cfg(unix)]
pub fn cpu_time() -> Option<Duration> {
    // SAFETY: getrusage writes a plain struct we own; all-zero bytes are a valid rusage.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage, and RUSAGE_SELF.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Some(time(usage.ru_utime) + time(usage.ru_stime))
}

#[cfg(not(unix))]
pub fn cpu_time() -> Option<Duration> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::Deserializer;

    #[test]
    fn histograms_encode_to_the_standard_format() {
        let mut histogram = super::super::stats::histogram();
        for ns in [1_000, 2_000, 3_000_000] {
            histogram.record(ns).unwrap();
        }
        let Value::String(text) = encode(&histogram) else {
            panic!("not encoded")
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap();
        let back: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .unwrap();
        assert_eq!(back, histogram);
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
