//! The run: connect everything (subscribers subscribed), start all
//! publishers at one instant, stop them at the deadline, count or Ctrl-C,
//! let the subscribers drain what is still on its way, and gather what every
//! connection did. The live display goes on all the while.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::connection::{self, Shared};
use super::finish::{self, Finished, Timing};
use super::histograms::Histograms;
use super::live::Display;
use super::metrics;
use super::outcome::{Outcome, Totals};
use super::plan::{BenchPlan, Role, SearchPlan};
use super::report::Search;
use super::search::Searcher;
use super::stats::{Live, Snapshot};
use crate::commands::{Interrupt, Interrupted, SubscriptionRefused};

/// How long subscribers may go without a message, after the publishers are
/// done, before what has not arrived counts as lost.
const DRAIN_QUIET: Duration = Duration::from_secs(1);

/// The longest drain, however much is still arriving.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// A run of the plan, from its first connect to its report.
pub struct Bench {
    shared: Arc<Shared>,
    start: watch::Sender<Option<Instant>>,
    /// Each connection's live counters, in the order of the plan's connections.
    lives: Vec<Arc<Live>>,
}

/// What a search's run ends with: every connection's outcome, when
/// publishing ended, and the search with the histograms its steps took.
type Searched = (Vec<Outcome>, Instant, Option<(Search, Histograms)>);

/// The connection tasks: those that send (publishers, idle connections) end
/// first, then those that receive.
struct Tasks {
    senders: Vec<JoinHandle<Outcome>>,
    receivers: Vec<JoinHandle<Outcome>>,
}

/// The display, shown while the run waits for something, and Ctrl-C.
struct Watch {
    display: Display,
    interrupt: Interrupt,
    /// Ctrl-C came once.
    interrupted: bool,
}

impl Watch {
    /// Waits for `work` while the display goes on; `None` when Ctrl-C comes
    /// first, which leaves `work` where it was.
    async fn showing<T>(&mut self, work: impl std::future::Future<Output = T>) -> Option<T> {
        tokio::pin!(work);
        loop {
            tokio::select! {
                value = &mut work => return Some(value),
                _ = self.display.tick() => {}
                _ = self.interrupt.recv() => {
                    self.interrupted = true;
                    return None;
                }
            }
        }
    }
}

impl Bench {
    pub fn new(plan: BenchPlan) -> Bench {
        let (shared, start) = Shared::new(plan);
        Bench {
            shared: Arc::new(shared),
            start,
            lives: Vec::new(),
        }
    }

    pub async fn run(mut self, interrupt: Interrupt) -> anyhow::Result<Finished> {
        let began = Instant::now();
        let cpu_before = finish::cpu_time();
        let connections: Vec<(Role, u32)> = self.shared.plan.connections().collect();
        self.lives = connections.iter().map(|_| Arc::default()).collect();
        // Serving first: a taken --metrics port ends the run before anything connects.
        let metrics = self.serve_metrics().await?;
        let (tasks, ready) = self.spawn(&connections);
        let mut watch = Watch {
            display: Display::new(&self.shared.plan, self.lives.clone()),
            interrupt,
            interrupted: false,
        };
        connect_all(&mut watch, ready).await?;
        let connected = Instant::now();
        self.wait_for_start_at(&mut watch).await;
        let start = self.start_load(&mut watch);
        let (outcomes, published, search) = match self.shared.plan.search {
            Some(plan) => self.search(&mut watch, tasks, start, plan).await?,
            None => {
                let (outcomes, published) = self.load(&mut watch, tasks, start).await?;
                (outcomes, published, None)
            }
        };
        let ended = Instant::now();
        watch.display.clear();
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        let timing = Timing {
            connecting: connected - began,
            measured: published.saturating_duration_since(start + self.shared.plan.warmup),
            measured_from_ns: self.shared.clock.ns(start + self.shared.plan.warmup),
            started_ns: self.shared.clock.ns(start),
            ended_ns: self.shared.clock.ns(ended),
            cpu: finish::cpu_time()
                .zip(cpu_before)
                .map(|(after, before)| after - before),
            interrupted: watch.interrupted,
        };
        self.finished(outcomes, timing, search)
    }

