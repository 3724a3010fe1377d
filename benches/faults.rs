//! The figures of the issue "unreliable networks": how `mqtk pub -l` and `mosquitto_pub -l`
//! get through a failing network, side by side on the same faults in the same run. Each
//! publisher reaches a mosquitto of the bench's own through the fault proxy of the tests
//! (tests/common/fault_proxy.rs); an independent `mosquitto_sub`, connected straight to the
//! broker, counts and timestamps the lines that arrive.
//!
//! ```text
//! cargo bench --bench faults
//! LINES=300 RESETS=3 OUTAGE_S=2 OUTAGE_LINES=20000 cargo bench --bench faults   # a quick check
//! TOOLS=mqtk QOS=1 cargo bench --bench faults
//! ```
//!
//! Settings (environment, defaults in brackets): `LINES` [3000], `RESETS` [20],
//! `RESET_PERIOD_MS` [1000], `OUTAGE_S` [10], `OUTAGE_LINES` [1000000], `TOOLS`
//! [`mqtk,mosquitto_pub`], `QOS` [`1 2`, the QoS levels of the resets case]. Both tools speak
//! MQTT 5 with their default settings otherwise. Needs mosquitto and mosquitto_sub (looked for
//! in PATH, then /usr/sbin, /usr/bin, ...): without them it says so and exits 0; without
//! mosquitto_pub it measures mqtk alone. Everything runs on 127.0.0.1.
//!
//! Two cases, one table each, a row per tool (and QoS):
//!
//! - **resets**: `pub -l -q QOS` is fed LINES numbered lines, evenly paced at 1000 lines/s, or
//!   slower when that would end the feed before the resets: the feed lasts at least until one
//!   period after the last reset, so that every reset hits a publisher with lines coming
//!   (with the defaults, 3000 lines over 21 s: ~143 lines/s). From one period after the first
//!   line arrived, the proxy resets every connection, RESETS times, RESET_PERIOD_MS apart.
//! - **outage**: `pub -l -q 1` is fed OUTAGE_LINES numbered lines as fast as the pipe takes
//!   them. Once the first one arrived, the proxy refuses new connections (it accepts, then
//!   resets them) for OUTAGE_S seconds and resets the open ones.
//!
//! The figures:
//!
//! - `delivered`: the distinct lines that arrived / the lines fed; `dup`: the arrivals beyond
//!   the first of a line. (`mosquitto_pub -l -q 1` loses lines without any fault too when its
//!   input comes faster than it publishes, as scripts/bench-pub notes: compare with care.)
//! - `exit`: the publisher's exit code; `killed` when the bench stopped it, because nothing had
//!   arrived for 40 s after the faults ended (longer than mqtk's longest backoff, 30 s).
//! - `wall`: from the publisher's start to its exit, the faults included.
//! - `recovery median`, `max` (resets): for each reset, the time from the reset to the arrival
//!   at the subscriber of the first line fed to the publisher after it. A reset leaves the path
//!   usable at once, so this is the time from the path coming back to the first message
//!   acknowledged after the reset: noticing the loss, the backoff, connecting again and
//!   sending again what was not acknowledged. `recovered`: the resets after which such a line
//!   arrived at all (the median and max are over those).
//! - `peak RSS` (outage): the largest VmHWM of the publisher process in /proc, read every
//!   100 ms while it runs.
//! - `taken at outage end` (outage): the bytes written into the publisher's stdin when the
//!   outage ended, of the whole input. A publisher that stops reading while its queue is full
//!   holds the writer back; the pipe buffers up to 64 KiB more than it read.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

// The bench uses only part of the proxy's handle.
#[allow(dead_code)]
#[path = "../tests/common/fault_proxy.rs"]
mod fault_proxy;
#[path = "../tests/common/programs.rs"]
mod programs;

use fault_proxy::FaultProxy;
use programs::find_program;

/// Every process of the bench listens and connects on loopback only.
const HOST: &str = "127.0.0.1";

/// The pace of the resets case's feed, at most: lines a second.
const MAX_RATE: f64 = 1000.0;

/// A publisher is stopped when nothing has arrived for this long after the faults ended.
const QUIET_LIMIT: Duration = Duration::from_secs(40);

