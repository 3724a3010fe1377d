//! `mqtk bench merge`: the JSON reports of shards that ran together, as one
//! report of the same format. Counts and rates add up; percentiles come from
//! the merged HDR histograms, never from averaged percentiles; each shard
//! keeps a row of its own.

use anyhow::{bail, Context as _};
use base64::Engine as _;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;

use super::histograms::histogram;
use super::report::{
    encode, Connections, EncodedHistograms, Figure, Generator, GroupFigures, Messages,
    OfflineFigures, Percentiles, Report, Settings, ShardRow, ShareFigures, SubChurnFigures,
    Throughput, TlsFigures, FORMAT_VERSION,
};
use crate::cli::BenchMergeArgs;
use crate::commands::usage;

/// Whether two reports' settings agree in one respect.
type Agree = fn(&Settings, &Settings) -> bool;

/// The settings every shard must share for their figures to add up.
const SHARED_SETTINGS: [(&str, Agree); 4] = [
    ("qos", |a, b| a.qos == b.qos),
    ("size", |a, b| a.size == b.size),
    ("retain", |a, b| a.retain == b.retain),
    ("warmup_s", |a, b| a.warmup_s == b.warmup_s),
];

/// Merges the reports and prints the result as a run's report (or writes it
/// as JSON).
pub fn run(args: &BenchMergeArgs) -> anyhow::Result<u8> {
    if args.reports.len() < 2 {
        return usage("bench merge takes two or more JSON reports");
    }
    let mut reports = Vec::new();
    for path in &args.reports {
        reports.push((path.display().to_string(), Report::read(path)?));
    }
    merge(&reports)?.emit(args.json.as_ref())?;
    Ok(crate::cli::exit::SUCCESS)
}

/// Reports by the names of their files.
type Named = [(String, Report)];

/// One report from the shards' reports, named by their files.
pub fn merge(reports: &Named) -> anyhow::Result<Report> {
    check_alike(reports)?;
    let (started_ns, ended_ns) = together(reports)?;
    let all: Vec<_> = (reports.iter())
        .map(|(name, r)| (name.as_str(), &r.histograms))
        .collect();
    let latency = merged_histogram(&all, "latency", |h| &h.latency)?;
    let lateness = merged_histogram(&all, "lateness", |h| &h.lateness)?;
    let suback = merged_histogram(&all, "suback", |h| &h.suback)?;
    let (connections, mut histograms) =
        merged_connections(reports.iter().map(|(_, r)| &r.connections), &all)?;
    histograms.latency = encode(&latency);
    histograms.lateness = encode(&lateness);
    let churned = reports.iter().any(|(_, r)| r.sub_churn.is_some());
    if churned {
        histograms.suback = encode(&suback);
    }
    let share = share(reports);
    let mut messages = messages(reports.iter().map(|(_, r)| &r.messages));
    if let Some(share) = &share {
        // Each shard's members got messages of every shard's publishers: the
        // group's loss is known only here.
        messages.expected = share.expected;
        messages.lost = share.lost;
        messages.loss_percent = loss_percent(share.expected, share.lost);
    }
    let connecting_s = max(reports, |r| r.connecting_s);
    let wall = (ended_ns - started_ns) as f64 / 1e9 + connecting_s;
    Ok(Report {
        connecting_s,
        connections,
        ended_ns,
        generator: generator(reports, &lateness, wall),
        groups: groups(reports)?,
        histograms,
        interrupted: reports.iter().any(|(_, r)| r.interrupted),
        latency_ms: Percentiles::of(&latency),
        measured_s: max(reports, |r| r.measured_s),
        messages,
        mqtk: env!("CARGO_PKG_VERSION").into(),
        offline: offline(reports),
        scenario: reports[0].1.scenario.clone(),
        search: None,
        settings: settings(reports),
        shards: Some(reports.iter().map(shard_row).collect()),
        share,
        started_ns,
        sub_churn: churned.then(|| sub_churn(reports, &suback)),
        // The shards ran together (checked above): their rates add up.
        throughput: throughput(reports.iter().map(|(_, r)| &r.throughput)),
        version: FORMAT_VERSION,
    })
}

