//! Running the `mqtk` binary (or another, such as mosquitto's clients) from a test: [`spawn`]
//! starts it with its output collected by threads ([`Running`], killed when dropped) and
//! [`Running::finish`] waits for it under a deadline ([`Finished`]), so a broken build fails a
//! test instead of hanging it.
//!
//! Also here: `mqtk pub` and `mqtk sub` against a [`Broker`] ([`publish_ok`], [`subscribe`],
//! ...), [`for_each_broker`], and the line helpers for big tests and failure messages.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use super::{mqtk, Broker};

/// The longest one `mqtk` process may take before the test fails (and the process is killed).
const DEADLINE: Duration = Duration::from_secs(30);

/// How long a subscriber may take to connect and subscribe.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(10);

/// What an `mqtk` process left behind.
#[derive(Debug)]
pub struct Finished {
    /// How the process ended.
    pub status: ExitStatus,
    /// All of stdout, as bytes (payloads need not be UTF-8).
    pub stdout: Vec<u8>,
    /// All of stderr.
    pub stderr: String,
}

impl Finished {
    /// Stdout as text, invalid UTF-8 replaced.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Stdout as the one JSON object a `--json` run printed (a bench report,
    /// `will --json`); fails the test, naming `what` and showing both
    /// streams, when it is not one.
    pub fn json_object(&self, what: &str) -> serde_json::Value {
        serde_json::from_str(self.stdout().trim()).unwrap_or_else(|e| {
            panic!(
                "{what}: not one JSON object ({e}): {}\n{}",
                self.stdout(),
                self.stderr
            )
        })
    }

    /// The "connected in ..." line `mqtk ping` prints with its connect phases.
    pub fn connected_line(&self) -> String {
        let stdout = self.stdout();
        stdout
            .lines()
            .find(|line| line.starts_with("connected in "))
            .unwrap_or_else(|| panic!("no connected line:\n{stdout}"))
            .to_string()
    }

    /// Panics unless stderr is one line starting with "mqtk: ", as every error must be,
    /// besides any warnings ("mqtk: warning: ...") and `mqtk bench`'s progress lines
    /// ("mqtk bench: ...", when stderr is not a terminal).
    pub fn assert_one_error_line(&self, what: &str) {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|line| !line.starts_with("mqtk: warning: "))
            .filter(|line| !line.starts_with("mqtk bench: "))
            .collect();
        assert!(
            lines.len() == 1 && lines[0].starts_with("mqtk: "),
            "{what}: expected one stderr line starting with \"mqtk: \", got:\n{}",
            self.stderr
        );
    }

    /// Panics unless the process exited with `code`, showing what it printed.
    pub fn assert_code(&self, code: i32, what: &str) {
        assert_eq!(
            self.status.code(),
            Some(code),
            "{what}: expected exit code {code}, got {}\nstdout: {:?}\nstderr:\n{}",
            self.status,
            shorten(&self.stdout()),
            tail_lines(&self.stderr)
        );
    }
}

/// A running `mqtk` process: threads collect its output, and it is killed when dropped.
pub struct Running {
    what: String,
    child: Child,
    stdout_chunks: Receiver<Vec<u8>>,
    stdout: Vec<u8>,
    stderr_lines: Receiver<String>,
    stderr: Vec<String>,
}

/// Starts `command` with `input` (when given) written to its stdin from a thread, which then
/// closes it; without `input`, stdin is /dev/null. `what` names the process in failures.
pub fn spawn(what: &str, command: &mut Command, input: Option<Vec<u8>>) -> Running {
    match input {
        // A write error means mqtk exited early; its exit status tells the test why.
        Some(input) => spawn_fed(what, command, move |mut stdin| {
            let _ = stdin.write_all(&input);
        }),
        None => {
            command.stdin(Stdio::null());
            start(what, command)
        }
    }
}

/// Starts `command` with `feed` writing its stdin, on a thread of its own, at its own pace;
/// stdin closes when `feed` returns.
pub fn spawn_fed(
    what: &str,
    command: &mut Command,
    feed: impl FnOnce(ChildStdin) + Send + 'static,
) -> Running {
    command.stdin(Stdio::piped());
    let mut running = start(what, command);
    let stdin = running.child.stdin.take().expect("piped stdin");
    thread::spawn(move || feed(stdin));
    running
}

