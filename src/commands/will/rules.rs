//! What the specification requires of a will for each ending, and the
//! verdict on what was seen.

use std::time::Duration;

use crate::cli::End;
use crate::client::{silent_limit, Options};
use crate::codec::{Properties, Protocol, Publish, Will};

/// Added to what the rules need before giving up on a will.
const MARGIN: Duration = Duration::from_secs(3);

/// Whether the specification lets the will come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rule {
    Must,
    MustNot,
    /// The specification allows either, or its statements disagree.
    Either,
}

/// What the specification says of one ending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Expectation {
    pub(super) rule: Rule,
    /// The will is due this long after the connection closed: the will delay,
    /// or the session expiry when that is shorter (MQTT 5).
    pub(super) due: Duration,
    /// The requirement in words, and where the specification says it.
    pub(super) statement: &'static str,
    pub(super) reference: &'static str,
}

/// What was seen.
pub(super) struct Observation {
    /// For `silent`: how long the broker kept the silent connection open.
    pub(super) broker_closed_after: Option<Duration>,
    /// The will, and how long after the device ended it arrived.
    pub(super) will: Option<(Duration, Publish)>,
    /// Whether a later subscriber got it as a retained message (asked only
    /// for a retained will that arrived).
    pub(super) retained: Option<bool>,
}

/// What the specification requires of the will for `end`.
pub(super) fn expectation(
    end: End,
    protocol: Protocol,
    will: &Will,
    device: &Options,
) -> Expectation {
    let v5 = protocol.is_v5();
    let delay = if v5 {
        let will_delay = will.properties.will_delay_interval.unwrap_or(0);
        let session_expiry = device.session_expiry.unwrap_or(0);
        Duration::from_secs(u64::from(will_delay.min(session_expiry)))
    } else {
        Duration::ZERO
    };
    let delayed = v5 && will.properties.will_delay_interval.unwrap_or(0) > 0;
    let (rule, statement, reference) = match end {
        End::Disconnect => (
            Rule::MustNot,
            "after a DISCONNECT with reason 0x00 the will must be discarded, not published",
            "MQTT-3.14.4-3",
        ),
        End::DisconnectWithWill => (
            Rule::Must,
            "after a DISCONNECT with reason 0x04 the will must be published",
            "MQTT 5.0 section 3.14.2.1",
        ),
        End::Close | End::Reset => (
            Rule::Must,
            "the will must be published when the connection closes without DISCONNECT",
            "MQTT-3.1.2-8",
        ),
        End::Silent => (
            Rule::Must,
            "a connection silent for 1.5 times the keep alive must be closed, and its will published",
            if v5 { "MQTT-3.1.2-22, MQTT-3.1.2-8" } else { "MQTT-3.1.2-24, MQTT-3.1.2-8" },
        ),
        End::Takeover if !delayed => (
            Rule::Must,
            "a connection taken over by a new one with its client identifier is closed, and its \
             will published",
            if v5 { "MQTT-3.1.4-3, MQTT-3.1.2-8" } else { "MQTT-3.1.4-2, MQTT-3.1.2-8" },
        ),
        End::Takeover if !device.clean_start => (
            Rule::MustNot,
            "a will with a delay must not be published when a new connection resumes the session \
             before the delay has passed",
            "MQTT-3.1.2-8",
        ),
        // A clean start ends the session (publish at once) while the new
        // connection came before the delay passed (do not publish).
        End::Takeover => (
            Rule::Either,
            "a delayed will of a session that a clean start takes over: the specification says \
             both publish (the session ended) and do not (a new connection came before the delay)",
            "MQTT-3.1.2-8",
        ),
    };
    Expectation {
        rule,
        due: delay,
        statement,
        reference,
    }
}

