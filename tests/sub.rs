//! `mqtk sub` against real brokers: what it prints in each output style, which messages it
//! prints (filters, retained messages), when and with which exit code it stops, and how it
//! survives a closed stdout and a broker restart.
//!
//! Every `mqtk` process runs under a deadline and is killed when its test ends in any way, so
//! a broken build fails the tests instead of hanging them (see `common::run`). A subscriber
//! counts as subscribed once its `-d` trace shows the SUBACK (or, where `-d` would slow it
//! down or must stay off, once it printed a retained message).
//! A test that a message does NOT arrive within a subscriber's `-W` window also waits for a
//! marker published after the event under test (`publish_marker`), so a subscriber whose window
//! closed before the event fails the test instead of passing it.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::own_mosquitto::OwnMosquitto;
use common::run::{
    assert_lines, clear_ready, for_each_broker, numbered_lines, publish_marker, publish_ok,
    publish_with_input, publisher, spawn, subscribe, subscribe_quietly, subscribe_with_env,
    subscriber, tail_lines, MARKER,
};
use common::{brokers, unique_topic};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Output styles

#[test]
fn the_default_output_is_the_payload_and_a_newline() {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("default");
        let sub = subscribe(broker, &["-t", &topic, "-C", "1", "-W", "10"]);
        publish_ok(broker, &["-t", &topic, "-m", "hello world", "-q", "1"]);
        let got = sub.finish();
        got.assert_code(0, &format!("{}: sub", broker.name));
        assert_eq!(got.stdout(), "hello world\n", "{}", broker.name);
    });
}

#[test]
fn verbose_output_is_the_topic_a_space_and_the_payload() {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("verbose");
        let sub = subscribe(broker, &["-t", &topic, "-v", "-C", "1", "-W", "10"]);
        publish_ok(broker, &["-t", &topic, "-m", "21.5 degrees", "-q", "1"]);
        let got = sub.finish();
        got.assert_code(0, &format!("{}: sub -v", broker.name));
        assert_eq!(
            got.stdout(),
            format!("{topic} 21.5 degrees\n"),
            "{}",
            broker.name
        );
    });
}

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

#[test]
fn json_output_carries_topic_payload_qos_and_retain_and_binary_as_base64() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let binary_file = dir.path().join("binary");
    fs::write(&binary_file, [0xff, 0x00, 0xfe]).expect("write the binary payload");
    let binary_file = binary_file.to_str().expect("a UTF-8 temporary path");
    for_each_broker(&brokers(), |broker| {
        let base = unique_topic("json");
        let (retained, text, binary) = (
            format!("{base}/kept"),
            format!("{base}/text"),
            format!("{base}/bin"),
        );
        publish_ok(broker, &["-t", &retained, "-m", "kept", "-r", "-q", "1"]);
        let filter = format!("{base}/#");
        let sub = subscribe(
            broker,
            &["-t", &filter, "--json", "-q", "1", "-C", "3", "-W", "10"],
        );
        publish_ok(broker, &["-t", &text, "-m", "hello \"you\"", "-q", "1"]);
        publish_ok(broker, &["-t", &binary, "-f", binary_file, "-q", "1"]);
        let got = sub.finish();
        publish_ok(broker, &["-t", &retained, "-n", "-r", "-q", "1"]);
        let what = format!("{}: sub --json", broker.name);
        got.assert_code(0, &what);
        let objects = json_lines(&what, &got.stdout());
        let find = |topic: &str| {
            objects
                .iter()
                .find(|o| o["topic"] == topic)
                .unwrap_or_else(|| panic!("{what}: no object for {topic} in {objects:?}"))
        };
        assert_eq!(objects.len(), 3, "{what}: {objects:?}");

        let kept = find(&retained);
        assert_eq!(kept["payload"], "kept", "{what}: {kept}");
        assert_eq!(kept["qos"], 1, "{what}: {kept}");
        assert_eq!(kept["retain"], true, "{what}: {kept}");

        let hello = find(&text);
        assert_eq!(hello["payload"], "hello \"you\"", "{what}: {hello}");
        assert_eq!(hello["qos"], 1, "{what}: {hello}");
        assert_eq!(hello["retain"], false, "{what}: {hello}");
        assert!(hello.get("payload_encoding").is_none(), "{what}: {hello}");

        let bytes = find(&binary);
        // 0xff 0x00 0xfe in standard base64.
        assert_eq!(bytes["payload"], "/wD+", "{what}: {bytes}");
        assert_eq!(bytes["payload_encoding"], "base64", "{what}: {bytes}");
        assert_eq!(bytes["retain"], false, "{what}: {bytes}");
    });
}

