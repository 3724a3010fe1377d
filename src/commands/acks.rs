//! The broker's answers, judged. To QoS 1/2 messages (PUBACK, PUBREC): by
//! default an error code fails and "no matching subscribers" (0x10) is a note;
//! `--require-subscribers` makes 0x10 fail, and `--expect-reason` names the
//! codes that succeed, whatever they are. To subscriptions (SUBACK): each
//! refusal is a line, a lower QoS a note, and none granted a failure (for
//! `topics`, a refusal: exit code 4).

use crate::cli::AckArgs;
use crate::client::verdict;
use crate::codec::{Protocol, ReasonCode, SubAck, Subscription};
use crate::commands::notices::say;
use crate::commands::usage;

/// The rule the acknowledgements are judged by.
#[derive(Debug, Clone, Default)]
pub struct AckRule {
    require_subscribers: bool,
    /// When not empty, exactly the codes that succeed.
    expected: Vec<ReasonCode>,
}

/// What one acknowledgement means for the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckVerdict {
    /// Taken, and as asked.
    Accepted,
    /// Taken, but no subscriber matched: a note, unless asked to fail.
    NoSubscribers,
    /// Not what was asked: refused by the broker, or another code than expected.
    Failed,
}

impl AckRule {
    pub fn new(args: &AckArgs) -> AckRule {
        AckRule {
            require_subscribers: args.require_subscribers,
            expected: args.expect_reason.iter().copied().map(ReasonCode).collect(),
        }
    }

    /// The rule for `what` ("message", "request") sent at `qos`: a usage
    /// error when it asks of reason codes that QoS 0 or a pinned MQTT 3 has not.
    pub fn checked(
        args: &AckArgs,
        qos: u8,
        protocol: Option<Protocol>,
        what: &str,
    ) -> anyhow::Result<AckRule> {
        let rule = AckRule::new(args);
        if rule.reads_reason_codes() {
            if qos == 0 {
                return usage(format!(
                    "--require-subscribers and --expect-reason need -q 1 or 2: a QoS 0 {what} \
                     is not acknowledged"
                ));
            }
            if protocol.is_some_and(|p| !p.is_v5()) {
                return usage(
                    "--require-subscribers and --expect-reason need MQTT 5: an MQTT 3 \
                     acknowledgement has no reason code",
                );
            }
        }
        Ok(rule)
    }

    /// Whether the rule asks anything of the reason codes beyond the default,
    /// which a QoS 0 message or an MQTT 3.1.1 acknowledgement cannot answer.
    pub fn reads_reason_codes(&self) -> bool {
        self.require_subscribers || !self.expected.is_empty()
    }

    pub fn judge(&self, reason: ReasonCode) -> AckVerdict {
        if !self.expected.is_empty() {
            return match self.expected.contains(&reason) {
                true => AckVerdict::Accepted,
                false => AckVerdict::Failed,
            };
        }
        match reason {
            _ if reason.is_error() => AckVerdict::Failed,
            ReasonCode::NO_MATCHING_SUBSCRIBERS if self.require_subscribers => AckVerdict::Failed,
            ReasonCode::NO_MATCHING_SUBSCRIBERS => AckVerdict::NoSubscribers,
            _ => AckVerdict::Accepted,
        }
    }

    /// What became of messages whose acknowledgement failed, after "N of M messages".
    pub fn broken(&self) -> String {
        if !self.expected.is_empty() {
            let codes: Vec<String> = self
                .expected
                .iter()
                .map(|c| format!("0x{:02x}", c.0))
                .collect();
            format!(
                "were acknowledged otherwise than --expect-reason {} asks",
                codes.join(",")
            )
        } else if self.require_subscribers {
            "were refused or matched no subscriber (--require-subscribers)".to_string()
        } else {
            "refused by the broker".to_string()
        }
    }
}

impl AckRule {
    /// What became of one message whose acknowledgement failed, after "the request".
    pub fn broken_one(&self) -> String {
        if !self.expected.is_empty() {
            self.broken().replacen("were", "was", 1)
        } else if self.require_subscribers {
            "was refused or matched no subscriber (--require-subscribers)".to_string()
        } else {
            "was refused by the broker".to_string()
        }
    }
}

