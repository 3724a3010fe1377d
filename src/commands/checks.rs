//! What a command checks of what it was asked: usage errors (exit code 2),
//! topics given on the command line, and what only MQTT 5 can do.

use std::fmt;
use std::time::Duration;

use crate::client::Client;
use crate::codec::{topic, QoS};

/// A mistake on the command line found after parsing: exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

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

/// Fails unless the connection speaks MQTT 5, which `what` needs.
pub fn require_v5(client: &Client, what: &str) -> anyhow::Result<()> {
    let protocol = client.protocol();
    if !protocol.is_v5() {
        anyhow::bail!("{what} needs MQTT 5, and the broker speaks MQTT {protocol}");
    }
    Ok(())
}

/// The QoS for a number clap has already range-checked.
pub fn qos(value: u8) -> QoS {
    QoS::from_u8(value).unwrap_or(QoS::AtMostOnce)
}

/// A number of seconds given for `flag`, which must be positive.
pub fn positive_seconds(value: Option<f64>, flag: &str) -> anyhow::Result<Option<Duration>> {
    match value {
        Some(s) if !(s > 0.0 && s.is_finite()) => {
            usage(format!("{flag} must be a positive number of seconds"))
        }
        s => Ok(s.map(Duration::from_secs_f64)),
    }
}

/// A number of seconds given for `flag`, which may be zero.
pub fn non_negative_seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    if !(value >= 0.0 && value.is_finite()) {
        return usage(format!("{flag} must be zero or more seconds"));
    }
    Ok(Duration::from_secs_f64(value))
}

/// The one topic of `-t` or of an `-L` URL's path; `missing` says what to give.
pub fn one_topic(
    flag: Option<String>,
    url: Option<String>,
    missing: &str,
) -> anyhow::Result<String> {
    let topic = match (flag, url) {
        (Some(topic), None) | (None, Some(topic)) => topic,
        (Some(_), Some(_)) => return usage("give the topic with -t or in the URL, not both"),
        (None, None) => return usage(missing),
    };
    check_topic_name(&topic, "-t")?;
    Ok(topic)
}
