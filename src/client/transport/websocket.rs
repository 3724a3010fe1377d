//! MQTT over WebSocket (MQTT 5.0 §6, MQTT 3.1.1 §6): the HTTP upgrade, asking
//! for the `mqtt` subprotocol, and an adapter that turns binary frames into
//! the byte stream the codec reads.
//!
//! ```text
//! client                                 broker
//!   GET /mqtt HTTP/1.1
//!   Sec-WebSocket-Protocol: mqtt   ->
//!                                  <-   101 Switching Protocols
//!                                       Sec-WebSocket-Protocol: mqtt
//!   [binary frame: CONNECT]        ->
//!                                  <-   [binary frame: CONNACK, PUBLISH ...]
//! ```
//!
//! MQTT packets travel in binary frames [MQTT-6.0.0-1] and need not line up
//! with them [MQTT-6.0.0-2]: one frame may hold many packets or part of one,
//! which the read buffer of the connection takes care of. Each write goes out
//! as one frame, so the packets the connection batched into one write stay
//! batched on the wire.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{Error as WsError, ProtocolError, SubProtocolError};
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::refused_certificate;
use crate::client::ClientError;
use crate::codec;

/// The subprotocol a client must offer and a broker must choose
/// [MQTT-6.0.0-3], [MQTT-6.0.0-4].
const SUBPROTOCOL: &str = "mqtt";

/// How to make the WebSocket upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSocketOptions {
    /// The HTTP path (and query) of the upgrade request, e.g. `/mqtt`.
    pub path: String,
    /// Extra request headers, in order, e.g. a cloud broker's authorization.
    pub headers: Vec<(String, String)>,
}

/// Why the WebSocket upgrade failed.
#[derive(Debug, thiserror::Error)]
pub enum WebSocketFailure {
    #[error("cannot make an upgrade request for {path:?}: {error}")]
    BadRequest { path: String, error: String },
    #[error("{name:?} is not an HTTP header name")]
    BadHeaderName { name: String },
    #[error("the value of the header {name} is not valid in HTTP")]
    BadHeaderValue { name: String },
    /// The connection ended before the answer: most likely a port that does
    /// not serve WebSocket.
    #[error(
        "the connection ended in the WebSocket upgrade ({error}); does the broker serve \
         WebSocket on this port?"
    )]
    Ended { error: io::Error },
    /// The broker answered the upgrade of `path` with another HTTP status
    /// than 101 (401 and 403 are [`ClientError::WebSocketRefused`]).
    #[error("the broker refused the WebSocket upgrade of {path}: {status}")]
    Refused { path: String, status: HttpStatus },
    #[error(
        "the broker accepted the WebSocket upgrade without choosing the {SUBPROTOCOL} \
         subprotocol (no Sec-WebSocket-Protocol: {SUBPROTOCOL} in its answer), which MQTT \
         requires [MQTT-6.0.0-4]"
    )]
    NoSubprotocol,
    #[error("the broker chose another WebSocket subprotocol than {SUBPROTOCOL} ({problem})")]
    OtherSubprotocol { problem: String },
    /// The answer is no WebSocket upgrade's.
    #[error(
        "the broker's answer to the WebSocket upgrade is not one ({problem}); does it serve \
         WebSocket on this port?"
    )]
    NotWebSocket { problem: String },
    #[error("the WebSocket upgrade failed: {0}")]
    Other(String),
}

/// An HTTP status code, shown with its reason: "404 Not Found".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpStatus(pub u16);

impl std::fmt::Display for HttpStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match StatusCode::from_u16(self.0) {
            Ok(status) => status.fmt(f),
            Err(_) => self.0.fmt(f),
        }
    }
}

/// A WebSocket connection as a byte stream of MQTT packets.
pub struct WebSocket<S> {
    stream: WebSocketStream<S>,
    /// What is left of the last binary frame after the last read.
    unread: Bytes,
}

