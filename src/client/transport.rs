//! The byte stream under a connection. TCP today; TLS and WebSocket join as
//! further variants, each one `AsyncRead + AsyncWrite`, so nothing above this
//! file changes when they do.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::ClientError;

/// One network connection to a broker.
pub enum Transport {
    Tcp(TcpStream),
}

impl Transport {
    /// Opens a TCP connection to `host:port`, trying each address the name
    /// resolves to, within `timeout` overall.
    pub async fn connect_tcp(
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<Self, ClientError> {
        let addr = format!("{host}:{port}");
        let stream = tokio::time::timeout(timeout, TcpStream::connect(&addr))
            .await
            .map_err(|_| ClientError::ConnectTimeout {
                addr: addr.clone(),
                after: timeout,
            })?
            .map_err(|source| ClientError::Unreachable { addr, source })?;
        // Small packets (acknowledgements, pings, single messages) must not wait
        // for Nagle's algorithm; the client batches its own writes.
        stream.set_nodelay(true).ok();
        Ok(Transport::Tcp(stream))
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
