//! One subscribing connection: reads each payload's header, tracks order per
//! publisher, samples latency, acknowledges.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::header::{Clock, Header};
use super::stats::{Live, Received, Samples};
use crate::client::{Client, ClientError, Event};

/// When a subscriber stops receiving: for good when `cancel` is cancelled,
/// for a while at `leave_at` (--offline, --sub-churn).
pub struct Until<'a> {
    pub cancel: &'a CancellationToken,
    pub leave_at: Option<Instant>,
}

/// Receives until `until` says. Latency is sampled for messages due,
/// and rates count messages arriving, from `measured_from_ns` on (the end of
/// the warm-up); latency also from `latency_from_ns` on (a step of
/// --find-max). Counts into `received`, which keeps what was counted when
/// the connection fails.
#[allow(clippy::too_many_arguments)]
pub async fn receive(
    client: &mut Client,
    until: Until<'_>,
    live: &Live,
    latency: &mut Samples<'_>,
    clock: &Clock,
    measured_from_ns: u64,
    latency_from_ns: &AtomicU64,
    received: &mut Received,
) -> Result<(), ClientError> {
    let mut tally = Tally {
        received,
        live,
        latency,
        measured_from_ns,
        latency_from_ns,
        now_ns: clock.now_ns(),
        unshown: 0,
    };
    // Made once, not once a read: a new cancellation waiter takes a lock.
    let stopped = until.cancel.cancelled();
    let until = async {
        match until.leave_at {
            Some(until) => tokio::time::sleep_until(until).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stopped, until);
    loop {
        // What one read brought is taken without waiting: one wait per read,
        // not one per message, and one arrival time.
        while let Some(event) = client.try_next_event() {
            tally.take(client, event)?;
        }
        tally.show();
        let event = tokio::select! {
            biased;
            _ = &mut stopped => return Ok(()),
            _ = &mut until => return Ok(()),
            event = client.next_event() => event?,
        };
        tally.now_ns = clock.now_ns();
        tally.take(client, event)?;
    }
}

/// What a subscriber counts as messages arrive.
struct Tally<'a, 's> {
    received: &'a mut Received,
    live: &'a Live,
    latency: &'a mut Samples<'s>,
    measured_from_ns: u64,
    latency_from_ns: &'a AtomicU64,
    /// When the read that brought the messages being taken came back: the
    /// arrival of all of them, read once for them all.
    now_ns: u64,
    /// Messages taken but not yet added to the live counters.
    unshown: u64,
}

impl Tally<'_, '_> {
    /// Adds the messages taken to the live counters: once a read, not once a
    /// message.
    fn show(&mut self) {
        Live::add(&self.live.received, std::mem::take(&mut self.unshown));
    }

    /// Counts a message, then acknowledges it.
    fn take(&mut self, client: &mut Client, event: Event) -> Result<(), ClientError> {
        let Event::Message(message) = event else {
            return Ok(());
        };
        let now_ns = self.now_ns;
        let received = &mut *self.received;
        self.unshown += 1;
        let bytes = message.payload.len() as u64;
        if now_ns >= self.measured_from_ns {
            received.measured += 1;
            received.measured_bytes += bytes;
        }
        received.last_ns = now_ns;
        // A retained message was sent before this subscription, maybe by an
        // earlier run: its sequence number means nothing here.
        match Header::read(&message.payload, now_ns).filter(|_| !message.retain) {
            Some(header) => {
                let track = received.tracks.entry(header.publisher).or_default();
                match &mut received.gaps {
                    None => track.record(header.sequence),
                    Some(gaps) => {
                        let (publisher, sequence) = (header.publisher, header.sequence);
                        gaps.see(publisher, sequence, header.due_ns, now_ns, track);
                        let duplicates = track.duplicates;
                        track.record(sequence);
                        if track.duplicates > duplicates {
                            gaps.duplicate(now_ns);
                        }
                    }
                }
                if let Some(seen) = &mut received.seen {
                    seen.insert(header.publisher, header.sequence);
                }
                let from = (self.measured_from_ns).max(self.latency_from_ns.load(Relaxed));
                if header.due_ns >= from {
                    self.latency.record(std::time::Duration::from_nanos(
                        now_ns.saturating_sub(header.due_ns),
                    ));
                }
            }
            None => received.foreign += 1,
        }
        client.ack(&message)
    }
}
