//! One connection task, from connecting to its end: set up (see
//! [`super::connect`]), then its role's loop, publishing, receiving or
//! holding, riding out lost connections with --reconnect, and what it did
//! as an [`Outcome`].

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::connect::{subscribe, Endpoint, Gate, Recovery};
use super::finish::LOST;
use super::header::Clock;
use super::histograms::{Recorder, Series};
use super::outcome::Outcome;
use super::plan::{BenchPlan, Group, Role};
use super::publisher::{self, Identity};
use super::schedule::{Cancel, Schedule, Step, StopCondition};
use super::stats::{Live, Samples};
use super::subscriber;
use crate::client::{Client, ClientError, Ending};

/// What every connection task shares.
pub struct Shared {
    pub plan: BenchPlan,
    pub clock: Clock,
    pub gate: Gate,
    /// The instant publishing starts, once every connection is up.
    pub start: watch::Receiver<Option<Instant>>,
    /// Ends publishers (and, through `stop_holding`, idle connections): Ctrl-C.
    pub stop: Cancel,
    /// Ends subscribers, once what was published had time to arrive.
    pub stop_receiving: CancellationToken,
    /// Ends idle connections: at the deadline, or Ctrl-C. One timer for all of
    /// them: a timer and a cancellation waiter each cost a held connection
    /// about 300 bytes, near a tenth of it.
    pub stop_holding: CancellationToken,
    /// Where samples go: the histograms of the thread that takes them.
    pub recorder: Arc<Recorder>,
    /// --find-max: the step publishers follow.
    pub steps: watch::Sender<Step>,
    /// Latency is sampled for messages due from then on (ns since the
    /// epoch): the end of a step's settling time with --find-max.
    pub latency_from_ns: AtomicU64,
    /// Cancelled once the publishers are done: no subscriber leaves after it
    /// (--offline, --sub-churn).
    pub published: CancellationToken,
    /// Subscribers away (offline, or unsubscribed) now: the drain waits for them.
    pub away: AtomicU64,
}

impl Shared {
    /// What the connections of `plan` share, and the sender that tells them
    /// when the load starts.
    pub fn new(plan: BenchPlan) -> (Shared, watch::Sender<Option<Instant>>) {
        let (start, start_rx) = watch::channel(None);
        let mut recorder = Recorder::new(plan.metrics.is_some());
        recorder.immediate = plan.search.is_some();
        recorder.per_group = plan.load.is_some();
        let shared = Shared {
            gate: Gate::new(plan.connect_rate),
            plan,
            clock: Clock::new(),
            start: start_rx,
            stop: Cancel::default(),
            stop_receiving: CancellationToken::new(),
            stop_holding: CancellationToken::new(),
            recorder: Arc::new(recorder),
            steps: watch::Sender::new(Step::default()),
            latency_from_ns: AtomicU64::new(0),
            published: CancellationToken::new(),
            away: AtomicU64::new(0),
        };
        (shared, start)
    }

    /// When publishers and idle connections stop, for a load that began at `start`.
    pub fn deadline(&self, start: Instant) -> StopCondition {
        StopCondition {
            deadline: self.plan.duration.map(|d| start + d),
            count: self.plan.count,
            cancel: self.stop.clone(),
        }
    }

    /// Ends the run now: Ctrl-C.
    pub fn cancel(&self) {
        self.stop.cancel();
        self.stop_receiving.cancel();
        self.stop_holding.cancel();
    }

    /// Waits for the load to start, and says when it did.
    async fn started(&self) -> Instant {
        let mut start = self.start.clone();
        let started = match start.wait_for(Option::is_some).await {
            Ok(start) => start.unwrap_or_else(Instant::now),
            Err(_) => Instant::now(),
        };
        started
    }
}

/// One connection task's own: who it is, its counters, what it did.
pub struct Connection<'a> {
    pub(super) shared: &'a Shared,
    pub(super) me: Endpoint,
    pub(super) live: &'a Live,
    pub(super) outcome: Outcome,
    /// Connect times, for the connect histogram.
    pub(super) connects: Samples<'a>,
}

/// How a connection's role ended.
enum End {
    /// With the connection up, at the deadline, the count or Ctrl-C.
    Up(Box<Client>),
    /// The broker or the network ended it, or reconnecting failed.
    Lost(anyhow::Error),
    /// --churn: connecting again failed (counted already).
    Gone,
}

impl End {
    fn of(client: Box<Client>, result: anyhow::Result<()>) -> End {
        match result {
            Ok(()) => End::Up(client),
            Err(error) => End::Lost(error),
        }
    }
}

