//! Topic aliases towards the broker (MQTT 5.0 §3.3.2.3.4), free of I/O.
//!
//! A client that sends many messages to the same topic names it in full
//! once, with an alias, and then by the alias alone: two bytes instead of
//! the topic on every message after the first. The broker says in its
//! CONNACK how many aliases it keeps (Topic Alias Maximum, 0 for none); they
//! belong to one network connection, so a reconnect starts again with none.
//!
//! Aliases go to the first topics used, and stay theirs: a client with more
//! topics than aliases sends the others in full, rather than reassigning an
//! alias at every message as topics take turns.

use std::collections::HashMap;

use crate::codec::{ByteString, Naming, Publish};

/// The aliases set on one connection.
#[derive(Debug, Default)]
pub struct OutgoingAliases {
    /// Looked up for every message sent (see foldhash in Cargo.toml).
    by_topic: HashMap<ByteString, u16, foldhash::fast::RandomState>,
    maximum: u16,
}

impl OutgoingAliases {
    /// None set yet, with up to `maximum` to give (0: the broker takes none).
    pub fn new(maximum: u16) -> OutgoingAliases {
        OutgoingAliases {
            by_topic: HashMap::default(),
            maximum,
        }
    }

    /// How to name the message's topic: by its alias once one is set, with
    /// a new alias while some are left, or in full. A message that carries a
    /// topic alias of its caller's is left as it is.
    pub fn naming(&self, message: &Publish) -> Naming {
        if self.maximum == 0 || message.properties.topic_alias.is_some() {
            return Naming::Topic;
        }
        if let Some(&alias) = self.by_topic.get(&message.topic) {
            return Naming::Alias(alias);
        }
        match u16::try_from(self.by_topic.len()) {
            Ok(set) if set < self.maximum => Naming::SetAlias(set + 1),
            _ => Naming::Topic,
        }
    }

    /// Records a message that left named as [`naming`](Self::naming) said:
    /// an alias sent with its topic stands for it from now on. Only once the
    /// packet is encoded, so that a message refused on the way sets none.
    pub fn sent(&mut self, message: &Publish, naming: Naming) {
        if let Naming::SetAlias(alias) = naming {
            self.by_topic.insert(message.topic.clone(), alias);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(topic: &str) -> Publish {
        Publish {
            topic: topic.into(),
            ..Publish::default()
        }
    }

    /// Sends to each topic in turn, returning how each was named.
    fn send(aliases: &mut OutgoingAliases, topics: &[&str]) -> Vec<Naming> {
        topics
            .iter()
            .map(|topic| {
                let message = to(topic);
                let naming = aliases.naming(&message);
                aliases.sent(&message, naming);
                naming
            })
            .collect()
    }

    #[test]
    fn a_topic_is_sent_in_full_with_its_alias_then_by_the_alias() {
        let mut aliases = OutgoingAliases::new(10);
        assert_eq!(
            send(&mut aliases, &["a", "a", "b", "a", "b"]),
            [
                Naming::SetAlias(1),
                Naming::Alias(1),
                Naming::SetAlias(2),
                Naming::Alias(1),
                Naming::Alias(2)
            ]
        );
    }

    #[test]
    fn topics_beyond_the_maximum_go_in_full_and_aliases_stay_put() {
        let mut aliases = OutgoingAliases::new(1);
        assert_eq!(
            send(&mut aliases, &["a", "b", "a", "b"]),
            [
                Naming::SetAlias(1),
                Naming::Topic,
                Naming::Alias(1),
                Naming::Topic
            ]
        );
        let mut none = OutgoingAliases::new(0);
        assert_eq!(send(&mut none, &["a", "a"]), [Naming::Topic; 2]);
    }

    #[test]
    fn an_alias_is_set_only_once_its_message_left() {
        let aliases = OutgoingAliases::new(5);
        let message = to("a");
        assert_eq!(aliases.naming(&message), Naming::SetAlias(1));
        // refused before it was encoded: the broker never learnt the alias
        assert_eq!(aliases.naming(&message), Naming::SetAlias(1));
    }

    #[test]
    fn a_callers_own_alias_is_left_alone() {
        let mut message = to("a");
        message.properties.topic_alias = Some(3);
        assert_eq!(OutgoingAliases::new(5).naming(&message), Naming::Topic);
    }
}
