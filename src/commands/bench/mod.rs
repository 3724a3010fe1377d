//! `mqtk bench`: a load generator on mqtk's own client.
//!
//! The pipeline, after oha's: [`plan`] turns the flags into a plan; one task
//! per connection connects (through a gate that paces connecting), then
//! publishes ([`publisher`], paced by [`schedule`]), subscribes
//! ([`subscriber`]) or holds; each owns its counters and sample buffers
//! ([`stats`]); [`live`] shows their sum while the run goes on, and
//! [`report`] the whole of it at the end.
//!
//! The run: connect everything (subscribers subscribed), start all
//! publishers at one instant, stop them at the deadline, count or Ctrl-C,
//! let the subscribers drain what is still on its way, report.

mod finish;
mod header;
mod limits;
mod live;
mod merge;
mod metrics;
mod plan;
mod publisher;
mod report;
mod schedule;
mod stats;
mod subscriber;
mod summary;
mod template;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::cli::BenchArgs;
use crate::client::{Client, ClientError, Ending, Options};
use crate::codec::{topic, Properties, QoS, Subscription};
use crate::commands::{connect, Interrupt, Interrupted};
use header::Clock;
use plan::{BenchPlan, Role};
use publisher::{Identity, Published};
use schedule::{Schedule, StopCondition};
use stats::{Live, Received, Samples, Series, Snapshot, Totals};

/// Connections that may be in their handshake at once when no
/// --connect-rate paces them: enough to connect thousands a second on a
/// LAN, few enough not to overflow a broker's listen backlog (mosquitto's is
/// 100; beyond it, SYNs are dropped and retried a second later).
const CONNECTING_AT_ONCE: usize = 64;

/// The wait before the first retry of a failed connect, doubling up to the limit.
const RETRY_BACKOFF: Duration = Duration::from_millis(100);
const RETRY_BACKOFF_LIMIT: Duration = Duration::from_secs(5);

/// How long subscribers may go without a message, after the publishers are
/// done, before what has not arrived counts as lost.
const DRAIN_QUIET: Duration = Duration::from_secs(1);

/// The longest drain, however much is still arriving.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

pub async fn run(args: BenchArgs) -> anyhow::Result<u8> {
    if args.scenario == crate::cli::Scenario::Merge {
        return merge::run(&args.reports, args.json.as_ref());
    }
    let mut plan = BenchPlan::new(&args)?;
    limits::check(
        u64::from(plan.total_connections()),
        plan.embedded,
        plan.sources.len(),
    )?;
    let interrupt = Interrupt::new()?;
    // The embedded broker lives as long as the run.
    let _broker = embedded::start(&mut plan)?;
    let finished = Bench::new(plan).run(interrupt).await?;
    finished.finish()
}

/// `--embedded`: a broker of mqtk's own on free loopback ports.
mod embedded {
    use super::BenchPlan;

    #[cfg(feature = "broker")]
    pub fn start(plan: &mut BenchPlan) -> anyhow::Result<Option<crate::broker::EmbeddedBroker>> {
        use crate::broker::{EmbeddedBroker, EmbeddedConfig};
        use crate::codec::Protocol;
        if !plan.embedded {
            return Ok(None);
        }
        let broker = EmbeddedBroker::start(EmbeddedConfig::default())?;
        // One listener per protocol version; MQTT 5 unless pinned.
        let addr = match plan.options.protocol {
            None | Some(Protocol::V5) => broker.v5_addr(),
            Some(Protocol::V311) => broker.v311_addr(),
            Some(Protocol::V31) => {
                return crate::commands::usage("the embedded broker does not speak MQTT 3.1")
            }
        };
        plan.options.host = addr.ip().to_string();
        plan.options.port = addr.port();
        // Said once, beside the progress lines: the broker shares mqtk's CPU.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "mqtk bench: an embedded broker (rumqttd) on {addr}, in this process: \
             a demonstration, not a measurement of a broker"
        );
        Ok(Some(broker))
    }

    #[cfg(not(feature = "broker"))]
    pub fn start(plan: &mut BenchPlan) -> anyhow::Result<Option<()>> {
        if plan.embedded {
            anyhow::bail!(
                "this mqtk was built without the embedded broker (cargo feature \"broker\"); \
                 build it with the default features for --embedded"
            );
        }
        Ok(None)
    }
}

