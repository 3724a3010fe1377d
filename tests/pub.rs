//! `mqtk pub` against real brokers: what a subscriber receives, what the exit code says and
//! what stderr shows, for each message source, QoS, ending and failure a user runs into.
//!
//! Every `mqtk` process runs under a deadline and is killed when its test ends in any way, so
//! a broken build fails the tests instead of hanging them (see `common::run`). A subscriber
//! counts as subscribed once its `-d` trace shows the SUBACK (or, where `-d` would slow it
//! down, once it printed a retained message).
//! A test that a message does NOT arrive within a subscriber's `-W` window also waits for a
//! marker published after the event under test (`publish_marker`), so a subscriber whose window
//! closed before the event fails the test instead of passing it.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::run::{
    assert_lines, clear_ready, for_each_broker, numbered_lines, publish_marker, publish_ok,
    publish_with_input, publisher, shorten, spawn, spawn_fed, subscribe, subscribe_quietly,
    Finished, Running, MARKER,
};
use common::{
    brokers, mosquitto, mosquitto_with_password, mqtk, rumqttd_v311, rumqttd_v5, unique_topic,
    Broker, HeldPort,
};

// ---------------------------------------------------------------------------------------------
// Checks

/// Publishes with `pub_args` (plus `-t TOPIC`) and checks that a subscriber with `sub_args`
/// prints `expected`, receiving `count` messages.
fn assert_delivered(
    broker: &Broker,
    pub_args: &[&str],
    input: Option<Vec<u8>>,
    (count, sub_args): (usize, &[&str]),
    expected: &[u8],
) {
    let topic = unique_topic("pub");
    let count = count.to_string();
    let mut args = vec!["-t", topic.as_str(), "-C", &count, "-W", "20"];
    args.extend(sub_args);
    let subscriber = subscribe(broker, &args);
    let mut args = vec!["-t", topic.as_str()];
    args.extend(pub_args);
    let what = format!("{}: pub {}", broker.name, pub_args.join(" "));
    publish_with_input(broker, &args, input).assert_code(0, &what);
    let got = subscriber.finish();
    got.assert_code(0, &format!("the subscriber of {what}"));
    assert!(
        got.stdout == expected,
        "{what}: the subscriber printed {:?}, expected {:?}",
        shorten(&got.stdout()),
        shorten(&String::from_utf8_lossy(expected))
    );
}

// ---------------------------------------------------------------------------------------------
// Round trips

fn round_trip_at_qos(qos: &str) {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("round-trip");
        let message = format!("hello at QoS {qos}");
        let subscriber = subscribe(broker, &["-t", &topic, "-C", "1", "-W", "10", "-q", qos]);
        publish_ok(broker, &["-t", &topic, "-m", &message, "-q", qos]);
        let got = subscriber.finish();
        got.assert_code(0, &format!("{}: sub -q {qos}", broker.name));
        assert_eq!(got.stdout(), format!("{message}\n"), "{}", broker.name);
    });
}

#[test]
fn a_qos_0_message_reaches_a_subscriber() {
    round_trip_at_qos("0");
}

#[test]
fn a_qos_1_message_reaches_a_subscriber() {
    round_trip_at_qos("1");
}

#[test]
fn a_qos_2_message_reaches_a_subscriber() {
    round_trip_at_qos("2");
}

// ---------------------------------------------------------------------------------------------
// Retained messages

