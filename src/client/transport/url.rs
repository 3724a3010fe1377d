//! Broker URLs as mosquitto's tools take them, and as WebSocket
//! brokers are named:
//!
//! ```text
//! mqtt[s]://[user[:password]@]host[:port][/topic]
//! ws[s]://[user[:password]@]host[:port][/path]
//! ```
//!
//! The topic is percent-decoded. `#` starts a URL's fragment and `+` is a
//! space in some URL dialects, so as wildcards they are written `%23` and
//! `%2B`; written plainly they are an error rather than a surprise.
//!
//! The path of a WebSocket URL is the HTTP path of the upgrade (`/mqtt` when
//! there is none), sent as written, query included: it names no topic.

use percent_encoding::percent_decode_str;

/// The scheme of a broker URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Mqtt,
    Mqtts,
    /// MQTT over WebSocket.
    Ws,
    /// MQTT over WebSocket over TLS.
    Wss,
}

/// The WebSocket path when nothing names another, as most brokers
/// serve it.
pub const DEFAULT_WEBSOCKET_PATH: &str = "/mqtt";

impl Scheme {
    /// The port a scheme implies.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Mqtt => 1883,
            Scheme::Mqtts => 8883,
            Scheme::Ws => 80,
            Scheme::Wss => 443,
        }
    }

    pub fn is_tls(self) -> bool {
        matches!(self, Scheme::Mqtts | Scheme::Wss)
    }

    pub fn is_websocket(self) -> bool {
        matches!(self, Scheme::Ws | Scheme::Wss)
    }
}

/// A parsed broker URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    pub scheme: Scheme,
    /// Without the brackets of an IPv6 literal.
    pub host: String,
    pub port: Option<u16>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// mqtt(s): the path without its leading `/`, percent-decoded; `None`
    /// when empty.
    pub topic: Option<String>,
    /// ws(s): the path of the WebSocket upgrade, as written; `None` when the
    /// URL has none (the default, [`DEFAULT_WEBSOCKET_PATH`], applies).
    pub websocket_path: Option<String>,
}

impl BrokerUrl {
    /// Parses a URL; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<BrokerUrl, String> {
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| "a URL starts with mqtt://, mqtts://, ws:// or wss://".to_string())?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "mqtt" | "tcp" => Scheme::Mqtt,
            "mqtts" | "ssl" | "tls" => Scheme::Mqtts,
            "ws" => Scheme::Ws,
            "wss" => Scheme::Wss,
            other => {
                return Err(format!(
                    "unknown scheme {other}://; use mqtt://, mqtts://, ws:// or wss://"
                ))
            }
        };
        if rest.contains('#') {
            return Err("write # as %23 in a URL (a plain # starts its fragment)".into());
        }
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash + 1..]),
            None => (rest, ""),
        };
        if path.contains('+') && !scheme.is_websocket() {
            return Err("write + as %2B in a URL".into());
        }
        let (userinfo, hostport) = split_userinfo(authority)?;
        let (username, password) = match userinfo {
            Some((user, password)) => (Some(user), password),
            None => (None, None),
        };
        let (host, port) = split_host_port(hostport)?;
        if host.is_empty() {
            return Err("the URL names no host".into());
        }
        let (topic, websocket_path) = if scheme.is_websocket() {
            let path = Some(format!("/{path}")).filter(|_| rest.contains('/'));
            (None, path)
        } else {
            (Some(decode(path)?).filter(|t| !t.is_empty()), None)
        };
        Ok(BrokerUrl {
            scheme,
            host,
            port,
            username,
            password,
            topic,
            websocket_path,
        })
    }

    /// The port to connect to: the URL's own, or the scheme's.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.scheme.default_port())
    }
}

/// Splits `host[:port]`, where host may be a bracketed IPv6 literal.
pub(super) fn split_host_port(text: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| "an IPv6 address in a URL ends with ]".to_string())?;
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(format!("unexpected {after:?} after the IPv6 address")),
            },
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(|| format!("{p:?} is not a port"))?,
        ),
    };
    Ok((host.to_string(), port))
}

