//! `mqtk ping`: like ping(8), for an MQTT broker. Connect and show how long
//! each phase took, then time one round trip every interval (a PINGREQ, or
//! with `--publish` a message through the broker and back) until a count or
//! Ctrl-C, and sum up as ping(8) does.
//!
//! A PINGRESP carries no identifier, so answers are matched to requests in
//! order: TCP keeps them in order and a broker answers each PINGREQ. A probe
//! not answered within its timeout is lost, and its answer, when it still
//! comes, is owed: it is dropped rather than taken for a later probe's.
//!
//! A lost connection is made again as `pub` and `sub` do (the reconnect
//! module's backoff and lines on stderr), and the probes keep their schedule
//! meanwhile, as ping(8)'s do when a host is unreachable: each one due while
//! the connection is down counts as sent and lost, and so does each one out
//! when it went down. The outage is one line once it is over, and the summary
//! counts the reconnects.
//!
//! Layout:
//! - this file: the plan, the one loop of probes, answers and timeouts, and
//!   the outages ridden out
//! - `stats`: the tally, and ping(8)'s summary of it
//! - `info`: the CONNACK item by item, for `--info`
//! - `tls`: the TLS handshake and the broker's certificates, for `-v` and `--info`
//! - `report`: the lines on stdout, or the `--json` object

mod info;
mod report;
mod stats;
mod tls;

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};
use std::time::Duration;

use anyhow::bail;
use bytes::{BufMut, Bytes, BytesMut};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::reconnect::{self, Policy};
use super::{
    check_topic_name, client_options, qos, random_suffix, sleep_until, usage, Interrupt, Lifecycle,
};
use crate::cli::{exit, PingArgs};
use crate::client::{verdict, Client, ClientError, Event, Options, Resumption};
use crate::codec::{Properties, Publish, QoS, ReasonCode, RetainHandling, Subscription};
use report::Report;
pub(crate) use stats::{significant, Stats};

/// The bytes of a `--publish` payload that carry its sequence number.
const SEQ_LEN: usize = 8;

/// What `mqtk ping` will do, resolved from its arguments.
#[derive(Debug)]
struct PingPlan {
    options: Options,
    lifecycle: Lifecycle,
    reconnect: Policy,
    /// `None`: until Ctrl-C.
    count: Option<u64>,
    interval: Duration,
    timeout: Duration,
    probe: Probe,
    info: bool,
    /// Print the TLS details.
    verbose: bool,
    json: bool,
}

/// What one round trip is.
#[derive(Debug, Clone, Copy)]
enum Probe {
    /// PINGREQ and its PINGRESP.
    Ping,
    /// A message to a topic of our own, and its copy back from the broker.
    Publish { qos: QoS, size: usize },
}

/// A probe sent and not yet answered.
#[derive(Debug, Clone, Copy)]
struct Round {
    seq: u64,
    sent: Instant,
}

/// How the round trips ended.
enum PingEnd {
    /// The count was reached.
    Done,
    Interrupted,
    /// stdout was closed.
    ClosedPipe,
    /// The connection failed, or could not be made again.
    Failed(anyhow::Error),
}

/// How pinging over one connection ended.
enum Ended {
    PingEnd(PingEnd),
    /// The connection is lost, and the policy says to ride it out.
    Lost(ClientError),
}

/// Runs `mqtk ping`.
pub async fn run(args: PingArgs) -> anyhow::Result<u8> {
    let plan = plan(args)?;
    // Listen for Ctrl-C from the start, so one pressed while connecting is
    // not lost, nor kills the process between two listeners.
    let mut interrupt = Interrupt::new()?;
    let (mut client, topic) = tokio::select! {
        connected = connect(&plan) => connected?,
        _ = interrupt.recv() => bail!("interrupted before the broker answered"),
    };
    let mut report = Report::new(&plan, &client, topic.as_deref());
    let mut pinger = Pinger::new(&plan, topic);
    let started = Instant::now();
    let stop = match report.connected(&plan, &client) {
        Ok(()) => pinger.run(&mut client, &mut report, &mut interrupt).await,
        Err(_) => PingEnd::ClosedPipe,
    };
    let elapsed = started.elapsed();
    // Probes still out when the pinging stopped count as lost, as in ping(8).
    for round in pinger.in_flight.drain(..) {
        report.unanswered(round.seq);
    }
    let (failure, closed) = match stop {
        PingEnd::Failed(error) => (Some(error), false),
        PingEnd::ClosedPipe => (None, true),
        PingEnd::Done | PingEnd::Interrupted => (None, false),
    };
    let closed = closed
        || report
            .finish(&plan, &pinger.stats, elapsed, failure.as_ref())
            .is_err();
    if let Some(error) = failure {
        return Err(error);
    }
    // Stopped in an outage (the count, Ctrl-C): there is no connection to end.
    if pinger.online {
        plan.lifecycle.end(client, &plan.options).await?;
    }
    Ok(match (closed, pinger.stats.all_answered()) {
        (true, _) => exit::CLOSED_PIPE,
        (false, true) => exit::SUCCESS,
        (false, false) => exit::FAILURE,
    })
}

