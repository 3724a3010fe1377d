//! A reference figure for `mqtk bench`, not part of mqtk: one rumqttc
//! `AsyncClient` (MQTT 3.1.1, clean session, 100 messages in flight)
//! publishes QoS 1 messages as fast as it can for a while, and the
//! acknowledgements it gets are counted. scripts/bench-load runs it beside
//! `mqtk bench pub -q 1 --inflight 100` against the same broker.
//!
//! The client is used as rumqttc's documentation shows: the event loop polled
//! in a task of its own, publishing in another. Payloads are one shared
//! `Bytes` (`publish_bytes`), rumqttc's cheapest way to publish.
//!
//! ```text
//! cargo build --release --benches
//! target/release/deps/rumqttc_qos1-HASH --port 1883 --seconds 10
//! cargo bench --bench rumqttc_qos1 -- --port 1883 --seconds 10
//! ```
//!
//! Options (or the environment variable in brackets): `--host` [BENCH_HOST,
//! default 127.0.0.1], `--port` [BENCH_PORT], `--seconds` [BENCH_SECONDS,
//! default 10], `--size` [BENCH_SIZE, default 100], `--inflight`
//! [BENCH_INFLIGHT, default 100], `--topic` [BENCH_TOPIC], `--tcp-nodelay`
//! [BENCH_TCP_NODELAY, `true` or `false`, default rumqttc's own, `false`;
//! mqtk sets TCP_NODELAY on its sockets]. Without a port,
//! as in a plain `cargo bench`, there is no broker to load: it says so and
//! exits 0. Prints one line:
//!
//! ```text
//! rumqttc acked_per_s=12345 acked=123456 seconds=10.001 published=123456
//! ```
//!
//! `seconds` runs from the CONNACK to the last acknowledgement of what was
//! published before the deadline (as `mqtk bench` measures until its window
//! has settled).

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rumqttc::{AsyncClient, Event, MqttOptions, NetworkOptions, Outgoing, Packet, QoS};
use tokio::sync::watch;
use tokio::time::Instant;

/// How long to wait, after the deadline, for the last acknowledgements.
const SETTLE: Duration = Duration::from_secs(10);

/// Requests the publishing task may queue ahead of the event loop.
const REQUEST_QUEUE: usize = 1000;

/// What to load, from the command line and the environment.
#[derive(Debug)]
struct Settings {
    host: String,
    port: u16,
    seconds: f64,
    size: usize,
    inflight: u16,
    topic: String,
    tcp_nodelay: bool,
}

impl Settings {
    /// The settings, `Ok(None)` when no port was given.
    fn from_args() -> Result<Option<Settings>, String> {
        let mut given = std::collections::HashMap::new();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            // `cargo bench` adds --bench to a harness-less bench's arguments.
            if arg == "--bench" {
                continue;
            }
            let Some(name) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument {arg:?}"));
            };
            let value = args.next().ok_or(format!("--{name} needs a value"))?;
            given.insert(name.to_string(), value);
        }
        // An option, else its environment variable, else the default.
        let mut setting = |name: &str, env: &str, default: &str| {
            given
                .remove(name)
                .or_else(|| std::env::var(env).ok().filter(|v| !v.is_empty()))
                .unwrap_or_else(|| default.to_string())
        };
        let port = setting("port", "BENCH_PORT", "");
        if port.is_empty() {
            return Ok(None);
        }
        let topic = format!("rumqttc-bench/{}", std::process::id());
        let settings = Settings {
            host: setting("host", "BENCH_HOST", "127.0.0.1"),
            port: parse("--port", &port)?,
            seconds: parse("--seconds", &setting("seconds", "BENCH_SECONDS", "10"))?,
            size: parse("--size", &setting("size", "BENCH_SIZE", "100"))?,
            inflight: parse("--inflight", &setting("inflight", "BENCH_INFLIGHT", "100"))?,
            topic: setting("topic", "BENCH_TOPIC", &topic),
            tcp_nodelay: parse(
                "--tcp-nodelay",
                &setting("tcp-nodelay", "BENCH_TCP_NODELAY", "false"),
            )?,
        };
        if let Some(name) = given.keys().next() {
            return Err(format!("unknown option --{name}"));
        }
        if !(settings.seconds > 0.0 && settings.seconds.is_finite()) || settings.inflight == 0 {
            return Err("--seconds and --inflight must be positive".into());
        }
        Ok(Some(settings))
    }
}

