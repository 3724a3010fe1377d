//! `mqtk bench` over TLS against a mosquitto of the test's own with a TLS
//! listener and certificates the test makes: every handshake counted, the
//! connections that come back (--churn, --reconnect) resuming their TLS
//! sessions, the handshake timed apart from CONNECT to CONNACK, and a pubsub
//! load that delivers everything.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::fault_proxy::FaultProxy;
use common::own_mosquitto::OwnMosquitto;
use common::pki::{Pki, BROKER_NAME};
use common::run::{spawn, Running};
use common::{mqtk, unique_topic, HOST};
use serde_json::Value;

/// Starts `mqtk bench ARGS --json -` against `port` over TLS, verified
/// against the test's CA.
fn spawn_bench_tls(pki: &Pki, port: u16, args: &[&str]) -> Running {
    let port = port.to_string();
    let ca = pki.arg("ca.pem");
    let mut command = mqtk();
    command
        .arg("bench")
        .args(args)
        .args(["-h", HOST, "-p", &port])
        .args(["--cafile", &ca, "--sni", BROKER_NAME])
        .args(["--json", "-"]);
    spawn(&what(args), &mut command, None)
}

fn what(args: &[&str]) -> String {
    format!("mqtk bench {} over TLS", args.join(" "))
}

/// Runs `mqtk bench ARGS --json -` against `broker` over TLS and returns its
/// report once it exited with 0.
fn bench_tls(pki: &Pki, broker: &OwnMosquitto, args: &[&str]) -> Value {
    let output = spawn_bench_tls(pki, broker.broker().port, args).finish();
    output.assert_code(0, &what(args));
    output.json_object(&what(args))
}

fn number(report: &Value, path: &[&str]) -> u64 {
    let value = path.iter().fold(report, |value, key| &value[key]);
    value
        .as_u64()
        .unwrap_or_else(|| panic!("no {} in {report:#}", path.join(".")))
}

#[test]
fn connections_that_come_back_resume_their_tls_sessions() {
    let pki = Pki::new();
    let Some(broker) = OwnMosquitto::start_with(&pki.listener("")) else {
        return common::skip("mosquitto is not installed");
    };
    let connections = 50;
    let args = ["conn", "-c", "50", "-d", "2s", "--churn", "500ms"];
    let report = bench_tls(&pki, &broker, &args);
    let attempted = number(&report, &["connections", "attempted"]);
    assert!(attempted >= 3 * connections, "{report:#}");
    assert_eq!(number(&report, &["connections", "up"]), attempted);
    assert_eq!(number(&report, &["connections", "failed"]), 0);
    // Every connect was one handshake, timed whole and in its two parts.
    let handshakes = number(&report, &["connections", "tls", "handshakes"]);
    assert_eq!(handshakes, attempted, "{report:#}");
    for series in ["handshake_ms", "connack_ms"] {
        let count = number(&report, &["connections", "tls", series, "count"]);
        assert_eq!(count, handshakes, "{series}: {report:#}");
    }
    assert_eq!(
        number(&report, &["connections", "connect_ms", "count"]),
        attempted
    );
    let p50 = |series: &str| {
        report["connections"]["tls"][series]["p50"]
            .as_f64()
            .unwrap()
    };
    let connect_p50 = report["connections"]["connect_ms"]["p50"].as_f64().unwrap();
    assert!(
        p50("handshake_ms") > 0.0 && p50("connack_ms") > 0.0,
        "{report:#}"
    );
    assert!(p50("handshake_ms") < connect_p50, "{report:#}");
    // mosquitto sends session tickets, and a ticket is kept for each
    // connection: most handshakes after the first round resume.
    let resumed = number(&report, &["connections", "tls", "resumed"]);
    let after_the_first = handshakes - connections;
    assert!(
        resumed > 0 && 2 * resumed >= after_the_first && resumed <= handshakes,
        "{resumed} of {handshakes} resumed: {report:#}"
    );
    let histograms = &report["histograms"];
    assert!(histograms["tls_handshake"].is_string() && histograms["connack"].is_string());
}

#[test]
fn a_pubsub_load_over_tls_delivers_everything() {
    let pki = Pki::new();
    let Some(broker) = OwnMosquitto::start_with(&pki.listener("")) else {
        return common::skip("mosquitto is not installed");
    };
    let topic = format!("{}/%i", unique_topic("bench-tls"));
    let args = ["-c", "3", "-n", "100", "-q", "1", "-t", &topic];
    let report = bench_tls(&pki, &broker, &args);
    for field in ["sent", "acknowledged", "received", "expected"] {
        assert_eq!(
            number(&report, &["messages", field]),
            300,
            "{field}: {report:#}"
        );
    }
    assert_eq!(number(&report, &["messages", "lost"]), 0);
    assert_eq!(number(&report, &["connections", "up"]), 6);
    assert_eq!(number(&report, &["connections", "tls", "handshakes"]), 6);
    assert_eq!(number(&report, &["latency_ms", "count"]), 300);
}

