//! The TLS stream under a connection: rustls' unbuffered client over a
//! [`Base`], with buffers of our own that hold memory only while bytes are in
//! flight.
//!
//! rustls' buffered `ClientConnection` keeps a 4 KiB record deframer for the
//! connection's whole life: after a handshake and one exchange it holds 8,082
//! bytes, its unbuffered twin 3,842. A load holds thousands of idle
//! connections, so here the ciphertext read, the plaintext the reader had no
//! room for and the ciphertext not yet sent each live in a [`Queue`] that
//! frees its memory as soon as it is empty.
//!
//! rustls decrypts one record at a time in place in the ciphertext we pass
//! it, and says how much of it is spent; handshake messages (and the
//! post-handshake ones: session tickets, key updates) it asks us to send are
//! queued with the application data, in order, and sent with it.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use rustls::client::UnbufferedClientConnection;
use rustls::unbuffered::{
    ConnectionState, EncodeError, EncryptError, InsufficientSizeError, UnbufferedStatus,
};
use rustls::{ClientConfig, CommonState};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::super::Base;

/// The most plaintext one record carries (RFC 8446, 5.1).
const MAX_RECORD_PLAINTEXT: usize = 16 * 1024;
/// A record's header: content type, version and length (RFC 8446, 5.1).
const RECORD_HEADER: usize = 5;
/// The longest record a peer may send: TLS 1.2 allows 2 KiB of expansion
/// (RFC 5246, 6.2.3), TLS 1.3 less.
const MAX_RECORD: usize = RECORD_HEADER + MAX_RECORD_PLAINTEXT + 2048;
/// What one read from the socket asks for at first: a broker's handshake
/// flight, or several small records, in one system call.
const READ_CHUNK: usize = 4 * 1024;
/// What reads grow to while each fills what it asked for: a busy subscriber
/// reads a full record at a time.
const MAX_READ_CHUNK: usize = 16 * 1024;
/// The most plaintext one write takes: four full records, sent in one system
/// call.
const WRITE_CHUNK: usize = 4 * MAX_RECORD_PLAINTEXT;
/// What a record adds to its plaintext, at most, with the ciphers rustls
/// offers: header, explicit nonce or content type, and tag. A guess that only
/// saves a second try: rustls says how much room it needs when it has too
/// little.
const RECORD_EXPANSION: usize = 64;

/// A TLS client connection over a [`Base`].
pub struct TlsStream {
    base: Base,
    tls: UnbufferedClientConnection,
    /// Ciphertext read and not yet processed: between reads, at most part of
    /// a record.
    received: Queue,
    /// Plaintext decrypted that the reader had no room for.
    plaintext: Queue,
    /// Ciphertext to send: records and alerts, in order.
    outgoing: Queue,
    /// The peer's close_notify arrived: its data has ended.
    peer_closed: bool,
    /// What the next read from the socket asks for, at least.
    read_chunk: usize,
    /// Our close_notify is queued: nothing more may be written.
    closing: bool,
    /// What ended the connection, told again to every later call: rustls
    /// would not repeat it, and a reader may get the plaintext before it
    /// first.
    failed: Option<rustls::Error>,
}

/// What processing the ciphertext received came to.
enum Processed {
    /// Every whole record is processed: more must arrive first.
    NeedsData,
    /// The reader's buffer is full, or plaintext waits for it.
    Delivered,
    /// This much of the plaintext to write is encrypted and queued.
    Encrypted(usize),
    /// Both sides have sent close_notify.
    Closed,
}

/// What to encrypt once rustls allows writing.
enum ToEncrypt<'a> {
    Data(&'a [u8]),
    CloseNotify,
}

/// Why rustls did not encode into the room it was given.
enum Unencoded {
    /// It needs this much room.
    Room(usize),
    Failed(String),
}

impl From<EncodeError> for Unencoded {
    fn from(error: EncodeError) -> Unencoded {
        match error {
            EncodeError::InsufficientSize(InsufficientSizeError { required_size }) => {
                Unencoded::Room(required_size)
            }
            other => Unencoded::Failed(other.to_string()),
        }
    }
}

