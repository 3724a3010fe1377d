//! Requests the broker answers: SUBSCRIBE and UNSUBSCRIBE awaited, and the
//! wait for an answer they share with a publish awaited alone; the
//! acknowledgement of a message received, and PINGREQ.

use tokio::time::Instant;

use super::{Client, ClientError, Event, Violation};
use crate::codec::{
    Ack, AckKind, Packet, Properties, Publish, QoS, SubAck, Subscribe, Subscription, UnsubAck,
    Unsubscribe,
};

impl Client {
    /// Subscribes and waits for the SUBACK; messages arriving meanwhile are kept.
    pub async fn subscribe(
        &mut self,
        subscriptions: Vec<Subscription>,
        properties: Properties,
    ) -> Result<SubAck, ClientError> {
        let packet_id = self.session.start_subscribe();
        let count = subscriptions.len();
        self.send(&Packet::Subscribe(Subscribe {
            packet_id,
            subscriptions,
            properties,
        }))?;
        let suback = self
            .wait_for("SUBACK", |event| match event {
                Event::Subscribed(a) if a.packet_id == packet_id => Some(a.clone()),
                _ => None,
            })
            .await?;
        if suback.reasons.len() != count {
            return Err(ClientError::Protocol(Violation::SubAckCount {
                reasons: suback.reasons.len(),
                filters: count,
            }));
        }
        Ok(suback)
    }

    /// Unsubscribes and waits for the UNSUBACK.
    pub async fn unsubscribe(&mut self, filters: Vec<String>) -> Result<UnsubAck, ClientError> {
        let packet_id = self.session.start_unsubscribe();
        self.send(&Packet::Unsubscribe(Unsubscribe {
            packet_id,
            filters,
            properties: Properties::default(),
        }))?;
        self.wait_for("UNSUBACK", |event| match event {
            Event::Unsubscribed(a) if a.packet_id == packet_id => Some(a.clone()),
            _ => None,
        })
        .await
    }

    /// Drives I/O until `pick` accepts an event, the answer `packet`, within
    /// the response timeout; other events are kept, in order, for
    /// [`next_event`](Self::next_event).
    pub(super) async fn wait_for<T>(
        &mut self,
        packet: &'static str,
        pick: impl Fn(&Event) -> Option<T>,
    ) -> Result<T, ClientError> {
        let after = self.response_timeout;
        tokio::time::timeout(after, self.wait_for_event(pick))
            .await
            .map_err(|_| ClientError::NoResponse { packet, after })?
    }

    async fn wait_for_event<T>(
        &mut self,
        pick: impl Fn(&Event) -> Option<T>,
    ) -> Result<T, ClientError> {
        let mut seen = self.events.len();
        loop {
            let mut found = self.events.iter().enumerate().skip(seen);
            if let Some((i, value)) = found.find_map(|(i, e)| pick(e).map(|v| (i, v))) {
                self.events.remove(i);
                return Ok(value);
            }
            seen = self.events.len();
            self.step(false).await?;
        }
    }

    /// Acknowledges a received QoS 1/2 message, once the caller has handled it.
    pub fn ack(&mut self, message: &Publish) -> Result<(), ClientError> {
        match message.qos {
            QoS::AtMostOnce => Ok(()),
            QoS::AtLeastOnce => self.send(&Packet::PubAck(Ack::new(
                AckKind::PubAck,
                message.packet_id,
            ))),
            QoS::ExactlyOnce => {
                self.session.receive_qos2(message.packet_id);
                self.send(&Packet::PubRec(Ack::new(
                    AckKind::PubRec,
                    message.packet_id,
                )))
            }
        }
    }

    /// Sends a PINGREQ now; its PINGRESP arrives as [`Event::Pong`].
    pub fn ping(&mut self) -> Result<(), ClientError> {
        self.send(&Packet::PingReq)?;
        self.qos0_before_ping = self.qos0_queued;
        self.ping_sent.get_or_insert(Instant::now());
        Ok(())
    }
}
