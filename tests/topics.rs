//! `mqtk topics` against real brokers: the tree of a known set of messages, as text and as
//! JSON; the retained listing; `--clear` as a dry run and for real, checked by an independent
//! subscriber; a broker that refuses the subscription (exit 4); and a lost connection,
//! ridden out through a fault proxy or, with --no-reconnect, the end (exit 1).
//!
//! Each test publishes under a topic of its own, so that the brokers shared by the tests of
//! this binary hold other tests' messages too without changing the figures. A watch counts as
//! subscribed once its `-d` trace shows the SUBACK.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::fault_proxy::FaultProxy;
use common::own_mosquitto::OwnMosquitto;
use common::run::{
    for_each_broker, publish_marker, publish_ok, spawn, subscribe, Finished, MARKER,
};
use common::{brokers, mqtk, unique_topic, Broker};
use serde_json::Value;

/// How long a watch may take to subscribe.
const SUBSCRIBED: Duration = Duration::from_secs(10);

/// Runs `mqtk topics ARGS` against `broker` to the end.
fn topics(broker: &Broker, args: &[&str]) -> Finished {
    let what = format!("{}: mqtk topics {}", broker.name, args.join(" "));
    let mut command = mqtk();
    command.arg("topics").args(broker.args()).args(args);
    spawn(&what, &mut command, None).finish()
}

/// What the test publishes under `prefix` before and while a watch runs: two retained
/// messages (one of them updated live) and three live messages on a topic of their own.
fn publish_the_known_set_before(broker: &Broker, prefix: &str) {
    publish_ok(
        broker,
        &[
            "-t",
            &format!("{prefix}/kept"),
            "-m",
            "hello",
            "-r",
            "-q",
            "1",
        ],
    );
    publish_ok(
        broker,
        &[
            "-t",
            &format!("{prefix}/a/b"),
            "-m",
            "12345",
            "-r",
            "-q",
            "1",
        ],
    );
}

fn publish_the_known_set_while(broker: &Broker, prefix: &str) {
    for payload in ["abc", "abcd", "abcdef"] {
        publish_ok(
            broker,
            &["-t", &format!("{prefix}/live"), "-m", payload, "-q", "1"],
        );
    }
    publish_ok(
        broker,
        &["-t", &format!("{prefix}/a/b"), "-m", "xy", "-q", "1"],
    );
}

/// Watches `prefix/#` for `seconds` while the known set is published live, and returns what
/// `mqtk topics` printed.
fn watch_the_known_set(broker: &Broker, prefix: &str, extra: &[&str]) -> Finished {
    publish_the_known_set_before(broker, prefix);
    let filter = format!("{prefix}/#");
    let mut args = vec!["topics"];
    let broker_args = broker.args();
    args.extend(broker_args.iter().map(String::as_str));
    args.extend(["-t", &filter, "-W", "4", "-d"]);
    args.extend(extra);
    let what = format!("{}: mqtk {}", broker.name, args.join(" "));
    let mut watch = spawn(&what, mqtk().args(&args), None);
    watch.wait_for_stderr("received SUBACK", SUBSCRIBED);
    publish_the_known_set_while(broker, prefix);
    let got = watch.finish();
    got.assert_code(0, &what);
    got
}

/// A row of the text tree: the figures of one topic level, by the header's columns.
#[derive(Debug, PartialEq)]
struct Row {
    name: String,
    messages: u64,
    rate: f64,
    size: u64,
    qos: String,
    retained: bool,
}

