//! `mqtk ping` against the real brokers, and against a scripted peer where a
//! broker must misbehave (never answer, answer late, send CONNACK properties);
//! through a fault proxy for a path that resets, goes half-open or refuses.
//!
//! Timings on a loaded machine running a debug build vary a lot: these tests
//! check formats and counts, never a round-trip time.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::fault_proxy::FaultProxy;
use common::run::{for_each_broker, silence, spawn, Finished, Running};
use common::{
    brokers, mqtk, read_packet, rumqttd_v311, rumqttd_v5, Broker, FakePeer, HeldPort, TIMEOUT,
};

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
    start_ping(broker, args).finish_within(DEADLINE)
}

/// Starts `mqtk ping` with the broker's arguments and `args`.
fn start_ping(broker: &Broker, args: &[&str]) -> Running {
    let mut command = mqtk();
    command.arg("ping").args(broker.args()).args(args);
    let what = format!("{}: mqtk ping {}", broker.name, args.join(" "));
    spawn(&what, &mut command, None)
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
    let closed = HeldPort::closed();
    let port = closed.port().to_string();
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

/// The summary's counts line: packets transmitted, received, and the line.
fn counts(stdout: &str) -> (u64, u64, String) {
    let line = stdout
        .lines()
        .find(|line| line.contains(" packets transmitted, "))
        .unwrap_or_else(|| panic!("no summary in:\n{stdout}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let number = |word: &str| {
        word.parse()
            .unwrap_or_else(|_| panic!("{word:?} in {line:?}"))
    };
    (number(words[0]), number(words[3]), line.to_string())
}

/// The sequence numbers the outage lines ("no connection for 2.1 s: seq=4 to seq=9 lost")
/// name as lost.
fn lost_offline(stdout: &str) -> Vec<u64> {
    let mut lost = Vec::new();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("no connection for ") else {
            continue;
        };
        let (_, seqs) = rest
            .split_once(" s: ")
            .unwrap_or_else(|| panic!("{line:?}"));
        if seqs == "no probe lost" {
            continue;
        }
        let seqs = seqs
            .strip_suffix(" lost")
            .unwrap_or_else(|| panic!("{line:?}"));
        let seq = |text: &str| -> u64 {
            let number = text
                .strip_prefix("seq=")
                .unwrap_or_else(|| panic!("{line:?}"));
            number.parse().unwrap_or_else(|_| panic!("{line:?}"))
        };
        for run in seqs.split(", ") {
            match run.split_once(" to ") {
                Some((first, last)) => lost.extend(seq(first)..=seq(last)),
                None => lost.push(seq(run)),
            }
        }
    }
    lost
}

/// Checks what a ping that went through outages printed: every probe of the count (when one
/// was given) sent, none both answered and lost, `reconnects` said in the summary, and the exit
/// code of the rule, 0 only when every probe was answered. Returns the sequence numbers of the
/// replies, and of the probes the outage lines say were lost.
fn assert_outages_counted(
    output: &Finished,
    from: &str,
    count: Option<u64>,
    reconnects: &str,
    what: &str,
) -> (Vec<u64>, Vec<u64>) {
    let stdout = output.stdout();
    let (transmitted, received, line) = counts(&stdout);
    if let Some(count) = count {
        assert_eq!(transmitted, count, "{what}: {line:?}");
    }
    assert!(line.contains(reconnects), "{what}: {line:?}");
    let replies = reply_seqs(&stdout, from);
    assert_eq!(replies.len() as u64, received, "{what}:\n{stdout}");
    let lost = lost_offline(&stdout);
    assert!(
        lost.iter().all(|seq| !replies.contains(seq)),
        "{what}: a probe both answered and lost:\n{stdout}"
    );
    assert!(
        received + lost.len() as u64 <= transmitted,
        "{what}: more accounted for than sent:\n{stdout}"
    );
    output.assert_code(if received == transmitted { 0 } else { 1 }, what);
    (replies, lost)
}

#[test]
fn a_reset_mid_run_is_ridden_out_the_probes_keep_their_schedule_and_one_reconnect_is_counted() {
    for_each_broker(&brokers(), |broker| {
        for (probe, from) in [
            (&[][..], "PINGRESP from "),
            (&["--publish", "-q", "1"], "16 bytes from "),
        ] {
            let proxy = FaultProxy::start(broker);
            let args = [probe, &["-i", "0.2", "-c", "15"]].concat();
            let what = format!("{}: ping {} through a reset", broker.name, args.join(" "));
            let mut running = start_ping(&broker.via(&proxy), &args);
            running.wait_for_stdout_containing(b" seq=3 ", TIMEOUT);
            proxy.reset_all();
            let output = running.finish_within(DEADLINE);
            let (replies, lost) =
                assert_outages_counted(&output, from, Some(15), ", 1 reconnect, outage ", &what);
            // Answered after the outage: with --publish, subscribed again.
            let last_lost = lost.iter().max().copied().unwrap_or(0);
            assert!(
                replies.iter().any(|&seq| seq > last_lost),
                "{what}: nothing answered after the outage:\n{}",
                output.stdout()
            );
            let stderr = &output.stderr;
            let lines: Vec<&str> = stderr.lines().collect();
            assert_eq!(
                lines.len(),
                2,
                "{what}: the loss and the reconnect:\n{stderr}"
            );
            assert!(
                lines[0].ends_with("; reconnecting in 0.5s"),
                "{what}:\n{stderr}"
            );
            assert!(
                lines[1].starts_with("mqtk: reconnected after "),
                "{what}:\n{stderr}"
            );
            assert_eq!(proxy.connections_accepted(), 2, "{what}");
        }
    });
}

#[test]
fn no_reconnect_ends_ping_on_a_half_open_path_by_keep_alive_after_the_summary() {
    for_each_broker(&brokers(), |broker| {
        let proxy = FaultProxy::start(broker);
        let what = format!("{}: ping -k 1 --no-reconnect on a dead path", broker.name);
        let mut running = start_ping(
            &broker.via(&proxy),
            &["-k", "1", "--no-reconnect", "-i", "0.2"],
        );
        running.wait_for_stdout_containing(b" seq=2 ", TIMEOUT);
        proxy.half_open(Duration::from_secs(20));
        // Well above the 1.5 s keep alive allows, well below the stall: a ping that missed the
        // loss would be killed and fail here.
        let output = running.finish_within(Duration::from_secs(10));
        output.assert_code(1, &what);
        output.assert_one_error_line(&what);
        assert!(
            output
                .stderr
                .contains("(keep alive 1s): the connection is lost\n"),
            "{what}: {}",
            output.stderr
        );
        let silent = silence(&output.stderr);
        assert!((1.5..3.5).contains(&silent), "{what}: silent for {silent}s");
        let (transmitted, received, line) = counts(&output.stdout());
        assert!(transmitted > received, "{what}: {line:?}");
        assert!(!line.contains("reconnect"), "{what}: {line:?}");
    });
}

#[test]
fn a_half_open_path_is_noticed_by_keep_alive_and_ping_reconnects_after_the_stall() {
    for_each_broker(&brokers(), |broker| {
        let proxy = FaultProxy::start(broker);
        let what = format!("{}: ping -k 1 across a 4 s stall", broker.name);
        let mut running = start_ping(&broker.via(&proxy), &["-k", "1", "-i", "0.2", "-c", "40"]);
        running.wait_for_stdout_containing(b" seq=3 ", TIMEOUT);
        proxy.half_open(Duration::from_secs(4));
        running.wait_for_stderr(
            "(keep alive 1s): the connection is lost; reconnecting in 0.5s",
            TIMEOUT,
        );
        // The try made during the stall hangs until it ends (within --connect-timeout).
        running.wait_for_stderr("mqtk: reconnected after ", TIMEOUT);
        assert!(
            !proxy.is_half_open(),
            "{what}: reconnected during the stall"
        );
        let output = running.finish_within(DEADLINE);
        let (replies, lost) = assert_outages_counted(
            &output,
            "PINGRESP from ",
            Some(40),
            ", 1 reconnect, outage ",
            &what,
        );
        output.assert_code(1, &what);
        let last_lost = lost.iter().max().copied().unwrap_or(0);
        assert!(
            lost.len() >= 10 && replies.iter().any(|&seq| seq > last_lost),
            "{what}: {} lost, none answered after:\n{}",
            lost.len(),
            output.stdout()
        );
        let silent = silence(&output.stderr);
        assert!((1.5..3.5).contains(&silent), "{what}: silent for {silent}s");
    });
}

#[test]
fn ctrl_c_in_an_outage_ends_ping_with_the_summary_and_the_outage_so_far() {
    let broker = rumqttd_v5();
    let proxy = FaultProxy::start(&broker);
    let mut running = start_ping(&broker.via(&proxy), &["-i", "0.2"]);
    running.wait_for_stdout_containing(b" seq=2 ", TIMEOUT);
    proxy.refuse_for(Duration::from_secs(60));
    proxy.reset_all();
    running.wait_for_stderr("; retrying in 1s", TIMEOUT);
    running.interrupt();
    let output = running.finish_within(DEADLINE);
    let what = "ping interrupted in an outage";
    let (replies, lost) = assert_outages_counted(
        &output,
        "PINGRESP from ",
        None,
        ", 0 reconnects, outage ",
        what,
    );
    let (transmitted, _, _) = counts(&output.stdout());
    assert!(!lost.is_empty(), "{what}:\n{}", output.stdout());
    assert_eq!(
        (replies.len() + lost.len()) as u64,
        transmitted,
        "{what}: each probe answered or lost:\n{}",
        output.stdout()
    );
    // Nothing to end: no error after the summary.
    assert!(!output.stderr.contains("mqtk: reconnected"), "{what}");
    output.assert_code(1, what);
}

#[test]
fn reconnect_retries_bounds_the_tries_and_ping_gives_up_after_the_summary() {
    let broker = rumqttd_v5();
    let proxy = FaultProxy::start(&broker);
    let mut running = start_ping(
        &broker.via(&proxy),
        &["-i", "0.2", "--reconnect-retries", "2"],
    );
    running.wait_for_stdout_containing(b" seq=2 ", TIMEOUT);
    proxy.refuse_for(Duration::from_secs(60));
    proxy.reset_all();
    let output = running.finish_within(DEADLINE);
    let what = "ping --reconnect-retries 2 with the broker out of reach";
    output.assert_code(1, what);
    let last = output.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("mqtk: the connection was lost, and 2 tries to reconnect failed: "),
        "{what}:\n{}",
        output.stderr
    );
    let (_, _, line) = counts(&output.stdout());
    assert!(line.contains(", 0 reconnects, outage "), "{what}: {line:?}");
    assert!(!lost_offline(&output.stdout()).is_empty(), "{what}");
}