    /// Serves --metrics, when asked to.
    async fn serve_metrics(&self) -> anyhow::Result<Option<JoinHandle<()>>> {
        let Some(addr) = self.shared.plan.metrics else {
            return Ok(None);
        };
        let recorder = self.shared.recorder.clone();
        Ok(Some(
            metrics::serve(addr, self.lives.clone(), recorder).await?,
        ))
    }

    /// Starts a task for each connection; each says on the channel when it
    /// is set up, or could not be.
    fn spawn(
        &self,
        connections: &[(Role, u32)],
    ) -> (Tasks, mpsc::UnboundedReceiver<anyhow::Result<()>>) {
        let (ready_tx, ready) = mpsc::unbounded_channel();
        let (mut senders, mut receivers) = (Vec::new(), Vec::new());
        for (&(role, index), live) in connections.iter().zip(&self.lives) {
            let task = tokio::spawn(connection::run(
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
        (Tasks { senders, receivers }, ready)
    }

    /// Shards begin together, at --start-at.
    async fn wait_for_start_at(&self, watch: &mut Watch) {
        let Some(at) = self.shared.plan.start_at.filter(|_| !watch.interrupted) else {
            return;
        };
        let wait = at.duration_since(jiff::Timestamp::now());
        match Duration::try_from(wait) {
            Ok(wait) => {
                watch.showing(tokio::time::sleep(wait)).await;
            }
            Err(_) => crate::commands::warn(format_args!(
                "--start-at {at} passed {:.1} s ago, once connected: starting now",
                -wait.as_secs_f64()
            )),
        }
    }

    /// Starts the load, all at once; at once over when Ctrl-C came already.
    fn start_load(&self, watch: &mut Watch) -> Instant {
        let start = Instant::now();
        let _ = self.start.send(Some(start));
        watch.display.started(start);
        if watch.interrupted {
            self.shared.cancel();
        }
        start
    }

    /// The load, until the deadline, the count or Ctrl-C, and the drain after
    /// it: what every connection did, and when publishing ended. A second
    /// Ctrl-C stops waiting for the connections to end.
    async fn load(
        &self,
        watch: &mut Watch,
        tasks: Tasks,
        start: Instant,
    ) -> anyhow::Result<(Vec<Outcome>, Instant)> {
        let work = run_to_the_end(&self.shared, &self.lives, tasks, start);
        self.through_interrupts(watch, work).await
    }

    /// --find-max: the search's steps over the connections, then their end,
    /// as a load's: every connection's outcome, when publishing ended, and
    /// the search with the histograms its steps took. A second Ctrl-C stops
    /// waiting for the connections to end.
    async fn search(
        &self,
        watch: &mut Watch,
        tasks: Tasks,
        start: Instant,
        plan: SearchPlan,
    ) -> anyhow::Result<Searched> {
        let work = async {
            let searched = Searcher::new(&self.shared, &self.lives, plan).run().await;
            // The search is over: publishers end, subscribers drain.
            self.shared.stop.cancel();
            let (outcomes, published) =
                run_to_the_end(&self.shared, &self.lives, tasks, start).await?;
            Ok((outcomes, published, Some(searched)))
        };
        self.through_interrupts(watch, work).await
    }

    /// Drives `work` with the live display: the first Ctrl-C cancels the
    /// load, which then ends as usual; a second stops waiting for it.
    async fn through_interrupts<T>(
        &self,
        watch: &mut Watch,
        work: impl std::future::Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        tokio::pin!(work);
        loop {
            let already_interrupted = watch.interrupted;
            match watch.showing(&mut work).await {
                Some(ended) => return ended,
                None if already_interrupted => return Err(Interrupted.into()),
                None => self.shared.cancel(),
            }
        }
    }

    /// The run's outcome, once every connection task has ended (and with it
    /// every buffer of samples).
    fn finished(
        self,
        outcomes: Vec<Outcome>,
        timing: Timing,
        search: Option<(Search, Histograms)>,
    ) -> anyhow::Result<Finished> {
        let shared = Arc::try_unwrap(self.shared)
            .map_err(|_| anyhow::anyhow!("a connection task outlived the run"))?;
        let mut histograms = shared.recorder.histograms();
        let search = search.map(|(search, taken)| {
            histograms.add(&taken);
            search
        });
        let totals = Totals::of(&shared.plan, &outcomes);
        let groups = match shared.plan.load {
            Some(_) => {
                let histograms = shared.recorder.group_histograms(shared.plan.groups.len());
                let totals =
                    (0..histograms.len()).map(|g| Totals::of_group(&shared.plan, &outcomes, g));
                totals.zip(histograms).collect()
            }
            None => Vec::new(),
        };
        Ok(Finished::new(shared.plan, totals, histograms, timing)
            .with_search(search)
            .with_groups(groups))
    }
}

/// Waits until every connection is set up (or could not be); fails when
/// none could, unless Ctrl-C came first.
async fn connect_all(
    watch: &mut Watch,
    mut ready: mpsc::UnboundedReceiver<anyhow::Result<()>>,
) -> anyhow::Result<()> {
    let mut first_error = None;
    let mut refused = None;
    let mut up = 0;
    let connecting = async {
        while let Some(result) = ready.recv().await {
            match result {
                Ok(()) => up += 1,
                // A subscription refused (--share on a broker without shared
                // subscriptions) is refused to every subscriber: no run.
                Err(error) if error.chain().any(|c| c.is::<SubscriptionRefused>()) => {
                    refused.get_or_insert(error);
                }
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
    };
    let done = watch.showing(connecting).await.is_some();
    if let Some(refused) = refused {
        watch.display.clear();
        return Err(refused);
    }
    if up == 0 && done {
        watch.display.clear();
        return Err(first_error.unwrap_or_else(|| anyhow::anyhow!("no connection was made")));
    }
    Ok(())
}

/// Lets the senders run to their end (idle connections to the deadline),
/// then the subscribers drain what is still arriving: every connection's
/// outcome, and when the load ended.
async fn run_to_the_end(
    shared: &Shared,
    lives: &[Arc<Live>],
    tasks: Tasks,
    start: Instant,
) -> anyhow::Result<(Vec<Outcome>, Instant)> {
    if tasks.senders.is_empty() {
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
    let outcomes = join(tasks.senders).await;
    shared.published.cancel();
    holding.abort();
    let mut outcomes = outcomes?;
    // The load ends at its deadline; publishers that end later only waited
    // for acknowledgements (or caught up, briefly).
    let ended = Instant::now();
    let published = match shared.deadline(start).deadline {
        // (The stop token is cancelled by Ctrl-C only.)
        Some(deadline) if !shared.stop.is_cancelled() => deadline.min(ended),
        _ => ended,
    };
    if shared.plan.publishers > 0 && shared.plan.subscribers > 0 {
        drain_subscribers(shared, lives).await;
    }
    shared.stop_receiving.cancel();
    outcomes.extend(join(tasks.receivers).await?);
    Ok((outcomes, published))
}

/// The outcomes of connection tasks, in order.
async fn join(tasks: Vec<JoinHandle<Outcome>>) -> anyhow::Result<Vec<Outcome>> {
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.context("a connection task failed")?);
    }
    Ok(outcomes)
}

/// Lets subscribers take what is still arriving after the publishers are
/// done: until nothing came for a second, or 10 seconds at most, once every
/// subscriber that is away (--offline, --sub-churn) is back.
async fn drain_subscribers(shared: &Shared, lives: &[Arc<Live>]) {
    while shared.away.load(Relaxed) > 0 && !shared.stop_receiving.is_cancelled() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
