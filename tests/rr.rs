//! `mqtk rr` and `mqtk respond` against real brokers: a request and its answer between the two
//! under MQTT 5 and 3.1.1 (with and without `--correlate-json`), a stray response with another
//! correlation ignored, `-W`, `--latency` and `--repeat`; respond's command (its environment,
//! `--jobs`, `--timeout`, a failing command, one that cannot be run), its own answers not taken
//! for requests, Ctrl-C while a request is in hand, the order of the answer and the request's
//! acknowledgement (a scripted peer), and both against mosquitto's clients (mosquitto_rr; a
//! responder of mosquitto_sub and mosquitto_pub).
//!
//! A responder is ready once its `-d` trace shows the SUBACK; a scripted responder made of
//! `mqtk sub` is ready the same way, and `rr` has subscribed to its response topic by the time
//! its request arrives anywhere. A command that must be slow waits for a gate, a file the test
//! creates once it has seen what it waits for, and says on respond's stderr (which it shares)
//! when it starts and ends: the order of those lines is the order of the jobs.

mod common;

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use common::run::{clear_ready, for_each_broker, publish_ok, spawn, subscribe, Finished, Running};
use common::{
    brokers, mosquitto, mosquitto_client, mqtk, narrowed, read_packet, rumqttd_v311, unique_topic,
    Broker, FakePeer, HeldPort, Version, HOST,
};

/// How long a responder may take to connect and subscribe, or to show a line of its trace.
const READY: Duration = Duration::from_secs(10);

/// rr's own `-W` where an answer is expected: generous, as a loaded machine is slow; a test
/// whose answer never comes still ends by itself, with exit 1 and a clear line.
const ANSWER_WITHIN: &str = "10";

/// The brokers that speak MQTT 5: rumqttd's v5 listener and mosquitto, when installed.
fn v5_brokers() -> Vec<Broker> {
    brokers()
        .into_iter()
        .filter(|broker| broker.version != Version::V311)
        .collect()
}

/// The brokers pinned to MQTT 3.1.1: rumqttd's v4 listener and mosquitto with `-V 3.1.1`.
fn v311_brokers() -> Vec<Broker> {
    let mut list = vec![rumqttd_v311()];
    match mosquitto() {
        Some(broker) => list.push(Broker {
            name: "mosquitto-3.1.1",
            version: Version::V311,
            ..broker
        }),
        None => narrowed("mosquitto is not installed: on rumqttd only"),
    }
    list
}

/// `mqtk respond -d ARGS` (a command after `--` in ARGS) against `broker` with `env` set, not
/// started yet, and what to call it in failures.
fn responder(broker: &Broker, env: &[(&str, &Path)], args: &[&str]) -> (Command, String) {
    let mut command = mqtk();
    command
        .arg("respond")
        .args(broker.args())
        .arg("-d")
        .args(args)
        .envs(env.iter().copied());
    let what = format!("{}: mqtk respond -d {}", broker.name, args.join(" "));
    (command, what)
}

/// Starts a [`responder`] and returns once its trace shows the SUBACK.
fn start_responder((mut command, what): (Command, String)) -> Running {
    let mut running = spawn(&what, &mut command, None);
    running.wait_for_stderr("received SUBACK", READY);
    running
}

/// Starts `mqtk respond -d ARGS` with `env` set, and returns once it is subscribed.
fn respond_with_env(broker: &Broker, env: &[(&str, &Path)], args: &[&str]) -> Running {
    start_responder(responder(broker, env, args))
}

/// [`respond_with_env`] without environment variables.
fn respond(broker: &Broker, args: &[&str]) -> Running {
    respond_with_env(broker, &[], args)
}

/// Starts `mqtk rr ARGS` against `broker`.
fn start_rr(broker: &Broker, args: &[&str]) -> Running {
    let mut command = mqtk();
    command.arg("rr").args(broker.args()).args(args);
    let what = format!("{}: mqtk rr {}", broker.name, args.join(" "));
    spawn(&what, &mut command, None)
}

/// Runs `mqtk rr ARGS` against `broker` to its end.
fn rr(broker: &Broker, args: &[&str]) -> Finished {
    start_rr(broker, args).finish()
}

/// `what` for failure messages: the broker and the command line.
fn described(broker: &Broker, args: &[&str]) -> String {
    format!("{}: rr {}", broker.name, args.join(" "))
}

/// A shell script for respond's command that reads the payload into `p`, says `start P` on
/// stderr, waits while the payload is "slow" until the file `$GATE` exists (20 s at most, so
/// that a failed test leaves nothing running), says `end P` and answers `P done`.
///
/// The payload has no final newline: `read` then fails at the end of its input, but sets `p`.
const GATED: &str = r#"read p; echo "start $p" >&2
if [ "$p" = slow ]; then
    i=0; while [ ! -e "$GATE" ] && [ "$i" -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
fi
echo "end $p" >&2; echo "$p done""#;

/// The `start ...` and `end ...` lines of a responder's stderr, in order.
fn job_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.starts_with("start ") || line.starts_with("end "))
        .collect()
}