#[test]
fn a_retained_message_reaches_later_subscribers_until_it_is_cleared() {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("retained");
        publish_ok(broker, &["-t", &topic, "-m", "kept", "-r", "-q", "1"]);

        let later = subscribe(broker, &["-t", &topic, "-C", "1", "-W", "5"]).finish();
        later.assert_code(0, &format!("{}: a subscriber after pub -r", broker.name));
        assert_eq!(later.stdout(), "kept\n", "{}", broker.name);

        publish_ok(broker, &["-t", &topic, "-r", "-n", "-q", "1"]);
        // Had the retained message stayed, it would arrive on subscribing, before the marker.
        let mut after_clear = subscribe(broker, &["-t", &topic, "-W", "2"]);
        publish_marker(broker, &topic, &mut after_clear);
        let after_clear = after_clear.finish();
        after_clear.assert_code(1, &format!("{}: a subscriber after pub -r -n", broker.name));
        assert_eq!(
            after_clear.stdout(),
            format!("{MARKER}\n"),
            "{}",
            broker.name
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Last will

/// Publishes with a will and `ending` (extra `mqtk pub` flags) while a watcher subscribes to
/// the will topic with `watch` (extra `mqtk sub` flags): the watcher, still running, whose
/// stdout is the will, if any, and the will topic.
fn watch_will(broker: &Broker, ending: &[&str], watch: &[&str]) -> (Running, String) {
    let topic = unique_topic("will");
    let will_topic = format!("{topic}/status");
    let watcher = subscribe(broker, &[&["-t", will_topic.as_str()][..], watch].concat());
    let will = ["--will-topic", &will_topic, "--will-payload", "gone"];
    let message = ["-t", topic.as_str(), "-m", "up"];
    publish_ok(broker, &[&message[..], &will[..], ending].concat());
    (watcher, will_topic)
}

/// [`watch_will`] until the first message, the will, arrives.
fn will_seen_after(broker: &Broker, ending: &[&str]) -> Finished {
    watch_will(broker, ending, &["-C", "1", "-W", "10"])
        .0
        .finish()
}

#[test]
fn the_will_is_published_when_pub_ends_without_disconnect() {
    for_each_broker(&brokers(), |broker| {
        let got = will_seen_after(broker, &["--no-disconnect"]);
        got.assert_code(0, &format!("{}: the will watcher", broker.name));
        assert_eq!(got.stdout(), "gone\n", "{}", broker.name);
    });
}

#[test]
fn the_will_is_not_published_after_a_clean_disconnect() {
    for_each_broker(&brokers(), |broker| {
        let (mut watcher, will_topic) = watch_will(broker, &["-q", "1"], &["-W", "3"]);
        // Published once pub has exited: a will would have been published before it.
        publish_marker(broker, &will_topic, &mut watcher);
        let got = watcher.finish();
        got.assert_code(1, &format!("{}: the will watcher", broker.name));
        assert_eq!(got.stdout(), format!("{MARKER}\n"), "{}", broker.name);
    });
}

/// mosquitto only: rumqttd 0.20 discards the will on every DISCONNECT, whatever its reason
/// code (router/routing.rs, `Packet::Disconnect` removes the last will), so reason 0x04 cannot
/// be checked against it.
#[test]
fn the_will_is_published_after_disconnect_with_will() {
    let Some(broker) = mosquitto() else {
        return common::skip("mosquitto is not installed");
    };
    let got = will_seen_after(&broker, &["--disconnect-with-will"]);
    got.assert_code(0, "the will watcher");
    assert_eq!(got.stdout(), "gone\n");
}

#[test]
fn disconnect_with_will_under_mqtt_311_is_a_usage_error() {
    let broker = rumqttd_v311();
    let got = publish_with_input(
        &broker,
        &[
            "-t",
            "a",
            "-m",
            "up",
            "--will-topic",
            "w",
            "--disconnect-with-will",
        ],
        None,
    );
    got.assert_code(2, "pub -V 3.1.1 --disconnect-with-will");
    got.assert_one_error_line("pub -V 3.1.1 --disconnect-with-will");
}

// ---------------------------------------------------------------------------------------------
// Credentials and connection failures

/// The password-protected mosquitto, or `None` after skipping the test when mosquitto is not
/// installed; with CI=true the harness panics instead.
fn password_broker() -> Option<(Broker, &'static str, &'static str)> {
    let found = mosquitto_with_password();
    if found.is_none() {
        common::skip("mosquitto or mosquitto_passwd is not installed");
    }
    found
}

#[test]
fn a_wrong_password_is_refused_with_exit_code_4() {
    let Some((broker, user, _)) = password_broker() else {
        return;
    };
    let topic = unique_topic("refused");
    for version in ["5", "3.1.1"] {
        let got = publish_with_input(
            &broker,
            &[
                "-V", version, "-t", &topic, "-m", "x", "-u", user, "-P", "wrong",
            ],
            None,
        );
        let what = format!("pub -V {version} with a wrong password");
        got.assert_code(4, &what);
        got.assert_one_error_line(&what);
    }
    let anonymous = publish_with_input(&broker, &["-t", &topic, "-m", "x"], None);
    anonymous.assert_code(4, "pub without credentials");
    anonymous.assert_one_error_line("pub without credentials");
}

#[test]
fn the_right_password_is_accepted_from_the_flag_a_file_and_the_environment() {
    let Some((broker, user, password)) = password_broker() else {
        return;
    };
    let topic = unique_topic("login");
    publish_ok(
        &broker,
        &["-t", &topic, "-m", "x", "-u", user, "-P", password],
    );

    let dir = tempfile::tempdir().expect("a temporary directory");
    let pw_file = dir.path().join("password");
    std::fs::write(&pw_file, format!("{password}\n")).expect("write the password file");
    let pw_file = pw_file.to_str().expect("a UTF-8 temporary path");
    publish_ok(
        &broker,
        &["-t", &topic, "-m", "x", "-u", user, "--pw-file", pw_file],
    );

    let mut command = publisher(&broker, &["-t", &topic, "-m", "x", "-u", user]);
    command.env("MQTK_PASSWORD", password);
    spawn("pub with MQTK_PASSWORD", &mut command, None)
        .finish()
        .assert_code(0, "pub with MQTK_PASSWORD");
}

#[test]
fn a_wrong_command_line_is_one_error_line_and_exit_code_2() {
    let cases: [&[&str]; 5] = [
        &["pub", "-t", "a"],                           // no message source
        &["pub", "-t", "a", "-m", "x", "-q", "3"],     // QoS out of range
        &["pub", "--hots", "x", "-t", "a", "-m", "x"], // a misspelt flag
        &["pub", "-t", "a", "-m", "x", "-l"],          // two message sources
        &[
            "pub",
            "-V",
            "3.1.1",
            "-t",
            "a",
            "-m",
            "x",
            "--content-type",
            "j",
        ], // MQTT 5 only
    ];
    for args in cases {
        let what = format!("mqtk {}", args.join(" "));
        let got = spawn(&what, mqtk().args(args), None).finish();
        got.assert_code(2, &what);
        got.assert_one_error_line(&what);
    }
    let got = spawn("misspelt flag", mqtk().args(cases[2]), None).finish();
    assert!(
        got.stderr.contains("'--host'"),
        "clap's tip: {}",
        got.stderr
    );
}

#[test]
fn an_unreachable_broker_gives_exit_code_3() {
    let closed = HeldPort::closed();
    let port = closed.port().to_string();
    let got = spawn(
        "pub to a closed port",
        mqtk()
            .arg("pub")
            .args(["-h", "127.0.0.1", "-p", &port, "-t", "a", "-m", "x"]),
        None,
    )
    .finish();
    got.assert_code(3, "pub to a closed port");
    got.assert_one_error_line("pub to a closed port");
}

#[test]
fn an_invalid_topic_is_a_usage_error_before_connecting() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a listener");
    let port = listener
        .local_addr()
        .expect("its address")
        .port()
        .to_string();
    for topic in ["a/+", "a/#", ""] {
        let got = spawn(
            "pub -t with a wildcard",
            mqtk()
                .arg("pub")
                .args(["-h", "127.0.0.1", "-p", &port, "-t", topic, "-m", "x"]),
            None,
        )
        .finish();
        got.assert_code(2, &format!("pub -t {topic:?}"));
        got.assert_one_error_line(&format!("pub -t {topic:?}"));
    }
    listener
        .set_nonblocking(true)
        .expect("make the listener non-blocking");
    assert!(
        listener.accept().is_err(),
        "mqtk connected although the topic was invalid"
    );
}

// ---------------------------------------------------------------------------------------------
// Message sources

#[test]
fn a_hundred_thousand_lines_arrive_complete_and_in_order_at_qos_1() {
    const COUNT: usize = 100_000;
    let lines = numbered_lines(COUNT);
    let mut expected = b"ready\n".to_vec();
    expected.extend(&lines);
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("lines");
        let count = (COUNT + 1).to_string();
        let subscriber = subscribe_quietly(broker, &topic, &["-C", &count, "-q", "1", "-W", "60"]);
        let started = Instant::now();
        let args = ["-t", &topic, "-l", "-q", "1"];
        publish_with_input(broker, &args, Some(lines.clone()))
            .assert_code(0, &format!("{}: pub -l -q 1", broker.name));
        let got = subscriber.finish_within(Duration::from_secs(60));
        clear_ready(broker, &topic);
        got.assert_code(0, &format!("{}: sub -C {count} -q 1", broker.name));
        assert_lines(broker.name, &got.stdout, &expected);
        eprintln!(
            "{}: {COUNT} lines at QoS 1 in {:?}",
            broker.name,
            started.elapsed()
        );
    });
}

