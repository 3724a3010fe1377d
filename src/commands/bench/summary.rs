//! The summary table a report prints on stdout: a run and a merge of runs
//! print alike, because both print a [`Report`].

use std::io::{self, Write};

use super::live::thousands;
use super::report::{Generator, GroupFigures, Pace, Percentiles, Report, Search, Settings};

/// Prints the summary of `report`.
pub fn print(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let settings = &report.settings;
    let mut load = describe_load(settings);
    if let (Some(file), Some(groups)) = (&settings.load, &report.groups) {
        load = format!("{file}, {}: {load}", plural(groups.len() as u64, "group"));
    }
    if report.search.is_some() {
        load = format!("{load}, --find-max from that rate");
    }
    writeln!(
        out,
        "mqtk bench {}{}: {load}",
        report.scenario,
        shards(report),
    )?;
    print_time(report, out)?;
    print_connections(report, out)?;
    if settings.publishers > 0 || settings.subscribers > 0 {
        print_messages(report, out)?;
        print_throughput(report, out)?;
    }
    if let Some(latency) = &report.latency_ms {
        row(out, "Latency", &percentiles(latency))?;
    }
    for group in report.groups.iter().flatten() {
        print_group(group, out)?;
    }
    print_loads(report, out)?;
    print_generator(&report.generator, out)?;
    match &report.search {
        Some(search) => print_search(search, out),
        None => Ok(()),
    }
}

/// --find-max: the objective, a row per step, then the answer.
fn print_search(search: &Search, out: &mut impl Write) -> io::Result<()> {
    let objective = format!(
        "p99 within {} ms, loss within {}%, the broker keeping up; steps of {:.2} s, \
         the first {:.2} s of each settling",
        search.target_p99_ms, search.max_loss_percent, search.step_s, search.settle_s
    );
    row(out, "Search", &objective)?;
    // Without subscribers, the percentiles are the publishers' lateness.
    let latency = if search.steps.iter().any(|s| s.latency_ms.is_some()) {
        "latency"
    } else {
        "lateness"
    };
    writeln!(
        out,
        "  {:>12} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>5}  verdict",
        "rate msg/s", "sent msg/s", "p50 ms", "p99 ms", "p99.9 ms", "lost", "backlog", "cpu"
    )?;
    for step in &search.steps {
        let figures = step.latency_ms.as_ref().or(step.late_ms.as_ref());
        let at = |f: fn(&Percentiles) -> f64| figures.map_or("-".into(), |p| f(p).to_string());
        let lost = step.lost.map_or("-".into(), count);
        writeln!(
            out,
            "  {:>12} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>5}  {}",
            thousands(step.rate),
            thousands(step.sent as f64 / search.step_s),
            at(|p| p.p50),
            at(|p| p.p99),
            at(|p| p.p99_9),
            lost,
            count(step.backlog),
            step.cpu_share
                .map_or("-".into(), |share| format!("{:.0}%", share * 100.0)),
            step.verdict
        )?;
    }
    if latency == "lateness" {
        writeln!(
            out,
            "  (no subscribers: p50 to p99.9 are how late the publishers sent)"
        )?;
    }
    writeln!(out, "{}", search.line)
}

/// --load: a group's rows: what it was, what it did, its percentiles.
fn print_group(group: &GroupFigures, out: &mut impl Write) -> io::Result<()> {
    let (m, t) = (&group.messages, &group.throughput);
    let mut what = vec![format!(
        "{}: {} {}, {} up, QoS {}",
        group.name,
        count(group.count),
        group.role,
        count(group.connections.up),
        group.qos
    )];
    if let Some(filter) = &group.filter {
        what.push(format!("on {filter}"));
    }
    if let (Some(topic), Some(size), Some(pace)) = (&group.topic, group.size, group.pace) {
        what.push(format!(
            "to {topic}, {size}-byte payloads, {}",
            describe_pace(pace)
        ));
    }
    row(out, "Group", &what.join(", "))?;
    let mut did = Vec::new();
    if group.topic.is_some() {
        did.push(format!(
            "sent {} ({} msg/s)",
            count(m.sent),
            thousands(t.sent_per_s.value())
        ));
        if group.qos > 0 {
            did.push(format!("acknowledged {}", count(m.acknowledged)));
        }
    }
    if group.filter.is_some() {
        did.push(format!(
            "received {} ({} msg/s)",
            count(m.received),
            thousands(t.received_per_s.value())
        ));
        did.push(match (m.lost, m.expected) {
            (Some(lost), Some(expected)) => {
                format!("lost {} of {}", count(lost), count(expected))
            }
            _ => "lost: not known".into(),
        });
        did.push(format!("duplicated {}", count(m.duplicated)));
    }
    if !did.is_empty() {
        row(out, "", &did.join(", "))?;
    }
    if let Some(latency) = &group.latency_ms {
        row(out, "", &format!("latency {}", percentiles(latency)))?;
    }
    if let Some(late) = &group.late_ms {
        row(out, "", &format!("late {}", percentiles(late)))?;
    }
    Ok(())
}

