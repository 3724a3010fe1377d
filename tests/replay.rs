//! `mqtk replay` against real brokers: a recording of `mqtk sub --json` published again and
//! recorded once more comes back with the same topics, payloads, properties and order; binary
//! payloads byte for byte; `--speed`, `--loop` and `--retained-first`; stdin as a live pipe from
//! one broker's `mqtk sub` into another; and what a malformed recording does.
//!
//! No assertion here times anything (`scripts/bench-replay` measures the pace): `--speed` is
//! checked by what arrives before what, and by a gap of an hour that only a speed-up can close
//! before the process's deadline.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::own_mosquitto::OwnMosquitto;
use common::run::{for_each_broker, publish_ok, spawn, spawn_fed, subscribe, Finished, MARKER};
use common::{brokers, mqtk, rumqttd_v5, unique_topic, Broker, Version};
use serde_json::{json, Value};

/// How long a subscriber waits for what a test sends it.
const WAIT: &str = "20";

/// One JSON object per line, parsed; fails on a line that is not JSON.
fn json_lines(what: &str, stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("{what}: not a JSON line ({err}): {line:?}"))
        })
        .collect()
}

/// The brokers that speak MQTT 5, where messages carry properties.
fn v5_brokers() -> Vec<Broker> {
    brokers()
        .into_iter()
        .filter(|b| b.version != Version::V311)
        .collect()
}

/// `mqtk replay FILE` to `broker` with `args`, run to its end.
fn replay(broker: &Broker, file: &Path, args: &[&str]) -> Finished {
    let mut command = mqtk();
    command
        .arg("replay")
        .arg(file)
        .args(broker.args())
        .args(args);
    let what = format!(
        "{}: mqtk replay {} {}",
        broker.name,
        file.display(),
        args.join(" ")
    );
    spawn(&what, &mut command, None).finish()
}

/// Writes `lines` as a recording in `dir`.
fn recording(dir: &Path, name: &str, lines: &[Value]) -> PathBuf {
    let path = dir.join(name);
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.to_string());
        text.push('\n');
    }
    fs::write(&path, text).expect("write a recording");
    path
}

/// A recorded message as `mqtk sub --json` writes it, at `offset` seconds.
fn line(topic: &str, payload: &str, qos: u8, retain: bool, offset: f64) -> Value {
    json!({
        "topic": topic,
        "payload": payload,
        "qos": qos,
        "retain": retain,
        "dup": false,
        "timestamp": "2026-01-01T00:00:00.000000Z",
        "offset_s": offset,
        "version": 1,
    })
}

/// What a round trip must keep of a recorded message: all but what belongs to the connection
/// it was recorded on (packet id, dup, when it arrived) and the message expiry, which counts
/// down (checked apart).
fn kept(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(fields) = object.as_object_mut() {
        for field in [
            "packet_id",
            "dup",
            "timestamp",
            "offset_s",
            "message_expiry_interval",
        ] {
            fields.remove(field);
        }
    }
    object
}

// ---------------------------------------------------------------------------------------------
// Round trip

