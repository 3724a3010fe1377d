//! The byte stream under a connection. TCP today; TLS and WebSocket join as
//! further variants, each one `AsyncRead + AsyncWrite`, so nothing above this
//! file changes when they do.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{lookup_host, TcpStream};
use tokio::time::Instant;

use super::ClientError;

/// One network connection to a broker.
pub enum Transport {
    Tcp(TcpStream),
}

/// How long the steps below MQTT took, for `mqtk ping`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    /// Resolving the host name.
    pub resolve: Duration,
    /// The TCP handshake, to the address that answered.
    pub tcp: Duration,
    /// The address connected to.
    pub peer: SocketAddr,
}

impl Transport {
    /// Opens a TCP connection to `host:port`, trying each address the name
    /// resolves to, within `timeout` overall.
    pub async fn connect_tcp(
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<(Self, Opened), ClientError> {
        let addr = format!("{host}:{port}");
        let unreachable = |source| ClientError::Unreachable {
            addr: addr.clone(),
            source,
        };
        let connect = async {
            let started = Instant::now();
            let addrs: Vec<SocketAddr> = lookup_host((host, port))
                .await
                .map_err(unreachable)?
                .collect();
            let resolved = Instant::now();
            let mut last_error = io::Error::new(io::ErrorKind::NotFound, "no address");
            for peer in addrs {
                match TcpStream::connect(peer).await {
                    Ok(stream) => {
                        let opened = Opened {
                            resolve: resolved - started,
                            tcp: resolved.elapsed(),
                            peer,
                        };
                        return Ok((stream, opened));
                    }
                    Err(e) => last_error = e,
                }
            }
            Err(unreachable(last_error))
        };
        let (stream, opened) = tokio::time::timeout(timeout, connect).await.map_err(|_| {
            ClientError::ConnectTimeout {
                addr: addr.clone(),
                after: timeout,
            }
        })??;
        // Small packets (acknowledgements, pings, single messages) must not wait
        // for Nagle's algorithm; the client batches its own writes.
        stream.set_nodelay(true).ok();
        Ok((Transport::Tcp(stream), opened))
    }

    /// Ends the connection with a TCP reset instead of an orderly close, as the
    /// broker sees a device whose network vanished mid-connection.
    pub fn reset(self) {
        match self {
            // A zero linger time makes close() send RST and drop unsent data.
            Transport::Tcp(stream) => {
                stream.set_zero_linger().ok();
            }
        }
    }
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
