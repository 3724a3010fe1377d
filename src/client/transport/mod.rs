//! The byte stream under a connection: TCP (directly or through a SOCKS5
//! proxy) or a Unix domain socket, with TLS on top when asked, and WebSocket
//! on top of that. Every kind is one `AsyncRead + AsyncWrite`, so nothing
//! above this module knows which one it has.
//!
//! Layout:
//! - this file: [`Transport`], [`Route`] (where and how to connect) and the
//!   connect steps, timed for `mqtk ping`
//! - `proxy`: SOCKS5, its URL and its errors in words
//! - `tls`: rustls settings, the handshake, and its failures as typed causes
//! - `websocket`: the upgrade, its failures as typed values, and the
//!   frames-to-bytes adapter
//! - `url`: broker URLs (`mqtt://`, `mqtts://`, `ws://`, `wss://`)

mod proxy;
mod tls;
mod url;
mod websocket;

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{lookup_host, TcpStream};
use tokio::time::Instant;

pub use proxy::Proxy;
use tls::TlsStream;
pub use tls::{
    refused_certificate, PemContent, Shortfall, TlsCause, TlsInfo, TlsOptions, TlsSetupError,
    TlsVersion, Trusted,
};
pub use url::{BrokerUrl, Scheme, DEFAULT_WEBSOCKET_PATH};
pub use websocket::{HttpStatus, WebSocket, WebSocketFailure, WebSocketOptions};

use super::{ClientError, Disallowed, Notices};

/// How to reach the broker below MQTT.
#[derive(Debug, Clone, Default)]
pub struct Route {
    /// A Unix domain socket instead of TCP to host and port.
    pub unix: Option<PathBuf>,
    /// TLS on top of the connection.
    pub tls: Option<TlsOptions>,
    /// WebSocket on top of the connection (and of TLS).
    pub websocket: Option<WebSocketOptions>,
    /// A SOCKS5 proxy to reach the broker through; TCP only.
    pub proxy: Option<Proxy>,
    /// The local address to connect from (TCP without a proxy): a load
    /// generator spreads its connections over several, for more than one
    /// address's worth of ephemeral ports.
    pub source: Option<IpAddr>,
}

/// The connection under TLS, or without it.
pub enum Base {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
}

impl Base {
    /// Ready once a read would find bytes (or the end), with no buffer yet.
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Base::Tcp(stream) => stream.poll_read_ready(cx),
            #[cfg(unix)]
            Base::Unix(stream) => stream.poll_read_ready(cx),
        }
    }
}

/// One network connection to a broker.
pub enum Transport {
    Plain(Base),
    Tls(Box<TlsStream>),
    /// Over a `Plain` or `Tls` transport.
    WebSocket(Box<WebSocket<Transport>>),
}

/// How long the steps below MQTT took, for `mqtk ping`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// Resolving the host name.
    pub resolve: Duration,
    /// The TCP handshake (or the Unix socket's connect), to the address that
    /// answered (to the proxy, with one).
    pub tcp: Duration,
    /// The SOCKS5 handshake, until the proxy reported the broker connected.
    pub proxy: Option<Duration>,
    /// The TLS handshake, with what it agreed on.
    pub tls: Option<(Duration, TlsInfo)>,
    /// The WebSocket upgrade, from request to answer.
    pub websocket: Option<Duration>,
    /// The address connected to; `None` for a Unix socket, or when a proxy
    /// resolved the name.
    pub peer: Option<SocketAddr>,
}

impl Transport {
    /// Whether [`Transport::poll_read_ready`] tells when bytes arrive: a bare
    /// socket does, and TLS, which knows what it holds; WebSocket keeps bytes
    /// of its own.
    pub fn signals_readable(&self) -> bool {
        matches!(self, Transport::Plain(_) | Transport::Tls(_))
    }

