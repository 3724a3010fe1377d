//! Packets over a transport: a read buffer the codec decodes from, a write buffer
//! the codec encodes into, and the one place where "incomplete" becomes "read
//! more".
//!
//! Writes are batched: [`Connection::queue`] only encodes; bytes leave when the
//! client drives I/O, so a burst of packets goes out in one system call. Reads
//! are batched the same way: one read may bring many packets, decoded one by
//! one from the buffer without further system calls.
//!
//! Both buffers follow the traffic (see `buffer`): an idle connection holds
//! about half a KiB, a busy one reads and writes in large blocks.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

use super::buffer::{ReadBuffer, WriteBuffer};
use super::trace::Trace;
use super::transport::Transport;
use super::ClientError;
use crate::codec::{self, Naming, Packet, Protocol, Publish};

/// A transport with MQTT framing.
pub struct Connection {
    transport: Transport,
    read: ReadBuffer,
    write: WriteBuffer,
    protocol: Protocol,
    max_incoming: usize,
    trace: Option<Trace>,
    /// When bytes last arrived: keep alive measures the broker's silence
    /// from here. Taken once per read, not once per packet.
    last_read: Instant,
    /// When bytes last left: keep alive's PINGREQ is due an interval later.
    /// Taken once per write, not once per packet.
    last_written: Instant,
    /// Since when queued bytes have waited for the socket without any being
    /// written: a path that takes nothing is as dead as one that says nothing.
    write_blocked_since: Option<Instant>,
}

impl Connection {
    pub fn new(transport: Transport, protocol: Protocol, trace: Option<Trace>) -> Connection {
        Connection {
            transport,
            read: ReadBuffer::new(),
            write: WriteBuffer::new(),
            protocol,
            max_incoming: codec::MAX_PACKET_SIZE,
            trace,
            last_read: Instant::now(),
            last_written: Instant::now(),
            write_blocked_since: None,
        }
    }

    /// Refuses incoming packets over `max` bytes, as a CONNECT's Maximum
    /// Packet Size told the broker.
    pub fn limit_incoming(&mut self, max: usize) {
        self.max_incoming = max;
    }

    /// When bytes last arrived from the broker (or when the connection opened).
    pub fn last_read(&self) -> Instant {
        self.last_read
    }

    pub fn last_written(&self) -> Instant {
        self.last_written
    }

    /// Since when queued bytes have waited without any being written, if
    /// they do.
    pub fn write_blocked_since(&self) -> Option<Instant> {
        self.write_blocked_since
    }

    /// The protocol version packets are encoded and decoded in.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Bytes queued but not yet written.
    pub fn pending_write(&self) -> usize {
        self.write.queued().len()
    }

    /// Encodes `packet` into the write buffer; nothing is sent yet.
    pub fn queue(&mut self, packet: &Packet) -> Result<(), ClientError> {
        codec::encode(packet, self.protocol, self.write.encode_into())
            .map_err(ClientError::Encode)?;
        if let Some(trace) = &self.trace {
            trace.sent(packet);
        }
        Ok(())
    }

    /// Encodes a PUBLISH into the write buffer, its topic named as `naming`
    /// says; nothing is sent yet.
    pub fn queue_publish(&mut self, publish: &Publish, naming: Naming) -> Result<(), ClientError> {
        codec::encode_publish(publish, naming, self.protocol, self.write.encode_into())
            .map_err(ClientError::Encode)?;
        if let Some(trace) = &self.trace {
            trace.sent_publish(publish, naming);
        }
        Ok(())
    }

    /// Decodes the next whole packet already buffered, without I/O.
    pub fn decode(&mut self) -> Result<Option<Packet>, ClientError> {
        let packet = codec::decode(self.read.unread(), self.protocol, self.max_incoming)
            .map_err(ClientError::Malformed)?;
        if packet.is_none() && self.transport.signals_readable() {
            self.read.release_if_idle();
        }
        if let (Some(trace), Some(packet)) = (&self.trace, &packet) {
            trace.received(packet);
        }
        Ok(packet)
    }