/// Fails unless the reports are of one format, one scenario and the
/// settings every shard must share for their figures to add up.
fn check_alike(reports: &Named) -> anyhow::Result<()> {
    let (first_name, first) = &reports[0];
    for (name, report) in reports {
        if report.version != FORMAT_VERSION {
            bail!(
                "{name}: a report of format version {}, not {FORMAT_VERSION}",
                report.version
            );
        }
        if report.scenario != first.scenario {
            bail!("{name} and {first_name} are of different scenarios");
        }
        if report.search.is_some() {
            bail!("{name} is the report of a search (--find-max), which is not a shard's");
        }
        if loads(report) != loads(first) {
            bail!("{name} and {first_name} differ in --share, --offline or --sub-churn");
        }
        if !same_groups(report, first) {
            bail!("{name} and {first_name} are of different load files' groups");
        }
        let disagree = |(_, agree): &&(&str, Agree)| !agree(&report.settings, &first.settings);
        if let Some((setting, _)) = SHARED_SETTINGS.iter().find(disagree) {
            bail!("{name} and {first_name} differ in their {setting} setting");
        }
    }
    Ok(())
}

/// Which of --share (and its group), --offline and --sub-churn a run made.
fn loads(report: &Report) -> (Option<&str>, bool, bool) {
    let group = report.share.as_ref().map(|s| s.group.as_str());
    (group, report.offline.is_some(), report.sub_churn.is_some())
}

/// The first start and the last end of runs that overlapped in time: their
/// rates add up only then.
fn together(reports: &Named) -> anyhow::Result<(u64, u64)> {
    let starts = reports.iter().map(|(_, r)| r.started_ns);
    let ends = reports.iter().map(|(_, r)| r.ended_ns);
    let (first_start, last_start) = (starts.clone().min(), starts.max());
    let (first_end, last_end) = (ends.clone().min(), ends.max());
    if last_start >= first_end {
        bail!(
            "the runs do not overlap in time: one ended before another began \
             (use --start-at so that shards run together)"
        );
    }
    Ok((first_start.unwrap_or(0), last_end.unwrap_or(0)))
}

/// The first report's settings, with every shard's connections.
fn settings(reports: &Named) -> Settings {
    Settings {
        connections: reports.iter().map(|(_, r)| r.settings.connections).sum(),
        publishers: reports.iter().map(|(_, r)| r.settings.publishers).sum(),
        subscribers: reports.iter().map(|(_, r)| r.settings.subscribers).sum(),
        shard: None,
        ..reports[0].1.settings.clone()
    }
}

/// --load: each group of every shard added up, the groups alike in every
/// shard (each shard made its slice of each group).
fn groups(reports: &Named) -> anyhow::Result<Option<Vec<GroupFigures>>> {
    let Some(first) = &reports[0].1.groups else {
        return Ok(None);
    };
    let mut merged = Vec::new();
    for (at, group) in first.iter().enumerate() {
        let shards: Vec<(&str, &GroupFigures)> = (reports.iter())
            .filter_map(|(name, r)| Some((name.as_str(), r.groups.as_ref()?.get(at)?)))
            .collect();
        let all: Vec<&GroupFigures> = shards.iter().map(|(_, g)| *g).collect();
        let histograms: Vec<_> = shards.iter().map(|(n, g)| (*n, &g.histograms)).collect();
        let latency = merged_histogram(&histograms, "latency", |h| &h.latency)?;
        let lateness = merged_histogram(&histograms, "lateness", |h| &h.lateness)?;
        let (connections, mut encoded) =
            merged_connections(all.iter().map(|g| &g.connections), &histograms)?;
        encoded.latency = encode(&latency);
        encoded.lateness = encode(&lateness);
        merged.push(GroupFigures {
            connections,
            histograms: encoded,
            late_ms: Percentiles::of(&lateness),
            latency_ms: Percentiles::of(&latency),
            messages: messages(all.iter().map(|g| &g.messages)),
            throughput: throughput(all.iter().map(|g| &g.throughput)),
            ..group.clone()
        });
    }
    Ok(Some(merged))
}