/// A URL's user name and password, percent-decoded; the password `None`
/// where the URL has no colon after the user name.
pub(super) type UserInfo = (String, Option<String>);

/// Splits a URL's authority into its user information, if any, and
/// `host[:port]`.
pub(super) fn split_userinfo(authority: &str) -> Result<(Option<UserInfo>, &str), String> {
    let Some((info, hostport)) = authority.rsplit_once('@') else {
        return Ok((None, authority));
    };
    let userinfo = match info.split_once(':') {
        Some((user, password)) => (decode(user)?, Some(decode(password)?)),
        None => (decode(info)?, None),
    };
    Ok((Some(userinfo), hostport))
}

/// Percent-decodes `text` into UTF-8.
pub(super) fn decode(text: &str) -> Result<String, String> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| format!("{text:?} is not UTF-8 once percent-decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> BrokerUrl {
        BrokerUrl::parse(text).unwrap()
    }

    #[test]
    fn every_part_of_a_url_is_read() {
        let url = parse("mqtts://al%40ice:p%3Ass@broker.example:8884/house/%2B/temp");
        assert_eq!(url.scheme, Scheme::Mqtts);
        assert_eq!(url.host, "broker.example");
        assert_eq!(url.port(), 8884);
        assert_eq!(url.username.as_deref(), Some("al@ice"));
        assert_eq!(url.password.as_deref(), Some("p:ss"));
        assert_eq!(url.topic.as_deref(), Some("house/+/temp"));
    }

    #[test]
    fn the_scheme_sets_the_default_port_and_a_path_is_optional() {
        let plain = parse("mqtt://localhost");
        assert_eq!(
            (plain.port(), plain.topic, plain.username),
            (1883, None, None)
        );
        assert_eq!(parse("mqtts://h/").port(), 8883);
        assert_eq!(parse("mqtt://u@h").username.as_deref(), Some("u"));
    }

    #[test]
    fn ipv6_literals_are_written_in_brackets() {
        let url = parse("mqtt://[::1]:1884/t");
        assert_eq!((url.host.as_str(), url.port()), ("::1", 1884));
        assert_eq!(parse("mqtt://[fe80::1]").host, "fe80::1");
        assert!(BrokerUrl::parse("mqtt://[::1/t").is_err());
    }

    #[test]
    fn wildcards_must_be_escaped_and_mistakes_are_named() {
        assert_eq!(parse("mqtt://h/a/%23").topic.as_deref(), Some("a/#"));
        let error = |text| BrokerUrl::parse(text).unwrap_err();
        assert!(error("mqtt://h/a/#").contains("%23"));
        assert!(error("mqtt://h/a/+/b").contains("%2B"));
        assert!(error("http://h").contains("unknown scheme"));
        assert!(error("h:1883").contains("mqtt://"));
        assert!(error("h:1883").contains("ws://"));
        assert!(error("mqtt://h:99999").contains("not a port"));
        assert!(error("mqtt://:1883").contains("no host"));
    }

    #[test]
    fn a_websocket_url_names_the_upgrade_path_and_no_topic() {
        let url = parse("wss://u:p@broker.example/mqtt?x-token=a+b");
        assert_eq!(url.scheme, Scheme::Wss);
        assert!(url.scheme.is_tls() && url.scheme.is_websocket());
        assert_eq!((url.host.as_str(), url.port()), ("broker.example", 443));
        assert_eq!(url.websocket_path.as_deref(), Some("/mqtt?x-token=a+b"));
        assert_eq!(url.topic, None);
        assert_eq!(url.username.as_deref(), Some("u"));
        let plain = parse("ws://[::1]:9001");
        assert_eq!((plain.host.as_str(), plain.port()), ("::1", 9001));
        assert_eq!(plain.websocket_path, None);
        assert_eq!(parse("ws://h").port(), 80);
        assert_eq!(parse("ws://h/").websocket_path.as_deref(), Some("/"));
        assert_eq!(parse("mqtt://h/a").websocket_path, None);
    }
}