/// What every connection task shares.
struct Shared {
    plan: BenchPlan,
    clock: Clock,
    gate: Gate,
    /// The instant publishing starts, once every connection is up.
    start: watch::Receiver<Option<Instant>>,
    /// Ends publishers (and, through `stop_holding`, idle connections): Ctrl-C.
    stop: CancellationToken,
    /// Ends subscribers, once what was published had time to arrive.
    stop_receiving: CancellationToken,
    /// Ends idle connections: at the deadline, or Ctrl-C. One timer for all of
    /// them: a timer and a cancellation waiter each cost a held connection
    /// about 300 bytes, near a tenth of it.
    stop_holding: CancellationToken,
    samples: mpsc::UnboundedSender<(Series, Vec<u64>)>,
}

/// What one connection task did.
#[derive(Debug, Default)]
struct Outcome {
    role: Option<Role>,
    attempts: u64,
    connected: u64,
    failures: Vec<String>,
    published: Published,
    received: Received,
    /// A publisher's topic, when it is the same for every message.
    topic: Option<String>,
    filter: Option<String>,
    /// --reconnect: how often the connection was made again, and the time
    /// it spent offline, in all and at the longest.
    reconnects: u64,
    offline: Duration,
    longest_offline: Duration,
}

/// Paces connecting: at --connect-rate, or as many at once as a broker takes.
struct Gate {
    /// The rate, when pacing began, and how many connects it has let through.
    paced: Option<(f64, Instant, AtomicU64)>,
    at_once: Semaphore,
}

impl Gate {
    fn new(rate: Option<f64>) -> Gate {
        Gate {
            paced: rate.map(|rate| (rate, Instant::now(), AtomicU64::new(0))),
            at_once: Semaphore::new(CONNECTING_AT_ONCE),
        }
    }

    /// Connects through the gate, and measures how long the handshake took.
    async fn connect(&self, options: &Options) -> (anyhow::Result<Client>, Duration) {
        // A paced connect waits its turn; an unpaced one, for a free place.
        let _permit = match &self.paced {
            Some((rate, start, admitted)) => {
                let k = admitted.fetch_add(1, Relaxed);
                let due = *start + Duration::from_secs_f64(k as f64 / rate);
                tokio::time::sleep_until(due).await;
                None
            }
            None => self.at_once.acquire().await.ok(),
        };
        let began = Instant::now();
        let result = Box::pin(connect(options)).await;
        (result, began.elapsed())
    }
}

struct Bench {
    shared: Arc<Shared>,
    start: watch::Sender<Option<Instant>>,
    collector: tokio::task::JoinHandle<stats::Histograms>,
    lives: Vec<Arc<Live>>,
    /// The histogram --metrics serves, fed by the collector.
    live_latency: Option<prometheus_client::metrics::histogram::Histogram>,
}

impl Bench {
    fn new(plan: BenchPlan) -> Bench {
        let live_latency = plan.metrics.map(|_| metrics::latency_histogram());
        let (samples, collector) = stats::collector(live_latency.clone());
        let (start, start_rx) = watch::channel(None);
        let shared = Shared {
            gate: Gate::new(plan.connect_rate),
            plan,
            clock: Clock::new(),
            start: start_rx,
            stop: CancellationToken::new(),
            stop_receiving: CancellationToken::new(),
            stop_holding: CancellationToken::new(),
            samples,
        };
        Bench {
            shared: Arc::new(shared),
            start,
            collector,
            live_latency,
            lives: Vec::new(),
        }
    }