impl From<EncryptError> for Unencoded {
    fn from(error: EncryptError) -> Unencoded {
        match error {
            EncryptError::InsufficientSize(InsufficientSizeError { required_size }) => {
                Unencoded::Room(required_size)
            }
            other => Unencoded::Failed(other.to_string()),
        }
    }
}

/// Makes the TLS handshake over `base` with `name` as the server's name.
///
/// Errors are `io::Error`s; those of TLS itself wrap the `rustls::Error`,
/// which `cause` reads back.
pub async fn connect(
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    base: Base,
) -> io::Result<TlsStream> {
    let tls = UnbufferedClientConnection::new(config, name).map_err(io::Error::other)?;
    let mut stream = TlsStream {
        base,
        tls,
        received: Queue::default(),
        plaintext: Queue::default(),
        outgoing: Queue::default(),
        peer_closed: false,
        read_chunk: READ_CHUNK,
        closing: false,
        failed: None,
    };
    poll_fn(|cx| stream.poll_handshake(cx)).await?;
    Ok(stream)
}

impl TlsStream {
    /// The socket under TLS.
    pub fn get_ref(&self) -> &Base {
        &self.base
    }

    /// rustls' view of the connection: the version, cipher suite, ALPN
    /// protocol and certificates agreed on, and whether it resumed a session.
    pub fn connection(&self) -> &CommonState {
        &self.tls
    }

