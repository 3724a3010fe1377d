//! The least a paced load can cost on this machine: the system calls of `mqtk bench`'s
//! `rate` and `pubsub` loads made from plain blocking sockets, with no runtime, no
//! histograms and no report, so that scripts/bench-load can set mqtk's CPU beside the
//! floor the kernel allows in the same run.
//!
//! - `rate`: CONNECTIONS publishers on one thread, each sending its share of RATE
//!   messages per second one by one on its own schedule, woken by a 1 ms tick (as
//!   tokio's timer wheel wakes a paced publisher).
//! - `pubsub`: one publisher thread writing what is due at each 1 ms tick in one write,
//!   and one subscriber thread in a blocking read loop that decodes every packet.
//!
//! Both send 16-byte QoS 0 payloads, connect with keep alive off and print one line:
//! `sent S received R cpu_s C user_s U sys_s Y`, the CPU being the process's own
//! (getrusage) from the first message to the last.
//!
//! Usage: `syscall_floor rate    PORT VERSION CONNECTIONS RATE SECONDS TOPIC-PREFIX`
//!        `syscall_floor pubsub  PORT VERSION RATE SECONDS TOPIC`
//! where VERSION is 5 or 3.1.1; the broker is at 127.0.0.1.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use mqtk::codec::{self, Connect, Packet, Properties, Protocol, Publish, QoS};
use mqtk::codec::{Subscribe, Subscription};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

const TICK: Duration = Duration::from_millis(1);
const PAYLOAD: [u8; 16] = [0x5a; 16];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("rate") if args.len() == 7 => rate(&args[1..]),
        Some("pubsub") if args.len() == 6 => pubsub(&args[1..]),
        _ => Err(
            "usage: syscall_floor rate PORT VERSION CONNECTIONS RATE SECONDS TOPIC-PREFIX \
                  | pubsub PORT VERSION RATE SECONDS TOPIC"
                .into(),
        ),
    };
    if let Err(e) = outcome {
        eprintln!("syscall_floor: {e}");
        std::process::exit(1);
    }
}

/// Many publishers on one thread, each writing its own messages as they fall due.
fn rate(args: &[String]) -> Result<()> {
    let (port, protocol) = (args[0].parse::<u16>()?, version(&args[1])?);
    let (connections, rate): (usize, f64) = (args[2].parse()?, args[3].parse()?);
    let seconds: f64 = args[4].parse()?;
    let mut publishers = Vec::with_capacity(connections);
    for i in 0..connections {
        let stream = connect(port, protocol, &format!("floor-{i}"))?;
        let frame = publish_frame(&format!("{}/{i}", args[5]), protocol)?;
        publishers.push((stream, frame));
    }
    // Publisher i sends its n-th message at (n + i / connections) / per_publisher seconds.
    let per_publisher = rate / connections as f64;
    let mut next = vec![0u64; connections];
    let start = Instant::now();
    let cpu = Cpu::now();
    let mut sent = 0u64;
    let mut tick = start;
    while tick.duration_since(start).as_secs_f64() < seconds {
        tick += TICK;
        sleep_until(tick);
        let now = start.elapsed().as_secs_f64().min(seconds);
        for (i, (stream, frame)) in publishers.iter_mut().enumerate() {
            let offset = i as f64 / connections as f64;
            while (next[i] as f64 + offset) / per_publisher <= now {
                stream.write_all(frame)?;
                next[i] += 1;
                sent += 1;
            }
        }
    }
    let cpu = cpu.since();
    for (stream, _) in &mut publishers {
        disconnect(stream, protocol)?;
    }
    cpu.print(sent, 0);
    Ok(())
}

/// One publisher and one subscriber on a topic, each on a thread of its own.
fn pubsub(args: &[String]) -> Result<()> {
    let (port, protocol) = (args[0].parse::<u16>()?, version(&args[1])?);
    let (rate, seconds): (f64, f64) = (args[2].parse()?, args[3].parse()?);
    let topic = args[4].clone();
    let mut subscriber = connect(port, protocol, "floor-sub")?;
    subscribe(&mut subscriber, protocol, &topic)?;
    let mut publisher = connect(port, protocol, "floor-pub")?;
    let frame = publish_frame(&topic, protocol)?;

    let received = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (received, done) = (received.clone(), done.clone());
        let mut stream = subscriber.try_clone()?;
        thread::spawn(move || read_publishes(&mut stream, protocol, &received, &done))
    };

    let cpu = Cpu::now();
    let start = Instant::now();
    let (mut sent, mut tick, mut batch) = (0u64, start, Vec::new());
    while tick.duration_since(start).as_secs_f64() < seconds {
        tick += TICK;
        sleep_until(tick);
        let due = (start.elapsed().as_secs_f64().min(seconds) * rate) as u64;
        batch.clear();
        for _ in sent..due {
            batch.extend_from_slice(&frame);
        }
        publisher.write_all(&batch)?;
        sent = due.max(sent);
    }
    // The last deliveries, for at most a second.
    let drained = Instant::now() + Duration::from_secs(1);
    while received.load(Ordering::Relaxed) < sent && Instant::now() < drained {
        thread::sleep(TICK);
    }
    let cpu = cpu.since();
    done.store(true, Ordering::Relaxed);
    disconnect(&mut publisher, protocol)?;
    disconnect(&mut subscriber, protocol)?;
    reader
        .join()
        .map_err(|_| "the subscriber thread panicked")??;
    cpu.print(sent, received.load(Ordering::Relaxed));
    Ok(())
}