#[test]
fn a_format_prints_the_specifiers_it_is_given() {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("format");
        let format = r"%t|%p|%q|%r|%l|%x|100%%\t.";
        let sub = subscribe(
            broker,
            &["-t", &topic, "-F", format, "-q", "1", "-C", "1", "-W", "10"],
        );
        publish_ok(broker, &["-t", &topic, "-m", "hello", "-q", "1"]);
        let got = sub.finish();
        got.assert_code(0, &format!("{}: sub -F", broker.name));
        assert_eq!(
            got.stdout(),
            format!("{topic}|hello|1|0|5|68656c6c6f|100%\t.\n"),
            "{}",
            broker.name
        );
    });
}

#[test]
fn local_time_follows_tz_and_the_json_timestamp_stays_utc() {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("zone");
        // POSIX counts hours west of Greenwich: UTC-2 is two hours east.
        let zone = [("TZ", "UTC-2")];
        let common = ["-t", topic.as_str(), "-q", "1", "-C", "1", "-W", "10"];
        let format_sub = subscribe_with_env(broker, &zone, &[&common[..], &["-F", "%I"]].concat());
        let json_sub = subscribe_with_env(broker, &zone, &[&common[..], &["--json"]].concat());
        let format_what = format!("{}: TZ=UTC-2 sub -F %I", broker.name);
        let json_what = format!("{}: TZ=UTC-2 sub --json", broker.name);
        publish_ok(broker, &["-t", &topic, "-m", "now", "-q", "1"]);

        let got = format_sub.finish();
        got.assert_code(0, &format_what);
        let line = got.stdout();
        let local = line.trim_end();
        assert!(local.ends_with("+0200"), "{format_what}: {line:?}");
        let local: jiff::Timestamp = jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%z", local)
            .and_then(|tm| tm.to_timestamp())
            .unwrap_or_else(|err| panic!("{format_what}: {line:?} is not ISO 8601: {err}"));

        let got = json_sub.finish();
        got.assert_code(0, &json_what);
        let objects = json_lines(&json_what, &got.stdout());
        let timestamp = objects[0]["timestamp"].as_str().unwrap_or_default();
        assert!(timestamp.ends_with('Z'), "{json_what}: {timestamp:?}");
        let utc: jiff::Timestamp = timestamp
            .parse()
            .unwrap_or_else(|err| panic!("{json_what}: {timestamp:?}: {err}"));
        // the same arrival, seen by two processes: two hours apart on the clock, not in time
        let apart = utc.duration_since(local).abs();
        assert!(
            apart < jiff::SignedDuration::from_secs(10),
            "{}: %I {local} and --json {utc} are {apart:?} apart",
            broker.name
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Which messages

#[test]
fn wildcard_filters_receive_the_matching_topics_and_no_others() {
    for_each_broker(&brokers(), |broker| {
        let base = unique_topic("wildcards");
        let single = format!("{base}/+/temp");
        let multi = format!("{base}/house/#");
        let sub = subscribe(
            broker,
            &["-t", &single, "-t", &multi, "-v", "-C", "4", "-W", "10"],
        );
        // Those that match none of the filters go first: had one arrived, it would take the
        // place of a match among the four printed.
        for (topic, payload) in [
            ("a/hum", "no"),
            ("a/b/temp", "no"),
            ("other/x", "no"),
            ("a/temp", "t1"),
            ("house/x/y", "h1"),
            ("b/temp", "t2"),
            ("house/z", "h2"),
        ] {
            publish_ok(
                broker,
                &["-t", &format!("{base}/{topic}"), "-m", payload, "-q", "1"],
            );
        }
        let got = sub.finish();
        got.assert_code(0, &format!("{}: sub with wildcards", broker.name));
        let mut lines: Vec<String> = got.stdout().lines().map(str::to_string).collect();
        lines.sort();
        let mut expected: Vec<String> = ["a/temp t1", "b/temp t2", "house/x/y h1", "house/z h2"]
            .iter()
            .map(|line| format!("{base}/{line}"))
            .collect();
        expected.sort();
        assert_eq!(lines, expected, "{}", broker.name);
    });
}

#[test]
fn filter_out_hides_the_matching_topics() {
    for_each_broker(&brokers(), |broker| {
        let base = unique_topic("filter-out");
        let all = format!("{base}/#");
        let secret = format!("{base}/secret/#");
        let hidden = format!("{base}/+/hidden");
        let sub = subscribe(
            broker,
            &[
                "-t", &all, "-T", &secret, "-T", &hidden, "-v", "-C", "2", "-W", "10",
            ],
        );
        for (topic, payload) in [
            // "a/#" matches "a" itself too (MQTT 5 §4.7.1.2).
            ("secret", "s0"),
            ("secret/a", "s1"),
            ("x/hidden", "s2"),
            ("open", "o1"),
            ("secret/b/c", "s3"),
            ("open/deeper", "o2"),
        ] {
            publish_ok(
                broker,
                &["-t", &format!("{base}/{topic}"), "-m", payload, "-q", "1"],
            );
        }
        let got = sub.finish();
        got.assert_code(0, &format!("{}: sub -T", broker.name));
        assert_eq!(
            got.stdout(),
            format!("{base}/open o1\n{base}/open/deeper o2\n"),
            "{}",
            broker.name
        );
    });
}

// ---------------------------------------------------------------------------------------------
// When to stop

#[test]
fn a_resumed_session_receives_what_was_published_while_away() {
    // mosquitto only: rumqttd 0.20 at times closes a connection that resumes a
    // session a moment after the last one ended, answers no UNSUBACK (v5) or
    // closes (3.1.1) for a subscription restored from a session.
    let Some(mosquitto) = common::mosquitto() else {
        return common::skip("mosquitto is not installed");
    };
    for_each_broker(&[mosquitto], |broker| {
        let topic = unique_topic("session");
        let id = format!("mqtk-session-{}", std::process::id());
        let what = format!("{}: sub -c", broker.name);
        let session = ["-c", "-i", &id, "-x", "300", "-q", "1", "-t", &topic];
        // Subscribe in a persistent session, then leave.
        let first = spawn(
            &what,
            &mut subscriber(broker, &[&session[..], &["-E"]].concat()),
            None,
        )
        .finish_within(Duration::from_secs(10));
        first.assert_code(0, &what);
        publish_ok(broker, &["-t", &topic, "-m", "while away", "-q", "1"]);
        // Come back: the broker kept the message for the session.
        let second = spawn(
            &what,
            &mut subscriber(broker, &[&session[..], &["-C", "1", "-W", "10"]].concat()),
            None,
        )
        .finish_within(Duration::from_secs(15));
        second.assert_code(0, &what);
        assert_eq!(second.stdout(), "while away\n", "{what}");
        // -U removes the subscription from the session: nothing is kept any more.
        let base = ["-c", "-i", &id, "-x", "300", "-q", "1"];
        spawn(
            &what,
            &mut subscriber(broker, &[&base[..], &["-U", &topic, "-E"]].concat()),
            None,
        )
        .finish_within(Duration::from_secs(10))
        .assert_code(0, &format!("{what} -U"));
        publish_ok(broker, &["-t", &topic, "-m", "unsubscribed", "-q", "1"]);
        let other = format!("{topic}/other");
        let last = ["-t", other.as_str(), "-W", "3"];
        let mut third = subscribe(broker, &[&base[..], &last[..]].concat());
        // A message kept for the session comes right after the CONNACK, so before the marker,
        // which is published once the subscription to the other topic is acknowledged.
        publish_marker(broker, &other, &mut third);
        let third = third.finish_within(Duration::from_secs(10));
        third.assert_code(1, &format!("{what} after -U"));
        assert_eq!(
            third.stdout(),
            format!("{MARKER}\n"),
            "{what}: a message after -U"
        );
    });
}

#[test]
fn count_exits_0_after_exactly_that_many_messages() {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("count");
        let sub = subscribe(broker, &["-t", &topic, "-C", "2", "-W", "10"]);
        // Three in one burst: the third may arrive with the second and must not be printed.
        let args = ["-t", &topic, "-l", "-q", "1"];
        publish_with_input(broker, &args, Some(b"1\n2\n3\n".to_vec()))
            .assert_code(0, &format!("{}: pub -l", broker.name));
        let got = sub.finish();
        got.assert_code(0, &format!("{}: sub -C 2", broker.name));
        assert_eq!(got.stdout(), "1\n2\n", "{}", broker.name);
    });
}