    async fn run(mut self, mut interrupt: Interrupt) -> anyhow::Result<finish::Finished> {
        let plan = &self.shared.plan;
        let began = Instant::now();
        let cpu_before = finish::cpu_time();
        let connections: Vec<(Role, u32)> = plan.connections().collect();
        self.lives = connections.iter().map(|_| Arc::default()).collect();
        // Serving first: a taken --metrics port ends the run before anything connects.
        let metrics = match (plan.metrics, self.live_latency.take()) {
            (Some(addr), Some(latency)) => {
                Some(metrics::serve(addr, self.lives.clone(), latency).await?)
            }
            _ => None,
        };
        let (ready_tx, mut ready) = mpsc::unbounded_channel();
        let (mut senders, mut receivers) = (Vec::new(), Vec::new());
        for (&(role, index), live) in connections.iter().zip(&self.lives) {
            let task = tokio::spawn(connection(
                self.shared.clone(),
                role,
                index,
                live.clone(),
                ready_tx.clone(),
            ));
            match role {
                Role::Subscriber => receivers.push(task),
                Role::Publisher | Role::Idle => senders.push(task),
            }
        }
        drop(ready_tx);
        let mut display = live::Display::new(plan, self.lives.clone());

        // Everyone connects (and subscribes) first.
        let mut first_error = None;
        let mut up = 0;
        let connecting = async {
            while let Some(result) = ready.recv().await {
                match result {
                    Ok(()) => up += 1,
                    Err(error) => {
                        first_error.get_or_insert(error);
                    }
                }
            }
        };
        let mut interrupted = showing(&mut display, &mut interrupt, connecting)
            .await
            .is_none();
        if up == 0 && !interrupted {
            display.clear();
            return Err(first_error.unwrap_or_else(|| anyhow::anyhow!("no connection was made")));
        }

        let connected = Instant::now();

        // Shards begin together, at --start-at.
        if let (Some(at), false) = (plan.start_at, interrupted) {
            let wait = at.duration_since(jiff::Timestamp::now());
            match Duration::try_from(wait) {
                Ok(wait) => {
                    let waiting = tokio::time::sleep(wait);
                    interrupted = showing(&mut display, &mut interrupt, waiting)
                        .await
                        .is_none();
                }
                Err(_) => crate::client::warn(&format!(
                    "--start-at {at} passed {:.1} s ago, once connected: starting now",
                    -wait.as_secs_f64()
                )),
            }
        }

        // Then the load, all at once, until the deadline, the count or Ctrl-C.
        let start = Instant::now();
        let measured_from = start + plan.warmup;
        let _ = self.start.send(Some(start));
        display.started(start);
        if interrupted {
            self.cancel();
        }
        let (outcomes, published) = {
            let shared = &self.shared;
            let lives = &self.lives;
            let work = async {
                if senders.is_empty() {
                    shared.deadline(start).wait().await;
                }
                let holding = tokio::spawn({
                    let stop = shared.deadline(start);
                    let stop_holding = shared.stop_holding.clone();
                    async move {
                        stop.wait().await;
                        stop_holding.cancel();
                    }
                });
                let outcomes = join(senders).await;
                holding.abort();
                let mut outcomes = outcomes?;
                // The load ends at its deadline; publishers that end later
                // only waited for acknowledgements (or caught up, briefly).
                let ended = Instant::now();
                let published = match shared.deadline(start).deadline {
                    // (The stop token is cancelled by Ctrl-C only.)
                    Some(deadline) if !shared.stop.is_cancelled() => deadline.min(ended),
                    _ => ended,
                };
                if plan.publishers > 0 && plan.subscribers > 0 {
                    drain_subscribers(lives).await;
                }
                shared.stop_receiving.cancel();
                outcomes.extend(join(receivers).await?);
                anyhow::Ok((outcomes, published))
            };
            tokio::pin!(work);
            loop {
                match showing(&mut display, &mut interrupt, &mut work).await {
                    Some(outcomes) => break outcomes?,
                    // A second Ctrl-C: stop waiting for the connections to end.
                    None if interrupted => return Err(Interrupted.into()),
                    None => {
                        interrupted = true;
                        self.cancel();
                    }
                }
            }
        };
        let ended = Instant::now();
        display.clear();
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        let cpu = finish::cpu_time()
            .zip(cpu_before)
            .map(|(after, before)| after - before);
        let shared = Arc::try_unwrap(self.shared)
            .map_err(|_| anyhow::anyhow!("a connection task outlived the run"))?;
        drop(shared.samples);
        let histograms = self
            .collector
            .await
            .context("the statistics collector failed")?;
        let totals = totals(&shared.plan, &outcomes);
        let timing = finish::Timing {
            connecting: connected - began,
            measured: published.saturating_duration_since(measured_from),
            measured_from_ns: shared.clock.ns(measured_from),
            started_ns: shared.clock.ns(start),
            ended_ns: shared.clock.ns(ended),
            cpu,
            interrupted,
        };
        Ok(finish::Finished::new(
            shared.plan,
            totals,
            histograms,
            timing,
        ))
    }

    /// Ends the run now: Ctrl-C.
    fn cancel(&self) {
        self.shared.stop.cancel();
        self.shared.stop_receiving.cancel();
        self.shared.stop_holding.cancel();
    }
}

