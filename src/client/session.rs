//! Session state, free of I/O: packet identifiers, the in-flight window of
//! outgoing QoS 1/2 messages, incoming QoS 2 exchanges and topic aliases.
//!
//! The client feeds it what arrives and asks it what to answer. A session
//! outlives a network connection when the broker keeps it (session present):
//! then [`Session::resume`] says what to send again (MQTT 5.0 §4.4, MQTT 3.1.1
//! §4.4), and incoming QoS 2 messages still awaiting their PUBREL are not
//! delivered a second time [MQTT-4.3.3-10].

use std::collections::{HashMap, HashSet};

use crate::codec::{Ack, AckKind, ByteString, Packet, Publish, QoS, ReasonCode};

/// What an outgoing packet identifier is waiting for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Awaiting {
    /// A QoS 1 message, kept to be sent again on a resumed session.
    PubAck(Publish),
    /// A QoS 2 message, likewise.
    PubRec(Publish),
    /// A QoS 2 message the broker has received; only its PUBREL is resent,
    /// but the message is kept for a broker that loses the session.
    PubComp(Publish),
    SubAck,
    UnsubAck,
}

/// An outgoing exchange: what it waits for, and when it began.
#[derive(Debug)]
struct Outgoing {
    awaiting: Awaiting,
    /// Begun before every exchange with a higher number: resends keep the
    /// original order [MQTT-4.6.0-1].
    order: u64,
    /// A QoS 2 message's PUBREC verdict when it was not plain success (no
    /// matching subscribers, 0x10): the broker says it there, not in PUBCOMP.
    received_as: Option<(ReasonCode, Option<String>)>,
}

/// Where one of our QoS 1/2 messages stands after an acknowledgement arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// The exchange is over; the broker's verdict is in the reason code.
    Done(ReasonCode, Option<String>),
    /// PUBREC accepted the message: answer with a PUBREL for this packet id.
    Release(u16),
    /// The identifier was not in flight (or not at this step).
    Unknown,
}

/// Packet identifiers and flows of one session, across its connections.
#[derive(Debug)]
pub struct Session {
    next_id: u16,
    next_order: u64,
    outgoing: HashMap<u16, Outgoing>,
    /// How many QoS 1/2 publishes may be in flight at once: the broker's
    /// Receive Maximum, or less when we chose less.
    window: usize,
    /// QoS 1/2 publishes in `outgoing`.
    publishes_in_flight: usize,
    /// Incoming QoS 2 messages answered with PUBREC, awaiting PUBREL.
    incoming_qos2: HashSet<u16>,
    /// Topics by alias, each in an allocation of its own: a slice of the
    /// packet that set it would keep the whole read buffer alive.
    aliases: HashMap<u16, ByteString>,
    alias_maximum: u16,
}

/// Why an incoming topic alias cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AliasError {
    #[error("topic alias {alias}, though the client allows none")]
    NoneAllowed { alias: u16 },
    #[error("topic alias {alias} is outside 1..={maximum}")]
    OutOfRange { alias: u16, maximum: u16 },
    #[error("topic alias {alias} was never set")]
    NeverSet { alias: u16 },
}

impl Session {
    /// A session that may have `window` publishes in flight and accepts topic
    /// aliases up to `alias_maximum` (0: none).
    pub fn new(window: u16, alias_maximum: u16) -> Session {
        Session {
            next_id: 1,
            next_order: 0,
            outgoing: HashMap::new(),
            window: usize::from(window.max(1)),
            publishes_in_flight: 0,
            incoming_qos2: HashSet::new(),
            aliases: HashMap::new(),
            alias_maximum,
        }
    }

