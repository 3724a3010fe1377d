//! `mqtk ping` against the real brokers, and against a scripted peer where a
//! broker must misbehave (never answer, answer late, send CONNACK properties).
//!
//! Timings on a loaded machine running a debug build vary a lot: these tests
//! check formats and counts, never a round-trip time.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::run::{for_each_broker, spawn, Finished};
use common::{brokers, free_port, mqtk, read_packet, rumqttd_v311, rumqttd_v5, Broker, FakePeer};

/// CONNACK accepting an MQTT 5 connection: no session, success, no properties.
const CONNACK_V5: [u8; 5] = [0x20, 0x03, 0x00, 0x00, 0x00];
const PINGREQ: [u8; 2] = [0xC0, 0x00];
const PINGRESP: [u8; 2] = [0xD0, 0x00];
/// DISCONNECT without reason code or properties.
const DISCONNECT: [u8; 2] = [0xE0, 0x00];

/// The longest one `mqtk ping` here may take.
const DEADLINE: Duration = Duration::from_secs(30);

/// Runs `mqtk ping` with the broker's arguments and `args`.
fn ping(broker: &Broker, args: &[&str]) -> Finished {
    let mut command = mqtk();
    command.arg("ping").args(broker.args()).args(args);
    let what = format!("{}: mqtk ping {}", broker.name, args.join(" "));
    spawn(&what, &mut command, None).finish_within(DEADLINE)
}

/// Runs `mqtk ping` against a scripted peer with `args`.
fn ping_peer(peer: &FakePeer, args: &[&str]) -> Finished {
    let mut command = mqtk();
    command.arg("ping").args(peer.args()).args(args);
    let what = format!("mqtk ping {} (fake peer)", args.join(" "));
    spawn(&what, &mut command, None).finish_within(DEADLINE)
}

fn send(stream: &mut TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).expect("fake peer write");
}

/// The sequence numbers of the reply lines that start with `from`.
fn reply_seqs(stdout: &str, from: &str) -> Vec<u64> {
    stdout
        .lines()
        .filter(|line| line.starts_with(from))
        .map(|line| {
            let seq = line
                .split_whitespace()
                .find_map(|word| word.strip_prefix("seq="))
                .unwrap_or_else(|| panic!("no seq= in {line:?}"));
            assert!(line.ends_with(" ms"), "{line:?}");
            seq.parse().unwrap_or_else(|_| panic!("seq in {line:?}"))
        })
        .collect()
}

/// Asserts the rtt line is ping(8)'s: four numbers with three decimals.
fn assert_rtt_line(stdout: &str) {
    let line = stdout
        .lines()
        .find(|line| line.starts_with("rtt min/avg/max/mdev = "))
        .unwrap_or_else(|| panic!("no rtt line in:\n{stdout}"));
    let values = line
        .strip_prefix("rtt min/avg/max/mdev = ")
        .and_then(|rest| rest.strip_suffix(" ms"))
        .unwrap_or_else(|| panic!("{line:?}"));
    let values: Vec<&str> = values.split('/').collect();
    assert_eq!(values.len(), 4, "{line:?}");
    for value in values {
        let (_, decimals) = value.split_once('.').unwrap_or_else(|| panic!("{line:?}"));
        assert_eq!(decimals.len(), 3, "{line:?}");
        value.parse::<f64>().unwrap_or_else(|_| panic!("{line:?}"));
    }
}

/// The line of the --info block that starts with `label`, trimmed.
fn info_line<'a>(stdout: &'a str, label: &str) -> &'a str {
    stdout
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in:\n{stdout}"))
}

#[test]
fn three_round_trips_are_answered_and_summed_up_as_ping8_does() {
    for_each_broker(&brokers(), |broker| {
        let output = ping(broker, &["-c", "3", "-i", "0.2"]);
        output.assert_code(0, &format!("{}: ping -c 3", broker.name));
        let stdout = output.stdout();
        assert!(stdout.starts_with("PING 127.0.0.1:"), "{stdout}");
        assert!(
            stdout.contains("CONNECT -> CONNACK"),
            "{}: no phases in:\n{stdout}",
            broker.name
        );
        assert_eq!(reply_seqs(&stdout, "PINGRESP from "), [1, 2, 3], "{stdout}");
        assert!(
            stdout.contains("\n--- 127.0.0.1 mqtt ping statistics ---\n"),
            "{stdout}"
        );
        assert!(
            stdout.contains("3 packets transmitted, 3 received, 0% packet loss, time "),
            "{}: {stdout}",
            broker.name
        );
        assert_rtt_line(&stdout);
        assert_eq!(output.stderr, "", "{}", broker.name);
    });
}