#[test]
fn empty_input_with_l_exits_at_once_and_publishes_nothing() {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("empty-lines");
        // Open longer than pub may take on a busy machine, so the marker below can still arrive.
        let mut watcher = subscribe(broker, &["-t", &topic, "-W", "8"]);
        // Its input ends, empty, once pub is connected (its trace shows the CONNACK), so that
        // what is timed is pub's answer to the end of its input, not its start.
        let what = format!("{}: pub -l with empty input", broker.name);
        let (end_input, input_ends) = mpsc::channel::<()>();
        let mut command = publisher(broker, &["-t", &topic, "-l", "-d"]);
        let mut running = spawn_fed(&what, &mut command, move |stdin| {
            let _ = input_ends.recv();
            drop(stdin);
        });
        running.wait_for_stderr("received CONNACK", Duration::from_secs(10));
        let input_ended = Instant::now();
        end_input
            .send(())
            .expect("the thread that holds pub's stdin");
        running.finish().assert_code(0, &what);
        assert!(
            input_ended.elapsed() < Duration::from_secs(3),
            "{what}: ended {:?} after its input",
            input_ended.elapsed()
        );
        // Published once pub has exited: a message of pub's would have come before it.
        publish_marker(broker, &topic, &mut watcher);
        let got = watcher.finish();
        got.assert_code(1, &format!("{}: the subscriber", broker.name));
        assert_eq!(got.stdout(), format!("{MARKER}\n"), "{}", broker.name);
    });
}