/// --share, --offline and --sub-churn: a row or two each, when used.
fn print_loads(report: &Report, out: &mut impl Write) -> io::Result<()> {
    if let Some(share) = &report.share {
        let members = format!(
            "group {}: {}, messages each: min {}, max {}, mean {:.1}, stddev {:.1}",
            share.group,
            plural(share.members, "member"),
            count(share.min),
            count(share.max),
            share.mean,
            share.stddev
        );
        row(out, "Shared", &members)?;
        let lost = match (share.lost, share.expected) {
            (Some(lost), Some(expected)) => {
                format!("lost {} of {}", count(lost), count(expected))
            }
            _ => "lost: not known here (no publisher in this process, or a group over shards: \
                  merge their reports)"
                .into(),
        };
        let across = format!(
            "{} reached one member or more, {lost}, {} reached more than one",
            count(share.unique),
            count(share.duplicated_across_members)
        );
        row(out, "", &across)?;
    }
    if let Some(offline) = &report.offline {
        let outage = format!(
            "{} for {:.2} s from {:.2} s into the load, {:.2} s away in all{}",
            plural(offline.outages, "subscriber outage"),
            offline.duration_s,
            offline.at_s,
            offline.away_s,
            match offline.sessions_lost {
                0 => String::new(),
                n => format!(", {} not kept by the broker", plural(n, "session")),
            }
        );
        row(out, "Offline", &outage)?;
        let backlog = format!(
            "{} published meanwhile, backlog {} delivered after the return, lost {}, duplicated {}",
            count(offline.published),
            count(offline.backlog),
            count(offline.lost),
            count(offline.duplicated)
        );
        row(out, "", &backlog)?;
        if let Some(rate) = offline.drain_per_s {
            let drain = format!(
                "drained in {:.3} s, {} msg/s",
                offline.drain_s,
                thousands(rate)
            );
            row(out, "", &drain)?;
        }
    }
    if let Some(churn) = &report.sub_churn {
        let cycles = format!(
            "{} unsubscribe-subscribe cycles ({} asked per second), {:.2} s unsubscribed in all, \
             {} missed meanwhile (expected, not loss)",
            count(churn.cycles),
            thousands(churn.rate),
            churn.unsubscribed_s,
            count(churn.missed_while_unsubscribed)
        );
        row(out, "Sub-churn", &cycles)?;
        if let Some(suback) = &churn.suback_ms {
            row(out, "SUBACK", &percentiles(suback))?;
        }
    }
    Ok(())
}

/// One row of the table: a heading, then what it says.
fn row(out: &mut impl Write, heading: &str, text: &str) -> io::Result<()> {
    writeln!(out, "  {heading:<12} {text}")
}

/// " (shard 1/3)", " (3 shards merged)", or nothing for a whole run.
fn shards(report: &Report) -> String {
    match (report.settings.shard, &report.shards) {
        (Some(shard), _) if shard.count > 1 => format!(" (shard {}/{})", shard.index, shard.count),
        (_, Some(shards)) => format!(" ({} shards merged)", shards.len()),
        _ => String::new(),
    }
}

/// "10 publishers, 10 subscribers, QoS 0, 16-byte payloads, ..." from the settings.
fn describe_load(settings: &Settings) -> String {
    let mut parts = Vec::new();
    for (n, what) in [
        (settings.publishers, "publisher"),
        (settings.subscribers, "subscriber"),
        (settings.connections, "connection"),
    ] {
        if n > 0 {
            parts.push(plural(n, what));
        }
    }
    if settings.publishers > 0 {
        parts.push(format!("QoS {}", settings.qos));
        parts.push(format!("{}-byte payloads", settings.size));
        parts.push(describe_pace(settings.pace));
    }
    parts.join(", ")
}

fn describe_pace(pace: Pace) -> String {
    match pace {
        Pace::Rate(rate) => format!("{} msg/s in all", thousands(rate)),
        Pace::IntervalMs(ms) => format!("one message every {ms} ms each"),
        Pace::Unpaced => "as fast as the broker takes them".into(),
    }
}