    /// Ready once a read would find bytes (or the end); at once for the
    /// transports that do not signal it.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Transport::Plain(base) => base.poll_read_ready(cx),
            Transport::Tls(stream) => stream.poll_read_ready(cx),
            Transport::WebSocket(_) => Poll::Ready(Ok(())),
        }
    }

    /// Connects to `host:port` (trying each address the name resolves to,
    /// through the proxy of `route` if any) or to the Unix socket of `route`,
    /// then makes the TLS handshake and the WebSocket upgrade it asks for,
    /// within `timeout` overall; TLS warnings go to `notices`.
    pub async fn connect(
        host: &str,
        port: u16,
        route: &Route,
        timeout: Duration,
        notices: &Notices,
    ) -> Result<(Self, Opened), ClientError> {
        let addr = match &route.unix {
            Some(path) => path.display().to_string(),
            None => format!("{host}:{port}"),
        };
        let steps = async {
            let (base, mut opened) = match (&route.unix, &route.proxy) {
                (Some(_), Some(_)) => {
                    return Err(ClientError::NotAllowed(Disallowed::ProxyToUnixSocket))
                }
                (Some(path), None) => connect_unix(path, &addr).await?,
                (None, Some(proxy)) => proxy::connect(proxy, host, port).await?,
                (None, None) => connect_tcp(host, port, route.source, &addr).await?,
            };
            let transport = match &route.tls {
                None => Transport::Plain(base),
                Some(tls) => {
                    let started = Instant::now();
                    let stream = tls::handshake(base, host, tls, &addr, notices).await?;
                    let info = tls::info(&stream);
                    opened.tls = Some((started.elapsed(), info));
                    Transport::Tls(Box::new(stream))
                }
            };
            let Some(options) = &route.websocket else {
                return Ok((transport, opened));
            };
            let started = Instant::now();
            let tls = route.tls.is_some();
            let stream = websocket::upgrade(transport, host, port, tls, options, &addr).await?;
            opened.websocket = Some(started.elapsed());
            Ok((Transport::WebSocket(Box::new(stream)), opened))
        };
        tokio::time::timeout(timeout, steps)
            .await
            .map_err(|_| ClientError::ConnectTimeout {
                addr: addr.clone(),
                after: timeout,
            })?
    }

    /// Ends the connection with a TCP reset instead of an orderly close, as the
    /// broker sees a device whose network vanished mid-connection.
    pub fn reset(self) {
        // A zero linger time makes close() send RST and drop unsent data. A
        // Unix socket has no reset: it just closes.
        if let Base::Tcp(stream) = self.base() {
            stream.set_zero_linger().ok();
        }
    }

    /// The socket at the bottom.
    fn base(&self) -> &Base {
        match self {
            Transport::Plain(base) => base,
            Transport::Tls(stream) => stream.get_ref(),
            Transport::WebSocket(stream) => stream.get_ref().base(),
        }
    }
}

async fn connect_tcp(
    host: &str,
    port: u16,
    source: Option<IpAddr>,
    addr: &str,
) -> Result<(Base, Opened), ClientError> {
    let unreachable = |source| ClientError::Unreachable {
        addr: addr.to_string(),
        source,
    };
    let started = Instant::now();
    let addrs: Vec<SocketAddr> = lookup_host((host, port))
        .await
        .map_err(unreachable)?
        .collect();
    let resolved = Instant::now();
    let mut last_error = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
    for peer in addrs {
        match open_tcp(source, peer).await {
            Ok(stream) => {
                // Small packets (acknowledgements, pings, single messages)
                // must not wait for Nagle's algorithm; the client batches its
                // own writes.
                stream.set_nodelay(true).ok();
                let opened = Opened {
                    resolve: resolved - started,
                    tcp: resolved.elapsed(),
                    proxy: None,
                    tls: None,
                    websocket: None,
                    peer: Some(peer),
                };
                return Ok((Base::Tcp(stream), opened));
            }
            Err(e) => last_error = e,
        }
    }
    Err(unreachable(last_error))
}

/// A TCP connection to `peer`, from `source` when given.
async fn open_tcp(source: Option<IpAddr>, peer: SocketAddr) -> io::Result<TcpStream> {
    let Some(source) = source else {
        return TcpStream::connect(peer).await;
    };
    if source.is_ipv4() != peer.is_ipv4() {
        return Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!("the source address {source} cannot reach {peer}"),
        ));
    }
    let socket = match peer {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.bind(SocketAddr::new(source, 0))?;
    socket.connect(peer).await
}

#[cfg(unix)]
async fn connect_unix(path: &std::path::Path, addr: &str) -> Result<(Base, Opened), ClientError> {
    let started = Instant::now();
    let stream = tokio::net::UnixStream::connect(path)
        .await
        .map_err(|source| ClientError::Unreachable {
            addr: addr.to_string(),
            source,
        })?;
    let opened = Opened {
        resolve: Duration::ZERO,
        tcp: started.elapsed(),
        proxy: None,
        tls: None,
        websocket: None,
        peer: None,
    };
    Ok((Base::Unix(stream), opened))
}

#[cfg(not(unix))]
async fn connect_unix(_: &std::path::Path, addr: &str) -> Result<(Base, Opened), ClientError> {
    Err(ClientError::Unreachable {
        addr: addr.to_string(),
        source: io::Error::new(io::ErrorKind::Unsupported, "no Unix sockets here"),
    })
}

/// Implements `AsyncRead` and `AsyncWrite` for an enum whose variants all
/// hold one.
macro_rules! delegate_io {
    ($type:ty { $($variant:path),+ }) => {
        impl AsyncRead for $type {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                match self.get_mut() {
                    $( $variant(s) => Pin::new(s).poll_read(cx, buf), )+
                }
            }
        }

        impl AsyncWrite for $type {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                match self.get_mut() {
                    $( $variant(s) => Pin::new(s).poll_write(cx, buf), )+
                }
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                match self.get_mut() {
                    $( $variant(s) => Pin::new(s).poll_flush(cx), )+
                }
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                match self.get_mut() {
                    $( $variant(s) => Pin::new(s).poll_shutdown(cx), )+
                }
            }
        }
    };
}

#[cfg(unix)]
delegate_io!(Base { Base::Tcp, Base::Unix });
#[cfg(not(unix))]
delegate_io!(Base { Base::Tcp });
delegate_io!(Transport {
    Transport::Plain,
    Transport::Tls,
    Transport::WebSocket
});