/// How long the faults wait for the first line to arrive before giving up on a publisher.
const FIRST_ARRIVAL_LIMIT: Duration = Duration::from_secs(30);

/// The counting subscriber is done when nothing has arrived for this long after the publisher
/// exited (or when every line has arrived).
const SETTLE: Duration = Duration::from_secs(1);

/// How often the publisher's exit and memory are looked at.
const POLL: Duration = Duration::from_millis(100);

/// How long the broker and the counting subscriber may take to be ready.
const READY_LIMIT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("faults: {error}");
            return ExitCode::from(2);
        }
    };
    let Some(programs) = Programs::find(&settings.tools) else {
        return ExitCode::SUCCESS;
    };
    match run(&settings, &programs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("faults: {error}");
            ExitCode::FAILURE
        }
    }
}

/// What to measure, from the environment.
struct Settings {
    lines: usize,
    resets: u32,
    reset_period: Duration,
    outage: Duration,
    outage_lines: usize,
    tools: Vec<Tool>,
    qos: Vec<u8>,
}

impl Settings {
    fn from_env() -> Result<Settings, String> {
        let tools = setting::<String>("TOOLS", "mqtk,mosquitto_pub")?
            .split(',')
            .map(|name| Tool::named(name.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        let qos = setting::<String>("QOS", "1 2")?
            .split([' ', ','])
            .filter(|level| !level.is_empty())
            .map(|level| match level.parse() {
                Ok(level @ 0..=2) => Ok(level),
                _ => Err(format!("QOS: {level:?} is not 0, 1 or 2")),
            })
            .collect::<Result<Vec<u8>, _>>()?;
        let outage_s: f64 = setting("OUTAGE_S", "10")?;
        if !(outage_s.is_finite() && outage_s >= 0.0) {
            return Err(format!("OUTAGE_S: {outage_s} is not a number of seconds"));
        }
        let settings = Settings {
            lines: setting("LINES", "3000")?,
            resets: setting("RESETS", "20")?,
            reset_period: Duration::from_millis(setting("RESET_PERIOD_MS", "1000")?),
            outage: Duration::from_secs_f64(outage_s),
            outage_lines: setting("OUTAGE_LINES", "1000000")?,
            tools,
            qos,
        };
        if settings.lines == 0 || settings.outage_lines == 0 || settings.reset_period.is_zero() {
            return Err("LINES, OUTAGE_LINES and RESET_PERIOD_MS must be positive".into());
        }
        Ok(settings)
    }

    /// The pace of the resets case's feed: [`MAX_RATE`], or slower, so that the feed lasts
    /// until one period after the last reset.
    fn reset_feed_rate(&self) -> f64 {
        let periods = f64::from(self.resets + 1) * self.reset_period.as_secs_f64();
        MAX_RATE.min(self.lines as f64 / periods)
    }
}

/// The environment variable `name`, else `default`, parsed.
fn setting<T: FromStr>(name: &str, default: &str) -> Result<T, String> {
    let text = std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .unwrap_or_else(|| default.to_string());
    text.trim()
        .parse()
        .map_err(|_| format!("{name}: not a valid value: {text:?}"))
}

/// A publisher under measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Mqtk,
    MosquittoPub,
}

impl Tool {
    fn named(name: &str) -> Result<Tool, String> {
        match name {
            "mqtk" => Ok(Tool::Mqtk),
            "mosquitto_pub" => Ok(Tool::MosquittoPub),
            _ => Err(format!("TOOLS: {name:?} is neither mqtk nor mosquitto_pub")),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Tool::Mqtk => "mqtk",
            Tool::MosquittoPub => "mosquitto_pub",
        }
    }
}

/// The programs the bench runs, and the tools it measures.
struct Programs {
    mosquitto: PathBuf,
    mosquitto_sub: PathBuf,
    /// Present when it is installed and in TOOLS.
    mosquitto_pub: Option<PathBuf>,
    tools: Vec<Tool>,
}

impl Programs {
    /// Finds the programs `tools` need; says what is missing, and returns `None` when nothing
    /// can be measured (a plain `cargo bench` must not fail for want of mosquitto).
    fn find(tools: &[Tool]) -> Option<Programs> {
        let required = |name: &str| {
            let found = find_program(name);
            if found.is_none() {
                println!("faults: {name} is not installed; nothing to measure");
            }
            found
        };
        let mosquitto = required("mosquitto")?;
        let mosquitto_sub = required("mosquitto_sub")?;
        let mut tools = tools.to_vec();
        let mut mosquitto_pub = None;
        if tools.contains(&Tool::MosquittoPub) {
            mosquitto_pub = find_program("mosquitto_pub");
            if mosquitto_pub.is_none() {
                println!("faults: mosquitto_pub is not installed; measuring mqtk alone");
                tools.retain(|tool| *tool != Tool::MosquittoPub);
            }
        }
        if tools.is_empty() {
            println!("faults: no tool to measure");
            return None;
        }
        Some(Programs {
            mosquitto,
            mosquitto_sub,
            mosquitto_pub,
            tools,
        })
    }

