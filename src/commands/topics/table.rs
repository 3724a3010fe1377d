//! What `topics` keeps of the messages it sees: one small entry per topic,
//! in the order of the topic tree.
//!
//! Memory is bounded by the number of topics, not of messages: a topic's
//! entry holds counters, the last payload's size and, for the retained
//! listing only, the first [`PREVIEW`] bytes of the payload. The topic is
//! copied out of its packet, so that no entry keeps a whole frame alive.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::codec::Publish;

/// The most payload bytes kept of a retained message, for its preview.
pub const PREVIEW: usize = 64;

/// A topic name, ordered level by level, so that the topics under `a/b`
/// follow it directly (byte order would put `a/b-c` between them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicKey(Box<str>);

impl TopicKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The topic's levels, `a/b` as `a` and `b`.
    pub fn levels(&self) -> std::str::Split<'_, char> {
        self.0.split('/')
    }
}

impl Ord for TopicKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.levels().cmp(other.levels())
    }
}

impl PartialOrd for TopicKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// What was seen on one topic.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Every message received, the retained one included.
    pub messages: u64,
    /// The messages that came live, not with the subscription: the rate.
    pub live: u64,
    /// The size of the last payload, in bytes.
    pub size: usize,
    /// The QoS levels seen, bit 0 for QoS 0, bit 1 for 1, bit 2 for 2.
    qos_seen: u8,
    /// A retained message came with the subscription.
    pub retained: bool,
    /// When the last message arrived.
    pub last_seen: SystemTime,
    /// The start of the last retained payload, for the retained listing.
    pub preview: Option<Box<[u8]>>,
}

impl Entry {
    /// The QoS levels seen, lowest first.
    pub fn qos_seen(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=2).filter(|level| self.qos_seen & (1 << level) != 0)
    }
}

/// The topics seen, in tree order.
#[derive(Debug, Default)]
pub struct Table {
    topics: BTreeMap<TopicKey, Entry>,
    /// Whether entries keep the start of their retained payload.
    previews: bool,
    /// Every message recorded.
    pub messages: u64,
}

impl Table {
    /// An empty table; `previews` keeps the start of each retained payload.
    pub fn new(previews: bool) -> Table {
        Table {
            previews,
            ..Table::default()
        }
    }

    /// Counts a message received at `at`.
    pub fn record(&mut self, message: &Publish, at: SystemTime) {
        self.messages += 1;
        let key = TopicKey(Box::from(&*message.topic));
        let entry = self.topics.entry(key).or_insert_with(|| Entry {
            messages: 0,
            live: 0,
            size: 0,
            qos_seen: 0,
            retained: false,
            last_seen: at,
            preview: None,
        });
        entry.messages += 1;
        if message.retain {
            entry.retained = true;
        } else {
            entry.live += 1;
        }
        entry.size = message.payload.len();
        entry.qos_seen |= 1 << message.qos as u8;
        entry.last_seen = at;
        if self.previews && message.retain {
            let kept = message.payload.len().min(PREVIEW);
            entry.preview = Some(Box::from(&message.payload[..kept]));
        }
    }

    /// The topics and what was seen on each, in tree order.
    pub fn iter(&self) -> impl Iterator<Item = (&TopicKey, &Entry)> {
        self.topics.iter()
    }

    /// The number of topics.
    pub fn len(&self) -> usize {
        self.topics.len()
    }

    /// Whether `topic` is in the table.
    pub fn contains(&self, topic: &str) -> bool {
        self.topics.contains_key(&TopicKey(Box::from(topic)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::QoS;
    use bytes::Bytes;

    fn message(topic: &str, payload: &[u8], qos: QoS, retain: bool) -> Publish {
        Publish {
            topic: topic.into(),
            payload: Bytes::copy_from_slice(payload),
            qos,
            retain,
            packet_id: u16::from(qos != QoS::AtMostOnce),
            ..Publish::default()
        }
    }

    #[test]
    fn topics_are_in_tree_order_level_by_level() {
        let mut table = Table::new(false);
        for topic in ["a/b/c", "a/b-c", "a", "a/b", "/x", "b"] {
            table.record(
                &message(topic, b"", QoS::AtMostOnce, false),
                SystemTime::now(),
            );
        }
        let order: Vec<&str> = table.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(order, ["/x", "a", "a/b", "a/b/c", "a/b-c", "b"]);
    }

    #[test]
    fn an_entry_counts_messages_live_ones_sizes_qos_and_the_retained_flag() {
        let mut table = Table::new(true);
        let now = SystemTime::now();
        table.record(&message("t", b"retained", QoS::AtLeastOnce, true), now);
        table.record(&message("t", b"live!", QoS::AtMostOnce, false), now);
        table.record(&message("u", &[7; 100], QoS::ExactlyOnce, true), now);
        assert_eq!((table.len(), table.messages), (2, 3));
        let entries: Vec<&Entry> = table.iter().map(|(_, entry)| entry).collect();
        let t = entries[0];
        assert_eq!((t.messages, t.live, t.size, t.retained), (2, 1, 5, true));
        assert_eq!(t.qos_seen().collect::<Vec<_>>(), [0, 1]);
        assert_eq!(t.preview.as_deref(), Some(&b"retained"[..]));
        let u = entries[1];
        assert_eq!((u.messages, u.live, u.size), (1, 0, 100));
        assert_eq!(u.preview.as_ref().map(|p| p.len()), Some(PREVIEW));
        assert!(table.contains("u") && !table.contains("v"));
    }
}