fn parse<T: std::str::FromStr>(name: &str, text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{name}: not a valid value: {text:?}"))
}

/// What the event loop task counted.
#[derive(Debug, Default)]
struct Counts {
    acked: AtomicU64,
    /// When the latest acknowledgement came, in nanoseconds after the CONNACK.
    last_ack_ns: AtomicU64,
}

fn main() -> ExitCode {
    let settings = match Settings::from_args() {
        Ok(Some(settings)) => settings,
        Ok(None) => {
            eprintln!("rumqttc_qos1: no broker given (--port or BENCH_PORT); nothing to measure");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("rumqttc_qos1: {error}");
            return ExitCode::from(2);
        }
    };
    // The same kind of runtime as `mqtk bench`: tokio's multi-threaded one.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(settings)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("rumqttc_qos1: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(settings: Settings) -> Result<String, String> {
    let mut options = MqttOptions::new(
        format!("rumqttc-bench-{}", std::process::id()),
        settings.host.clone(),
        settings.port,
    );
    options
        .set_clean_session(true)
        .set_inflight(settings.inflight)
        .set_keep_alive(Duration::from_secs(60));
    let (client, mut eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
    let mut network = NetworkOptions::new();
    network.set_tcp_nodelay(settings.tcp_nodelay);
    eventloop.set_network_options(network);
    let counts = Arc::new(Counts::default());
    let (connected_tx, mut connected) = watch::channel(None::<Instant>);

    let polling = {
        let counts = counts.clone();
        tokio::spawn(async move {
            let mut start = None;
            loop {
                let event = eventloop
                    .poll()
                    .await
                    .map_err(|e| format!("connection to the broker: {e}"))?;
                match event {
                    Event::Incoming(Packet::ConnAck(_)) => {
                        let now = Instant::now();
                        start = Some(now);
                        let _ = connected_tx.send(Some(now));
                    }
                    Event::Incoming(Packet::PubAck(_)) => {
                        counts.acked.fetch_add(1, Relaxed);
                        let since = start.map_or(0, |s: Instant| s.elapsed().as_nanos());
                        counts
                            .last_ack_ns
                            .store(u64::try_from(since).unwrap_or(u64::MAX), Relaxed);
                    }
                    Event::Outgoing(Outgoing::Disconnect) => return Ok::<_, String>(()),
                    _ => {}
                }
            }
        })
    };

    let start =
        match tokio::time::timeout(Duration::from_secs(10), connected.wait_for(Option::is_some))
            .await
        {
            Ok(Ok(start)) => start.unwrap_or_else(Instant::now),
            Ok(Err(_)) => return Err(ended_with(polling).await),
            Err(_) => return Err("no CONNACK within 10 s".into()),
        };
    let deadline = start + Duration::from_secs_f64(settings.seconds);
    let payload = Bytes::from(vec![b'x'; settings.size]);
    let mut sent = 0u64;
    while Instant::now() < deadline {
        let topic = settings.topic.clone();
        let queued = client.publish_bytes(topic, QoS::AtLeastOnce, false, payload.clone());
        if queued.await.is_err() {
            // The event loop is gone: its error says why.
            return Err(ended_with(polling).await);
        }
        sent += 1;
    }
    // The acknowledgements still due; those that do not come in time are not counted.
    let settle_until = Instant::now() + SETTLE;
    while counts.acked.load(Relaxed) < sent && Instant::now() < settle_until {
        if polling.is_finished() {
            return Err(ended_with(polling).await);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let acked = counts.acked.load(Relaxed);
    let seconds = (counts.last_ack_ns.load(Relaxed) as f64 / 1e9).max(1e-9);
    let ended = async {
        client
            .disconnect()
            .await
            .map_err(|e| format!("disconnect: {e}"))?;
        polling
            .await
            .map_err(|e| format!("the event loop task failed: {e}"))?
    };
    tokio::time::timeout(Duration::from_secs(5), ended)
        .await
        .map_err(|_| "the DISCONNECT did not go out within 5 s".to_string())??;
    Ok(format!(
        "rumqttc acked_per_s={:.0} acked={acked} seconds={seconds:.3} published={sent}",
        acked as f64 / seconds
    ))
}

/// Why the event loop task ended before its time.
async fn ended_with(polling: tokio::task::JoinHandle<Result<(), String>>) -> String {
    match polling.await {
        Ok(Err(error)) => error,
        Ok(Ok(())) => "the event loop ended early".into(),
        Err(error) => format!("the event loop task failed: {error}"),
    }
}
