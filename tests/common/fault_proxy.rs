//! A TCP proxy in front of a broker that breaks the path on command, for the tests of how
//! `mqtk` lives through a bad network: it resets or closes the connections, goes silent without
//! closing anything (a half-open path, as behind a dead link or a NAT that forgot the
//! connection), refuses new connections, and adds latency.
//!
//! The tests are synchronous, so the proxy runs on a tokio runtime of its own and [`FaultProxy`]
//! is a synchronous handle to it. Each connection is one task that copies both ways and watches
//! the faults a test orders, so a reset or close ends it at once, even in the middle of a stall.
//! The proxy counts the connections it accepts, so that a test waits for a client to reconnect
//! instead of sleeping.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{sleep, sleep_until, timeout, Instant};

/// The proxy listens on loopback only.
const HOST: &str = "127.0.0.1";

/// The longest a cut may take to close the connections it ends.
const CUT_TIMEOUT: Duration = Duration::from_secs(10);

/// A running proxy to one broker. Dropping it stops its runtime, which closes its listener and
/// every connection.
pub struct FaultProxy {
    port: u16,
    shared: Arc<Shared>,
    /// The task of [`FaultProxy::reset_every`], while one runs.
    reset_cycle: Mutex<Option<JoinHandle<()>>>,
    /// Runs the listener and the connections on a worker thread, so they go on while the test's
    /// thread does something else; declared last, so it is dropped last.
    runtime: Runtime,
}

/// How a cut ([`FaultProxy::reset_all`], [`FaultProxy::close_all`]) ends a connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Cut {
    /// A RST to the client, a FIN to the broker.
    #[default]
    Reset,
    /// A FIN to both.
    Close,
}

/// The faults the test ordered, which every connection's task watches.
#[derive(Debug, Clone, Copy, Default)]
struct Faults {
    /// How many cuts were ordered. A connection notes this number when it is accepted and is
    /// ended by the next cut, so a cut never hits connections accepted after it.
    cuts: u64,
    /// How the latest cut ends connections.
    cut: Cut,
    /// Nothing is forwarded until then.
    stalled_until: Option<Instant>,
    /// New connections are reset until then.
    refused_until: Option<Instant>,
    /// Added to each chunk's way through the proxy.
    delay: Duration,
}

/// What became of the connections, for the tests to wait on.
#[derive(Debug, Clone, Default)]
struct Counts {
    /// Connections accepted and forwarded, ever.
    accepted: usize,
    /// Connections reset at once because of [`FaultProxy::refuse_for`], ever.
    refused: usize,
    /// Open connections by the number of cuts when they were accepted: a cut waits until none
    /// below its own number is left.
    open: BTreeMap<u64, usize>,
}

/// What the handle and the tasks share.
struct Shared {
    faults: watch::Sender<Faults>,
    counts: watch::Sender<Counts>,
}

impl Shared {
    /// Orders every open connection ended `how` and returns the cut's number.
    fn cut_all(&self, how: Cut) -> u64 {
        let mut number = 0;
        self.faults.send_modify(|faults| {
            faults.cuts += 1;
            faults.cut = how;
            number = faults.cuts;
        });
        number
    }
}

impl FaultProxy {
    /// Starts a proxy to `target` on a free 127.0.0.1 port; it forwards faithfully until told
    /// otherwise.
    pub fn to(target: SocketAddr) -> FaultProxy {
        let listener = std::net::TcpListener::bind((HOST, 0)).expect("bind the fault proxy");
        let port = listener
            .local_addr()
            .expect("the fault proxy's address")
            .port();
        listener
            .set_nonblocking(true)
            .expect("make the fault proxy's listener non-blocking");
        // A multi-thread runtime, unlike a current-thread one, runs its tasks while nobody
        // blocks on it: the handle's methods return at once.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(format!("fault-proxy-{port}"))
            .enable_all()
            .build()
            .expect("a runtime for the fault proxy");
        let shared = Arc::new(Shared {
            faults: watch::Sender::new(Faults::default()),
            counts: watch::Sender::new(Counts::default()),
        });
        let listener = {
            let _runtime_context = runtime.enter();
            TcpListener::from_std(listener).expect("a tokio listener")
        };
        runtime.spawn(accept_all(listener, target, shared.clone()));
        FaultProxy {
            port,
            shared,
            reset_cycle: Mutex::new(None),
            runtime,
        }
    }

    /// The port the proxy listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Resets every open connection: a RST to the client (SO_LINGER 0, then close), a FIN to
    /// the broker. Returns once they are all closed.
    pub fn reset_all(&self) {
        self.cut_all_and_wait(Cut::Reset);
    }

    /// Closes every open connection with a FIN to both sides. Returns once they are all closed.
    pub fn close_all(&self) {
        self.cut_all_and_wait(Cut::Close);
    }