#[test]
fn json_counts_the_reconnects_the_outage_and_marks_the_probes_due_offline() {
    let broker = rumqttd_v5();
    let proxy = FaultProxy::start(&broker);
    // -d says on stderr when the first answer is in; stdout has nothing before the end.
    let args = ["--json", "-d", "-i", "0.2", "-c", "12"];
    let mut running = start_ping(&broker.via(&proxy), &args);
    running.wait_for_stderr("received PINGRESP", TIMEOUT);
    proxy.reset_all();
    let output = running.finish_within(DEADLINE);
    let stdout = output.stdout();
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    let summary = &json["summary"];
    assert_eq!(summary["transmitted"], 12, "{json}");
    assert_eq!(summary["reconnects"], 1, "{json}");
    assert!(
        summary["outage_ms"].as_u64().is_some_and(|ms| ms > 0),
        "{json}"
    );
    let rounds = json["round_trips"].as_array().expect("round_trips");
    assert_eq!(rounds.len(), 12, "{json}");
    let answered = rounds.iter().filter(|round| round["ms"].is_f64()).count();
    assert_eq!(summary["received"], answered as u64, "{json}");
    let offline: Vec<&serde_json::Value> = rounds
        .iter()
        .filter(|round| round["offline"] == true)
        .collect();
    assert!(!offline.is_empty(), "{json}");
    assert!(offline.iter().all(|round| round["lost"] == true), "{json}");
    output.assert_code(
        if answered == 12 { 0 } else { 1 },
        "ping --json through a reset",
    );
}