/// One connection, from connecting to its end; `ready` hears once it is set
/// up (or could not be).
///
/// The phases' large futures (the handshake, publishing, receiving) are
/// boxed, so that a connection that only holds costs little memory: a task
/// is as large as its largest state, for as long as it lives.
pub async fn run(
    shared: Arc<Shared>,
    role: Role,
    index: u32,
    live: Arc<Live>,
    ready: mpsc::UnboundedSender<anyhow::Result<()>>,
) -> Outcome {
    let mut task = Connection {
        me: Endpoint::of(&shared.plan, role, index),
        connects: Samples::new(Series::Connect, &shared.recorder)
            .of_group(shared.plan.group_index(role, index)),
        outcome: Outcome {
            role: Some(role),
            index,
            group: shared.plan.group_index(role, index),
            ..Outcome::default()
        },
        shared: &shared,
        live: &live,
    };
    let client = match Box::pin(task.set_up(role, index)).await {
        Ok(client) => client,
        Err(error) => {
            if task.outcome.connected > 0 {
                task.count_failure(&error);
                live.up.store(0, Relaxed);
            }
            let _ = ready.send(Err(error));
            return task.outcome;
        }
    };
    let _ = ready.send(Ok(()));
    drop(ready);
    let start = shared.started().await;
    let end = match role {
        Role::Publisher => task.publishing(client, index, start).await,
        Role::Subscriber => task.receiving(client, index, start).await,
        Role::Idle => task.holding(client).await,
    };
    match end {
        End::Up(client) => {
            let v5 = client.protocol().is_v5();
            let _ = Box::pin(client.end(Ending::Disconnect)).await;
            if !v5 {
                Box::pin(task.forget_session()).await;
            }
        }
        End::Lost(error) => task.count_lost(&error),
        End::Gone => {}
    }
    live.up.store(0, Relaxed);
    task.outcome
}