    /// Resets every open connection each `period`, from one period from now until
    /// [`FaultProxy::stop_faults`]; a later call replaces the cycle.
    pub fn reset_every(&self, period: Duration) {
        let shared = self.shared.clone();
        let cycle = self.runtime.spawn(async move {
            loop {
                sleep(period).await;
                shared.cut_all(Cut::Reset);
            }
        });
        let previous = self.reset_cycle.lock().unwrap().replace(cycle);
        self.stop_cycle(previous);
    }

    /// Ends every fault in force: the reset cycle, a stall, a refusal and the delay. When it
    /// returns, the cycle resets nothing more.
    pub fn stop_faults(&self) {
        let cycle = self.reset_cycle.lock().unwrap().take();
        self.stop_cycle(cycle);
        self.shared.faults.send_modify(|faults| {
            faults.stalled_until = None;
            faults.refused_until = None;
            faults.delay = Duration::ZERO;
        });
    }

    /// Makes the path half-open for `duration`, from now: nothing is forwarded either way, on
    /// the open connections and on those accepted meanwhile, and nothing is closed. The proxy
    /// does not even read, so the kernel's buffers fill as behind a dead link; at most one chunk
    /// read before the stall is held back. Afterwards, the connections still open carry on with
    /// the bytes held back. Returns at once.
    pub fn half_open(&self, duration: Duration) {
        let until = Instant::now() + duration;
        self.shared
            .faults
            .send_modify(|faults| faults.stalled_until = Some(until));
    }

    /// Whether a [`FaultProxy::half_open`] stall is in force.
    pub fn is_half_open(&self) -> bool {
        let stalled_until = self.shared.faults.borrow().stalled_until;
        stalled_until.is_some_and(|until| Instant::now() < until)
    }

    /// Whether a [`FaultProxy::refuse_for`] refusal is in force.
    pub fn is_refusing(&self) -> bool {
        let refused_until = self.shared.faults.borrow().refused_until;
        refused_until.is_some_and(|until| Instant::now() < until)
    }

    /// Resets each new connection as soon as it is accepted, for `duration` from now (a client
    /// sees its connect succeed, then the reset). Open connections are not touched.
    pub fn refuse_for(&self, duration: Duration) {
        let until = Instant::now() + duration;
        self.shared
            .faults
            .send_modify(|faults| faults.refused_until = Some(until));
    }

    /// Holds each chunk back `delay` before forwarding it, both ways (zero: none). A direction
    /// forwards one chunk at a time, so it also carries at most one chunk per `delay`.
    pub fn set_delay(&self, delay: Duration) {
        self.shared
            .faults
            .send_modify(|faults| faults.delay = delay);
    }

    /// How many connections the proxy has accepted and forwarded, refused ones not included.
    pub fn connections_accepted(&self) -> usize {
        self.shared.counts.borrow().accepted
    }

    /// How many connections [`FaultProxy::refuse_for`] has reset.
    pub fn connections_refused(&self) -> usize {
        self.shared.counts.borrow().refused
    }

    /// How many connections are open: accepted, and not yet closed on both sides.
    pub fn open_connections(&self) -> usize {
        self.shared.counts.borrow().open.values().sum()
    }

    /// Waits until the proxy has accepted `count` connections in all; panics after `limit`.
    pub fn wait_for_connections(&self, count: usize, limit: Duration) {
        if !self.wait_for_counts(limit, |counts| counts.accepted >= count) {
            panic!(
                "fault proxy: {} connection(s) accepted in all after {limit:?}, waited for {count}",
                self.connections_accepted()
            );
        }
    }

    /// Orders a cut and waits until every connection accepted before it has closed.
    fn cut_all_and_wait(&self, how: Cut) {
        let number = self.shared.cut_all(how);
        let closed = self.wait_for_counts(CUT_TIMEOUT, |counts| {
            counts.open.range(..number).next().is_none()
        });
        assert!(
            closed,
            "fault proxy: connections still open {CUT_TIMEOUT:?} after {how:?}"
        );
    }

    /// Aborts a reset cycle and waits until it has stopped, so that it cuts nothing after.
    fn stop_cycle(&self, cycle: Option<JoinHandle<()>>) {
        if let Some(cycle) = cycle {
            cycle.abort();
            let _cancelled = self.runtime.block_on(cycle);
        }
    }

    /// Blocks until `done` holds for the counts; false when `limit` passes first.
    fn wait_for_counts(&self, limit: Duration, done: impl FnMut(&Counts) -> bool) -> bool {
        let mut counts = self.shared.counts.subscribe();
        // The timer must be made inside the runtime, hence the async block.
        self.runtime
            .block_on(async { timeout(limit, counts.wait_for(done)).await.is_ok() })
    }
}

/// Accepts connections for ever, serving each on a task of its own, or resetting it while
/// connections are refused.
async fn accept_all(listener: TcpListener, target: SocketAddr, shared: Arc<Shared>) {
    loop {
        // An error concerns one connection (given up by its client, say): on to the next.
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let faults = *shared.faults.borrow();
        if faults
            .refused_until
            .is_some_and(|until| Instant::now() < until)
        {
            // Counted first, so that a client that sees the reset sees the count too.
            shared.counts.send_modify(|counts| counts.refused += 1);
            reset(client);
            continue;
        }
        let open = OpenConnection::count(&shared, faults.cuts);
        tokio::spawn(serve(client, target, open));
    }
}