    /// Moves bytes in both directions: writes what is queued while waiting for
    /// the peer, and returns once something was read or, with `until_written`,
    /// once everything queued is written.
    ///
    /// Cancel safe: all progress lives in the buffers.
    pub async fn transfer(&mut self, until_written: bool) -> Result<(), ClientError> {
        poll_fn(|cx| {
            if let Poll::Ready(Err(e)) = self.poll_write_queued(cx) {
                return Poll::Ready(Err(e));
            }
            if until_written && self.write.queued().is_empty() {
                return Poll::Ready(Ok(()));
            }
            if self.read.is_released() {
                // No memory for a read until there is something to read.
                match self.transport.poll_read_ready(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(ClientError::from_io(e))),
                    Poll::Ready(Ok(())) => {}
                }
            }
            let room = self.read.room();
            match tokio_util::io::poll_read_buf(Pin::new(&mut self.transport), cx, room) {
                Poll::Ready(Ok(0)) if self.read.unread().is_empty() => {
                    Poll::Ready(Err(ClientError::Closed))
                }
                // A path cut in the middle of a packet: a loss, not a malformed packet.
                Poll::Ready(Ok(0)) => Poll::Ready(Err(ClientError::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the connection closed in the middle of a packet",
                )))),
                Poll::Ready(Ok(n)) => {
                    self.read.record_read(n);
                    self.last_read = Instant::now();
                    Poll::Ready(Ok(()))
                }
                Poll::Ready(Err(e)) => Poll::Ready(Err(ClientError::from_io(e))),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    /// Writes what is queued if the socket takes it all now, without waiting
    /// or registering for wake-ups; whether it did. A failed write is left for
    /// [`Connection::transfer`] to meet again and report.
    pub fn try_write_all(&mut self) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        matches!(self.poll_write_queued(&mut cx), Poll::Ready(Ok(())))
    }

