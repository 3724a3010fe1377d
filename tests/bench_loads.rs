//! `mqtk bench`'s realistic loads against real brokers: subscribers in a
//! shared subscription (--share), an outage with sessions kept (--offline)
//! and subscription flapping (--sub-churn), each checked by what its report
//! counts adding up.

mod common;

use common::own_mosquitto::OwnMosquitto;
use common::run::{for_each_broker, spawn, Finished};
use common::{brokers, unique_topic, Broker};
use serde_json::Value;

/// Runs `mqtk bench ARGS --json -` against `broker`: how it ended, and its
/// report (`Null` when it wrote none).
fn bench(broker: &Broker, args: &[&str]) -> (Finished, Value) {
    let mut command = common::mqtk();
    command
        .arg("bench")
        .args(args)
        .args(broker.args())
        .args(["--json", "-"]);
    let what = format!("{}: mqtk bench {}", broker.name, args.join(" "));
    let output = spawn(&what, &mut command, None).finish();
    let report = serde_json::from_str(output.stdout().trim()).unwrap_or(Value::Null);
    (output, report)
}

fn count(report: &Value, section: &str, field: &str) -> u64 {
    report[section][field]
        .as_u64()
        .unwrap_or_else(|| panic!("no {section}.{field} in {report:#}"))
}

/// Four members of one group under a wildcard, two publishers: `-n 200` each.
fn shared_args(topic: &str, filter: &str) -> Vec<String> {
    let args = [
        "-c", "2", "-S", "4", "-t", topic, "-T", filter, "--share", "grp", "-q", "1", "-n", "200",
    ];
    args.map(String::from).into()
}

#[test]
fn each_message_of_a_shared_subscription_reaches_exactly_one_member() {
    let Some(mosquitto) = common::mosquitto() else {
        return common::skip("mosquitto is not installed");
    };
    let prefix = unique_topic("bench-share");
    let (topic, filter) = (format!("{prefix}/%i"), format!("{prefix}/#"));
    let args = shared_args(&topic, &filter);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (output, report) = bench(&mosquitto, &args);
    output.assert_code(0, "bench --share on mosquitto");
    let what = format!("{report:#}");
    assert_eq!(count(&report, "messages", "sent"), 400, "{what}");
    assert_eq!(count(&report, "messages", "expected"), 400, "{what}");
    assert_eq!(count(&report, "messages", "received"), 400, "{what}");
    assert_eq!(count(&report, "messages", "lost"), 0, "{what}");
    assert_eq!(count(&report, "messages", "duplicated"), 0, "{what}");
    let share = &report["share"];
    assert_eq!(share["group"], "grp", "{what}");
    assert_eq!(count(&report, "share", "members"), 4, "{what}");
    assert_eq!(count(&report, "share", "unique"), 400, "{what}");
    assert_eq!(count(&report, "share", "lost"), 0, "{what}");
    assert_eq!(count(&report, "share", "duplicated_across_members"), 0);
    let per_member: Vec<u64> = (share["per_member"].as_array().unwrap().iter())
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert_eq!(per_member.len(), 4, "{what}");
    assert_eq!(per_member.iter().sum::<u64>(), 400, "{what}");
    assert_eq!(
        count(&report, "share", "min"),
        *per_member.iter().min().unwrap()
    );
    assert_eq!(
        count(&report, "share", "max"),
        *per_member.iter().max().unwrap()
    );
    assert!(share["stddev"].as_f64().is_some(), "{what}");
    // mosquitto hands a group's messages round in turn: every member gets some.
    assert!(per_member.iter().all(|&n| n > 0), "{what}");
}

#[test]
fn rumqttd_either_shares_or_refuses_in_one_line() {
    let broker = common::rumqttd_v5();
    let prefix = unique_topic("bench-share");
    let (topic, filter) = (format!("{prefix}/%i"), format!("{prefix}/#"));
    let args = shared_args(&topic, &filter);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (output, report) = bench(&broker, &args);
    if report.is_null() {
        output.assert_code(4, "bench --share refused");
        output.assert_one_error_line("bench --share refused");
        assert!(output.stderr.contains("--share"), "{}", output.stderr);
        return;
    }
    output.assert_code(0, "bench --share on rumqttd");
    let what = format!("{report:#}");
    let per_member = report["share"]["per_member"].as_array().unwrap();
    let sum: u64 = per_member.iter().map(|n| n.as_u64().unwrap()).sum();
    let unique = count(&report, "share", "unique");
    let across = count(&report, "share", "duplicated_across_members");
    assert_eq!(sum, unique + across, "{what}");
    assert_eq!(unique + count(&report, "share", "lost"), 400, "{what}");
}