    /// `TOOL pub -l -q QOS` to `topic` through the proxy on `port`.
    fn publisher(&self, tool: Tool, port: u16, topic: &str, qos: u8) -> Command {
        let mut command = match tool {
            Tool::Mqtk => {
                let mut mqtk = mqtk();
                mqtk.arg("pub");
                mqtk
            }
            // Found by Programs::find, or left out of the tools.
            Tool::MosquittoPub => Command::new(
                self.mosquitto_pub
                    .as_deref()
                    .unwrap_or(Path::new("mosquitto_pub")),
            ),
        };
        let (port, qos) = (port.to_string(), qos.to_string());
        command.args([
            "-V", "5", "-h", HOST, "-p", &port, "-t", topic, "-l", "-q", &qos,
        ]);
        command
    }
}

/// The `mqtk` binary cargo built for the bench, without a user's `MQTK_*` settings.
fn mqtk() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mqtk"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("MQTK_") {
            command.env_remove(name);
        }
    }
    command
}

/// Runs every case and prints a table for each.
fn run(settings: &Settings, programs: &Programs) -> Result<(), String> {
    let broker = Mosquitto::start(&programs.mosquitto)?;
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for &qos in &settings.qos {
        for &tool in &programs.tools {
            eprintln!("faults: resets, {} at QoS {qos}", tool.name());
            let row = measure_resets(settings, programs, &broker, tool, qos)?;
            notes.extend(row.note());
            rows.push(row.cells());
        }
    }
    if !rows.is_empty() {
        let title = format!(
            "resets: {} reset{} {} apart, {} lines at ~{:.0}/s",
            settings.resets,
            if settings.resets == 1 { "" } else { "s" },
            period_text(settings.reset_period),
            settings.lines,
            settings.reset_feed_rate()
        );
        print_table(&title, &ResetsRow::HEADER, &rows, &notes);
    }
    let (mut rows, mut notes) = (Vec::new(), Vec::new());
    for &tool in &programs.tools {
        eprintln!("faults: outage, {}", tool.name());
        let row = measure_outage(settings, programs, &broker, tool)?;
        notes.extend(row.note());
        rows.push(row.cells());
    }
    let title = format!(
        "outage: {} s refused from the first arrival, {} lines waiting, QoS 1",
        settings.outage.as_secs_f64(),
        settings.outage_lines
    );
    print_table(&title, &OutageRow::HEADER, &rows, &notes);
    Ok(())
}

