//! `mqtk will` against the real brokers of the harness: every `--end`, with
//! what each broker is known to do, and the will delay held back by mosquitto.

mod common;

use common::run::{for_each_broker, publisher, spawn, Finished};
use common::{brokers, mosquitto, unique_topic, Broker, Version};
use serde_json::Value;

/// Runs `mqtk will --json` with a will on a topic of its own and `args`.
fn will_test(broker: &Broker, args: &[&str]) -> (Finished, Value) {
    let topic = unique_topic("will");
    let mut all = vec![
        "will",
        "--will-topic",
        &topic,
        "--will-payload",
        "gone",
        "--json",
    ];
    all.extend(args);
    let mut command = common::mqtk();
    command.args(&all[..1]).args(broker.args()).args(&all[1..]);
    let what = format!("{}: mqtk {}", broker.name, all.join(" "));
    let output = spawn(&what, &mut command, None).finish();
    let report = output.json_object(&what);
    (output, report)
}

fn ends_for(broker: &Broker) -> Vec<&'static str> {
    let mut ends = vec!["disconnect", "close", "reset", "silent", "takeover"];
    if broker.version != Version::V311 {
        ends.push("disconnect-with-will");
    }
    ends
}

#[test]
fn every_end_is_judged_as_the_specification_says_on_every_broker() {
    for_each_broker(&brokers(), |broker| {
        for end in ends_for(broker) {
            let id = unique_topic("dev").replace('/', "-");
            // At QoS 2, which rumqttd delivers a will at whatever its QoS (see below).
            let args = ["--end", end, "-k", "1", "-i", &id, "--will-qos", "2"];
            let (output, report) = will_test(broker, &args);
            let what = format!("{}: --end {end}", broker.name);
            assert_eq!(report["end"], end, "{what}");
            if end == "silent" && report["verdict"] == "fail" {
                // mosquitto 2.0 looks for silent connections every 5 s, so with a keep
                // alive of 1 s it may close one up to 6 s later: late, and said so.
                let closed = report["broker_closed_after_ms"].as_f64().unwrap();
                assert!(
                    closed > 2500.0,
                    "{what}: failed, though closed after {closed} ms"
                );
                assert!(
                    output.stderr.contains("kept a silent connection open"),
                    "{what}: {}",
                    output.stderr
                );
                assert_eq!(report["arrived"], true, "{what}: the will after all");
                continue;
            }
            // rumqttd 0.20 was thought to drop the will on any DISCONNECT; after one with
            // reason 0x04 it publishes it all the same (once the client has closed).
            assert_eq!(report["arrived"], end != "disconnect", "{what}: {report}");
            output.assert_code(0, &what);
            assert_eq!(report["verdict"], "pass", "{what}: {report}");
            if end == "silent" {
                let closed = report["broker_closed_after_ms"].as_f64().unwrap();
                assert!(closed >= 1000.0, "{what}: closed after {closed} ms");
            }
        }
    });
}

#[test]
fn a_will_delay_holds_the_will_back_and_a_retained_will_stays() {
    let Some(broker) = mosquitto() else {
        return common::skip("mosquitto is not installed");
    };
    let id = unique_topic("delayed").replace('/', "-");
    let args = [
        "--will-delay",
        "2",
        "-x",
        "60",
        "-i",
        &id,
        "--will-retain",
        "--will-qos",
        "1",
        "--will-content-type",
        "text/plain",
        "--will-user-property",
        "k=v",
    ];
    let (output, report) = will_test(&broker, &args);
    output.assert_code(0, "a delayed will");
    assert_eq!(report["verdict"], "pass", "{report}");
    assert_eq!(report["due_ms"], 2000.0);
    let after = report["after_ms"].as_f64().unwrap();
    assert!(
        after >= 1000.0,
        "the will came after {after} ms, before its delay"
    );
    let message = &report["message"];
    assert_eq!(message["qos"], 1, "{message}");
    assert_eq!(message["retain"], true, "{message}");
    assert_eq!(message["content_type"], "text/plain", "{message}");
    assert_eq!(report["retained_seen"], true, "{report}");
    // Clean up the retained will.
    let topic = report["will"]["topic"].as_str().unwrap().to_string();
    let mut clear = publisher(&broker, &["-t", &topic, "-n", "-r", "-q", "1"]);
    spawn("clear the retained will", &mut clear, None)
        .finish()
        .assert_code(0, "clear");
}

#[test]
fn a_delayed_will_is_not_published_when_the_session_is_resumed_in_time() {
    let Some(broker) = mosquitto() else {
        return common::skip("mosquitto is not installed");
    };
    let id = unique_topic("resumed").replace('/', "-");
    let args = [
        "--end",
        "takeover",
        "-c",
        "-i",
        &id,
        "--will-delay",
        "3",
        "-x",
        "60",
    ];
    let (output, report) = will_test(&broker, &args);
    output.assert_code(0, "a takeover that resumes the session");
    assert_eq!(report["expected"], "not published");
    assert_eq!(report["arrived"], false, "{report}");
}

#[test]
fn rumqttd_delivering_a_qos_0_will_at_qos_2_is_reported() {
    let broker = common::rumqttd_v5();
    let (output, report) = will_test(&broker, &["--end", "reset"]);
    output.assert_code(1, "a QoS 0 will on rumqttd");
    assert_eq!(report["message"]["qos"], 2, "{report}");
    assert!(
        output
            .stderr
            .contains("the will came at QoS 2, not at its QoS 0"),
        "{}",
        output.stderr
    );
}

#[test]
fn a_test_needs_a_will_topic() {
    let mut command = common::mqtk();
    command.args(["will", "-p", "1"]);
    let output = spawn("mqtk will without a will", &mut command, None).finish();
    output.assert_code(2, "no --will-topic");
    assert!(output.stderr.contains("needs a will"), "{}", output.stderr);
}
