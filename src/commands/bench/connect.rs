//! Setting a connection up and making it again: connecting through the gate
//! that paces connecting, retrying what could not reach the broker
//! (--connect-retries), subscribing, and reconnecting a lost connection with
//! its session resumed (--reconnect).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::connection::{Connection, Shared};
use super::histograms::Series;
use super::plan::{BenchPlan, Role};
use crate::client::{Client, ClientError, Options, Resumption};
use crate::codec::{topic, Properties, QoS, Subscription};
use crate::commands::{connect, require_suback};

/// Connections that may be in their handshake at once when no
/// --connect-rate paces them: enough to connect thousands a second on a
/// LAN, few enough not to overflow a broker's listen backlog (mosquitto's is
/// 100; beyond it, SYNs are dropped and retried a second later).
const CONNECTING_AT_ONCE: usize = 64;

/// The wait before the first retry of a failed connect, doubling up to the limit.
const RETRY_BACKOFF: Duration = Duration::from_millis(100);
const RETRY_BACKOFF_LIMIT: Duration = Duration::from_secs(5);

/// Paces connecting: at --connect-rate, or as many at once as a broker takes.
pub struct Gate {
    /// The rate, when pacing began, and how many connects it has let through.
    paced: Option<(f64, Instant, AtomicU64)>,
    at_once: Semaphore,
}