/// Reads and decodes until the connection ends, counting PUBLISH packets.
fn read_publishes(
    stream: &mut TcpStream,
    protocol: Protocol,
    received: &AtomicU64,
    done: &AtomicBool,
) -> Result<()> {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(_) if done.load(Ordering::Relaxed) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let mut count = 0;
        while let Some(packet) = codec::decode(&mut buf, protocol, codec::MAX_PACKET_SIZE)? {
            count += u64::from(matches!(packet, Packet::Publish(_)));
        }
        received.fetch_add(count, Ordering::Relaxed);
    }
}

fn version(text: &str) -> Result<Protocol> {
    match text {
        "5" => Ok(Protocol::V5),
        "3.1.1" => Ok(Protocol::V311),
        _ => Err(format!("version {text}: 5 or 3.1.1").into()),
    }
}

/// A connected session: CONNECT written, CONNACK read.
fn connect(port: u16, protocol: Protocol, client_id: &str) -> Result<TcpStream> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_nodelay(true)?;
    let connect = Connect {
        protocol,
        clean_start: true,
        keep_alive: 0,
        client_id: client_id.into(),
        will: None,
        username: None,
        password: None,
        properties: Properties::default(),
    };
    send(&mut stream, &Packet::Connect(Box::new(connect)), protocol)?;
    match next_packet(&mut stream, protocol)? {
        Packet::ConnAck(ack) if !ack.reason.is_error() => Ok(stream),
        other => Err(format!("the broker answered CONNECT with {other:?}").into()),
    }
}

fn subscribe(stream: &mut TcpStream, protocol: Protocol, filter: &str) -> Result<()> {
    let subscribe = Subscribe {
        packet_id: 1,
        subscriptions: vec![Subscription::new(filter, QoS::AtMostOnce)],
        properties: Properties::default(),
    };
    send(stream, &Packet::Subscribe(subscribe), protocol)?;
    match next_packet(stream, protocol)? {
        Packet::SubAck(_) => Ok(()),
        other => Err(format!("the broker answered SUBSCRIBE with {other:?}").into()),
    }
}

fn disconnect(stream: &mut TcpStream, protocol: Protocol) -> Result<()> {
    send(stream, &Packet::Disconnect(Default::default()), protocol)
}

fn publish_frame(topic: &str, protocol: Protocol) -> Result<Vec<u8>> {
    let publish = Publish {
        topic: topic.into(),
        payload: PAYLOAD.to_vec().into(),
        ..Publish::default()
    };
    let mut buf = BytesMut::new();
    codec::encode(&Packet::Publish(publish), protocol, &mut buf)?;
    Ok(buf.to_vec())
}

fn send(stream: &mut TcpStream, packet: &Packet, protocol: Protocol) -> Result<()> {
    let mut buf = BytesMut::new();
    codec::encode(packet, protocol, &mut buf)?;
    Ok(stream.write_all(&buf)?)
}

/// One packet from a stream read a byte at a time: only for the handshake.
fn next_packet(stream: &mut TcpStream, protocol: Protocol) -> Result<Packet> {
    let mut buf = BytesMut::new();
    loop {
        if let Some(packet) = codec::decode(&mut buf, protocol, codec::MAX_PACKET_SIZE)? {
            return Ok(packet);
        }
        let mut byte = [0u8];
        if stream.read(&mut byte)? == 0 {
            return Err("the broker closed the connection".into());
        }
        buf.extend_from_slice(&byte);
    }
}

fn sleep_until(deadline: Instant) {
    let now = Instant::now();
    if deadline > now {
        thread::sleep(deadline - now);
    }
}

/// The process's CPU time, user and system, in seconds.
#[derive(Clone, Copy)]
struct Cpu {
    user: f64,
    sys: f64,
}

impl Cpu {
    fn now() -> Cpu {
        // SAFETY: getrusage only writes the struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
        let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        Cpu {
            user: seconds(usage.ru_utime),
            sys: seconds(usage.ru_stime),
        }
    }

    fn since(self) -> Cpu {
        let now = Cpu::now();
        Cpu {
            user: now.user - self.user,
            sys: now.sys - self.sys,
        }
    }

    fn print(self, sent: u64, received: u64) {
        println!(
            "sent {sent} received {received} cpu_s {:.3} user_s {:.3} sys_s {:.3}",
            self.user + self.sys,
            self.user,
            self.sys
        );
    }
}