/// `pub -l -q QOS` through [`Settings::resets`] resets of every connection.
fn measure_resets(
    settings: &Settings,
    programs: &Programs,
    broker: &Mosquitto,
    tool: Tool,
    qos: u8,
) -> Result<ResetsRow, String> {
    let topic = format!("mqtk-bench/faults/resets/{}/qos{qos}", tool.name());
    let counter = Counter::start(programs, broker.port, &topic, qos)?;
    let proxy = FaultProxy::to(broker.address());
    let lines_fed = AtomicUsize::new(0);
    let stop_faults = AtomicBool::new(false);
    let faults_over = AtomicBool::new(false);
    let mut publisher = Publisher::start(programs.publisher(tool, proxy.port(), &topic, qos))?;
    let stdin = publisher.take_stdin();
    let (ended, resets) = thread::scope(|scope| {
        let rate = settings.reset_feed_rate();
        let lines_fed = &lines_fed;
        scope.spawn(move || feed_paced(stdin, settings.lines, rate, lines_fed));
        let faults = scope.spawn(|| {
            let resets =
                reset_repeatedly(&proxy, settings, &counter.progress, lines_fed, &stop_faults);
            faults_over.store(true, Relaxed);
            resets
        });
        let ended = publisher.wait(&counter.progress, &faults_over);
        stop_faults.store(true, Relaxed);
        let resets = faults.join().map_err(|_| "the resets failed".to_string());
        (ended, resets)
    });
    let resets = resets?;
    let delivery = counter.finish(settings.lines)?;
    let recoveries = resets
        .iter()
        .filter_map(|reset| reset.recovery(&delivery.arrivals))
        .collect();
    Ok(ResetsRow {
        tool,
        qos,
        delivery,
        ended,
        resets: resets.len(),
        recoveries,
    })
}

/// `pub -l -q 1` fed [`Settings::outage_lines`] lines at once, through an outage.
fn measure_outage(
    settings: &Settings,
    programs: &Programs,
    broker: &Mosquitto,
    tool: Tool,
) -> Result<OutageRow, String> {
    let topic = format!("mqtk-bench/faults/outage/{}", tool.name());
    let counter = Counter::start(programs, broker.port, &topic, 1)?;
    let proxy = FaultProxy::to(broker.address());
    let bytes_fed = AtomicU64::new(0);
    let stop_faults = AtomicBool::new(false);
    let faults_over = AtomicBool::new(false);
    let mut publisher = Publisher::start(programs.publisher(tool, proxy.port(), &topic, 1))?;
    let stdin = publisher.take_stdin();
    let (ended, taken) = thread::scope(|scope| {
        let bytes_fed = &bytes_fed;
        scope.spawn(move || feed_flat_out(stdin, settings.outage_lines, bytes_fed));
        let fault = scope.spawn(|| {
            let taken = cut_off(
                &proxy,
                settings.outage,
                &counter.progress,
                bytes_fed,
                &stop_faults,
            );
            faults_over.store(true, Relaxed);
            taken
        });
        let ended = publisher.wait(&counter.progress, &faults_over);
        stop_faults.store(true, Relaxed);
        let taken = fault.join().map_err(|_| "the outage failed".to_string());
        (ended, taken)
    });
    let taken = taken?;
    let delivery = counter.finish(settings.outage_lines)?;
    Ok(OutageRow {
        tool,
        delivery,
        ended,
        taken,
        input: (1..=settings.outage_lines)
            .map(|n| line(n).len() as u64)
            .sum(),
    })
}

/// One reset of every connection.
struct Reset {
    /// How many lines had been written to the publisher just before it.
    lines_fed: usize,
    at: Instant,
}

impl Reset {
    /// The time from the reset to the arrival of the first line fed after it, if one arrived.
    fn recovery(&self, arrivals: &[Arrival]) -> Option<Duration> {
        arrivals
            .iter()
            .find(|arrival| arrival.line > self.lines_fed && arrival.at >= self.at)
            .map(|arrival| arrival.at - self.at)
    }
}

/// From one period after the first arrival, resets every connection `settings.resets` times a
/// period apart, until `stop`; returns the resets done.
fn reset_repeatedly(
    proxy: &FaultProxy,
    settings: &Settings,
    progress: &Progress,
    lines_fed: &AtomicUsize,
    stop: &AtomicBool,
) -> Vec<Reset> {
    let Some(first) = wait_for_first_arrival(progress, stop) else {
        return Vec::new();
    };
    let mut resets = Vec::new();
    for n in 1..=settings.resets {
        if !sleep_until(first + settings.reset_period * n, stop) {
            break;
        }
        resets.push(Reset {
            lines_fed: lines_fed.load(Relaxed),
            at: Instant::now(),
        });
        proxy.reset_all();
    }
    resets
}

