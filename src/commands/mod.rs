//! The subcommands. Each turns its parsed arguments into a plan of plain
//! settings first (validation and defaults in one place), then runs it against
//! the client. Commands never touch bytes on the wire.
//!
//! What every command shares is here or beside it: `options` turns the flags
//! into client options, `hints` puts client errors into the lines users read
//! (with the flags that bear on them), `notices` prints warnings and the
//! client's notices, `lifecycle` and `reconnect` keep a connection going.

mod acks;
pub mod bench;
pub mod broker;
mod correlation;
mod hints;
mod interrupt;
mod lifecycle;
mod notices;
mod options;
pub mod ping;
pub mod publish;
pub mod reconnect;
pub mod respond;
pub mod rr;
pub mod subscribe;
pub mod will;

pub use acks::{AckRule, AckVerdict};
use hints::Hinted;
pub use hints::{error_line, Said};
pub use interrupt::Interrupt;
use lifecycle::{check_end, client_ending};
pub use lifecycle::{take_over, Lifecycle};
pub(crate) use notices::warn;
pub(crate) use options::random_suffix;
pub use options::{client_options, client_options_with_topic, message_properties};

use std::fmt;
use std::time::Duration;

use crate::client::{Client, ClientError, Options};
use crate::codec::{topic, Protocol, QoS};

/// A mistake on the command line found after parsing: exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A second Ctrl-C: the command stopped at once, with nothing more to say
/// (exit code 130).
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted again: stopped without the report")
    }
}

impl std::error::Error for Interrupted {}

/// Fails with a usage error.
pub fn usage<T>(message: impl Into<String>) -> anyhow::Result<T> {
    Err(UsageError(message.into()).into())
}

/// Checks a topic name given on the command line.
pub fn check_topic_name(name: &str, flag: &str) -> anyhow::Result<()> {
    topic::validate_name(name).or_else(|e| usage(format!("invalid topic for {flag}: {e}")))
}

/// Checks a topic filter given on the command line.
pub fn check_topic_filter(filter: &str, flag: &str) -> anyhow::Result<()> {
    topic::validate_filter(filter)
        .or_else(|e| usage(format!("invalid topic filter for {flag}: {e}")))
}

/// Connects as `options` say; a broker that refuses the pinned protocol
/// version gets a hint at the flag that pinned it.
pub async fn connect(options: &Options) -> anyhow::Result<Client> {
    match Client::connect(options).await {
        Ok(client) => Ok(client),
        Err(e) if options.protocol.is_some() && e.is_unsupported_version() => {
            let other = match options.protocol {
                Some(Protocol::V5) => "3.1.1",
                _ => "5",
            };
            let hint = format!("leave -V out or use -V {other}");
            Err(Hinted { error: e, hint }.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Fails unless the connection speaks MQTT 5, which `what` needs.
pub fn require_v5(client: &Client, what: &str) -> anyhow::Result<()> {
    let protocol = client.protocol();
    if !protocol.is_v5() {
        anyhow::bail!("{what} needs MQTT 5, and the broker speaks MQTT {protocol}");
    }
    Ok(())
}

/// Milliseconds to the microsecond, for the JSON reports.
pub fn json_ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e6).round() / 1e3
}

/// The QoS for a number clap has already range-checked.
pub fn qos(value: u8) -> QoS {
    QoS::from_u8(value).unwrap_or(QoS::AtMostOnce)
}

/// The exit code for an error: 2 for a usage error, 3 when the broker could
/// not be reached (or, for `mqtk broker`, could not listen), 4 when it
/// refused us, 1 for everything else.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    use crate::cli::exit;
    error
        .chain()
        .find_map(|cause| {
            if cause.is::<UsageError>() {
                return Some(exit::USAGE);
            }
            if cause.is::<Interrupted>() {
                return Some(exit::INTERRUPTED);
            }
            #[cfg(feature = "broker")]
            if let Some(error) = cause.downcast_ref::<crate::broker::BrokerError>() {
                return Some(if error.is_listen_failure() {
                    exit::CANNOT_LISTEN
                } else {
                    exit::FAILURE
                });
            }
            let error = as_client_error(cause)?;
            if error.is_unreachable() {
                return Some(exit::UNREACHABLE);
            }
            match error {
                ClientError::Refused { .. }
                | ClientError::TooManyRedirects { .. }
                | ClientError::VersionRefused { .. }
                | ClientError::TlsRefused { .. }
                | ClientError::WebSocketRefused { .. } => Some(exit::REFUSED),
                _ => None,
            }
        })
        .unwrap_or(exit::FAILURE)
}

/// The client error `cause` is, bare or with a hint.
fn as_client_error<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a ClientError> {
    match cause.downcast_ref::<Hinted>() {
        Some(hinted) => Some(&hinted.error),
        None => cause.downcast_ref::<ClientError>(),
    }
}

/// The first client error in `error`'s chain, bare or with a hint.
pub fn client_error(error: &anyhow::Error) -> Option<&ClientError> {
    error.chain().find_map(as_client_error)
}