/// Opens the gate of [`GATED`].
fn open(gate: &Path) {
    std::fs::write(gate, "").expect("create the gate file");
}

// ---------------------------------------------------------------------------------------------
// rr and respond under MQTT 5

#[test]
fn rr_prints_the_answer_of_respond_and_with_v_its_topic() {
    for_each_broker(&v5_brokers(), |broker| {
        let topic = unique_topic("rr-basic");
        let responder = respond(broker, &["-t", &topic, "-q", "1", "-m", "hello", "-C", "3"]);

        let args = ["-t", &topic, "-m", "hi", "-W", ANSWER_WITHIN];
        let got = rr(broker, &args);
        got.assert_code(0, &described(broker, &args));
        assert_eq!(got.stdout(), "hello\n", "{}", described(broker, &args));

        let args = ["-t", &topic, "-m", "hi", "-q", "1", "-W", ANSWER_WITHIN];
        let got = rr(broker, &args);
        got.assert_code(0, &described(broker, &args));
        assert_eq!(got.stdout(), "hello\n", "{}", described(broker, &args));

        let response = format!("{topic}/response");
        let args = ["-t", &topic, "-m", "hi", "-e", &response, "-v"];
        let args = [&args[..], &["-W", ANSWER_WITHIN]].concat();
        let got = rr(broker, &args);
        got.assert_code(0, &described(broker, &args));
        assert_eq!(
            got.stdout(),
            format!("{response} hello\n"),
            "{}",
            described(broker, &args)
        );

        // -C 3: the responder ends by itself once the three are answered.
        responder
            .finish()
            .assert_code(0, &format!("{}: respond -C 3", broker.name));
    });
}

#[test]
fn a_response_with_another_correlation_is_ignored() {
    for_each_broker(&v5_brokers(), |broker| {
        let topic = unique_topic("rr-stray");
        let response = format!("{topic}/response");
        // The responder, by hand: what the request names, then two answers.
        let scripted = subscribe(broker, &["-t", &topic, "-C", "1", "-F", "%R %D"]);
        let args = [
            "-t",
            &topic,
            "-m",
            "hi",
            "-q",
            "1",
            "-e",
            &response,
            "--correlation-data",
            "c-42",
            "-d",
            "-W",
            ANSWER_WITHIN,
        ];
        let what = described(broker, &args);
        let mut asker = start_rr(broker, &args);
        let request = scripted.finish();
        request.assert_code(0, &format!("{}: the scripted responder", broker.name));
        assert_eq!(request.stdout(), format!("{response} c-42\n"), "{what}");

        publish_ok(
            broker,
            &[
                "-t",
                &response,
                "-m",
                "stray",
                "-q",
                "1",
                "--correlation-data",
                "nope",
            ],
        );
        asker.wait_for_stderr("ignored a message on", READY);
        publish_ok(
            broker,
            &[
                "-t",
                &response,
                "-m",
                "answer",
                "-q",
                "1",
                "--correlation-data",
                "c-42",
            ],
        );
        let got = asker.finish();
        got.assert_code(0, &what);
        assert_eq!(got.stdout(), "answer\n", "{what}");
        assert!(
            got.stderr.contains(&format!(
                "ignored a message on {response}: it answers another request"
            )),
            "{what}: {}",
            got.stderr
        );
    });
}

#[test]
fn no_answer_within_w_is_exit_1_and_repeat_counts_the_unanswered() {
    for_each_broker(&v5_brokers(), |broker| {
        let topic = unique_topic("rr-timeout");
        let args = ["-t", &topic, "-m", "anyone?", "-W", "1"];
        let what = described(broker, &args);
        let got = rr(broker, &args);
        got.assert_code(1, &what);
        assert_eq!(got.stdout(), "", "{what}");
        assert!(
            got.stderr.contains("no response within 1s"),
            "{what}: {}",
            got.stderr
        );

        let args = ["-t", &topic, "-m", "anyone?", "-W", "0.5", "--repeat", "2"];
        let what = described(broker, &args);
        let got = rr(broker, &args);
        got.assert_code(1, &what);
        let stdout = got.stdout();
        assert!(
            stdout.contains("\n2 requests, 0 answered, 100% unanswered, time "),
            "{what}: {stdout}"
        );
        assert!(!stdout.contains("rtt "), "{what}: {stdout}");
    });
}

/// The milliseconds of a `latency: 0.734 ms` line.
fn latency_ms(what: &str, line: &str) -> f64 {
    line.strip_prefix("latency: ")
        .and_then(|rest| rest.strip_suffix(" ms"))
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("{what}: not a latency line: {line:?}"))
}