/// From the first arrival, refuses new connections for `outage` and resets the open ones;
/// returns how many bytes had been written to the publisher when the outage ended (or `stop`
/// came), `None` when no line arrived to start it.
fn cut_off(
    proxy: &FaultProxy,
    outage: Duration,
    progress: &Progress,
    bytes_fed: &AtomicU64,
    stop: &AtomicBool,
) -> Option<u64> {
    wait_for_first_arrival(progress, stop)?;
    let end = Instant::now() + outage;
    // Refused from before the connection is lost, so that the whole outage is the proxy's.
    proxy.refuse_for(outage);
    proxy.reset_all();
    sleep_until(end, stop);
    Some(bytes_fed.load(Relaxed))
}

/// When the first line arrived (near enough); `None` after `stop` or [`FIRST_ARRIVAL_LIMIT`].
fn wait_for_first_arrival(progress: &Progress, stop: &AtomicBool) -> Option<Instant> {
    let limit = Instant::now() + FIRST_ARRIVAL_LIMIT;
    while progress.arrived.load(Relaxed) == 0 {
        if !sleep_until((Instant::now() + Duration::from_millis(5)).min(limit), stop)
            || Instant::now() >= limit
        {
            return None;
        }
    }
    Some(Instant::now())
}

/// Sleeps until `deadline`; false when `stop` came first.
fn sleep_until(deadline: Instant, stop: &AtomicBool) -> bool {
    loop {
        if stop.load(Relaxed) {
            return false;
        }
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            return true;
        };
        thread::sleep(left.min(Duration::from_millis(10)));
    }
}

/// Line `n` of a feed; the counter reads the number back.
fn line(n: usize) -> String {
    format!("line-{n:07}\n")
}

/// Writes `lines` lines, evenly paced at `rate` a second, counting them in `lines_fed`; stops
/// early when the publisher is gone.
fn feed_paced(mut stdin: ChildStdin, lines: usize, rate: f64, lines_fed: &AtomicUsize) {
    let start = Instant::now();
    for n in 1..=lines {
        let due = start + Duration::from_secs_f64((n - 1) as f64 / rate);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
        // One write a line, so that the count is what the publisher could have read.
        if stdin.write_all(line(n).as_bytes()).is_err() {
            return;
        }
        lines_fed.store(n, Relaxed);
    }
}

/// Writes `lines` lines as fast as the pipe takes them, a few KiB a write, counting the bytes
/// in `bytes_fed`; stops early when the publisher is gone.
fn feed_flat_out(mut stdin: ChildStdin, lines: usize, bytes_fed: &AtomicU64) {
    let mut batch = String::new();
    for n in 1..=lines {
        batch.push_str(&line(n));
        if batch.len() >= 4096 || n == lines {
            if stdin.write_all(batch.as_bytes()).is_err() {
                return;
            }
            bytes_fed.fetch_add(batch.len() as u64, Relaxed);
            batch.clear();
        }
    }
}

/// A publisher process, fed on stdin.
struct Publisher {
    child: Child,
    started: Instant,
    /// The last line the publisher wrote to stderr, once it is done.
    last_error: JoinHandle<Option<String>>,
}

impl Publisher {
    fn start(mut command: Command) -> Result<Publisher, String> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| format!("start {command:?}: {error}"))?;
        let stderr = child.stderr.take().expect("stderr is piped");
        // Read all along, so that a chatty publisher never blocks on a full pipe.
        let last_error = thread::spawn(move || {
            BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
                .filter(|line| !line.trim().is_empty())
                .last()
        });
        Ok(Publisher {
            child,
            started: Instant::now(),
            last_error,
        })
    }

    fn take_stdin(&mut self) -> ChildStdin {
        self.child.stdin.take().expect("stdin is piped")
    }

    /// Waits for the publisher to exit, keeping its peak memory; kills it once nothing has
    /// arrived for [`QUIET_LIMIT`] after the faults ended.
    fn wait(mut self, progress: &Progress, faults_over: &AtomicBool) -> Ended {
        let mut peak_rss_kib = None;
        let mut faults_ended: Option<Instant> = None;
        let exit = loop {
            peak_rss_kib = peak_rss_kib.max(peak_rss_kib_of(self.child.id()));
            match self.child.try_wait() {
                Ok(Some(status)) => break status.code().map_or("signal".into(), |c| c.to_string()),
                Ok(None) => {}
                Err(error) => break format!("wait: {error}"),
            }
            if faults_over.load(Relaxed) {
                let ended = *faults_ended.get_or_insert_with(Instant::now);
                if progress.quiet_since(ended).elapsed() > QUIET_LIMIT {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break "killed".into();
                }
            }
            thread::sleep(POLL);
        };
        let wall = self.started.elapsed();
        let last_error = self.last_error.join().ok().flatten();
        Ended {
            exit,
            wall,
            peak_rss_kib,
            last_error,
        }
    }
}