/// Whether two reports are of the same groups (--load), or both of none.
fn same_groups(a: &Report, b: &Report) -> bool {
    // What each group was asked to do, as shards of one load share it.
    let asked = |g: &GroupFigures| {
        (
            g.name.clone(),
            g.role.clone(),
            g.count,
            g.qos,
            g.size,
            g.retain,
        )
    };
    let groups = |report: &Report| {
        report
            .groups
            .iter()
            .flatten()
            .map(asked)
            .collect::<Vec<_>>()
    };
    groups(a) == groups(b)
}

/// The connections of every shard (of the run, or of a group) added up,
/// with their connect histograms (and TLS ones) merged: the connections and
/// the histograms encoded, the others of which the caller fills in.
fn merged_connections<'a>(
    all: impl Iterator<Item = &'a Connections> + Clone,
    histograms: &[(&str, &EncodedHistograms)],
) -> anyhow::Result<(Connections, EncodedHistograms)> {
    let connect = merged_histogram(histograms, "connect", |h| &h.connect)?;
    let mut connections = connections(all.clone(), &connect);
    let mut encoded = EncodedHistograms::of(&histogram(), &connect, &histogram());
    if all.clone().any(|c| c.tls.is_some()) {
        let handshake = merged_histogram(histograms, "tls_handshake", |h| &h.tls_handshake)?;
        let connack = merged_histogram(histograms, "connack", |h| &h.connack)?;
        encoded.connack = encode(&connack);
        encoded.tls_handshake = encode(&handshake);
        connections.tls = Some(tls(all, &handshake, &connack));
    }
    Ok((connections, encoded))
}

fn connections<'a>(
    all: impl Iterator<Item = &'a Connections> + Clone,
    connect: &Histogram<u64>,
) -> Connections {
    let sum = |field: fn(&Connections) -> u64| all.clone().map(field).sum();
    let mut failures = std::collections::BTreeMap::new();
    for (reason, n) in all.clone().flat_map(|c| &c.failures) {
        *failures.entry(reason.clone()).or_default() += n;
    }
    Connections {
        attempted: sum(|c| c.attempted),
        connect_ms: Percentiles::of(connect),
        failed: sum(|c| c.failed),
        failures,
        longest_offline_s: (all.clone().map(|c| c.longest_offline_s)).fold(0.0, f64::max),
        offline_s: Figure::sum(all.clone().map(|c| c.offline_s.value())),
        reconnected: sum(|c| c.reconnected),
        reconnects: sum(|c| c.reconnects),
        tls: None,
        up: sum(|c| c.up),
    }
}

/// The shards' TLS handshakes added up, with the percentiles of their merged
/// histograms.
fn tls<'a>(
    all: impl Iterator<Item = &'a Connections> + Clone,
    handshake: &Histogram<u64>,
    connack: &Histogram<u64>,
) -> TlsFigures {
    let sum = |field: fn(&TlsFigures) -> u64| {
        (all.clone())
            .filter_map(|c| c.tls.as_ref())
            .map(field)
            .sum()
    };
    TlsFigures {
        connack_ms: Percentiles::of(connack),
        handshake_ms: Percentiles::of(handshake),
        handshakes: sum(|t| t.handshakes),
        resumed: sum(|t| t.resumed),
    }
}

fn messages<'a>(all: impl Iterator<Item = &'a Messages> + Clone) -> Messages {
    let sum = |field: fn(&Messages) -> u64| all.clone().map(field).sum();
    let known =
        |field: fn(&Messages) -> Option<u64>| -> Option<u64> { all.clone().map(field).sum() };
    let (expected, lost) = (known(|m| m.expected), known(|m| m.lost));
    let loss_percent = loss_percent(expected, lost);
    Messages {
        acknowledged: sum(|m| m.acknowledged),
        duplicated: sum(|m| m.duplicated),
        expected,
        loss_percent,
        lost,
        out_of_order: sum(|m| m.out_of_order),
        received: sum(|m| m.received),
        rejected: sum(|m| m.rejected),
        sent: sum(|m| m.sent),
    }
}