fn plan(args: PingArgs) -> anyhow::Result<PingPlan> {
    let seconds = |value: f64, flag: &str| {
        Duration::try_from_secs_f64(value)
            .ok()
            .filter(|d| !d.is_zero())
            .map_or_else(
                || usage(format!("{flag} must be a positive number of seconds")),
                Ok,
            )
    };
    let interval = seconds(args.interval, "-i")?;
    let timeout = seconds(args.timeout, "-W")?;
    let mut options = client_options(&args.connection, None)?;
    let lifecycle = Lifecycle::new(&args.ending, &args.status, &mut options)?;
    let probe = if args.publish {
        Probe::Publish {
            qos: qos(args.qos),
            size: args.size as usize,
        }
    } else {
        Probe::Ping
    };
    Ok(PingPlan {
        options,
        lifecycle,
        reconnect: Policy::new(&args.reconnect),
        count: args.count,
        interval,
        timeout,
        probe,
        info: args.info,
        verbose: args.verbose,
        json: args.json,
    })
}

/// Connects (trying again as --connect-retries allows), and for `--publish`
/// subscribes to a topic of our own, which it returns.
async fn connect(plan: &PingPlan) -> anyhow::Result<(Client, Option<String>)> {
    let mut client =
        reconnect::first_connect(&plan.reconnect, || plan.lifecycle.connect(&plan.options)).await?;
    let Probe::Publish { qos, .. } = plan.probe else {
        return Ok((client, None));
    };
    let topic = own_topic(client.client_id());
    subscribe_own(&mut client, &topic, qos).await?;
    Ok((client, Some(topic)))
}

/// Subscribes to the `--publish` topic of our own, without its retained message.
async fn subscribe_own(client: &mut Client, topic: &str, qos: QoS) -> anyhow::Result<()> {
    let subscription = Subscription {
        retain_handling: RetainHandling::Never,
        ..Subscription::new(topic.to_string(), qos)
    };
    let suback = client
        .subscribe(vec![subscription], Properties::default())
        .await?;
    if let Some(reason) = suback.reasons.first().filter(|r| r.is_error()) {
        let why = verdict(*reason, suback.properties.reason_string.as_deref());
        bail!("the broker refused the subscription to {topic:?}: {why}");
    }
    Ok(())
}

/// Connects again after `cause`, with the reconnect module's backoff and
/// lines, until the client is back: subscribed again to its own topic when
/// the broker did not keep the session, and announced online (--status). A
/// connection lost on the way is ridden out the same way. Counts each
/// connection made again in `reconnects`.
///
/// Cancel safe only as a whole, as [`reconnect::reconnect`].
async fn recover(
    client: &mut Client,
    plan: &PingPlan,
    topic: Option<&str>,
    cause: ClientError,
    reconnects: &mut u64,
) -> anyhow::Result<()> {
    let resume = async |client: &mut Client, resumption: &Resumption| {
        *reconnects += 1;
        if let (Probe::Publish { qos, .. }, Some(topic), false) =
            (plan.probe, topic, resumption.session_present)
        {
            subscribe_own(client, topic, qos).await?;
        }
        plan.lifecycle.announce_online(client).await
    };
    reconnect::ride_out(client, &plan.options, &plan.reconnect, cause, resume).await
}

/// `mqtk/ping/` and the client identifier, without the characters a topic
/// name cannot hold; random when there is no identifier to go by.
fn own_topic(client_id: &str) -> String {
    let id: String = client_id
        .chars()
        .map(|c| if matches!(c, '+' | '#' | '/') { '_' } else { c })
        .collect();
    let topic = format!("mqtk/ping/{id}");
    if id.is_empty() || check_topic_name(&topic, "--publish").is_err() {
        format!("mqtk/ping/{}", random_suffix())
    } else {
        topic
    }
}

/// The round trips: what is out, what is owed, and the tally.
struct Pinger<'a> {
    plan: &'a PingPlan,
    /// With `--publish`: the topic of our own.
    topic: Option<String>,
    stats: Stats,
    /// Sent and within their timeout, oldest first.
    in_flight: VecDeque<Round>,
    /// Timed out; an answer that still comes is dropped.
    owed: BTreeMap<u64, Instant>,
    /// Whether a refused `--publish` message was reported already.
    refusal_reported: bool,
    /// Whether the client is connected: false once the pinging stopped in an
    /// outage.
    online: bool,
}