#[test]
fn record_replay_record_keeps_topics_payloads_properties_and_order() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let binary = dir.path().join("binary");
    fs::write(&binary, [0xff, 0x00, 0xfe, b'\n']).expect("write a binary payload");
    let binary = binary.to_str().expect("a UTF-8 temporary path");
    for_each_broker(&v5_brokers(), |broker| {
        let base = unique_topic("replay-trip");
        let filter = format!("{base}/#");
        let (a, b, c) = (
            format!("{base}/a"),
            format!("{base}/b/x"),
            format!("{base}/c"),
        );
        let messages: Vec<Vec<&str>> = vec![
            vec!["-t", &a, "-m", "plain", "-q", "1"],
            vec![
                "-t",
                &b,
                "-m",
                "{\"t\":21.5}",
                "-q",
                "2",
                "--user-property",
                "k=v",
                "--user-property",
                "k=w",
                "--content-type",
                "application/json",
                "--response-topic",
                "reply/here",
                "--correlation-data",
                "id-7",
                "--payload-format",
                "utf8",
                "--message-expiry",
                "3600",
            ],
            vec![
                "-t",
                &c,
                "-f",
                binary,
                "-q",
                "1",
                "--payload-format",
                "bytes",
            ],
            vec!["-t", &a, "-n", "-q", "1"],
            vec!["-t", &a, "-m", "last", "-q", "1", "--user-property", "n=4"],
        ];
        let count = messages.len().to_string();
        let first = {
            let sub = subscribe(
                broker,
                &["-t", &filter, "-q", "2", "--json", "-C", &count, "-W", WAIT],
            );
            for args in &messages {
                publish_ok(broker, args);
            }
            let got = sub.finish();
            got.assert_code(0, &format!("{}: the first recording", broker.name));
            got.stdout()
        };
        let file = dir.path().join(format!("{}.jsonl", broker.name));
        fs::write(&file, &first).expect("write the recording");
        let second = {
            let sub = subscribe(
                broker,
                &["-t", &filter, "-q", "2", "--json", "-C", &count, "-W", WAIT],
            );
            replay(broker, &file, &["--speed", "0"])
                .assert_code(0, &format!("{}: replay", broker.name));
            let got = sub.finish();
            got.assert_code(0, &format!("{}: the second recording", broker.name));
            got.stdout()
        };
        let what = format!("{}: record, replay, record", broker.name);
        let (first, second) = (json_lines(&what, &first), json_lines(&what, &second));
        assert_eq!(first.len(), messages.len(), "{what}: {first:?}");
        let kept_first: Vec<Value> = first.iter().map(kept).collect();
        let kept_second: Vec<Value> = second.iter().map(kept).collect();
        assert_eq!(kept_second, kept_first, "{what}");
        // what was published, as the first recording has it
        assert_eq!(first[0]["payload"], "plain", "{what}");
        let props = &first[1];
        assert_eq!(
            props["user_properties"],
            json!([["k", "v"], ["k", "w"]]),
            "{what}"
        );
        assert_eq!(props["content_type"], "application/json", "{what}");
        assert_eq!(props["response_topic"], "reply/here", "{what}");
        assert_eq!(props["correlation_data"], "id-7", "{what}");
        assert_eq!(props["payload_format_indicator"], 1, "{what}");
        assert_eq!(first[2]["payload"], "/wD+Cg==", "{what}");
        assert_eq!(first[2]["payload_encoding"], "base64", "{what}");
        assert_eq!(first[2]["payload_format_indicator"], 0, "{what}");
        assert_eq!(first[3]["payload"], "", "{what}");
        // the expiry counts down from what was recorded, never up
        let expiry = |o: &Value| o["message_expiry_interval"].as_u64().unwrap_or(0);
        assert!(
            (3590..=3600).contains(&expiry(&first[1]))
                && expiry(&second[1]) <= expiry(&first[1])
                && expiry(&second[1]) + 10 >= expiry(&first[1]),
            "{what}: message expiry {} then {}",
            first[1]["message_expiry_interval"],
            second[1]["message_expiry_interval"]
        );
        // the format is versioned, and timed on the monotonic clock
        assert!(first.iter().all(|o| o["version"] == 1), "{what}");
        assert!(first.iter().all(|o| o["offset_s"].is_f64()), "{what}");
    });
}

#[test]
fn binary_payloads_are_published_byte_for_byte() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("replay-binary");
        let file = recording(
            dir.path(),
            &format!("{}.jsonl", broker.name),
            &[
                json!({"topic": topic, "payload": "AP8KDQ==", "payload_encoding": "base64",
                       "qos": 1, "retain": false, "offset_s": 0.0, "version": 1}),
                json!({"topic": topic, "payload": "größe\u{0}", "qos": 1, "retain": false,
                       "offset_s": 0.01, "version": 1}),
            ],
        );
        let sub = subscribe(
            broker,
            &["-t", &topic, "-q", "1", "-N", "-C", "2", "-W", WAIT],
        );
        replay(broker, &file, &[]).assert_code(0, &format!("{}: replay", broker.name));
        let got = sub.finish();
        got.assert_code(0, &format!("{}: sub -N", broker.name));
        let mut expected = vec![0x00, 0xff, b'\n', b'\r'];
        expected.extend("größe\u{0}".as_bytes());
        assert_eq!(got.stdout, expected, "{}", broker.name);
    });
}

