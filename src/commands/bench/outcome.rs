//! What each connection did ([`Outcome`]), and all of them added up
//! ([`Totals`]), with the deliveries the subscribers should have seen, to
//! tell what was lost.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use super::gaps::{Gaps, Seen};
use super::plan::{BenchPlan, Role};
use super::publisher::Published;
use super::stats::Received;
use crate::codec::topic;

/// What one connection task did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub role: Option<Role>,
    /// The connection's index within its role, across all shards.
    pub index: u32,
    /// Its group's place in the plan.
    pub group: usize,
    pub attempts: u64,
    pub connected: u64,
    pub failures: Vec<String>,
    pub published: Published,
    pub received: Received,
    /// A publisher's topic, when it is the same for every message.
    pub topic: Option<String>,
    pub filter: Option<String>,
    /// --reconnect: how often the connection was made again, and the time
    /// it spent offline, in all and at the longest.
    pub reconnects: u64,
    pub offline: Duration,
    pub longest_offline: Duration,
    /// TLS handshakes (connects and reconnects), and those of them resumed.
    pub tls_handshakes: u64,
    pub tls_resumed: u64,
}

/// What a run counted, all connections together.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub attempted: u64,
    pub connected: u64,
    /// --reconnect: connections lost and made again, the connections that
    /// were, and the time they spent offline, in all and at the longest.
    pub reconnects: u64,
    pub reconnected: u64,
    pub offline: Duration,
    pub longest_offline: Duration,
    /// TLS handshakes (connects and reconnects), and those of them resumed.
    pub tls_handshakes: u64,
    pub tls_resumed: u64,
    /// Connections that could not be made, or were lost, by reason.
    pub failures: BTreeMap<String, u64>,
    pub sent: u64,
    pub acked: u64,
    /// Acknowledgements with an error reason code.
    pub rejected: u64,
    /// Sent during the warm-up.
    pub sent_in_warmup: u64,
    pub received: u64,
    /// Received after the warm-up: what the receive rates are made of.
    pub received_measured: u64,
    pub bytes_measured: u64,
    /// When the last message arrived at any subscriber (ns since the epoch).
    pub last_arrival_ns: u64,
    pub duplicates: u64,
    pub reordered: u64,
    /// Deliveries expected but not seen; `None` when topics vary per message,
    /// so that which subscriber should see what is not known.
    pub lost: Option<u64>,
    pub expected: Option<u64>,
    /// --offline, --sub-churn: the subscribers' gaps, added up.
    pub gaps: Gaps,
    /// --sub-churn: deliveries missed while unsubscribed, which `expected`
    /// leaves out.
    pub unsubscribed_missed: u64,
    /// --share: what the group's members received.
    pub share: Option<ShareTotals>,
}

/// --share: what the members of the group received, together.
#[derive(Debug, Clone, Default)]
pub struct ShareTotals {
    /// Messages each member received once or more, in the order of the members.
    pub members: Vec<u64>,
    /// Messages any member received: each counted once.
    pub unique: u64,
    /// Messages that reached more than one member, counted once per extra member.
    pub duplicated: u64,
    /// The messages this process's publishers sent to the group.
    pub expected: Option<u64>,
}

impl Totals {
    /// Adds up what every connection did, and works out what was lost.
    pub fn of(plan: &BenchPlan, outcomes: &[Outcome]) -> Totals {
        Totals::of_part(plan, outcomes, |_| true)
    }

    /// What the connections of one group did; a subscriber group's loss is
    /// of what every publisher sent to its subscriptions.
    pub fn of_group(plan: &BenchPlan, outcomes: &[Outcome], group: usize) -> Totals {
        Totals::of_part(plan, outcomes, |outcome| outcome.group == group)
    }

