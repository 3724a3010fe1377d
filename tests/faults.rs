//! `mqtk pub` and `mqtk sub` over a network that fails: a fault proxy between mqtk and a real
//! broker resets connections, goes half-open or refuses new ones, or the broker itself restarts,
//! and an independent subscriber connected straight to the broker counts what arrived.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::process::ChildStdin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::fault_proxy::FaultProxy;
use common::own_mosquitto::OwnMosquitto;
use common::run::{
    clear_ready, for_each_broker, publish_ok, publisher, silence, spawn, spawn_fed, subscribe,
    subscribe_quietly, Finished, Running,
};
use common::{brokers, unique_topic, Broker, TIMEOUT};

/// Lines each publisher writes; paced, so that faults land in the middle of the stream.
const LINES: usize = 1500;

/// How long a publisher may take to get through its faults.
const PUBLISHER_DEADLINE: Duration = Duration::from_secs(90);

/// Writes `count` numbered lines ("line-000001", ...), ten every 10 ms.
fn paced_lines(count: usize) -> impl FnOnce(ChildStdin) + Send + 'static {
    move |mut stdin| {
        for n in 1..=count {
            if writeln!(stdin, "line-{n:06}").is_err() {
                return;
            }
            if n % 10 == 0 {
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Starts `mqtk pub -l ARGS` against `broker`, fed [`paced_lines`].
fn paced_publisher(broker: &Broker, args: &[&str], lines: usize) -> Running {
    let what = format!("{}: mqtk pub -l {}", broker.name, args.join(" "));
    let mut command = publisher(broker, args);
    command.arg("-l");
    spawn_fed(&what, &mut command, paced_lines(lines))
}

/// Ends a counting subscriber of [`subscribe_quietly`]: publishes "end" straight to the broker
/// once the publisher is done, waits for it, and returns how often each line arrived, and the
/// lines in the order they arrived.
fn count(
    broker: &Broker,
    topic: &str,
    mut counter: Running,
) -> (HashMap<String, usize>, Vec<String>) {
    publish_ok(broker, &["-t", topic, "-m", "end", "-q", "1"]);
    counter.wait_for_stdout_containing(b"\nend\n", TIMEOUT);
    counter.interrupt();
    let output = counter.finish();
    clear_ready(broker, topic);
    let lines: Vec<String> = output
        .stdout()
        .lines()
        .filter(|line| line.starts_with("line-"))
        .map(str::to_string)
        .collect();
    let mut seen = HashMap::new();
    for line in &lines {
        *seen.entry(line.clone()).or_insert(0) += 1;
    }
    (seen, lines)
}

/// The number in stderr lines that say `after` it, added up: "... N at QoS 2 may arrive twice".
fn reported(stderr: &str, before: &str) -> usize {
    stderr
        .lines()
        .filter_map(|line| {
            let end = line.find(before)?;
            line[..end].split_whitespace().last()?.parse::<usize>().ok()
        })
        .sum()
}

/// Every line of 1..=`lines` that never arrived.
fn missing(seen: &HashMap<String, usize>, lines: usize) -> Vec<String> {
    (1..=lines)
        .map(|n| format!("line-{n:06}"))
        .filter(|line| !seen.contains_key(line))
        .collect()
}

/// `pub -l -q QOS` through connections reset every 300 ms, several times over.
fn publish_through_resets(broker: &Broker, qos: u8) -> (Finished, HashMap<String, usize>) {
    let proxy = FaultProxy::start(broker);
    let topic = unique_topic("resets");
    let qos_text = qos.to_string();
    let mut counter = subscribe_quietly(broker, &topic, &["-q", &qos_text]);
    let publishing = paced_publisher(&broker.via(&proxy), &["-t", &topic, "-q", &qos_text], LINES);
    counter.wait_for_stdout_containing(b"line-000001\n", TIMEOUT);
    proxy.reset_every(Duration::from_millis(300));
    proxy.wait_for_connections(3, PUBLISHER_DEADLINE);
    proxy.stop_faults();
    let published = publishing.finish_within(PUBLISHER_DEADLINE);
    let (seen, _) = count(broker, &topic, counter);
    (published, seen)
}

#[test]
fn qos1_lines_all_arrive_through_repeated_resets() {
    for_each_broker(&brokers(), |broker| {
        let (published, seen) = publish_through_resets(broker, 1);
        published.assert_code(0, &format!("{}: pub -l -q 1 through resets", broker.name));
        assert!(
            published.stderr.contains("reconnected after"),
            "{}: no reconnect was said:\n{}",
            broker.name,
            published.stderr
        );
        let missing = missing(&seen, LINES);
        assert!(
            missing.is_empty(),
            "{}: {} of {LINES} lines never arrived, the first {:?}",
            broker.name,
            missing.len(),
            missing.first()
        );
    });
}

#[test]
fn qos2_lines_arrive_once_or_are_said_to_maybe_arrive_twice() {
    for_each_broker(&brokers(), |broker| {
        let (published, seen) = publish_through_resets(broker, 2);
        published.assert_code(0, &format!("{}: pub -l -q 2 through resets", broker.name));
        let missing = missing(&seen, LINES);
        assert!(
            missing.is_empty(),
            "{}: {} lines never arrived, the first {:?}",
            broker.name,
            missing.len(),
            missing.first()
        );
        let twice: usize = seen.values().map(|n| n - 1).sum();
        let said = reported(&published.stderr, " at QoS 2 may arrive twice");
        assert!(
            twice <= said,
            "{}: {twice} lines arrived more than once, {said} were said to maybe:\n{}",
            broker.name,
            published.stderr
        );
        // mosquitto keeps the session of an MQTT 5 client with a session expiry: exactly once.
        if broker.name == "mosquitto" {
            assert_eq!(
                twice, 0,
                "mosquitto kept the sessions:\n{}",
                published.stderr
            );
        }
    });
}

#[test]
fn qos0_losses_are_counted_not_hidden() {
    for_each_broker(&brokers(), |broker| {
        let (published, seen) = publish_through_resets(broker, 0);
        let missing = missing(&seen, LINES).len();
        let unconfirmed = reported(&published.stderr, " QoS 0 messages were written on");
        assert!(
            missing <= unconfirmed,
            "{}: {missing} lines lost, {unconfirmed} said to be in doubt:\n{}",
            broker.name,
            published.stderr
        );
        let expected = if unconfirmed > 0 { 1 } else { 0 };
        published.assert_code(
            expected,
            &format!("{}: pub -l -q 0 through resets", broker.name),
        );
        assert!(
            seen.values().all(|&n| n == 1),
            "{}: a QoS 0 line arrived twice",
            broker.name
        );
    });
}

#[test]
fn a_half_open_path_is_noticed_by_keep_alive_and_nothing_is_lost() {
    for_each_broker(&brokers(), |broker| {
        let proxy = FaultProxy::start(broker);
        let topic = unique_topic("half-open");
        let counter = subscribe_quietly(broker, &topic, &["-q", "1"]);
        let args = ["-t", &topic, "-q", "1", "-k", "2", "--connect-timeout", "3"];
        let mut publishing = paced_publisher(&broker.via(&proxy), &args, LINES);
        let mut counter = counter;
        counter.wait_for_stdout_containing(b"line-000001\n", TIMEOUT);
        // Long enough that the first reconnect's CONNECT, stalled too, times out.
        proxy.half_open(Duration::from_secs(8));
        publishing.wait_for_stderr(
            "(keep alive 2s): the connection is lost; reconnecting",
            Duration::from_secs(15),
        );
        let published = publishing.finish_within(PUBLISHER_DEADLINE);
        published.assert_code(
            0,
            &format!("{}: pub -l -q 1 -k 2 across a stall", broker.name),
        );
        assert!(
            published
                .stderr
                .contains("did not answer CONNECT within 3s; retrying in"),
            "{}: a connect on the dead path was not given up:\n{}",
            broker.name,
            published.stderr
        );
        let silent = silence(&published.stderr);
        // 1.5 times the keep alive, and the timer's lateness on a loaded machine.
        assert!(
            (3.0..5.0).contains(&silent),
            "{}: silent for {silent}s",
            broker.name
        );
        let (seen, _) = count(broker, &topic, counter);
        assert!(
            missing(&seen, LINES).is_empty(),
            "{}: lines lost",
            broker.name
        );
    });
}

#[test]
fn sub_says_a_half_open_path_is_lost_by_keep_alive() {
    for_each_broker(&brokers(), |broker| {
        let proxy = FaultProxy::start(broker);
        let topic = unique_topic("sub-half-open");
        let args = ["-t", &topic, "-k", "1", "--no-reconnect"];
        let listening = subscribe(&broker.via(&proxy), &args);
        proxy.half_open(Duration::from_secs(20));
        let output = listening.finish_within(Duration::from_secs(10));
        output.assert_code(1, &format!("{}: sub -k 1 on a dead path", broker.name));
        assert!(
            output
                .stderr
                .contains("(keep alive 1s): the connection is lost"),
            "{}: {}",
            broker.name,
            output.stderr
        );
        let silent = silence(&output.stderr);
        assert!(
            (1.5..3.5).contains(&silent),
            "{}: silent for {silent}s",
            broker.name
        );
    });
}

#[test]
fn no_reconnect_exits_1_with_the_exact_count_not_acknowledged() {
    let broker = common::rumqttd_v5();
    let proxy = FaultProxy::start(&broker);
    let topic = unique_topic("no-reconnect");
    let mut counter = subscribe_quietly(&broker, &topic, &["-q", "1"]);
    let args = ["-t", &topic, "-q", "1", "--no-reconnect"];
    let publishing = paced_publisher(&broker.via(&proxy), &args, LINES);
    counter.wait_for_stdout_containing(b"line-000100\n", TIMEOUT);
    proxy.reset_all();
    let published = publishing.finish_within(PUBLISHER_DEADLINE);
    published.assert_code(1, "pub --no-reconnect through a reset");
    let (seen, _) = count(&broker, &topic, counter);
    // "N of M messages not acknowledged", or, when the reset fell between acknowledgements,
    // "the M messages read were acknowledged": M - N arrived, at least.
    let (lost, read) = acknowledged(&published.stderr);
    assert!(read >= lost && read >= 100, "{}", published.stderr);
    assert!(
        seen.len() >= read - lost,
        "{} lines arrived, but {} were acknowledged: {}",
        seen.len(),
        read - lost,
        published.stderr
    );
    published.assert_one_error_line("pub --no-reconnect");
}

/// How many messages a publisher that gave up said were lost, and how many it had read.
fn acknowledged(stderr: &str) -> (usize, usize) {
    let number = |word: Option<&str>| word.and_then(|word| word.parse().ok());
    stderr
        .lines()
        .find_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            if line.contains(" messages not acknowledged") {
                let at = words.iter().position(|word| *word == "of")?;
                Some((
                    number(Some(words[at - 1]))?,
                    number(words.get(at + 1).copied())?,
                ))
            } else if line.contains(" messages read were acknowledged") {
                let at = words.iter().position(|word| *word == "messages")?;
                Some((0, number(Some(words[at - 1]))?))
            } else {
                None
            }
        })
        .unwrap_or_else(|| panic!("no count of what was acknowledged:\n{stderr}"))
}

/// A 1,000,000-line input through a 10 s outage, with the default queue: stdin is not read
/// beyond the queue (the writer is held back), the memory stays flat, and every line arrives.
#[test]
fn stdin_is_held_back_while_offline_and_every_line_arrives() {
    const MANY: usize = 1_000_000;
    // One broker: mosquitto where there is one (always in CI), else rumqttd.
    let broker = common::mosquitto().unwrap_or_else(|| {
        common::narrowed("mosquitto is not installed: on rumqttd");
        common::rumqttd_v5()
    });
    let proxy = FaultProxy::start(&broker);
    let topic = unique_topic("held-back");
    let mut counter = subscribe_quietly(&broker, &topic, &["-q", "1"]);
    let written = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&written);
    let args = ["-t", &topic, "-q", "1", "-l"];
    let what = format!("{}: pub {}", broker.name, args.join(" "));
    let mut command = publisher(&broker.via(&proxy), &args);
    let mut publishing = spawn_fed(&what, &mut command, move |stdin| {
        let mut stdin = std::io::BufWriter::new(stdin);
        for n in 1..=MANY {
            let line = format!("line-{n:07}\n");
            if stdin.write_all(line.as_bytes()).is_err() {
                return;
            }
            counted.fetch_add(line.len(), Ordering::Relaxed);
        }
    });
    counter.wait_for_stdout_containing(b"line-0000001", TIMEOUT);
    // Refused from before the connection is lost, so that the whole outage is the proxy's.
    proxy.refuse_for(Duration::from_secs(10));
    proxy.reset_all();
    publishing.wait_for_stderr("reconnecting", TIMEOUT);
    // The writer stops once the pipe, mqtk's read buffer and its queue are full.
    let mut last = written.load(Ordering::Relaxed);
    loop {
        thread::sleep(Duration::from_millis(500));
        let now = written.load(Ordering::Relaxed);
        if now == last || !proxy.is_refusing() {
            break;
        }
        last = now;
    }
    assert!(
        proxy.is_refusing(),
        "the writer was not held back during the outage"
    );
    let held = written.load(Ordering::Relaxed);
    let total = MANY * 13;
    assert!(
        held < total / 2,
        "{held} of {total} bytes were taken while offline"
    );
    let offline_kib = peak_rss_kib(publishing.pid());
    // A million messages through a debug build, 20 in flight at a time with mosquitto.
    let published = publishing.finish_within(Duration::from_secs(300));
    published.assert_code(0, "pub -l -q 1 through a 10 s outage");
    let (seen, _) = count(&broker, &topic, counter);
    let arrived: HashSet<&str> = seen.keys().map(String::as_str).collect();
    let missing = (1..=MANY)
        .filter(|n| !arrived.contains(format!("line-{n:07}").as_str()))
        .count();
    assert_eq!(missing, 0, "{} lines lost:\n{}", missing, published.stderr);
    assert!(
        offline_kib < 48 * 1024,
        "{offline_kib} KiB at the peak, while offline"
    );
}