fn print_time(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let warmup = report.settings.warmup_s;
    let after_warmup = if warmup > 0.0 {
        format!(" after {warmup:.2} s of warm-up")
    } else {
        String::new()
    };
    let time = format!(
        "{:.2} s measured{after_warmup}, {:.2} s connecting",
        report.measured_s, report.connecting_s
    );
    row(out, "Time", &time)
}

fn print_connections(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let c = &report.connections;
    let counts = format!(
        "{} attempted, {} up, {} failed",
        count(c.attempted),
        count(c.up),
        count(c.failed)
    );
    row(out, "Connections", &counts)?;
    for (reason, n) in &c.failures {
        row(out, "", &format!("  {} × {reason}", count(*n)))?;
    }
    if c.reconnects > 0 {
        let reconnects = format!(
            "{} on {}, {:.2} s offline in all, {:.2} s at the longest",
            count(c.reconnects),
            plural(c.reconnected, "connection"),
            c.offline_s.value(),
            c.longest_offline_s
        );
        row(out, "Reconnects", &reconnects)?;
    }
    let Some(tls) = &c.tls else {
        if let Some(connect) = &c.connect_ms {
            row(out, "Connect", &percentiles(connect))?;
        }
        return Ok(());
    };
    // With TLS, the connect time is told whole and in its two parts.
    if let Some(connect) = &c.connect_ms {
        let whole = "from connecting to the CONNACK: TCP, TLS, MQTT";
        row(
            out,
            "Connect",
            &format!("{}, {whole}", percentiles(connect)),
        )?;
    }
    let resumed = match tls.handshakes {
        0 => String::new(),
        n => format!(" ({:.1}%)", tls.resumed as f64 * 100.0 / n as f64),
    };
    let handshakes = format!(
        "{}, {} of them resumed{resumed}",
        plural(tls.handshakes, "handshake"),
        count(tls.resumed)
    );
    row(out, "TLS", &handshakes)?;
    if let Some(handshake) = &tls.handshake_ms {
        let part = "from TCP connected to TLS established";
        row(
            out,
            "Handshake",
            &format!("{}, {part}", percentiles(handshake)),
        )?;
    }
    if let Some(connack) = &tls.connack_ms {
        let part = "from CONNECT sent, after TLS";
        row(out, "CONNACK", &format!("{}, {part}", percentiles(connack)))?;
    }
    Ok(())
}

/// What was sent, acknowledged and received, and what was lost.
fn print_messages(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let (m, settings) = (&report.messages, &report.settings);
    let mut messages = vec![format!("sent {}", count(m.sent))];
    if acknowledged(settings) {
        messages.push(format!("acknowledged {}", count(m.acknowledged)));
        if m.rejected > 0 {
            messages.push(format!("rejected {}", count(m.rejected)));
        }
    }
    if settings.subscribers > 0 {
        messages.push(format!("received {}", count(m.received)));
    }
    row(out, "Messages", &messages.join(", "))?;
    if settings.subscribers == 0 {
        return Ok(());
    }
    let lost = match (m.lost, m.loss_percent) {
        (Some(lost), Some(percent)) => format!(
            "lost {} ({percent:.3}% of {} expected)",
            count(lost),
            count(m.expected.unwrap_or(0))
        ),
        _ => "lost: not known (no publisher here, or topics vary per message)".into(),
    };
    let order = format!(
        "{lost}, duplicated {}, out of order {}",
        count(m.duplicated),
        count(m.out_of_order)
    );
    row(out, "", &order)
}

fn print_throughput(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let (t, settings) = (&report.throughput, &report.settings);
    let mut rates = Vec::new();
    if settings.publishers > 0 {
        rates.push(format!(
            "sent {} msg/s ({:.2} MB/s)",
            thousands(t.sent_per_s.value()),
            t.sent_mb_per_s.value()
        ));
        if acknowledged(settings) {
            let acked = thousands(t.acknowledged_per_s.value());
            rates.push(format!("acknowledged {acked} msg/s"));
        }
    }
    if settings.subscribers > 0 {
        rates.push(format!(
            "received {} msg/s ({:.2} MB/s)",
            thousands(t.received_per_s.value()),
            t.received_mb_per_s.value()
        ));
    }
    row(out, "Throughput", &rates.join(", "))
}

fn print_generator(generator: &Generator, out: &mut impl Write) -> io::Result<()> {
    if let (Some(cpu), Some(share)) = (generator.cpu_s, generator.cpu_share) {
        let used = format!(
            "mqtk used {:.2} CPU-seconds, {:.0}% of {}",
            cpu.value(),
            share * 100.0,
            plural(generator.cores, "core")
        );
        row(out, "Generator", &used)?;
    }
    for warning in &generator.warnings {
        row(out, "Warning", warning)?;
    }
    Ok(())
}