    /// Carries the session over to a new connection whose broker kept it:
    /// the packets to send again, in their original order. QoS 1/2 messages
    /// not yet acknowledged go out again with DUP set, and PUBRELs for those
    /// the broker has received. Requests awaiting SUBACK or UNSUBACK are
    /// forgotten, and topic aliases, which belong to a connection, too.
    pub fn resume(&mut self, window: u16) -> Vec<Packet> {
        self.window = usize::from(window.max(1));
        self.aliases.clear();
        self.outgoing
            .retain(|_, o| !matches!(o.awaiting, Awaiting::SubAck | Awaiting::UnsubAck));
        let mut pending: Vec<(&u16, &mut Outgoing)> = self.outgoing.iter_mut().collect();
        pending.sort_by_key(|(_, o)| o.order);
        pending
            .into_iter()
            .map(|(&id, o)| match &mut o.awaiting {
                Awaiting::PubAck(message) | Awaiting::PubRec(message) => {
                    message.dup = true;
                    Packet::Publish(message.clone())
                }
                _ => Packet::PubRel(Ack::new(AckKind::PubRel, id)),
            })
            .collect()
    }

    /// Takes every QoS 1/2 message not yet fully acknowledged, in the order
    /// they were first sent, for a broker that did not keep the session: they
    /// must go out again as new messages, in a new session.
    pub fn take_unfinished(&mut self) -> Vec<Publish> {
        let mut pending: Vec<Outgoing> = self.outgoing.drain().map(|(_, o)| o).collect();
        pending.sort_by_key(|o| o.order);
        self.publishes_in_flight = 0;
        pending
            .into_iter()
            .filter_map(|o| match o.awaiting {
                Awaiting::PubAck(message)
                | Awaiting::PubRec(message)
                | Awaiting::PubComp(message) => Some(Publish {
                    dup: false,
                    ..message
                }),
                Awaiting::SubAck | Awaiting::UnsubAck => None,
            })
            .collect()
    }

    /// Whether another QoS 1/2 publish may be sent now.
    pub fn has_room(&self) -> bool {
        self.publishes_in_flight < self.window && self.outgoing.len() < usize::from(u16::MAX)
    }

    /// QoS 1/2 publishes sent and not yet fully acknowledged.
    pub fn publishes_in_flight(&self) -> usize {
        self.publishes_in_flight
    }

    /// Whether every exchange begun, ours and the broker's, is complete.
    pub fn is_settled(&self) -> bool {
        self.publishes_in_flight == 0 && self.incoming_qos2.is_empty()
    }

    /// A packet identifier not in use, never 0. It is taken once an exchange
    /// is recorded under it.
    fn free_id(&mut self) -> u16 {
        while self.outgoing.contains_key(&self.next_id) {
            self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        }
        let id = self.next_id;
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        id
    }

    fn record(&mut self, id: u16, awaiting: Awaiting) {
        self.next_order += 1;
        let order = self.next_order;
        self.outgoing.insert(
            id,
            Outgoing {
                awaiting,
                order,
                received_as: None,
            },
        );
    }

    fn allocate(&mut self, awaiting: Awaiting) -> u16 {
        let id = self.free_id();
        self.record(id, awaiting);
        id
    }

    /// Gives a QoS 1/2 message its packet identifier; the caller checked
    /// [`has_room`](Self::has_room).
    pub fn number_publish(&mut self, message: &mut Publish) {
        message.packet_id = self.free_id();
    }

    /// Keeps a numbered message, once it was queued for sending, until it is
    /// acknowledged.
    pub fn keep_publish(&mut self, message: Publish) {
        self.publishes_in_flight += 1;
        let id = message.packet_id;
        let awaiting = match message.qos {
            QoS::ExactlyOnce => Awaiting::PubRec(message),
            _ => Awaiting::PubAck(message),
        };
        self.record(id, awaiting);
    }

    /// Frees the room the maps kept after they emptied: an idle connection
    /// should cost what an idle one needs, not what its busiest moment did.
    pub fn shrink_to_fit(&mut self) {
        self.outgoing.shrink_to_fit();
        self.incoming_qos2.shrink_to_fit();
    }

    /// Takes an identifier for a SUBSCRIBE.
    pub fn start_subscribe(&mut self) -> u16 {
        self.allocate(Awaiting::SubAck)
    }

    /// Takes an identifier for an UNSUBSCRIBE.
    pub fn start_unsubscribe(&mut self) -> u16 {
        self.allocate(Awaiting::UnsubAck)
    }