#[test]
fn latency_follows_the_answer_and_repeat_ends_with_a_summary() {
    for_each_broker(&v5_brokers(), |broker| {
        let topic = unique_topic("rr-repeat");
        let responder = respond(broker, &["-t", &topic, "-m", "pong", "-C", "4"]);

        let args = ["-t", &topic, "-m", "ping", "--latency", "-W", ANSWER_WITHIN];
        let what = described(broker, &args);
        let got = rr(broker, &args);
        got.assert_code(0, &what);
        let stdout = got.stdout();
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{what}: {stdout}");
        assert_eq!(lines[0], "pong", "{what}: {stdout}");
        let latency = latency_ms(&what, lines[1]);
        assert!(latency > 0.0, "{what}: {stdout}");

        let args = [
            "-t",
            &topic,
            "-m",
            "ping",
            "--repeat",
            "3",
            "-W",
            ANSWER_WITHIN,
        ];
        let what = described(broker, &args);
        let got = rr(broker, &args);
        got.assert_code(0, &what);
        let stdout = got.stdout();
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 6, "{what}: {stdout}");
        assert_eq!(lines[..3], ["pong"; 3], "{what}: {stdout}");
        assert_eq!(
            lines[3],
            format!("--- {topic} mqtt request statistics ---"),
            "{what}"
        );
        assert!(
            lines[4].starts_with("3 requests, 3 answered, 0% unanswered, time "),
            "{what}: {stdout}"
        );
        let rtt: Vec<f64> = lines[5]
            .strip_prefix("rtt min/avg/max/mdev = ")
            .and_then(|rest| rest.strip_suffix(" ms"))
            .map(|numbers| numbers.split('/').filter_map(|n| n.parse().ok()).collect())
            .unwrap_or_default();
        assert_eq!(rtt.len(), 4, "{what}: {stdout}");
        assert!(
            0.0 < rtt[0] && rtt[0] <= rtt[1] && rtt[1] <= rtt[2],
            "{what}: {stdout}"
        );

        responder
            .finish()
            .assert_code(0, &format!("{}: respond -C 4", broker.name));
    });
}

// ---------------------------------------------------------------------------------------------
// MQTT 3.1.1

#[test]
fn under_311_the_first_message_on_the_response_topic_is_the_answer() {
    for_each_broker(&v311_brokers(), |broker| {
        let topic = unique_topic("rr-311");
        let responder = respond(
            broker,
            &[
                "-t",
                &topic,
                "--response-topic",
                "%t/reply",
                "-m",
                "pong",
                "-C",
                "1",
            ],
        );
        let reply = format!("{topic}/reply");
        let args = [
            "-t",
            &topic,
            "-e",
            &reply,
            "-m",
            "ping",
            "-W",
            ANSWER_WITHIN,
        ];
        let what = described(broker, &args);
        let got = rr(broker, &args);
        got.assert_code(0, &what);
        assert_eq!(got.stdout(), "pong\n", "{what}");
        assert!(
            got.stderr
                .contains("has no correlation data: the first message on"),
            "{what}: {}",
            got.stderr
        );
        responder
            .finish()
            .assert_code(0, &format!("{}: respond -C 1", broker.name));
    });
}

