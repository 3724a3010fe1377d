//! What became of `pub`'s messages, and the exit code that follows.

use anyhow::bail;

use crate::client::{verdict, Client, Event};
use crate::codec::ReasonCode;
use crate::commands::notices::say;
use crate::commands::{AckRule, AckVerdict};

/// What became of the messages.
#[derive(Debug, Default)]
pub struct Tally {
    /// Taken from the input (each repeat counts).
    pub read: u64,
    /// Handed to the client, once each (not counting what was sent again).
    pub sent: u64,
    pub accepted: u64,
    /// Not acknowledged as the rule asks: refused, or another reason code.
    pub refused: u64,
    /// Accepted with "no matching subscribers" (0x10).
    pub no_subscribers: u64,
    /// QoS 0 messages written on connections that were lost before the
    /// broker confirmed reading them: nobody can know whether they arrived.
    pub unconfirmed_qos0: u64,
    /// QoS 2 messages published again after a broker lost the session.
    pub maybe_twice: u64,
    /// Whether the whole input was read (or ended by Ctrl-C).
    pub input_ended: bool,
    /// The first refusal, to name in the error.
    first_refusal: Option<(ReasonCode, Option<String>)>,
    /// What the acknowledgements must say.
    pub(super) rule: AckRule,
}

impl Tally {
    pub(super) fn record(&mut self, event: &Event) {
        let Event::Published {
            reason,
            reason_string,
            ..
        } = event
        else {
            return;
        };
        match self.rule.judge(*reason) {
            AckVerdict::Accepted => self.accepted += 1,
            AckVerdict::NoSubscribers => {
                self.accepted += 1;
                self.no_subscribers += 1;
                if self.no_subscribers == 1 {
                    say(format_args!(
                        "note: no subscriber matched: the broker answered {}; \
                         --require-subscribers makes this fail",
                        verdict(*reason, reason_string.as_deref())
                    ));
                }
            }
            AckVerdict::Failed => {
                self.refused += 1;
                self.first_refusal
                    .get_or_insert_with(|| (*reason, reason_string.clone()));
            }
        }
    }

    /// Records every event that has already arrived, without waiting.
    pub(super) fn record_arrived(&mut self, client: &mut Client) {
        while let Some(event) = client.try_next_event() {
            self.record(&event);
        }
    }

    /// Counts the QoS 0 messages a lost connection leaves in doubt.
    pub(super) fn count_unconfirmed(&mut self, client: &Client) {
        self.unconfirmed_qos0 += client.unconfirmed_qos0();
    }

    /// Puts a failure in terms of the messages it cost.
    pub(crate) fn loss(&self, error: anyhow::Error) -> anyhow::Error {
        let lost = self.read - self.accepted;
        if lost > 0 {
            error.context(format!("{lost} of {} messages not acknowledged", self.read))
        } else if !self.input_ended {
            error.context(match self.read {
                0 => "nothing was published".to_string(),
                n => format!(
                    "the {n} messages read were acknowledged; the rest of the input was not \
                     published"
                ),
            })
        } else {
            error
        }
    }

    /// Success, or what went wrong with the messages that were sent.
    pub(crate) fn verdict(&self) -> anyhow::Result<()> {
        if self.no_subscribers > 0 && self.sent > 1 {
            say(format_args!(
                "note: {} of {} messages matched no subscriber",
                self.no_subscribers, self.sent
            ));
        }
        if let Some((reason, reason_string)) = &self.first_refusal {
            bail!(
                "{} of {} messages {}: {}",
                self.refused,
                self.sent,
                self.rule.broken(),
                verdict(*reason, reason_string.as_deref())
            );
        }
        if self.unconfirmed_qos0 > 0 {
            bail!(
                "{} QoS 0 messages were written on connections that were then lost, and may \
                 not have arrived (QoS 1 makes sure)",
                self.unconfirmed_qos0
            );
        }
        Ok(())
    }
}
