//! The end of a run: a summary table on stdout, the same as JSON (with the
//! HDR histograms, so that runs can be compared and merged), the generator's
//! own load, and the exit status the gates (--max-loss, --max-p99) give.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;
use hdrhistogram::serialization::{Serializer, V2Serializer};
use hdrhistogram::Histogram;
use serde_json::{json, Value};

use super::live::thousands;
use super::plan::{BenchPlan, Pace};
use super::stats::{Histograms, Totals};
use crate::cli::exit;
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
    plan: BenchPlan,
    totals: Totals,
    histograms: Histograms,
    timing: Timing,
    cores: usize,
}

impl Report {
    pub fn new(plan: BenchPlan, totals: Totals, histograms: Histograms, timing: Timing) -> Report {
        Report {
            totals,
            histograms,
            timing,
            cores: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(plan.threads.map_or(usize::MAX, usize::from)),
            plan,
        }
    }

    /// Prints the report (and writes the JSON) and gives the exit code.
    pub fn finish(self) -> anyhow::Result<u8> {
        emit(&self.json(), self.plan.json.as_ref())?;
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
                    "mqtk used {:.0}% of {}: the figures may measure mqtk, not the broker",
                    share * 100.0,
                    plural(self.cores as u64, "core")
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
                "reconnects": t.reconnects,
                "reconnected": t.reconnected,
                "offline_s": t.offline.as_secs_f64(),
                "longest_offline_s": t.longest_offline.as_secs_f64(),
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

/// Writes the report as JSON to `json_to` (stdout for `-`, instead of the
/// summary), and prints the summary on stdout unless the JSON went there.
pub fn emit(report: &Value, json_to: Option<&PathBuf>) -> anyhow::Result<()> {
    let to_stdout = json_to.is_some_and(|p| p.as_os_str() == "-");
    if let Some(path) = json_to {
        let text = serde_json::to_string_pretty(report)? + "\n";
        if to_stdout {
            std::io::stdout().write_all(text.as_bytes())?;
        } else {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write the report to {}", path.display()))?;
        }
    }
    if !to_stdout {
        let mut out = std::io::stdout().lock();
        print(report, &mut out)?;
        out.flush()?;
    }
    Ok(())
}

/// The summary table, from a report's JSON: a run and a merge of runs print
/// alike because both print from what they write.
pub fn print(report: &Value, out: &mut impl Write) -> std::io::Result<()> {
    let settings = &report["settings"];
    let number = |v: &Value| v.as_f64().unwrap_or(0.0);
    let count = |v: &Value| thousands(number(v));
    let publishers = number(&settings["publishers"]) > 0.0;
    let subscribers = number(&settings["subscribers"]) > 0.0;
    let acknowledged = publishers && number(&settings["qos"]) > 0.0;
    let shard = match settings["shard"]["count"].as_u64() {
        Some(n) if n > 1 => format!(" (shard {}/{n})", settings["shard"]["index"]),
        _ => match report["shards"].as_array() {
            Some(shards) => format!(" ({} shards merged)", shards.len()),
            None => String::new(),
        },
    };
    let scenario = report["scenario"].as_str().unwrap_or("?");
    writeln!(
        out,
        "mqtk bench {scenario}{shard}: {}",
        describe_load(settings)
    )?;
    let warmup = number(&settings["warmup_s"]);
    writeln!(
        out,
        "  {:<12} {:.2} s measured{}, {:.2} s connecting",
        "Time",
        number(&report["measured_s"]),
        if warmup > 0.0 {
            format!(" after {warmup:.2} s of warm-up")
        } else {
            String::new()
        },
        number(&report["connecting_s"])
    )?;
    let connections = &report["connections"];
    writeln!(
        out,
        "  {:<12} {} attempted, {} up, {} failed",
        "Connections",
        count(&connections["attempted"]),
        count(&connections["up"]),
        count(&connections["failed"])
    )?;
    if let Some(failures) = connections["failures"].as_object() {
        for (reason, n) in failures {
            writeln!(out, "  {:<12}   {} × {reason}", "", count(n))?;
        }
    }
    let reconnects = number(&connections["reconnects"]);
    if reconnects > 0.0 {
        writeln!(
            out,
            "  {:<12} {} on {}, {:.2} s offline in all, {:.2} s at the longest",
            "Reconnects",
            count(&connections["reconnects"]),
            plural(number(&connections["reconnected"]) as u64, "connection"),
            number(&connections["offline_s"]),
            number(&connections["longest_offline_s"])
        )?;
    }
    if let Some(line) = percentiles(&connections["connect_ms"]) {
        writeln!(out, "  {:<12} {line}", "Connect")?;
    }
    if publishers || subscribers {
        let m = &report["messages"];
        let mut messages = vec![format!("sent {}", count(&m["sent"]))];
        if acknowledged {
            messages.push(format!("acknowledged {}", count(&m["acknowledged"])));
            if number(&m["rejected"]) > 0.0 {
                messages.push(format!("rejected {}", count(&m["rejected"])));
            }
        }
        if subscribers {
            messages.push(format!("received {}", count(&m["received"])));
        }
        writeln!(out, "  {:<12} {}", "Messages", messages.join(", "))?;
        if subscribers {
            let lost = match (m["lost"].as_u64(), m["loss_percent"].as_f64()) {
                (Some(lost), Some(percent)) => format!(
                    "lost {} ({percent:.3}% of {} expected)",
                    thousands(lost as f64),
                    count(&m["expected"])
                ),
                _ => "lost: not known (no publisher here, or topics vary per message)".into(),
            };
            writeln!(
                out,
                "  {:<12} {lost}, duplicated {}, out of order {}",
                "",
                count(&m["duplicated"]),
                count(&m["out_of_order"])
            )?;
        }
        let t = &report["throughput"];
        let mut rates = Vec::new();
        if publishers {
            rates.push(format!(
                "sent {} msg/s ({:.2} MB/s)",
                count(&t["sent_per_s"]),
                number(&t["sent_mb_per_s"])
            ));
            if acknowledged {
                rates.push(format!(
                    "acknowledged {} msg/s",
                    count(&t["acknowledged_per_s"])
                ));
            }
        }
        if subscribers {
            rates.push(format!(
                "received {} msg/s ({:.2} MB/s)",
                count(&t["received_per_s"]),
                number(&t["received_mb_per_s"])
            ));
        }
        writeln!(out, "  {:<12} {}", "Throughput", rates.join(", "))?;
    }
    if let Some(line) = percentiles(&report["latency_ms"]) {
        writeln!(out, "  {:<12} {line}", "Latency")?;
    }
    let generator = &report["generator"];
    if let (Some(cpu), Some(share)) = (generator["cpu_s"].as_f64(), generator["cpu_share"].as_f64())
    {
        writeln!(
            out,
            "  {:<12} mqtk used {cpu:.2} CPU-seconds, {:.0}% of {}",
            "Generator",
            share * 100.0,
            plural(generator["cores"].as_u64().unwrap_or(0), "core")
        )?;
    }
    for warning in generator["warnings"].as_array().into_iter().flatten() {
        writeln!(
            out,
            "  {:<12} {}",
            "Warning",
            warning.as_str().unwrap_or("")
        )?;
    }
    Ok(())
}

/// "10 publishers, 10 subscribers, QoS 0, 16-byte payloads, ..." from the settings.
fn describe_load(settings: &Value) -> String {
    let number = |name: &str| settings[name].as_u64().unwrap_or(0);
    let pace = &settings["pace"];
    let pace = if let Some(rate) = pace["rate"].as_f64() {
        format!("{} msg/s in all", thousands(rate))
    } else if let Some(ms) = pace["interval_ms"].as_f64() {
        format!("one message every {ms} ms each")
    } else {
        "as fast as the broker takes them".into()
    };
    let mut parts = Vec::new();
    for (name, what) in [
        ("publishers", "publisher"),
        ("subscribers", "subscriber"),
        ("connections", "connection"),
    ] {
        if number(name) > 0 {
            parts.push(plural(number(name), what));
        }
    }
    if number("publishers") > 0 {
        parts.push(format!("QoS {}", number("qos")));
        parts.push(format!("{}-byte payloads", number("size")));
        parts.push(pace);
    }
    parts.join(", ")
}

/// A count without what the warm-up took: acknowledgements come in the
/// order of the messages, so the first ones are the warm-up's too.
fn measured(count: u64, in_warmup: u64) -> u64 {
    count.saturating_sub(in_warmup)
}

/// "3 publishers", "1 publisher".
fn plural(n: u64, what: &str) -> String {
    match n {
        1 => format!("1 {what}"),
        n => format!("{} {what}s", thousands(n as f64)),
    }
}

/// "p50 0.123  p90 ...  max 4.5 ms" from a percentiles object of the JSON.
fn percentiles(ms: &Value) -> Option<String> {
    ms.as_object()?;
    let mut parts: Vec<String> = PERCENTILES
        .iter()
        .map(|(name, _)| format!("{name} {}", ms[*name]))
        .collect();
    parts.push(format!("max {} ms", ms["max"]));
    Some(parts.join("  "))
}

pub fn percentiles_json(histogram: &Histogram<u64>) -> Value {
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
pub fn encode(histogram: &Histogram<u64>) -> Value {
    let mut bytes = Vec::new();
    match V2Serializer::new().serialize(histogram, &mut bytes) {
        Ok(_) => base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .into(),
        Err(_) => Value::Null,
    }
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
