//! `mqtk bench` against the harness's real brokers, with small loads: the
//! JSON report's counts against what an independent `mqtk sub` counted, no
//! loss at QoS 1 and 2, failures reported by reason with the right exit code,
//! the --max-loss gate against a broker that drops, and a report after Ctrl-C.

mod common;

use std::time::Duration;

use common::fault_proxy::FaultProxy;
use common::own_mosquitto::OwnMosquitto;
use common::run::{for_each_broker, spawn, Finished, Running};
use common::{brokers, mosquitto_with_password, unique_topic, Broker, HeldPort};
use serde_json::Value;

/// Runs `mqtk bench ARGS --json -` against `broker` and returns its report.
fn bench(broker: &Broker, args: &[&str]) -> (Finished, Value) {
    let output = spawn_bench(broker, args).finish();
    let what = format!("{}: mqtk bench {}", broker.name, args.join(" "));
    let report = output.json_object(&what);
    (output, report)
}

fn spawn_bench(broker: &Broker, args: &[&str]) -> Running {
    let mut command = common::mqtk();
    command
        .arg("bench")
        .args(args)
        .args(broker.args())
        .args(["--json", "-"]);
    let what = format!("{}: mqtk bench {}", broker.name, args.join(" "));
    spawn(&what, &mut command, None)
}

/// An `mqtk sub` that prints the topic of every message under `prefix/`
/// (payloads are binary), once subscribed.
fn witness(broker: &Broker, prefix: &str, qos: &str) -> Running {
    common::run::subscribe(
        broker,
        &["-t", &format!("{prefix}/#"), "-q", qos, "-F", "%t"],
    )
}

/// The messages the witness printed, after it is stopped once it printed the `expected` ones
/// (or 10 s passed): the broker had every message when bench ended, but the witness may not
/// have them all yet. A message too many among them counts; one that would come after the last
/// of them is not waited for.
fn witnessed(mut witness: Running, expected: u64) -> u64 {
    let expected = usize::try_from(expected).expect("a count that fits in memory");
    witness.wait_for_stdout_lines(expected, Duration::from_secs(10));
    witness.interrupt();
    let output = witness.finish_within(Duration::from_secs(10));
    output.stdout().lines().count() as u64
}

/// The messages bench's subscribers received so far, from its `--metrics` at `addr`; `None` while
/// it does not answer.
fn received_so_far(addr: &str) -> Option<u64> {
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    common::set_timeouts(&stream);
    std::io::Write::write_all(&mut stream, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").ok()?;
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).ok()?;
    answer
        .lines()
        .find_map(|line| line.strip_prefix("mqtk_bench_received_total "))
        .and_then(|n| n.parse().ok())
}

fn count(report: &Value, section: &str, field: &str) -> u64 {
    report[section][field]
        .as_u64()
        .unwrap_or_else(|| panic!("no {section}.{field} in {report:#}"))
}

#[test]
fn pubsub_delivers_everything_at_qos_1_and_2_and_counts_what_a_witness_counts() {
    for_each_broker(&brokers(), |broker| {
        for qos in ["1", "2"] {
            let prefix = unique_topic("bench");
            let topic = format!("{prefix}/%i");
            let witness = witness(broker, &prefix, qos);
            let args = ["-c", "4", "-n", "200", "-q", qos, "-t", &topic];
            let (output, report) = bench(broker, &args);
            let what = format!("{}: bench -q {qos}", broker.name);
            output.assert_code(0, &what);
            let sent = count(&report, "messages", "sent");
            assert_eq!(sent, 800, "{what}: {report:#}");
            assert_eq!(count(&report, "messages", "acknowledged"), 800, "{what}");
            assert_eq!(count(&report, "messages", "received"), 800, "{what}");
            assert_eq!(count(&report, "messages", "expected"), 800, "{what}");
            assert_eq!(count(&report, "messages", "lost"), 0, "{what}");
            assert_eq!(count(&report, "messages", "duplicated"), 0, "{what}");
            assert_eq!(count(&report, "connections", "up"), 8, "{what}");
            assert_eq!(report["latency_ms"]["count"], 800, "{what}");
            assert_eq!(
                witnessed(witness, sent),
                sent,
                "{what}: the witness saw another count"
            );
        }
    });
}