/// Subscribers away for a second while two publishers go on at 200 msg/s.
const OUTAGE: [&str; 9] = ["-c", "2", "-q", "1", "-R", "200", "-d", "3s", "--offline"];

#[test]
fn an_outage_with_sessions_kept_drains_the_backlog_and_loses_nothing_at_qos_1() {
    let Some(mosquitto) = common::mosquitto() else {
        return common::skip("mosquitto is not installed");
    };
    let topic = format!("{}/%i", unique_topic("bench-offline"));
    let args = [&OUTAGE[..], &["1s@1s", "-t", &topic]].concat();
    let (output, report) = bench(&mosquitto, &args);
    output.assert_code(0, "bench --offline on mosquitto");
    let what = format!("{report:#}");
    let sent = count(&report, "messages", "sent");
    assert_eq!(count(&report, "messages", "expected"), sent, "{what}");
    assert_eq!(count(&report, "messages", "lost"), 0, "{what}");
    assert_eq!(count(&report, "messages", "duplicated"), 0, "{what}");
    assert_eq!(count(&report, "offline", "outages"), 2, "{what}");
    assert_eq!(count(&report, "offline", "sessions_lost"), 0, "{what}");
    assert_eq!(count(&report, "offline", "lost"), 0, "{what}");
    let backlog = count(&report, "offline", "backlog");
    assert!(backlog > 0, "{what}");
    assert!(backlog <= count(&report, "offline", "published"), "{what}");
    assert_eq!(report["offline"]["at_s"], 1.0, "{what}");
    assert_eq!(report["offline"]["duration_s"], 1.0, "{what}");
}

#[test]
fn a_broker_that_queues_too_little_for_an_outage_fails_the_run_by_what_it_lost() {
    let Some(mosquitto) = OwnMosquitto::start_with("max_queued_messages 100\n") else {
        return common::skip("mosquitto is not installed");
    };
    let broker = mosquitto.broker();
    let topic = format!("{}/%i", unique_topic("bench-offline"));
    // 200 messages for each subscriber in its outage, 100 queued at most.
    let args = [&OUTAGE[..], &["2s@500ms", "-t", &topic]].concat();
    let (output, report) = bench(&broker, &args);
    output.assert_code(1, "bench --offline into a small queue");
    output.assert_one_error_line("bench --offline into a small queue");
    assert!(output.stderr.contains("--max-loss"), "{}", output.stderr);
    let what = format!("{report:#}");
    let lost = count(&report, "messages", "lost");
    assert!(lost > 0, "{what}");
    assert_eq!(count(&report, "offline", "lost"), lost, "{what}");
    assert_eq!(
        count(&report, "messages", "received") + lost,
        count(&report, "messages", "expected"),
        "{what}"
    );
    let published = count(&report, "offline", "published");
    assert!(count(&report, "offline", "backlog") < published, "{what}");
}

#[test]
fn subscriptions_that_flap_are_counted_and_what_they_missed_is_not_loss() {
    for_each_broker(&brokers(), |broker| {
        let topic = format!("{}/%i", unique_topic("bench-sub-churn"));
        let args = [
            "-c",
            "2",
            "-q",
            "1",
            "-R",
            "400",
            "-d",
            "3s",
            "--sub-churn",
            "10",
            "-t",
            &topic,
        ];
        let (output, report) = bench(broker, &args);
        let what = format!("{}: {report:#}", broker.name);
        output.assert_code(0, &format!("{}: bench --sub-churn", broker.name));
        let cycles = count(&report, "sub_churn", "cycles");
        assert!(cycles > 0, "{what}");
        assert_eq!(report["sub_churn"]["suback_ms"]["count"], cycles, "{what}");
        assert!(report["histograms"]["suback"].is_string(), "{what}");
        // Every message is either received, missed while unsubscribed, or lost.
        let sent = count(&report, "messages", "sent");
        let missed = count(&report, "sub_churn", "missed_while_unsubscribed");
        let expected = count(&report, "messages", "expected");
        assert_eq!(expected + missed, sent, "{what}");
        let received = count(&report, "messages", "received");
        let duplicated = count(&report, "messages", "duplicated");
        let lost = count(&report, "messages", "lost");
        assert_eq!(received - duplicated + lost, expected, "{what}");
        assert_eq!(lost, 0, "{what}");
    });
}