#[test]
fn a_last_line_without_a_newline_is_published() {
    for_each_broker(&brokers(), |broker| {
        assert_delivered(
            broker,
            &["-l", "-q", "1"],
            Some(b"first\nlast".to_vec()),
            (2, &[]),
            b"first\nlast\n",
        );
    });
}

#[test]
fn ctrl_c_ends_the_input_of_l_and_what_was_read_is_still_published() {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("ctrl-c-lines");
        let what = format!("{}: pub -l interrupted", broker.name);
        let mut sub = subscribe(broker, &["-t", &topic, "-C", "3", "-W", "10"]);
        let mut child = publisher(broker, &["-t", &topic, "-l", "-q", "1"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mqtk pub");
        // Stdin stays open: only Ctrl-C ends the input. One write, one read.
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin.write_all(b"a\nb\nc").expect("write to pub");
        sub.wait_for_stdout(b"a\nb\n", Duration::from_secs(10));
        let killed = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(killed.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for pub") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{what}: still running 10 s after Ctrl-C");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        drop(stdin);
        let mut stderr = String::new();
        let _ = child
            .stderr
            .take()
            .expect("piped stderr")
            .read_to_string(&mut stderr);
        assert_eq!(status.code(), Some(0), "{what}: {stderr}");
        let got = sub.finish();
        got.assert_code(0, &format!("{}: sub", broker.name));
        assert_eq!(
            got.stdout(),
            "a\nb\nc\n",
            "{what}: the unterminated last line"
        );
    });
}

#[test]
fn crlf_line_endings_are_stripped_and_empty_lines_are_sent() {
    for_each_broker(&brokers(), |broker| {
        assert_delivered(
            broker,
            &["-l", "-q", "1"],
            Some(b"one\r\n\r\ntwo\r\n\nthree\n".to_vec()),
            // With the length, so a left-over \r would show (and empty payloads print a line).
            (5, &["-F", "%l:%p"]),
            b"3:one\n0:\n3:two\n0:\n5:three\n",
        );
    });
}

#[test]
fn a_one_mebibyte_line_arrives_whole() {
    let line: Vec<u8> = (0..1024 * 1024).map(|i| b'a' + (i % 26) as u8).collect();
    let mut input = line.clone();
    input.push(b'\n');
    for_each_broker(&brokers(), |broker| {
        assert_delivered(
            broker,
            &["-l", "-q", "1"],
            Some(input.clone()),
            (1, &[]),
            &input,
        );
    });
}

