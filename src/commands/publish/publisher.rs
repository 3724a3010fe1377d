//! A source's messages published through one client: queued, handed over as
//! the in-flight window allows, and resumed or sent again after a lost
//! connection. `pub` and `replay` share it.

use std::collections::VecDeque;

use anyhow::bail;

use super::{Messages, Tally};
use crate::client::{Client, ClientError, Options};
use crate::codec::{Publish, QoS};
use crate::commands::notices::say;
use crate::commands::reconnect::{self, Policy};
use crate::commands::{AckRule, Interrupt, Lifecycle};

/// Publishes a source's messages through one client, riding out lost
/// connections.
pub struct Publisher<'a> {
    client: Client,
    options: &'a Options,
    policy: Policy,
    lifecycle: Option<&'a Lifecycle>,
    interrupt: Option<Interrupt>,
    /// Messages read and not yet handed to the client.
    queue: VecDeque<Publish>,
    max_queued: usize,
    /// Messages of a session the broker lost, to publish again (as new
    /// ones) before the queue.
    again: VecDeque<Publish>,
    /// The QoS of the message handed over last.
    last_qos: Option<QoS>,
    tally: Tally,
}

/// How a wait on the client and the feed ended.
enum Turn {
    /// Something moved: look again.
    Progress,
    /// The connection is lost.
    Lost(ClientError),
}