    /// Ready once a read would find plaintext (or the end, or the failure),
    /// without memory for the read until then.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let told_at_once = self.peer_closed || self.failed.is_some();
        if told_at_once || !self.plaintext.is_empty() || !self.received.is_empty() {
            return Poll::Ready(Ok(()));
        }
        self.base.poll_read_ready(cx)
    }

    /// The memory each buffer holds, for the tests of its release.
    #[cfg(test)]
    pub fn buffer_capacities(&self) -> [usize; 3] {
        [
            self.received.capacity(),
            self.plaintext.capacity(),
            self.outgoing.capacity(),
        ]
    }

    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            ready!(self.poll_send(cx))?;
            if !self.tls.is_handshaking() {
                return Poll::Ready(Ok(()));
            }
            match self.process(None, None) {
                Ok(Processed::NeedsData) if !self.peer_closed => {}
                Ok(_) => return Poll::Ready(Err(handshake_eof())),
                Err(error) => {
                    self.send_alert(cx);
                    return Poll::Ready(Err(error));
                }
            }
            if !self.outgoing.is_empty() || !self.tls.is_handshaking() {
                continue;
            }
            if ready!(self.poll_receive(cx))? == 0 {
                return Poll::Ready(Err(handshake_eof()));
            }
        }
    }

    /// After a failure, the alert that says why (queued by [`TlsStream::fail`]),
    /// sent if the socket takes it at once: the broker's log then tells what
    /// went wrong. The failure itself is what the caller reports.
    fn send_alert(&mut self, cx: &mut Context<'_>) {
        let _ = self.poll_send(cx);
    }

    /// Keeps `error` to tell again, and queues the alert rustls made of it.
    /// rustls hands out what it queued before it reads on, and asked only
    /// then: reading on could fail again, and it sends one fatal alert at most.
    fn fail(&mut self, error: rustls::Error) -> io::Error {
        while self.tls.wants_write() {
            let UnbufferedStatus { discard, state } =
                self.tls.process_tls_records(self.received.waiting_mut());
            let Ok(ConnectionState::EncodeTlsData(mut encode)) = state else {
                break;
            };
            let queued = self
                .outgoing
                .append_encoded(RECORD_EXPANSION, |out| Ok(encode.encode(out)?));
            self.received.take(discard);
            if queued.is_err() {
                break;
            }
        }
        self.failed = Some(error.clone());
        tls_error(error)
    }

    /// Processes the whole records received: plaintext goes to `reader` as
    /// far as it has room, then to `self.plaintext`; what rustls asks to send
    /// is queued in `self.outgoing`. Once rustls allows writing, `to_encrypt`
    /// is encrypted and queued too.
    fn process(
        &mut self,
        mut reader: Option<&mut ReadBuf<'_>>,
        mut to_encrypt: Option<ToEncrypt<'_>>,
    ) -> io::Result<Processed> {
        if let Some(error) = &self.failed {
            return Err(tls_error(error.clone()));
        }
        loop {
            let UnbufferedStatus { discard, state } =
                self.tls.process_tls_records(self.received.waiting_mut());
            let mut spent = discard;
            let state = match state {
                Ok(state) => state,
                Err(error) => {
                    // Nothing is read after a failure: what rustls spent
                    // goes, and `fail` finds its alert queued first.
                    self.received.take(spent);
                    return Err(self.fail(error));
                }
            };
            let reached = match state {
                ConnectionState::ReadTraffic(mut traffic) => {
                    while let Some(record) = traffic.next_record() {
                        // Not an error today: rustls decrypted the record
                        // before it offered it.
                        let record = record.map_err(tls_error)?;
                        spent += record.discard;
                        let mut payload = record.payload;
                        if let Some(buf) = reader.as_deref_mut() {
                            let n = payload.len().min(buf.remaining());
                            buf.put_slice(&payload[..n]);
                            payload = &payload[n..];
                        }
                        self.plaintext.extend_from_slice(payload);
                    }
                    // A writer's processing goes on to the state that lets it
                    // write; a reader's stops once it has what fits.
                    let delivered = reader
                        .as_deref()
                        .is_some_and(|buf| buf.remaining() == 0 || !self.plaintext.is_empty());
                    delivered.then_some(Processed::Delivered)
                }
                ConnectionState::EncodeTlsData(mut encode) => {
                    // A handshake message or an alert, of a known size.
                    self.outgoing
                        .append_encoded(RECORD_EXPANSION, |out| Ok(encode.encode(out)?))?;
                    None
                }
                // Queued in `outgoing`, which goes out before anything
                // written later: as good as sent, for rustls.
                ConnectionState::TransmitTlsData(transmit) => {
                    transmit.done();
                    None
                }
                ConnectionState::BlockedHandshake => Some(Processed::NeedsData),
                ConnectionState::WriteTraffic(mut traffic) => match to_encrypt.take() {
                    None => Some(Processed::NeedsData),
                    Some(ToEncrypt::Data(data)) => {
                        let records = data.len().div_ceil(MAX_RECORD_PLAINTEXT).max(1);
                        let room = data.len() + records * RECORD_EXPANSION;
                        self.outgoing
                            .append_encoded(room, |out| Ok(traffic.encrypt(data, out)?))?;
                        Some(Processed::Encrypted(data.len()))
                    }
                    Some(ToEncrypt::CloseNotify) => {
                        self.outgoing.append_encoded(RECORD_EXPANSION, |out| {
                            Ok(traffic.queue_close_notify(out)?)
                        })?;
                        Some(Processed::Encrypted(0))
                    }
                },
                // Told once: remembered here.
                ConnectionState::PeerClosed => {
                    self.peer_closed = true;
                    None
                }
                ConnectionState::Closed => {
                    self.peer_closed = true;
                    Some(Processed::Closed)
                }
                // Early data is the server's; a state rustls may add later
                // is not one this stream knows how to serve.
                other => {
                    return Err(io::Error::other(format!(
                        "unexpected TLS connection state {other:?}"
                    )))
                }
            };
            self.received.take(spent);
            if let Some(reached) = reached {
                return Ok(reached);
            }
        }
    }

    /// Reads ciphertext into `self.received`: a chunk, or the rest of the
    /// record it holds the start of if that is more. The chunk doubles while
    /// reads fill it, and falls back once one does not. Memory is taken only
    /// once the socket is readable. Ready with 0 at the end of the stream.
    fn poll_receive(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.received.is_empty() {
            ready!(self.base.poll_read_ready(cx))?;
        }
        let room = self
            .read_chunk
            .max(missing_from_record(self.received.waiting()));
        let mut buf = ReadBuf::new(self.received.room_at_back(room));
        let polled = Pin::new(&mut self.base).poll_read(cx, &mut buf);
        let read = match polled {
            Poll::Ready(Ok(())) => buf.filled().len(),
            _ => 0,
        };
        self.received.drop_unused(room - read);
        if read == room {
            self.read_chunk = (self.read_chunk * 2).min(MAX_READ_CHUNK);
        } else if polled.is_ready() {
            self.read_chunk = READ_CHUNK;
        }
        polled.map_ok(|()| read)
    }

    /// Sends what `self.outgoing` holds; ready once it is all sent.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.outgoing.is_empty() {
            let n = ready!(Pin::new(&mut self.base).poll_write(cx, self.outgoing.waiting()))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.outgoing.take(n);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for TlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.plaintext.is_empty() {
            let waiting = this.plaintext.waiting();
            let n = waiting.len().min(buf.remaining());
            buf.put_slice(&waiting[..n]);
            this.plaintext.take(n);
            return Poll::Ready(Ok(()));
        }
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let filled = buf.filled().len();
        loop {
            let processed = match this.process(Some(buf), None) {
                Ok(processed) => processed,
                // The plaintext before the failure first: the error comes
                // again with the next read.
                Err(_) if buf.filled().len() > filled => return Poll::Ready(Ok(())),
                Err(error) => {
                    this.send_alert(cx);
                    return Poll::Ready(Err(error));
                }
            };
            // What rustls answered with (a key update) leaves now if it can;
            // if not, the socket wakes us when it can take it.
            if let Poll::Ready(Err(error)) = this.poll_send(cx) {
                return Poll::Ready(Err(error));
            }
            let ended = this.peer_closed || matches!(processed, Processed::Closed);
            if buf.filled().len() > filled || ended {
                return Poll::Ready(Ok(()));
            }
            if ready!(this.poll_receive(cx))? == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the peer closed the connection without a TLS close_notify",
                )));
            }
        }
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.closing {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the TLS connection is closing",
            )));
        }
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // What was encrypted before leaves first: a writer faster than the
        // socket waits here, with one write's worth queued at most.
        ready!(this.poll_send(cx))?;
        let chunk = &data[..data.len().min(WRITE_CHUNK)];
        let processed = this.process(None, Some(ToEncrypt::Data(chunk)));
        if processed.is_err() {
            this.send_alert(cx);
        }
        let n = match processed? {
            Processed::Encrypted(n) => n,
            Processed::Closed => {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the TLS connection is closed",
                )))
            }
            Processed::NeedsData | Processed::Delivered => {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "the TLS handshake is not complete",
                )))
            }
        };
        // Sent now as far as the socket takes it; the rest goes with the next
        // write or flush.
        if let Poll::Ready(Err(error)) = this.poll_send(cx) {
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.base).poll_flush(cx)
    }

    /// Sends close_notify, then closes the socket's sending direction.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.closing {
            this.closing = true;
            this.process(None, Some(ToEncrypt::CloseNotify))?;
        }
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.base).poll_shutdown(cx)
    }
}

