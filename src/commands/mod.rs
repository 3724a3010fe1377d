//! The subcommands. Each turns its parsed arguments into a plan of plain
//! settings first (validation and defaults in one place), then runs it against
//! the client. Commands never touch bytes on the wire.
//!
//! This file declares the commands and maps errors to exit codes. What every
//! command shares is beside it: `checks` (usage errors, topics, MQTT 5 only),
//! `options` turns the flags into client options, `hints` connects and puts
//! client errors into the lines users read (with the flags that bear on them),
//! `notices` prints warnings and the client's notices, `lifecycle`,
//! `reconnect` and `interrupt` keep a connection going and end it, `acks` and
//! `correlation` judge acknowledgements and match responses, `json` the
//! reports' figures.

mod acks;
pub mod bench;
pub mod broker;
mod checks;
pub mod config;
mod correlation;
mod hints;
mod interrupt;
mod json;
mod lifecycle;
mod notices;
mod options;
pub(crate) mod payloads;
pub mod ping;
pub mod publish;
pub mod reconnect;
pub mod replay;
pub mod respond;
pub mod rr;
pub mod subscribe;
pub mod topics;
pub mod will;

pub use acks::{check_suback, require_suback, AckRule, AckVerdict, SubscriptionRefused};
pub use checks::{
    check_topic_filter, check_topic_name, non_negative_seconds, one_topic, positive_seconds, qos,
    require_v5, usage, UsageError,
};
use hints::Hinted;
pub use hints::{connect, error_line, Said};
pub use interrupt::{sleep_until, Interrupt, Interrupted};
pub use json::json_ms;
use lifecycle::{check_end, client_ending};
pub use lifecycle::{take_over, Lifecycle};
pub(crate) use notices::warn;
pub(crate) use options::random_suffix;
pub use options::{alias_topics, client_options, client_options_with_topic, message_properties};

use crate::client::ClientError;

/// The exit code for an error: 2 for a usage error, 3 when the broker could
/// not be reached (or, for `mqtk broker`, could not listen), 4 when it
/// refused us (or, for `mqtk topics`, every subscription), 65 for a line of
/// `mqtk replay`'s input that is not a recorded message, 1 for everything else.
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
            if cause.is::<SubscriptionRefused>() {
                return Some(exit::REFUSED);
            }
            if cause.is::<replay::BadRecording>() {
                return Some(exit::BAD_RECORDING);
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
                | ClientError::AuthFailed { .. }
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