    /// What the connections that `part` takes did.
    fn of_part(plan: &BenchPlan, outcomes: &[Outcome], part: impl Fn(&Outcome) -> bool) -> Totals {
        let mut totals = Totals::default();
        let mine: Vec<&Outcome> = outcomes.iter().filter(|o| part(o)).collect();
        for outcome in &mine {
            totals.add(outcome);
        }
        let subscribers: Vec<&Outcome> = (mine.into_iter())
            .filter(|o| o.role == Some(Role::Subscriber))
            .collect();
        totals.expected = expected_deliveries(outcomes, &subscribers);
        totals.add_gaps(plan, outcomes, &subscribers);
        let mut unique = 0;
        for (index, group) in plan.groups.iter().enumerate() {
            let members: Vec<&Outcome> = (subscribers.iter().copied())
                .filter(|o| o.group == index)
                .collect();
            if group.share.is_none() || members.is_empty() {
                unique += (members.iter())
                    .flat_map(|outcome| outcome.received.tracks.values())
                    .map(|track| track.unique)
                    .sum::<u64>();
                continue;
            }
            let share = ShareTotals::of(&members, expected_deliveries(outcomes, &members));
            unique += share.unique;
            totals.duplicates += share.duplicated;
            // A group spread over shards gets messages from every shard's
            // publishers: only the merge of all shards knows what it lost.
            if plan.shard.count > 1 {
                totals.expected = None;
            }
            // The flags' --share has a section of the report of its own.
            if plan.load.is_none() {
                totals.share = Some(share);
            }
        }
        totals.lost = totals
            .expected
            .map(|expected| expected.saturating_sub(unique));
        totals
    }

    /// --offline, --sub-churn: the subscribers' gaps, each closed at what its
    /// publisher sent when the run ended; missed while unsubscribed is not loss.
    fn add_gaps(&mut self, plan: &BenchPlan, outcomes: &[Outcome], subscribers: &[&Outcome]) {
        let sent: HashMap<u32, u64> = (outcomes.iter())
            .filter(|o| o.role == Some(Role::Publisher) && o.connected > 0)
            .map(|o| (o.index, o.published.sent))
            .collect();
        for outcome in subscribers {
            if let Some(gaps) = &outcome.received.gaps {
                let mut gaps = (**gaps).clone();
                gaps.close_at_end(&outcome.received.tracks, &sent);
                self.gaps.add(&gaps);
            }
        }
        if plan.sub_churn.is_some() {
            self.unsubscribed_missed = self.gaps.missed;
            self.expected = (self.expected).map(|e| e.saturating_sub(self.gaps.missed));
        }
    }

    fn add(&mut self, outcome: &Outcome) {
        self.attempted += outcome.attempts;
        self.connected += outcome.connected;
        self.reconnects += outcome.reconnects;
        self.reconnected += u64::from(outcome.reconnects > 0);
        self.offline += outcome.offline;
        self.longest_offline = self.longest_offline.max(outcome.longest_offline);
        self.tls_handshakes += outcome.tls_handshakes;
        self.tls_resumed += outcome.tls_resumed;
        for failure in &outcome.failures {
            *self.failures.entry(failure.clone()).or_default() += 1;
        }
        let published = &outcome.published;
        self.sent += published.sent;
        self.acked += published.acked;
        self.rejected += published.rejected;
        self.sent_in_warmup += published.in_warmup;
        let received = &outcome.received;
        self.received_measured += received.measured;
        self.bytes_measured += received.measured_bytes;
        self.last_arrival_ns = self.last_arrival_ns.max(received.last_ns);
        self.received += received.foreign;
        for track in received.tracks.values() {
            self.received += track.unique + track.duplicates;
            self.duplicates += track.duplicates;
            self.reordered += track.reordered;
        }
    }
}

impl ShareTotals {
    /// What the subscribers, members of one group, received together.
    fn of(members: &[&Outcome], expected: Option<u64>) -> ShareTotals {
        let mut all = Seen::default();
        let mut share = ShareTotals {
            expected,
            ..ShareTotals::default()
        };
        for member in members {
            let received = &member.received;
            share
                .members
                .push(received.tracks.values().map(|t| t.unique).sum());
            if let Some(seen) = &received.seen {
                all.union(seen);
            }
        }
        share.unique = all.len();
        share.duplicated = (share.members.iter().sum::<u64>()).saturating_sub(share.unique);
        share
    }
}