/// Starts `command`, its stdin already set, with its output collected by threads.
fn start(what: &str, command: &mut Command) -> Running {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|err| panic!("{what}: start {:?}: {err}", command.get_program()));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let (stdout_tx, stdout_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut chunk = vec![0; 64 * 1024];
        loop {
            match stdout.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if stdout_tx.send(chunk[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let stderr = child.stderr.take().expect("piped stderr");
    let (stderr_tx, stderr_rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stderr).split(b'\n') {
            let Ok(line) = line else { break };
            let line = String::from_utf8_lossy(&line).into_owned();
            if stderr_tx.send(line).is_err() {
                break;
            }
        }
    });
    Running {
        what: what.to_string(),
        child,
        stdout_chunks: stdout_rx,
        stdout: Vec::new(),
        stderr_lines: stderr_rx,
        stderr: Vec::new(),
    }
}

impl Running {
    /// Sends SIGINT, as Ctrl-C in a terminal does.
    pub fn interrupt(&self) {
        self.signal("INT");
    }

    /// Sends SIGKILL, as `kill -9` does: the process cannot say goodbye.
    pub fn kill_hard(&self) {
        self.signal("KILL");
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "{}: kill -{name} failed", self.what);
    }

    /// Waits until a line of stderr contains `needle`; panics after `timeout` or when mqtk ends.
    pub fn wait_for_stderr(&mut self, needle: &str, timeout: Duration) {
        self.wait_for_stderr_line(&format!("{needle:?}"), timeout, |line| {
            line.contains(needle)
        });
    }

    /// Waits until a line of stderr is one `wanted` accepts; panics after `timeout` or when mqtk
    /// ends, naming what was waited for as `described`.
    pub fn wait_for_stderr_line(
        &mut self,
        described: &str,
        timeout: Duration,
        wanted: impl Fn(&str) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) => {
                    let found = wanted(&line);
                    self.stderr.push(line);
                    if found {
                        return;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "{}: no {described} on stderr within {timeout:?}; stderr so far:\n{}",
                    self.what,
                    self.stderr_tail()
                ),
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().ok();
                    panic!(
                        "{}: stderr closed (exit {status:?}) before {described}; stderr:\n{}",
                        self.what,
                        self.stderr_tail()
                    )
                }
            }
        }
    }

    /// Waits until stdout starts with `prefix`; panics after `timeout`, when mqtk ends, or as
    /// soon as stdout has something else first.
    pub fn wait_for_stdout(&mut self, prefix: &[u8], timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.stdout.starts_with(prefix) {
            let shown = self.stdout.len().min(prefix.len());
            let error = if self.stdout[..shown] != prefix[..shown] {
                "something else came first".to_string()
            } else {
                let left = deadline.saturating_duration_since(Instant::now());
                match self.stdout_chunks.recv_timeout(left) {
                    Ok(chunk) => {
                        self.stdout.extend(chunk);
                        continue;
                    }
                    Err(err) => err.to_string(),
                }
            };
            let status = self.child.try_wait().ok().flatten();
            self.drain_stderr();
            panic!(
                "{}: stdout does not start with {:?} ({error}, exit {status:?}): {:?}\n\
                 stderr:\n{}",
                self.what,
                String::from_utf8_lossy(prefix),
                shorten(&String::from_utf8_lossy(&self.stdout)),
                self.stderr_tail()
            )
        }
    }

    /// Waits until stdout holds `needle` anywhere; panics after `timeout` or when mqtk ends.
    pub fn wait_for_stdout_containing(&mut self, needle: &[u8], timeout: Duration) {
        let deadline = Instant::now() + timeout;
        // Each chunk is searched once, with the needle's length before it for a needle split
        // between chunks: megabytes of output are not searched again at every chunk.
        let mut from = 0;
        while memchr::memmem::find(&self.stdout[from..], needle).is_none() {
            from = self.stdout.len().saturating_sub(needle.len());
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout_chunks.recv_timeout(left) {
                Ok(chunk) => self.stdout.extend(chunk),
                Err(err) => {
                    let status = self.child.try_wait().ok().flatten();
                    self.drain_stderr();
                    panic!(
                        "{}: no {:?} on stdout ({err}, exit {status:?}); {} bytes so far\n\
                         stderr:\n{}",
                        self.what,
                        String::from_utf8_lossy(needle),
                        self.stdout.len(),
                        self.stderr_tail()
                    )
                }
            }
        }
    }

    /// Waits until stdout holds `count` whole lines or more; `false` after `timeout` or when the
    /// process ended with fewer, for the caller to show what it counted.
    pub fn wait_for_stdout_lines(&mut self, count: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        // Each chunk is counted once: megabytes of output are not counted again at every chunk.
        let (mut lines, mut counted) = (0, 0);
        loop {
            lines += memchr::memchr_iter(b'\n', &self.stdout[counted..]).count();
            counted = self.stdout.len();
            if lines >= count {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout_chunks.recv_timeout(left) {
                Ok(chunk) => self.stdout.extend(chunk),
                Err(_) => return false,
            }
        }
    }

    /// The process id, to look at it in /proc.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the first whole line of stdout and returns it without its newline; panics
    /// after `timeout` or when mqtk ends first.
    pub fn wait_for_stdout_line(&mut self, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(end) = self.stdout.iter().position(|&b| b == b'\n') {
                return String::from_utf8_lossy(&self.stdout[..end]).into_owned();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout_chunks.recv_timeout(left) {
                Ok(chunk) => self.stdout.extend(chunk),
                Err(err) => {
                    let status = self.child.try_wait().ok().flatten();
                    self.drain_stderr();
                    panic!(
                        "{}: no whole line on stdout ({err}, exit {status:?}): {:?}\nstderr:\n{}",
                        self.what,
                        shorten(&String::from_utf8_lossy(&self.stdout)),
                        self.stderr_tail()
                    )
                }
            }
        }
    }

    /// Waits for mqtk to exit, killing it and failing the test after `timeout`.
    pub fn finish_within(mut self, timeout: Duration) -> Finished {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Ok(None) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    self.drain_stderr();
                    panic!(
                        "{}: still running after {timeout:?}, killed; stdout: {:?}\nstderr:\n{}",
                        self.what,
                        shorten(&String::from_utf8_lossy(&self.stdout)),
                        self.stderr_tail()
                    );
                }
                Err(err) => panic!("{}: wait: {err}", self.what),
            }
        };
        let stderr = self.drain_stderr();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout_chunks.recv_timeout(left) {
                Ok(chunk) => self.stdout.extend(chunk),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => panic!("{}: stdout stayed open", self.what),
            }
        }
        Finished {
            status,
            stdout: std::mem::take(&mut self.stdout),
            stderr,
        }
    }

    /// Waits for mqtk to exit, killing it and failing the test after [`DEADLINE`].
    pub fn finish(self) -> Finished {
        self.finish_within(DEADLINE)
    }

    /// All of stderr, once it closes (or after 10 s).
    fn drain_stderr(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) => self.stderr.push(line),
                Err(_) => break,
            }
        }
        let mut text = self.stderr.join("\n");
        if !self.stderr.is_empty() {
            text.push('\n');
        }
        text
    }

    /// The last lines of stderr so far, for failure messages (a `-d` trace can be long).
    fn stderr_tail(&self) -> String {
        tail_lines(&self.stderr.join("\n"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `mqtk pub` with the broker's arguments and `args`.
pub fn publisher(broker: &Broker, args: &[&str]) -> Command {
    let mut command = mqtk();
    command.arg("pub").args(broker.args()).args(args);
    command
}

/// Runs `mqtk pub ARGS` to the end, with `input` on stdin when given.
pub fn publish_with_input(broker: &Broker, args: &[&str], input: Option<Vec<u8>>) -> Finished {
    let what = format!("{}: mqtk pub {}", broker.name, args.join(" "));
    spawn(&what, &mut publisher(broker, args), input).finish()
}

/// Runs `mqtk pub ARGS` and fails the test unless it exits 0.
pub fn publish_ok(broker: &Broker, args: &[&str]) {
    let what = format!("{}: pub {}", broker.name, args.join(" "));
    publish_with_input(broker, args, None).assert_code(0, &what);
}

/// `mqtk sub` with the broker's arguments and `args`, not started yet.
pub fn subscriber(broker: &Broker, args: &[&str]) -> Command {
    let mut command = mqtk();
    command.arg("sub").args(broker.args()).args(args);
    command
}

/// Starts `mqtk sub -d ARGS` and returns once its trace shows the SUBACK.
pub fn subscribe(broker: &Broker, args: &[&str]) -> Running {
    subscribe_with_env(broker, &[], args)
}

/// [`subscribe`] with environment variables (`TZ`, ...) set for the subscriber.
pub fn subscribe_with_env(broker: &Broker, env: &[(&str, &str)], args: &[&str]) -> Running {
    let settings: String = env
        .iter()
        .map(|(name, value)| format!("{name}={value} "))
        .collect();
    let what = format!("{}: {settings}mqtk sub -d {}", broker.name, args.join(" "));
    let mut command = subscriber(broker, args);
    command.envs(env.iter().copied()).arg("-d");
    let mut running = spawn(&what, &mut command, None);
    running.wait_for_stderr("received SUBACK", SUBSCRIBE_TIMEOUT);
    running
}

/// Starts `mqtk sub -t TOPIC -t TOPIC/ready ARGS` without `-d` (whose trace slows a subscriber
/// down) and returns once it printed the retained message "ready" of TOPIC/ready, published
/// first: it is subscribed then. Counting messages (`-C`), count that one too, and call
/// [`clear_ready`] once the subscriber is done.
pub fn subscribe_quietly(broker: &Broker, topic: &str, args: &[&str]) -> Running {
    let ready_topic = format!("{topic}/ready");
    publish_ok(
        broker,
        &["-t", &ready_topic, "-m", "ready", "-r", "-q", "1"],
    );
    let mut all_args = vec!["-t", topic, "-t", &ready_topic];
    all_args.extend(args);
    let what = format!("{}: mqtk sub {}", broker.name, all_args.join(" "));
    let mut running = spawn(&what, &mut subscriber(broker, &all_args), None);
    running.wait_for_stdout(b"ready\n", SUBSCRIBE_TIMEOUT);
    running
}

/// Removes the retained message of [`subscribe_quietly`].
pub fn clear_ready(broker: &Broker, topic: &str) {
    publish_ok(
        broker,
        &["-t", &format!("{topic}/ready"), "-n", "-r", "-q", "1"],
    );
}

/// The payload of [`publish_marker`].
pub const MARKER: &str = "marker";

/// Publishes [`MARKER`] to `topic` at QoS 1 and waits until `subscriber`, subscribed to it and
/// silent so far, printed it (as `MARKER` and a newline).
///
/// For tests that assert that a message does NOT arrive within a subscriber's `-W` window:
/// called after the event under test, it shows that the window was still open after the event
/// (a subscriber that timed out first fails here instead of passing) and that nothing came
/// before the marker. The subscriber then times out (exit code 1) with only the marker printed.
pub fn publish_marker(broker: &Broker, topic: &str, subscriber: &mut Running) {
    publish_ok(broker, &["-t", topic, "-m", MARKER, "-q", "1"]);
    subscriber.wait_for_stdout(format!("{MARKER}\n").as_bytes(), SUBSCRIBE_TIMEOUT);
}

/// Runs `test` once for each broker, all at once, each on a thread named after the broker; a
/// failure on any of them fails the test.
pub fn for_each_broker(brokers: &[Broker], test: impl Fn(&Broker) + Sync) {
    thread::scope(|scope| {
        let test = &test;
        for broker in brokers {
            thread::Builder::new()
                .name(broker.name.to_string())
                .spawn_scoped(scope, move || test(broker))
                .expect("spawn a broker thread");
        }
    });
}

/// The first and last characters of long output, for failure messages.
pub fn shorten(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 400 {
        return text.to_string();
    }
    let head: String = chars[..200].iter().collect();
    let tail: String = chars[chars.len() - 200..].iter().collect();
    format!(
        "{head} [... {} more characters ...] {tail}",
        chars.len() - 400
    )
}

/// The last 20 lines of `text`.
pub fn tail_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let skipped = lines.len().saturating_sub(20);
    let mut tail = String::new();
    if skipped > 0 {
        tail.push_str(&format!("[{skipped} lines before these]\n"));
    }
    tail.push_str(&lines[skipped..].join("\n"));
    tail
}

/// "line-000001\n" ... up to `count`.
pub fn numbered_lines(count: usize) -> Vec<u8> {
    let mut text = Vec::with_capacity(count * 12);
    for n in 1..=count {
        writeln!(text, "line-{n:06}").expect("write to a Vec");
    }
    text
}

/// Asserts that a subscriber printed exactly `expected`, naming the first differing line.
pub fn assert_lines(what: &str, got: &[u8], expected: &[u8]) {
    if got == expected {
        return;
    }
    let got = String::from_utf8_lossy(got);
    let expected = String::from_utf8_lossy(expected);
    let (got_lines, expected_lines): (Vec<&str>, Vec<&str>) =
        (got.lines().collect(), expected.lines().collect());
    let first_difference = got_lines
        .iter()
        .zip(&expected_lines)
        .position(|(a, b)| a != b)
        .unwrap_or(got_lines.len().min(expected_lines.len()));
    panic!(
        "{what}: printed {} lines, expected {}; first difference at line {}: {:?} instead of {:?}",
        got_lines.len(),
        expected_lines.len(),
        first_difference + 1,
        got_lines.get(first_difference),
        expected_lines.get(first_difference),
    );
}

/// The seconds of silence in "no answer from the broker for 1.5s (keep alive 1s)".
pub fn silence(stderr: &str) -> f64 {
    stderr
        .lines()
        .find_map(|line| line.split("no answer from the broker for ").nth(1))
        .and_then(|rest| rest.split('s').next())
        .and_then(|seconds| seconds.parse().ok())
        .unwrap_or_else(|| panic!("no silence said on stderr:\n{stderr}"))
}

/// `--start-at` for shards that begin together `delay` from now, in Unix seconds.
pub fn start_at_in(delay: Duration) -> String {
    (std::time::SystemTime::now() + delay)
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64()
        .to_string()
}

/// Where `count` shards write their JSON reports in `dir`: shard-0.json, shard-1.json, ...
pub fn shard_reports(dir: &std::path::Path, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| dir.join(format!("shard-{i}.json")).display().to_string())
        .collect()
}