impl<'a> Connection<'a> {
    /// The group this connection is in.
    fn group(&self) -> &'a Group {
        &self.shared.plan.groups[self.me.group]
    }

    /// Publishes on schedule until the run stops it.
    async fn publishing(&mut self, mut client: Box<Client>, index: u32, start: Instant) -> End {
        let shared = self.shared;
        let plan = &shared.plan;
        let group = self.group();
        let filling = group.filling(index, &self.me.client_id, plan.username());
        let topic = (!group.topic.varies_per_message()).then(|| group.topic.filled(filling));
        self.outcome.topic = topic.clone();
        let pacing = (group.pacing(index)).map(|(interval, offset)| (start + offset, interval));
        let mut schedule = match plan.search {
            Some(_) => Schedule::stepped(shared.steps.subscribe(), index, plan.all.publishers),
            None => Schedule::new(pacing),
        };
        let stop = shared.deadline(start);
        let mut lateness = Samples::new(Series::Lateness, &shared.recorder).of_group(self.me.group);
        loop {
            let identity = Identity {
                index,
                client_id: &self.me.client_id,
                topic: topic.as_deref(),
            };
            let published = Box::pin(publisher::publish(
                &mut client,
                plan,
                group,
                identity,
                &mut schedule,
                &stop,
                self.live,
                &mut lateness,
                &shared.clock,
                start + plan.warmup,
                &mut self.outcome.published,
            ))
            .await;
            if let Some(end) = Box::pin(self.go_on(&mut client, published)).await {
                return End::of(client, end);
            }
        }
    }

    /// Receives until the subscribers are stopped; leaves for a while when
    /// --offline or --sub-churn says.
    async fn receiving(&mut self, mut client: Box<Client>, index: u32, start: Instant) -> End {
        let shared = self.shared;
        let mut latency = Samples::new(Series::Latency, &shared.recorder).of_group(self.me.group);
        let mut subacks = Samples::new(Series::Suback, &shared.recorder);
        let measured_from_ns = shared.clock.ns(start + shared.plan.warmup);
        let mut leaves = Leaves::new(&shared.plan, index, start);
        if leaves.is_some() {
            self.outcome.received.gaps = Some(Box::default());
        }
        if self.group().share.is_some() {
            self.outcome.received.seen = Some(Box::default());
        }
        loop {
            let until = leaves.as_ref().and_then(Leaves::next);
            let received = Box::pin(subscriber::receive(
                &mut client,
                subscriber::Until {
                    cancel: &shared.stop_receiving,
                    leave_at: until,
                },
                self.live,
                &mut latency,
                &shared.clock,
                measured_from_ns,
                &shared.latency_from_ns,
                &mut self.outcome.received,
            ))
            .await;
            let due = until.is_some_and(|until| Instant::now() >= until);
            let leave = received.is_ok() && due && !shared.stop_receiving.is_cancelled();
            let Some(leaves) = leaves.as_mut().filter(|_| leave) else {
                if let Some(end) = Box::pin(self.go_on(&mut client, received)).await {
                    return End::of(client, end);
                }
                continue;
            };
            let kind = leaves.take();
            if shared.published.is_cancelled() {
                continue;
            }
            let left = match kind {
                Leave::Offline(away) => match Box::pin(self.outage(client, away)).await {
                    Ok(Some(back)) => {
                        client = back;
                        continue;
                    }
                    Ok(None) => return End::Gone,
                    Err(error) => return End::Lost(error),
                },
                Leave::Churn => Box::pin(self.churn(&mut client, &mut subacks)).await,
            };
            if let Err(error) = left {
                match error.downcast::<ClientError>() {
                    Ok(error) => {
                        if let Some(end) = Box::pin(self.go_on(&mut client, Err(error))).await {
                            return End::of(client, end);
                        }
                    }
                    Err(error) => return End::Lost(error),
                }
            }
        }
    }

    /// --offline under MQTT 3.1.1, which has no session expiry: a subscriber
    /// whose session was kept for the outage ends it once the run is over (a
    /// clean connect, at once ended), unless -c or -x asked to keep it.
    async fn forget_session(&mut self) {
        let plan = &self.shared.plan;
        let expire = plan.offline.as_ref().is_some_and(|o| o.expire_at_end);
        if self.outcome.role != Some(Role::Subscriber) || !expire {
            return;
        }
        let mut options = self.me.options(plan);
        options.clean_start = true;
        if let Ok(client) = crate::commands::connect(&options).await {
            let _ = client.end(Ending::Disconnect).await;
        }
    }

    /// --offline: disconnects with the session kept, stays away for `away`
    /// while publishing goes on, and connects again to resume it (subscribing
    /// again if the broker did not keep it). `None` when the run ended
    /// meanwhile.
    async fn outage(
        &mut self,
        client: Box<Client>,
        away: Duration,
    ) -> anyhow::Result<Option<Box<Client>>> {
        let shared = self.shared;
        let left = Instant::now();
        self.leave();
        let _ = Box::pin(client.end(Ending::Disconnect)).await;
        self.live.up.store(0, Relaxed);
        tokio::select! {
            _ = tokio::time::sleep(away) => {}
            _ = shared.stop_receiving.cancelled() => {
                shared.away.fetch_sub(1, Relaxed);
                return Ok(None);
            }
        }
        self.me.back = true;
        let mut client = Box::pin(self.establish()).await;
        if let Ok(client) = &mut client {
            if !client.connack().session_present {
                if let Some(gaps) = &mut self.outcome.received.gaps {
                    gaps.sessions_lost += 1;
                }
                if let Some(filter) = self.outcome.filter.clone() {
                    let subscribed = subscribe(client, &filter, self.group().qos).await;
                    if let Err(error) = subscribed {
                        shared.away.fetch_sub(1, Relaxed);
                        return Err(error);
                    }
                }
            }
        }
        self.come_back(left.elapsed());
        client.map(Some)
    }

    /// --sub-churn: unsubscribes and subscribes again, timing the SUBACK.
    async fn churn(
        &mut self,
        client: &mut Client,
        subacks: &mut Samples<'_>,
    ) -> anyhow::Result<()> {
        let Some(filter) = self.outcome.filter.clone() else {
            return Ok(());
        };
        let left = Instant::now();
        self.leave();
        let churned = async {
            client.unsubscribe(vec![filter.clone()]).await?;
            let asked = Instant::now();
            subscribe(client, &filter, self.group().qos).await?;
            subacks.record(asked.elapsed());
            anyhow::Ok(())
        }
        .await;
        self.come_back(left.elapsed());
        churned
    }

    /// The subscriber leaves: its gaps open.
    fn leave(&mut self) {
        self.shared.away.fetch_add(1, Relaxed);
        let received = &mut self.outcome.received;
        if let Some(gaps) = &mut received.gaps {
            gaps.open(&received.tracks);
        }
    }

    /// The subscriber is back, after `away`: every message due from now on
    /// must reach it.
    fn come_back(&mut self, away: Duration) {
        self.shared.away.fetch_sub(1, Relaxed);
        let now_ns = self.shared.clock.now_ns();
        if let Some(gaps) = &mut self.outcome.received.gaps {
            gaps.back(now_ns, away);
        }
    }

    /// conn: holds the connection, keeping it alive, until the run ends; with
    /// --churn, disconnects and connects again every so often.
    async fn holding(&mut self, mut client: Box<Client>) -> End {
        let shared = self.shared;
        loop {
            let churn = async {
                match shared.plan.churn {
                    Some(every) => tokio::time::sleep(every).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shared.stop_holding.cancelled() => return End::Up(client),
                _ = churn => {}
                error = lost(&mut client) => {
                    if !rides_out(&shared.plan, &error) {
                        return End::Lost(error.into());
                    }
                    match Box::pin(self.recover(&mut client, error)).await {
                        Recovery::Back => continue,
                        Recovery::Stopped => return End::Up(client),
                        Recovery::Failed(error) => return End::Lost(error),
                    }
                }
            }
            let _ = Box::pin(client.end(Ending::Disconnect)).await;
            self.live.up.store(0, Relaxed);
            match Box::pin(self.establish()).await {
                Ok(next) => client = next,
                Err(_) => return End::Gone,
            }
        }
    }

    /// What follows when a connection's work returned `result`: `None` to go
    /// on with it, reconnected after a loss it rides out, or how it ends.
    async fn go_on(
        &mut self,
        client: &mut Client,
        result: Result<(), ClientError>,
    ) -> Option<anyhow::Result<()>> {
        match result {
            Err(error) if rides_out(&self.shared.plan, &error) => {
                match Box::pin(self.recover(client, error)).await {
                    Recovery::Back => None,
                    Recovery::Stopped => Some(Ok(())),
                    Recovery::Failed(error) => Some(Err(error)),
                }
            }
            result => Some(result.map_err(Into::into)),
        }
    }

    /// Counts a failure of this connection, by reason.
    pub(super) fn count_failure(&mut self, error: &anyhow::Error) {
        Live::add(&self.live.errors, 1);
        self.outcome.failures.push(reason(error));
    }

    /// Counts a connection that was up and was lost.
    fn count_lost(&mut self, error: &anyhow::Error) {
        Live::add(&self.live.errors, 1);
        self.outcome
            .failures
            .push(format!("{LOST}{}", reason(error)));
        self.live.up.store(0, Relaxed);
    }
}