#[test]
fn under_311_correlate_json_carries_the_id_through_respond() {
    for_each_broker(&v311_brokers(), |broker| {
        let topic = unique_topic("rr-json");
        let responder = respond(
            broker,
            &[
                "-t",
                &topic,
                "--correlate-json",
                "id",
                "--response-topic",
                "%t/reply",
                "-C",
                "2",
                "--",
                "cat",
            ],
        );
        let reply = format!("{topic}/reply");

        // An id of the request's own is its correlation.
        let args = ["-t", &topic, "-e", &reply, "--correlate-json", "id"];
        let args = [
            &args[..],
            &["-m", r#"{"id":"c7","ask":1}"#, "-W", ANSWER_WITHIN],
        ]
        .concat();
        let what = described(broker, &args);
        let got = rr(broker, &args);
        got.assert_code(0, &what);
        assert_eq!(got.stdout(), "{\"id\":\"c7\",\"ask\":1}\n", "{what}");
        assert!(
            !got.stderr.contains("has no correlation data"),
            "{what}: {}",
            got.stderr
        );

        // Without one, rr makes one up and puts it first; cat echoes it.
        let args = ["-t", &topic, "-e", &reply, "--correlate-json", "id"];
        let args = [&args[..], &["-m", r#"{"ask":2}"#, "-W", ANSWER_WITHIN]].concat();
        let what = described(broker, &args);
        let got = rr(broker, &args);
        got.assert_code(0, &what);
        let answer: Value = serde_json::from_str(got.stdout().trim_end())
            .unwrap_or_else(|err| panic!("{what}: not JSON ({err}): {:?}", got.stdout()));
        assert!(
            answer["id"].as_str().is_some_and(|id| !id.is_empty()),
            "{what}: {answer}"
        );
        assert_eq!(answer["ask"], 2, "{what}: {answer}");

        responder
            .finish()
            .assert_code(0, &format!("{}: respond -C 2", broker.name));
    });
}

#[test]
fn under_311_a_json_response_with_another_id_is_ignored() {
    for_each_broker(&v311_brokers(), |broker| {
        let topic = unique_topic("rr-json-stray");
        let reply = format!("{topic}/reply");
        // The responder, by hand: the request's payload, then answers.
        let scripted = subscribe(broker, &["-t", &topic, "-C", "1"]);
        let args = ["-t", &topic, "-e", &reply, "--correlate-json", "id"];
        let args = [
            &args[..],
            &["-m", r#"{"ask":3}"#, "-d", "-W", ANSWER_WITHIN],
        ]
        .concat();
        let what = described(broker, &args);
        let mut asker = start_rr(broker, &args);
        let request = scripted.finish();
        request.assert_code(0, &format!("{}: the scripted responder", broker.name));
        let request = request.stdout();
        let parsed: Value = serde_json::from_str(request.trim_end())
            .unwrap_or_else(|err| panic!("{what}: a request that is not JSON: {err}"));
        let id = parsed["id"].clone();
        assert!(id.is_string(), "{what}: no id made up: {request}");
        assert_eq!(
            request,
            format!("{{\"id\":{id},\"ask\":3}}\n"),
            "{what}: the id goes first"
        );

        for stray in [r#"{"id":"another","ok":false}"#, "not json"] {
            publish_ok(broker, &["-t", &reply, "-m", stray, "-q", "1"]);
            asker.wait_for_stderr("ignored a message on", READY);
        }
        let answer = format!(r#"{{"ok":true,"id":{id}}}"#);
        publish_ok(broker, &["-t", &reply, "-m", &answer, "-q", "1"]);
        let got = asker.finish();
        got.assert_code(0, &what);
        assert_eq!(got.stdout(), format!("{answer}\n"), "{what}");
    });
}

// ---------------------------------------------------------------------------------------------
// respond's command

#[test]
fn the_command_gets_the_payload_and_the_request_in_its_environment() {
    let script = r#"printf '%s|%s|%s|%s|%s|%s|%s' "$MQTK_TOPIC" "$MQTK_QOS" "$(cat)" \
        "${MQTK_RESPONSE_TOPIC-unset}" "${MQTK_CORRELATION_DATA-unset}" \
        "${MQTK_CONTENT_TYPE-unset}" "${MQTK_USER_PROPERTIES-unset}""#;
    for_each_broker(&v5_brokers(), |broker| {
        let base = unique_topic("rr-env");
        let filter = format!("{base}/req/#");
        let responder = respond(
            broker,
            &[
                "-t", &filter, "-q", "1", "-C", "2", "--", "sh", "-c", script,
            ],
        );
        let topic = format!("{base}/req/full");
        // Outside the filter: respond would take its own answer for a request.
        let response = format!("{base}/answers");
        let args = [
            "-t",
            &topic,
            "-q",
            "1",
            "-m",
            "hello you",
            "-e",
            &response,
            "--correlation-data",
            "c1",
            "--content-type",
            "text/plain",
            "--user-property",
            "k=v",
            "--user-property",
            "a=b c",
            "-W",
            ANSWER_WITHIN,
        ];
        let what = described(broker, &args);
        let got = rr(broker, &args);
        got.assert_code(0, &what);
        assert_eq!(
            got.stdout(),
            format!(r#"{topic}|1|hello you|{response}|c1|text/plain|[["k","v"],["a","b c"]]"#)
                + "\n",
            "{what}"
        );

        // A request with none of the properties but those rr always sends. (At QoS 1 too:
        // rumqttd delivers a message at the subscription's QoS, not at the lesser of the two.)
        let topic = format!("{base}/req/bare");
        let args = ["-t", &topic, "-m", "bare", "-q", "1", "-W", ANSWER_WITHIN];
        let what = described(broker, &args);
        let got = rr(broker, &args);
        got.assert_code(0, &what);
        let stdout = got.stdout();
        let fields: Vec<&str> = stdout.trim_end().split('|').collect();
        assert_eq!(fields.len(), 7, "{what}: {stdout}");
        assert_eq!(
            fields[..3],
            [topic.as_str(), "1", "bare"],
            "{what}: {stdout}"
        );
        assert!(fields[3].starts_with("mqtk/rr/"), "{what}: {stdout}");
        assert!(
            fields[4] != "unset" && !fields[4].is_empty(),
            "{what}: {stdout}"
        );
        assert_eq!(fields[5..], ["unset", "unset"], "{what}: {stdout}");

        responder
            .finish()
            .assert_code(0, &format!("{}: respond -C 2", broker.name));
    });
}

/// A responder whose filter covers the response topic does not take its own answers for
/// requests: under MQTT 5 it subscribes with No Local. On mosquitto: rumqttd 0.20 reads No
/// Local but delivers a client's own messages to it all the same. (The scripted peer below
/// checks the option's bit in the SUBSCRIBE.)
#[test]
fn respond_does_not_take_its_own_answers_for_requests() {
    let Some(broker) = mosquitto() else {
        common::skip("mosquitto is not installed (rumqttd does not honour No Local)");
        return;
    };
    let base = unique_topic("rr-own");
    let filter = format!("{base}/#");
    // -C 2: with its first answer taken for the second request, it would take no more.
    let responder = respond(&broker, &["-t", &filter, "-m", "pong", "-C", "2"]);
    let topic = format!("{base}/req");
    let reply = format!("{base}/reply");
    ask_for_pong_twice(&broker, &topic, &reply);
    let responder = responder.finish();
    responder.assert_code(0, &format!("respond -t {filter}"));
    assert!(
        !responder.stderr.contains("names no response topic"),
        "{}",
        responder.stderr
    );
}

/// Asks twice on `topic` for an answer on `reply`, which must be "pong" each time.
fn ask_for_pong_twice(broker: &Broker, topic: &str, reply: &str) {
    for _ in 0..2 {
        let args = ["-t", topic, "-e", reply, "-m", "ping", "-W", ANSWER_WITHIN];
        let what = described(broker, &args);
        let got = rr(broker, &args);
        got.assert_code(0, &what);
        assert_eq!(got.stdout(), "pong\n", "{what}");
    }
}

/// Without -V, against a broker that speaks only MQTT 3.1.1: rr falls back, says that the first
/// message on the response topic is the answer, and takes it.
#[test]
fn rr_falls_back_to_mqtt_311_and_takes_the_first_message() {
    let v311 = rumqttd_v311();
    let unpinned = Broker {
        version: Version::Both,
        ..v311.clone()
    };
    let topic = unique_topic("rr-fallback");
    let reply = format!("{topic}/reply");
    let responder = respond(
        &v311,
        &["-t", &topic, "-e", &reply, "-m", "pong", "-C", "1"],
    );
    let args = [
        "-t",
        &topic,
        "-e",
        &reply,
        "-m",
        "ping",
        "-W",
        ANSWER_WITHIN,
    ];
    let what = described(&unpinned, &args);
    let got = rr(&unpinned, &args);
    got.assert_code(0, &what);
    assert_eq!(got.stdout(), "pong\n", "{what}");
    assert!(
        got.stderr.contains("MQTT 3.1.1 has no correlation data"),
        "{what}: {}",
        got.stderr
    );
    responder.finish().assert_code(0, "respond -C 1");
}

/// MQTT 3.1.1 has no No Local: a filter that covers the response topics brings respond its own
/// answers, which it must know rather than answer (on `.../reply/reply`, and so on for ever).
#[test]
fn respond_knows_its_own_answers_under_mqtt_311() {
    let broker = rumqttd_v311();
    let base = unique_topic("rr-own-311");
    let filter = format!("{base}/#");
    let responder = respond(
        &broker,
        &[
            "-t",
            &filter,
            "--response-topic",
            "%t/reply",
            "-m",
            "pong",
            "-C",
            "2",
        ],
    );
    let topic = format!("{base}/req");
    let reply = format!("{topic}/reply");
    ask_for_pong_twice(&broker, &topic, &reply);
    let responder = responder.finish();
    responder.assert_code(0, &format!("respond -t {filter} under MQTT 3.1.1"));
    assert!(
        !responder.stderr.contains("reply/reply"),
        "an answer was answered: {}",
        responder.stderr
    );
}

/// A slow request, then a fast one, to a responder running `--jobs JOBS` of [`GATED`]; the
/// responder's `start`/`end` lines once both are answered.
fn slow_then_fast(broker: &Broker, jobs: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let gate = dir.path().join("gate");
    let topic = unique_topic("rr-jobs");
    let mut responder = respond_with_env(
        broker,
        &[("GATE", &gate)],
        &[
            "-t", &topic, "--jobs", jobs, "-C", "2", "--", "sh", "-c", GATED,
        ],
    );
    let slow_args = ["-t", &topic, "-m", "slow", "-W", "25"];
    let mut slow = start_rr(broker, &slow_args);
    responder.wait_for_stderr("start slow", READY);
    let fast_args = ["-t", &topic, "-m", "fast", "-W", ANSWER_WITHIN];
    if jobs == "1" {
        let mut fast = start_rr(broker, &fast_args);
        // The fast request is in hand, waiting for the one job, when the gate opens.
        responder.wait_for_stderr("received PUBLISH", READY);
        open(&gate);
        slow.wait_for_stdout(b"slow done\n", READY);
        fast.wait_for_stdout(b"fast done\n", READY);
        fast.finish().assert_code(0, &described(broker, &fast_args));
    } else {
        // The gate is shut: the fast one is answered while the slow one runs.
        let fast = rr(broker, &fast_args);
        fast.assert_code(0, &described(broker, &fast_args));
        assert_eq!(fast.stdout(), "fast done\n", "{}", broker.name);
        assert!(
            !slow.wait_for_stdout_lines(1, Duration::ZERO),
            "{}: the slow one was answered before its gate opened",
            broker.name
        );
        open(&gate);
    }
    let slow = slow.finish();
    slow.assert_code(0, &described(broker, &slow_args));
    assert_eq!(slow.stdout(), "slow done\n", "{}", broker.name);
    let responder = responder.finish();
    responder.assert_code(0, &format!("{}: respond --jobs {jobs}", broker.name));
    job_lines(&responder.stderr)
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[test]
fn with_two_jobs_a_fast_request_is_answered_while_a_slow_one_runs() {
    for_each_broker(&v5_brokers(), |broker| {
        assert_eq!(
            slow_then_fast(broker, "2"),
            ["start slow", "start fast", "end fast", "end slow"],
            "{}",
            broker.name
        );
    });
}

#[test]
fn with_one_job_a_fast_request_waits_for_the_slow_one() {
    for_each_broker(&v5_brokers(), |broker| {
        assert_eq!(
            slow_then_fast(broker, "1"),
            ["start slow", "end slow", "start fast", "end fast"],
            "{}",
            broker.name
        );
    });
}

#[test]
fn a_command_that_outlives_timeout_is_killed_and_answers_nothing() {
    for_each_broker(&v5_brokers(), |broker| {
        let topic = unique_topic("rr-kill");
        let mut responder = respond(
            broker,
            &["-t", &topic, "--timeout", "0.5", "--", "sleep", "30"],
        );
        let args = ["-t", &topic, "-m", "hi", "-W", "5"];
        let what = described(broker, &args);
        let asker = start_rr(broker, &args);
        responder.wait_for_stderr(
            "not answered: the command ran longer than 0.5s and was killed",
            READY,
        );
        let got = asker.finish();
        got.assert_code(1, &what);
        assert_eq!(got.stdout(), "", "{what}");
        assert!(
            got.stderr.contains("no response within 5s"),
            "{what}: {}",
            got.stderr
        );
    });
}

#[test]
fn a_failing_command_answers_nothing() {
    for_each_broker(&v5_brokers(), |broker| {
        let topic = unique_topic("rr-fail");
        let mut responder = respond(
            broker,
            &["-t", &topic, "--", "sh", "-c", "echo oops >&2; exit 3"],
        );
        let args = ["-t", &topic, "-m", "hi", "-W", "2"];
        let what = described(broker, &args);
        let asker = start_rr(broker, &args);
        responder.wait_for_stderr("not answered: the command failed (exit status: 3)", READY);
        let got = asker.finish();
        got.assert_code(1, &what);
        assert_eq!(got.stdout(), "", "{what}");
    });
}

#[test]
fn with_answer_stderr_a_failing_command_answers_its_stderr() {
    for_each_broker(&v5_brokers(), |broker| {
        let topic = unique_topic("rr-stderr");
        let responder = respond(
            broker,
            &[
                "-t",
                &topic,
                "--answer-stderr",
                "-C",
                "1",
                "--",
                "sh",
                "-c",
                "echo oops >&2; exit 3",
            ],
        );
        let args = ["-t", &topic, "-m", "hi", "-W", ANSWER_WITHIN];
        let what = described(broker, &args);
        let got = rr(broker, &args);
        got.assert_code(0, &what);
        assert_eq!(got.stdout(), "oops\n", "{what}");
        responder
            .finish()
            .assert_code(0, &format!("{}: respond --answer-stderr", broker.name));
    });
}

#[test]
fn a_command_that_cannot_be_run_is_exit_2_before_connecting() {
    // Nobody listens there: a responder that tried to connect would exit 3.
    let closed = HeldPort::closed();
    let port = closed.port().to_string();
    let run = |answer: &[&str]| {
        let mut command = mqtk();
        command
            .args(["respond", "-h", HOST, "-p", &port, "-t", "x"])
            .args(answer);
        let what = format!("respond -p CLOSED -t x {}", answer.join(" "));
        (spawn(&what, &mut command, None).finish(), what)
    };

    let (got, what) = run(&["--", "no-such-program-xyz"]);
    got.assert_code(2, &what);
    got.assert_one_error_line(&what);
    assert!(
        got.stderr.contains("no-such-program-xyz"),
        "{what}: {}",
        got.stderr
    );

    // The same responder with a command that can be run does try the port.
    let (got, what) = run(&["--", "true"]);
    got.assert_code(3, &what);
}

// ---------------------------------------------------------------------------------------------
// Acknowledge after answering, byte by byte

/// CONNACK accepting a MQTT 5 connection: no session, success, no properties.
const CONNACK_V5: [u8; 5] = [0x20, 0x03, 0x00, 0x00, 0x00];

#[test]
fn a_qos_1_request_is_acknowledged_only_after_its_answer_is_acknowledged() {
    let peer = FakePeer::start(|mut s| {
        let connect = read_packet(&mut s);
        assert_eq!(connect[0], 0x10, "CONNECT first: {connect:02x?}");
        assert_eq!(connect[8], 5, "protocol level 5");
        // Receive Maximum (0x21) 16: with --jobs 1 the broker sends 16 requests ahead, no more.
        assert!(
            connect.windows(3).any(|w| w == [0x21, 0x00, 0x10]),
            "Receive Maximum 16 in the CONNECT: {connect:02x?}"
        );
        s.write_all(&CONNACK_V5).expect("send CONNACK");
        let subscribe = read_packet(&mut s);
        assert!(subscribe.len() > 3, "a short packet: {subscribe:02x?}");
        #[rustfmt::skip]
        let expected = [
            0x82, 0x09,                             // SUBSCRIBE, remaining length 9
            subscribe[2], subscribe[3],             // the responder's packet id
            0x00,                                   // no properties
            0x00, 0x03, b'r', b'e', b'q',           // filter "req"
            0x05,                                   // QoS 1, No Local
        ];
        assert_eq!(subscribe, expected, "the SUBSCRIBE");
        // SUBACK for its packet id, no properties, QoS 1 granted.
        s.write_all(&[0x90, 0x04, subscribe[2], subscribe[3], 0x00, 0x01])
            .expect("send SUBACK");

        #[rustfmt::skip]
        let request = [
            0x32, 0x15,                             // PUBLISH, QoS 1, remaining length 21
            0x00, 0x03, b'r', b'e', b'q',           // topic "req"
            0x00, 0x07,                             // packet id 7
            0x0C,                                   // properties, 12 bytes
            0x08, 0x00, 0x04, b'r', b'e', b's', b'p', // response topic "resp"
            0x09, 0x00, 0x02, b'c', b'1',           // correlation data "c1"
            b'q',                                   // payload "q"
        ];
        s.write_all(&request).expect("send the request");

        // The answer comes first: no PUBACK for packet id 7 before it.
        let answer = read_packet(&mut s);
        assert!(answer.len() > 9, "a short packet: {answer:02x?}");
        let (id_high, id_low) = (answer[8], answer[9]);
        #[rustfmt::skip]
        let expected = [
            0x32, 0x14,                             // PUBLISH, QoS 1, remaining length 20
            0x00, 0x04, b'r', b'e', b's', b'p',     // topic "resp"
            id_high, id_low,                        // the responder's packet id
            0x05,                                   // properties, 5 bytes
            0x09, 0x00, 0x02, b'c', b'1',           // correlation data "c1"
            b'a', b'n', b's', b'w', b'e', b'r',     // payload "answer"
        ];
        assert_eq!(answer, expected, "the answer, before anything else");

        // A second request, at QoS 0: its answer comes next, so the first request's PUBACK is
        // held back while the broker has not acknowledged the first answer.
        #[rustfmt::skip]
        let second = [
            0x30, 0x0F,                             // PUBLISH, QoS 0, remaining length 15
            0x00, 0x03, b'r', b'e', b'q',           // topic "req"
            0x08,                                   // properties, 8 bytes
            0x08, 0x00, 0x05, b'r', b'e', b's', b'p', b'2', // response topic "resp2"
            b'2',                                   // payload "2"
        ];
        s.write_all(&second).expect("send the second request");
        #[rustfmt::skip]
        let second_answer = [
            0x30, 0x0E,                             // PUBLISH, QoS 0, remaining length 14
            0x00, 0x05, b'r', b'e', b's', b'p', b'2', // topic "resp2"
            0x00,                                   // no properties
            b'a', b'n', b's', b'w', b'e', b'r',     // payload "answer"
        ];
        assert_eq!(
            read_packet(&mut s),
            second_answer,
            "the second answer, and still no PUBACK for the first request"
        );

        // The broker acknowledges the first answer; now the first request is acknowledged.
        s.write_all(&[0x40, 0x02, id_high, id_low])
            .expect("send the PUBACK of the answer");
        assert_eq!(
            read_packet(&mut s),
            [0x40, 0x02, 0x00, 0x07],
            "the PUBACK of request 7, once its answer is acknowledged"
        );
        // -C 2: both requests are answered, and the responder ends.
        let disconnect = read_packet(&mut s);
        assert_eq!(disconnect[0], 0xE0, "DISCONNECT: {disconnect:02x?}");
    });
    let mut command = mqtk();
    command
        .arg("respond")
        .args(peer.args())
        .args(["-V", "5", "-t", "req", "-q", "1", "-m", "answer", "-C", "2"]);
    let got = spawn("respond to a scripted peer", &mut command, None).finish();
    peer.join();
    got.assert_code(0, "respond to a scripted peer");
}

// ---------------------------------------------------------------------------------------------
// Ctrl-C

/// Ctrl-C in a terminal sends SIGINT to the whole foreground process group: to respond and to
/// the command it runs. Here respond leads a process group of its own, which the test signals
/// as a terminal would, once the command runs.
#[test]
fn ctrl_c_finishes_the_request_in_hand() {
    for_each_broker(&v5_brokers(), |broker| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let gate = dir.path().join("gate");
        let topic = unique_topic("rr-ctrl-c");
        let (mut command, what) = responder(
            broker,
            &[("GATE", &gate)],
            &["-t", &topic, "-q", "1", "--", "sh", "-c", GATED],
        );
        command.process_group(0);
        let mut responder = start_responder((command, what));
        let args = ["-t", &topic, "-q", "1", "-m", "slow", "-W", "25"];
        let what = described(broker, &args);
        let asker = start_rr(broker, &args);
        responder.wait_for_stderr("received PUBLISH", READY);
        responder.wait_for_stderr("start slow", READY);
        let group = format!("-{}", responder.pid());
        let status = Command::new("kill")
            .args(["-INT", "--", &group])
            .status()
            .expect("run kill");
        assert!(status.success(), "{}: kill -INT -- {group}", broker.name);
        responder.wait_for_stderr("answering the 1 request in hand, then ending", READY);
        open(&gate);

        let got = asker.finish();
        got.assert_code(0, &what);
        assert_eq!(got.stdout(), "slow done\n", "{what}");
        let responder = responder.finish();
        responder.assert_code(0, &format!("{}: respond after Ctrl-C", broker.name));
        assert_eq!(
            job_lines(&responder.stderr),
            ["start slow", "end slow"],
            "{}",
            broker.name
        );
    });
}

// ---------------------------------------------------------------------------------------------
// mosquitto's clients

/// An empty directory for mosquitto's clients to look for their configuration files in: a
/// developer's own ~/.config/mosquitto_rr must not change what the tests see.
fn empty_config_home() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// mosquitto's client `name` against `broker`, pinned to MQTT 5.
fn mosquitto_client_command(exe: &Path, broker: &Broker, home: &Path) -> Command {
    let mut command = Command::new(exe);
    command
        .args(["-h", HOST, "-p", &broker.port.to_string(), "-V", "mqttv5"])
        .env("XDG_CONFIG_HOME", home);
    command
}

#[test]
fn mosquitto_rr_gets_the_answer_of_respond() {
    let (Some(broker), Some(exe)) = (mosquitto(), mosquitto_client("mosquitto_rr")) else {
        common::skip("mosquitto or mosquitto_rr is not installed");
        return;
    };
    let home = empty_config_home();
    let topic = unique_topic("rr-mosquitto-rr");
    let response = format!("{topic}/response");
    let responder = respond(
        &broker,
        &["-t", &topic, "-q", "1", "-m", "hello", "-C", "1"],
    );
    let mut command = mosquitto_client_command(&exe, &broker, home.path());
    command.args([
        "-t", &topic, "-e", &response, "-m", "hi", "-q", "1", "-W", "5",
    ]);
    let got = spawn("mosquitto_rr", &mut command, None).finish();
    got.assert_code(0, "mosquitto_rr");
    assert_eq!(got.stdout(), "hello\n");
    responder.finish().assert_code(0, "respond -C 1");
}

#[test]
fn rr_gets_the_answer_of_mosquitto_sub_and_mosquitto_pub() {
    let found = (
        mosquitto(),
        mosquitto_client("mosquitto_sub"),
        mosquitto_client("mosquitto_pub"),
    );
    let (Some(broker), Some(sub_exe), Some(pub_exe)) = found else {
        common::skip("mosquitto, mosquitto_sub or mosquitto_pub is not installed");
        return;
    };
    let home = empty_config_home();
    let topic = unique_topic("rr-mosquitto-sub");
    let ready = format!("{topic}/ready");
    // mosquitto_sub has no "subscribed" line: it prints the retained "ready" once it is.
    publish_ok(&broker, &["-t", &ready, "-m", "ready", "-r", "-q", "1"]);
    let mut command = mosquitto_client_command(&sub_exe, &broker, home.path());
    command.args(["-t", &topic, "-t", &ready, "-C", "2", "-W", "20"]);
    command.args(["-F", "%t %R %D"]);
    let mut scripted = spawn("mosquitto_sub", &mut command, None);
    scripted.wait_for_stdout(ready.as_bytes(), READY);

    let args = [
        "-t",
        &topic,
        "-m",
        "what time?",
        "-q",
        "1",
        "-W",
        ANSWER_WITHIN,
    ];
    let what = described(&broker, &args);
    let asker = start_rr(&broker, &args);
    let request = scripted.finish();
    clear_ready(&broker, &topic);
    request.assert_code(0, "mosquitto_sub");
    let stdout = request.stdout();
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{topic} ")))
        .unwrap_or_else(|| panic!("mosquitto_sub saw no request: {stdout:?}"));
    let (response, correlation) = line
        .split_once(' ')
        .unwrap_or_else(|| panic!("no response topic and correlation: {line:?}"));
    assert!(response.starts_with("mqtk/rr/"), "{line:?}");
    assert!(!correlation.is_empty(), "{line:?}");

    let mut command = mosquitto_client_command(&pub_exe, &broker, home.path());
    command.args(["-t", response, "-m", "noon", "-q", "1"]);
    command.args(["-D", "publish", "correlation-data", correlation]);
    spawn("mosquitto_pub", &mut command, None)
        .finish()
        .assert_code(0, "mosquitto_pub");
    let got = asker.finish();
    got.assert_code(0, &what);
    assert_eq!(got.stdout(), "noon\n", "{what}");
}