/// Says on stderr which subscriptions the SUBACK refused, and, with
/// `note_lower`, where it granted a lower QoS than asked (messages then come
/// at the QoS granted: a broker's `max_qos`); fails when it granted none.
pub fn check_suback(
    protocol: Protocol,
    subscriptions: &[Subscription],
    suback: &SubAck,
    note_lower: bool,
) -> anyhow::Result<()> {
    let mut granted = 0;
    for (subscription, reason) in subscriptions.iter().zip(&suback.reasons) {
        if reason.is_error() {
            say(format_args!(
                "subscription to {:?} refused: {}",
                subscription.filter,
                refusal(protocol, *reason, suback)
            ));
            continue;
        }
        granted += 1;
        if note_lower && reason.0 < subscription.qos as u8 {
            say(format_args!(
                "note: the broker granted QoS {} for {:?}, not the QoS {} asked",
                reason.0, subscription.filter, subscription.qos as u8
            ));
        }
    }
    if granted == 0 {
        anyhow::bail!("the broker granted none of the subscriptions");
    }
    Ok(())
}

/// Why the broker refused a subscription, in words.
fn refusal(protocol: Protocol, reason: ReasonCode, suback: &SubAck) -> String {
    // MQTT 3.1.1 has one failure code, which says no more than "refused".
    match protocol {
        Protocol::V5 => verdict(reason, suback.properties.reason_string.as_deref()),
        _ => "refused".to_string(),
    }
}

/// The broker refused every subscription of a SUBSCRIBE: exit code 4, as for
/// a refused connection, for the commands that have nothing to do without one.
#[derive(Debug)]
pub struct SubscriptionRefused(String);

impl std::fmt::Display for SubscriptionRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SubscriptionRefused {}

/// As [`check_suback`], except that a SUBACK that refused every
/// subscription is one [`SubscriptionRefused`] error, with each filter and
/// why, and nothing said before it.
pub fn require_suback(
    protocol: Protocol,
    subscriptions: &[Subscription],
    suback: &SubAck,
) -> anyhow::Result<()> {
    if suback.reasons.iter().any(|reason| !reason.is_error()) {
        return check_suback(protocol, subscriptions, suback, true);
    }
    let refused: Vec<String> = subscriptions
        .iter()
        .zip(&suback.reasons)
        .map(|(subscription, reason)| match protocol {
            Protocol::V5 => format!(
                "{:?}: {}",
                subscription.filter,
                refusal(protocol, *reason, suback)
            ),
            // MQTT 3.1.1's one failure code gives no reason.
            _ => format!("{:?}", subscription.filter),
        })
        .collect();
    let what = if refused.len() == 1 {
        "subscription to"
    } else {
        "subscriptions to"
    };
    Err(SubscriptionRefused(format!(
        "the broker refused the {what} {}",
        refused.join("; ")
    ))
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(require_subscribers: bool, expect_reason: &[u8]) -> AckRule {
        AckRule::new(&AckArgs {
            require_subscribers,
            expect_reason: expect_reason.to_vec(),
        })
    }

    #[test]
    fn by_default_errors_fail_and_no_subscribers_is_a_note() {
        let rule = rule(false, &[]);
        assert_eq!(rule.judge(ReasonCode::SUCCESS), AckVerdict::Accepted);
        assert_eq!(rule.judge(ReasonCode(0x10)), AckVerdict::NoSubscribers);
        assert_eq!(rule.judge(ReasonCode(0x87)), AckVerdict::Failed);
        assert!(!rule.reads_reason_codes());
    }

    #[test]
    fn require_subscribers_fails_on_0x10() {
        let rule = rule(true, &[]);
        assert_eq!(rule.judge(ReasonCode(0x10)), AckVerdict::Failed);
        assert_eq!(rule.judge(ReasonCode::SUCCESS), AckVerdict::Accepted);
        assert!(rule.reads_reason_codes());
    }

    #[test]
    fn expected_codes_succeed_and_every_other_fails() {
        let rule = rule(false, &[0x87, 0x10]);
        assert_eq!(rule.judge(ReasonCode(0x87)), AckVerdict::Accepted);
        assert_eq!(rule.judge(ReasonCode(0x10)), AckVerdict::Accepted);
        assert_eq!(rule.judge(ReasonCode::SUCCESS), AckVerdict::Failed);
        assert!(rule.broken().contains("--expect-reason 0x87,0x10"));
    }
}