#[test]
fn a_timeout_exits_1_when_the_count_is_not_reached() {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("timeout");
        // -W counts from the subscription; 3 s leaves a loaded machine time to publish.
        let sub = subscribe(broker, &["-t", &topic, "-C", "2", "-W", "3"]);
        let started = Instant::now();
        publish_ok(broker, &["-t", &topic, "-m", "only one", "-q", "1"]);
        let got = sub.finish();
        got.assert_code(1, &format!("{}: sub -C 2 -W 3", broker.name));
        assert_eq!(got.stdout(), "only one\n", "{}", broker.name);
        assert!(
            got.stderr.contains("timed out"),
            "{}: {}",
            broker.name,
            got.stderr
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{}: -W 3 took {:?}",
            broker.name,
            started.elapsed()
        );
    });
}

#[test]
fn exit_after_subscribe_exits_0_once_subscribed() {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("exit-after-subscribe");
        let what = format!("{}: sub -E", broker.name);
        let got = spawn(
            &what,
            &mut subscriber(broker, &["-t", &topic, "-E", "-d"]),
            None,
        )
        .finish_within(Duration::from_secs(5));
        got.assert_code(0, &what);
        assert!(
            got.stderr.contains("received SUBACK"),
            "{what}: {}",
            got.stderr
        );
        assert_eq!(got.stdout(), "", "{what}");
    });
}