#[test]
fn a_paced_publisher_load_is_counted_as_an_independent_subscriber_counts_it() {
    for_each_broker(&brokers(), |broker| {
        let prefix = unique_topic("bench-pub");
        let topic = format!("{prefix}/%i/%s");
        let witness = witness(broker, &prefix, "1");
        // On one worker thread, as a light paced load runs cheapest.
        let args = [
            "pub",
            "-c",
            "3",
            "-R",
            "300",
            "-d",
            "1s",
            "-q",
            "1",
            "-t",
            &topic,
            "--threads",
            "1",
        ];
        let (output, report) = bench(broker, &args);
        let what = format!("{}: bench pub -R 300", broker.name);
        output.assert_code(0, &what);
        let sent = count(&report, "messages", "sent");
        // 300 a second for a second, give or take the one due at the deadline.
        assert!((295..=300).contains(&sent), "{what}: {report:#}");
        assert_eq!(count(&report, "messages", "acknowledged"), sent, "{what}");
        assert_eq!(report["settings"]["pace"]["rate"], 300.0, "{what}");
        assert_eq!(report["generator"]["cores"], 1, "{what}: --threads 1");
        assert_eq!(
            witnessed(witness, sent),
            sent,
            "{what}: the witness saw another count"
        );
    });
}

#[test]
fn bench_sub_counts_what_other_publishers_send() {
    for_each_broker(&brokers(), |broker| {
        let prefix = unique_topic("bench-sub");
        let filter = format!("{prefix}/#");
        // Its live counters, to see when all has arrived.
        let metrics_port = HeldPort::for_server();
        let metrics = format!("127.0.0.1:{}", metrics_port.port());
        let running = spawn_bench(
            broker,
            &[
                "sub",
                "-c",
                "3",
                "-q",
                "1",
                "-T",
                &filter,
                "-d",
                "0",
                "--metrics",
                &metrics,
            ],
        );
        // Publish once all three are subscribed: the live line says so.
        let mut running = running;
        running.wait_for_stderr("up 3/3", Duration::from_secs(10));
        let lines: Vec<u8> = (0..100)
            .flat_map(|i| format!("{i}\n").into_bytes())
            .collect();
        let topic = format!("{prefix}/x");
        common::run::publish_with_input(broker, &["-t", &topic, "-q", "1", "-l"], Some(lines))
            .assert_code(0, "pub -l");
        // Ctrl-C once the live counter has all 300 (or after 10 s: the report then shows what
        // came).
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while received_so_far(&metrics).unwrap_or(0) < 300 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        running.interrupt();
        let output = running.finish_within(Duration::from_secs(15));
        let what = format!("{}: bench sub", broker.name);
        output.assert_code(0, &what);
        let report: Value = serde_json::from_str(output.stdout().trim()).unwrap();
        assert_eq!(
            count(&report, "messages", "received"),
            300,
            "{what}: {report:#}"
        );
        assert_eq!(report["interrupted"], true, "{what}");
    });
}

#[test]
fn a_connection_storm_with_churn_counts_every_connect() {
    for_each_broker(&brokers(), |broker| {
        let args = ["conn", "-c", "20", "-d", "1s", "--churn", "300ms"];
        let (output, report) = bench(broker, &args);
        let what = format!("{}: bench conn --churn", broker.name);
        output.assert_code(0, &what);
        let attempted = count(&report, "connections", "attempted");
        assert!(attempted >= 40, "{what}: {report:#}");
        assert_eq!(count(&report, "connections", "up"), attempted, "{what}");
        assert_eq!(count(&report, "connections", "failed"), 0, "{what}");
        assert_eq!(
            report["connections"]["connect_ms"]["count"].as_u64(),
            Some(attempted),
            "{what}"
        );
    });
}

#[test]
fn refused_credentials_are_reported_with_exit_code_4() {
    let Some((broker, user, _)) = mosquitto_with_password() else {
        return common::skip("mosquitto or mosquitto_passwd is not installed");
    };
    let output = spawn_bench(&broker, &["-c", "3", "-u", user, "-P", "wrong", "-d", "1s"]).finish();
    output.assert_code(4, "bench with a wrong password");
    output.assert_one_error_line("bench with a wrong password");
    assert!(output.stderr.contains("refused"), "{}", output.stderr);
}

#[test]
fn an_unreachable_broker_is_exit_code_3() {
    let closed = HeldPort::closed();
    let port = closed.port().to_string();
    let mut command = common::mqtk();
    command.args([
        "bench",
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "-c",
        "2",
        "-d",
        "1s",
    ]);
    let output = spawn("bench to a closed port", &mut command, None).finish();
    output.assert_code(3, "bench to a closed port");
    output.assert_one_error_line("bench to a closed port");
}