#[test]
fn stdin_is_sent_whole_with_s() {
    for_each_broker(&brokers(), |broker| {
        assert_delivered(
            broker,
            &["-s", "-q", "1"],
            Some(b"two\nlines\n".to_vec()),
            (1, &[]),
            b"two\nlines\n\n",
        );
    });
}

#[test]
fn a_file_is_sent_whole_with_f() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("payload.txt");
    std::fs::write(&file, "from a file\nwith two lines").expect("write the payload file");
    let file = file.to_str().expect("a UTF-8 temporary path");
    for_each_broker(&brokers(), |broker| {
        assert_delivered(
            broker,
            &["-f", file, "-q", "1"],
            None,
            (1, &[]),
            b"from a file\nwith two lines\n",
        );
    });
}

#[test]
fn a_missing_file_is_one_error_line() {
    let broker = rumqttd_v5();
    let got = publish_with_input(&broker, &["-t", "a", "-f", "/nonexistent/mqtk"], None);
    assert!(!got.status.success(), "pub -f with a missing file exited 0");
    got.assert_one_error_line("pub -f with a missing file");
}

#[test]
fn n_sends_an_empty_message() {
    for_each_broker(&brokers(), |broker| {
        // An empty line: mqtk differs here from mosquitto_sub, which prints nothing at all.
        assert_delivered(broker, &["-n", "-q", "1"], None, (1, &[]), b"\n");
    });
}

#[test]
fn repeat_sends_the_message_that_many_times() {
    for_each_broker(&brokers(), |broker| {
        let topic = unique_topic("repeat");
        // One more than published, so a fourth copy would show.
        let subscriber = subscribe(broker, &["-t", &topic, "-C", "4", "-W", "10"]);
        publish_ok(
            broker,
            &["-t", &topic, "-m", "again", "--repeat", "3", "-q", "1"],
        );
        publish_ok(broker, &["-t", &topic, "-m", "end", "-q", "1"]);
        let got = subscriber.finish();
        got.assert_code(0, &format!("{}: the subscriber", broker.name));
        assert_eq!(
            got.stdout(),
            "again\nagain\nagain\nend\n",
            "{}",
            broker.name
        );
    });
}

