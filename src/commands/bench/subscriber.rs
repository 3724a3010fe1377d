//! One subscribing connection: reads each payload's header, tracks order per
//! publisher, samples latency, acknowledges.

use tokio_util::sync::CancellationToken;

use super::header::{Clock, Header};
use super::stats::{Live, Received, Samples};
use crate::client::{Client, ClientError, Event};

/// Receives until `stop` is cancelled. Latency is sampled for messages due,
/// and rates count messages arriving, from `measured_from_ns` on (the end of
/// the warm-up).
pub async fn receive(
    client: &mut Client,
    stop: &CancellationToken,
    live: &Live,
    latency: &mut Samples,
    clock: &Clock,
    measured_from_ns: u64,
) -> Result<Received, ClientError> {
    let mut received = Received::default();
    loop {
        let event = tokio::select! {
            event = client.next_event() => event?,
            _ = stop.cancelled() => return Ok(received),
        };
        let Event::Message(message) = event else {
            continue;
        };
        let now_ns = clock.now_ns();
        Live::add(&live.received, 1);
        let bytes = message.payload.len() as u64;
        received.bytes += bytes;
        if now_ns >= measured_from_ns {
            received.measured += 1;
            received.measured_bytes += bytes;
        }
        received.last_ns = now_ns;
        // A retained message was sent before this subscription, maybe by an
        // earlier run: its sequence number means nothing here.
        match Header::read(&message.payload, now_ns).filter(|_| !message.retain) {
            Some(header) => {
                received
                    .tracks
                    .entry(header.publisher)
                    .or_default()
                    .record(header.sequence);
                if header.due_ns >= measured_from_ns {
                    latency.record(std::time::Duration::from_nanos(
                        now_ns.saturating_sub(header.due_ns),
                    ));
                }
            }
            None => received.foreign += 1,
        }
        client.ack(&message)?;
    }
}
