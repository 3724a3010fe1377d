//! A WebSocket listener in front of a broker, for the WebSocket tests: Debian's mosquitto 2.0
//! has no WebSocket listener, and neither has the embedded rumqttd.
//!
//! The bridge answers the upgrade on tokio-tungstenite's server side, choosing the `mqtt`
//! subprotocol when the client offers it, and connects to the broker over TCP: binary frames'
//! bytes go to the broker, the broker's bytes come back in binary frames. It records what the
//! tests check: each upgrade request's headers, and the size of each frame from a client. It
//! can also misbehave on purpose: serve one path only (404 for others), leave the subprotocol
//! out, cut the broker's bytes into small frames, want a header (401 without it), and speak
//! TLS (wss).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::Message;

use super::{Broker, HOST};

/// How the bridge behaves.
#[derive(Clone)]
pub struct BridgeOptions {
    /// The one path served; any other is answered 404 Not Found.
    pub path: String,
    /// Whether to choose the `mqtt` subprotocol a client offers.
    pub subprotocol: bool,
    /// Cut the broker's bytes into frames of at most this many bytes.
    pub frame_size: Option<usize>,
    /// Speak TLS first (wss).
    pub tls: Option<Arc<ServerConfig>>,
    /// Answer 401 Unauthorized unless the request has this header (name in lowercase) with
    /// this value, as brokers that authenticate by header do.
    pub required_header: Option<(String, String)>,
}

impl Default for BridgeOptions {
    fn default() -> Self {
        BridgeOptions {
            path: "/mqtt".to_string(),
            subprotocol: true,
            frame_size: None,
            tls: None,
            required_header: None,
        }
    }
}

/// What the bridge saw.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// The headers of each upgrade request, names in lowercase, in order of arrival.
    pub requests: Vec<Vec<(String, String)>>,
    /// The size of each binary frame from a client, in order of arrival.
    pub client_frames: Vec<usize>,
}

/// A running bridge; it stops when dropped.
pub struct Bridge {
    pub port: u16,
    seen: Arc<Mutex<Seen>>,
    stop: Option<oneshot::Sender<()>>,
}

impl Bridge {
    /// Starts a bridge to `broker` on a free 127.0.0.1 port.
    pub fn start(broker: &Broker, options: BridgeOptions) -> Bridge {
        let listener = std::net::TcpListener::bind((HOST, 0)).expect("bind the bridge");
        let port = listener.local_addr().expect("the bridge's address").port();
        listener
            .set_nonblocking(true)
            .expect("make the bridge's listener non-blocking");
        let broker: SocketAddr = broker.addr().parse().expect("broker address is ip:port");
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (stop, stopped) = oneshot::channel();
        let bridge_seen = seen.clone();
        thread::Builder::new()
            .name(format!("websocket-bridge-{port}"))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the bridge");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("a tokio listener");
                    tokio::select! {
                        _ = accept_all(listener, broker, options, bridge_seen) => {}
                        _ = stopped => {}
                    }
                });
            })
            .expect("spawn the bridge thread");
        Bridge {
            port,
            seen,
            stop: Some(stop),
        }
    }

    /// A copy of what the bridge saw so far.
    pub fn seen(&self) -> Seen {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn accept_all(
    listener: TcpListener,
    broker: SocketAddr,
    options: BridgeOptions,
    seen: Arc<Mutex<Seen>>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        // Answers made of several writes (TLS tickets, then the upgrade's) must not wait on
        // the client's delayed acknowledgement.
        stream.set_nodelay(true).ok();
        let (options, seen) = (options.clone(), seen.clone());
        tokio::spawn(async move {
            match options.tls.clone() {
                Some(config) => {
                    if let Ok(stream) = TlsAcceptor::from(config).accept(stream).await {
                        serve(stream, broker, &options, &seen).await;
                    }
                }
                None => serve(stream, broker, &options, &seen).await,
            }
        });
    }
}

/// Answers one upgrade and forwards both ways until either side ends.
// The size of the error is tungstenite's callback type, not ours to choose.
#[allow(clippy::result_large_err)]
async fn serve<S>(stream: S, broker: SocketAddr, options: &BridgeOptions, seen: &Mutex<Seen>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let answer = |request: &Request, mut response: Response| {
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_string(), value)
            })
            .collect();
        let authorized = options
            .required_header
            .as_ref()
            .is_none_or(|required| headers.contains(required));
        seen.lock().unwrap().requests.push(headers);
        if !authorized {
            let mut refusal = ErrorResponse::new(Some("who are you?".to_string()));
            *refusal.status_mut() = StatusCode::UNAUTHORIZED;
            return Err(refusal);
        }
        if request.uri().path() != options.path {
            let mut refusal = ErrorResponse::new(Some("no such path".to_string()));
            *refusal.status_mut() = StatusCode::NOT_FOUND;
            return Err(refusal);
        }
        let offered = request
            .headers()
            .get_all("Sec-WebSocket-Protocol")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .any(|value| value.split(',').any(|p| p.trim() == "mqtt"));
        if options.subprotocol && offered {
            response
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("mqtt"));
        }
        Ok(response)
    };
    let Ok(websocket) = tokio_tungstenite::accept_hdr_async(stream, answer).await else {
        return;
    };
    let Ok(broker) = TcpStream::connect(broker).await else {
        return;
    };
    broker.set_nodelay(true).ok();
    let (mut from_broker, mut to_broker) = broker.into_split();
    let (mut to_client, mut from_client) = websocket.split();
    let upstream = async {
        while let Some(Ok(message)) = from_client.next().await {
            match message {
                Message::Binary(bytes) => {
                    seen.lock().unwrap().client_frames.push(bytes.len());
                    if to_broker.write_all(&bytes).await.is_err() {
                        break;
                    }
                }
                Message::Close(_) => break,
                _ => {}
            }
        }
        let _ = to_broker.shutdown().await;
    };
    let downstream = async {
        let mut buf = vec![0; 64 * 1024];
        loop {
            let n = match from_broker.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let frame_size = options.frame_size.unwrap_or(n);
            for chunk in buf[..n].chunks(frame_size) {
                let frame = Message::Binary(chunk.to_vec().into());
                if to_client.send(frame).await.is_err() {
                    return;
                }
            }
        }
        let _ = to_client.close().await;
    };
    tokio::join!(upstream, downstream);
}
