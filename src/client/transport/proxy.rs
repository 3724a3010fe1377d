//! A SOCKS5 proxy between us and the broker, through tokio-socks:
//!
//! ```text
//! socks5[h]://[user[:password]@]host[:port]
//! ```
//!
//! With `socks5://` we resolve the broker's name and hand the proxy an
//! address; with `socks5h://` the proxy resolves it, which is what reaches a
//! name only the proxy's network knows. The port is 1080 unless given.

use std::io;
use std::net::SocketAddr;

use tokio::net::{lookup_host, TcpStream};
use tokio::time::Instant;
use tokio_socks::tcp::Socks5Stream;
use tokio_socks::{Error as SocksError, TargetAddr};

use super::url::{split_host_port, split_userinfo};
use super::{Base, Opened};
use crate::client::ClientError;

/// The SOCKS port when the URL names none.
const DEFAULT_PORT: u16 = 1080;

/// A SOCKS5 proxy to reach the broker through.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
    /// `socks5h://`: the proxy resolves the broker's name; `socks5://`: we do.
    pub remote_dns: bool,
    /// User name and password authentication (RFC 1929).
    pub credentials: Option<(String, String)>,
}

// By hand, so that no debug output shows the password.
impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("remote_dns", &self.remote_dns)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish()
    }
}

impl Proxy {
    /// Parses a proxy URL; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Proxy, String> {
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| "a proxy URL starts with socks5:// or socks5h://".to_string())?;
        let remote_dns = match scheme.to_ascii_lowercase().as_str() {
            "socks5" => false,
            "socks5h" => true,
            other => {
                return Err(format!(
                    "unknown proxy scheme {other}://; mqtk speaks SOCKS5: socks5:// or socks5h://"
                ))
            }
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains('/') {
            return Err("a proxy URL has no path".into());
        }
        let (userinfo, hostport) = split_userinfo(authority)?;
        let credentials = match userinfo {
            None => None,
            Some((user, password)) => {
                let password = password.unwrap_or_default();
                // RFC 1929: each of 1 to 255 bytes.
                if !(1..=255).contains(&user.len()) || !(1..=255).contains(&password.len()) {
                    return Err("a SOCKS5 user name and password are 1 to 255 bytes each".into());
                }
                Some((user, password))
            }
        };
        let (host, port) = split_host_port(hostport)?;
        if host.is_empty() {
            return Err("the proxy URL names no host".into());
        }
        Ok(Proxy {
            host,
            port: port.unwrap_or(DEFAULT_PORT),
            remote_dns,
            credentials,
        })
    }

    /// The proxy as a person names it, without the password.
    pub fn name(&self) -> String {
        let scheme = if self.remote_dns { "socks5h" } else { "socks5" };
        let host = match self.host.contains(':') {
            true => format!("[{}]", self.host),
            false => self.host.clone(),
        };
        format!("{scheme}://{host}:{}", self.port)
    }
}

/// Connects to `host:port` through `proxy`: to the proxy over TCP, then the
/// SOCKS5 handshake, each timed. With local name resolution, each address of
/// the broker is tried in turn, as without a proxy.
pub(super) async fn connect(
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<(Base, Opened), ClientError> {
    let failed = |detail: String| ClientError::Proxy {
        proxy: proxy.name(),
        detail,
    };
    let started = Instant::now();
    let proxy_addrs: Vec<SocketAddr> = lookup_host((proxy.host.as_str(), proxy.port))
        .await
        .map_err(|e| failed(format!("cannot resolve the proxy's name: {e}")))?
        .collect();
    let targets: Vec<TargetAddr<'static>> = if proxy.remote_dns {
        vec![TargetAddr::Domain(host.to_string().into(), port)]
    } else {
        lookup_host((host, port))
            .await
            .map_err(|source| ClientError::Unreachable {
                addr: format!("{host}:{port}"),
                source,
            })?
            .map(TargetAddr::Ip)
            .collect()
    };
    let resolve = started.elapsed();
    let mut last_error = None;
    for target in targets {
        let tcp_started = Instant::now();
        let stream = connect_to_proxy(&proxy_addrs)
            .await
            .map_err(|e| failed(format!("cannot connect to the proxy: {e}")))?;
        let tcp = tcp_started.elapsed();
        let handshake_started = Instant::now();
        let peer = match &target {
            TargetAddr::Ip(addr) => Some(*addr),
            TargetAddr::Domain(..) => None,
        };
        let result = match &proxy.credentials {
            Some((user, password)) => {
                Socks5Stream::connect_with_password_and_socket(stream, target, user, password).await
            }
            None => Socks5Stream::connect_with_socket(stream, target).await,
        };
        match result {
            Ok(stream) => {
                let opened = Opened {
                    resolve,
                    tcp,
                    proxy: Some(handshake_started.elapsed()),
                    tls: None,
                    websocket: None,
                    peer,
                };
                return Ok((Base::Tcp(stream.into_inner()), opened));
            }
            // The proxy could not reach this address; another may do.
            Err(
                e @ (SocksError::ConnectionRefused
                | SocksError::HostUnreachable
                | SocksError::NetworkUnreachable
                | SocksError::TtlExpired),
            ) if !proxy.remote_dns => last_error = Some(e),
            Err(e) => return Err(failed(socks_error(&e, proxy, host, port))),
        }
    }
    Err(match last_error {
        Some(e) => failed(socks_error(&e, proxy, host, port)),
        None => ClientError::Unreachable {
            addr: format!("{host}:{port}"),
            source: io::Error::new(io::ErrorKind::NotFound, "the name has no address"),
        },
    })
}

