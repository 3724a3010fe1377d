//! The arguments of `mqtk bench`: what load to make and how to report it.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use super::help::BENCH_MERGE_LONG_HELP;
use super::{qos_parser, ConnectionArgs, SessionArgs, EXIT_CODES};

/// What a bench run exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Publishers and subscribers together, end to end
    Pubsub,
    /// Publishing connections only
    Pub,
    /// Subscribing connections counting what arrives, from any publisher
    Sub,
    /// A connection storm: connect, hold, optionally churn
    Conn,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Pubsub => "pubsub",
            Scenario::Pub => "pub",
            Scenario::Sub => "sub",
            Scenario::Conn => "conn",
        }
    }
}

/// What `mqtk bench` does besides making a load.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Combine the JSON reports of shards that ran together into one report
    ///
    /// Counts and rates add up; percentiles come from the shards' HDR
    /// histograms added together, never from averaged percentiles; a shards
    /// array keeps each report's own figures. Reports of runs that did not
    /// overlap in time, or that differ in QoS, payload size, retain or
    /// warm-up, are refused. The merged report prints (or, with --json, is
    /// written) as a run's report does.
    #[command(
        disable_help_flag = true,
        after_help = EXIT_CODES,
        after_long_help = BENCH_MERGE_LONG_HELP,
    )]
    Merge(BenchMergeArgs),
}

/// Arguments of `mqtk bench merge`.
#[derive(Debug, Args)]
pub struct BenchMergeArgs {
    /// The JSON reports (--json) of the shards, two or more
    #[arg(value_name = "REPORT")]
    pub reports: Vec<PathBuf>,

    /// Write the merged report as JSON to FILE, or to stdout with -
    #[arg(long = "json", value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
}