/// Makes the WebSocket upgrade over `stream` (plain or TLS) to `host:port`,
/// and checks that the broker chose the `mqtt` subprotocol.
pub(super) async fn upgrade<S>(
    stream: S,
    host: &str,
    port: u16,
    tls: bool,
    options: &WebSocketOptions,
    addr: &str,
) -> Result<WebSocket<S>, ClientError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let failed = |failure: WebSocketFailure| ClientError::WebSocket {
        addr: addr.to_string(),
        failure,
    };
    let scheme = if tls { "wss" } else { "ws" };
    let authority = match host.contains(':') {
        true => format!("[{host}]:{port}"),
        false => format!("{host}:{port}"),
    };
    let path = &options.path;
    let mut request = format!("{scheme}://{authority}{path}")
        .into_client_request()
        .map_err(|e| {
            failed(WebSocketFailure::BadRequest {
                path: path.clone(),
                error: e.to_string(),
            })
        })?;
    let headers = request.headers_mut();
    headers.insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static(SUBPROTOCOL),
    );
    let mut given = Vec::new();
    for (name, value) in &options.headers {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| failed(WebSocketFailure::BadHeaderName { name: name.clone() }))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| failed(WebSocketFailure::BadHeaderValue { name: name.clone() }))?;
        // A header of ours replaces the default of the same name (Host,
        // Sec-WebSocket-Protocol); a repeated one is sent as many times.
        if given.contains(&header) {
            headers.append(header, value);
        } else {
            given.push(header.clone());
            headers.insert(header, value);
        }
    }
    let config = WebSocketConfig::default()
        .max_message_size(Some(codec::MAX_PACKET_SIZE))
        .max_frame_size(Some(codec::MAX_PACKET_SIZE));
    match tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await {
        Ok((stream, _)) => Ok(WebSocket {
            stream,
            unread: Bytes::new(),
        }),
        Err(WsError::Io(e)) => match refused_certificate(&e) {
            Some(alert) => Err(ClientError::TlsRefused { alert }),
            None => Err(failed(WebSocketFailure::Ended { error: e })),
        },
        Err(e) => Err(upgrade_error(e, path, addr)),
    }
}

/// What a failed upgrade means.
fn upgrade_error(error: WsError, path: &str, addr: &str) -> ClientError {
    let failure = match error {
        WsError::Http(response) => {
            let path = path.to_string();
            let status = HttpStatus(response.status().as_u16());
            if matches!(
                response.status(),
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
            ) {
                return ClientError::WebSocketRefused { path, status };
            }
            WebSocketFailure::Refused { path, status }
        }
        WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(problem)) => match problem {
            SubProtocolError::NoSubProtocol => WebSocketFailure::NoSubprotocol,
            other => WebSocketFailure::OtherSubprotocol {
                problem: other.to_string(),
            },
        },
        WsError::Protocol(problem) => WebSocketFailure::NotWebSocket {
            problem: problem.to_string(),
        },
        other => WebSocketFailure::Other(other.to_string()),
    };
    ClientError::WebSocket {
        addr: addr.to_string(),
        failure,
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// The stream under the WebSocket.
    pub fn get_ref(&self) -> &S {
        self.stream.get_ref()
    }
}

impl<S> AsyncRead for WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.unread.is_empty() {
                let n = this.unread.len().min(buf.remaining());
                buf.put_slice(&this.unread.split_to(n));
                return Poll::Ready(Ok(()));
            }
            // Pings are answered by tungstenite, with the next read or write.
            let message = match ready!(Pin::new(&mut this.stream).poll_next(cx)) {
                None => return Poll::Ready(Ok(())),
                Some(Ok(message)) => message,
                Some(Err(e)) => return Poll::Ready(read_error(e)),
            };
            match message {
                // An empty frame is no end of stream: read on.
                Message::Binary(data) => this.unread = data,
                Message::Close(_) => {
                    // Send the answering close frame on its way, if it can go now.
                    let _ = Pin::new(&mut this.stream).poll_flush(cx);
                    return Poll::Ready(Ok(()));
                }
                Message::Text(_) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the broker sent a WebSocket text frame; MQTT travels in binary \
                         frames only [MQTT-6.0.0-1]",
                    )))
                }
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }
}

impl<S> AsyncWrite for WebSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Sends all of `buf` as one binary frame, once the frame before it has
    /// gone: so a slow broker holds the writer back, as a full socket would,
    /// and what queues up meanwhile goes out together in the next frame.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut stream = Pin::new(&mut self.get_mut().stream);
        ready!(stream.as_mut().poll_flush(cx)).map_err(write_error)?;
        ready!(stream.as_mut().poll_ready(cx)).map_err(write_error)?;
        stream
            .as_mut()
            .start_send(Message::Binary(Bytes::copy_from_slice(buf)))
            .map_err(write_error)?;
        // Start the frame on its way; what does not fit now goes with the
        // next flush.
        if let Poll::Ready(Err(e)) = stream.poll_flush(cx) {
            return Poll::Ready(Err(write_error(e)));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream)
            .poll_flush(cx)
            .map_err(write_error)
    }

    /// Sends a close frame, then closes the stream under it (TLS close_notify,
    /// TCP FIN): the broker sees the connection end without DISCONNECT.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(Pin::new(&mut this.stream).poll_close(cx)).map_err(write_error)?;
        Pin::new(this.stream.get_mut()).poll_shutdown(cx)
    }
}

