//! Riding out a lost connection, for the commands that run for long: whether
//! to, how often to try, the pauses between tries, and one line on stderr for
//! each event (lost, retrying, reconnected).

use std::time::Duration;

use tokio::time::Instant;

use super::notices::say;
use super::{error_line, Said};
use crate::cli::ReconnectArgs;
use crate::client::{Client, ClientError, Options, Resumption};

/// The pause before the first try; it doubles after each failed one.
const FIRST_PAUSE: Duration = Duration::from_millis(500);

/// The longest pause between two tries.
const LONGEST_PAUSE: Duration = Duration::from_secs(30);

/// What to do when a connection is lost, resolved from the arguments.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Reconnect at all (no --no-reconnect).
    pub enabled: bool,
    /// The most tries in one outage (--reconnect-retries); `None`: no limit.
    pub retries: Option<u32>,
    /// Tries after a failed first connect (--connect-retries).
    pub connect_retries: u32,
}

impl Policy {
    pub fn new(args: &ReconnectArgs) -> Policy {
        Policy {
            enabled: !args.no_reconnect,
            retries: args.reconnect_retries,
            connect_retries: args.connect_retries,
        }
    }

    /// Whether `error` is an outage to ride out rather than the end.
    pub fn rides_out(&self, error: &ClientError) -> bool {
        self.enabled && error.is_connection_loss()
    }
}

/// Connects with `connect`, trying again as often as --connect-retries
/// allows when the broker could not be reached or was busy.
pub async fn first_connect<F, Fut>(policy: &Policy, mut connect: F) -> anyhow::Result<Client>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Client>>,
{
    let mut pause = FIRST_PAUSE;
    for _ in 0..policy.connect_retries {
        match connect().await {
            Err(error) if is_transient(&error) => {
                say(format_args!(
                    "{}; retrying in {}",
                    error_line(&error),
                    seconds(pause)
                ));
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(LONGEST_PAUSE);
            }
            result => return result,
        }
    }
    connect().await
}

/// What ended a way back after a lost connection (reconnecting, then
/// subscribing again): another outage to ride out, returned as its cause,
/// or the end of the command, returned as the error.
pub fn another_outage(policy: &Policy, error: anyhow::Error) -> anyhow::Result<ClientError> {
    match error.downcast::<ClientError>() {
        Ok(lost) if policy.rides_out(&lost) => Ok(lost),
        Ok(other) => Err(other.into()),
        Err(error) => Err(error),
    }
}

/// Connects again after `cause` ([`reconnect`]), then does what coming back
/// takes (`resume`: subscribing again when the broker did not keep the
/// session, announcing the client online); a connection lost on the way is
/// ridden out the same way.
///
/// Cancel safe only as a whole, as [`reconnect`].
pub async fn ride_out(
    client: &mut Client,
    options: &Options,
    policy: &Policy,
    mut cause: ClientError,
    mut resume: impl AsyncFnMut(&mut Client, &Resumption) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    loop {
        let back = async {
            let resumption = reconnect(client, options, policy, cause).await?;
            resume(client, &resumption).await
        };
        match back.await {
            Ok(()) => return Ok(()),
            Err(error) => cause = another_outage(policy, error)?,
        }
    }
}

/// Whether an error from connecting is one that trying again may mend.
fn is_transient(error: &anyhow::Error) -> bool {
    super::client_error(error).is_some_and(ClientError::is_transient)
}

/// Connects again after `cause` ended the connection, with growing pauses,
/// until the broker takes the client back or --reconnect-retries runs out.
///
/// Cancel safe only as a whole: pin it and poll it to the end, beside the
/// command's other work (reading input meanwhile, Ctrl-C).
pub async fn reconnect(
    client: &mut Client,
    options: &Options,
    policy: &Policy,
    cause: ClientError,
) -> anyhow::Result<Resumption> {
    let began = Instant::now();
    let mut pause = FIRST_PAUSE;
    say(format_args!(
        "{}; reconnecting in {}",
        Said(&cause),
        seconds(pause)
    ));
    let mut tries = 0u32;
    loop {
        tokio::time::sleep(pause).await;
        tries += 1;
        let error = match client.reconnect(options).await {
            Ok(resumption) => {
                let outage = seconds(began.elapsed());
                let session = match (resumption.session_present, resumption.resent) {
                    _ if resumption.gave_up_session => "the session was given up: the broker \
                        closed the connection each time it was resumed"
                        .to_string(),
                    (true, 0) => "the broker kept the session".to_string(),
                    (true, n) => format!("the broker kept the session; {n} sent again"),
                    (false, _) => "the broker did not keep the session".to_string(),
                };
                say(format_args!("reconnected after {outage}; {session}"));
                return Ok(resumption);
            }
            Err(error) => error,
        };
        let out_of_tries = policy.retries.is_some_and(|limit| tries >= limit);
        if !error.is_transient() || out_of_tries {
            // In words only: a lost connection is a runtime failure (exit 1),
            // whatever the last try met.
            anyhow::bail!(
                "the connection was lost, and {tries} tr{} to reconnect failed: {}",
                if tries == 1 { "y" } else { "ies" },
                Said(&error)
            );
        }
        pause = (pause * 2).min(LONGEST_PAUSE);
        say(format_args!(
            "{}; retrying in {}",
            Said(&error),
            seconds(pause)
        ));
    }
}

/// A duration as a person reads it: "0.5s", "30s", "2.3s".
fn seconds(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds >= 10.0 {
        format!("{seconds:.0}s")
    } else {
        format!("{:.1}s", seconds).replace(".0s", "s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_person_would_write_them() {
        assert_eq!(seconds(Duration::from_millis(500)), "0.5s");
        assert_eq!(seconds(Duration::from_secs(2)), "2s");
        assert_eq!(seconds(Duration::from_millis(2345)), "2.3s");
        assert_eq!(seconds(Duration::from_secs(30)), "30s");
    }
}