// ---------------------------------------------------------------------------------------------
// Pace

#[test]
fn loop_replays_the_recording_again_in_order_and_speed_zero_leaves_out_the_pauses() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("replay-loop");
        // an hour between two messages: only --speed 0 ends within the deadline
        let lines: Vec<Value> = (0..4)
            .map(|i| line(&topic, &format!("m{i}"), 1, false, f64::from(i) * 1200.0))
            .collect();
        let file = recording(dir.path(), &format!("{}.jsonl", broker.name), &lines);
        let sub = subscribe(broker, &["-t", &topic, "-q", "1", "-C", "12", "-W", WAIT]);
        replay(broker, &file, &["--speed", "0", "--loop", "3"])
            .assert_code(0, &format!("{}: replay --loop 3", broker.name));
        let got = sub.finish();
        got.assert_code(0, &format!("{}: sub", broker.name));
        assert_eq!(
            got.stdout(),
            "m0\nm1\nm2\nm3\n".repeat(3),
            "{}: three passes, in order",
            broker.name
        );
    });
}

#[test]
fn speed_divides_the_recorded_gaps() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("replay-speed");
        // an hour apart: at --speed 3600 a second, at the recorded pace an hour
        let file = recording(
            dir.path(),
            &format!("{}.jsonl", broker.name),
            &[
                line(&topic, "first", 1, false, 10.0),
                line(&topic, "second", 1, false, 3610.0),
            ],
        );
        let sub = subscribe(broker, &["-t", &topic, "-q", "1", "-C", "2", "-W", WAIT]);
        replay(broker, &file, &["--speed", "3600"])
            .assert_code(0, &format!("{}: replay --speed 3600", broker.name));
        let got = sub.finish();
        got.assert_code(0, &format!("{}: sub", broker.name));
        assert_eq!(got.stdout(), "first\nsecond\n", "{}", broker.name);
    });
}