/// The peak resident memory of a process, from /proc (Linux).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .expect("VmHWM")
}

#[test]
fn pub_survives_a_broker_restart_and_loses_nothing() {
    let Some(mut mosquitto) = OwnMosquitto::start_persistent() else {
        return common::skip("mosquitto is not installed");
    };
    let broker = mosquitto.broker();
    let topic = unique_topic("restart");
    let id = format!("restart-counter-{}", std::process::id());
    // A counter whose session, too, the broker keeps across its restart.
    let mut counter = subscribe_quietly(&broker, &topic, &["-q", "1", "-c", "-i", &id]);
    let mut publishing = paced_publisher(&broker, &["-t", &topic, "-q", "1"], LINES);
    counter.wait_for_stdout_containing(b"line-000100\n", TIMEOUT);
    mosquitto.stop();
    publishing.wait_for_stderr("reconnecting", TIMEOUT);
    mosquitto.start_again();
    let published = publishing.finish_within(PUBLISHER_DEADLINE);
    published.assert_code(0, "pub -l -q 1 across a broker restart");
    let (seen, _) = count(&broker, &topic, counter);
    let missing = missing(&seen, LINES);
    assert!(
        missing.is_empty(),
        "{} lines lost across the restart, the first {:?}\n{}",
        missing.len(),
        missing.first(),
        published.stderr
    );
}

