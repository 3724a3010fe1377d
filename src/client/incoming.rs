//! What an incoming packet does: messages and acknowledgements become
//! events, QoS 2 and acknowledgement flows are answered, and a broker that
//! breaks the protocol or disconnects ends the connection.

use super::session::Progress;
use super::{redirect, Client, ClientError, Event, Violation};
use crate::codec::{Ack, AckKind, Disconnect, Packet, Publish, QoS, ReasonCode};

impl Client {
    /// Applies one incoming packet: answers what needs answering and turns the
    /// rest into events.
    pub(super) fn handle(&mut self, packet: Packet) -> Result<(), ClientError> {
        self.ping_sent = None;
        match packet {
            Packet::Publish(publish) => self.on_publish(publish),
            Packet::PubAck(ack) | Packet::PubRec(ack) | Packet::PubComp(ack) => self.on_ack(&ack),
            Packet::PubRel(ack) => {
                let pubcomp = self.session.on_pubrel(ack.packet_id);
                self.send(&Packet::PubComp(pubcomp))
            }
            Packet::SubAck(suback) => {
                if !self.session.finish_request(suback.packet_id, true) {
                    return Err(not_sent("SUBACK", suback.packet_id));
                }
                self.emit(Event::Subscribed(suback));
                Ok(())
            }
            Packet::UnsubAck(unsuback) => {
                if !self.session.finish_request(unsuback.packet_id, false) {
                    return Err(not_sent("UNSUBACK", unsuback.packet_id));
                }
                self.emit(Event::Unsubscribed(unsuback));
                Ok(())
            }
            Packet::PingResp => {
                self.qos0_confirmed = self.qos0_before_ping;
                self.emit(Event::Pong);
                Ok(())
            }
            Packet::Disconnect(disconnect) => Err(self.on_disconnect(disconnect)),
            Packet::Auth(auth) => self.on_auth(auth),
            other @ (Packet::Connect(_)
            | Packet::ConnAck(_)
            | Packet::Subscribe(_)
            | Packet::Unsubscribe(_)
            | Packet::PingReq) => Err(ClientError::Protocol(Violation::Unexpected {
                packet: other.name(),
            })),
        }
    }

    /// A message: its topic alias resolved, handed out once even when a QoS 2
    /// message arrives again before its PUBREL.
    fn on_publish(&mut self, mut publish: Publish) -> Result<(), ClientError> {
        self.session
            .resolve_alias(&mut publish)
            .map_err(|e| ClientError::Protocol(Violation::TopicAlias(e)))?;
        if publish.qos == QoS::ExactlyOnce && self.session.is_receiving_qos2(publish.packet_id) {
            // Already received and answered: answer again, hand out once.
            return self.send(&Packet::PubRec(Ack::new(
                AckKind::PubRec,
                publish.packet_id,
            )));
        }
        self.emit(Event::Message(publish));
        Ok(())
    }

    /// PUBACK, PUBREC or PUBCOMP for one of our messages: its flow goes on or
    /// is settled, and the session resumed has proven itself.
    fn on_ack(&mut self, ack: &Ack) -> Result<(), ClientError> {
        self.resume_unproven = false;
        self.fruitless_resumes = 0;
        match self.session.on_ack(ack) {
            Progress::Done(reason, reason_string) => {
                self.emit(Event::Published {
                    packet_id: ack.packet_id,
                    reason,
                    reason_string,
                });
                Ok(())
            }
            Progress::Release(packet_id) => {
                self.send(&Packet::PubRel(Ack::new(AckKind::PubRel, packet_id)))
            }
            Progress::Unknown => Err(ClientError::Protocol(Violation::NotAwaited {
                packet: ack.kind.name(),
                packet_id: ack.packet_id,
            })),
        }
    }

    /// The error a DISCONNECT from the broker ends the connection with; a
    /// redirect in it is where the client connects again.
    fn on_disconnect(&mut self, disconnect: Disconnect) -> ClientError {
        if disconnect.reason == ReasonCode::SESSION_TAKEN_OVER && self.abandoned_connects > 0 {
            self.abandoned_connects -= 1;
            return ClientError::TakenOverByOwnAttempt;
        }
        let properties = disconnect.properties.into_values();
        let error = ClientError::Disconnected {
            reason: disconnect.reason,
            reason_string: properties.reason_string,
            server_reference: properties.server_reference,
        };
        if let Some(to) = redirect::redirect(&error, self.broker.1) {
            self.broker = (to.host, to.port);
        }
        error
    }
}

/// An answer for a packet id of no request of ours.
fn not_sent(packet: &'static str, packet_id: u16) -> ClientError {
    ClientError::Protocol(Violation::NotSent { packet, packet_id })
}
