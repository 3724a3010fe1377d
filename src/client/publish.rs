//! Sending messages: room in the write buffer and the broker's window, the
//! broker's limits checked before a message is queued, and a publish
//! awaited until the broker's verdict.

use super::{Client, ClientError, Disallowed, Event};
use crate::codec::{Publish, QoS, ReasonCode};

/// Queued bytes above which a publish waits for the socket before queueing more.
const WRITE_HIGH_WATER: usize = 256 * 1024;

impl Client {
    /// Whether a message of `qos` can be queued at once: the write buffer is
    /// below its high-water mark and, for QoS 1/2, the broker's Receive
    /// Maximum window has room.
    pub fn can_queue(&self, qos: QoS) -> bool {
        self.conn.pending_write() <= WRITE_HIGH_WATER
            && (qos == QoS::AtMostOnce || self.session.has_room())
    }

    /// Drives I/O until a message of `qos` can be queued at once; events that
    /// arrive meanwhile are kept for [`next_event`](Self::next_event).
    pub async fn ready(&mut self, qos: QoS) -> Result<(), ClientError> {
        while !self.can_queue(qos) {
            let writing = self.conn.pending_write() > WRITE_HIGH_WATER;
            self.step(writing).await?;
        }
        Ok(())
    }

    /// Queues a message and returns its packet id (0 for QoS 0); the caller
    /// made sure [`can_queue`](Self::can_queue). Once queued, a QoS 1/2
    /// message is the session's: it is sent again after a reconnect until it
    /// is acknowledged. It leaves the next time the client drives I/O: call
    /// [`flush`](Self::flush) to send it now.
    pub fn queue_publish(&mut self, mut message: Publish) -> Result<u16, ClientError> {
        self.check_publish(&message)?;
        if message.qos == QoS::AtMostOnce {
            self.qos0_queued += 1;
        } else {
            if !self.session.has_room() {
                return Err(ClientError::NotAllowed(Disallowed::InFlightWindowFull));
            }
            self.session.number_publish(&mut message);
        }
        let packet_id = message.packet_id;
        self.send_publish(&message)?;
        // The session keeps what it may have to send again, its topic whole.
        if message.qos != QoS::AtMostOnce {
            self.session.keep_publish(message);
        }
        Ok(packet_id)
    }

    /// Waits for room, then queues a message: [`ready`](Self::ready) and
    /// [`queue_publish`](Self::queue_publish) in one.
    pub async fn publish(&mut self, message: Publish) -> Result<u16, ClientError> {
        self.ready(message.qos).await?;
        self.queue_publish(message)
    }

    /// QoS 0 messages queued on this connection that the broker may not have
    /// read: those after the last PINGREQ it answered. When the connection
    /// is lost, nobody can know whether they arrived.
    pub fn unconfirmed_qos0(&self) -> u64 {
        self.qos0_queued - self.qos0_confirmed
    }

    /// Publishes a message and waits, within the response timeout, until it
    /// is settled: the broker's verdict (success at once for QoS 0, once
    /// written). Other events are kept for [`next_event`](Self::next_event).
    pub async fn publish_and_settle(
        &mut self,
        message: Publish,
    ) -> Result<(ReasonCode, Option<String>), ClientError> {
        let qos = message.qos;
        let packet_id = self.publish(message).await?;
        if qos == QoS::AtMostOnce {
            self.flush().await?;
            return Ok((ReasonCode::SUCCESS, None));
        }
        let answer = match qos {
            QoS::ExactlyOnce => "PUBCOMP",
            _ => "PUBACK",
        };
        self.wait_for(answer, |event| match event {
            Event::Published {
                packet_id: id,
                reason,
                reason_string,
            } if *id == packet_id => Some((*reason, reason_string.clone())),
            _ => None,
        })
        .await
    }

    /// Refuses a message the broker said it would not take.
    fn check_publish(&self, message: &Publish) -> Result<(), ClientError> {
        if message.qos > self.limits.maximum_qos {
            return Err(ClientError::NotAllowed(Disallowed::QosAbove {
                maximum: self.limits.maximum_qos,
            }));
        }
        if message.retain && !self.limits.retain_available {
            return Err(ClientError::NotAllowed(Disallowed::Retain));
        }
        if let Some(maximum) = self.limits.maximum_packet_size {
            let size = message.encoded_len(self.protocol());
            if size > maximum as usize {
                return Err(ClientError::NotAllowed(Disallowed::PacketSize {
                    size,
                    maximum,
                }));
            }
        }
        Ok(())
    }
}
