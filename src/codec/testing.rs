//! Helpers shared by the codec's unit tests.

use bytes::BytesMut;

use super::{decode, encode, Error, Packet, Protocol, MAX_PACKET_SIZE};

/// Encodes `packet`, checks the bytes and the announced length against
/// `bytes`, and decodes them back to the same packet.
pub fn round_trip(packet: &Packet, protocol: Protocol, bytes: &[u8]) {
    assert_eq!(encode_bytes(packet, protocol), bytes, "{}", packet.name());
    assert_eq!(decode_one(bytes, protocol).as_ref(), Ok(packet));
}

/// Encodes `packet`, checking that `encoded_len` tells its true length.
pub fn encode_bytes(packet: &Packet, protocol: Protocol) -> Vec<u8> {
    let mut buf = BytesMut::new();
    encode(packet, protocol, &mut buf).expect("the packet encodes");
    assert_eq!(buf.len(), packet.encoded_len(protocol));
    buf.to_vec()
}

/// Decodes from `bytes`: `Ok(None)` when they hold no whole packet.
pub fn decode_bytes(bytes: &[u8], protocol: Protocol) -> Result<Option<Packet>, Error> {
    decode(&mut BytesMut::from(bytes), protocol, MAX_PACKET_SIZE)
}

/// Decodes `bytes`, which must hold exactly one whole packet.
pub fn decode_one(bytes: &[u8], protocol: Protocol) -> Result<Packet, Error> {
    let mut buf = BytesMut::from(bytes);
    let packet = decode(&mut buf, protocol, MAX_PACKET_SIZE)?.expect("a whole packet");
    assert!(buf.is_empty(), "bytes left after the packet");
    Ok(packet)
}
