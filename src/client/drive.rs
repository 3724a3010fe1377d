//! Driving the connection: one task moves bytes, decodes packets, hands out
//! events and keeps the connection alive; an error that ends it is kept until
//! the call that can return it, after what is queued has left.

use std::time::Duration;

use super::{Client, ClientError, Event};
use crate::codec::{self, Disconnect, Packet, Properties, Publish, ReasonCode};

/// How long a DISCONNECT that reports a protocol error may take to leave.
const FAREWELL: Duration = Duration::from_millis(250);

impl Client {
    /// Writes everything queued, while still reading what arrives.
    pub async fn flush(&mut self) -> Result<(), ClientError> {
        // Most writes leave at once: tried first, without driving the whole
        // connection (its keep-alive timer, its reads) for each of them.
        if self.failure.is_none() && self.conn.try_write_all() {
            return Ok(());
        }
        while self.conn.pending_write() > 0 {
            self.step(true).await?;
        }
        Ok(())
    }

    /// The next event, driving I/O and keep alive until there is one.
    ///
    /// Cancel safe: dropping the future loses nothing.
    pub async fn next_event(&mut self) -> Result<Event, ClientError> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(event);
            }
            self.step(false).await?;
        }
    }

    /// An event that needs no I/O: one already queued or decodable from bytes
    /// already read. Lets a caller batch work before it flushes.
    ///
    /// A broken packet is not an error here: the events before it come out
    /// first, and the next call that drives I/O returns the error.
    pub fn try_next_event(&mut self) -> Option<Event> {
        while self.events.is_empty() && self.failure.is_none() {
            match self.conn.decode() {
                Ok(Some(packet)) => {
                    if let Err(error) = self.handle(packet) {
                        self.fail(error);
                    }
                }
                Ok(None) => break,
                Err(error) => self.fail(error),
            }
        }
        self.events.pop_front()
    }

    /// One unit of progress: handle a buffered packet, or move bytes (until
    /// everything queued is written, with `until_written`) while keeping the
    /// connection alive.
    ///
    /// On a protocol error the broker is told why (MQTT 5.0 §4.13.1) before the
    /// error is returned. Cancel safe: the error waits for the next call.
    pub(super) async fn step(&mut self, until_written: bool) -> Result<(), ClientError> {
        if self.failure.is_none() {
            match self.drive(until_written).await {
                Ok(()) => return Ok(()),
                Err(error) => self.fail(error),
            }
        }
        // The connection is over; let what is queued, the DISCONNECT last, leave.
        let _ = tokio::time::timeout(FAREWELL, self.conn.flush()).await;
        match self.failure.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Records the error that ends the connection, and queues the MQTT 5
    /// DISCONNECT that names a malformed packet or a protocol error.
    fn fail(&mut self, error: ClientError) {
        let reason = match &error {
            ClientError::Malformed(codec::Error::PacketTooLarge { .. }) => {
                ReasonCode::PACKET_TOO_LARGE
            }
            ClientError::Malformed(_) => ReasonCode::MALFORMED_PACKET,
            ClientError::Protocol(_) => ReasonCode::PROTOCOL_ERROR,
            _ => ReasonCode::SUCCESS,
        };
        if reason.is_error() && self.protocol().is_v5() {
            let _ = self.send(&Packet::Disconnect(Disconnect {
                reason,
                properties: Properties::default(),
            }));
        }
        self.failure.get_or_insert(error);
    }

    /// Handles a buffered packet, or moves bytes until something arrives (or,
    /// with `until_written`, everything queued is written) or keep alive is due.
    async fn drive(&mut self, until_written: bool) -> Result<(), ClientError> {
        if let Some(packet) = self.conn.decode()? {
            return self.handle(packet);
        }
        let deadline = [self.keep_alive_deadline(), self.reauth_deadline()]
            .into_iter()
            .flatten()
            .min();
        let Some(deadline) = deadline else {
            return self.conn.transfer(until_written).await;
        };
        let timer = self
            .keep_alive_timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() > deadline {
            timer.as_mut().reset(deadline);
        }
        tokio::select! {
            result = self.conn.transfer(until_written) => result,
            _ = timer.as_mut() => {
                self.keep_alive()?;
                self.reauthenticate_if_due()
            }
        }
    }

    /// Queues an event for the caller.
    pub(super) fn emit(&mut self, event: Event) {
        self.events.push_back(event);
        self.peak_queued_events = self.peak_queued_events.max(self.events.len());
    }

    /// Queues a packet to send; keep alive counts from when it is written.
    pub(super) fn send(&mut self, packet: &Packet) -> Result<(), ClientError> {
        self.conn.queue(packet)
    }

    /// Queues a message to send, its topic named by an alias where one is
    /// set or free.
    pub(super) fn send_publish(&mut self, message: &Publish) -> Result<(), ClientError> {
        let naming = self.aliases.naming(message);
        self.conn.queue_publish(message, naming)?;
        self.aliases.sent(message, naming);
        Ok(())
    }
}