/// The rows of the tree that have figures, read by the columns of the header line.
fn tree_rows(what: &str, stdout: &str) -> Vec<Row> {
    let lines: Vec<&str> = stdout.lines().collect();
    let header = lines
        .iter()
        .position(|line| line.starts_with("TOPIC "))
        .unwrap_or_else(|| panic!("{what}: no header line:\n{stdout}"));
    let columns = |label: &str| {
        lines[header]
            .find(label)
            .unwrap_or_else(|| panic!("{what}: no {label} column"))
    };
    let (qos, retained, last) = (columns("QOS"), columns("RETAINED"), columns("LAST"));
    lines[header + 1..]
        .iter()
        .filter(|line| line.len() > qos)
        .map(|line| {
            let figures: Vec<&str> = line[..qos].split_whitespace().collect();
            let number = |i: usize| {
                figures[i]
                    .parse::<f64>()
                    .unwrap_or_else(|e| panic!("{what}: {line:?}: {e}"))
            };
            Row {
                name: figures[0].to_string(),
                messages: number(1) as u64,
                rate: number(2),
                size: number(3) as u64,
                qos: line[qos..retained].trim().to_string(),
                retained: line[retained..last].trim() == "yes",
            }
        })
        .collect()
}

#[test]
fn the_tree_counts_a_known_set_of_messages() {
    for_each_broker(&brokers(), |broker| {
        let prefix = unique_topic("topics-tree");
        let got = watch_the_known_set(broker, &prefix, &[]);
        let what = format!("{}: topics", broker.name);
        let stdout = got.stdout();
        assert!(
            stdout.starts_with("3 topics, 6 messages in "),
            "{what}:\n{stdout}"
        );
        let rows = tree_rows(&what, &stdout);
        let row = |name: &str| {
            rows.iter()
                .find(|row| row.name == name)
                .unwrap_or_else(|| panic!("{what}: no row {name}:\n{stdout}"))
        };
        let (kept, b, live) = (row("kept"), row("b"), row("live"));
        assert_eq!(
            (kept.messages, kept.size, kept.retained),
            (1, 5, true),
            "{what}: kept"
        );
        assert_eq!(kept.rate, 0.0, "{what}: a retained message is not live");
        assert_eq!(
            (b.messages, b.size, b.retained),
            (2, 2, true),
            "{what}: a/b"
        );
        assert_eq!(
            (live.messages, live.size, live.retained),
            (3, 6, false),
            "{what}: live"
        );
        assert!(
            live.rate > 0.0 && live.rate <= 3.0,
            "{what}: live rate {}",
            live.rate
        );
        // The levels above a topic are rows without figures, indented by two a level.
        assert!(
            stdout.contains("\n      a\n        b "),
            "{what}:\n{stdout}"
        );
        // rumqttd delivers every message at the QoS of the subscription (see mqtk broker --help).
        if broker.name.contains("mosquitto") {
            assert_eq!((kept.qos.as_str(), live.qos.as_str()), ("1", "1"), "{what}");
        }
    });
}