impl Gate {
    pub fn new(rate: Option<f64>) -> Gate {
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

/// Who a connection is: its client id, and the local address it connects from.
pub struct Endpoint {
    pub client_id: String,
    source: Option<std::net::IpAddr>,
    role: Role,
    /// Its group's place in the plan.
    pub group: usize,
    /// Back from --offline's outage: the session ends with the run.
    pub back: bool,
}

impl Endpoint {
    pub fn of(plan: &BenchPlan, role: Role, index: u32) -> Endpoint {
        Endpoint {
            client_id: plan.client_id(role, index),
            source: plan.source(plan.place(role, index) as usize),
            role,
            group: plan.group_index(role, index),
            back: false,
        }
    }

    /// The options of this connection: the plan's, with its client id and
    /// the local address it connects from.
    pub fn options(&self, plan: &BenchPlan) -> Options {
        let mut options = Options {
            client_id: self.client_id.clone(),
            ..plan.options.clone()
        };
        options.route.source = self.source;
        let group = &plan.groups[self.group];
        options.keep_alive = group.keep_alive.unwrap_or(options.keep_alive);
        options.clean_start = group.clean_start.unwrap_or(options.clean_start);
        options.session_expiry = group.session_expiry.or(options.session_expiry);
        // --offline: a subscriber's session outlives the outage, as with
        // -c -x, and ends with the run unless -c or -x said to keep it.
        if let (Role::Subscriber, Some(offline)) = (self.role, &plan.offline) {
            options.clean_start = false;
            options.session_expiry = Some(offline.session_expiry);
            options.expire_on_disconnect = self.back && offline.expire_at_end;
        }
        options
    }
}

/// How an outage ended.
pub enum Recovery {
    /// Connected again: the session resumed, or a subscriber subscribed again
    /// and a publisher's unfinished messages published again as new.
    Back,
    /// The run ended (its deadline, Ctrl-C) before the connection was back.
    Stopped,
    /// --reconnect's tries ran out, or the broker refused us.
    Failed(anyhow::Error),
}

impl Connection<'_> {
    /// Connects and, for a subscriber, subscribes.
    pub async fn set_up(&mut self, role: Role, index: u32) -> anyhow::Result<Box<Client>> {
        let plan = &self.shared.plan;
        let mut client = self.establish().await?;
        if role == Role::Subscriber {
            let group = &plan.groups[self.me.group];
            let filling = group.filling(index, &self.me.client_id, plan.username());
            let filter = group.filter.filled(filling);
            topic::validate_filter(&filter)
                .with_context(|| format!("invalid topic filter {filter:?}"))?;
            let filter = group.subscription(&filter);
            subscribe(&mut client, &filter, group.qos).await?;
            self.outcome.filter = Some(filter);
        }
        Ok(client)
    }

    /// Connects, counting each attempt and timing the handshake; a connect
    /// that could not reach the broker is tried again (--connect-retries)
    /// after a backoff that doubles, but not one the broker refused: it would
    /// refuse again.
    pub async fn establish(&mut self) -> anyhow::Result<Box<Client>> {
        let shared = self.shared;
        let options = self.me.options(&shared.plan);
        let mut backoff = RETRY_BACKOFF;
        let mut retries = shared.plan.connect_retries;
        loop {
            self.outcome.attempts += 1;
            let (result, took) = shared.gate.connect(&options).await;
            let error = match result {
                Ok(mut client) => {
                    self.connects.record(took);
                    self.count_tls(&mut client);
                    self.outcome.connected += 1;
                    self.live.up.store(1, Relaxed);
                    return Ok(Box::new(client));
                }
                Err(error) => error,
            };
            self.count_failure(&error);
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

    /// Reconnects a connection lost to `cause`, up to --reconnect tries an
    /// outage with a backoff that doubles, counting the reconnect and the
    /// time offline.
    pub async fn recover(&mut self, client: &mut Client, mut cause: ClientError) -> Recovery {
        let shared = self.shared;
        let lost_at = Instant::now();
        self.live.up.store(0, Relaxed);
        let options = self.me.options(&shared.plan);
        let tries = shared.plan.reconnect.unwrap_or(0);
        let stopped = stopped(shared, self.outcome.role);
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
            self.outcome.attempts += 1;
            let resumption = match client.reconnect(&options).await {
                Ok(resumption) => resumption,
                Err(error) if error.is_transient() && tried < tries => {
                    cause = error;
                    continue;
                }
                Err(error) => return Recovery::Failed(gave_up(error, &cause, tried)),
            };
            self.count_tls(client);
            let filter = self.outcome.filter.as_deref();
            let qos = shared.plan.groups[self.me.group].qos;
            match resume(client, resumption, filter, qos).await {
                Ok(()) => {}
                Err(Resume::Lost(lost)) => {
                    cause = lost;
                    continue;
                }
                Err(Resume::Failed(error)) => return Recovery::Failed(error),
            }
            self.count_outage(lost_at.elapsed());
            return Recovery::Back;
        }
    }

    /// Counts the TLS handshake of a connection just made, resumed or not,
    /// and times it apart from the CONNECT and CONNACK after it, which the
    /// connect time lumps together.
    fn count_tls(&mut self, client: &mut Client) {
        let times = client.take_connect_times();
        let Some((handshake, tls)) = &times.tls else {
            return;
        };
        self.outcome.tls_handshakes += 1;
        self.outcome.tls_resumed += u64::from(tls.resumed);
        let recorder = &self.shared.recorder;
        recorder.record_one(Series::TlsHandshake, self.me.group, *handshake);
        recorder.record_one(Series::Connack, self.me.group, times.connack);
    }

    /// Counts a reconnect after `offline`, and shows the connection up.
    fn count_outage(&mut self, offline: Duration) {
        let outcome = &mut self.outcome;
        outcome.reconnects += 1;
        outcome.offline += offline;
        outcome.longest_offline = outcome.longest_offline.max(offline);
        self.live.up.store(1, Relaxed);
    }
}

/// Completes when the run no longer needs a connection of `role`.
async fn stopped(shared: &Shared, role: Option<Role>) {
    match role {
        Some(Role::Subscriber) => shared.stop_receiving.cancelled().await,
        Some(Role::Idle) => shared.stop_holding.cancelled().await,
        _ => shared.stop.cancelled().await,
    }
}

/// The error of a reconnect that gave up after `tried` tries.
fn gave_up(error: ClientError, cause: &ClientError, tried: u32) -> anyhow::Error {
    anyhow::Error::new(error).context(format!(
        "lost ({}), and {tried} tr{} to reconnect failed",
        crate::commands::Said(cause),
        if tried == 1 { "y" } else { "ies" }
    ))
}

/// Why a connection made again could not take up its work.
enum Resume {
    /// Lost again: another try.
    Lost(ClientError),
    Failed(anyhow::Error),
}

/// Takes up a connection's work where it was: a subscriber whose session
/// was not kept subscribes again to `filter`, and a publisher publishes
/// again, as new, what a lost session held.
async fn resume(
    client: &mut Client,
    resumption: Resumption,
    filter: Option<&str>,
    qos: QoS,
) -> Result<(), Resume> {
    let resumed = async {
        if let (false, Some(filter)) = (resumption.session_present, filter) {
            subscribe(client, filter, qos).await?;
        }
        for message in resumption.unfinished {
            client.publish(message).await?;
        }
        anyhow::Ok(())
    };
    resumed
        .await
        .map_err(|error| match error.downcast::<ClientError>() {
            Ok(lost) if lost.is_connection_loss() => Resume::Lost(lost),
            Ok(error) => Resume::Failed(error.into()),
            Err(error) => Resume::Failed(error),
        })
}

/// Subscribes a subscriber's connection to its filter. A shared
/// subscription refused is the broker's refusal (exit code 4), named as such.
pub async fn subscribe(client: &mut Client, filter: &str, qos: QoS) -> anyhow::Result<()> {
    let subscriptions = vec![Subscription::new(filter.to_string(), qos)];
    let suback = client
        .subscribe(subscriptions.clone(), Properties::default())
        .await?;
    if filter.starts_with("$share/") && suback.reasons.iter().any(|r| r.is_error()) {
        return require_suback(client.protocol(), &subscriptions, &suback)
            .context("--share needs a broker that supports shared subscriptions");
    }
    if let Some(reason) = suback.reasons.iter().find(|r| r.is_error()) {
        anyhow::bail!("the broker refused the subscription to {filter:?}: {reason}");
    }
    Ok(())
}