    fn awaiting(&self, packet_id: u16) -> Option<&Awaiting> {
        self.outgoing.get(&packet_id).map(|o| &o.awaiting)
    }

    /// Releases the identifier of a SUBACK or UNSUBACK; false if it was not awaited.
    pub fn finish_request(&mut self, packet_id: u16, subscribe: bool) -> bool {
        let expected = if subscribe {
            Awaiting::SubAck
        } else {
            Awaiting::UnsubAck
        };
        if self.awaiting(packet_id) == Some(&expected) {
            self.outgoing.remove(&packet_id);
            true
        } else {
            false
        }
    }

    /// Applies a PUBACK, PUBREC or PUBCOMP for one of our publishes.
    pub fn on_ack(&mut self, ack: &Ack) -> Progress {
        let expected = matches!(
            (ack.kind, self.awaiting(ack.packet_id)),
            (AckKind::PubAck, Some(Awaiting::PubAck(_)))
                | (AckKind::PubRec, Some(Awaiting::PubRec(_)))
                | (AckKind::PubComp, Some(Awaiting::PubComp(_)))
        );
        if !expected {
            return Progress::Unknown;
        }
        // A PUBREC with a failure ends the QoS 2 exchange [MQTT-4.3.3-4 in 5.0].
        if ack.kind == AckKind::PubRec && !ack.reason.is_error() {
            if let Some(outgoing) = self.outgoing.get_mut(&ack.packet_id) {
                if let Awaiting::PubRec(message) = &mut outgoing.awaiting {
                    outgoing.awaiting = Awaiting::PubComp(std::mem::take(message));
                }
                if ack.reason != ReasonCode::SUCCESS {
                    outgoing.received_as = Some((ack.reason, ack.properties.reason_string.clone()));
                }
            }
            return Progress::Release(ack.packet_id);
        }
        let received_as = self
            .outgoing
            .remove(&ack.packet_id)
            .and_then(|outgoing| outgoing.received_as);
        self.publishes_in_flight -= 1;
        match received_as {
            Some((reason, reason_string)) if ack.reason == ReasonCode::SUCCESS => {
                Progress::Done(reason, reason_string)
            }
            _ => Progress::Done(ack.reason, ack.properties.reason_string.clone()),
        }
    }

    /// Records that an incoming QoS 2 message was answered with PUBREC; false
    /// when it already was, so a redelivery is not handed out twice.
    pub fn receive_qos2(&mut self, packet_id: u16) -> bool {
        self.incoming_qos2.insert(packet_id)
    }

    /// Whether an incoming QoS 2 message with this identifier awaits its PUBREL.
    pub fn is_receiving_qos2(&self, packet_id: u16) -> bool {
        self.incoming_qos2.contains(&packet_id)
    }

    /// Applies a PUBREL: the PUBCOMP to answer with.
    pub fn on_pubrel(&mut self, packet_id: u16) -> Ack {
        let mut pubcomp = Ack::new(AckKind::PubComp, packet_id);
        if !self.incoming_qos2.remove(&packet_id) {
            pubcomp.reason = ReasonCode::PACKET_ID_NOT_FOUND;
        }
        pubcomp
    }