#[test]
fn a_peer_that_never_answers_pingreq_loses_every_round_trip() {
    let peer = FakePeer::start(|mut s| {
        assert_eq!(read_packet(&mut s)[0], 0x10, "CONNECT first");
        send(&mut s, &CONNACK_V5);
        assert_eq!(read_packet(&mut s), PINGREQ);
        assert_eq!(read_packet(&mut s), PINGREQ);
        assert_eq!(read_packet(&mut s), DISCONNECT);
    });
    let started = Instant::now();
    let output = ping_peer(&peer, &["-c", "2", "-i", "0.2", "-W", "0.3"]);
    let took = started.elapsed();
    peer.join();
    output.assert_code(1, "ping a silent peer");
    let stdout = output.stdout();
    assert!(
        stdout.contains("no answer for seq=1 within 0.3 s\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("no answer for seq=2 within 0.3 s\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 packets transmitted, 0 received, 100% packet loss, time "),
        "{stdout}"
    );
    assert!(
        !stdout.contains("rtt "),
        "nothing answered, no rtt line: {stdout}"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn a_late_pingresp_counts_as_lost_and_is_not_taken_for_the_next_answer() {
    let peer = FakePeer::start(|mut s| {
        read_packet(&mut s);
        send(&mut s, &CONNACK_V5);
        assert_eq!(read_packet(&mut s), PINGREQ);
        // The first answer comes once the second PINGREQ is out (after -i
        // 1.5), late for the first (-W 1), and the second is never answered:
        // taken for the second's answer, it would make one received.
        assert_eq!(read_packet(&mut s), PINGREQ);
        send(&mut s, &PINGRESP);
        assert_eq!(read_packet(&mut s), DISCONNECT);
    });
    let output = ping_peer(&peer, &["-c", "2", "-i", "1.5", "-W", "1"]);
    peer.join();
    output.assert_code(1, "ping with one late answer");
    let stdout = output.stdout();
    assert!(
        stdout.contains("no answer for seq=1 within 1 s\n"),
        "{stdout}"
    );
    assert!(stdout.contains("late answer for seq=1 "), "{stdout}");
    assert!(
        stdout.contains("no answer for seq=2 within 1 s\n"),
        "{stdout}"
    );
    assert_eq!(reply_seqs(&stdout, "PINGRESP from "), [0u64; 0], "{stdout}");
    assert!(
        stdout.contains("2 packets transmitted, 0 received, 100% packet loss, time "),
        "{stdout}"
    );
}

#[test]
fn publish_times_messages_through_every_broker() {
    for_each_broker(&brokers(), |broker| {
        let output = ping(broker, &["--publish", "-c", "2", "-q", "1", "-i", "0.2"]);
        output.assert_code(0, &format!("{}: ping --publish -q 1", broker.name));
        let stdout = output.stdout();
        assert!(
            stdout.contains("16 bytes at QoS 1 through mqtk/ping/"),
            "{stdout}"
        );
        assert_eq!(reply_seqs(&stdout, "16 bytes from "), [1, 2], "{stdout}");
        assert!(
            stdout.contains("2 packets transmitted, 2 received, 0% packet loss"),
            "{stdout}"
        );
    });
}

#[test]
fn info_shows_the_connack_of_an_mqtt_5_and_an_mqtt_3_1_1_broker() {
    let v5 = ping(&rumqttd_v5(), &["--info", "-c", "1"]);
    v5.assert_code(0, "ping --info on MQTT 5");
    let stdout = v5.stdout();
    assert!(
        info_line(&stdout, "protocol version").ends_with(" 5"),
        "{stdout}"
    );
    assert!(
        info_line(&stdout, "session present").ends_with(" no"),
        "{stdout}"
    );
    // What rumqttd sends may change; each item says whether it was sent.
    for label in [
        "receive maximum",
        "maximum QoS",
        "server keep alive",
        "topic alias maximum",
    ] {
        let line = info_line(&stdout, label);
        assert!(
            line.ends_with(" (sent)") || line.contains(" (default"),
            "{line:?}"
        );
    }
    assert_eq!(reply_seqs(&stdout, "PINGRESP from "), [1], "{stdout}");

    let v311 = ping(&rumqttd_v311(), &["--info", "-c", "1"]);
    v311.assert_code(0, "ping --info on MQTT 3.1.1");
    let stdout = v311.stdout();
    assert!(
        info_line(&stdout, "protocol version").ends_with(" 3.1.1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("(MQTT 3.1.1 has no CONNACK properties: the defaults below apply)"),
        "{stdout}"
    );
    assert!(
        info_line(&stdout, "maximum QoS").ends_with(" 2 (default)"),
        "{stdout}"
    );
    assert!(
        info_line(&stdout, "server keep alive").ends_with(" 60 s (default: ours, -k 60)"),
        "{stdout}"
    );
    assert_eq!(reply_seqs(&stdout, "PINGRESP from "), [1], "{stdout}");
}

#[test]
fn info_marks_the_connack_properties_sent_and_the_server_keep_alive_replaces_ours() {
    let peer = FakePeer::start(|mut s| {
        let connect = read_packet(&mut s);
        assert_eq!(connect[0], 0x10, "CONNECT first");
        // Fixed header (2), "MQTT" (6), level, flags, then the keep alive.
        assert_eq!(connect[10..12], [0x00, 0x1E], "keep alive 30 asked for");
        #[rustfmt::skip]
        let connack = [
            0x20, 0x0B,                 // CONNACK, remaining length 11
            0x00, 0x00,                 // no session present, success
            0x08,                       // properties: 8 bytes
            0x21, 0x00, 0x0A,           // receive maximum 10
            0x13, 0x00, 0x05,           // server keep alive 5
            0x24, 0x01,                 // maximum QoS 1
        ];
        send(&mut s, &connack);
        assert_eq!(read_packet(&mut s), PINGREQ);
        send(&mut s, &PINGRESP);
        assert_eq!(read_packet(&mut s), DISCONNECT);
    });
    let output = ping_peer(&peer, &["--info", "-c", "1", "-k", "30"]);
    peer.join();
    output.assert_code(0, "ping --info against CONNACK properties");
    let stdout = output.stdout();
    assert!(
        info_line(&stdout, "receive maximum").ends_with(" 10 (sent)"),
        "{stdout}"
    );
    assert!(
        info_line(&stdout, "maximum QoS").ends_with(" 1 (sent)"),
        "{stdout}"
    );
    assert!(
        info_line(&stdout, "server keep alive").ends_with(" 5 s (sent, replaces -k 30)"),
        "{stdout}"
    );
    assert!(
        info_line(&stdout, "retain available").ends_with(" yes (default)"),
        "{stdout}"
    );
    assert!(
        info_line(&stdout, "topic alias maximum").ends_with(" 0 (default)"),
        "{stdout}"
    );
}

#[test]
fn info_says_when_the_broker_refused_mqtt_5_and_3_1_1_is_in_use() {
    let peer = FakePeer::start_many(2, |index, mut s| {
        let connect = read_packet(&mut s);
        if index == 0 {
            assert_eq!(connect[8], 5, "MQTT 5 first");
            // CONNACK: unsupported protocol version (0x84), no properties.
            send(&mut s, &[0x20, 0x03, 0x00, 0x84, 0x00]);
            return;
        }
        assert_eq!(connect[8], 4, "then MQTT 3.1.1");
        send(&mut s, &[0x20, 0x02, 0x00, 0x00]);
        assert_eq!(read_packet(&mut s), PINGREQ);
        send(&mut s, &PINGRESP);
        assert_eq!(read_packet(&mut s), DISCONNECT);
    });
    let output = ping_peer(&peer, &["--info", "-c", "1"]);
    peer.join();
    output.assert_code(0, "ping --info after a fallback");
    let stdout = output.stdout();
    assert!(stdout.contains("): MQTT 3.1.1, client id "), "{stdout}");
    assert!(
        info_line(&stdout, "protocol version").ends_with(" 3.1.1 (the broker refused MQTT 5)"),
        "{stdout}"
    );
}

#[test]
fn json_is_one_object_with_the_phases_every_round_trip_and_the_summary() {
    let broker = rumqttd_v5();
    let output = ping(&broker, &["--json", "--info", "-c", "2", "-i", "0.2"]);
    output.assert_code(0, "ping --json");
    let stdout = output.stdout();
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    assert_eq!(json["probe"], "pingreq");
    assert_eq!(json["protocol_version"], "5");
    assert_eq!(json["peer"], broker.addr());
    for phase in ["resolve_ms", "tcp_ms", "connack_ms"] {
        assert!(json["connect"][phase].is_f64(), "{phase}: {json}");
    }
    let rounds = json["round_trips"].as_array().expect("round_trips");
    assert_eq!(rounds.len(), 2, "{json}");
    for (i, round) in rounds.iter().enumerate() {
        assert_eq!(round["seq"], i as u64 + 1, "{json}");
        assert!(round["ms"].is_f64(), "{json}");
    }
    let summary = &json["summary"];
    assert_eq!(summary["transmitted"], 2, "{json}");
    assert_eq!(summary["received"], 2, "{json}");
    assert_eq!(summary["loss_percent"], 0.0, "{json}");
    assert!(summary["time_ms"].is_u64(), "{json}");
    for figure in ["min", "avg", "max", "mdev"] {
        assert!(summary["rtt_ms"][figure].is_f64(), "{figure}: {json}");
    }
    assert_eq!(json["info"]["protocol_version"], "5", "{json}");
    assert!(json["info"]["properties"]["receive_maximum"]["sent"].is_boolean());
    assert_eq!(json["error"], serde_json::Value::Null);
}

#[test]
fn an_unreachable_broker_exits_3_with_nothing_on_stdout() {
    let port = free_port().to_string();
    let mut command = mqtk();
    command.args(["ping", "-h", "127.0.0.1", "-p", &port, "-c", "1"]);
    let output = spawn("ping a closed port", &mut command, None).finish_within(DEADLINE);
    output.assert_code(3, "ping a closed port");
    assert_eq!(output.stdout(), "");
    assert!(
        output.stderr.starts_with("mqtk: cannot connect"),
        "{}",
        output.stderr
    );
}

#[test]
fn ctrl_c_ends_an_endless_ping_with_the_summary_and_exit_0() {
    let broker = rumqttd_v5();
    let mut command = mqtk();
    // -d shows when the first answer is in; the next probe is a second away.
    command
        .arg("ping")
        .args(broker.args())
        .args(["-i", "1", "-d"]);
    let mut running = spawn("ping until Ctrl-C", &mut command, None);
    running.wait_for_stderr("received PINGRESP", Duration::from_secs(10));
    running.interrupt();
    let output = running.finish_within(DEADLINE);
    output.assert_code(0, "ping ended by Ctrl-C");
    let stdout = output.stdout();
    let line = stdout
        .lines()
        .find(|line| line.contains(" packets transmitted, "))
        .unwrap_or_else(|| panic!("no summary in:\n{stdout}"));
    let numbers: Vec<&str> = line.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    assert_eq!(numbers[0], numbers[3], "as many received as sent: {line:?}");
    assert!(line.contains(" 0% packet loss"), "{line:?}");
    assert_rtt_line(&stdout);
}

#[test]
fn wrong_values_are_usage_errors() {
    for args in [
        &["-i", "0"][..],
        &["-W", "-1"],
        &["-c", "0"],
        &["--publish", "-s", "4"],
        &["-q", "1"],
    ] {
        let mut command = mqtk();
        command.arg("ping").args(args);
        let what = format!("mqtk ping {}", args.join(" "));
        let output = spawn(&what, &mut command, None).finish_within(DEADLINE);
        output.assert_code(2, &what);
        assert_eq!(output.stdout(), "", "{what}");
    }
}