impl Pinger<'_> {
    fn new(plan: &PingPlan, topic: Option<String>) -> Pinger<'_> {
        Pinger {
            plan,
            topic,
            stats: Stats::default(),
            in_flight: VecDeque::new(),
            owed: BTreeMap::new(),
            refusal_reported: false,
            online: true,
        }
    }

    /// Pings until the count, Ctrl-C or a failure, riding out the lost
    /// connections on the way. One ticker keeps the probes' schedule across
    /// outages.
    async fn run(
        &mut self,
        client: &mut Client,
        report: &mut Report,
        interrupt: &mut Interrupt,
    ) -> PingEnd {
        let mut ticker = tokio::time::interval(self.plan.interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let cause = match self.ping(client, report, interrupt, &mut ticker).await {
                Ended::PingEnd(stop) => return stop,
                Ended::Lost(cause) => cause,
            };
            let outage = self.ride_out(client, report, interrupt, &mut ticker, cause);
            if let Some(stop) = outage.await {
                return stop;
            }
        }
    }

    /// The one loop over a connection: a probe every interval until the
    /// count, the answers and timeouts as they come, Ctrl-C at any time.
    async fn ping(
        &mut self,
        client: &mut Client,
        report: &mut Report,
        interrupt: &mut Interrupt,
        ticker: &mut Interval,
    ) -> Ended {
        loop {
            let more = self.more();
            if !more && self.in_flight.is_empty() {
                return Ended::PingEnd(PingEnd::Done);
            }
            let deadline = self.in_flight.front().map(|r| r.sent + self.plan.timeout);
            // Biased: Ctrl-C first, then what arrived, then the timers.
            let step = tokio::select! {
                biased;
                _ = interrupt.recv() => return Ended::PingEnd(PingEnd::Interrupted),
                event = client.next_event() => match event {
                    Ok(event) => self.receive(client, event, report),
                    Err(error) => return self.lost_or_failed(error),
                },
                _ = sleep_until(deadline) => self.time_out(Instant::now(), report),
                _ = ticker.tick(), if more => {
                    let round = self.next_round(report);
                    match self.send(client, round).await {
                        Ok(()) => Ok(()),
                        Err(error) => return self.lost_or_failed(error),
                    }
                }
            };
            if step.is_err() {
                return Ended::PingEnd(PingEnd::ClosedPipe);
            }
        }
    }

    /// Rides out a lost connection: connects again (pinned beside the ticker
    /// and Ctrl-C, as it is cancel safe only as a whole) while each probe that
    /// falls due counts as sent and lost; then says in one line what the
    /// outage cost. `None` when the client is back; otherwise how the pinging
    /// stopped meanwhile.
    async fn ride_out(
        &mut self,
        client: &mut Client,
        report: &mut Report,
        interrupt: &mut Interrupt,
        ticker: &mut Interval,
        cause: ClientError,
    ) -> Option<PingEnd> {
        let began = Instant::now();
        // What was out is lost with the connection; nothing owed comes on another.
        let mut lost: Vec<u64> = self.in_flight.drain(..).map(|round| round.seq).collect();
        for &seq in &lost {
            report.unanswered(seq);
        }
        self.owed.clear();
        let plan = self.plan;
        let topic = self.topic.clone();
        let mut reconnects = 0;
        let stop = {
            let recovery = recover(client, plan, topic.as_deref(), cause, &mut reconnects);
            tokio::pin!(recovery);
            loop {
                if !self.more() {
                    break Some(PingEnd::Done);
                }
                tokio::select! {
                    biased;
                    _ = interrupt.recv() => break Some(PingEnd::Interrupted),
                    back = &mut recovery => break back.err().map(PingEnd::Failed),
                    _ = ticker.tick() => {
                        let round = self.next_round(report);
                        report.offline(round.seq);
                        lost.push(round.seq);
                    }
                }
            }
        };
        let took = began.elapsed();
        self.stats.offline(took, reconnects);
        self.online = stop.is_none();
        match report.outage(&lost, took) {
            Ok(()) => stop,
            Err(_) => Some(PingEnd::ClosedPipe),
        }
    }

    /// Whether more probes are due: the count is not reached.
    fn more(&self) -> bool {
        self.plan
            .count
            .is_none_or(|count| self.stats.transmitted < count)
    }

    /// A failed connection as the end of this one: an outage to ride out
    /// when the policy says so, the end of the pinging otherwise.
    fn lost_or_failed(&self, error: ClientError) -> Ended {
        if self.plan.reconnect.rides_out(&error) {
            Ended::Lost(error)
        } else {
            Ended::PingEnd(PingEnd::Failed(error.into()))
        }
    }

    /// Counts the next probe as sent, as of now.
    fn next_round(&mut self, report: &mut Report) -> Round {
        self.stats.sent();
        let round = Round {
            seq: self.stats.transmitted,
            sent: Instant::now(),
        };
        report.sent(round.seq);
        round
    }

    /// Sends probe `round`, which is out from now on, even when sending it
    /// fails: then it is lost with the connection.
    async fn send(&mut self, client: &mut Client, round: Round) -> Result<(), ClientError> {
        self.in_flight.push_back(round);
        match (self.plan.probe, &self.topic) {
            (Probe::Publish { qos, size }, Some(topic)) => {
                let message = Publish {
                    qos,
                    topic: topic.as_str().into(),
                    payload: payload(round.seq, size),
                    ..Publish::default()
                };
                client.publish(message).await?;
            }
            _ => client.ping()?,
        }
        client.flush().await
    }

    /// The probes out that have had their time by `now` are lost, and their
    /// answers owed.
    fn time_out(&mut self, now: Instant, report: &mut Report) -> io::Result<()> {
        while let Some(round) = self.in_flight.front().copied() {
            if now < round.sent + self.plan.timeout {
                break;
            }
            self.in_flight.pop_front();
            self.owed.insert(round.seq, round.sent);
            report.lost(round.seq, self.plan.timeout)?;
        }
        Ok(())
    }

    /// Matches an event to the probe it answers, if any.
    fn receive(
        &mut self,
        client: &mut Client,
        event: Event,
        report: &mut Report,
    ) -> io::Result<()> {
        // An answer is judged by when it was read, however late the timer.
        let now = Instant::now();
        self.time_out(now, report)?;
        let seq = match (&event, self.plan.probe) {
            // An answer owed to a timed-out PINGREQ comes before any other;
            // one with nothing out answers the client's own keep alive.
            (Event::Pong, Probe::Ping) => match self.owed.first_key_value() {
                Some((&seq, _)) => seq,
                None => match self.in_flight.front() {
                    Some(round) => round.seq,
                    None => return Ok(()),
                },
            },
            (Event::Message(message), Probe::Publish { .. }) => {
                if client.ack(message).is_err() {
                    // The connection is failing; the next event says why.
                    return Ok(());
                }
                match self.copy_seq(message) {
                    Some(seq) => seq,
                    None => return Ok(()),
                }
            }
            (
                Event::Published {
                    reason,
                    reason_string,
                    ..
                },
                _,
            ) if reason.is_error() => {
                self.warn_refused(*reason, reason_string.as_deref());
                return Ok(());
            }
            _ => return Ok(()),
        };
        if let Some(sent) = self.owed.remove(&seq) {
            return report.late(seq, now - sent);
        }
        let position = self.in_flight.iter().position(|r| r.seq == seq);
        let Some(round) = position.and_then(|i| self.in_flight.remove(i)) else {
            // A duplicate, or a copy of a message from before: not ours to count.
            return Ok(());
        };
        let rtt = now - round.sent;
        self.stats.answered(rtt);
        let qos = match &event {
            Event::Message(message) => Some(message.qos),
            _ => None,
        };
        report.answered(seq, rtt, qos)
    }

    /// Says on stderr, once, that the broker refused a `--publish` message:
    /// its copy will not come, and the round trip is lost.
    fn warn_refused(&mut self, reason: ReasonCode, reason_string: Option<&str>) {
        if !std::mem::replace(&mut self.refusal_reported, true) {
            let why = verdict(reason, reason_string);
            let _ = writeln!(
                io::stderr(),
                "mqtk: the broker refused a probe message: {why}"
            );
        }
    }

    /// The sequence number of a copy of one of our `--publish` messages.
    fn copy_seq(&self, message: &Publish) -> Option<u64> {
        if self.topic.as_deref() != Some(&*message.topic) {
            return None;
        }
        let bytes: [u8; SEQ_LEN] = message.payload.get(..SEQ_LEN)?.try_into().ok()?;
        Some(u64::from_be_bytes(bytes))
    }
}

/// A `--publish` payload of `size` bytes: the sequence number, then filler.
fn payload(seq: u64, size: usize) -> Bytes {
    let mut payload = BytesMut::with_capacity(size.max(SEQ_LEN));
    payload.put_u64(seq);
    payload.resize(size.max(SEQ_LEN), b'.');
    payload.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_carries_its_sequence_number_first() {
        let p = payload(258, 16);
        assert_eq!(p.len(), 16);
        assert_eq!(&p[..8], &[0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(payload(1, 8).len(), 8);
    }

    #[test]
    fn the_own_topic_holds_no_wildcards() {
        assert_eq!(own_topic("mqtk-abc"), "mqtk/ping/mqtk-abc");
        assert_eq!(own_topic("a/b+c#"), "mqtk/ping/a_b_c_");
        assert!(own_topic("").starts_with("mqtk/ping/"));
        assert!(own_topic("").len() > "mqtk/ping/".len());
    }
}
