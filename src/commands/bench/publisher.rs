//! One publishing connection: the schedule says when, the header says who and
//! which, the client sends. One loop for every combination of pace and stop.

use std::future::Future;
use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use tokio::time::{Instant, Sleep};

use super::header::{Clock, Header, HEADER_LEN};
use super::plan::{BenchPlan, Group};
use super::schedule::{Schedule, StopCondition};
use super::stats::{Live, Samples};
use crate::client::{Client, ClientError, Event};
use crate::codec::{ByteString, Publish, QoS};

/// Queued bytes at which the publisher writes before queueing more: large
/// writes, but not so large that "sent" lags far behind.
const FLUSH_AT: usize = 64 * 1024;

/// Room for payloads allocated at once; each message takes a slice of it.
/// Small: a publisher at one message a second touches a page of it after
/// another, and with 64 KiB a run of 5,000 such publishers grew by 320 MB
/// in ten minutes; 4 KiB still serves 256 messages of 16 bytes an allocation.
const ARENA: usize = 4 * 1024;

/// What one publisher did.
#[derive(Debug, Clone, Default)]
pub struct Published {
    /// Written to the socket.
    pub sent: u64,
    pub acked: u64,
    /// Acknowledged with an error reason code.
    pub rejected: u64,
    /// Due during the warm-up: left out of the rates.
    pub in_warmup: u64,
}

/// Who a publisher is and what it publishes to.
#[derive(Clone, Copy)]
pub struct Identity<'a> {
    pub index: u32,
    pub client_id: &'a str,
    /// The topic when it is the same for every message.
    pub topic: Option<&'a str>,
}

/// Payloads written in place: the header, then zeros, in slices of a shared
/// buffer, so that a message costs no allocation of its own. Topics that
/// differ from message to message take their slices of it too.
struct Payloads {
    arena: BytesMut,
    size: usize,
}

impl Payloads {
    fn new(size: usize) -> Payloads {
        Payloads {
            arena: BytesMut::with_capacity(ARENA.max(size)),
            size,
        }
    }

    fn next(&mut self, header: &Header) -> Bytes {
        self.arena.reserve(self.size);
        let mut bytes = [0; HEADER_LEN];
        header.write(&mut bytes);
        self.arena.extend_from_slice(&bytes);
        self.arena.resize(self.size, 0);
        self.arena.split().freeze()
    }

    /// A copy of `text` in the shared buffer.
    fn topic(&mut self, text: &str) -> ByteString {
        self.arena.extend_from_slice(text.as_bytes());
        ByteString::try_from(self.arena.split().freeze()).expect("copied from a str")
    }
}

/// Publishes until `stop`, then waits (within the response timeout) for the
/// acknowledgements still due, counting into `done` (which keeps what was
/// counted when the connection fails: messages handed to the client count as
/// sent). `lateness` gets how late each paced message left, from
/// `measured_from` on. After a lost connection, it is called again with the
/// same `schedule`, which goes on where it was.
#[allow(clippy::too_many_arguments)]
pub async fn publish(
    client: &mut Client,
    plan: &BenchPlan,
    group: &Group,
    me: Identity<'_>,
    schedule: &mut Schedule,
    stop: &StopCondition,
    live: &Live,
    lateness: &mut Samples<'_>,
    clock: &Clock,
    measured_from: Instant,
    done: &mut Published,
) -> Result<(), ClientError> {
    let mut sending = Sending::new(client, plan, group, me, live, done);
    // Made once and reset, not made for every message: each new timer or
    // cancellation waiter takes a lock to register and another to drop.
    let pace = tokio::time::sleep_until(Instant::now());
    let overdue = stop.wait_overdue();
    tokio::pin!(pace, overdue);
    // The clock is read after every wait and every write, and for each
    // unpaced message (made when it is due); paced messages due by the last
    // reading leave without another: their write comes after them all.
    let mut now = Instant::now();
    loop {
        let paused = schedule.follow();
        let due = schedule.due();
        if due.is_none() {
            now = Instant::now();
        }
        if stop.reached(schedule.sent(), due.unwrap_or(now), now) {
            break;
        }
        if group.qos != QoS::AtMostOnce {
            sending.take_acks();
        }
        if paused {
            sending
                .wait(None, overdue.as_mut(), schedule.changed())
                .await?;
            now = Instant::now();
            continue;
        }
        let early = due.filter(|&due| due > now);
        let window_full = group.qos != QoS::AtMostOnce && !sending.client.has_room();
        if early.is_some() || window_full {
            // Waiting for room, not for the due time, when the window is full.
            let paced = early
                .filter(|_| !window_full)
                .map(|due| (pace.as_mut(), due));
            sending
                .wait(paced, overdue.as_mut(), schedule.changed())
                .await?;
            now = Instant::now();
            continue;
        }
        let due_at = due.unwrap_or(now);
        sending.publish(schedule.sent(), clock.ns(due_at)).await?;
        if due_at < measured_from {
            sending.done.in_warmup += 1;
        } else if due.is_some() {
            lateness.record(now - due_at);
        }
        schedule.advance();
        if sending.count_sent().await? {
            now = Instant::now();
        }
    }
    sending.finish().await
}