/// How many bytes the record at the start of `ciphertext` still lacks, as
/// far as its header tells; 0 before the header is whole.
fn missing_from_record(ciphertext: &[u8]) -> usize {
    match ciphertext {
        [_, _, _, high, low, ..] => {
            let length = RECORD_HEADER + usize::from(u16::from_be_bytes([*high, *low]));
            length.min(MAX_RECORD).saturating_sub(ciphertext.len())
        }
        _ => 0,
    }
}

/// A rustls error as tokio-rustls gives it, which `cause` reads back.
fn tls_error(error: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

fn handshake_eof() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the connection closed during the TLS handshake",
    )
}

/// Bytes taken from the front, holding memory only while some wait: once
/// emptied, its buffer is freed, as an idle connection must hold nothing.
#[derive(Debug, Default)]
struct Queue {
    bytes: Vec<u8>,
    /// Where the bytes not yet taken start.
    start: usize,
}

impl Queue {
    fn is_empty(&self) -> bool {
        self.start == self.bytes.len()
    }

    fn waiting(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    fn waiting_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[self.start..]
    }

    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    /// Takes `n` bytes from the front.
    fn take(&mut self, n: usize) {
        self.start += n;
        debug_assert!(self.start <= self.bytes.len());
        if self.is_empty() {
            *self = Queue::default();
        }
    }

    fn extend_from_slice(&mut self, data: &[u8]) {
        if !data.is_empty() {
            self.compact();
            self.bytes.extend_from_slice(data);
        }
    }

