//! `mqtk bench merge`: the JSON reports of shards that ran together, as one
//! report of the same format. Counts and rates add up; percentiles come from
//! the merged HDR histograms, never from averaged percentiles; each shard
//! keeps a row of its own.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use base64::Engine as _;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;
use serde_json::{json, Map, Value};

use super::report::{self, encode, percentiles_json, FORMAT_VERSION};
use super::stats::histogram;
use crate::commands::usage;

/// The settings every shard must share for their figures to add up.
const SHARED_SETTINGS: [&str; 4] = ["qos", "size", "retain", "warmup_s"];

/// Merges the reports at `paths` and prints the result as a run's report
/// (or writes it as JSON).
pub fn run(paths: &[PathBuf], json_to: Option<&PathBuf>) -> anyhow::Result<u8> {
    if paths.len() < 2 {
        return usage("bench merge takes two or more JSON reports");
    }
    let mut reports = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the report {}", path.display()))?;
        let report: Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a JSON report of mqtk bench", path.display()))?;
        reports.push((path.display().to_string(), report));
    }
    let merged = merge(&reports)?;
    report::emit(&merged, json_to)?;
    Ok(crate::cli::exit::SUCCESS)
}

/// One report from the shards' reports, named by their files.
pub fn merge(reports: &[(String, Value)]) -> anyhow::Result<Value> {
    let (first_name, first) = &reports[0];
    for (name, report) in reports {
        if report["version"] != FORMAT_VERSION {
            bail!(
                "{name}: a report of format version {}, not {FORMAT_VERSION}",
                report["version"]
            );
        }
        if report["scenario"] != first["scenario"] {
            bail!("{name} and {first_name} are of different scenarios");
        }
        for setting in SHARED_SETTINGS {
            if report["settings"][setting] != first["settings"][setting] {
                bail!("{name} and {first_name} differ in their {setting} setting");
            }
        }
    }
    // The runs must have overlapped: their rates add up only then.
    let starts: Vec<u64> = reports.iter().map(|(_, r)| int(&r["started_ns"])).collect();
    let ends: Vec<u64> = reports.iter().map(|(_, r)| int(&r["ended_ns"])).collect();
    let first_start = starts.iter().copied().min().unwrap_or(0);
    let last_start = starts.iter().copied().max().unwrap_or(0);
    let first_end = ends.iter().copied().min().unwrap_or(0);
    let last_end = ends.iter().copied().max().unwrap_or(0);
    if last_start >= first_end {
        bail!(
            "the runs do not overlap in time: one ended before another began \
             (use --start-at so that shards run together)"
        );
    }
    let sum = |section: &str, field: &str| -> Value {
        reports
            .iter()
            .map(|(_, r)| r[section][field].as_f64())
            .sum::<Option<f64>>()
            .map_or(Value::Null, number)
    };
    let max = |field: &str| {
        reports
            .iter()
            .filter_map(|(_, r)| r[field].as_f64())
            .fold(0.0, f64::max)
    };
    let [latency, connect, lateness] =
        ["latency", "connect", "lateness"].map(|name| merged_histogram(reports, name));
    let (latency, connect, lateness) = (latency?, connect?, lateness?);

    let mut settings = first["settings"].clone();
    for role in ["publishers", "subscribers", "connections"] {
        settings[role] = sum("settings", role);
    }
    settings["shard"] = Value::Null;
    let mut failures = Map::new();
    for (_, report) in reports {
        for (reason, n) in report["connections"]["failures"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let total = failures.get(reason).and_then(Value::as_u64).unwrap_or(0);
            failures.insert(reason.clone(), (total + n.as_u64().unwrap_or(0)).into());
        }
    }
    let expected = sum("messages", "expected");
    let lost = sum("messages", "lost");
    let loss_percent = match (expected.as_f64(), lost.as_f64()) {
        (Some(e), Some(l)) if e > 0.0 => json!(l * 100.0 / e),
        (Some(_), Some(_)) => json!(0.0),
        _ => Value::Null,
    };
    let cpu = sum("generator", "cpu_s");
    let cores = sum("generator", "cores");
    let wall = (last_end - first_start) as f64 / 1e9 + max("connecting_s");
    let cpu_share = match (cpu.as_f64(), cores.as_f64()) {
        (Some(cpu), Some(cores)) if wall > 0.0 && cores > 0.0 => json!(cpu / wall / cores),
        _ => Value::Null,
    };
    let mut warnings: Vec<Value> = Vec::new();
    for (name, report) in reports {
        for warning in report["generator"]["warnings"]
            .as_array()
            .into_iter()
            .flatten()
        {
            warnings.push(format!("{name}: {}", warning.as_str().unwrap_or("")).into());
        }
    }
    let shards: Vec<Value> = reports
        .iter()
        .map(|(name, r)| {
            json!({
                "report": name,
                "shard": r["settings"]["shard"],
                "started_ns": r["started_ns"],
                "ended_ns": r["ended_ns"],
                "messages": r["messages"],
                "throughput": r["throughput"],
                "latency_ms": r["latency_ms"],
            })
        })
        .collect();
    Ok(json!({
        "version": FORMAT_VERSION,
        "mqtk": env!("CARGO_PKG_VERSION"),
        "scenario": first["scenario"],
        "started_ns": first_start,
        "ended_ns": last_end,
        "measured_s": max("measured_s"),
        "connecting_s": max("connecting_s"),
        "interrupted": reports.iter().any(|(_, r)| r["interrupted"] == true),
        "settings": settings,
        "connections": {
            "attempted": sum("connections", "attempted"),
            "up": sum("connections", "up"),
            "failed": sum("connections", "failed"),
            "failures": failures,
            "reconnects": sum("connections", "reconnects"),
            "reconnected": sum("connections", "reconnected"),
            "offline_s": sum("connections", "offline_s"),
            "longest_offline_s": reports
                .iter()
                .filter_map(|(_, r)| r["connections"]["longest_offline_s"].as_f64())
                .fold(0.0, f64::max),
            "connect_ms": percentiles_json(&connect),
        },
        "messages": {
            "sent": sum("messages", "sent"),
            "acknowledged": sum("messages", "acknowledged"),
            "rejected": sum("messages", "rejected"),
            "received": sum("messages", "received"),
            "expected": expected,
            "lost": lost,
            "loss_percent": loss_percent,
            "duplicated": sum("messages", "duplicated"),
            "out_of_order": sum("messages", "out_of_order"),
        },
        // The shards ran together (checked above): their rates add up.
        "throughput": {
            "sent_per_s": sum("throughput", "sent_per_s"),
            "sent_mb_per_s": sum("throughput", "sent_mb_per_s"),
            "acknowledged_per_s": sum("throughput", "acknowledged_per_s"),
            "received_per_s": sum("throughput", "received_per_s"),
            "received_mb_per_s": sum("throughput", "received_mb_per_s"),
        },
        "latency_ms": percentiles_json(&latency),
        "generator": {
            "cpu_s": cpu,
            "cores": cores,
            "cpu_share": cpu_share,
            "late_ms": percentiles_json(&lateness),
            "warnings": warnings,
        },
        "histograms": {
            "unit": "ns",
            "encoding": "HdrHistogram V2, base64",
            "latency": encode(&latency),
            "connect": encode(&connect),
            "lateness": encode(&lateness),
        },
        "shards": shards,
    }))
}

/// The shards' histograms of one series, added together.
fn merged_histogram(reports: &[(String, Value)], series: &str) -> anyhow::Result<Histogram<u64>> {
    let mut merged = histogram();
    for (name, report) in reports {
        let Some(text) = report["histograms"][series].as_str() else {
            continue;
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .with_context(|| format!("{name}: the {series} histogram is not base64"))?;
        let one: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| anyhow::anyhow!("{name}: the {series} histogram: {e:?}"))?;
        merged
            .add(&one)
            .map_err(|e| anyhow::anyhow!("{name}: the {series} histogram: {e:?}"))?;
    }
    Ok(merged)
}

fn int(value: &Value) -> u64 {
    value.as_u64().unwrap_or(0)
}

/// A sum as JSON: a whole number stays one.
fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}
