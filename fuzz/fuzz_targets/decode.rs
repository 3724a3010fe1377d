//! Decodes arbitrary bytes as a stream of packets, in MQTT 3.1.1 and in MQTT 5.
//!
//! Whatever comes out must encode again, and the encoding must decode to the
//! same packet: the decoder may refuse input, but never accept a packet that
//! the encoder cannot write back. Panics, including in debug assertions such
//! as the encoder's body-length check, are what the fuzzer looks for.
//!
//! It starts from the seeds in fuzz/corpus/decode, which
//! `cargo run --example fuzz_seeds -- fuzz/corpus/decode` writes.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mqtk::codec::{decode, encode, Protocol, MAX_PACKET_SIZE};

/// The largest packet taken from the input: small, so that the oversized-packet
/// check is exercised too. Re-decoding allows any size, since an encoding may
/// be a byte longer than what was decoded (an omitted property length, say).
const MAX_INCOMING: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    for protocol in [Protocol::V311, Protocol::V5] {
        let mut buf = BytesMut::from(data);
        // Stops at the first incomplete or invalid packet.
        while let Ok(Some(packet)) = decode(&mut buf, protocol, MAX_INCOMING) {
            let mut encoded = BytesMut::new();
            if let Err(e) = encode(&packet, protocol, &mut encoded) {
                panic!("decoded {packet:?} in MQTT {protocol} but cannot encode it: {e}");
            }
            assert_eq!(encoded.len(), packet.encoded_len(protocol), "{packet:?}");
            let again = decode(&mut encoded, protocol, MAX_PACKET_SIZE);
            assert_eq!(again, Ok(Some(packet.clone())), "re-decoding");
            assert!(
                encoded.is_empty(),
                "{} bytes left after {packet:?}",
                encoded.len()
            );
        }
    }
});