/// `--reconnect-retries` bounds the tries in one outage: then exit 1, with the count of what
/// was not acknowledged.
#[test]
fn reconnect_retries_give_up_with_the_count() {
    let broker = common::rumqttd_v5();
    let proxy = FaultProxy::start(&broker);
    let topic = unique_topic("give-up");
    let mut counter = subscribe_quietly(&broker, &topic, &["-q", "1"]);
    let args = ["-t", &topic, "-q", "1", "--reconnect-retries", "2"];
    let publishing = paced_publisher(&broker.via(&proxy), &args, LINES);
    counter.wait_for_stdout_containing(b"line-000001\n", TIMEOUT);
    counter.interrupt();
    counter.finish();
    clear_ready(&broker, &topic);
    proxy.refuse_for(Duration::from_secs(60));
    proxy.reset_all();
    let published = publishing.finish_within(PUBLISHER_DEADLINE);
    published.assert_code(1, "pub --reconnect-retries 2 with the broker out of reach");
    let last = published.stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("and 2 tries to reconnect failed: "),
        "{}",
        published.stderr
    );
    let (lost, read) = acknowledged(&published.stderr);
    assert!(read > 0 && lost <= read, "{}", published.stderr);
}

/// -W counts through an outage too: a subscriber whose broker is out of reach ends at -W, not
/// at a reconnect that may never come.
#[test]
fn sub_ends_at_its_timeout_while_reconnecting() {
    let broker = common::rumqttd_v5();
    let proxy = FaultProxy::start(&broker);
    let topic = unique_topic("sub-timeout-offline");
    let listening = subscribe(&broker.via(&proxy), &["-t", &topic, "-W", "3"]);
    proxy.refuse_for(Duration::from_secs(60));
    proxy.reset_all();
    let output = listening.finish_within(Duration::from_secs(10));
    output.assert_code(1, "sub -W 3 with the broker out of reach");
    assert!(
        output.stderr.contains("reconnecting in"),
        "{}",
        output.stderr
    );
    let last = output.stderr.lines().last().unwrap_or_default();
    assert_eq!(last, "mqtk: timed out after 3s", "{}", output.stderr);
}