    /// Fills in the topic of a message sent with a topic alias, and learns new
    /// aliases (MQTT 5.0 §3.3.2.3.4).
    pub fn resolve_alias(&mut self, publish: &mut Publish) -> Result<(), AliasError> {
        let Some(alias) = publish.properties.topic_alias else {
            return Ok(());
        };
        if self.alias_maximum == 0 {
            return Err(AliasError::NoneAllowed { alias });
        }
        if alias == 0 || alias > self.alias_maximum {
            return Err(AliasError::OutOfRange {
                alias,
                maximum: self.alias_maximum,
            });
        }
        if publish.topic.is_empty() {
            match self.aliases.get(&alias) {
                Some(topic) => publish.topic = topic.clone(),
                None => return Err(AliasError::NeverSet { alias }),
            }
        } else {
            self.aliases
                .insert(alias, ByteString::from(&*publish.topic));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers and keeps a message of `qos`, as the client does; its packet id.
    fn publish(session: &mut Session, qos: QoS) -> u16 {
        let mut message = Publish {
            qos,
            topic: "t".into(),
            ..Publish::default()
        };
        session.number_publish(&mut message);
        let id = message.packet_id;
        session.keep_publish(message);
        id
    }

    #[test]
    fn the_window_limits_publishes_in_flight() {
        let mut session = Session::new(2, 0);
        let a = publish(&mut session, QoS::AtLeastOnce);
        let b = publish(&mut session, QoS::ExactlyOnce);
        assert_ne!(a, b);
        assert!(!session.has_room());
        assert_eq!(
            session.on_ack(&Ack::new(AckKind::PubAck, a)),
            Progress::Done(ReasonCode::SUCCESS, None)
        );
        assert!(session.has_room());
        assert_eq!(session.publishes_in_flight(), 1);
    }

    #[test]
    fn qos2_goes_through_pubrec_then_pubcomp() {
        let mut session = Session::new(10, 0);
        let id = publish(&mut session, QoS::ExactlyOnce);
        // a PUBCOMP before the PUBREC is out of order
        assert_eq!(
            session.on_ack(&Ack::new(AckKind::PubComp, id)),
            Progress::Unknown
        );
        assert_eq!(
            session.on_ack(&Ack::new(AckKind::PubRec, id)),
            Progress::Release(id)
        );
        assert_eq!(session.publishes_in_flight(), 1);
        assert!(matches!(
            session.on_ack(&Ack::new(AckKind::PubComp, id)),
            Progress::Done(ReasonCode::SUCCESS, None)
        ));
        assert_eq!(session.publishes_in_flight(), 0);
    }

    #[test]
    fn a_pubrec_without_subscribers_is_the_verdict_after_pubcomp() {
        let mut session = Session::new(10, 0);
        let id = publish(&mut session, QoS::ExactlyOnce);
        assert_eq!(session.on_ack(&rec_for(id)), Progress::Release(id));
        assert_eq!(
            session.on_ack(&Ack::new(AckKind::PubComp, id)),
            Progress::Done(ReasonCode::NO_MATCHING_SUBSCRIBERS, None)
        );
        let id = publish(&mut session, QoS::ExactlyOnce);
        assert_eq!(session.on_ack(&rec_for(id)), Progress::Release(id));
        let mut comp = Ack::new(AckKind::PubComp, id);
        comp.reason = ReasonCode::PACKET_ID_NOT_FOUND;
        assert_eq!(
            session.on_ack(&comp),
            Progress::Done(ReasonCode::PACKET_ID_NOT_FOUND, None),
            "a failed PUBCOMP is the verdict"
        );
    }

    fn rec_for(id: u16) -> Ack {
        let mut rec = Ack::new(AckKind::PubRec, id);
        rec.reason = ReasonCode::NO_MATCHING_SUBSCRIBERS;
        rec
    }

    #[test]
    fn a_failed_pubrec_ends_the_exchange() {
        let mut session = Session::new(10, 0);
        let id = publish(&mut session, QoS::ExactlyOnce);
        let mut rec = Ack::new(AckKind::PubRec, id);
        rec.reason = ReasonCode::NOT_AUTHORIZED;
        assert!(matches!(
            session.on_ack(&rec),
            Progress::Done(ReasonCode::NOT_AUTHORIZED, _)
        ));
        assert_eq!(session.publishes_in_flight(), 0);
    }

    #[test]
    fn packet_ids_in_use_are_skipped_after_wrapping() {
        let mut session = Session::new(u16::MAX, 0);
        let first = publish(&mut session, QoS::AtLeastOnce);
        assert_eq!(first, 1);
        for _ in 0..u16::MAX - 2 {
            let id = publish(&mut session, QoS::AtLeastOnce);
            session.on_ack(&Ack::new(AckKind::PubAck, id));
        }
        // the counter wraps to 1, which is still in flight, and skips it
        let id = publish(&mut session, QoS::AtLeastOnce);
        assert_eq!(id, u16::MAX);
        assert_eq!(publish(&mut session, QoS::AtLeastOnce), 2);
    }

    #[test]
    fn incoming_qos2_is_delivered_once() {
        let mut session = Session::new(10, 0);
        assert!(session.receive_qos2(7));
        assert!(!session.receive_qos2(7));
        assert!(!session.is_settled());
        assert_eq!(session.on_pubrel(7).reason, ReasonCode::SUCCESS);
        assert_eq!(session.on_pubrel(7).reason, ReasonCode::PACKET_ID_NOT_FOUND);
        assert!(session.is_settled());
    }

    #[test]
    fn a_resumed_session_resends_in_order_with_dup_and_releases_again() {
        let mut session = Session::new(10, 0);
        let first = publish(&mut session, QoS::ExactlyOnce);
        let second = publish(&mut session, QoS::AtLeastOnce);
        let third = publish(&mut session, QoS::ExactlyOnce);
        let done = publish(&mut session, QoS::AtLeastOnce);
        session.start_subscribe();
        session.receive_qos2(9);
        assert_eq!(
            session.on_ack(&Ack::new(AckKind::PubRec, first)),
            Progress::Release(first)
        );
        session.on_ack(&Ack::new(AckKind::PubAck, done));
        let resent = session.resume(2);
        let summary: Vec<(&str, u16, bool)> = resent
            .iter()
            .map(|packet| match packet {
                Packet::Publish(p) => ("PUBLISH", p.packet_id, p.dup),
                Packet::PubRel(a) => ("PUBREL", a.packet_id, false),
                other => (other.name(), 0, false),
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("PUBREL", first, false),
                ("PUBLISH", second, true),
                ("PUBLISH", third, true)
            ]
        );
        // the SUBSCRIBE is forgotten, the window is the new broker's, and the
        // incoming QoS 2 message is still awaiting its PUBREL
        assert_eq!(session.publishes_in_flight(), 3);
        assert!(!session.has_room());
        assert!(session.is_receiving_qos2(9));
    }

    #[test]
    fn a_lost_session_hands_back_every_unfinished_message_in_order() {
        let mut session = Session::new(10, 0);
        let first = publish(&mut session, QoS::ExactlyOnce);
        let second = publish(&mut session, QoS::AtLeastOnce);
        let done = publish(&mut session, QoS::AtLeastOnce);
        session.start_subscribe();
        session.on_ack(&Ack::new(AckKind::PubRec, first));
        session.on_ack(&Ack::new(AckKind::PubAck, done));
        session.resume(10);
        let unfinished = session.take_unfinished();
        let summary: Vec<(QoS, bool)> = unfinished.iter().map(|m| (m.qos, m.dup)).collect();
        // the released QoS 2 message too: the broker that had it is gone
        assert_eq!(
            summary,
            [(QoS::ExactlyOnce, false), (QoS::AtLeastOnce, false)]
        );
        assert_eq!(unfinished[1].packet_id, second);
        assert_eq!(session.publishes_in_flight(), 0);
        assert!(session.has_room());
    }

    #[test]
    fn topic_aliases_are_learnt_and_resolved() {
        let mut session = Session::new(10, 5);
        let mut first = Publish {
            topic: "a/b".into(),
            ..Publish::default()
        };
        first.properties.topic_alias = Some(2);
        session.resolve_alias(&mut first).unwrap();
        let mut next = Publish::default();
        next.properties.topic_alias = Some(2);
        session.resolve_alias(&mut next).unwrap();
        assert_eq!(next.topic, "a/b");
        // the alias keeps a copy of its own, not a slice of the packet that
        // set it, and each resolution shares that copy
        assert_ne!(next.topic.as_ptr(), first.topic.as_ptr());
        let mut again = Publish::default();
        again.properties.topic_alias = Some(2);
        session.resolve_alias(&mut again).unwrap();
        assert_eq!(again.topic.as_ptr(), next.topic.as_ptr());
        let mut unknown = Publish::default();
        unknown.properties.topic_alias = Some(3);
        assert!(session.resolve_alias(&mut unknown).is_err());
        let mut too_big = Publish::default();
        too_big.properties.topic_alias = Some(6);
        assert!(session.resolve_alias(&mut too_big).is_err());
    }
}
