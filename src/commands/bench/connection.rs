//! One connection task, from connecting to its end: set up (see
//! [`super::connect`]), then its role's loop, publishing, receiving or
//! holding, riding out lost connections with --reconnect, and what it did
//! as an [`Outcome`].

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::connect::{Endpoint, Gate, Recovery};
use super::finish::LOST;
use super::header::Clock;
use super::histograms::{Recorder, Series};
use super::outcome::Outcome;
use super::plan::{BenchPlan, Role};
use super::publisher::{self, Identity};
use super::schedule::{Schedule, Step, StopCondition};
use super::stats::{Live, Samples};
use super::subscriber;
use super::template::Filling;
use crate::client::{Client, ClientError, Ending};

/// What every connection task shares.
pub struct Shared {
    pub plan: BenchPlan,
    pub clock: Clock,
    pub gate: Gate,
    /// The instant publishing starts, once every connection is up.
    pub start: watch::Receiver<Option<Instant>>,
    /// Ends publishers (and, through `stop_holding`, idle connections): Ctrl-C.
    pub stop: CancellationToken,
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
}

impl Shared {
    /// What the connections of `plan` share, and the sender that tells them
    /// when the load starts.
    pub fn new(plan: BenchPlan) -> (Shared, watch::Sender<Option<Instant>>) {
        let (start, start_rx) = watch::channel(None);
        let mut recorder = Recorder::new(plan.metrics.is_some());
        recorder.immediate = plan.search.is_some();
        let shared = Shared {
            gate: Gate::new(plan.connect_rate),
            plan,
            clock: Clock::new(),
            start: start_rx,
            stop: CancellationToken::new(),
            stop_receiving: CancellationToken::new(),
            stop_holding: CancellationToken::new(),
            recorder: Arc::new(recorder),
            steps: watch::Sender::new(Step::default()),
            latency_from_ns: AtomicU64::new(0),
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
        connects: Samples::new(Series::Connect, &shared.recorder),
        outcome: Outcome {
            role: Some(role),
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
        Role::Subscriber => task.receiving(client, start).await,
        Role::Idle => task.holding(client).await,
    };
    match end {
        End::Up(client) => {
            let _ = Box::pin(client.end(Ending::Disconnect)).await;
        }
        End::Lost(error) => task.count_lost(&error),
        End::Gone => {}
    }
    live.up.store(0, Relaxed);
    task.outcome
}

impl Connection<'_> {
    /// Publishes on schedule until the run stops it.
    async fn publishing(&mut self, mut client: Box<Client>, index: u32, start: Instant) -> End {
        let shared = self.shared;
        let plan = &shared.plan;
        let filling = Filling {
            index,
            client_id: &self.me.client_id,
            username: plan.username(),
        };
        let topic = (!plan.topic.varies_per_message()).then(|| plan.topic.filled(filling));
        self.outcome.topic = topic.clone();
        let pacing = (plan.pacing(index)).map(|(interval, offset)| (start + offset, interval));
        let mut schedule = match plan.search {
            Some(_) => Schedule::stepped(shared.steps.subscribe(), index, plan.all.publishers),
            None => Schedule::new(pacing),
        };
        let stop = shared.deadline(start);
        let mut lateness = Samples::new(Series::Lateness, &shared.recorder);
        loop {
            let identity = Identity {
                index,
                client_id: &self.me.client_id,
                topic: topic.as_deref(),
            };
            let published = Box::pin(publisher::publish(
                &mut client,
                plan,
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

    /// Receives until the subscribers are stopped.
    async fn receiving(&mut self, mut client: Box<Client>, start: Instant) -> End {
        let shared = self.shared;
        let mut latency = Samples::new(Series::Latency, &shared.recorder);
        let measured_from_ns = shared.clock.ns(start + shared.plan.warmup);
        loop {
            let received = Box::pin(subscriber::receive(
                &mut client,
                &shared.stop_receiving,
                self.live,
                &mut latency,
                &shared.clock,
                measured_from_ns,
                &shared.latency_from_ns,
                &mut self.outcome.received,
            ))
            .await;
            if let Some(end) = Box::pin(self.go_on(&mut client, received)).await {
                return End::of(client, end);
            }
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