#[test]
fn ctrl_c_ends_sub_with_status_0_and_a_clean_disconnect() {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("ctrl-c");
        let will = format!("{topic}/will");
        let mut watcher = subscribe(broker, &["-t", &will, "-W", "3"]);
        let sub = subscribe(
            broker,
            &[
                "-t",
                &topic,
                "--will-topic",
                &will,
                "--will-payload",
                "gone",
            ],
        );
        sub.interrupt();
        let got = sub.finish_within(Duration::from_secs(5));
        let what = format!("{}: sub after Ctrl-C", broker.name);
        got.assert_code(0, &what);
        assert!(
            got.stderr.contains("sending DISCONNECT"),
            "{what}: {}",
            got.stderr
        );
        // After DISCONNECT the broker discards the will; published once sub has exited, the
        // marker would come after it.
        publish_marker(broker, &will, &mut watcher);
        let watched = watcher.finish();
        watched.assert_code(1, &format!("{}: will watcher", broker.name));
        assert_eq!(
            watched.stdout(),
            format!("{MARKER}\n"),
            "{}: the will was published",
            broker.name
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Retained messages

#[test]
fn no_retained_skips_a_stale_retained_message_but_prints_a_live_one() {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("no-retained");
        publish_ok(broker, &["-t", &topic, "-m", "stale", "-r", "-q", "1"]);
        let sub = subscribe(broker, &["-t", &topic, "-R", "-C", "1", "-W", "10"]);
        publish_ok(broker, &["-t", &topic, "-m", "live", "-q", "1"]);
        let got = sub.finish();
        publish_ok(broker, &["-t", &topic, "-n", "-r", "-q", "1"]);
        got.assert_code(0, &format!("{}: sub -R", broker.name));
        assert_eq!(got.stdout(), "live\n", "{}", broker.name);
    });
}

#[test]
fn retained_only_prints_the_retained_messages_and_exits_at_the_first_live_one() {
    for_each_broker(&brokers(), |broker| {
        let base = unique_topic("retained-only");
        let (a, b) = (format!("{base}/a"), format!("{base}/b"));
        publish_ok(broker, &["-t", &a, "-m", "ra", "-r", "-q", "1"]);
        publish_ok(broker, &["-t", &b, "-m", "rb", "-r", "-q", "1"]);
        let filter = format!("{base}/#");
        let sub = subscribe(
            broker,
            &["-t", &filter, "--retained-only", "-v", "-W", "10"],
        );
        publish_ok(
            broker,
            &["-t", &format!("{base}/c"), "-m", "live", "-q", "1"],
        );
        let got = sub.finish();
        for topic in [&a, &b] {
            publish_ok(broker, &["-t", topic, "-n", "-r", "-q", "1"]);
        }
        got.assert_code(0, &format!("{}: sub --retained-only", broker.name));
        let mut lines: Vec<String> = got.stdout().lines().map(str::to_string).collect();
        lines.sort();
        assert_eq!(
            lines,
            [format!("{a} ra"), format!("{b} rb")],
            "{}",
            broker.name
        );
    });
}