/// A read error as I/O: a connection closed without the closing handshake is
/// the end of the stream, as a broker that closes TCP after DISCONNECT does.
fn read_error(error: WsError) -> io::Result<()> {
    match error {
        WsError::ConnectionClosed
        | WsError::AlreadyClosed
        | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => Ok(()),
        WsError::Io(e) => Err(e),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("WebSocket: {other}"),
        )),
    }
}

fn write_error(error: WsError) -> io::Error {
    match error {
        WsError::Io(e) => e,
        WsError::ConnectionClosed | WsError::AlreadyClosed => io::ErrorKind::BrokenPipe.into(),
        other => io::Error::other(format!("WebSocket: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{duplex, AsyncReadExt, AsyncWriteExt, DuplexStream};
    use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

    use super::*;

    /// A client adapter and the server end of its WebSocket, over memory.
    // The size of the error is tungstenite's callback type, not ours to choose.
    #[allow(clippy::result_large_err)]
    async fn pair() -> (WebSocket<DuplexStream>, WebSocketStream<DuplexStream>) {
        let (client, server) = duplex(1 << 20);
        let server = tokio::spawn(async move {
            tokio_tungstenite::accept_hdr_async(server, |_: &Request, mut response: Response| {
                response
                    .headers_mut()
                    .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("mqtt"));
                Ok(response)
            })
            .await
            .unwrap()
        });
        let options = WebSocketOptions {
            path: "/mqtt".into(),
            headers: vec![],
        };
        let client = upgrade(client, "broker", 80, false, &options, "broker:80").await;
        let server = server.await.unwrap();
        (client.unwrap(), server)
    }

    #[tokio::test]
    async fn each_write_is_one_binary_frame_and_frames_read_as_one_stream() {
        let (mut client, mut server) = pair().await;
        client.write_all(b"\x30\x03\x00\x01ab").await.unwrap();
        client.flush().await.unwrap();
        let frame = server.next().await.unwrap().unwrap();
        assert_eq!(
            frame,
            Message::Binary(Bytes::from_static(b"\x30\x03\x00\x01ab"))
        );
        // Part of a packet, a ping, an empty frame and the rest: one stream.
        server
            .send(Message::Binary(Bytes::from_static(b"\xd0")))
            .await
            .unwrap();
        server.send(Message::Ping(Bytes::new())).await.unwrap();
        server.send(Message::Binary(Bytes::new())).await.unwrap();
        server
            .send(Message::Binary(Bytes::from_static(b"\x00\xd0\x00")))
            .await
            .unwrap();
        let mut read = [0; 4];
        client.read_exact(&mut read).await.unwrap();
        assert_eq!(&read, b"\xd0\x00\xd0\x00");
        // The ping was answered.
        client.write_all(b"x").await.unwrap();
        client.flush().await.unwrap();
        assert!(matches!(server.next().await, Some(Ok(Message::Pong(_)))));
        // A close frame ends the stream.
        server.send(Message::Close(None)).await.unwrap();
        assert_eq!(client.read(&mut read).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_text_frame_is_an_error() {
        let (mut client, mut server) = pair().await;
        server.send(Message::text("hello")).await.unwrap();
        let error = client.read(&mut [0; 8]).await.unwrap_err();
        assert!(error.to_string().contains("text frame"), "{error}");
    }

    #[tokio::test]
    async fn a_broker_that_chooses_no_subprotocol_is_refused_in_words() {
        let (client, server) = duplex(1 << 16);
        tokio::spawn(async move {
            let _ = tokio_tungstenite::accept_async(server).await;
        });
        let options = WebSocketOptions {
            path: "/mqtt".into(),
            headers: vec![],
        };
        let error = match upgrade(client, "broker", 80, false, &options, "broker:80").await {
            Ok(_) => panic!("upgraded without the subprotocol"),
            Err(error) => error.to_string(),
        };
        assert!(
            error.contains("without choosing the mqtt subprotocol"),
            "{error}"
        );
    }
}