/// Arguments of `mqtk bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// What else to do than make a load: merge
    #[command(subcommand)]
    pub command: Option<BenchCommand>,

    /// What to measure
    #[arg(value_enum, default_value = "pubsub")]
    pub scenario: Scenario,

    /// None: reports to merge go with mqtk bench merge (this names the mistake)
    #[arg(value_name = "ARG", hide = true)]
    pub unexpected: Vec<std::ffi::OsString>,

    /// Run the groups a TOML load file lists, each with its role, count, topic or filter, rate or interval, QoS, size, retain and share group, reported group by group and in total (see the long help for the format)
    #[arg(long = "load", value_name = "FILE", conflicts_with_all = ["scenario", "clients", "subscribers", "topic", "filter", "rate", "interval", "size", "qos", "retain", "share", "find_max", "offline", "sub_churn", "churn", "embedded"], help_heading = "Load")]
    pub load: Option<PathBuf>,

    /// Connections: publishers (pub, pubsub), subscribers (sub) or connections (conn)
    #[arg(short = 'c', long = "clients", value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=16_777_215), help_heading = "Load")]
    pub clients: u32,

    /// Subscribing connections beside the publishers (pubsub) [default: as many as -c]
    #[arg(short = 'S', long = "subscribers", value_name = "N", value_parser = clap::value_parser!(u32).range(1..), help_heading = "Load")]
    pub subscribers: Option<u32>,

    /// Topic template for publishers: %i client index, %c client id, %u username, %s sequence, %rand_N a number from 1 to N
    #[arg(
        short = 't',
        long = "topic",
        value_name = "TEMPLATE",
        default_value = "mqtk-bench/%i",
        help_heading = "Load"
    )]
    pub topic: String,

    /// Topic filter template for subscribers, with the same % fields [default: the topic template]
    #[arg(
        short = 'T',
        long = "filter",
        value_name = "TEMPLATE",
        help_heading = "Load"
    )]
    pub filter: Option<String>,

    /// Messages per second in all, spread evenly over the publishers and in time [default: as fast as the in-flight window allows]
    #[arg(short = 'R', long = "rate", value_name = "MSG/S", conflicts_with = "interval", value_parser = positive_rate, help_heading = "Load")]
    pub rate: Option<f64>,

    /// Time between two messages of one publisher, e.g. 10ms
    #[arg(short = 'I', long = "interval", value_name = "DURATION", value_parser = parse_duration, help_heading = "Load")]
    pub interval: Option<Duration>,

    /// Payload size in bytes; the first 16 carry the publisher, the sequence number and the send time
    #[arg(short = 's', long = "size", value_name = "BYTES", default_value_t = 16, value_parser = clap::value_parser!(u32).range(16..=268_435_000), help_heading = "Load")]
    pub size: u32,

    /// QoS of the messages and subscriptions: 0, 1 or 2
    #[arg(short = 'q', long, default_value_t = 0, value_parser = qos_parser(), help_heading = "Load")]
    pub qos: u8,

    /// Retain the messages
    #[arg(short = 'r', long, help_heading = "Load")]
    pub retain: bool,

    /// Send the topic in full in every message, never a topic alias in its place (used where the broker allows)
    #[arg(long = "no-topic-alias", help_heading = "Load")]
    pub no_topic_alias: bool,

    /// QoS 1/2 messages in flight per connection [default: the broker's Receive Maximum; 20 under MQTT 3.1.1]
    #[arg(long = "inflight", value_name = "N", value_parser = clap::value_parser!(u16).range(1..), help_heading = "Load")]
    pub inflight: Option<u16>,

    /// How long to publish (or, for conn, hold the connections), e.g. 30s, 2m; 0 runs until Ctrl-C [default: 10s, or until -n]
    #[arg(short = 'd', long = "duration", value_name = "DURATION", value_parser = parse_duration, help_heading = "Load")]
    pub duration: Option<Duration>,

    /// Messages per publisher, then stop
    #[arg(short = 'n', long = "count", value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Load")]
    pub count: Option<u64>,

    /// Leave the first part of the run out of the rates and latencies, e.g. 2s
    #[arg(long = "warmup", value_name = "DURATION", value_parser = parse_duration, default_value = "0s", help_heading = "Load")]
    pub warmup: Duration,

    /// New connections per second [default: as fast as the broker accepts them]
    #[arg(long = "connect-rate", value_name = "CONN/S", value_parser = positive_rate, help_heading = "Load")]
    pub connect_rate: Option<f64>,

    /// Try a connect that could not reach the broker again, up to N times, after 0.1 s, 0.2 s, 0.4 s ... (at most 5 s); a refusal is not retried
    #[arg(
        long = "connect-retries",
        value_name = "N",
        default_value_t = 0,
        help_heading = "Load"
    )]
    pub connect_retries: u32,

    /// Reconnect a connection that was lost, up to N tries an outage, after 0.1 s, 0.2 s, 0.4 s ... (at most 5 s), and resume its session; the report counts reconnects and time offline [default: a lost connection is out of the run]
    #[arg(long = "reconnect", value_name = "N", value_parser = clap::value_parser!(u32).range(1..), help_heading = "Load")]
    pub reconnect: Option<u32>,

    /// Worker threads [default: one per core]. A paced load that needs less than a core spends about a quarter less CPU on one thread, as the threads no longer wake each other
    #[arg(long = "threads", value_name = "N", value_parser = clap::value_parser!(u16).range(1..), help_heading = "Load")]
    pub threads: Option<u16>,

    /// Connect from these local addresses in turn, e.g. 127.0.0.2,127.0.0.3: each has its own ephemeral ports (about 28,000 on Linux)
    #[arg(
        long = "ifaddr",
        value_name = "ADDR,...",
        value_delimiter = ',',
        help_heading = "Load"
    )]
    pub ifaddr: Vec<std::net::IpAddr>,

    /// conn: disconnect and connect again every DURATION, e.g. 1s
    #[arg(long = "churn", value_name = "DURATION", value_parser = parse_duration, help_heading = "Load")]
    pub churn: Option<Duration>,

    /// Subscribers join the shared subscription $share/GROUP/FILTER (give them one filter with -T, e.g. 'mqtk-bench/#'): each message reaches one member; the report gives each member's share and the loss across the group
    #[arg(long = "share", value_name = "GROUP", help_heading = "Load")]
    pub share: Option<String>,

    /// Subscribers go offline for DURATION, AT into the load, their sessions kept (as -c -x), while publishing goes on; then they resume and drain what the broker queued [default AT: the outage centred in -d, or 1s]
    #[arg(long = "offline", value_name = "DURATION[@AT]", value_parser = parse_offline, help_heading = "Load")]
    pub offline: Option<(Duration, Option<Duration>)>,

    /// Subscribers unsubscribe and subscribe again, RATE cycles per second in all, spread over the subscribers, while traffic flows
    #[arg(long = "sub-churn", value_name = "RATE", value_parser = positive_rate, help_heading = "Load")]
    pub sub_churn: Option<f64>,

    /// Run against an embedded broker on free loopback ports, started for the run [then by default: -R 10000 -d 5s]
    #[arg(long, help_heading = "Load", conflicts_with_all = ["host", "port", "url", "unix"])]
    pub embedded: bool,

    /// Make slice I of N of the load (I from 0), so that N processes with the same flags make it together: clients, ids, topics and --rate are split among them
    #[arg(long = "shard", value_name = "I/N", value_parser = parse_shard, help_heading = "Fleet")]
    pub shard: Option<(u32, u32)>,

    /// Begin the load at this time, a Unix time in seconds or RFC 3339 (2026-12-01T12:00:00Z), once connected: shards begin and, with -d, end together
    #[arg(long = "start-at", value_name = "TIME", value_parser = parse_time, help_heading = "Fleet")]
    pub start_at: Option<jiff::Timestamp>,

    /// Search for the highest total rate the broker sustains: steps from -R (default 1,000 msg/s) doubling until one fails, then halving the gap, over the same connections; a step passes when p99 latency is within --target-p99, loss within --max-loss, and the broker keeps up
    #[arg(long = "find-max", conflicts_with_all = ["interval", "count", "duration", "warmup", "shard", "start_at", "max_p99", "share", "offline", "sub_churn"], help_heading = "Search")]
    pub find_max: bool,

    /// --find-max: the 99th percentile latency a step may have, in milliseconds
    #[arg(long = "target-p99", value_name = "MS", default_value_t = 50.0, requires = "find_max", value_parser = positive_ms, help_heading = "Search")]
    pub target_p99: f64,

    /// --find-max: how long each step's load lasts, its first fifth a settling time left out of its figures
    #[arg(long = "step", value_name = "DURATION", default_value = "5s", requires = "find_max", value_parser = parse_duration, help_heading = "Search")]
    pub step: Duration,

    /// --find-max: the highest rate to try, in messages per second in all; a search that passes it ends there
    #[arg(long = "max-rate", value_name = "MSG/S", requires = "find_max", value_parser = positive_rate, help_heading = "Search")]
    pub max_rate: Option<f64>,

    /// Seconds between two progress lines when stderr is not a terminal
    #[arg(long = "report-interval", value_name = "DURATION", value_parser = parse_duration, default_value = "1s", help_heading = "Report")]
    pub report_interval: Duration,

    /// Write the report as JSON to FILE, or to stdout with -
    #[arg(long = "json", value_name = "FILE", help_heading = "Report")]
    pub json: Option<PathBuf>,

    /// Serve the live counters and the latency histogram for Prometheus on ADDR:PORT, e.g. 0.0.0.0:9464
    #[arg(long = "metrics", value_name = "ADDR:PORT", help_heading = "Report")]
    pub metrics: Option<std::net::SocketAddr>,

    /// Exit 1 when more than PERCENT of the messages were lost [default: 0 at QoS 1/2, none at QoS 0]
    #[arg(long = "max-loss", value_name = "PERCENT", help_heading = "Report")]
    pub max_loss: Option<f64>,

    /// Exit 1 when the 99th percentile latency exceeds MS milliseconds
    #[arg(long = "max-p99", value_name = "MS", help_heading = "Report")]
    pub max_p99: Option<f64>,

    #[command(flatten)]
    pub session: SessionArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// A duration as people write it: `250ms`, `1.5s`, `2m`, `1h30m`, or bare