async fn connect_to_proxy(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut last_error = io::Error::new(io::ErrorKind::NotFound, "its name has no address");
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                // As without a proxy: small packets must not wait for Nagle.
                stream.set_nodelay(true).ok();
                return Ok(stream);
            }
            Err(e) => last_error = e,
        }
    }
    Err(last_error)
}

/// What the proxy said, in words.
fn socks_error(error: &SocksError, proxy: &Proxy, host: &str, port: u16) -> String {
    let target = format!("{host}:{port}");
    match error {
        SocksError::PasswordAuthFailure(_) => "the proxy refused our user name and password".into(),
        SocksError::NoAcceptableAuthMethods if proxy.credentials.is_none() => {
            "the proxy wants a user name and password (socks5h://user:password@host:port)".into()
        }
        SocksError::NoAcceptableAuthMethods => {
            "the proxy takes no user name and password authentication".into()
        }
        SocksError::ConnectionNotAllowedByRuleset => {
            format!("the proxy does not allow a connection to {target}")
        }
        SocksError::ConnectionRefused => {
            format!("the proxy could not connect to {target}: connection refused")
        }
        SocksError::HostUnreachable | SocksError::NetworkUnreachable => {
            format!("the proxy could not reach {target}: {error}")
        }
        SocksError::GeneralSocksServerFailure if proxy.remote_dns => format!(
            "the proxy failed to connect to {target} (general failure; can it resolve {host}?)"
        ),
        SocksError::Io(e) => format!("the connection to the proxy failed: {e}"),
        SocksError::InvalidResponseVersion | SocksError::UnknownAuthMethod => {
            format!("the proxy does not answer as a SOCKS5 proxy ({error})")
        }
        other => format!("the proxy failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_url_gives_the_resolution_the_credentials_and_the_port() {
        let proxy = Proxy::parse("socks5h://al%40ice:p%3Ass@proxy.example:1081").unwrap();
        assert!(proxy.remote_dns);
        assert_eq!((proxy.host.as_str(), proxy.port), ("proxy.example", 1081));
        assert_eq!(
            proxy.credentials,
            Some(("al@ice".to_string(), "p:ss".to_string()))
        );
        assert_eq!(proxy.name(), "socks5h://proxy.example:1081");
        assert!(!format!("{proxy:?}").contains("p:ss"));
        let local = Proxy::parse("socks5://[::1]/").unwrap();
        assert!(!local.remote_dns);
        assert_eq!((local.host.as_str(), local.port), ("::1", 1080));
        assert_eq!(local.name(), "socks5://[::1]:1080");
    }

    #[test]
    fn a_wrong_proxy_url_is_named() {
        let error = |text| Proxy::parse(text).unwrap_err();
        assert!(error("http://proxy:3128").contains("SOCKS5"));
        assert!(error("proxy:1080").contains("socks5://"));
        assert!(error("socks5://proxy:1080/x").contains("no path"));
        assert!(error("socks5://u@proxy").contains("1 to 255"));
        assert!(error("socks5://:1080").contains("no host"));
    }
}