/// `pub -l` names a repeated topic by an alias where the broker takes them (MQTT 5), and
/// every message arrives under its whole topic all the same; under MQTT 3.1.1 none is used.
#[test]
fn lines_to_a_long_topic_go_by_its_alias_and_arrive_whole() {
    for_each_broker(&brokers(), |broker| {
        for qos in ["0", "1", "2"] {
            let mut topic = unique_topic("alias");
            topic.push_str(&"/x".repeat(30usize.saturating_sub(topic.len() / 2)));
            let subscriber = subscribe(
                broker,
                &["-t", &topic, "-C", "5", "-W", "10", "-v", "-q", qos],
            );
            let lines = numbered_lines(5);
            let published = publish_with_input(
                broker,
                &["-t", &topic, "-l", "-q", qos, "-d"],
                Some(lines.clone()),
            );
            let what = format!("{}: pub -l -q {qos}", broker.name);
            published.assert_code(0, &what);
            let got = subscriber.finish();
            got.assert_code(0, &format!("the subscriber of {what}"));
            let expected: String = String::from_utf8(lines)
                .expect("UTF-8 lines")
                .lines()
                .map(|line| format!("{topic} {line}\n"))
                .collect();
            assert_eq!(got.stdout(), expected, "{what}");
            let aliased = published.stderr.matches(", alias 1, ").count();
            let v5 = broker.version != common::Version::V311;
            assert_eq!(
                aliased,
                if v5 { 4 } else { 0 },
                "{what}: {}",
                published.stderr
            );
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Protocol version

#[test]
fn pub_falls_back_to_mqtt_311_when_the_broker_refuses_5() {
    for_each_broker(&[rumqttd_v311()], |broker| {
        let topic = unique_topic("fallback");
        let subscriber = subscribe(broker, &["-t", &topic, "-C", "1", "-W", "10"]);
        let port = broker.port.to_string();
        let args = [
            "-h",
            &broker.host,
            "-p",
            &port,
            "-d",
            "-t",
            &topic,
            "-m",
            "via 3.1.1",
            "-q",
            "1",
        ];
        let what = "pub without -V to a 3.1.1 broker";
        let got = spawn(what, mqtk().arg("pub").args(args), None).finish();
        got.assert_code(0, what);
        assert!(
            got.stderr.contains("connecting again with MQTT 3.1.1"),
            "the -d trace does not mention the fallback:\n{}",
            got.stderr
        );
        let received = subscriber.finish();
        received.assert_code(0, "the subscriber");
        assert_eq!(received.stdout(), "via 3.1.1\n");
    });
}

// ---------------------------------------------------------------------------------------------
// What the acknowledgements say (MQTT 5 reason codes)

/// mosquitto only: rumqttd 0.20 acknowledges every message with success, subscribers or not.
#[test]
fn no_matching_subscribers_is_a_note_and_fails_only_when_asked() {
    let Some(broker) = mosquitto() else {
        return common::skip("mosquitto is not installed");
    };
    let topic = unique_topic("nobody");
    let alone = publish_with_input(&broker, &["-t", &topic, "-m", "x", "-q", "1"], None);
    alone.assert_code(0, "pub -q 1 with no subscriber");
    assert!(
        alone.stderr.contains(
            "note: no subscriber matched: the broker answered no matching subscribers (0x10)"
        ),
        "{}",
        alone.stderr
    );
    let required = ["-t", &topic, "-m", "x", "-q", "1", "--require-subscribers"];
    let refused = publish_with_input(&broker, &required, None);
    refused.assert_code(1, "--require-subscribers with no subscriber");
    assert!(
        refused
            .stderr
            .contains("1 of 1 messages were refused or matched no subscriber"),
        "{}",
        refused.stderr
    );
    let expected = [
        "-t",
        &topic,
        "-m",
        "x",
        "-q",
        "1",
        "--expect-reason",
        "0x10",
    ];
    publish_with_input(&broker, &expected, None).assert_code(0, "--expect-reason 0x10");
    let lines = ["-t", &topic, "-l", "-q", "1"];
    let three = publish_with_input(&broker, &lines, Some(b"a\nb\nc\n".to_vec()));
    three.assert_code(0, "pub -l with no subscriber");
    assert_eq!(
        three.stderr.matches("no subscriber matched:").count(),
        1,
        "{}",
        three.stderr
    );
    assert!(
        three
            .stderr
            .contains("note: 3 of 3 messages matched no subscriber"),
        "{}",
        three.stderr
    );

    let subscriber = subscribe(&broker, &["-t", &topic, "-C", "1", "-W", "20"]);
    let heard = publish_with_input(&broker, &required, None);
    heard.assert_code(0, "--require-subscribers with a subscriber");
    assert!(!heard.stderr.contains("subscriber"), "{}", heard.stderr);
    subscriber.finish().assert_code(0, "the subscriber");
    let subscriber = subscribe(&broker, &["-t", &topic, "-C", "1", "-W", "20"]);
    let unexpected = publish_with_input(&broker, &expected, None);
    unexpected.assert_code(1, "--expect-reason 0x10 with a subscriber");
    assert!(
        unexpected
            .stderr
            .contains("were acknowledged otherwise than --expect-reason 0x10 asks: success (0x00)"),
        "{}",
        unexpected.stderr
    );
    subscriber.finish().assert_code(0, "the second subscriber");
}

#[test]
fn reason_code_flags_need_an_acknowledgement_with_reason_codes() {
    let broker = rumqttd_v5();
    let topic = unique_topic("reasons");
    let qos0 = publish_with_input(
        &broker,
        &["-t", &topic, "-m", "x", "--require-subscribers"],
        None,
    );
    qos0.assert_code(2, "--require-subscribers at QoS 0");
    assert!(qos0.stderr.contains("need -q 1 or 2"), "{}", qos0.stderr);
    let bad = [
        "-t",
        &topic,
        "-m",
        "x",
        "-q",
        "1",
        "--expect-reason",
        "0x42",
    ];
    let bad = publish_with_input(&broker, &bad, None);
    bad.assert_code(2, "--expect-reason 0x42");
    assert!(
        bad.stderr
            .contains("not a reason code a PUBACK or PUBREC can carry"),
        "{}",
        bad.stderr
    );
    let old = ["-t", &topic, "-m", "x", "-q", "1", "--require-subscribers"];
    let old = publish_with_input(&rumqttd_v311(), &old, None);
    old.assert_code(2, "--require-subscribers with -V 3.1.1");
    assert!(old.stderr.contains("need MQTT 5"), "{}", old.stderr);
}