/// seconds, which jiff's friendly format (that reads the rest) leaves out.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let expected = || format!("expected a duration such as 500ms, 10s or 2m, got {text:?}");
    let duration = match text.parse::<f64>() {
        Ok(seconds) => Duration::try_from_secs_f64(seconds).map_err(|_| expected())?,
        Err(_) => {
            let duration: jiff::SignedDuration = text.parse().map_err(|_| expected())?;
            Duration::try_from(duration).map_err(|_| expected())?
        }
    };
    Ok(duration)
}

/// `DURATION[@AT]`: how long, and (when said) how far into the load.
fn parse_offline(text: &str) -> Result<(Duration, Option<Duration>), String> {
    let (duration, at) = match text.split_once('@') {
        Some((duration, at)) => (duration, Some(parse_duration(at)?)),
        None => (text, None),
    };
    let duration = parse_duration(duration)?;
    if duration.is_zero() {
        return Err("the outage must be longer than 0".into());
    }
    Ok((duration, at))
}

/// `I/N` with I below N: which of N shards this is.
fn parse_shard(text: &str) -> Result<(u32, u32), String> {
    let parsed = text
        .split_once('/')
        .and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
    match parsed {
        Some((i, n)) if i < n => Ok((i, n)),
        _ => Err(format!(
            "expected I/N with I from 0 to N - 1, such as 0/3, got {text:?}"
        )),
    }
}