#[test]
fn remove_retained_clears_the_retained_message() {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("remove-retained");
        publish_ok(broker, &["-t", &topic, "-m", "keep", "-r", "-q", "1"]);
        let remover = subscribe(
            broker,
            &["-t", &topic, "--remove-retained", "-C", "1", "-W", "5"],
        );
        let got = remover.finish();
        got.assert_code(0, &format!("{}: sub --remove-retained", broker.name));
        assert_eq!(got.stdout(), "keep\n", "{}", broker.name);

        // Had the retained message stayed, it would arrive on subscribing, before the marker.
        let mut later = subscribe(broker, &["-t", &topic, "-W", "2"]);
        publish_marker(broker, &topic, &mut later);
        let later = later.finish();
        later.assert_code(1, &format!("{}: a later subscriber", broker.name));
        assert_eq!(
            later.stdout(),
            format!("{MARKER}\n"),
            "{}: the retained message is still there",
            broker.name
        );
    });
}

// ---------------------------------------------------------------------------------------------
// A closed stdout, a broker restart, a burst

#[test]
fn a_closed_stdout_ends_sub_with_status_141_and_nothing_on_stderr() {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("closed-pipe");
        // Publishing all along, so the subscriber needs no -d (whose trace is on stderr) to
        // get its first message, and has more to write after its stdout is gone.
        let args = [
            "-t",
            &topic,
            "-m",
            "tick",
            "--repeat",
            "400",
            "--repeat-delay",
            "0.05",
        ];
        let what = format!("{}: pub --repeat", broker.name);
        let _publisher = spawn(&what, &mut publisher(broker, &args), None);

        let mut sub = subscriber(broker, &["-t", &topic]);
        sub.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = KillOnDrop(sub.spawn().expect("start mqtk sub"));
        let stdout = child.0.stdout.take().expect("piped stdout");
        let (first_tx, first_rx) = mpsc::channel();
        thread::spawn(move || {
            let mut first = String::new();
            let _ = BufReader::new(stdout).read_line(&mut first);
            let _ = first_tx.send(first);
            // The reader, and with it the pipe's only read end, is dropped here.
        });
        let mut stderr = child.0.stderr.take().expect("piped stderr");
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let first = first_rx.recv_timeout(Duration::from_secs(10));
        assert_eq!(
            first.as_deref(),
            Ok("tick\n"),
            "{}: the first line",
            broker.name
        );

        let status = wait_within(&mut child.0, Duration::from_secs(5)).unwrap_or_else(|| {
            panic!(
                "{}: sub still runs 5 s after its stdout closed",
                broker.name
            )
        });
        let stderr = stderr.join().expect("the stderr reader");
        assert!(
            status.code() == Some(141) || status.signal() == Some(13),
            "{}: expected status 141, got {status}; stderr:\n{stderr}",
            broker.name
        );
        assert_eq!(stderr, "", "{}: stderr after a closed stdout", broker.name);
    });
}