#[test]
fn max_loss_fails_a_run_against_a_broker_that_drops() {
    // One message in flight and ten queued per client: five publishers
    // flat out into one subscriber overflow its queue.
    let Some(mosquitto) =
        OwnMosquitto::start_with("max_inflight_messages 1\nmax_queued_messages 10\n")
    else {
        return common::skip("mosquitto is not installed");
    };
    let broker = mosquitto.broker();
    let prefix = unique_topic("bench-loss");
    let filter = format!("{prefix}/#");
    let topic = format!("{prefix}/%i");
    let args = [
        "-c", "5", "-S", "1", "-T", &filter, "-t", &topic, "-q", "1", "-n", "2000",
    ];
    let (output, report) = bench(&broker, &args);
    output.assert_code(1, "bench into a dropping broker");
    output.assert_one_error_line("bench into a dropping broker");
    assert!(output.stderr.contains("--max-loss"), "{}", output.stderr);
    assert_eq!(count(&report, "messages", "acknowledged"), 10_000);
    let lost = count(&report, "messages", "lost");
    assert!(lost > 0, "{report:#}");
    assert_eq!(
        count(&report, "messages", "received") + lost,
        10_000,
        "{report:#}"
    );
}

#[test]
fn ctrl_c_still_prints_the_report() {
    let broker = common::rumqttd_v5();
    let mut command = common::mqtk();
    command.arg("bench").args(broker.args()).args([
        "-c",
        "2",
        "-R",
        "200",
        "-d",
        "0",
        "-t",
        &format!("{}/%i", unique_topic("bench-int")),
    ]);
    let mut running = spawn("bench until Ctrl-C", &mut command, None);
    running.wait_for_stderr("received", Duration::from_secs(10));
    running.interrupt();
    let output = running.finish_within(Duration::from_secs(15));
    output.assert_code(0, "bench until Ctrl-C");
    let stdout = output.stdout();
    assert!(stdout.contains("Throughput"), "{stdout}");
    assert!(stdout.contains("interrupted"), "{stdout}");
}

/// A second Ctrl-C while the connections are still ending (their path went dead, so the
/// acknowledgements never come) stops bench at once: exit 130, one line, no report.
#[test]
fn a_second_ctrl_c_stops_at_once_with_exit_130() {
    let broker = common::rumqttd_v5();
    let proxy = FaultProxy::start(&broker);
    let mut command = common::mqtk();
    command.arg("bench").args(broker.via(&proxy).args()).args([
        "-c",
        "2",
        "-q",
        "1",
        "-R",
        "200",
        "-d",
        "0",
        "-t",
        &format!("{}/%i", unique_topic("bench-int2")),
    ]);
    let mut running = spawn("bench until two Ctrl-Cs", &mut command, None);
    running.wait_for_stderr("received", Duration::from_secs(10));
    proxy.half_open(Duration::from_secs(60));
    running.interrupt();
    std::thread::sleep(Duration::from_millis(500));
    running.interrupt();
    let output = running.finish_within(Duration::from_secs(5));
    output.assert_code(130, "bench after two Ctrl-Cs");
    output.assert_one_error_line("bench after two Ctrl-Cs");
    assert!(
        output
            .stderr
            .contains("interrupted again: stopped without the report"),
        "{}",
        output.stderr
    );
    assert!(
        !output.stdout().contains("Throughput"),
        "{}",
        output.stdout()
    );
}

#[test]
fn the_first_run_needs_no_broker() {
    // What the README's first command runs, shorter: no broker but its own.
    for args in [
        &["-d", "1s"][..],
        &["-d", "1s", "-q", "1", "-V", "3.1.1"][..],
    ] {
        let mut command = common::mqtk();
        command
            .args(["bench", "--embedded", "--json", "-"])
            .args(args);
        let what = format!("mqtk bench --embedded {}", args.join(" "));
        let output = spawn(&what, &mut command, None).finish();
        output.assert_code(0, &what);
        let report: Value = serde_json::from_str(output.stdout().trim()).unwrap();
        let sent = count(&report, "messages", "sent");
        // The embedded default: 10,000 messages a second, here for one second.
        assert!((9_900..=10_000).contains(&sent), "{what}: {report:#}");
        assert_eq!(count(&report, "messages", "lost"), 0, "{what}: {report:#}");
        assert!(
            output.stderr.contains("embedded broker"),
            "{what}: {}",
            output.stderr
        );
    }
}