impl<'a> Publisher<'a> {
    /// A publisher through `client`, which `options` connected.
    pub fn new(
        client: Client,
        options: &'a Options,
        policy: Policy,
        max_queued: usize,
    ) -> Publisher<'a> {
        Publisher {
            client,
            options,
            policy,
            lifecycle: None,
            interrupt: None,
            queue: VecDeque::new(),
            max_queued: max_queued.max(1),
            again: VecDeque::new(),
            last_qos: None,
            tally: Tally::default(),
        }
    }

    /// Announces the client online (--status) after each reconnect.
    pub(crate) fn with_lifecycle(mut self, lifecycle: &'a Lifecycle) -> Self {
        self.lifecycle = Some(lifecycle);
        self
    }

    /// Judges the acknowledgements by `rule` (--require-subscribers, --expect-reason).
    pub(crate) fn with_ack_rule(mut self, rule: AckRule) -> Self {
        self.tally.rule = rule;
        self
    }

    /// Listens for Ctrl-C: the first ends the input, the next gives up.
    pub(crate) fn with_interrupt(mut self, interrupt: Interrupt) -> Self {
        self.interrupt = Some(interrupt);
        self
    }

    /// Ends a run that went as `result` says: the connection as `lifecycle`
    /// ends it, then the verdict on the acknowledgements. A failure says
    /// what may have been lost.
    pub(crate) async fn end(
        self,
        result: anyhow::Result<()>,
        lifecycle: &Lifecycle,
        options: &Options,
    ) -> anyhow::Result<()> {
        let (client, tally) = self.finish();
        result.map_err(|e| tally.loss(e))?;
        lifecycle
            .end(client, options)
            .await
            .map_err(|e| tally.loss(e))?;
        tally.verdict()
    }

    /// The client and what became of the messages.
    pub fn finish(mut self) -> (Client, Tally) {
        self.tally.read = self.tally.sent + self.queue.len() as u64;
        (self.client, self.tally)
    }

    /// Publishes every message of `feed`, in order, none dropped, and waits
    /// until every QoS 1/2 message is acknowledged.
    ///
    /// Messages are taken from large reads and queued together, so many
    /// leave in one write; QoS 1/2 messages are pipelined through the
    /// broker's in-flight window, and each acknowledgement is counted as it
    /// arrives.
    pub async fn publish_all(&mut self, feed: &mut impl Messages) -> anyhow::Result<()> {
        let published = self.publish_feed(feed).await;
        self.tally.input_ended = feed.is_done();
        published
    }

    async fn publish_feed(&mut self, feed: &mut impl Messages) -> anyhow::Result<()> {
        loop {
            feed.take_ready(&mut self.queue, self.max_queued)?;
            self.hand_over()?;
            let turn = if !(feed.is_done() && self.queue.is_empty() && self.again.is_empty()) {
                self.turn(feed).await?
            } else if self.client.publishes_in_flight() > 0 {
                self.settle_turn().await?
            } else {
                let flushed = self.client.flush().await;
                match self.lost_or_fail(flushed)? {
                    Turn::Progress => return Ok(()),
                    lost => lost,
                }
            };
            if let Turn::Lost(cause) = turn {
                self.ride_out(cause, feed).await?;
            }
        }
    }

    /// The QoS of the next message to hand over: the messages of a lost
    /// session go first.
    fn next_qos(&self) -> Option<QoS> {
        self.again.front().or(self.queue.front()).map(|m| m.qos)
    }

    /// Whether the next message, of `qos`, must wait for the ones in flight
    /// to keep its place: a broker may pass a QoS 2 message on only at its
    /// PUBREL (mosquitto does), and a QoS 0 or 1 message sent meanwhile would
    /// overtake it. (A `pub` has one QoS, so this holds only `replay` back.)
    fn waits_for_order(&self, qos: QoS) -> bool {
        qos < QoS::ExactlyOnce
            && self.last_qos == Some(QoS::ExactlyOnce)
            && self.client.publishes_in_flight() > 0
    }

    /// Hands the client every waiting message it can take at once, the
    /// messages of a lost session first.
    fn hand_over(&mut self) -> anyhow::Result<()> {
        while let Some(qos) = self.next_qos() {
            if !self.client.can_queue(qos) || self.waits_for_order(qos) {
                break;
            }
            let new = self.again.is_empty();
            let waiting = if new {
                &mut self.queue
            } else {
                &mut self.again
            };
            let Some(message) = waiting.pop_front() else {
                break;
            };
            self.client.queue_publish(message)?;
            self.last_qos = Some(qos);
            if new {
                self.tally.sent += 1;
                if qos == QoS::AtMostOnce {
                    self.tally.accepted += 1;
                }
            }
        }
        self.tally.record_arrived(&mut self.client);
        Ok(())
    }

    /// Waits for the client (room to send, or an acknowledgement), for more
    /// input while the queue has room, or for Ctrl-C.
    async fn turn(&mut self, feed: &mut impl Messages) -> anyhow::Result<Turn> {
        let next_qos = self.next_qos().filter(|&qos| !self.waits_for_order(qos));
        let room = self.queue.len() < self.max_queued && !feed.is_done();
        let client = &mut self.client;
        let tally = &mut self.tally;
        let moved = async {
            if let Some(qos) = next_qos {
                client.ready(qos).await
            } else {
                client.next_event().await.map(|event| tally.record(&event))
            }
        };
        tokio::select! {
            moved = moved => Ok(self.lost_or_fail(moved)?),
            read = feed.wait(), if room => read.map(|()| Turn::Progress),
            _ = ctrl_c(&mut self.interrupt) => {
                interrupted(feed)?;
                Ok(Turn::Progress)
            }
        }
    }

    /// Waits for acknowledgements once the input is over, or for Ctrl-C.
    async fn settle_turn(&mut self) -> anyhow::Result<Turn> {
        let client = &mut self.client;
        let tally = &mut self.tally;
        tokio::select! {
            event = client.next_event() => {
                let event = event.map(|event| tally.record(&event));
                Ok(self.lost_or_fail(event)?)
            }
            _ = ctrl_c(&mut self.interrupt) => bail!("interrupted while waiting for acknowledgements"),
        }
    }

    /// A client result as a turn: a lost connection to ride out when the
    /// policy says so, any other error the end.
    fn lost_or_fail(&mut self, result: Result<(), ClientError>) -> Result<Turn, ClientError> {
        match result {
            Ok(()) => Ok(Turn::Progress),
            Err(error) if self.policy.rides_out(&error) => Ok(Turn::Lost(error)),
            Err(error) => {
                self.tally.count_unconfirmed(&self.client);
                Err(error)
            }
        }
    }

    /// Connects again after `cause`, reading input into the queue while it
    /// has room meanwhile; then resumes the session, or publishes again, as
    /// new messages, what a broker that lost the session had not confirmed.
    async fn ride_out(
        &mut self,
        mut cause: ClientError,
        feed: &mut impl Messages,
    ) -> anyhow::Result<()> {
        loop {
            self.tally.count_unconfirmed(&self.client);
            let client = &mut self.client;
            let (options, policy, lifecycle) = (self.options, &self.policy, self.lifecycle);
            let recovery = async {
                let resumption = reconnect::reconnect(client, options, policy, cause).await?;
                if let Some(lifecycle) = lifecycle {
                    lifecycle.announce_online(client).await?;
                }
                anyhow::Ok(resumption)
            };
            let result = {
                tokio::pin!(recovery);
                loop {
                    feed.take_ready(&mut self.queue, self.max_queued)?;
                    let room = self.queue.len() < self.max_queued && !feed.is_done();
                    tokio::select! {
                        result = &mut recovery => break result,
                        read = feed.wait(), if room => read?,
                        _ = ctrl_c(&mut self.interrupt) => interrupted(feed)?,
                    }
                }
            };
            match result {
                Ok(resumption) => {
                    self.publish_again(resumption.unfinished);
                    return Ok(());
                }
                Err(error) => cause = reconnect::another_outage(&self.policy, error)?,
            }
        }
    }

    /// Queues the unfinished messages of a lost session ahead of the rest,
    /// and says what that may cost.
    fn publish_again(&mut self, unfinished: Vec<Publish>) {
        if unfinished.is_empty() {
            return;
        }
        let qos2 = unfinished
            .iter()
            .filter(|m| m.qos == QoS::ExactlyOnce)
            .count();
        let twice = match qos2 {
            0 => String::new(),
            n => format!("; {n} at QoS 2 may arrive twice"),
        };
        say(format_args!(
            "{} unacknowledged messages published again as new{twice}",
            unfinished.len()
        ));
        self.tally.maybe_twice += qos2 as u64;
        self.again.extend(unfinished);
    }
}

/// Ctrl-C: ends the input, or gives up when the input has already ended.
fn interrupted(feed: &mut impl Messages) -> anyhow::Result<()> {
    if feed.is_done() {
        bail!("interrupted while waiting for acknowledgements");
    }
    feed.end();
    Ok(())
}

/// Waits for Ctrl-C, or forever where nobody listens for it.
async fn ctrl_c(interrupt: &mut Option<Interrupt>) {
    match interrupt {
        Some(interrupt) => interrupt.recv().await,
        None => std::future::pending().await,
    }
}
