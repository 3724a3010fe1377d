//! The seed corpus of the `decode` fuzz target stays valid as the codec
//! changes: each seed in fuzz/corpus/decode (written by
//! `cargo run --example fuzz_seeds -- fuzz/corpus/decode`) decodes whole the way
//! the fuzz target reads its input, and between them the seeds hold every kind
//! of packet in every protocol version.
//!
//! Only the `.bin` files are seeds; anything else there is the fuzzer's own.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use bytes::BytesMut;
use mqtk::codec::{decode, encode, Packet, Protocol, MAX_PACKET_SIZE};

/// The fuzz target's limit on one incoming packet.
const MAX_INCOMING: usize = 64 * 1024;

/// Every seed file, by name, with its bytes.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decode");
    let mut seeds: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "bin"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&path).expect("read a seed"))
        })
        .collect();
    seeds.sort();
    assert!(seeds.len() > 50, "only {} seeds", seeds.len());
    seeds
}

/// The versions a seed decodes in, as its name says: the fuzz target decodes
/// as 3.1.1 and as 5 only, and a 3.1 seed is a CONNECT, which names its own
/// version. A name without a version is the same bytes in both.
fn protocols_of(name: &str) -> Vec<Protocol> {
    let stem = name.trim_end_matches(".bin");
    if stem.ends_with("-v5") {
        vec![Protocol::V5]
    } else if stem.ends_with("-v311") || stem.ends_with("-v31") {
        vec![Protocol::V311]
    } else {
        vec![Protocol::V311, Protocol::V5]
    }
}

/// The packets of `bytes`, back to back, decoded as the fuzz target decodes
/// them and checked as it checks them (each encodes again and decodes to
/// itself); or why they do not all decode.
fn decode_whole(bytes: &[u8], protocol: Protocol) -> Result<Vec<Packet>, String> {
    let mut buf = BytesMut::from(bytes);
    let mut packets = Vec::new();
    while !buf.is_empty() {
        match decode(&mut buf, protocol, MAX_INCOMING) {
            Ok(Some(packet)) => packets.push(packet),
            Ok(None) => return Err(format!("{} bytes of an incomplete packet", buf.len())),
            Err(e) => return Err(format!("after {} packets: {e}", packets.len())),
        }
    }
    for packet in &packets {
        let mut encoded = BytesMut::new();
        encode(packet, protocol, &mut encoded)
            .map_err(|e| format!("{packet:?} does not encode again: {e}"))?;
        let again = decode(&mut encoded, protocol, MAX_PACKET_SIZE);
        if again != Ok(Some(packet.clone())) || !encoded.is_empty() {
            return Err(format!("{packet:?} encodes to something else: {again:?}"));
        }
    }
    Ok(packets)
}

#[test]
fn every_seed_decodes_whole_in_the_versions_its_name_gives() {
    for (name, bytes) in seeds() {
        for protocol in protocols_of(&name) {
            if let Err(why) = decode_whole(&bytes, protocol) {
                panic!(
                    "{name} does not decode as MQTT {protocol}: {why}\n\
                     (rewrite the seeds: cargo run --example fuzz_seeds -- fuzz/corpus/decode)"
                );
            }
        }
    }
}

#[test]
fn the_seeds_hold_every_kind_of_packet_in_every_version() {
    let mut found = BTreeSet::new();
    let mut whole_connect = false;
    for (name, bytes) in seeds() {
        for protocol in protocols_of(&name) {
            for packet in decode_whole(&bytes, protocol).unwrap_or_default() {
                let version = match &packet {
                    Packet::Connect(connect) => connect.protocol,
                    _ => protocol,
                };
                // the CONNECT a fuzzer never built by chance
                if let Packet::Connect(connect) = &packet {
                    whole_connect |= !connect.properties.user_properties.is_empty()
                        && connect.username.is_some()
                        && connect
                            .will
                            .as_ref()
                            .is_some_and(|will| !will.properties.user_properties.is_empty());
                }
                found.insert((packet.name(), version.to_string()));
            }
        }
    }
    let kinds = [
        "CONNECT",
        "CONNACK",
        "PUBLISH",
        "PUBACK",
        "PUBREC",
        "PUBREL",
        "PUBCOMP",
        "SUBSCRIBE",
        "SUBACK",
        "UNSUBSCRIBE",
        "UNSUBACK",
        "PINGREQ",
        "PINGRESP",
        "DISCONNECT",
        "AUTH",
    ];
    let mut expected: BTreeSet<(&str, String)> = BTreeSet::new();
    for kind in kinds {
        expected.insert((kind, "5".into()));
        if kind != "AUTH" {
            expected.insert((kind, "3.1.1".into()));
        }
    }
    expected.insert(("CONNECT", "3.1".into()));
    let missing: Vec<_> = expected.difference(&found).collect();
    assert!(missing.is_empty(), "no seed for {missing:?}");
    assert!(
        whole_connect,
        "no seed is an MQTT 5 CONNECT with credentials, user properties and a will with its own"
    );
}