/// A connection in [`Counts::open`], from its accept until its task ends or is dropped.
struct OpenConnection {
    shared: Arc<Shared>,
    /// [`Faults::cuts`] when the connection was accepted.
    born: u64,
}

impl OpenConnection {
    fn count(shared: &Arc<Shared>, born: u64) -> OpenConnection {
        shared.counts.send_modify(|counts| {
            counts.accepted += 1;
            *counts.open.entry(born).or_default() += 1;
        });
        OpenConnection {
            shared: shared.clone(),
            born,
        }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.shared.counts.send_modify(|counts| {
            if let Some(open) = counts.open.get_mut(&self.born) {
                *open -= 1;
                if *open == 0 {
                    counts.open.remove(&self.born);
                }
            }
        });
    }
}

/// Connects `client` to the broker at `target` and forwards until both sides have closed, one
/// fails, or a cut ends the connection. `open` is dropped last, once the sockets are closed.
async fn serve(mut client: TcpStream, target: SocketAddr, open: OpenConnection) {
    let mut faults = open.shared.faults.subscribe();
    let connected = tokio::select! {
        connected = TcpStream::connect(target) => connected,
        how = next_cut(&mut faults, open.born) => return end(how, client, None).await,
    };
    let Ok(mut broker) = connected else {
        // As a client connecting to a broker that is down would see.
        return reset(client);
    };
    // The proxy adds no latency of its own (Nagle's algorithm would hold small chunks back).
    let _ = client.set_nodelay(true);
    let _ = broker.set_nodelay(true);
    let how = tokio::select! {
        () = forward(&mut client, &mut broker, faults.clone()) => return,
        how = next_cut(&mut faults, open.born) => how,
    };
    end(how, client, Some(broker)).await;
}

/// The next cut ordered after the connection was accepted (when there had been `born`), and
/// how it ends the connection.
async fn next_cut(faults: &mut watch::Receiver<Faults>, born: u64) -> Cut {
    match faults.wait_for(|faults| faults.cuts > born).await {
        Ok(faults) => faults.cut,
        // The proxy is gone, and the connection with it.
        Err(_) => Cut::Close,
    }
}

/// Ends a connection as a cut orders: a RST or a FIN to the client, a FIN to the broker.
async fn end(how: Cut, client: TcpStream, broker: Option<TcpStream>) {
    match how {
        Cut::Reset => reset(client),
        Cut::Close => close(client).await,
    }
    if let Some(broker) = broker {
        close(broker).await;
    }
}

/// Closes `stream` with a RST: with SO_LINGER 0, closing discards what is unsent and resets.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
}

/// Closes `stream` with a FIN: shuts its writing down, then closes it.
async fn close(mut stream: TcpStream) {
    let _ = stream.shutdown().await;
}

/// Copies both ways until both sides have sent their FIN (each passed on) or one way fails,
/// which ends both: the connection is broken.
async fn forward(client: &mut TcpStream, broker: &mut TcpStream, faults: watch::Receiver<Faults>) {
    let (mut client_read, mut client_write) = client.split();
    let (mut broker_read, mut broker_write) = broker.split();
    let _ = tokio::try_join!(
        copy(&mut client_read, &mut broker_write, faults.clone()),
        copy(&mut broker_read, &mut client_write, faults),
    );
}

/// Copies `from` to `to` a chunk at a time, each held back by the delay and while the path is
/// stalled; at end-of-file, shuts `to`'s writing down, passing the FIN on.
async fn copy(
    from: &mut (impl AsyncRead + Unpin),
    to: &mut (impl AsyncWrite + Unpin),
    mut faults: watch::Receiver<Faults>,
) -> io::Result<()> {
    let mut chunk = vec![0; 64 * 1024];
    loop {
        // No reading while stalled: the sender's bytes wait in the kernel, as on a dead path.
        end_of_stall(&mut faults).await;
        let read = from.read(&mut chunk).await;
        let delay = faults.borrow().delay;
        if matches!(read, Ok(len) if len > 0) && !delay.is_zero() {
            sleep(delay).await;
        }
        // What was read as a stall began waits for its end, a FIN or a RST too: a dead path
        // carries nothing, and the side that gave up must not be heard.
        end_of_stall(&mut faults).await;
        let len = read?;
        if len == 0 {
            return to.shutdown().await;
        }
        to.write_all(&chunk[..len]).await?;
    }
}

/// Returns when no stall is in force (at once when none is).
async fn end_of_stall(faults: &mut watch::Receiver<Faults>) {
    loop {
        let stalled_until = faults.borrow_and_update().stalled_until;
        let Some(until) = stalled_until.filter(|until| Instant::now() < *until) else {
            return;
        };
        // A later order (stop_faults, another half_open) may move the end.
        tokio::select! {
            () = sleep_until(until) => {}
            _ = faults.changed() => {}
        }
    }
}