/// How long to wait for the will: until it is due, plus a margin, plus for a
/// silent end as long as the client waits for the broker to notice (so that
/// a broker that notices late is seen late, not taken for one without will).
pub(super) fn default_wait(expectation: &Expectation, end: End, keep_alive: u16) -> Duration {
    let noticing = match end {
        End::Silent => silent_limit(keep_alive),
        _ => Duration::ZERO,
    };
    expectation.due + noticing + MARGIN
}

/// Whether the broker took longer than 1.5 times the keep alive (and a
/// second, for a clock that counts in seconds) to close a silent connection.
pub(super) fn closed_late(closed_after: Duration, keep_alive: u16) -> bool {
    closed_after > Duration::from_millis(1500 * u64::from(keep_alive)) + Duration::from_secs(1)
}

/// Holds what was seen against the expectation: `Err` names the rule broken.
pub(super) fn judge(
    expectation: &Expectation,
    will: &Will,
    protocol: Protocol,
    keep_alive: u16,
    seen: &Observation,
) -> Result<(), String> {
    let broken = |what: &str, reference: &str| Err(format!("{what} [{reference}]"));
    if let Some(closed) = seen
        .broker_closed_after
        .filter(|&c| closed_late(c, keep_alive))
    {
        return broken(
            &format!(
                "the broker kept a silent connection open for {:.1}s, past 1.5 times the keep \
                 alive of {keep_alive}s",
                closed.as_secs_f64()
            ),
            if protocol.is_v5() {
                "MQTT-3.1.2-22"
            } else {
                "MQTT-3.1.2-24"
            },
        );
    }
    match (expectation.rule, &seen.will) {
        (Rule::Either, _) => Ok(()),
        (Rule::MustNot, Some(_)) => broken(expectation.statement, expectation.reference),
        (Rule::MustNot, None) => Ok(()),
        (Rule::Must, None) => broken(expectation.statement, expectation.reference),
        (Rule::Must, Some((after, message))) => {
            // A broker's clock ticks in whole seconds at worst.
            let early = expectation.due.saturating_sub(Duration::from_secs(1));
            if *after < early {
                return broken(
                    &format!(
                        "the will came {:.1}s after the connection ended, before its delay of {}s",
                        after.as_secs_f64(),
                        expectation.due.as_secs()
                    ),
                    "MQTT 5.0 section 3.1.3.2.2",
                );
            }
            if message.qos != will.qos {
                return broken(
                    &format!(
                        "the will came at QoS {}, not at its QoS {}",
                        message.qos as u8, will.qos as u8
                    ),
                    "section 3.1.2.6",
                );
            }
            if message.payload != will.payload {
                return broken("the will came with another payload", "section 3.1.3");
            }
            let retain_reference = if protocol.is_v5() {
                "MQTT-3.1.2-15"
            } else {
                "MQTT-3.1.2-17"
            };
            if seen.retained == Some(false) {
                return broken(
                    "a will with the retain flag must be published as a retained message",
                    retain_reference,
                );
            }
            match check_will_properties(&will.properties, &message.properties) {
                Some(what) if protocol.is_v5() => broken(&what, "MQTT 5.0 section 3.3.2.3"),
                _ => Ok(()),
            }
        }
    }
}