impl Shared {
    /// When publishers and idle connections stop, for a load that began at `start`.
    fn deadline(&self, start: Instant) -> StopCondition {
        StopCondition {
            deadline: self.plan.duration.map(|d| start + d),
            count: self.plan.count,
            cancel: self.stop.clone(),
        }
    }
}

/// Waits for `work` while the display goes on; `None` when Ctrl-C comes
/// first, which leaves `work` where it was.
async fn showing<T>(
    display: &mut live::Display,
    interrupt: &mut Interrupt,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            value = &mut work => return Some(value),
            _ = display.tick() => {}
            _ = interrupt.recv() => return None,
        }
    }
}

/// The outcomes of connection tasks, in order.
async fn join(tasks: Vec<tokio::task::JoinHandle<Outcome>>) -> anyhow::Result<Vec<Outcome>> {
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.context("a connection task failed")?);
    }
    Ok(outcomes)
}

/// Lets subscribers take what is still arriving after the publishers are
/// done: until nothing came for a second, or 10 seconds at most.
async fn drain_subscribers(lives: &[Arc<Live>]) {
    let limit = Instant::now() + DRAIN_LIMIT;
    let mut last = Snapshot::of(lives).received;
    let mut quiet_since = Instant::now();
    while Instant::now() < limit && quiet_since.elapsed() < DRAIN_QUIET {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = Snapshot::of(lives).received;
        if now != last {
            last = now;
            quiet_since = Instant::now();
        }
    }
}

/// One connection, from connecting to its end.
///
/// The phases' large futures (the handshake, publishing, receiving) are
/// boxed, so that a connection that only holds costs little memory: a task
/// is as large as its largest state, for as long as it lives.
async fn connection(
    shared: Arc<Shared>,
    role: Role,
    index: u32,
    live: Arc<Live>,
    ready: mpsc::UnboundedSender<anyhow::Result<()>>,
) -> Outcome {
    let plan = &shared.plan;
    let mut outcome = Outcome {
        role: Some(role),
        ..Outcome::default()
    };
    let me = Endpoint {
        client_id: plan.client_id(role, index),
        source: plan.source(plan.place(role, index) as usize),
    };
    let client_id = &me.client_id;
    let mut connects = Samples::new(Series::Connect, &shared.samples);
    let connected = Box::pin(set_up(
        &shared,
        role,
        index,
        &me,
        &mut outcome,
        &mut connects,
        &live,
    ))
    .await;
    let mut client = match connected {
        Ok(client) => {
            let _ = ready.send(Ok(()));
            client
        }
        Err(error) => {
            if outcome.connected > 0 {
                Live::add(&live.errors, 1);
                outcome.failures.push(reason(&error));
                live.up.store(0, Relaxed);
            }
            let _ = ready.send(Err(error));
            return outcome;
        }
    };
    drop(ready);
    let mut start = shared.start.clone();
    let start = match start.wait_for(Option::is_some).await {
        Ok(start) => start.unwrap_or_else(Instant::now),
        Err(_) => Instant::now(),
    };
    let measured_from = start + plan.warmup;
    let result: anyhow::Result<()> = match role {
        Role::Publisher => {
            let filling = template::Filling {
                index,
                client_id,
                username: plan.username(),
            };
            let topic = (!plan.topic.varies_per_message()).then(|| plan.topic.filled(filling));
            outcome.topic = topic.clone();
            let pacing = plan
                .pacing(index)
                .map(|(interval, offset)| (start + offset, interval));
            let stop = shared.deadline(start);
            let mut lateness = Samples::new(Series::Lateness, &shared.samples);
            let identity = Identity {
                index,
                client_id,
                topic: topic.as_deref(),
            };
            let mut schedule = Schedule::new(pacing);
            loop {
                let published = Box::pin(publisher::publish(
                    &mut client,
                    plan,
                    identity,
                    &mut schedule,
                    &stop,
                    &live,
                    &mut lateness,
                    &shared.clock,
                    measured_from,
                    &mut outcome.published,
                ))
                .await;
                let next = go_on(&shared, &mut client, &me, &mut outcome, &live, published);
                if let Some(end) = Box::pin(next).await {
                    break end;
                }
            }
        }
        Role::Subscriber => {
            let mut latency = Samples::new(Series::Latency, &shared.samples);
            loop {
                let received = Box::pin(subscriber::receive(
                    &mut client,
                    &shared.stop_receiving,
                    &live,
                    &mut latency,
                    &shared.clock,
                    shared.clock.ns(measured_from),
                    &mut outcome.received,
                ))
                .await;
                let next = go_on(&shared, &mut client, &me, &mut outcome, &live, received);
                if let Some(end) = Box::pin(next).await {
                    break end;
                }
            }
        }
        Role::Idle => {
            let held = hold(&shared, client, &me, &mut outcome, &mut connects, &live).await;
            match held {
                Held::Ended(held) => client = held,
                Held::Lost(error) => {
                    record_lost(&mut outcome, &live, &error);
                    return outcome;
                }
                Held::NotReconnected => return outcome,
            }
            Ok(())
        }
    };
    match result {
        Ok(()) => {
            let _ = Box::pin(client.end(Ending::Disconnect)).await;
        }
        Err(error) => record_lost(&mut outcome, &live, &error),
    }
    live.up.store(0, Relaxed);
    outcome
}

