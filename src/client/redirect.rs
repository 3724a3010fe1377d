//! Server redirection (MQTT 5.0 §4.11): a broker that refuses a CONNECT, or
//! ends a connection, with 0x9C Use another server or 0x9D Server moved may
//! name the broker to use instead in a Server Reference. The client follows
//! it, one hop at a time ([`establish`]), and no further than [`MAX_HOPS`]
//! in a row.

use std::borrow::Cow;
use std::fmt;

use super::handshake::{handshake, Established};
use super::{ClientError, Notice, Options};
use crate::codec::ReasonCode;

/// The most redirects followed in a row without reaching a broker that
/// takes the connection: two brokers that send clients to each other must
/// not keep one going round for ever.
pub const MAX_HOPS: u32 = 5;

/// Where a broker sent the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub host: String,
    pub port: u16,
    /// 0x9C Use another server or 0x9D Server moved.
    pub reason: ReasonCode,
}

impl fmt::Display for Redirect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The broker `error` sends the client to, if it is a redirect with a Server
/// Reference the client can follow; `port` is the one in use, for a reference
/// that names none.
pub fn redirect(error: &ClientError, port: u16) -> Option<Redirect> {
    let (reason, reference) = match error {
        ClientError::Refused {
            reason,
            server_reference,
            ..
        }
        | ClientError::Disconnected {
            reason,
            server_reference,
            ..
        } => (*reason, server_reference.as_deref()?),
        _ => return None,
    };
    if !is_redirect(reason) {
        return None;
    }
    let (host, port) = parse_reference(reference, port)?;
    Some(Redirect { host, port, reason })
}

/// Whether `reason` sends the client to another broker.
pub fn is_redirect(reason: ReasonCode) -> bool {
    matches!(reason.0, 0x9C | 0x9D)
}

/// The first broker of a Server Reference: references are separated by
/// spaces, each a host name or address with an optional `:port`, an IPv6
/// address in brackets when it has a port.
fn parse_reference(reference: &str, default_port: u16) -> Option<(String, u16)> {
    let first = reference.split_whitespace().next()?;
    if let Some(rest) = first.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(port) => port.parse().ok()?,
            None if after.is_empty() => default_port,
            None => return None,
        };
        return Some((host.to_string(), port));
    }
    match first.split_once(':') {
        // More than one colon: a bare IPv6 address, without a port.
        Some((_, rest)) if rest.contains(':') => Some((first.to_string(), default_port)),
        Some((host, port)) if !host.is_empty() => Some((host.to_string(), port.parse().ok()?)),
        Some(_) => None,
        None => Some((first.to_string(), default_port)),
    }
}

/// Handshakes with the broker of `options`, or with the one it redirects
/// to, hop by hop; returns the connection and the host and port it reached.
pub(super) async fn establish(
    options: &Options,
) -> Result<(Established, (String, u16)), ClientError> {
    let mut options = Cow::Borrowed(options);
    let mut hops = 0;
    loop {
        let error = match handshake(&options).await {
            Ok(established) => return Ok((established, (options.host.clone(), options.port))),
            Err(error) => error,
        };
        let Some(to) = redirect(&error, options.port) else {
            return Err(error);
        };
        if hops == MAX_HOPS {
            return Err(ClientError::TooManyRedirects {
                hops,
                to: to.to_string(),
            });
        }
        hops += 1;
        options.notices.tell(Notice::Redirected {
            from: (options.host.clone(), options.port),
            to: to.clone(),
        });
        let options = options.to_mut();
        options.host = to.host;
        options.port = to.port;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_names_a_host_and_maybe_a_port() {
        let parse = |text| parse_reference(text, 1883);
        assert_eq!(parse("other.example"), Some(("other.example".into(), 1883)));
        assert_eq!(parse("other:1884"), Some(("other".into(), 1884)));
        assert_eq!(parse("a:1 b:2"), Some(("a".into(), 1)));
        assert_eq!(parse("[::1]:1885"), Some(("::1".into(), 1885)));
        assert_eq!(parse("[::1]"), Some(("::1".into(), 1883)));
        assert_eq!(parse("fe80::1"), Some(("fe80::1".into(), 1883)));
        assert_eq!(parse(""), None);
        assert_eq!(parse("host:port"), None);
        assert_eq!(parse(":1884"), None);
        assert_eq!(parse("[::1]x"), None);
    }

    #[test]
    fn only_use_another_server_and_server_moved_redirect() {
        let refused = |code, reference: Option<&str>| ClientError::Refused {
            reason: ReasonCode(code),
            reason_string: None,
            server_reference: reference.map(str::to_string),
        };
        let to = redirect(&refused(0x9D, Some("b:2")), 1883).unwrap();
        assert_eq!(
            (to.host.as_str(), to.port, to.to_string()),
            ("b", 2, "b:2".into())
        );
        assert_eq!(redirect(&refused(0x9C, None), 1883), None);
        assert_eq!(redirect(&refused(0x87, Some("b:2")), 1883), None);
        let moved = Redirect {
            host: "::1".into(),
            port: 1,
            reason: ReasonCode(0x9C),
        };
        assert_eq!(moved.to_string(), "[::1]:1");
    }
}
