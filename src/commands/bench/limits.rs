//! What the machine allows, checked before connecting anything: a run that
//! cannot fit fails at once with the limit and what to change, rather than
//! with thousands of connect errors later.

use crate::commands::usage;

/// File descriptors kept for everything but the connections: stdio, the
/// runtime, the embedded broker's listeners, a report file.
const SPARE_FDS: u64 = 64;

/// Raises the open-file limit to the hard limit, and fails when `connections`
/// still would not fit (or, for a broker in this process, twice as many: its
/// side of each connection needs one too).
pub fn check(connections: u64, embedded: bool, sources: usize) -> anyhow::Result<()> {
    let needed = connections * if embedded { 2 } else { 1 } + SPARE_FDS;
    if let Some((soft, hard)) = raise_fd_limit() {
        if needed > soft {
            return usage(format!(
                "{connections} connections need {needed} file descriptors, and this process may \
                 open {soft} (hard limit {hard}): raise the hard limit (ulimit -Hn, or \
                 LimitNOFILE= for a service) or run fewer connections per process"
            ));
        }
    }
    if let Some(ports) = ephemeral_ports() {
        // Each source address has the whole range to one broker address.
        let sources = sources.max(1) as u64;
        let per_source = connections.div_ceil(sources);
        if per_source > ports {
            return usage(format!(
                "{connections} connections from {sources} local address{} to one broker address \
                 need {per_source} local ports each, and the ephemeral port range \
                 (net.ipv4.ip_local_port_range) has {ports}: add source addresses with --ifaddr \
                 (127.0.0.2, 127.0.0.3, ... on loopback) or widen the range",
                if sources == 1 { "" } else { "es" }
            ));
        }
    }
    Ok(())
}

/// Sets the soft open-file limit to the hard one; returns both (no limit
/// is `u64::MAX`).
#[cfg(unix)]
fn raise_fd_limit() -> Option<(u64, u64)> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    let (current, maximum) = (
        limit.current.unwrap_or(u64::MAX),
        limit.maximum.unwrap_or(u64::MAX),
    );
    if current < maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        // A failure leaves the limit as it was.
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return Some((maximum, maximum));
        }
    }
    Some((current, maximum))
}

#[cfg(not(unix))]
fn raise_fd_limit() -> Option<(u64, u64)> {
    None
}

/// How many local ports one source address has for connections (Linux).
fn ephemeral_ports() -> Option<u64> {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut bounds = range.split_whitespace().map(|n| n.parse::<u64>());
    match (bounds.next()?, bounds.next()?) {
        (Ok(low), Ok(high)) if high >= low => Some(high - low + 1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fd_limit_is_raised_to_the_hard_limit() {
        let (soft, hard) = raise_fd_limit().unwrap();
        assert_eq!(soft, hard);
    }

    #[test]
    fn a_load_that_cannot_fit_is_a_usage_error_naming_the_limit() {
        let error = check(u64::MAX / 4, false, 1).unwrap_err();
        assert!(error.is::<crate::commands::UsageError>());
        assert!(error.to_string().contains("file descriptors"), "{error}");
        assert!(check(10, true, 1).is_ok());
    }
}
