//! A peer that plays the least possible broker, for benchmarks: it answers
//! CONNECT with CONNACK, then reads and drops every packet, and closes the
//! connection on DISCONNECT. With no broker work in the way, what a client
//! costs by itself shows.
//!
//! With `keep-open`, it does not close after DISCONNECT but waits for the
//! client to, as some proxies and minimal servers do.
//!
//! Usage: `cargo run --release --example discard_peer -- PORT [keep-open]`

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use bytes::BytesMut;
use mqtk::codec::{self, ConnAck, Packet, Protocol};

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(1883);
    let keep_open = std::env::args().nth(2).as_deref() == Some("keep-open");
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the discard peer");
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || {
            if let Err(e) = serve(stream, keep_open) {
                eprintln!("discard_peer: {e}");
            }
        });
    }
}

fn serve(mut stream: TcpStream, keep_open: bool) -> Result<(), Box<dyn std::error::Error>> {
    let mut buf = BytesMut::with_capacity(1 << 20);
    let mut chunk = vec![0u8; 1 << 20];
    let protocol = loop {
        if let Some(Packet::Connect(connect)) =
            codec::decode(&mut buf, Protocol::V5, codec::MAX_PACKET_SIZE)?
        {
            break connect.protocol;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let mut reply = BytesMut::new();
    codec::encode(&Packet::ConnAck(ConnAck::default()), protocol, &mut reply)?;
    stream.write_all(&reply)?;
    // Skip whole frames without decoding them; stop at DISCONNECT.
    loop {
        while let Some(len) = codec::frame_len(&buf, codec::MAX_PACKET_SIZE)? {
            if buf.len() < len {
                break;
            }
            if buf[0] == 0xE0 && !keep_open {
                return Ok(());
            }
            let _ = buf.split_to(len);
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}