#[test]
fn connections_lost_midway_are_reported_by_reason_with_what_they_counted() {
    let Some(mut mosquitto) = OwnMosquitto::start() else {
        return common::skip("mosquitto is not installed");
    };
    let broker = mosquitto.broker();
    let topic = format!("{}/%i", unique_topic("bench-lost"));
    let args = ["-c", "2", "-q", "1", "-R", "400", "-d", "5s", "-t", &topic];
    let mut running = spawn_bench(&broker, &args);
    running.wait_for_stderr("received", Duration::from_secs(10));
    mosquitto.kill();
    let output = running.finish_within(Duration::from_secs(30));
    // Connections lost during the run fail it, with one line.
    output.assert_code(1, "bench through a broker that dies");
    output.assert_one_error_line("bench through a broker that dies");
    assert!(
        output.stderr.contains("4 connections were lost"),
        "{}",
        output.stderr
    );
    let report: Value = serde_json::from_str(output.stdout().trim()).unwrap();
    let failures = report["connections"]["failures"].as_object().unwrap();
    let lost: u64 = failures
        .iter()
        .filter(|(reason, _)| reason.starts_with("lost: "))
        .map(|(_, n)| n.as_u64().unwrap())
        .sum();
    assert_eq!(lost, 4, "{report:#}");
    assert!(count(&report, "messages", "sent") > 0, "{report:#}");
    assert!(count(&report, "messages", "received") > 0, "{report:#}");
}

#[test]
fn ifaddr_spreads_connections_over_the_source_addresses() {
    // A scripted peer, to see where each connection came from.
    let (sources, seen) = std::sync::mpsc::channel();
    let peer = common::FakePeer::start_many(4, move |_, mut stream| {
        let _connect = common::read_packet(&mut stream);
        // CONNACK: accepted, MQTT 5, no properties.
        std::io::Write::write_all(&mut stream, &[0x20, 0x03, 0x00, 0x00, 0x00]).unwrap();
        let source = stream.peer_addr().unwrap().ip().to_string();
        // Keep the stream open until the test ends.
        sources.send((source, stream)).unwrap();
    });
    let mut command = common::mqtk();
    command.args(["bench", "conn", "-c", "4", "-V", "5", "-d", "500ms"]);
    command
        .args(peer.args())
        .args(["--ifaddr", "127.0.0.2,127.0.0.3"]);
    let output = spawn("bench conn --ifaddr", &mut command, None).finish();
    output.assert_code(0, "bench conn --ifaddr");
    let mut from: Vec<String> = seen.try_iter().map(|(source, _)| source).collect();
    from.sort();
    assert_eq!(from, ["127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3"]);
}

#[test]
fn connect_retries_wait_for_a_broker_that_comes_up_late() {
    let Some(mut mosquitto) = OwnMosquitto::start() else {
        return common::skip("mosquitto is not installed");
    };
    mosquitto.kill();
    let broker = mosquitto.broker();
    // A progress line each 100 ms, to see the failed connects.
    let args = [
        "conn",
        "-c",
        "2",
        "-d",
        "500ms",
        "--connect-retries",
        "10",
        "--report-interval",
        "100ms",
    ];
    let mut running = spawn_bench(&broker, &args);
    // The broker comes up once two connects have failed (however long bench took to start).
    running.wait_for_stderr_line(
        "progress line with 2 errors or more",
        Duration::from_secs(10),
        |line| {
            line.starts_with("mqtk bench: ")
                && line
                    .split("errors ")
                    .nth(1)
                    .and_then(|errors| errors.trim().parse::<u64>().ok())
                    .is_some_and(|errors| errors >= 2)
        },
    );
    mosquitto.start_again();
    let output = running.finish_within(Duration::from_secs(30));
    output.assert_code(0, "bench conn --connect-retries");
    let report: Value = serde_json::from_str(output.stdout().trim()).unwrap();
    assert_eq!(count(&report, "connections", "up"), 2, "{report:#}");
    let attempted = count(&report, "connections", "attempted");
    let failed = count(&report, "connections", "failed");
    assert!(failed >= 2, "{report:#}");
    assert_eq!(attempted, failed + 2, "{report:#}");
    // Without retries, the same broker down is the end of the run.
    mosquitto.kill();
    let output = spawn_bench(&broker, &["conn", "-c", "2", "-d", "500ms"]).finish();
    output.assert_code(3, "bench conn without retries, broker down");
}