/// Counts a connection that was up and was lost.
fn record_lost(outcome: &mut Outcome, live: &Live, error: &anyhow::Error) {
    Live::add(&live.errors, 1);
    outcome
        .failures
        .push(format!("{}{}", finish::LOST, reason(error)));
    live.up.store(0, Relaxed);
}

/// Who a connection is: its client id, and the local address it connects from.
struct Endpoint {
    client_id: String,
    source: Option<std::net::IpAddr>,
}

/// Connects and, for a subscriber, subscribes.
async fn set_up(
    shared: &Shared,
    role: Role,
    index: u32,
    me: &Endpoint,
    outcome: &mut Outcome,
    connects: &mut Samples,
    live: &Live,
) -> anyhow::Result<Box<Client>> {
    let plan = &shared.plan;
    let mut client = establish(shared, me, outcome, connects, live).await?;
    if role == Role::Subscriber {
        let filter = plan.filter.filled(template::Filling {
            index,
            client_id: &me.client_id,
            username: plan.username(),
        });
        topic::validate_filter(&filter)
            .with_context(|| format!("invalid topic filter {filter:?}"))?;
        subscribe(&mut client, &filter, plan.qos).await?;
        outcome.filter = Some(filter);
    }
    Ok(client)
}

/// Subscribes a subscriber's connection to its filter.
async fn subscribe(client: &mut Client, filter: &str, qos: QoS) -> anyhow::Result<()> {
    let suback = client
        .subscribe(
            vec![Subscription::new(filter.to_string(), qos)],
            Properties::default(),
        )
        .await?;
    if let Some(reason) = suback.reasons.iter().find(|r| r.is_error()) {
        anyhow::bail!("the broker refused the subscription to {filter:?}: {reason}");
    }
    Ok(())
}

/// Whether a connection that failed with `error` reconnects (--reconnect).
fn rides_out(plan: &BenchPlan, error: &ClientError) -> bool {
    plan.reconnect.is_some() && error.is_connection_loss()
}

/// How an outage ended.
enum Recovery {
    /// Connected again: the session resumed, or a subscriber subscribed again
    /// and a publisher's unfinished messages published again as new.
    Back,
    /// The run ended (its deadline, Ctrl-C) before the connection was back.
    Stopped,
    /// --reconnect's tries ran out, or the broker refused us.
    Failed(anyhow::Error),
}

/// What follows when a connection's work returned `result`: `None` to go on
/// with it, reconnected after a loss it rides out, or how the connection ends.
async fn go_on(
    shared: &Shared,
    client: &mut Client,
    me: &Endpoint,
    outcome: &mut Outcome,
    live: &Live,
    result: Result<(), ClientError>,
) -> Option<anyhow::Result<()>> {
    match result {
        Err(error) if rides_out(&shared.plan, &error) => {
            match Box::pin(recover(shared, client, me, outcome, live, error)).await {
                Recovery::Back => None,
                Recovery::Stopped => Some(Ok(())),
                Recovery::Failed(error) => Some(Err(error)),
            }
        }
        result => Some(result.map_err(Into::into)),
    }
}