fn loss_percent(expected: Option<u64>, lost: Option<u64>) -> Option<f64> {
    match (expected, lost) {
        (Some(e), Some(l)) if e > 0 => Some(l as f64 * 100.0 / e as f64),
        (Some(_), Some(_)) => Some(0.0),
        _ => None,
    }
}

/// --share: the members of every shard, one group. A message that reached
/// members in two shards is not seen as a duplicate: each shard counted it once.
fn share(reports: &Named) -> Option<ShareFigures> {
    let shares: Vec<&ShareFigures> = reports
        .iter()
        .filter_map(|(_, r)| r.share.as_ref())
        .collect();
    let first = shares.first()?;
    let per_member = shares
        .iter()
        .flat_map(|s| s.per_member.iter().copied())
        .collect();
    let expected: Option<u64> = shares.iter().map(|s| s.expected).sum();
    Some(ShareFigures::of(
        first.group.clone(),
        per_member,
        shares.iter().map(|s| s.unique).sum(),
        shares.iter().map(|s| s.duplicated_across_members).sum(),
        expected,
    ))
}

/// --offline: the outages of every shard added up; the drain runs from the
/// first return to the last of the backlog in any shard.
fn offline(reports: &Named) -> Option<OfflineFigures> {
    let all: Vec<&OfflineFigures> = reports
        .iter()
        .filter_map(|(_, r)| r.offline.as_ref())
        .collect();
    let first = all.first()?;
    let sum = |field: fn(&OfflineFigures) -> u64| all.iter().map(|o| field(o)).sum::<u64>();
    let backlog = sum(|o| o.backlog);
    let drain_s = all.iter().map(|o| o.drain_s).fold(0.0, f64::max);
    Some(OfflineFigures {
        at_s: first.at_s,
        away_s: all.iter().map(|o| o.away_s).sum(),
        backlog,
        drain_per_s: (drain_s > 0.0).then(|| backlog as f64 / drain_s),
        drain_s,
        duplicated: sum(|o| o.duplicated),
        duration_s: first.duration_s,
        lost: sum(|o| o.lost),
        outages: sum(|o| o.outages),
        published: sum(|o| o.published),
        sessions_lost: sum(|o| o.sessions_lost),
    })
}

/// --sub-churn: cycles and misses added up, SUBACK percentiles from the
/// merged histograms; the rate is the one all shards made together.
fn sub_churn(reports: &Named, suback: &Histogram<u64>) -> SubChurnFigures {
    let all: Vec<&SubChurnFigures> = reports
        .iter()
        .filter_map(|(_, r)| r.sub_churn.as_ref())
        .collect();
    SubChurnFigures {
        cycles: all.iter().map(|c| c.cycles).sum(),
        missed_while_unsubscribed: all.iter().map(|c| c.missed_while_unsubscribed).sum(),
        rate: all.first().map_or(0.0, |c| c.rate),
        suback_ms: Percentiles::of(suback),
        unsubscribed_s: all.iter().map(|c| c.unsubscribed_s).sum(),
    }
}

fn throughput<'a>(all: impl Iterator<Item = &'a Throughput> + Clone) -> Throughput {
    let sum = |field: fn(&Throughput) -> Figure| Figure::sum(all.clone().map(|t| field(t).value()));
    Throughput {
        acknowledged_per_s: sum(|t| t.acknowledged_per_s),
        received_mb_per_s: sum(|t| t.received_mb_per_s),
        received_per_s: sum(|t| t.received_per_s),
        sent_mb_per_s: sum(|t| t.sent_mb_per_s),
        sent_per_s: sum(|t| t.sent_per_s),
    }
}

/// What the shards cost together over `wall` seconds, and each one's warnings.
fn generator(reports: &Named, lateness: &Histogram<u64>, wall: f64) -> Generator {
    let cpu: Option<Vec<f64>> = reports
        .iter()
        .map(|(_, r)| r.generator.cpu_s.map(Figure::value))
        .collect();
    let cpu = cpu.map(|cpu| Figure::sum(cpu.into_iter()));
    let cores: u64 = reports.iter().map(|(_, r)| r.generator.cores).sum();
    let cpu_share = match cpu {
        Some(cpu) if wall > 0.0 && cores > 0 => Some(cpu.value() / wall / cores as f64),
        _ => None,
    };
    let warnings = reports
        .iter()
        .flat_map(|(name, r)| {
            r.generator
                .warnings
                .iter()
                .map(move |w| format!("{name}: {w}"))
        })
        .collect();
    Generator {
        cores,
        cpu_s: cpu,
        cpu_share,
        late_ms: Percentiles::of(lateness),
        warnings,
    }
}