    /// Writes what is queued until the socket takes no more, then flushes the
    /// transport (TLS and WebSocket may hold bytes of their own): ready once
    /// everything is written and flushed, or on a failure.
    fn poll_write_queued(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ClientError>> {
        while !self.write.queued().is_empty() {
            match Pin::new(&mut self.transport).poll_write(cx, self.write.queued()) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(ClientError::Io(io::ErrorKind::WriteZero.into())))
                }
                Poll::Ready(Ok(n)) => {
                    self.write.written(n);
                    self.write_blocked_since = None;
                    self.last_written = Instant::now();
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(ClientError::from_io(e))),
                Poll::Pending => {
                    self.write_blocked_since.get_or_insert_with(Instant::now);
                    return Poll::Pending;
                }
            }
        }
        Pin::new(&mut self.transport)
            .poll_flush(cx)
            .map_err(ClientError::Io)
    }

    /// Writes everything queued, reading (and keeping) what arrives meanwhile.
    pub async fn flush(&mut self) -> Result<(), ClientError> {
        while self.pending_write() > 0 {
            self.transfer(true).await?;
        }
        Ok(())
    }

    /// Writes everything queued, then closes the sending direction (FIN). What
    /// the broker still sends can be read until it closes too.
    pub async fn shutdown(&mut self) -> Result<(), ClientError> {
        self.flush().await?;
        self.transport.shutdown().await.map_err(ClientError::Io)
    }

    /// Reads until the peer closes, discarding what arrives: after DISCONNECT,
    /// this confirms the broker has read everything sent before it.
    pub async fn drain_until_closed(&mut self) -> Result<(), ClientError> {
        loop {
            self.read.unread().clear();
            match self.transfer(false).await {
                Ok(()) => continue,
                Err(ClientError::Closed) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    /// Gives up the transport, for an ending that bypasses MQTT.
    pub fn into_transport(self) -> Transport {
        self.transport
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;
    use crate::codec::Publish;

    /// The broker's part, as far as a connection needs it: CONNECT read,
    /// CONNACK sent (accepted, no properties), then anything until the end.
    async fn accept_connect(mut stream: impl AsyncRead + AsyncWrite + Unpin) {
        let mut connect = [0; 256];
        let _ = stream.read(&mut connect).await.unwrap();
        stream
            .write_all(&[0x20, 0x03, 0x00, 0x00, 0x00])
            .await
            .unwrap();
        stream.flush().await.unwrap();
        let _ = stream.read(&mut connect).await;
    }

    #[tokio::test]
    async fn an_idle_connection_holds_under_a_kib_of_buffers() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let peer = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            accept_connect(stream).await;
        });
        let options = super::super::Options {
            host: "127.0.0.1".into(),
            port,
            protocol: Some(Protocol::V5),
            ..super::super::Options::default()
        };
        let mut conn = super::super::handshake::handshake(&options)
            .await
            .unwrap()
            .conn;
        // What a read and a write could take without allocating.
        let held = conn.read.room().capacity() + conn.write.encode_into().capacity();
        assert!(held <= 1024, "{held} bytes of buffers");
        // Once nothing is left to decode, an idle connection holds no read buffer.
        assert_eq!(conn.decode().unwrap(), None);
        assert!(conn.read.is_released());
        drop(conn);
        peer.await.unwrap();
    }

    #[tokio::test]
    async fn an_idle_tls_connection_holds_no_buffer_of_its_own_or_of_tls() {
        use rustls::ServerConfig;
        use std::sync::Arc;

        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["broker.test".to_string()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("broker.pem");
        std::fs::write(&ca_file, cert.pem()).unwrap();
        let key = rustls_pki_types::PrivatePkcs8KeyDer::from(key.serialize_der());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], key.into())
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let peer = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            accept_connect(acceptor.accept(stream).await.unwrap()).await;
        });
        let mut tls = super::super::TlsOptions::default();
        tls.ca_file = Some(ca_file);
        tls.server_name = Some("broker.test".into());
        let mut options = super::super::Options {
            host: "127.0.0.1".into(),
            port,
            protocol: Some(Protocol::V5),
            ..super::super::Options::default()
        };
        options.route.tls = Some(tls);
        let mut conn = super::super::handshake::handshake(&options)
            .await
            .unwrap()
            .conn;
        // Once nothing is left to decode, neither the connection nor TLS
        // holds a buffer: TLS tells when bytes arrive, as a socket does.
        assert_eq!(conn.decode().unwrap(), None);
        assert!(conn.read.is_released());
        let Transport::Tls(stream) = &conn.transport else {
            panic!("not a TLS transport");
        };
        assert_eq!(stream.buffer_capacities(), [0, 0, 0]);
        drop(conn);
        peer.await.unwrap();
    }

    #[tokio::test]
    async fn flush_writes_everything_even_when_a_read_completes_first() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let peer = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            // A PINGRESP arrives while the client is blocked on a full socket.
            stream.write_all(&[0xD0, 0x00]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut received = Vec::new();
            stream.read_to_end(&mut received).await.unwrap();
            received.len()
        });
        let route = super::super::Route::default();
        let notices = super::super::Notices::default();
        let (transport, _) =
            Transport::connect("127.0.0.1", port, &route, Duration::from_secs(5), &notices)
                .await
                .unwrap();
        let mut conn = Connection::new(transport, Protocol::V5, None);
        // Far more than the socket buffers hold.
        let message = Packet::Publish(Publish {
            topic: "t".into(),
            payload: Bytes::from(vec![0; 64 * 1024]),
            ..Publish::default()
        });
        for _ in 0..256 {
            conn.queue(&message).unwrap();
        }
        let queued = conn.pending_write();
        conn.flush().await.unwrap();
        assert_eq!(conn.pending_write(), 0, "flush returned with bytes queued");
        conn.shutdown().await.unwrap();
        drop(conn);
        assert_eq!(peer.await.unwrap(), queued);
    }
}