#[test]
fn connections_reset_midway_reconnect_with_their_tls_sessions_resumed() {
    let pki = Pki::new();
    let Some(broker) = OwnMosquitto::start_with(&pki.listener("")) else {
        return common::skip("mosquitto is not installed");
    };
    let target: SocketAddr = format!("{HOST}:{}", broker.broker().port).parse().unwrap();
    let proxy = FaultProxy::to(target);
    let topic = format!("{}/%i", unique_topic("bench-tls-reconnect"));
    let args = [
        "-c",
        "2",
        "-q",
        "1",
        "-R",
        "200",
        "-d",
        "3s",
        "-t",
        &topic,
        "--reconnect",
        "20",
    ];
    let mut running = spawn_bench_tls(&pki, proxy.port(), &args);
    running.wait_for_stderr("received", Duration::from_secs(10));
    proxy.reset_every(Duration::from_millis(700));
    let output = running.finish_within(Duration::from_secs(60));
    proxy.stop_faults();
    output.assert_code(0, "bench --reconnect over TLS through resets");
    let report = output.json_object("bench --reconnect over TLS through resets");
    let reconnects = number(&report, &["connections", "reconnects"]);
    assert!(reconnects >= 4, "{report:#}");
    assert_eq!(number(&report, &["connections", "failed"]), 0, "{report:#}");
    assert_eq!(number(&report, &["messages", "lost"]), 0, "{report:#}");
    // Each connect and each reconnect made a handshake; a reconnect resumes
    // with a ticket its connection (or another) read before the reset.
    let up = number(&report, &["connections", "up"]);
    let handshakes = number(&report, &["connections", "tls", "handshakes"]);
    assert!(handshakes >= up + reconnects, "{report:#}");
    let resumed = number(&report, &["connections", "tls", "resumed"]);
    assert!(resumed > 0 && resumed <= handshakes, "{report:#}");
    let timed = number(&report, &["connections", "tls", "handshake_ms", "count"]);
    assert_eq!(timed, handshakes, "{report:#}");
}

#[test]
fn a_plain_tcp_report_has_no_tls_figures() {
    let Some(broker) = OwnMosquitto::start() else {
        return common::skip("mosquitto is not installed");
    };
    let mut command = mqtk();
    command
        .args(["bench", "conn", "-c", "3", "-d", "200ms", "--json", "-"])
        .args(broker.broker().args());
    let output = spawn("bench conn over TCP", &mut command, None).finish();
    output.assert_code(0, "bench conn over TCP");
    let report = output.json_object("bench conn over TCP");
    assert!(report["connections"].get("tls").is_none(), "{report:#}");
    assert!(report["histograms"].get("tls_handshake").is_none());
    assert!(report["histograms"].get("connack").is_none());
}

/// A load file's groups over TLS: each group counts its own handshakes and
/// keeps their histograms, so that shards of it merge them too.
#[test]
fn each_group_of_a_load_file_keeps_its_tls_handshakes() {
    let pki = Pki::new();
    let Some(broker) = OwnMosquitto::start_with(&pki.listener("")) else {
        return common::skip("mosquitto is not installed");
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tls.toml");
    let prefix = unique_topic("bench-tls-load");
    let text = format!(
        "[[group]]\nname = \"meters\"\nrole = \"publishers\"\ncount = 3\n\
         topic = \"{prefix}/%i\"\nrate = 60\n\n\
         [[group]]\nname = \"idle\"\nrole = \"connections\"\ncount = 2\n"
    );
    std::fs::write(&file, text).unwrap();
    let file = file.display().to_string();
    let report = bench_tls(&pki, &broker, &["--load", &file, "-d", "500ms"]);
    for (at, connections) in [(0, 3), (1, 2)] {
        let group = &report["groups"][at];
        let tls = &group["connections"]["tls"];
        assert_eq!(tls["handshakes"], connections, "{group:#}");
        assert_eq!(tls["handshake_ms"]["count"], connections, "{group:#}");
        for series in ["tls_handshake", "connack"] {
            assert!(
                group["histograms"][series].is_string(),
                "{series}: {group:#}"
            );
        }
    }
}