    /// `room` zeroed bytes after those waiting, to write into; say with
    /// [`Queue::drop_unused`] how many were not written.
    fn room_at_back(&mut self, room: usize) -> &mut [u8] {
        // Zeros copied from a block: `Vec::resize` writes them one at a time
        // in a debug build, which took a quarter of a TLS bench's CPU there.
        static ZEROS: [u8; 4096] = [0; 4096];
        self.compact();
        let len = self.bytes.len();
        self.bytes.reserve_exact(room);
        while self.bytes.len() < len + room {
            let n = (len + room - self.bytes.len()).min(ZEROS.len());
            self.bytes.extend_from_slice(&ZEROS[..n]);
        }
        &mut self.bytes[len..]
    }

    /// Drops the last `unused` bytes of the room given.
    fn drop_unused(&mut self, unused: usize) {
        self.bytes.truncate(self.bytes.len() - unused);
        if self.is_empty() {
            *self = Queue::default();
        }
    }

    /// Appends what `encode` writes into room of `estimate` bytes, or of as
    /// much as it says it needs.
    fn append_encoded(
        &mut self,
        estimate: usize,
        mut encode: impl FnMut(&mut [u8]) -> Result<usize, Unencoded>,
    ) -> io::Result<()> {
        let mut room = estimate;
        loop {
            let result = encode(self.room_at_back(room));
            let written = *result.as_ref().unwrap_or(&0);
            self.drop_unused(room - written);
            match result {
                Ok(_) => return Ok(()),
                Err(Unencoded::Room(needed)) if needed > room => room = needed,
                Err(Unencoded::Room(_)) => {
                    return Err(io::Error::other("rustls asked for room it was given"))
                }
                Err(Unencoded::Failed(why)) => return Err(io::Error::other(why)),
            }
        }
    }