/// The will properties a broker must pass on unchanged; `Some` names one it
/// did not.
fn check_will_properties(sent: &Properties, got: &Properties) -> Option<String> {
    if sent.content_type != got.content_type {
        return Some("the will lost its content type".into());
    }
    if sent.user_properties != got.user_properties {
        return Some("the will's user properties changed".into());
    }
    if sent.payload_format_indicator != got.payload_format_indicator {
        return Some("the will lost its payload format indicator".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{PropertyValues, QoS};

    fn will(delay: Option<u32>) -> Will {
        Will {
            topic: "d/1".into(),
            payload: "gone".into(),
            qos: QoS::AtLeastOnce,
            retain: false,
            properties: PropertyValues {
                will_delay_interval: delay,
                ..PropertyValues::default()
            }
            .into(),
        }
    }

    fn device(session_expiry: Option<u32>, clean_start: bool) -> Options {
        Options {
            session_expiry,
            clean_start,
            ..Options::default()
        }
    }

    #[test]
    fn a_normal_disconnect_must_not_publish_and_an_abnormal_end_must() {
        let w = will(None);
        let d = device(None, true);
        for protocol in [Protocol::V311, Protocol::V5] {
            assert_eq!(
                expectation(End::Disconnect, protocol, &w, &d).rule,
                Rule::MustNot
            );
            for end in [End::Close, End::Reset, End::Silent, End::Takeover] {
                assert_eq!(
                    expectation(end, protocol, &w, &d).rule,
                    Rule::Must,
                    "{end:?}"
                );
            }
        }
    }

    #[test]
    fn the_will_is_due_at_the_shorter_of_will_delay_and_session_expiry() {
        let w = will(Some(30));
        let due = |expiry| expectation(End::Close, Protocol::V5, &w, &device(expiry, true)).due;
        assert_eq!(due(Some(60)), Duration::from_secs(30));
        assert_eq!(due(Some(5)), Duration::from_secs(5));
        // A session that ends with the connection publishes the will at once.
        assert_eq!(due(None), Duration::ZERO);
        // MQTT 3.1.1 has no will delay.
        let v311 = expectation(End::Close, Protocol::V311, &w, &device(Some(60), true));
        assert_eq!(v311.due, Duration::ZERO);
    }

    #[test]
    fn a_delayed_will_and_a_takeover_depend_on_the_new_connection() {
        let w = will(Some(10));
        let resumed = expectation(End::Takeover, Protocol::V5, &w, &device(Some(60), false));
        assert_eq!(resumed.rule, Rule::MustNot);
        let clean = expectation(End::Takeover, Protocol::V5, &w, &device(Some(60), true));
        assert_eq!(clean.rule, Rule::Either);
    }

    fn arrived(after: Duration, qos: QoS) -> Observation {
        Observation {
            broker_closed_after: None,
            will: Some((
                after,
                Publish {
                    qos,
                    topic: "d/1".into(),
                    payload: "gone".into(),
                    ..Publish::default()
                },
            )),
            retained: None,
        }
    }

    #[test]
    fn a_will_before_its_delay_or_at_another_qos_breaks_a_rule() {
        let w = will(Some(10));
        let expected = expectation(End::Close, Protocol::V5, &w, &device(Some(60), true));
        let early = judge(
            &expected,
            &w,
            Protocol::V5,
            60,
            &arrived(Duration::from_secs(2), QoS::AtLeastOnce),
        );
        assert!(early.unwrap_err().contains("before its delay of 10s"));
        let on_time = arrived(Duration::from_secs(10), QoS::AtLeastOnce);
        assert_eq!(judge(&expected, &w, Protocol::V5, 60, &on_time), Ok(()));
        let downgraded = arrived(Duration::from_secs(10), QoS::AtMostOnce);
        assert!(judge(&expected, &w, Protocol::V5, 60, &downgraded)
            .unwrap_err()
            .contains("QoS 0"));
    }

    #[test]
    fn a_broker_that_closes_a_silent_connection_late_breaks_the_keep_alive_rule() {
        let w = will(None);
        let expected = expectation(End::Silent, Protocol::V5, &w, &device(None, true));
        let mut seen = arrived(Duration::from_secs(6), QoS::AtLeastOnce);
        seen.broker_closed_after = Some(Duration::from_millis(2400));
        assert_eq!(judge(&expected, &w, Protocol::V5, 1, &seen), Ok(()));
        seen.broker_closed_after = Some(Duration::from_millis(5900));
        let late = judge(&expected, &w, Protocol::V5, 1, &seen).unwrap_err();
        assert!(
            late.contains("open for 5.9s") && late.ends_with("[MQTT-3.1.2-22]"),
            "{late}"
        );
    }
}