/// A point in time: Unix seconds (fractions allowed) or RFC 3339.
fn parse_time(text: &str) -> Result<jiff::Timestamp, String> {
    if let Ok(seconds) = text.parse::<f64>() {
        let nanos = (seconds * 1e9).round();
        if nanos.is_finite() && nanos.abs() < 9.2e18 {
            return jiff::Timestamp::from_nanosecond(nanos as i128).map_err(|e| e.to_string());
        }
    }
    text.parse().map_err(|e: jiff::Error| {
        format!("expected Unix seconds or an RFC 3339 time such as 2026-12-01T12:00:00Z: {e}")
    })
}

fn positive_ms(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(ms) if ms > 0.0 && ms.is_finite() => Ok(ms),
        _ => Err(format!(
            "expected a positive number of milliseconds, got {text:?}"
        )),
    }
}

fn positive_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate > 0.0 && rate.is_finite() => Ok(rate),
        _ => Err(format!(
            "expected a positive number per second, got {text:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn bench(args: &str) -> Result<BenchArgs, clap::Error> {
        let cli = Cli::try_parse_from(format!("mqtk bench {args}").split_whitespace())?;
        match cli.command {
            Command::Bench(args) => Ok(args),
            _ => panic!("not bench"),
        }
    }

    #[test]
    fn merge_is_a_subcommand_of_its_own_and_takes_no_load_flags() {
        let merge = bench("merge a.json b.json --json c.json").unwrap();
        let Some(BenchCommand::Merge(merge)) = merge.command else {
            panic!("not merge")
        };
        assert_eq!(merge.reports, [PathBuf::from("a.json"), "b.json".into()]);
        assert_eq!(merge.json, Some("c.json".into()));
        for mistake in ["merge -c 10 a.json b.json", "-c 10 merge a.json b.json"] {
            let error = bench(mistake).expect_err(mistake);
            assert_eq!(error.exit_code(), 2, "{mistake}");
        }
        let load = bench("pub -c 10").unwrap();
        assert!(load.command.is_none());
        assert_eq!((load.scenario, load.clients), (Scenario::Pub, 10));
    }

    #[test]
    fn shards_and_times_parse() {
        assert_eq!(parse_shard("2/3"), Ok((2, 3)));
        assert!(parse_shard("3/3").is_err());
        assert!(parse_shard("1").is_err());
        let at = parse_time("1800000000.5").unwrap();
        assert_eq!(at.as_millisecond(), 1_800_000_000_500);
        assert_eq!(
            parse_time("2027-01-15T08:00:00Z").unwrap().as_second(),
            1_800_000_000
        );
        assert!(parse_time("tomorrow").is_err());
    }

    #[test]
    fn an_outage_is_a_duration_and_maybe_when() {
        let s = Duration::from_secs;
        assert_eq!(parse_offline("3s"), Ok((s(3), None)));
        assert_eq!(parse_offline("3s@2s"), Ok((s(3), Some(s(2)))));
        assert_eq!(
            parse_offline("500ms@0"),
            Ok((Duration::from_millis(500), Some(s(0))))
        );
        assert!(parse_offline("0s").is_err());
        assert!(parse_offline("3s@later").is_err());
    }

    #[test]
    fn durations_take_the_usual_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10us"), Ok(Duration::from_micros(10)));
        assert!(parse_duration("2 weeks").is_err());
        assert!(parse_duration("nan").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}
