//! A SOCKS5 proxy on 127.0.0.1, on fast-socks5's server side, for the `--proxy` tests: with or
//! without a user name and password, it connects wherever a client asks and records how the
//! client named the target (a domain for the proxy to resolve, or an address).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread;

use fast_socks5::server::{run_tcp_proxy, Socks5ServerProtocol};
use fast_socks5::util::target_addr::TargetAddr;
use fast_socks5::{ReplyError, Socks5Command};
use tokio::net::{lookup_host, TcpListener, TcpStream};
use tokio::sync::oneshot;

use super::{HOST, TIMEOUT};

/// A running proxy; it stops when dropped.
pub struct SocksProxy {
    pub port: u16,
    targets: Arc<Mutex<Vec<String>>>,
    stop: Option<oneshot::Sender<()>>,
}

impl SocksProxy {
    /// Starts a proxy that takes anyone, or with `credentials` only that user name and
    /// password.
    pub fn start(credentials: Option<(&str, &str)>) -> SocksProxy {
        let listener = std::net::TcpListener::bind((HOST, 0)).expect("bind the proxy");
        let port = listener.local_addr().expect("the proxy's address").port();
        listener
            .set_nonblocking(true)
            .expect("make the proxy's listener non-blocking");
        let credentials =
            credentials.map(|(user, password)| (user.to_string(), password.to_string()));
        let targets = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = oneshot::channel();
        let proxy_targets = targets.clone();
        thread::Builder::new()
            .name(format!("socks-proxy-{port}"))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the proxy");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("a tokio listener");
                    let accept_all = async {
                        loop {
                            let Ok((stream, _)) = listener.accept().await else {
                                continue;
                            };
                            let (credentials, targets) =
                                (credentials.clone(), proxy_targets.clone());
                            tokio::spawn(async move {
                                let _ = serve(stream, credentials, &targets).await;
                            });
                        }
                    };
                    tokio::select! {
                        _ = accept_all => {}
                        _ = stopped => {}
                    }
                });
            })
            .expect("spawn the proxy thread");
        SocksProxy {
            port,
            targets,
            stop: Some(stop),
        }
    }

    /// The `--proxy` URL of this proxy, with `userinfo` ("user:password@") when given.
    pub fn url(&self, scheme: &str, userinfo: &str) -> String {
        format!("{scheme}://{userinfo}{HOST}:{}", self.port)
    }

    /// How the clients named their targets, in order: "domain NAME:PORT" or "ip ADDR:PORT".
    pub fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

impl Drop for SocksProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// One client: authentication, the CONNECT command, then bytes both ways.
async fn serve(
    stream: TcpStream,
    credentials: Option<(String, String)>,
    targets: &Mutex<Vec<String>>,
) -> Result<(), fast_socks5::SocksError> {
    let protocol = match credentials {
        None => Socks5ServerProtocol::accept_no_auth(stream).await?,
        Some((user, password)) => {
            Socks5ServerProtocol::accept_password_auth(stream, |u, p| u == user && p == password)
                .await?
                .0
        }
    };
    let (protocol, command, target) = protocol.read_command().await?;
    let named = match &target {
        TargetAddr::Ip(addr) => format!("ip {addr}"),
        TargetAddr::Domain(..) => format!("domain {target}"),
    };
    targets.lock().unwrap().push(named);
    if !matches!(command, Socks5Command::TCPConnect) {
        protocol
            .reply_error(&ReplyError::CommandNotSupported)
            .await?;
        return Ok(());
    }
    // The harness's brokers listen on 127.0.0.1 only, and `localhost` may resolve to ::1
    // first: a name goes to its IPv4 address.
    let addr = match target {
        TargetAddr::Ip(addr) => addr,
        TargetAddr::Domain(name, port) => {
            let addrs: Vec<SocketAddr> = match lookup_host((name.as_str(), port)).await {
                Ok(addrs) => addrs.collect(),
                Err(_) => Vec::new(),
            };
            match addrs.iter().find(|a| a.is_ipv4()).or(addrs.first()) {
                Some(addr) => *addr,
                None => {
                    protocol.reply_error(&ReplyError::HostUnreachable).await?;
                    return Ok(());
                }
            }
        }
    };
    run_tcp_proxy(protocol, &TargetAddr::Ip(addr), TIMEOUT, true).await?;
    Ok(())
}