/// How a publisher ended.
struct Ended {
    /// The exit code, "killed" by the bench, or "signal".
    exit: String,
    wall: Duration,
    peak_rss_kib: Option<u64>,
    last_error: Option<String>,
}

/// The peak resident memory of a process so far, VmHWM in /proc (Linux only).
fn peak_rss_kib_of(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// What the counting subscriber has seen so far, for the other threads.
struct Progress {
    start: Instant,
    ready: AtomicBool,
    /// Numbered lines arrived, duplicates included.
    arrived: AtomicUsize,
    /// Distinct numbered lines arrived.
    distinct: AtomicUsize,
    /// When the latest line arrived, in milliseconds after `start`.
    last_arrival_ms: AtomicU64,
}

impl Progress {
    /// Since when nothing has arrived, counting from `since` at the earliest.
    fn quiet_since(&self, since: Instant) -> Instant {
        if self.arrived.load(Relaxed) == 0 {
            return since;
        }
        let last = self.start + Duration::from_millis(self.last_arrival_ms.load(Relaxed));
        last.max(since)
    }
}

/// A line that arrived at the counting subscriber, and when.
struct Arrival {
    line: usize,
    at: Instant,
}

/// What arrived of a feed.
struct Delivery {
    lines: usize,
    distinct: usize,
    duplicates: usize,
    arrivals: Vec<Arrival>,
}

/// An independent `mosquitto_sub`, connected straight to the broker, that counts and
/// timestamps the numbered lines arriving on a topic.
struct Counter {
    child: Child,
    progress: Arc<Progress>,
    reader: JoinHandle<Vec<Arrival>>,
}

impl Counter {
    /// Starts `mosquitto_sub -q QOS` on `topic` and returns once it is subscribed: it has
    /// received the retained "ready" of `topic`/ready, which is published first.
    fn start(programs: &Programs, port: u16, topic: &str, qos: u8) -> Result<Counter, String> {
        let port = port.to_string();
        let ready_topic = format!("{topic}/ready");
        let status = mqtk()
            .args(["pub", "-h", HOST, "-p", &port, "-t", &ready_topic])
            .args(["-m", "ready", "-r", "-q", "1"])
            .stdin(Stdio::null())
            .status()
            .map_err(|error| format!("run mqtk pub: {error}"))?;
        if !status.success() {
            return Err(format!("mqtk pub of {ready_topic} failed: {status}"));
        }
        let mut child = Command::new(&programs.mosquitto_sub)
            .args(["-h", HOST, "-p", &port, "-t", topic, "-t", &ready_topic])
            .args(["-q", &qos.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("start mosquitto_sub: {error}"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let progress = Arc::new(Progress {
            start: Instant::now(),
            ready: AtomicBool::new(false),
            arrived: AtomicUsize::new(0),
            distinct: AtomicUsize::new(0),
            last_arrival_ms: AtomicU64::new(0),
        });
        let reader = {
            let progress = progress.clone();
            thread::spawn(move || read_arrivals(stdout, &progress))
        };
        let counter = Counter {
            child,
            progress,
            reader,
        };
        let limit = Instant::now() + READY_LIMIT;
        while !counter.progress.ready.load(Relaxed) {
            if Instant::now() > limit {
                let _ = counter.stop();
                return Err(format!(
                    "mosquitto_sub on {topic} was not ready in {READY_LIMIT:?}"
                ));
            }
            thread::sleep(Duration::from_millis(10));
        }
        Ok(counter)
    }

    /// Once every one of `lines` lines has arrived, or nothing has for [`SETTLE`], stops the
    /// subscriber and returns what arrived.
    fn finish(self, lines: usize) -> Result<Delivery, String> {
        let called = Instant::now();
        while self.progress.distinct.load(Relaxed) < lines {
            if self.progress.quiet_since(called).elapsed() > SETTLE {
                break;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let arrivals = self.stop()?;
        let mut seen = vec![false; lines + 1];
        let mut distinct = 0;
        for arrival in &arrivals {
            if let Some(seen @ false) = seen.get_mut(arrival.line) {
                *seen = true;
                distinct += 1;
            }
        }
        Ok(Delivery {
            lines,
            distinct,
            duplicates: arrivals.len() - distinct,
            arrivals,
        })
    }

    fn stop(mut self) -> Result<Vec<Arrival>, String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.reader
            .join()
            .map_err(|_| "the counting subscriber's reader failed".to_string())
    }
}

/// Reads the subscriber's output to its end, one payload a line.
fn read_arrivals(stdout: impl Read, progress: &Progress) -> Vec<Arrival> {
    let mut arrivals = Vec::new();
    let mut seen: Vec<bool> = Vec::new();
    let mut stdout = BufReader::new(stdout);
    let mut text = Vec::new();
    while matches!(stdout.read_until(b'\n', &mut text), Ok(len) if len > 0) {
        let at = Instant::now();
        let payload = String::from_utf8_lossy(&text);
        let payload = payload.trim_end();
        if payload == "ready" {
            progress.ready.store(true, Relaxed);
        } else if let Some(line) = payload.strip_prefix("line-").and_then(|n| n.parse().ok()) {
            arrivals.push(Arrival { line, at });
            if seen.len() <= line {
                seen.resize(line + 1, false);
            }
            if !std::mem::replace(&mut seen[line], true) {
                progress.distinct.fetch_add(1, Relaxed);
            }
            let since_start = at.duration_since(progress.start).as_millis();
            progress
                .last_arrival_ms
                .store(u64::try_from(since_start).unwrap_or(u64::MAX), Relaxed);
            progress.arrived.fetch_add(1, Relaxed);
        }
        text.clear();
    }
    arrivals
}

/// A mosquitto of the bench's own, on a free port; killed when dropped.
struct Mosquitto {
    child: Child,
    port: u16,
    /// Its configuration and log; removed when dropped, after mosquitto is killed.
    _dir: tempfile::TempDir,
}

impl Mosquitto {
    fn start(exe: &Path) -> Result<Mosquitto, String> {
        let dir = tempfile::Builder::new()
            .prefix("mqtk-bench-faults-")
            .tempdir()
            .map_err(|error| format!("a temporary directory for mosquitto: {error}"))?;
        let port = TcpListener::bind((HOST, 0))
            .and_then(|listener| listener.local_addr())
            .map_err(|error| format!("a free port: {error}"))?
            .port();
        // No limit on the queue towards the counting subscriber: mosquitto's default (1000
        // messages) drops what a subscriber that falls behind has not taken yet, which would
        // count against the publisher.
        let config = format!(
            "listener {port} {HOST}\n\
             allow_anonymous true\n\
             persistence false\n\
             max_queued_messages 0\n\
             max_queued_bytes 0\n"
        );
        let config_file = dir.path().join("mosquitto.conf");
        let log_file = dir.path().join("mosquitto.log");
        std::fs::write(&config_file, config).map_err(|error| format!("{error}"))?;
        let log = std::fs::File::create(&log_file).map_err(|error| format!("{error}"))?;
        let child = Command::new(exe)
            .arg("-c")
            .arg(&config_file)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|error| format!("{error}"))?)
            .stderr(log)
            .spawn()
            .map_err(|error| format!("start {}: {error}", exe.display()))?;
        let mut mosquitto = Mosquitto {
            child,
            port,
            _dir: dir,
        };
        let limit = Instant::now() + READY_LIMIT;
        while TcpStream::connect(mosquitto.address()).is_err() {
            let exited = mosquitto.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > limit {
                let log = std::fs::read_to_string(&log_file).unwrap_or_default();
                return Err(format!("mosquitto did not start; its log:\n{log}"));
            }
            thread::sleep(Duration::from_millis(20));
        }
        Ok(mosquitto)
    }

    fn address(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A row of the resets table.
struct ResetsRow {
    tool: Tool,
    qos: u8,
    delivery: Delivery,
    ended: Ended,
    /// The resets done while the publisher ran.
    resets: usize,
    recoveries: Vec<Duration>,
}

impl ResetsRow {
    const HEADER: [&'static str; 9] = [
        "tool",
        "qos",
        "delivered",
        "dup",
        "exit",
        "wall",
        "recovered",
        "recovery median",
        "max",
    ];

    fn cells(&self) -> Vec<String> {
        let mut recoveries = self.recoveries.clone();
        recoveries.sort();
        let or_dash = |time: Option<&Duration>| time.map_or("-".into(), |time| seconds(*time));
        vec![
            self.tool.name().into(),
            self.qos.to_string(),
            self.delivery.delivered(),
            self.delivery.duplicates.to_string(),
            self.ended.exit.clone(),
            seconds(self.ended.wall),
            format!("{}/{}", recoveries.len(), self.resets),
            or_dash(median(&recoveries).as_ref()),
            or_dash(recoveries.last()),
        ]
    }

    fn note(&self) -> Option<String> {
        self.ended
            .note(&format!("{} at QoS {}", self.tool.name(), self.qos))
    }
}

/// A row of the outage table.
struct OutageRow {
    tool: Tool,
    delivery: Delivery,
    ended: Ended,
    /// The bytes of input written to the publisher when the outage ended.
    taken: Option<u64>,
    /// The bytes of the whole input.
    input: u64,
}

impl OutageRow {
    const HEADER: [&'static str; 7] = [
        "tool",
        "delivered",
        "dup",
        "exit",
        "wall",
        "peak RSS",
        "taken at outage end",
    ];

    fn cells(&self) -> Vec<String> {
        let kib = |bytes: u64| bytes.div_ceil(1024);
        vec![
            self.tool.name().into(),
            self.delivery.delivered(),
            self.delivery.duplicates.to_string(),
            self.ended.exit.clone(),
            seconds(self.ended.wall),
            self.ended
                .peak_rss_kib
                .map_or("-".into(), |rss| format!("{:.1} MiB", rss as f64 / 1024.0)),
            self.taken.map_or("-".into(), |taken| {
                format!("{} of {} KiB", kib(taken), kib(self.input))
            }),
        ]
    }

    fn note(&self) -> Option<String> {
        self.ended.note(self.tool.name())
    }
}

impl Delivery {
    fn delivered(&self) -> String {
        format!("{}/{}", self.distinct, self.lines)
    }
}

impl Ended {
    /// The publisher's last word on stderr, when it did not exit 0.
    fn note(&self, run: &str) -> Option<String> {
        let last_error = self.last_error.as_deref().filter(|_| self.exit != "0")?;
        Some(format!("{run}, exit {}: {last_error}", self.exit))
    }
}

/// The median of sorted `times`.
fn median(times: &[Duration]) -> Option<Duration> {
    let middle = times.len() / 2;
    match times.len() {
        0 => None,
        len if len % 2 == 1 => Some(times[middle]),
        _ => Some((times[middle - 1] + times[middle]) / 2),
    }
}

fn seconds(time: Duration) -> String {
    format!("{:.2} s", time.as_secs_f64())
}

/// "1 s", or "250 ms" when the period is not whole seconds.
fn period_text(period: Duration) -> String {
    if period.subsec_millis() == 0 {
        format!("{} s", period.as_secs())
    } else {
        format!("{} ms", period.as_millis())
    }
}

/// Prints a title, the columns aligned under `header`, and the notes.
fn print_table(title: &str, header: &[&str], rows: &[Vec<String>], notes: &[String]) {
    let mut widths: Vec<usize> = header.iter().map(|name| name.len()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let print_row = |cells: &mut dyn Iterator<Item = &str>| {
        let line: Vec<String> = cells
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    };
    println!("\n{title}");
    print_row(&mut header.iter().copied());
    for row in rows {
        print_row(&mut row.iter().map(String::as_str));
    }
    for note in notes {
        println!("  {note}");
    }
}