fn shard_row((name, report): &(String, Report)) -> ShardRow {
    ShardRow {
        ended_ns: report.ended_ns,
        latency_ms: report.latency_ms.clone(),
        messages: report.messages.clone(),
        report: name.clone(),
        shard: report.settings.shard,
        started_ns: report.started_ns,
        throughput: report.throughput.clone(),
    }
}

/// The largest of a figure of the reports (0 at least).
fn max(reports: &Named, field: fn(&Report) -> f64) -> f64 {
    reports.iter().map(|(_, r)| field(r)).fold(0.0, f64::max)
}

/// The shards' histograms of one series (of the run, or of a group), added together.
fn merged_histogram(
    shards: &[(&str, &EncodedHistograms)],
    series: &str,
    pick: fn(&EncodedHistograms) -> &Option<String>,
) -> anyhow::Result<Histogram<u64>> {
    let mut merged = histogram();
    for &(name, histograms) in shards {
        let Some(text) = pick(histograms) else {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::bench::report::tests::{parse, WRITTEN};
    use serde_json::Value;

    fn written(name: &str) -> Report {
        parse(WRITTEN.iter().find(|w| w.0 == name).unwrap().1)
    }

    fn shards() -> Vec<(String, Report)> {
        ["shard0", "shard1"]
            .map(|name| (format!("bench-report-{name}.json"), written(name)))
            .into()
    }

    /// Whether two JSON values are the same, numbers to within their last
    /// digit: an earlier mqtk read the reports it merged a digit short.
    fn alike(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) if x.is_f64() && y.is_f64() => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
            }
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| alike(a, b))
            }
            (Value::Object(a), Value::Object(b)) => {
                a.keys().eq(b.keys()) && a.iter().all(|(key, a)| alike(a, &b[key]))
            }
            (a, b) => a == b,
        }
    }

    #[test]
    fn two_shards_merge_as_an_earlier_mqtk_merged_them() {
        let merged = serde_json::to_value(merge(&shards()).unwrap()).unwrap();
        let expected = serde_json::to_value(written("merged")).unwrap();
        assert!(alike(&merged, &expected), "{merged:#}\n{expected:#}");
    }

    #[test]
    fn counts_add_up_and_percentiles_come_from_the_merged_histograms() {
        let shards = shards();
        let merged = merge(&shards).unwrap();
        let sent: u64 = shards.iter().map(|(_, r)| r.messages.sent).sum();
        assert_eq!(merged.messages.sent, sent);
        assert_eq!(merged.settings.publishers, 4);
        assert_eq!(merged.settings.shard, None);
        let latency = merged.latency_ms.unwrap();
        let counts = shards
            .iter()
            .map(|(_, r)| r.latency_ms.as_ref().unwrap().count);
        assert_eq!(latency.count, counts.sum::<u64>());
        let rows = merged.shards.unwrap();
        assert_eq!(rows[1].report, "bench-report-shard1.json");
        assert_eq!(rows[1].messages, shards[1].1.messages);
    }

    #[test]
    fn tls_handshakes_add_up_and_their_percentiles_come_from_the_merged_histograms() {
        let shards: Vec<_> = ["a", "b"]
            .map(|name| (name.to_string(), written("conn-tls")))
            .into();
        let merged = merge(&shards).unwrap();
        let one = shards[0].1.connections.tls.clone().unwrap();
        let tls = merged.connections.tls.unwrap();
        assert_eq!(tls.handshakes, 2 * one.handshakes);
        assert_eq!(tls.resumed, 2 * one.resumed);
        let (handshake, connack) = (tls.handshake_ms.unwrap(), tls.connack_ms.unwrap());
        assert_eq!(handshake.count, 2 * one.handshake_ms.unwrap().count);
        assert_eq!(connack.count, 2 * one.connack_ms.unwrap().count);
        assert!(merged.histograms.tls_handshake.is_some());
        assert!(merged.histograms.connack.is_some());
    }

    #[test]
    fn shards_without_tls_merge_without_tls_figures() {
        let merged = merge(&shards()).unwrap();
        assert_eq!(merged.connections.tls, None);
        assert_eq!(merged.histograms.tls_handshake, None);
        assert_eq!(merged.histograms.connack, None);
    }

    #[test]
    fn runs_apart_or_unalike_do_not_merge() {
        let mut apart = shards();
        apart[1].1.started_ns += 3_600_000_000_000;
        apart[1].1.ended_ns += 3_600_000_000_000;
        let error = merge(&apart).unwrap_err().to_string();
        assert!(error.contains("do not overlap"), "{error}");
        let mut unalike = shards();
        unalike[1].1.settings.size = 64;
        let error = merge(&unalike).unwrap_err().to_string();
        assert_eq!(
            error,
            "bench-report-shard1.json and bench-report-shard0.json differ in their size setting"
        );
        let mut loads = shards_with_loads();
        loads[1].1.offline = None;
        let error = merge(&loads).unwrap_err().to_string();
        assert!(
            error.ends_with("differ in --share, --offline or --sub-churn"),
            "{error}"
        );
        let mut future = shards();
        future[0].1.version = 2;
        let error = merge(&future).unwrap_err().to_string();
        assert_eq!(
            error,
            "bench-report-shard0.json: a report of format version 2, not 1"
        );
    }

    /// The shards, as if each had run with --share, --offline and --sub-churn.
    fn shards_with_loads() -> Vec<(String, Report)> {
        let mut reports = shards();
        for (i, (_, report)) in reports.iter_mut().enumerate() {
            let i = i as u64;
            report.share = Some(ShareFigures::of(
                "g".into(),
                vec![10 + i, 20],
                30 + i,
                1,
                Some(40),
            ));
            report.offline = Some(OfflineFigures {
                at_s: 1.0,
                away_s: 2.0,
                backlog: 100,
                drain_per_s: Some(1000.0),
                drain_s: 0.1 * (i + 1) as f64,
                duplicated: i,
                duration_s: 1.0,
                lost: 3,
                outages: 2,
                published: 103,
                sessions_lost: 0,
            });
            report.sub_churn = Some(SubChurnFigures {
                cycles: 5,
                missed_while_unsubscribed: 7,
                rate: 10.0,
                suback_ms: None,
                unsubscribed_s: 0.5,
            });
        }
        reports
    }

    #[test]
    fn the_loads_sections_add_up_across_shards() {
        let merged = merge(&shards_with_loads()).unwrap();
        let share = merged.share.unwrap();
        assert_eq!(share.per_member, [10, 20, 11, 20]);
        assert_eq!((share.members, share.min, share.max), (4, 10, 20));
        assert_eq!((share.unique, share.duplicated_across_members), (61, 2));
        assert_eq!((share.expected, share.lost), (Some(80), Some(19)));
        // The group's loss is the messages' loss.
        assert_eq!(merged.messages.lost, Some(19));
        let offline = merged.offline.unwrap();
        assert_eq!(
            (offline.backlog, offline.lost, offline.outages),
            (200, 6, 4)
        );
        assert_eq!(offline.drain_s, 0.2);
        assert_eq!(offline.drain_per_s, Some(1000.0));
        let churn = merged.sub_churn.unwrap();
        assert_eq!((churn.cycles, churn.missed_while_unsubscribed), (10, 14));
        assert_eq!(churn.rate, 10.0);
        // Read back and written again as it was.
        let json = merge(&shards_with_loads()).unwrap().to_json().unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back.to_json().unwrap(), json);
    }

    #[test]
    fn unknown_losses_stay_unknown() {
        let mut reports = shards();
        reports[0].1.messages.expected = None;
        reports[0].1.messages.lost = None;
        let merged = merge(&reports).unwrap();
        assert_eq!(merged.messages.expected, None);
        assert_eq!(merged.messages.loss_percent, None);
    }
}