/// Ctrl-C ends `respond` while it connects again: it stops at once, exit 0, as `sub` does.
#[test]
fn respond_stops_at_ctrl_c_while_reconnecting() {
    let broker = common::rumqttd_v5();
    let proxy = FaultProxy::start(&broker);
    let topic = unique_topic("respond-ctrl-c-offline");
    let mut command = common::mqtk();
    command
        .arg("respond")
        .args(broker.via(&proxy).args())
        .args(["-d", "-t", &topic, "-m", "pong"]);
    let mut responding = spawn("mqtk respond through the proxy", &mut command, None);
    responding.wait_for_stderr("received SUBACK", TIMEOUT);
    proxy.refuse_for(Duration::from_secs(60));
    proxy.reset_all();
    responding.wait_for_stderr("reconnecting in", TIMEOUT);
    responding.interrupt();
    let output = responding.finish_within(Duration::from_secs(5));
    output.assert_code(0, "respond, Ctrl-C with the broker out of reach");
}

/// `--connect-retries` makes the first connection try again, for a broker that comes up late.
#[test]
fn connect_retries_wait_for_a_broker_out_of_reach_at_first() {
    let broker = common::rumqttd_v5();
    let proxy = FaultProxy::start(&broker);
    proxy.refuse_for(Duration::from_secs(2));
    let topic = unique_topic("late-broker");
    let mut counter = subscribe_quietly(&broker, &topic, &["-q", "1"]);
    let args = [
        "-t",
        &topic,
        "-q",
        "1",
        "-m",
        "line-000001",
        "--connect-retries",
        "5",
    ];
    let published = publisher(&broker.via(&proxy), &args)
        .output()
        .expect("run mqtk pub");
    let stderr = String::from_utf8_lossy(&published.stderr);
    assert_eq!(published.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("; retrying in 0.5s"), "{stderr}");
    assert!(proxy.connections_refused() >= 1);
    counter.wait_for_stdout_containing(b"line-000001\n", TIMEOUT);
    counter.interrupt();
    counter.finish();
    clear_ready(&broker, &topic);
}