/// Why a subscriber leaves.
enum Leave {
    /// --offline, for this long.
    Offline(Duration),
    /// --sub-churn: one unsubscribe-subscribe cycle.
    Churn,
}

/// When a subscriber leaves next: once for --offline, at its turn every so
/// often for --sub-churn (the rate spread over all subscribers of all shards,
/// and in time).
struct Leaves {
    next: Option<Instant>,
    /// --sub-churn: the time between two cycles of one subscriber.
    every: Option<Duration>,
    offline: Option<Duration>,
}

impl Leaves {
    fn new(plan: &BenchPlan, index: u32, start: Instant) -> Option<Leaves> {
        if let Some(offline) = &plan.offline {
            return Some(Leaves {
                next: Some(start + offline.at),
                every: None,
                offline: Some(offline.duration),
            });
        }
        let rate = plan.sub_churn?;
        let every = Duration::from_secs_f64(f64::from(plan.all.subscribers) / rate);
        let offset = Duration::from_secs_f64(f64::from(index) / rate);
        Some(Leaves {
            next: Some(start + offset + every),
            every: Some(every),
            offline: None,
        })
    }

    fn next(&self) -> Option<Instant> {
        self.next
    }

    /// The leave that is due, and the next one planned.
    fn take(&mut self) -> Leave {
        match (self.offline, self.every) {
            (Some(away), _) => {
                self.next = None;
                Leave::Offline(away)
            }
            (None, every) => {
                // A cycle that fell behind skips the turns it missed.
                let now = Instant::now();
                self.next = self.next.zip(every).map(|(mut next, every)| {
                    while next <= now {
                        next += every;
                    }
                    next
                });
                Leave::Churn
            }
        }
    }
}

/// Whether a connection that failed with `error` reconnects (--reconnect).
fn rides_out(plan: &BenchPlan, error: &ClientError) -> bool {
    plan.reconnect.is_some() && error.is_connection_loss()
}

/// Keeps a connection alive, taking what arrives, until it fails.
async fn lost(client: &mut Client) -> ClientError {
    loop {
        if let Err(error) = client.next_event().await {
            return error;
        }
    }
}

/// A failure as the report groups it: the error and its causes on one line,
/// as mqtk prints errors.
pub fn reason(error: &anyhow::Error) -> String {
    crate::commands::error_line(error)
}