/// Reconnects a connection lost to `cause`, up to --reconnect tries an outage
/// with a backoff that doubles, counting the reconnect and the time offline.
async fn recover(
    shared: &Shared,
    client: &mut Client,
    me: &Endpoint,
    outcome: &mut Outcome,
    live: &Live,
    mut cause: ClientError,
) -> Recovery {
    let lost_at = Instant::now();
    live.up.store(0, Relaxed);
    let options = connection_options(shared, me);
    let tries = shared.plan.reconnect.unwrap_or(0);
    let stopped = async {
        match outcome.role {
            Some(Role::Subscriber) => shared.stop_receiving.cancelled().await,
            Some(Role::Idle) => shared.stop_holding.cancelled().await,
            _ => shared.stop.cancelled().await,
        }
    };
    tokio::pin!(stopped);
    let mut backoff = RETRY_BACKOFF;
    let mut tried = 0;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = &mut stopped => return Recovery::Stopped,
        }
        backoff = (backoff * 2).min(RETRY_BACKOFF_LIMIT);
        tried += 1;
        outcome.attempts += 1;
        let resumption = match client.reconnect(&options).await {
            Ok(resumption) => resumption,
            Err(error) if error.is_transient() && tried < tries => {
                cause = error;
                continue;
            }
            Err(error) => {
                let error = anyhow::Error::new(error).context(format!(
                    "lost ({cause}), and {tried} tr{} to reconnect failed",
                    if tried == 1 { "y" } else { "ies" }
                ));
                return Recovery::Failed(error);
            }
        };
        let back = async {
            if let (false, Some(filter)) = (resumption.session_present, &outcome.filter) {
                subscribe(client, filter, shared.plan.qos).await?;
            }
            for message in resumption.unfinished {
                client.publish(message).await?;
            }
            anyhow::Ok(())
        };
        match back.await {
            Ok(()) => {}
            Err(error) => match error.downcast::<ClientError>() {
                Ok(lost) if lost.is_connection_loss() => {
                    cause = lost;
                    continue;
                }
                Ok(error) => return Recovery::Failed(error.into()),
                Err(error) => return Recovery::Failed(error),
            },
        }
        let offline = lost_at.elapsed();
        outcome.reconnects += 1;
        outcome.offline += offline;
        outcome.longest_offline = outcome.longest_offline.max(offline);
        live.up.store(1, Relaxed);
        return Recovery::Back;
    }
}

/// The options of one connection: the plan's, with its client id and the
/// local address it connects from.
fn connection_options(shared: &Shared, me: &Endpoint) -> Options {
    let mut options = Options {
        client_id: me.client_id.clone(),
        ..shared.plan.options.clone()
    };
    options.route.source = me.source;
    options
}

/// Connects, counting each attempt and timing the handshake; a connect that
/// could not reach the broker is tried again (--connect-retries) after a
/// backoff that doubles, but not one the broker refused: it would refuse again.
async fn establish(
    shared: &Shared,
    me: &Endpoint,
    outcome: &mut Outcome,
    connects: &mut Samples,
    live: &Live,
) -> anyhow::Result<Box<Client>> {
    let options = connection_options(shared, me);
    let mut backoff = RETRY_BACKOFF;
    let mut retries = shared.plan.connect_retries;
    loop {
        outcome.attempts += 1;
        let (result, took) = shared.gate.connect(&options).await;
        let error = match result {
            Ok(client) => {
                connects.record(took);
                outcome.connected += 1;
                live.up.store(1, Relaxed);
                return Ok(Box::new(client));
            }
            Err(error) => error,
        };
        Live::add(&live.errors, 1);
        outcome.failures.push(reason(&error));
        let unreachable =
            crate::commands::client_error(&error).is_some_and(ClientError::is_unreachable);
        if retries == 0 || !unreachable || shared.stop.is_cancelled() {
            return Err(error);
        }
        retries -= 1;
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shared.stop.cancelled() => return Err(error),
        }
        backoff = (backoff * 2).min(RETRY_BACKOFF_LIMIT);
    }
}

/// How holding a connection ended.
enum Held {
    /// At the deadline or Ctrl-C, with the connection up.
    Ended(Box<Client>),
    /// The broker or the network ended it.
    Lost(anyhow::Error),
    /// --churn: connecting again failed (counted already).
    NotReconnected,
}