/// One stretch of publishing on one connection.
struct Sending<'a> {
    client: &'a mut Client,
    plan: &'a BenchPlan,
    group: &'a Group,
    me: Identity<'a>,
    live: &'a Live,
    done: &'a mut Published,
    payloads: Payloads,
    /// A message of this publisher: cloned for every message, its topic
    /// shared, not copied.
    message: Publish,
    /// Where a topic that varies per message is filled in.
    topic: String,
    /// Messages queued in the client, not yet written.
    unsent: u64,
}

impl<'a> Sending<'a> {
    fn new(
        client: &'a mut Client,
        plan: &'a BenchPlan,
        group: &'a Group,
        me: Identity<'a>,
        live: &'a Live,
        done: &'a mut Published,
    ) -> Self {
        let message = Publish {
            qos: group.qos,
            retain: group.retain,
            topic: me.topic.unwrap_or_default().into(),
            ..Publish::default()
        };
        Sending {
            client,
            plan,
            group,
            me,
            live,
            done,
            payloads: Payloads::new(group.size),
            message,
            topic: String::new(),
            unsent: 0,
        }
    }

    /// Writes what is queued, then waits for an acknowledgement, for the
    /// next message's due time (`paced`: the timer and the time), for the
    /// publisher to be overdue, or for a step of --find-max to change the pace.
    async fn wait(
        &mut self,
        paced: Option<(Pin<&mut Sleep>, Instant)>,
        overdue: Pin<&mut impl Future<Output = ()>>,
        step_changed: impl Future<Output = ()>,
    ) -> Result<(), ClientError> {
        self.write_queued().await?;
        let due = async {
            match paced {
                Some((mut pace, due)) => {
                    pace.as_mut().reset(due);
                    pace.await
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            // The due time first: woken by its timer, the publisher polls
            // nothing else before it publishes.
            biased;
            _ = due => {}
            event = self.client.next_event() => count_ack(&event?, self.done, self.live),
            // Once overdue, `reached` ends the loop before this runs again.
            _ = overdue => {}
            _ = step_changed => {}
        }
        Ok(())
    }

    /// Hands message `sequence`, due at `due_ns`, to the client.
    async fn publish(&mut self, sequence: u64, due_ns: u64) -> Result<(), ClientError> {
        let header = Header {
            publisher: self.me.index,
            sequence,
            due_ns,
        };
        let mut message = Publish {
            payload: self.payloads.next(&header),
            ..self.message.clone()
        };
        if self.me.topic.is_none() {
            let filling =
                (self.group).filling(self.me.index, self.me.client_id, self.plan.username());
            self.group.topic.fill(filling, sequence, &mut self.topic);
            message.topic = self.payloads.topic(&self.topic);
        }
        self.client.publish(message).await?;
        Ok(())
    }

    /// Counts a message handed to the client as sent: should the connection
    /// fail before it is written, it is still a message the subscribers were
    /// owed. Writes once enough is queued, and says whether it did.
    async fn count_sent(&mut self) -> Result<bool, ClientError> {
        self.done.sent += 1;
        self.unsent += 1;
        if self.client.pending_write() < FLUSH_AT {
            return Ok(false);
        }
        self.write_queued().await?;
        Ok(true)
    }

    /// Writes what is still queued and waits for the acknowledgements still
    /// due; those that do not come in time count as lost, not as an error.
    async fn finish(mut self) -> Result<(), ClientError> {
        self.write_queued().await?;
        let (client, done, live) = (self.client, self.done, self.live);
        let settle = async {
            while client.publishes_in_flight() > 0 {
                let event = client.next_event().await?;
                count_ack(&event, done, live);
            }
            Ok::<_, ClientError>(())
        };
        let _ = tokio::time::timeout(self.plan.options.response_timeout, settle).await;
        Ok(())
    }

    /// Writes what is queued, and shows it as sent.
    async fn write_queued(&mut self) -> Result<(), ClientError> {
        if self.unsent > 0 {
            self.client.flush().await?;
            Live::add(&self.live.sent, self.unsent);
            self.unsent = 0;
        }
        Ok(())
    }

    /// Counts the acknowledgements already read, without I/O.
    fn take_acks(&mut self) {
        while let Some(event) = self.client.try_next_event() {
            count_ack(&event, self.done, self.live);
        }
    }
}

fn count_ack(event: &Event, done: &mut Published, live: &Live) {
    if let Event::Published { reason, .. } = event {
        if reason.is_error() {
            done.rejected += 1;
            Live::add(&live.errors, 1);
        } else {
            done.acked += 1;
            Live::add(&live.acked, 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_carry_the_header_and_share_a_buffer() {
        let mut payloads = Payloads::new(20);
        let header = Header {
            publisher: 3,
            sequence: 9,
            due_ns: 1_800_000_000_000_000_000,
        };
        let a = payloads.next(&header);
        let b = payloads.next(&Header {
            sequence: 10,
            ..header
        });
        assert_eq!(a.len(), 20);
        assert_eq!(Header::read(&a, header.due_ns), Some(header));
        assert_eq!(Header::read(&b, header.due_ns).unwrap().sequence, 10);
        assert_eq!(&a[16..], &[0; 4]);
        // Adjacent slices of one allocation.
        assert_eq!(a.as_ptr().wrapping_add(20), b.as_ptr());
        let topic = payloads.topic("bench/7");
        assert_eq!(topic, "bench/7");
        assert_eq!(b.as_ptr().wrapping_add(20), topic.as_ptr());
    }
}