/// Whether publishers were acknowledged: QoS 1 and 2.
fn acknowledged(settings: &Settings) -> bool {
    settings.publishers > 0 && settings.qos > 0
}

fn count(n: u64) -> String {
    thousands(n as f64)
}

/// "3 publishers", "1 publisher".
pub fn plural(n: u64, what: &str) -> String {
    match n {
        1 => format!("1 {what}"),
        n => format!("{} {what}s", count(n)),
    }
}

/// "p50 0.123  p90 ...  max 4.5 ms", each figure as the JSON writes it.
fn percentiles(ms: &Percentiles) -> String {
    let as_json = |x: f64| serde_json::Value::from(x).to_string();
    let mut parts: Vec<String> = ms
        .named()
        .iter()
        .map(|(name, value)| format!("{name} {}", as_json(*value)))
        .collect();
    parts.push(format!("max {} ms", as_json(ms.max)));
    parts.join("  ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::bench::report::tests::{parse, WRITTEN};

    fn printed(report: &Report) -> String {
        let mut out = Vec::new();
        print(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn reports_an_earlier_mqtk_wrote_print_as_it_printed_them() {
        for (name, json, text) in WRITTEN {
            assert_eq!(printed(&parse(json)), text, "{name}");
        }
    }

    #[test]
    fn a_tls_run_tells_the_connect_time_whole_and_in_its_two_parts() {
        let tls = WRITTEN.iter().find(|w| w.0 == "conn-tls").unwrap();
        let text = printed(&parse(tls.1));
        let headings: Vec<&str> = (text.lines())
            .map(|line| line.get(..14).unwrap_or(line).trim())
            .collect();
        let at = |heading: &str| headings.iter().position(|h| *h == heading).unwrap();
        assert!(
            at("Connect") < at("TLS") && at("TLS") < at("Handshake"),
            "{text}"
        );
        assert!(at("Handshake") < at("CONNACK"), "{text}");
        assert!(
            text.contains("from TCP connected to TLS established\n"),
            "{text}"
        );
        let plain = printed(&parse(WRITTEN.iter().find(|w| w.0 == "conn").unwrap().1));
        assert!(!plain.contains("TLS"), "{plain}");
    }

    #[test]
    fn the_loads_have_rows_of_their_own_only_when_used() {
        use crate::commands::bench::report::{OfflineFigures, ShareFigures, SubChurnFigures};
        let mut report = parse(WRITTEN[0].1);
        let plain = printed(&report);
        assert!(
            !plain.contains("Shared") && !plain.contains("Offline"),
            "{plain}"
        );
        report.share = Some(ShareFigures::of("g".into(), vec![3, 5], 8, 0, Some(8)));
        report.offline = Some(OfflineFigures {
            at_s: 1.0,
            away_s: 2.0,
            backlog: 90,
            drain_per_s: Some(900.0),
            drain_s: 0.1,
            duplicated: 0,
            duration_s: 1.0,
            lost: 10,
            outages: 2,
            published: 100,
            sessions_lost: 1,
        });
        report.sub_churn = Some(SubChurnFigures {
            cycles: 4,
            missed_while_unsubscribed: 6,
            rate: 2.0,
            suback_ms: None,
            unsubscribed_s: 0.25,
        });
        let text = printed(&report);
        for row in [
            "  Shared       group g: 2 members, messages each: min 3, max 5, mean 4.0, stddev 1.0\n",
            "               8 reached one member or more, lost 0 of 8, 0 reached more than one\n",
            "  Offline      2 subscriber outages for 1.00 s from 1.00 s into the load, 2.00 s away \
             in all, 1 session not kept by the broker\n",
            "               100 published meanwhile, backlog 90 delivered after the return, lost 10, \
             duplicated 0\n",
            "               drained in 0.100 s, 900 msg/s\n",
            "  Sub-churn    4 unsubscribe-subscribe cycles (2 asked per second), 0.25 s unsubscribed \
             in all, 6 missed meanwhile (expected, not loss)\n",
        ] {
            assert!(text.contains(row), "{row}\n{text}");
        }
    }

    #[test]
    fn a_shard_says_which_and_a_merge_how_many() {
        let (_, shard, _) = WRITTEN.iter().find(|w| w.0 == "shard1").unwrap();
        let first = printed(&parse(shard));
        assert!(
            first.starts_with("mqtk bench pubsub (shard 1/2): "),
            "{first}"
        );
        let (_, merged, _) = WRITTEN.iter().find(|w| w.0 == "merged").unwrap();
        let first = printed(&parse(merged));
        assert!(
            first.starts_with("mqtk bench pubsub (2 shards merged): "),
            "{first}"
        );
    }
}