    /// Moves the bytes waiting to the front, before more are added.
    fn compact(&mut self) {
        if self.start > 0 {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use rustls::{HandshakeKind, ProtocolVersion, RootCertStore, ServerConfig};
    use rustls::{SupportedProtocolVersion, DEFAULT_VERSIONS};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::task::JoinHandle;
    use tokio_rustls::server::TlsStream as ServerStream;
    use tokio_rustls::TlsAcceptor;

    use super::*;

    const NAME: &str = "broker.test";

    /// A certificate for [`NAME`] and its key; each with a subject of its
    /// own, so that one is never taken for the issuer of another.
    fn certificate() -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec![NAME.to_string()]).unwrap();
        let serial = MADE.fetch_add(1, Ordering::Relaxed);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("test broker {serial}"));
        let cert = params.self_signed(&key).unwrap();
        let key = PrivatePkcs8KeyDer::from(key.serialize_der());
        (cert.der().clone(), key.into())
    }

    /// A server with a certificate of its own, and a client that trusts it,
    /// both speaking `versions`.
    fn configs(versions: &[&'static SupportedProtocolVersion]) -> (ClientConfig, ServerConfig) {
        let (cert, key) = certificate();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        roots.add(cert.clone()).unwrap();
        let client = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let server = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        (client, server)
    }

    /// A server on a loopback port that runs `serve` over each TLS
    /// connection it accepts, `connections` of them, in turn.
    async fn server<F, T>(
        config: ServerConfig,
        connections: usize,
        serve: impl Fn(ServerStream<TcpStream>) -> F + Send + 'static,
    ) -> (SocketAddr, JoinHandle<Vec<T>>)
    where
        F: std::future::Future<Output = T> + Send,
        T: Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let task = tokio::spawn(async move {
            let mut results = Vec::new();
            for _ in 0..connections {
                let (tcp, _) = listener.accept().await.unwrap();
                let tls = acceptor.accept(tcp).await.unwrap();
                results.push(serve(tls).await);
            }
            results
        });
        (addr, task)
    }

    async fn client(addr: SocketAddr, config: Arc<ClientConfig>) -> io::Result<TlsStream> {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from(NAME).unwrap();
        connect(config, name, Base::Tcp(tcp)).await
    }

    /// Reads what arrives until a clean end, which needs close_notify.
    async fn read_to_end(tls: &mut ServerStream<TcpStream>) -> io::Result<Vec<u8>> {
        let mut all = Vec::new();
        tls.read_to_end(&mut all).await.map(|_| all)
    }

    #[tokio::test]
    async fn data_crosses_both_ways_and_an_idle_stream_holds_no_buffer() {
        let (mut client_config, mut server_config) = configs(DEFAULT_VERSIONS);
        client_config.alpn_protocols = vec![b"mqtt".to_vec()];
        server_config.alpn_protocols = vec![b"mqtt".to_vec()];
        let (addr, server) = server(server_config, 1, |mut tls| async move {
            let mut question = [0; 5];
            tls.read_exact(&mut question).await.unwrap();
            assert_eq!(&question, b"ping?");
            tls.write_all(b"pong!").await.unwrap();
            read_to_end(&mut tls).await
        })
        .await;
        let mut stream = client(addr, Arc::new(client_config)).await.unwrap();
        let agreed = stream.connection();
        assert_eq!(agreed.protocol_version(), Some(ProtocolVersion::TLSv1_3));
        assert_eq!(agreed.alpn_protocol(), Some(&b"mqtt"[..]));
        assert_eq!(agreed.peer_certificates().map(|c| c.len()), Some(1));
        assert_eq!(agreed.handshake_kind(), Some(HandshakeKind::Full));
        assert_eq!(stream.buffer_capacities(), [0, 0, 0]);

        stream.write_all(b"ping?").await.unwrap();
        stream.flush().await.unwrap();
        let mut answer = [0; 5];
        stream.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"pong!");
        assert_eq!(stream.buffer_capacities(), [0, 0, 0]);

        // The server's read ends cleanly only on our close_notify.
        stream.shutdown().await.unwrap();
        let rest = server.await.unwrap().pop().unwrap();
        assert_eq!(rest.unwrap(), b"");
    }

    #[tokio::test]
    async fn a_large_write_crosses_and_reads_into_a_small_buffer() {
        let size = 100 * 1024;
        let sent: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let (client_config, server_config) = configs(DEFAULT_VERSIONS);
        let (addr, server) = server(server_config, 1, move |mut tls| async move {
            let mut received = vec![0; size];
            tls.read_exact(&mut received).await.unwrap();
            tls.write_all(&received).await.unwrap();
            tls.flush().await.unwrap();
            received
        })
        .await;
        let mut stream = client(addr, Arc::new(client_config)).await.unwrap();
        stream.write_all(&sent).await.unwrap();
        stream.flush().await.unwrap();
        assert_eq!(stream.buffer_capacities()[2], 0, "sent: nothing queued");

        let mut echoed = Vec::new();
        let mut small = [0; 7];
        let mut leftover_seen = false;
        while echoed.len() < size {
            let n = stream.read(&mut small).await.unwrap();
            assert!(n > 0, "the stream ended after {} bytes", echoed.len());
            echoed.extend_from_slice(&small[..n]);
            leftover_seen |= stream.buffer_capacities()[1] > 0;
        }
        assert!(
            leftover_seen,
            "records larger than the reader's buffer wait in plaintext"
        );
        assert_eq!(server.await.unwrap().pop().unwrap(), sent);
        assert!(echoed == sent, "the echo differs from what was sent");
        assert_eq!(stream.buffer_capacities(), [0, 0, 0]);
    }

    #[tokio::test]
    async fn many_small_records_and_records_split_anywhere_arrive_whole() {
        let (client_config, server_config) = configs(DEFAULT_VERSIONS);
        let (addr, server) = server(server_config, 1, |mut tls| async move {
            // A record per message, and a TCP segment per record.
            for i in 0..100u8 {
                tls.write_all(&[i; 10]).await.unwrap();
                tls.flush().await.unwrap();
            }
            read_to_end(&mut tls).await
        })
        .await;
        // Between the two, the server's bytes go on a few at a time: records,
        // their headers too, arrive in pieces.
        let relay = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay_addr = relay.local_addr().unwrap();
        tokio::spawn(async move {
            let (near, _) = relay.accept().await.unwrap();
            let far = TcpStream::connect(addr).await.unwrap();
            near.set_nodelay(true).unwrap();
            let (mut near_read, mut near_write) = near.into_split();
            let (mut far_read, mut far_write) = far.into_split();
            tokio::spawn(async move { tokio::io::copy(&mut near_read, &mut far_write).await });
            let mut buf = [0; 3];
            loop {
                let n = far_read.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                near_write.write_all(&buf[..n]).await.unwrap();
                tokio::time::sleep(Duration::from_micros(50)).await;
            }
            near_write.shutdown().await.ok();
        });

        let mut stream = client(relay_addr, Arc::new(client_config)).await.unwrap();
        let mut received = vec![0; 1000];
        stream.read_exact(&mut received).await.unwrap();
        let expected: Vec<u8> = (0..100u8).flat_map(|i| [i; 10]).collect();
        assert!(received == expected, "the messages differ from those sent");
        assert_eq!(stream.buffer_capacities(), [0, 0, 0]);
        stream.shutdown().await.unwrap();
        assert_eq!(server.await.unwrap().pop().unwrap().unwrap(), b"");
    }

    #[tokio::test]
    async fn tls_1_2_carries_data_too() {
        let (client_config, server_config) = configs(&[&rustls::version::TLS12]);
        let (addr, server) = server(server_config, 1, |mut tls| async move {
            let mut question = [0; 5];
            tls.read_exact(&mut question).await.unwrap();
            tls.write_all(&question).await.unwrap();
            read_to_end(&mut tls).await
        })
        .await;
        let mut stream = client(addr, Arc::new(client_config)).await.unwrap();
        assert_eq!(
            stream.connection().protocol_version(),
            Some(ProtocolVersion::TLSv1_2)
        );
        stream.write_all(b"hello").await.unwrap();
        let mut answer = [0; 5];
        stream.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"hello");
        assert_eq!(stream.buffer_capacities(), [0, 0, 0]);
        stream.shutdown().await.unwrap();
        assert_eq!(server.await.unwrap().pop().unwrap().unwrap(), b"");
    }

    #[tokio::test]
    async fn a_second_connection_resumes_with_a_ticket_read_during_traffic() {
        let (client_config, server_config) = configs(DEFAULT_VERSIONS);
        let client_config = Arc::new(client_config);
        let (addr, server) = server(server_config, 2, |mut tls| async move {
            tls.write_all(b"hi").await.unwrap();
            read_to_end(&mut tls).await
        })
        .await;
        for kind in [HandshakeKind::Full, HandshakeKind::Resumed] {
            let mut stream = client(addr, client_config.clone()).await.unwrap();
            assert_eq!(stream.connection().handshake_kind(), Some(kind));
            // TLS 1.3 tickets come after the handshake, before this.
            let mut hi = [0; 2];
            stream.read_exact(&mut hi).await.unwrap();
            stream.shutdown().await.unwrap();
        }
        for rest in server.await.unwrap() {
            assert_eq!(rest.unwrap(), b"");
        }
    }

    #[tokio::test]
    async fn a_key_update_the_server_asks_for_is_answered() {
        let (client_config, server_config) = configs(DEFAULT_VERSIONS);
        let (addr, server) = server(server_config, 1, |mut tls| async move {
            let mut question = [0; 5];
            tls.read_exact(&mut question).await.unwrap();
            // A key update that asks for ours: the client's next records
            // decrypt only if it answered (rustls writes its answer ahead of
            // the next record the client encrypts, within the same write).
            tls.get_mut().1.refresh_traffic_keys().unwrap();
            tls.write_all(b"pong!").await.unwrap();
            tls.flush().await.unwrap();
            let mut again = [0; 5];
            tls.read_exact(&mut again).await.unwrap();
            assert_eq!(&again, b"again");
            read_to_end(&mut tls).await
        })
        .await;
        let mut stream = client(addr, Arc::new(client_config)).await.unwrap();
        stream.write_all(b"ping?").await.unwrap();
        let mut answer = [0; 5];
        stream.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"pong!");
        stream.write_all(b"again").await.unwrap();
        stream.shutdown().await.unwrap();
        assert_eq!(server.await.unwrap().pop().unwrap().unwrap(), b"");
    }

    #[tokio::test]
    async fn the_peers_close_notify_is_a_clean_end_and_its_absence_is_not() {
        let (client_config, server_config) = configs(DEFAULT_VERSIONS);
        let client_config = Arc::new(client_config);
        let (addr, server) = server(server_config, 2, |mut tls| async move {
            let mut order = [0; 1];
            tls.read_exact(&mut order).await.unwrap();
            match &order {
                b"c" => tls.shutdown().await.unwrap(),
                _ => drop(tls.into_inner()),
            }
        })
        .await;
        let mut clean = client(addr, client_config.clone()).await.unwrap();
        clean.write_all(b"c").await.unwrap();
        let mut rest = Vec::new();
        clean.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());

        let mut cut = client(addr, client_config).await.unwrap();
        cut.write_all(b"x").await.unwrap();
        let error = cut.read_to_end(&mut rest).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
        server.await.unwrap();
    }

    #[tokio::test]
    async fn plaintext_before_a_bad_record_is_read_then_the_error_each_time_after() {
        let (client_config, server_config) = configs(DEFAULT_VERSIONS);
        let (addr, server) = server(server_config, 1, |mut tls| async move {
            tls.write_all(b"hello").await.unwrap();
            tls.flush().await.unwrap();
            // An application data record no key decrypts, right behind it.
            let forged = [
                23, 3, 3, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
                20,
            ];
            tls.get_mut().0.write_all(&forged).await.unwrap();
            read_to_end(&mut tls).await
        })
        .await;
        let mut stream = client(addr, Arc::new(client_config)).await.unwrap();
        // Both records in the socket before the first read.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut buf = [0; 64];
        let n = stream.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");
        for _ in 0..2 {
            let error = stream.read(&mut buf).await.unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidData);
            let tls_error = error
                .get_ref()
                .and_then(|e| e.downcast_ref::<rustls::Error>());
            assert_eq!(tls_error, Some(&rustls::Error::DecryptError));
        }
        let heard = server.await.unwrap().pop().unwrap().unwrap_err();
        let alert = heard
            .get_ref()
            .and_then(|e| e.downcast_ref::<rustls::Error>());
        assert_eq!(
            alert,
            Some(&rustls::Error::AlertReceived(
                rustls::AlertDescription::BadRecordMac
            ))
        );
    }

    #[tokio::test]
    async fn a_refused_certificate_is_a_rustls_error_and_the_server_hears_why() {
        let (_, server_config) = configs(DEFAULT_VERSIONS);
        // A client that trusts another certificate than the server's.
        let (client_config, _) = configs(DEFAULT_VERSIONS);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(server_config));
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            acceptor.accept(tcp).await.map(|_| ()).unwrap_err()
        });
        let Err(error) = client(addr, Arc::new(client_config)).await else {
            panic!("the handshake succeeded");
        };
        let tls_error = error
            .get_ref()
            .and_then(|e| e.downcast_ref::<rustls::Error>());
        assert!(
            matches!(
                tls_error,
                Some(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::UnknownIssuer
                ))
            ),
            "{error:?}"
        );
        let heard = server.await.unwrap();
        let alert = heard
            .get_ref()
            .and_then(|e| e.downcast_ref::<rustls::Error>());
        assert!(
            matches!(
                alert,
                Some(rustls::Error::AlertReceived(
                    rustls::AlertDescription::UnknownCA
                ))
            ),
            "{heard:?}"
        );
    }

    #[test]
    fn a_record_header_tells_what_the_record_lacks() {
        assert_eq!(missing_from_record(&[]), 0);
        assert_eq!(missing_from_record(&[23, 3, 3, 0]), 0);
        assert_eq!(missing_from_record(&[23, 3, 3, 0, 10]), 10);
        assert_eq!(missing_from_record(&[23, 3, 3, 0, 10, 1, 2, 3]), 7);
        assert_eq!(missing_from_record(&[23, 3, 3, 0xff, 0xff]), MAX_RECORD - 5);
    }

    #[test]
    fn a_queue_frees_its_memory_once_emptied() {
        let mut queue = Queue::default();
        queue.extend_from_slice(b"abcdef");
        queue.take(2);
        assert_eq!(queue.waiting(), b"cdef");
        let room = queue.room_at_back(10);
        room[..2].copy_from_slice(b"gh");
        queue.drop_unused(8);
        assert_eq!(queue.waiting(), b"cdefgh");
        queue.take(6);
        assert_eq!(queue.capacity(), 0);
        assert_eq!(queue.room_at_back(10_000), &[0; 10_000][..]);
        queue.drop_unused(10_000);
        assert_eq!(
            queue.capacity(),
            0,
            "a read that brought nothing keeps nothing"
        );
    }
}
