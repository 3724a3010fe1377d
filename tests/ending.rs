//! How a connection ends, against the real brokers: `--status` seen online and
//! offline, and the `--end` ways a device vanishes, each with the will that
//! follows (or does not).

mod common;

use std::time::{Duration, Instant};

use common::run::{for_each_broker, publish_ok, spawn, subscribe, subscriber, Running};
use common::{brokers, unique_topic, Broker};

/// How long a will may take to arrive after the connection is gone.
const WILL_TIMEOUT: Duration = Duration::from_secs(10);

/// A `mqtk sub -v` of `topic` that has its SUBACK, and what it must have printed next.
struct Observer {
    running: Running,
    seen: String,
}

impl Observer {
    fn start(broker: &Broker, topic: &str) -> Observer {
        Observer {
            running: subscribe(broker, &["-t", topic, "-v"]),
            seen: String::new(),
        }
    }

    /// Waits until the next line printed is `line`.
    fn expect(&mut self, line: &str, timeout: Duration) {
        self.seen.push_str(line);
        self.seen.push('\n');
        self.running.wait_for_stdout(self.seen.as_bytes(), timeout);
    }
}

#[test]
fn status_is_online_then_offline_at_a_clean_exit_and_offline_as_the_will_after_kill_9() {
    for_each_broker(&brokers(), |broker| {
        let status = unique_topic("status");
        let commands = unique_topic("status-commands");
        let mut observer = Observer::start(broker, &status);
        let device = |what: &str| {
            let mut command = subscriber(broker, &["--status", &status, "-t", &commands]);
            spawn(&format!("{}: {what}", broker.name), &mut command, None)
        };
        let first = device("sub --status, ended by Ctrl-C");
        observer.expect(&format!("{status} online"), WILL_TIMEOUT);
        first.interrupt();
        first.finish().assert_code(0, "sub --status after Ctrl-C");
        observer.expect(&format!("{status} offline"), WILL_TIMEOUT);

        let second = device("sub --status, killed");
        observer.expect(&format!("{status} online"), WILL_TIMEOUT);
        second.kill_hard();
        observer.expect(&format!("{status} offline"), WILL_TIMEOUT);
        // The retained state is offline for whoever comes later.
        let mut later = subscriber(broker, &["-t", &status, "-C", "1", "-W", "5"]);
        let later = spawn("a later subscriber", &mut later, None).finish();
        later.assert_code(0, "the retained status");
        assert_eq!(later.stdout(), "offline\n", "{}", broker.name);
        publish_ok(broker, &["-t", &status, "-n", "-r", "-q", "1"]);
    });
}

#[test]
fn status_words_and_qos_can_be_chosen() {
    let broker = common::rumqttd_v5();
    let status = unique_topic("status-words");
    let mut observer = Observer::start(&broker, &status);
    publish_ok(
        &broker,
        &[
            "-t",
            "x",
            "-m",
            "x",
            "--status",
            &status,
            "--status-online",
            "up",
            "--status-offline",
            "down",
            "--status-qos",
            "0",
        ],
    );
    observer.expect(&format!("{status} up"), WILL_TIMEOUT);
    observer.expect(&format!("{status} down"), WILL_TIMEOUT);
    publish_ok(&broker, &["-t", &status, "-n", "-r", "-q", "1"]);
}

/// How long `mqtk pub` took: from its start, and from its connection (the CONNACK in its
/// trace), which a busy machine can make late.
struct Took {
    from_start: Duration,
    from_connack: Duration,
}

/// Publishes with a will on `will_topic` and `--end END`, and returns how long `mqtk pub` took.
fn publish_and_end(broker: &Broker, will_topic: &str, end: &str, extra: &[&str]) -> Took {
    let mut args = vec![
        "-t",
        "x",
        "-m",
        "x",
        "--will-topic",
        will_topic,
        "--will-payload",
        "gone",
        "--end",
        end,
        "-d",
    ];
    args.extend(extra);
    let started = Instant::now();
    let what = format!("{}: pub --end {end}", broker.name);
    let mut command = common::run::publisher(broker, &args);
    let mut running = spawn(&what, &mut command, None);
    running.wait_for_stderr("received CONNACK", Duration::from_secs(10));
    let connected = Instant::now();
    running.finish().assert_code(0, &what);
    Took {
        from_start: started.elapsed(),
        from_connack: connected.elapsed(),
    }
}

#[test]
fn a_silent_end_waits_for_the_broker_to_give_up_and_the_will_follows() {
    for_each_broker(&brokers(), silent_end_on);
}

fn silent_end_on(broker: &Broker) {
    let will = unique_topic("silent-will");
    let mut observer = Observer::start(broker, &will);
    let took = publish_and_end(broker, &will, "silent", &["-k", "1"]);
    observer.expect(&format!("{will} gone"), WILL_TIMEOUT);
    // At least 1.5 times a keep alive of 1 s: timed from the start, as the broker's wait begins
    // later, however busy the machine.
    assert!(
        took.from_start >= Duration::from_millis(1400),
        "pub ended {:?} after its start",
        took.from_start
    );
    // Within the client's own limit: mosquitto 2.0 looks every 5 s, so it may take up to
    // 6.5 s; mqtk waits 12 s. Timed from the connection, not the start, which a busy machine can
    // make slow.
    assert!(
        took.from_connack < Duration::from_secs(12),
        "pub ended {:?} after its CONNACK",
        took.from_connack
    );
}

#[test]
fn a_takeover_ends_the_first_connection_and_its_will_is_published() {
    for_each_broker(&brokers(), |broker| {
        let will = unique_topic("takeover-will");
        let mut observer = Observer::start(broker, &will);
        let id = unique_topic("id").replace('/', "-");
        publish_and_end(broker, &will, "takeover", &["-i", &id]);
        observer.expect(&format!("{will} gone"), WILL_TIMEOUT);
    });
}

#[test]
fn reset_and_close_publish_the_will_on_every_broker() {
    for_each_broker(&brokers(), |broker| {
        for end in ["reset", "close"] {
            let will = unique_topic(&format!("{end}-will"));
            let mut observer = Observer::start(broker, &will);
            publish_and_end(broker, &will, end, &[]);
            observer.expect(&format!("{will} gone"), WILL_TIMEOUT);
        }
    });
}

#[test]
fn end_silent_needs_a_keep_alive_and_disconnect_with_will_needs_mqtt_5() {
    let broker = common::rumqttd_v311();
    let cases: [(&[&str], &str); 2] = [
        (
            &["--end", "silent", "-k", "0"],
            "--end silent needs a keep alive",
        ),
        (&["--end", "disconnect-with-will"], "needs MQTT 5"),
    ];
    for (args, error) in cases {
        let mut all = vec!["-t", "x", "-m", "x"];
        all.extend(args);
        let mut command = common::run::publisher(&broker, &all);
        let output = spawn("a wrong ending", &mut command, None).finish();
        output.assert_code(2, error);
        assert!(output.stderr.contains(error), "{}", output.stderr);
    }
}