/// Waits up to `timeout` for `child` to exit.
fn wait_within(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("wait for mqtk") {
            return Some(status);
        }
        if Instant::now() > deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// A child process killed (and reaped) when dropped, unless it has exited.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// mosquitto only: its `max_qos` grants less than asked; rumqttd grants what is asked.
#[test]
fn a_lower_qos_granted_than_asked_is_a_note() {
    let Some(own) = OwnMosquitto::start_with("max_qos 1\n") else {
        return common::skip("mosquitto is not installed");
    };
    let broker = own.broker();
    let topic = unique_topic("granted");
    for (qos, note) in [("2", true), ("1", false)] {
        let what = format!("sub -q {qos} -E against max_qos 1");
        let got = spawn(
            &what,
            &mut subscriber(&broker, &["-t", &topic, "-q", qos, "-E"]),
            None,
        )
        .finish_within(Duration::from_secs(10));
        got.assert_code(0, &what);
        let expected = format!("note: the broker granted QoS 1 for {topic:?}, not the QoS 2 asked");
        assert_eq!(
            got.stderr.contains(&expected),
            note,
            "{what}: {}",
            got.stderr
        );
    }
}

/// The maximum packet size both ways against mosquitto: its `max_packet_size` refuses our
/// large message before it is sent, and our --maximum-packet-size keeps its large one away.
#[test]
fn the_maximum_packet_size_holds_both_ways() {
    let Some(own) = OwnMosquitto::start_with("max_packet_size 100\n") else {
        return common::skip("mosquitto is not installed");
    };
    let broker = own.broker();
    let topic = unique_topic("packet-size");
    let large = "y".repeat(200);
    let refused = publish_with_input(&broker, &["-t", &topic, "-m", &large], None);
    refused.assert_code(1, "a 200-byte message into max_packet_size 100");
    assert!(
        refused
            .stderr
            .contains("exceeds the broker's maximum packet size of 100 bytes"),
        "{}",
        refused.stderr
    );
    let sub = subscribe(
        &broker,
        &[
            "-t",
            &topic,
            "--maximum-packet-size",
            "64",
            "-C",
            "1",
            "-W",
            "20",
        ],
    );
    // About 80 bytes with the topic: under the broker's 100, over our 64.
    publish_ok(&broker, &["-t", &topic, "-m", &"z".repeat(40)]);
    publish_ok(&broker, &["-t", &topic, "-m", "small"]);
    let got = sub.finish();
    got.assert_code(0, "sub --maximum-packet-size 64");
    assert_eq!(
        got.stdout(),
        "small\n",
        "the 80-byte message stayed with the broker"
    );
}

#[test]
fn sub_reconnects_when_the_broker_restarts() {
    let Some(mut own) = OwnMosquitto::start() else {
        return common::skip("mosquitto is not installed");
    };
    let broker = own.broker();
    let topic = unique_topic("reconnect");
    let mut sub = subscribe(&broker, &["-t", &topic, "-v", "-C", "1", "-W", "30"]);
    own.kill();
    own.start_again();
    // The trace shows the SUBACK of the new connection once it subscribed again.
    sub.wait_for_stderr("received SUBACK", Duration::from_secs(15));
    publish_ok(
        &broker,
        &["-t", &topic, "-m", "after the restart", "-q", "1"],
    );
    let got = sub.finish();
    got.assert_code(0, "sub across a broker restart");
    assert_eq!(got.stdout(), format!("{topic} after the restart\n"));
    assert!(
        got.stderr.contains("reconnecting"),
        "stderr does not mention reconnecting:\n{}",
        tail_lines(&got.stderr)
    );
}

#[test]
fn a_burst_of_100000_qos_0_messages_arrives_complete_and_in_order() {
    const COUNT: usize = 100_000;
    let lines = numbered_lines(COUNT);
    let mut expected = b"ready\n".to_vec();
    expected.extend(&lines);
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("burst");
        let count = (COUNT + 1).to_string();
        let sub = subscribe_quietly(broker, &topic, &["-C", &count, "-W", "60"]);
        let started = Instant::now();
        publish_with_input(broker, &["-t", &topic, "-l"], Some(lines.clone()))
            .assert_code(0, &format!("{}: pub -l", broker.name));
        let got = sub.finish_within(Duration::from_secs(60));
        clear_ready(broker, &topic);
        got.assert_code(0, &format!("{}: sub -C {count}", broker.name));
        assert_lines(broker.name, &got.stdout, &expected);
        eprintln!(
            "{}: {COUNT} messages at QoS 0 in {:?}",
            broker.name,
            started.elapsed()
        );
    });
}

#[test]
fn message_rate_counts_the_messages_of_each_second() {
    let broker = common::rumqttd_v5();
    let topic = unique_topic("rate");
    let sub = subscribe(&broker, &["-t", &topic, "--message-rate", "-W", "6"]);
    let repeat = [
        "-t",
        &topic,
        "-m",
        "x",
        "--repeat",
        "30",
        "--repeat-delay",
        "0.05",
    ];
    publish_ok(&broker, &repeat);
    let got = sub.finish();
    got.assert_code(1, "sub --message-rate -W 6");
    let counts: Vec<u64> = got
        .stdout()
        .lines()
        .map(|line| line.parse().expect("one number a line"))
        .collect();
    assert_eq!(counts.iter().sum::<u64>(), 30, "{counts:?}");
    assert!(counts.len() >= 4, "a line every second: {counts:?}");
}

#[test]
fn watch_prints_the_messages_as_they_come_when_stdout_is_not_a_terminal() {
    let broker = common::rumqttd_v5();
    let topic = unique_topic("watch");
    let sub = subscribe(
        &broker,
        &["-t", &format!("{topic}/#"), "--watch", "-v", "-C", "2"],
    );
    publish_ok(
        &broker,
        &["-t", &format!("{topic}/a"), "-m", "1", "-q", "1"],
    );
    publish_ok(
        &broker,
        &["-t", &format!("{topic}/b"), "-m", "2", "-q", "1"],
    );
    let got = sub.finish();
    got.assert_code(0, "sub --watch into a pipe");
    assert_eq!(got.stdout(), format!("{topic}/a 1\n{topic}/b 2\n"));
}