/// conn: holds the connection, keeping it alive, until the run ends; with
/// --churn, disconnects and connects again every so often.
async fn hold(
    shared: &Shared,
    mut client: Box<Client>,
    me: &Endpoint,
    outcome: &mut Outcome,
    connects: &mut Samples,
    live: &Live,
) -> Held {
    loop {
        let churn = async {
            match shared.plan.churn {
                Some(every) => tokio::time::sleep(every).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = shared.stop_holding.cancelled() => return Held::Ended(client),
            _ = churn => {}
            error = lost(&mut client) => {
                if !rides_out(&shared.plan, &error) {
                    return Held::Lost(error.into());
                }
                match Box::pin(recover(shared, &mut client, me, outcome, live, error)).await {
                    Recovery::Back => continue,
                    Recovery::Stopped => return Held::Ended(client),
                    Recovery::Failed(error) => return Held::Lost(error),
                }
            }
        }
        let _ = Box::pin(client.end(Ending::Disconnect)).await;
        live.up.store(0, Relaxed);
        match Box::pin(establish(shared, me, outcome, connects, live)).await {
            Ok(next) => client = next,
            Err(_) => return Held::NotReconnected,
        }
    }
}

/// Keeps a connection alive, taking what arrives, until it fails.
async fn lost(client: &mut Client) -> crate::client::ClientError {
    loop {
        if let Err(error) = client.next_event().await {
            return error;
        }
    }
}

/// A failure as the report groups it: the error and its causes on one line,
/// as mqtk prints errors.
fn reason(error: &anyhow::Error) -> String {
    format!("{error:#}")
}

/// Adds up what every connection did, and works out what was lost.
fn totals(plan: &BenchPlan, outcomes: &[Outcome]) -> Totals {
    let mut totals = Totals::default();
    let mut unique = 0;
    for outcome in outcomes {
        totals.attempted += outcome.attempts;
        totals.connected += outcome.connected;
        totals.reconnects += outcome.reconnects;
        totals.reconnected += u64::from(outcome.reconnects > 0);
        totals.offline += outcome.offline;
        totals.longest_offline = totals.longest_offline.max(outcome.longest_offline);
        for failure in &outcome.failures {
            totals.fail(failure.clone());
        }
        totals.sent += outcome.published.sent;
        totals.acked += outcome.published.acked;
        totals.rejected += outcome.published.rejected;
        totals.sent_in_warmup += outcome.published.in_warmup;
        let received = &outcome.received;
        totals.received_measured += received.measured;
        totals.bytes_measured += received.measured_bytes;
        totals.last_arrival_ns = totals.last_arrival_ns.max(received.last_ns);
        totals.received += received.foreign;
        for track in received.tracks.values() {
            unique += track.unique;
            totals.received += track.unique + track.duplicates;
            totals.duplicates += track.duplicates;
            totals.reordered += track.reordered;
        }
    }
    totals.expected = expected_deliveries(plan, outcomes);
    totals.lost = totals
        .expected
        .map(|expected| expected.saturating_sub(unique));
    totals
}

/// How many deliveries the subscribers should have seen: for each
/// subscription, the messages sent to the topics it matches. Unknown when
/// topics vary per message.
fn expected_deliveries(plan: &BenchPlan, outcomes: &[Outcome]) -> Option<u64> {
    use std::collections::HashMap;
    if plan.publishers == 0 || plan.subscribers == 0 {
        return None;
    }
    let mut sent_to: HashMap<&str, u64> = HashMap::new();
    for outcome in outcomes.iter().filter(|o| o.role == Some(Role::Publisher)) {
        if outcome.connected == 0 {
            continue;
        }
        *sent_to.entry(outcome.topic.as_deref()?).or_default() += outcome.published.sent;
    }
    // Subscriptions by filter; a shared subscription's group gets each
    // message once, however many share it.
    let mut filters: HashMap<&str, u64> = HashMap::new();
    for outcome in outcomes.iter().filter(|o| o.role == Some(Role::Subscriber)) {
        if let Some(filter) = &outcome.filter {
            let deliveries = filters.entry(filter).or_default();
            *deliveries = if filter.starts_with("$share/") {
                1
            } else {
                *deliveries + 1
            };
        }
    }
    let mut expected = 0;
    for (filter, subscribers) in filters {
        let filter = match filter.strip_prefix("$share/") {
            Some(rest) => rest.split_once('/').map_or(rest, |(_, filter)| filter),
            None => filter,
        };
        let matching: u64 = if filter.contains(['+', '#']) {
            sent_to
                .iter()
                .filter(|(topic, _)| topic::matches(filter, topic))
                .map(|(_, sent)| sent)
                .sum()
        } else {
            sent_to.get(filter).copied().unwrap_or(0)
        };
        expected += subscribers * matching;
    }
    Some(expected)
}