#[test]
fn at_the_recorded_pace_a_message_waits_for_its_time_and_ctrl_c_ends_the_wait() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("replay-pace");
        let file = recording(
            dir.path(),
            &format!("{}.jsonl", broker.name),
            &[
                line(&topic, "now", 1, false, 0.0),
                line(&topic, "in an hour", 1, false, 3600.0),
            ],
        );
        let mut sub = subscribe(broker, &["-t", &topic, "-q", "1", "-W", WAIT]);
        let mut command = mqtk();
        command.arg("replay").arg(&file).args(broker.args());
        let what = format!("{}: mqtk replay", broker.name);
        let running = spawn(&what, &mut command, None);
        sub.wait_for_stdout(b"now\n", Duration::from_secs(10));
        running.interrupt();
        let got = running.finish();
        got.assert_code(0, &format!("{what}, then Ctrl-C"));
        // nothing came between the first message and the marker
        publish_ok(broker, &["-t", &topic, "-m", MARKER, "-q", "1"]);
        sub.wait_for_stdout(
            format!("now\n{MARKER}\n").as_bytes(),
            Duration::from_secs(10),
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Retained messages

#[test]
fn retained_first_restores_the_retained_state_before_the_stream() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for_each_broker(&brokers(), |broker| {
        let base = unique_topic("replay-retained");
        let filter = format!("{base}/#");
        let (state, other, live) = (
            format!("{base}/state"),
            format!("{base}/other"),
            format!("{base}/live"),
        );
        let file = recording(
            dir.path(),
            &format!("{}.jsonl", broker.name),
            &[
                line(&live, "live-1", 1, false, 0.0),
                line(&state, "old", 1, true, 0.1),
                line(&live, "live-2", 1, false, 0.2),
                line(&other, "kept", 1, true, 0.3),
                line(&state, "new", 1, true, 0.4),
            ],
        );
        let sub = subscribe(
            broker,
            &["-t", &filter, "-q", "1", "-v", "-C", "7", "-W", WAIT],
        );
        replay(
            broker,
            &file,
            &["--retained-first", "--speed", "0", "--loop", "2"],
        )
        .assert_code(
            0,
            &format!("{}: replay --retained-first --loop 2", broker.name),
        );
        let got = sub.finish();
        got.assert_code(0, &format!("{}: sub", broker.name));
        assert_eq!(
            got.stdout(),
            format!(
                "{state} old\n{other} kept\n{state} new\n\
                 {live} live-1\n{live} live-2\n{live} live-1\n{live} live-2\n"
            ),
            "{}: the retained messages once, first, in the file's order; then the stream twice",
            broker.name
        );
        // a later subscriber finds the last retained message of each topic
        let later = subscribe(
            broker,
            &["-t", &filter, "-q", "1", "-v", "-C", "2", "-W", WAIT],
        );
        let got = later.finish();
        got.assert_code(0, &format!("{}: a later sub", broker.name));
        let mut retained: Vec<String> = got.stdout().lines().map(str::to_string).collect();
        retained.sort();
        assert_eq!(
            retained,
            [format!("{other} kept"), format!("{state} new")],
            "{}",
            broker.name
        );
        for topic in [&state, &other] {
            publish_ok(broker, &["-t", topic, "-n", "-r", "-q", "1"]);
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Topics

#[test]
fn filters_and_rewrites_replay_a_subset_into_another_namespace() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let broker = rumqttd_v5();
    let base = unique_topic("replay-rename");
    let copy = unique_topic("replay-copy");
    let file = recording(
        dir.path(),
        "rename.jsonl",
        &[
            line(&format!("{base}/1/t"), "a", 0, false, 0.0),
            line(&format!("{base}/10/t"), "b", 0, false, 0.0),
            line(&format!("{base}/1/h"), "c", 0, false, 0.0),
            line(&format!("{base}/1"), "d", 0, false, 0.0),
        ],
    );
    let sub = subscribe(
        &broker,
        &["-t", &format!("{copy}/#"), "-v", "-C", "3", "-W", WAIT],
    );
    let rewrite = format!("{base}/1=plant-1");
    replay(
        &broker,
        &file,
        &[
            "-t",
            &format!("{base}/+/t"),
            "-t",
            &format!("{base}/1"),
            "--topic-rewrite",
            &rewrite,
            "--topic-prefix",
            &format!("{copy}/"),
        ],
    )
    .assert_code(0, "replay -t --topic-rewrite --topic-prefix");
    let got = sub.finish();
    got.assert_code(0, "sub");
    assert_eq!(
        got.stdout(),
        format!("{copy}/plant-1/t a\n{copy}/{base}/10/t b\n{copy}/plant-1 d\n")
    );
}

// ---------------------------------------------------------------------------------------------
// stdin

#[test]
fn a_live_sub_piped_into_replay_mirrors_one_broker_into_another() {
    let Some(target) = OwnMosquitto::start_with("") else {
        return common::skip("mosquitto is not installed");
    };
    let (source, target) = (rumqttd_v5(), target.broker());
    let base = unique_topic("replay-mirror");
    let filter = format!("{base}/#");
    let ready = format!("{base}/ready");
    let mut mirror_sub = subscribe(
        &target,
        &["-t", &filter, "-q", "1", "--json", "-C", "4", "-W", WAIT],
    );
    publish_ok(&source, &["-t", &ready, "-m", "ready", "-r", "-q", "1"]);
    // mqtk sub --json on the source | mqtk replay - to the target
    let mut recorder = mqtk();
    recorder
        .arg("sub")
        .args(source.args())
        .args(["-t", &filter, "-q", "1", "--json", "-C", "4", "-W", WAIT])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut recorder = recorder.spawn().expect("start mqtk sub");
    let mut recorded = recorder.stdout.take().expect("piped stdout");
    let mut command = mqtk();
    command.args(["replay", "-"]).args(target.args());
    let replaying = spawn_fed(
        "mqtk replay - to the target",
        &mut command,
        move |mut stdin| {
            let _ = std::io::copy(&mut recorded, &mut stdin);
            let _ = stdin.flush();
        },
    );
    // the retained message went through: the pipe is up and the recorder subscribed
    mirror_sub.wait_for_stdout_containing(b"\"payload\":\"ready\"", Duration::from_secs(20));
    publish_ok(
        &source,
        &[
            "-t",
            &format!("{base}/a"),
            "-m",
            "one",
            "-q",
            "1",
            "--user-property",
            "k=v",
        ],
    );
    publish_ok(
        &source,
        &[
            "-t",
            &format!("{base}/b"),
            "-m",
            "two",
            "-q",
            "1",
            "--content-type",
            "text/plain",
        ],
    );
    publish_ok(
        &source,
        &["-t", &format!("{base}/a"), "-m", "three", "-q", "1"],
    );
    let status = recorder.wait().expect("mqtk sub ends after -C 4");
    assert!(status.success(), "mqtk sub on the source: {status}");
    let replayed = replaying.finish();
    replayed.assert_code(0, "mqtk replay - once its input ended");
    let got = mirror_sub.finish();
    got.assert_code(0, "sub on the target");
    let objects = json_lines("the target's sub", &got.stdout());
    let summary: Vec<(String, String)> = objects
        .iter()
        .map(|o| {
            (
                o["topic"].as_str().unwrap_or_default().to_string(),
                o["payload"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (ready.clone(), "ready".to_string()),
            (format!("{base}/a"), "one".to_string()),
            (format!("{base}/b"), "two".to_string()),
            (format!("{base}/a"), "three".to_string()),
        ]
    );
    assert_eq!(objects[1]["user_properties"], json!([["k", "v"]]));
    assert_eq!(objects[2]["content_type"], "text/plain");
    publish_ok(&source, &["-t", &ready, "-n", "-r", "-q", "1"]);
}

#[test]
fn stdin_cannot_be_looped_or_read_ahead() {
    let broker = rumqttd_v5();
    for args in [&["--loop", "2"][..], &["--retained-first"][..]] {
        let mut command = mqtk();
        command.args(["replay", "-"]).args(broker.args()).args(args);
        let got = spawn("mqtk replay -", &mut command, Some(Vec::new())).finish();
        got.assert_code(2, &format!("replay - {}", args.join(" ")));
        got.assert_one_error_line("replay -");
        assert!(got.stderr.contains("needs a file"), "{}", got.stderr);
    }
}

// ---------------------------------------------------------------------------------------------
// Bad input

#[test]
fn a_file_that_is_not_a_recording_is_refused_before_anything_is_published() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("notes.txt");
    fs::write(&file, "\nshopping list\n").expect("write a file");
    for_each_broker(&brokers(), |broker| {
        let got = replay(broker, &file, &[]);
        let what = format!("{}: replay notes.txt", broker.name);
        got.assert_code(65, &what);
        got.assert_one_error_line(&what);
        assert!(
            got.stderr
                .contains(&format!("{}:2: not a JSON object", file.display())),
            "{what}: {}",
            got.stderr
        );
    });
}

#[test]
fn a_malformed_line_ends_the_replay_after_the_messages_before_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("replay-malformed");
        let path = dir.path().join(format!("{}.jsonl", broker.name));
        let mut text = String::new();
        for value in [
            line(&topic, "one", 1, false, 0.0),
            line(&topic, "two", 1, false, 0.0),
        ] {
            text.push_str(&format!("{value}\n"));
        }
        text.push_str("{\"topic\":\"x\",\"payload\":\"cut off here\n");
        text.push_str(&format!("{}\n", line(&topic, "never", 1, false, 0.0)));
        fs::write(&path, text).expect("write the recording");
        let mut sub = subscribe(broker, &["-t", &topic, "-q", "1", "-W", WAIT]);
        let got = replay(broker, &path, &["--speed", "0"]);
        let what = format!(
            "{}: replay of a recording with a bad third line",
            broker.name
        );
        got.assert_code(65, &what);
        got.assert_one_error_line(&what);
        assert!(
            got.stderr.contains(&format!(
                "{}:3: not a message of mqtk sub --json",
                path.display()
            )) && got
                .stderr
                .contains("the 2 messages before it were published"),
            "{what}: {}",
            got.stderr
        );
        publish_ok(broker, &["-t", &topic, "-m", MARKER, "-q", "1"]);
        sub.wait_for_stdout(
            format!("one\ntwo\n{MARKER}\n").as_bytes(),
            Duration::from_secs(10),
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Lost connections and MQTT 3.1.1

#[test]
fn a_reset_in_the_middle_loses_nothing_at_qos_1() {
    const MESSAGES: usize = 1500;
    let dir = tempfile::tempdir().expect("a temporary directory");
    for_each_broker(&v5_brokers(), |broker| {
        let proxy = common::fault_proxy::FaultProxy::start(broker);
        let topic = unique_topic("replay-reset");
        // three seconds of messages, so that the reset comes while they flow
        let lines: Vec<Value> = (0..MESSAGES)
            .map(|k| line(&topic, &format!("m{k:05}"), 1, false, k as f64 * 0.002))
            .collect();
        let file = recording(dir.path(), &format!("{}.jsonl", broker.name), &lines);
        let mut sub = subscribe(broker, &["-t", &topic, "-q", "1", "-W", "60"]);
        let mut command = mqtk();
        command
            .arg("replay")
            .arg(&file)
            .args(broker.via(&proxy).args());
        let what = format!("{}: mqtk replay through resets", broker.name);
        let replaying = spawn(&what, &mut command, None);
        sub.wait_for_stdout_containing(b"m00100\n", Duration::from_secs(20));
        proxy.reset_all();
        let replayed = replaying.finish();
        replayed.assert_code(0, &what);
        assert!(
            replayed.stderr.contains("reconnected"),
            "{what}: {}",
            replayed.stderr
        );
        let last = format!("m{:05}\n", MESSAGES - 1);
        sub.wait_for_stdout_containing(last.as_bytes(), Duration::from_secs(20));
        sub.interrupt();
        let got = sub.finish();
        let mut seen = std::collections::BTreeSet::new();
        let mut previous = String::new();
        for payload in got.stdout().lines() {
            // at QoS 1 a message may come twice, but a new one never before an older one
            if seen.insert(payload.to_string()) {
                assert!(
                    payload > previous.as_str(),
                    "{what}: {payload} after {previous}"
                );
                previous = payload.to_string();
            }
        }
        assert_eq!(seen.len(), MESSAGES, "{what}: every message arrived");
    });
}

#[test]
fn under_mqtt_311_the_properties_are_left_out_and_said_so() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let broker = common::rumqttd_v311();
    let topic = unique_topic("replay-311");
    let mut with_properties = line(&topic, "x", 1, false, 0.0);
    with_properties["user_properties"] = json!([["k", "v"]]);
    with_properties["content_type"] = json!("text/plain");
    let file = recording(dir.path(), "v311.jsonl", &[with_properties]);
    let sub = subscribe(&broker, &["-t", &topic, "-q", "1", "-C", "1", "-W", WAIT]);
    let got = replay(&broker, &file, &[]);
    got.assert_code(0, "replay to an MQTT 3.1.1 broker");
    assert!(
        got.stderr.contains("MQTT 3.1.1 has no message properties"),
        "{}",
        got.stderr
    );
    let received = sub.finish();
    received.assert_code(0, "sub");
    assert_eq!(received.stdout(), "x\n");
}