#[test]
fn the_json_tree_counts_the_same_known_set() {
    for_each_broker(&brokers(), |broker| {
        let prefix = unique_topic("topics-json");
        let got = watch_the_known_set(broker, &prefix, &["--json", "-q", "1"]);
        let what = format!("{}: topics --json", broker.name);
        let doc: Value = serde_json::from_slice(&got.stdout)
            .unwrap_or_else(|e| panic!("{what}: not one JSON document ({e}):\n{}", got.stdout()));
        assert_eq!(
            doc["filters"],
            serde_json::json!([format!("{prefix}/#")]),
            "{what}"
        );
        assert_eq!(
            (doc["topic_count"].as_u64(), doc["messages"].as_u64()),
            (Some(3), Some(6))
        );
        assert!(
            doc["seconds"].as_f64().is_some_and(|s| s >= 3.9),
            "{what}: {doc}"
        );
        let topic = |name: &str| {
            let full = format!("{prefix}/{name}");
            doc["topics"]
                .as_array()
                .and_then(|topics| topics.iter().find(|t| t["topic"] == full.as_str()))
                .unwrap_or_else(|| panic!("{what}: no {full}: {doc}"))
                .clone()
        };
        let (kept, b, live) = (topic("kept"), topic("a/b"), topic("live"));
        for (t, messages, live_messages, size, retained) in [
            (&kept, 1, 0, 5, true),
            (&b, 2, 1, 2, true),
            (&live, 3, 3, 6, false),
        ] {
            assert_eq!(t["messages"], messages, "{what}: {t}");
            assert_eq!(t["live_messages"], live_messages, "{what}: {t}");
            assert_eq!(t["size"], size, "{what}: {t}");
            assert_eq!(t["retained"], retained, "{what}: {t}");
            assert!(
                t["last_seen"].as_str().is_some_and(|s| s.ends_with('Z')),
                "{what}: {t}"
            );
        }
        assert!(
            live["rate"].as_f64().is_some_and(|r| r > 0.0),
            "{what}: {live}"
        );
        // Subscribed at -q 1, QoS 1 messages come at QoS 1 from every broker.
        assert_eq!(live["qos"], serde_json::json!([1]), "{what}: {live}");
        // Topics in tree order: a/b before kept before live.
        let order: Vec<&str> = doc["topics"]
            .as_array()
            .map(|topics| topics.iter().filter_map(|t| t["topic"].as_str()).collect())
            .unwrap_or_default();
        let expected: Vec<String> = ["a/b", "kept", "live"]
            .iter()
            .map(|n| format!("{prefix}/{n}"))
            .collect();
        assert_eq!(order, expected, "{what}");
    });
}

#[test]
fn retained_lists_each_retained_message_with_its_size_and_the_start_of_its_payload() {
    for_each_broker(&brokers(), |broker| {
        let prefix = unique_topic("topics-retained");
        let long = "x".repeat(100);
        publish_ok(
            broker,
            &[
                "-t",
                &format!("{prefix}/short"),
                "-m",
                "hello",
                "-r",
                "-q",
                "1",
            ],
        );
        publish_ok(
            broker,
            &[
                "-t",
                &format!("{prefix}/long"),
                "-m",
                &long,
                "-r",
                "-q",
                "1",
            ],
        );
        // Not retained: not listed.
        publish_ok(
            broker,
            &["-t", &format!("{prefix}/live"), "-m", "gone", "-q", "1"],
        );
        let filter = format!("{prefix}/#");
        let what = format!("{}: topics --retained", broker.name);
        let got = topics(broker, &["-t", &filter, "--retained", "--settle", "0.5"]);
        got.assert_code(0, &what);
        let stdout = got.stdout();
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(
            lines[0],
            format!("2 retained messages under \"{filter}\""),
            "{what}"
        );
        assert!(
            lines[1].starts_with("TOPIC ") && lines[1].ends_with("SIZE  PAYLOAD"),
            "{what}"
        );
        let fields = |line: &str| {
            line.split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            fields(lines[2]),
            [
                format!("{prefix}/long"),
                "100".to_string(),
                format!("{}...", "x".repeat(40))
            ],
            "{what}"
        );
        assert_eq!(
            fields(lines[3]),
            [
                format!("{prefix}/short"),
                "5".to_string(),
                "hello".to_string()
            ],
            "{what}"
        );
        assert_eq!(lines.len(), 4, "{what}:\n{stdout}");

        let got = topics(
            broker,
            &["-t", &filter, "--retained", "--settle", "0.5", "--json"],
        );
        got.assert_code(0, &format!("{what} --json"));
        let doc: Value = serde_json::from_slice(&got.stdout).expect("one JSON document");
        assert_eq!(doc["count"], 2, "{what}: {doc}");
        let short = &doc["retained"][1];
        assert_eq!(short["topic"], format!("{prefix}/short"), "{what}: {doc}");
        assert_eq!(
            (short["size"].as_u64(), short["preview"].as_str()),
            (Some(5), Some("hello"))
        );
        assert_eq!(short["truncated"], false, "{what}: {doc}");
        assert_eq!(doc["retained"][0]["truncated"], true, "{what}: {doc}");
    });
}