/// How many deliveries the subscribers should have seen: for each
/// subscription, the messages sent to the topics it matches. Unknown when
/// topics vary per message.
fn expected_deliveries(outcomes: &[Outcome], subscribers: &[&Outcome]) -> Option<u64> {
    let publishing = outcomes.iter().any(|o| o.role == Some(Role::Publisher));
    if !publishing || subscribers.is_empty() {
        return None;
    }
    let sent_to = sent_to_topics(outcomes)?;
    let expected = (subscribers_by_filter(subscribers).into_iter())
        .map(|(filter, subscribers)| subscribers * sent_matching(filter, &sent_to))
        .sum();
    Some(expected)
}

/// The messages sent to each topic; `None` when a publisher's topic varied.
fn sent_to_topics(outcomes: &[Outcome]) -> Option<HashMap<&str, u64>> {
    let mut sent_to: HashMap<&str, u64> = HashMap::new();
    for outcome in outcomes.iter().filter(|o| o.role == Some(Role::Publisher)) {
        if outcome.connected == 0 {
            continue;
        }
        *sent_to.entry(outcome.topic.as_deref()?).or_default() += outcome.published.sent;
    }
    Some(sent_to)
}

/// How many subscribers get each message that matches a filter: a shared
/// subscription's group gets it once, however many share it.
fn subscribers_by_filter<'a>(subscribers: &[&'a Outcome]) -> HashMap<&'a str, u64> {
    let mut filters: HashMap<&str, u64> = HashMap::new();
    for filter in subscribers.iter().filter_map(|o| o.filter.as_deref()) {
        let deliveries = filters.entry(filter).or_default();
        *deliveries = if filter.starts_with("$share/") {
            1
        } else {
            *deliveries + 1
        };
    }
    filters
}