#[test]
fn three_shards_merged_are_one_run_of_the_same_load() {
    use base64::Engine as _;
    use hdrhistogram::serialization::Deserializer;
    use hdrhistogram::Histogram;

    let broker = common::rumqttd_v5();
    let dir = tempfile::tempdir().unwrap();
    let at = common::run::start_at_in(Duration::from_secs(2));
    let load = |prefix: &str| {
        let topic = format!("{}/%i", unique_topic(prefix));
        ["-c", "6", "-R", "600", "-d", "1s", "-q", "1", "-t", &topic]
            .map(String::from)
            .to_vec()
    };
    // Three shards of one load, beginning together.
    let shard_load = load("bench-shards");
    let files = common::run::shard_reports(dir.path(), 3);
    let shards: Vec<Running> = (0..3)
        .map(|i| {
            let mut command = common::mqtk();
            command.arg("bench").args(&shard_load).args(broker.args());
            command.args(["--shard", &format!("{i}/3"), "--start-at", &at]);
            command.args(["--json", &files[i]]);
            spawn(&format!("shard {i}/3"), &mut command, None)
        })
        .collect();
    for (i, shard) in shards.into_iter().enumerate() {
        shard.finish().assert_code(0, &format!("shard {i}/3"));
    }
    // The same load from one process.
    let single_load = load("bench-single");
    let args: Vec<&str> = single_load.iter().map(String::as_str).collect();
    let (output, single) = bench(&broker, &args);
    output.assert_code(0, "the load from one process");

    let mut command = common::mqtk();
    command
        .args(["bench", "merge"])
        .args(&files)
        .args(["--json", "-"]);
    let output = spawn("bench merge", &mut command, None).finish();
    output.assert_code(0, "bench merge");
    let merged: Value = serde_json::from_str(output.stdout().trim()).unwrap();
    assert_eq!(
        merged["shards"].as_array().map(Vec::len),
        Some(3),
        "{merged:#}"
    );
    assert_eq!(merged["settings"]["publishers"], 6);
    for field in ["sent", "acknowledged", "received", "expected", "lost"] {
        assert_eq!(
            merged["messages"][field], single["messages"][field],
            "{field}: merged {merged:#}\nsingle {single:#}"
        );
    }
    assert_eq!(count(&merged, "messages", "sent"), 600);
    // Percentiles from the shards' histograms added up, never averaged.
    let mut all: Histogram<u64> = Histogram::new_with_bounds(1, 3_600_000_000_000, 3).unwrap();
    for file in &files {
        let report: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let text = report["histograms"]["latency"].as_str().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap();
        let one: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .unwrap();
        all.add(&one).unwrap();
    }
    let ms = |ns: u64| (ns as f64 / 1e3).round() / 1e3;
    assert_eq!(merged["latency_ms"]["count"], all.len());
    assert_eq!(
        merged["latency_ms"]["p99"],
        ms(all.value_at_percentile(99.0))
    );
    assert_eq!(merged["latency_ms"]["max"], ms(all.max()));

    // Runs that did not overlap do not merge.
    let mut later =
        serde_json::from_str::<Value>(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    let shift = 3_600_000_000_000u64;
    for field in ["started_ns", "ended_ns"] {
        later[field] = (later[field].as_u64().unwrap() + shift).into();
    }
    let later_file = dir.path().join("later.json");
    std::fs::write(&later_file, later.to_string()).unwrap();
    let mut command = common::mqtk();
    command.args(["bench", "merge", &files[1]]).arg(&later_file);
    let output = spawn("bench merge of runs apart", &mut command, None).finish();
    output.assert_code(1, "bench merge of runs apart");
    output.assert_one_error_line("bench merge of runs apart");
    assert!(
        output.stderr.contains("do not overlap"),
        "{}",
        output.stderr
    );
}

#[test]
fn metrics_serve_the_live_counters_for_prometheus() {
    let held = HeldPort::for_server();
    let port = held.port().to_string();
    let addr = format!("127.0.0.1:{port}");
    let mut command = common::mqtk();
    command.args([
        "bench",
        "--embedded",
        "-c",
        "2",
        "-d",
        "3s",
        "--metrics",
        &addr,
    ]);
    let mut running = spawn("bench --metrics", &mut command, None);
    running.wait_for_stderr("received", Duration::from_secs(10));
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    std::io::Write::write_all(&mut stream, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains("mqtk_bench_connections_up 4"), "{answer}");
    let sent = answer
        .lines()
        .find_map(|line| line.strip_prefix("mqtk_bench_sent_total "))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no sent counter: {answer}"));
    assert!(sent > 0, "{answer}");
    assert!(
        answer.contains("mqtk_bench_latency_seconds_bucket"),
        "{answer}"
    );
    running.finish().assert_code(0, "bench --metrics");
}

/// With --reconnect, a load lives through connections reset every 700 ms: every connection
/// comes back, the report counts the reconnects and the time offline, and at QoS 1 nothing is
/// lost where the broker keeps the sessions (mosquitto).
#[test]
fn reconnect_rides_out_resets_and_loses_nothing_at_qos_1() {
    let Some(mosquitto) = common::mosquitto() else {
        return common::skip("mosquitto is not installed");
    };
    let proxy = FaultProxy::start(&mosquitto);
    let topic = format!("{}/%i", unique_topic("bench-reconnect"));
    let args = [
        "-c",
        "2",
        "-q",
        "1",
        "-R",
        "400",
        "-d",
        "3s",
        "-t",
        &topic,
        "--reconnect",
        "20",
    ];
    let mut running = spawn_bench(&mosquitto.via(&proxy), &args);
    running.wait_for_stderr("received", Duration::from_secs(10));
    proxy.reset_every(Duration::from_millis(700));
    let output = running.finish_within(Duration::from_secs(60));
    proxy.stop_faults();
    output.assert_code(0, "bench --reconnect through resets");
    let report: Value = serde_json::from_str(output.stdout().trim()).unwrap();
    let what = format!("{report:#}");
    // Two publishers and two subscribers, each reset about three times.
    let reconnects = count(&report, "connections", "reconnects");
    assert!(reconnects >= 4, "{what}");
    assert_eq!(count(&report, "connections", "reconnected"), 4, "{what}");
    assert_eq!(count(&report, "connections", "failed"), 0, "{what}");
    let offline = report["connections"]["offline_s"].as_f64().unwrap();
    let longest = report["connections"]["longest_offline_s"].as_f64().unwrap();
    assert!(
        offline > 0.0 && longest > 0.0 && longest <= offline,
        "{what}"
    );
    assert_eq!(count(&report, "messages", "lost"), 0, "{what}");
    let sent = count(&report, "messages", "sent");
    assert_eq!(count(&report, "messages", "expected"), sent, "{what}");
    assert!(output.stdout().contains("\"reconnects\""), "{what}");
}

/// Panics unless `written` is the report `expected` was, field for field and
/// number for number: whole numbers as they were (12, not 12.0), others
/// within a rounding of their last digit.
fn assert_same_report(written: &Value, expected: &Value, at: &str) {
    match (written, expected) {
        (Value::Number(a), Value::Number(b)) if a.is_f64() && b.is_f64() => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            let close = (a - b).abs() <= 1e-12 * a.abs().max(b.abs());
            assert!(close, "{at}: {a} is not {b}");
        }
        (Value::Object(a), Value::Object(b)) => {
            let keys = |map: &serde_json::Map<String, Value>| map.keys().cloned().collect();
            let (mine, theirs): (Vec<String>, Vec<String>) = (keys(a), keys(b));
            assert_eq!(mine, theirs, "{at}: the fields differ");
            for (key, value) in a {
                assert_same_report(value, &b[key], &format!("{at}.{key}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}: the lengths differ");
            for (i, (a, b)) in a.iter().zip(b).enumerate() {
                assert_same_report(a, b, &format!("{at}[{i}]"));
            }
        }
        (a, b) => assert_eq!(a, b, "{at}"),
    }
}

#[test]
fn merging_reports_an_earlier_mqtk_wrote_gives_what_it_gave() {
    // tests/data holds two shards' reports and their merge, as mqtk wrote them.
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let read = |name: &str| std::fs::read_to_string(data.join(name)).unwrap();
    let merge = |extra: &[&str]| {
        let mut command = common::mqtk();
        command.current_dir(&data).args([
            "bench",
            "merge",
            "bench-report-shard0.json",
            "bench-report-shard1.json",
        ]);
        let output = spawn("bench merge", command.args(extra), None).finish();
        output.assert_code(0, "bench merge");
        output.stdout()
    };
    let mut written: Value = serde_json::from_str(&merge(&["--json", "-"])).unwrap();
    let mut expected: Value = serde_json::from_str(&read("bench-report-merged.json")).unwrap();
    // The version of mqtk that merged them is its own.
    written["mqtk"] = Value::Null;
    expected["mqtk"] = Value::Null;
    assert_same_report(&written, &expected, "report");
    assert_eq!(merge(&[]), read("bench-report-merged.txt"));
}