/// Publishes two retained messages under `prefix/old` and one under `prefix/keep`.
fn publish_old_and_kept(broker: &Broker, prefix: &str) {
    for (topic, payload) in [("old/1", "one"), ("old/2/x", "two"), ("keep", "stay")] {
        publish_ok(
            broker,
            &[
                "-t",
                &format!("{prefix}/{topic}"),
                "-m",
                payload,
                "-r",
                "-q",
                "1",
            ],
        );
    }
}

/// The topics `--retained` lists under `prefix/#`.
fn retained_topics(broker: &Broker, prefix: &str) -> Vec<String> {
    let filter = format!("{prefix}/#");
    let got = topics(
        broker,
        &["-t", &filter, "--retained", "--settle", "0.5", "--json"],
    );
    got.assert_code(0, &format!("{}: topics --retained", broker.name));
    let doc: Value = serde_json::from_slice(&got.stdout).expect("one JSON document");
    doc["retained"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|m| m["topic"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn clear_without_yes_lists_what_it_would_delete_and_deletes_nothing() {
    for_each_broker(&brokers(), |broker| {
        let prefix = unique_topic("topics-dry-run");
        publish_old_and_kept(broker, &prefix);
        let old = format!("{prefix}/old/#");
        let what = format!("{}: topics --clear", broker.name);
        let got = topics(broker, &["--clear", &old, "--settle", "0.5"]);
        got.assert_code(0, &what);
        let stdout = got.stdout();
        assert!(
            stdout.starts_with(&format!("2 retained messages under \"{old}\"\n")),
            "{what}:\n{stdout}"
        );
        assert!(
            stdout.contains(&format!("{prefix}/old/1 ")),
            "{what}:\n{stdout}"
        );
        assert!(
            stdout.contains(&format!("{prefix}/old/2/x ")),
            "{what}:\n{stdout}"
        );
        assert!(
            !stdout.contains("keep") && !stdout.contains("cleared"),
            "{what}:\n{stdout}"
        );
        assert!(
            got.stderr
                .contains("dry run: 2 retained messages would be cleared; add --yes"),
            "{what}: {}",
            got.stderr
        );
        assert_eq!(
            retained_topics(broker, &prefix).len(),
            3,
            "{what}: something was deleted"
        );
    });
}

#[test]
fn clear_with_yes_deletes_counts_and_checks_that_nothing_is_retained_any_more() {
    for_each_broker(&brokers(), |broker| {
        let prefix = unique_topic("topics-clear");
        publish_old_and_kept(broker, &prefix);
        let old = format!("{prefix}/old/#");
        let what = format!("{}: topics --clear --yes", broker.name);
        let got = topics(
            broker,
            &["--clear", &old, "--yes", "--settle", "0.5", "--json"],
        );
        got.assert_code(0, &what);
        let doc: Value = serde_json::from_slice(&got.stdout)
            .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", got.stdout()));
        assert_eq!(doc["dry_run"], false, "{what}: {doc}");
        assert_eq!(
            (doc["count"].as_u64(), doc["cleared"].as_u64()),
            (Some(2), Some(2)),
            "{doc}"
        );
        assert_eq!(
            doc["still_retained"],
            serde_json::json!([]),
            "{what}: {doc}"
        );
        assert!(doc["retained"]
            .as_array()
            .is_some_and(|all| all.iter().all(|m| m["cleared"] == true)));

        // An independent subscriber gets no retained message under old/, only the marker.
        // Had one stayed, it would come on subscribing, before the marker.
        let mut sub = subscribe(broker, &["-t", &old, "-C", "1", "-W", "10"]);
        publish_marker(broker, &format!("{prefix}/old/marker"), &mut sub);
        let seen = sub.finish();
        seen.assert_code(0, &format!("{what}: sub"));
        assert_eq!(
            seen.stdout(),
            format!("{MARKER}\n"),
            "{what}: a retained message is left"
        );
        // What was not under the filter stays.
        assert_eq!(
            retained_topics(broker, &prefix),
            [format!("{prefix}/keep")],
            "{what}"
        );
    });
}

#[test]
fn clear_with_yes_says_in_text_what_it_cleared() {
    for_each_broker(&brokers(), |broker| {
        let prefix = unique_topic("topics-clear-text");
        publish_old_and_kept(broker, &prefix);
        let old = format!("{prefix}/old/#");
        let what = format!("{}: topics --clear --yes", broker.name);
        let got = topics(broker, &["--clear", &old, "--yes", "--settle", "0.5"]);
        got.assert_code(0, &what);
        let stdout = got.stdout();
        assert!(
            stdout.ends_with("cleared 2 of 2; subscribing again, none is retained\n"),
            "{what}:\n{stdout}"
        );
        assert!(got.stderr.is_empty(), "{what}: {}", got.stderr);
    });
}

/// Starts `mqtk topics -d -t PREFIX/# EXTRA` without -W, and returns once it received one
/// message on PREFIX/one.
fn watch_until_told(broker: &Broker, prefix: &str, extra: &[&str]) -> common::run::Running {
    let filter = format!("{prefix}/#");
    let mut args = vec!["topics".to_string()];
    args.extend(broker.args());
    args.extend(["-t".to_string(), filter, "-d".to_string()]);
    args.extend(extra.iter().map(|arg| arg.to_string()));
    let what = format!("{}: mqtk {}", broker.name, args.join(" "));
    let mut watch = spawn(&what, mqtk().args(&args), None);
    watch.wait_for_stderr("received SUBACK", SUBSCRIBED);
    publish_ok(
        broker,
        &["-t", &format!("{prefix}/one"), "-m", "1", "-q", "1"],
    );
    watch.wait_for_stderr("received PUBLISH", SUBSCRIBED);
    watch
}

#[test]
fn ctrl_c_ends_the_watch_with_the_tree_and_status_0() {
    for_each_broker(&brokers(), |broker| {
        let prefix = unique_topic("topics-ctrl-c");
        let watch = watch_until_told(broker, &prefix, &[]);
        watch.interrupt();
        let got = watch.finish();
        let what = format!("{}: topics, then Ctrl-C", broker.name);
        got.assert_code(0, &what);
        assert!(
            got.stdout().starts_with("1 topic, 1 message in "),
            "{what}:\n{}",
            got.stdout()
        );
        assert!(
            got.stderr.contains("sending DISCONNECT"),
            "{what}: {}",
            got.stderr
        );
    });
}

#[test]
fn the_tree_rides_out_a_reset_connection_and_subscribes_again() {
    for_each_broker(&brokers(), |broker| {
        let proxy = FaultProxy::start(broker);
        let prefix = unique_topic("topics-reset");
        let mut watch = watch_until_told(&broker.via(&proxy), &prefix, &[]);
        proxy.reset_all();
        watch.wait_for_stderr("reconnected after", SUBSCRIBED);
        watch.wait_for_stderr("received SUBACK", SUBSCRIBED);
        publish_ok(
            broker,
            &["-t", &format!("{prefix}/two"), "-m", "2", "-q", "1"],
        );
        watch.wait_for_stderr("received PUBLISH", SUBSCRIBED);
        watch.interrupt();
        let got = watch.finish();
        let what = format!("{}: topics through a reset", broker.name);
        got.assert_code(0, &what);
        assert!(
            got.stdout().starts_with("2 topics, 2 messages in "),
            "{what}:\n{}",
            got.stdout()
        );
    });
}

#[test]
fn with_no_reconnect_a_lost_connection_prints_what_was_seen_and_exits_1() {
    let Some(mut mosquitto) = OwnMosquitto::start() else {
        return common::skip("mosquitto is not installed");
    };
    let broker = mosquitto.broker();
    let prefix = unique_topic("topics-lost");
    let watch = watch_until_told(&broker, &prefix, &["--no-reconnect"]);
    mosquitto.kill();
    let got = watch.finish();
    got.assert_code(1, "topics --no-reconnect, then the broker killed");
    assert!(
        got.stdout().starts_with("1 topic, 1 message in "),
        "{}",
        got.stdout()
    );
    let errors: Vec<&str> = got
        .stderr
        .lines()
        .filter(|line| !line.starts_with("mqtk: sending ") && !line.starts_with("mqtk: received "))
        .collect();
    assert_eq!(errors.len(), 1, "one error line: {}", got.stderr);
}

/// Where the Debian package (and a build from source) puts mosquitto's dynamic security plugin.
fn dynamic_security_plugin() -> Option<PathBuf> {
    [
        "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
        "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
        "/usr/lib/mosquitto_dynamic_security.so",
        "/usr/local/lib/mosquitto_dynamic_security.so",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|path| path.exists())
}

/// A mosquitto whose anonymous clients may subscribe to `allowed/#` only.
///
/// mosquitto 2.0's `acl_file` does not judge subscriptions (it grants every SUBSCRIBE and
/// filters what it delivers), so the refusal comes from its dynamic security plugin, which
/// does: SUBACK 0x87 (MQTT 5) or 0x80 (3.1.1) for any other filter.
fn mosquitto_denying_hash(dir: &Path) -> Option<OwnMosquitto> {
    let plugin = dynamic_security_plugin()?;
    let config = dir.join("dynamic-security.json");
    std::fs::write(
        &config,
        r#"{
  "defaultACLAccess": {"publishClientSend": true, "publishClientReceive": true,
                       "subscribe": false, "unsubscribe": true},
  "clients": [],
  "groups": [{"groupname": "anonymous", "roles": [{"rolename": "allowed-only"}]}],
  "roles": [{"rolename": "allowed-only", "acls": [
    {"acltype": "subscribePattern", "topic": "allowed/#", "priority": 0, "allow": true}]}],
  "anonymousGroup": "anonymous"
}"#,
    )
    .expect("write the dynamic security configuration");
    OwnMosquitto::start_with(&format!(
        "plugin {}\nplugin_opt_config_file {}\n",
        plugin.display(),
        config.display()
    ))
}

#[test]
fn a_refused_subscription_is_one_line_and_exit_4() {
    if common::mosquitto().is_none() {
        return common::skip("mosquitto is not installed");
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let Some(mosquitto) = mosquitto_denying_hash(dir.path()) else {
        return common::skip("mosquitto's dynamic security plugin is not installed");
    };
    let broker = mosquitto.broker();
    for (version, reason) in [("5", "not authorized (0x87)"), ("3.1.1", "")] {
        for mode in [
            &["-W", "5"][..],
            &["--retained"],
            &["--clear", "#", "--yes"],
        ] {
            let mut args = vec!["-V", version];
            args.extend(mode);
            let what = format!("topics {}", args.join(" "));
            let got = topics(&broker, &args);
            got.assert_code(4, &what);
            got.assert_one_error_line(&what);
            assert!(
                got.stderr
                    .starts_with("mqtk: the broker refused the subscription to \"#\"")
                    && got.stderr.contains(reason),
                "{what}: {}",
                got.stderr
            );
            assert!(got.stdout.is_empty(), "{what}: {}", got.stdout());
        }
    }
    // One filter granted of two: the other is a line, and the watch goes on.
    let got = topics(&broker, &["-t", "#", "-t", "allowed/#", "-W", "0.5"]);
    got.assert_code(0, "topics -t # -t allowed/#");
    assert!(
        got.stderr.contains("subscription to \"#\" refused"),
        "{}",
        got.stderr
    );
    assert!(
        got.stdout().starts_with("0 topics, 0 messages"),
        "{}",
        got.stdout()
    );
}