/// The messages sent to topics that `filter` (maybe a shared one) matches.
fn sent_matching(filter: &str, sent_to: &HashMap<&str, u64>) -> u64 {
    let filter = match filter.strip_prefix("$share/") {
        Some(rest) => rest.split_once('/').map_or(rest, |(_, filter)| filter),
        None => filter,
    };
    if !filter.contains(['+', '#']) {
        return sent_to.get(filter).copied().unwrap_or(0);
    }
    (sent_to.iter())
        .filter(|(topic, _)| topic::matches(filter, topic))
        .map(|(_, sent)| sent)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::bench::plan::tests::plan;
    use crate::commands::bench::stats::{Track, Tracks};

    /// What the subscribers among `outcomes` should have seen.
    fn expected(outcomes: &[Outcome]) -> Option<u64> {
        let subscribers: Vec<&Outcome> = (outcomes.iter())
            .filter(|o| o.role == Some(Role::Subscriber))
            .collect();
        expected_deliveries(outcomes, &subscribers)
    }

    fn publisher(topic: Option<&str>, sent: u64) -> Outcome {
        Outcome {
            role: Some(Role::Publisher),
            attempts: 1,
            connected: 1,
            topic: topic.map(Into::into),
            published: Published {
                sent,
                acked: sent,
                ..Published::default()
            },
            ..Outcome::default()
        }
    }

    /// A subscriber to `filter` that saw `unique` messages of publisher 0.
    fn subscriber(filter: &str, unique: u64) -> Outcome {
        let mut received = Received::default();
        let mut track = Track::default();
        for sequence in 0..unique {
            track.record(sequence);
        }
        received.tracks.insert(0, track);
        Outcome {
            role: Some(Role::Subscriber),
            attempts: 1,
            connected: 1,
            filter: Some(filter.into()),
            received,
            ..Outcome::default()
        }
    }

    #[test]
    fn each_subscription_expects_what_was_sent_to_the_topics_it_matches() {
        let plan = plan("-c 2 -S 3").unwrap();
        let outcomes = [
            publisher(Some("a/1"), 10),
            publisher(Some("a/2"), 20),
            subscriber("a/1", 10),
            subscriber("a/+", 25),
            subscriber("b/#", 0),
        ];
        let totals = Totals::of(&plan, &outcomes);
        assert_eq!(totals.expected, Some(10 + 30));
        assert_eq!(totals.lost, Some(5));
        assert_eq!((totals.sent, totals.acked, totals.received), (30, 30, 35));
    }

    #[test]
    fn a_shared_subscription_expects_each_message_once() {
        let outcomes = [
            publisher(Some("a/1"), 10),
            subscriber("$share/g/a/#", 4),
            subscriber("$share/g/a/#", 6),
            subscriber("a/1", 10),
        ];
        assert_eq!(expected(&outcomes), Some(20));
    }

    /// A member of group g that got `sequences` of publisher 0.
    fn member(sequences: &[u64]) -> Outcome {
        let mut outcome = subscriber("$share/g/a/#", 0);
        let (mut track, mut seen) = (Track::default(), Seen::default());
        for &s in sequences {
            track.record(s);
            seen.insert(0, s);
        }
        outcome.received.tracks.insert(0, track);
        outcome.received.seen = Some(Box::new(seen));
        outcome
    }

    #[test]
    fn a_shared_group_counts_each_message_once_and_what_reached_two_members() {
        let plan = plan("-c 1 -S 2 --share g").unwrap();
        let outcomes = [
            publisher(Some("a/1"), 10),
            member(&[0, 2, 4, 6, 8]),
            member(&[1, 3, 4, 7]),
        ];
        let totals = Totals::of(&plan, &outcomes);
        let share = totals.share.unwrap();
        assert_eq!(share.members, [5, 4]);
        assert_eq!((share.unique, share.duplicated), (8, 1));
        // 5 and 9 reached nobody.
        assert_eq!((totals.expected, totals.lost), (Some(10), Some(2)));
        assert_eq!(totals.duplicates, 1);
    }

    #[test]
    fn what_a_flapping_subscriber_missed_is_not_expected() {
        let plan = plan("-c 1 -S 1 --sub-churn 1").unwrap();
        let mut sub = subscriber("a/1", 0);
        let mut gaps = crate::commands::bench::gaps::Gaps::default();
        let mut track = Track::default();
        (0..10).for_each(|s| track.record(s));
        gaps.open(&Tracks::from_iter([(0, track.clone())]));
        gaps.back(100, Duration::from_millis(5));
        // 10 to 12 went by while unsubscribed; 13 on arrive.
        for s in 13..20 {
            gaps.see(0, s, 200, 200, &track);
            track.record(s);
        }
        sub.received.tracks.insert(0, track);
        sub.received.gaps = Some(Box::new(gaps));
        let totals = Totals::of(&plan, &[publisher(Some("a/1"), 20), sub]);
        assert_eq!(totals.unsubscribed_missed, 3);
        assert_eq!((totals.expected, totals.lost), (Some(17), Some(0)));
    }

    #[test]
    fn loss_is_unknown_when_topics_vary_or_nobody_subscribes() {
        let varying = [publisher(None, 10), subscriber("a/#", 10)];
        assert_eq!(expected(&varying), None);
        let alone = [publisher(Some("a/1"), 10)];
        assert_eq!(Totals::of(&plan("pub -c 1").unwrap(), &alone).lost, None);
    }

    #[test]
    fn a_publisher_that_never_connected_sent_nothing_anyone_expects() {
        let mut never = publisher(None, 0);
        never.connected = 0;
        let outcomes = [publisher(Some("a/1"), 7), never, subscriber("a/1", 7)];
        assert_eq!(expected(&outcomes), Some(7));
    }

    #[test]
    fn failures_are_counted_by_reason_and_reconnects_by_connection() {
        let plan = plan("conn -c 3").unwrap();
        let failed = |reason: &str| Outcome {
            role: Some(Role::Idle),
            attempts: 2,
            failures: vec![reason.into(), reason.into()],
            ..Outcome::default()
        };
        let back = Outcome {
            role: Some(Role::Idle),
            attempts: 3,
            connected: 1,
            reconnects: 2,
            offline: Duration::from_secs(3),
            longest_offline: Duration::from_secs(2),
            ..Outcome::default()
        };
        let totals = Totals::of(&plan, &[failed("refused"), failed("timed out"), back]);
        assert_eq!((totals.attempted, totals.connected), (7, 1));
        assert_eq!(totals.failures["refused"], 2);
        assert_eq!(totals.failures.values().sum::<u64>(), 4);
        assert_eq!((totals.reconnects, totals.reconnected), (2, 1));
        assert_eq!(totals.longest_offline, Duration::from_secs(2));
    }
}
