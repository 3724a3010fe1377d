//! The data types every packet is built from (MQTT 5.0 §1.5, MQTT 3.1.1 §1.5):
//! two- and four-byte integers, variable byte integers, length-prefixed UTF-8
//! strings and binary data.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use bytestring::ByteString;

use super::Error;

/// The largest value of a variable byte integer (MQTT 5.0 §1.5.5).
pub const MAX_VARINT: u32 = 268_435_455;

/// A cursor over one packet's body that never reads past its end.
///
/// Every read checks the remaining length first and fails with
/// [`Error::Truncated`], so malformed input can never panic.
pub struct Reader {
    buf: Bytes,
}

impl Reader {
    pub fn new(buf: Bytes) -> Reader {
        Reader { buf }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    fn need(&self, n: usize, what: &'static str) -> Result<(), Error> {
        if self.buf.len() < n {
            Err(Error::Truncated(what))
        } else {
            Ok(())
        }
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, Error> {
        self.need(1, what)?;
        Ok(self.buf.get_u8())
    }

    pub fn u16(&mut self, what: &'static str) -> Result<u16, Error> {
        self.need(2, what)?;
        Ok(self.buf.get_u16())
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32, Error> {
        self.need(4, what)?;
        Ok(self.buf.get_u32())
    }

    /// A variable byte integer: 7 bits a byte, at most four bytes.
    pub fn varint(&mut self, what: &'static str) -> Result<u32, Error> {
        let mut value = 0u32;
        for i in 0..4 {
            let byte = self.u8(what)?;
            value |= u32::from(byte & 0x7F) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Error::MalformedRemainingLength)
    }

    /// Two-byte length followed by that many bytes, shared with the packet buffer.
    pub fn binary(&mut self, what: &'static str) -> Result<Bytes, Error> {
        let len = usize::from(self.u16(what)?);
        self.take(len, what)
    }

    /// A UTF-8 encoded string: valid UTF-8 without U+0000 [MQTT-1.5.4-1, -2].
    pub fn string(&mut self, what: &'static str) -> Result<String, Error> {
        Ok(self.shared_string(what)?.into())
    }

    /// A UTF-8 encoded string like [`string`](Self::string), shared with the
    /// packet buffer instead of copied out of it.
    pub fn shared_string(&mut self, what: &'static str) -> Result<ByteString, Error> {
        let bytes = self.binary(what)?;
        let text = ByteString::try_from(bytes).map_err(|_| Error::InvalidUtf8)?;
        if text.contains('\0') {
            return Err(Error::NullCharacter);
        }
        Ok(text)
    }

    /// Exactly `len` bytes.
    pub fn take(&mut self, len: usize, what: &'static str) -> Result<Bytes, Error> {
        self.need(len, what)?;
        Ok(self.buf.split_to(len))
    }

    /// Everything left: the payload of a PUBLISH.
    pub fn rest(&mut self) -> Bytes {
        std::mem::take(&mut self.buf)
    }

    /// Checks that the whole body was read.
    pub fn finish(&self, packet: &'static str) -> Result<(), Error> {
        match self.buf.len() {
            0 => Ok(()),
            count => Err(Error::TrailingBytes { packet, count }),
        }
    }
}

/// Bytes a variable byte integer takes.
pub fn varint_len(value: usize) -> usize {
    match value {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// Appends a variable byte integer; the caller keeps `value` within [`MAX_VARINT`].
pub fn put_varint(buf: &mut BytesMut, mut value: u32) {
    debug_assert!(value <= MAX_VARINT);
    loop {
        let mut byte = (value & 0x7F) as u8;
        value >>= 7;
        if value > 0 {
            byte |= 0x80;
        }
        buf.put_u8(byte);
        if value == 0 {
            return;
        }
    }
}

/// Appends two-byte-length-prefixed data; the length was checked by [`check_len`].
pub fn put_binary(buf: &mut BytesMut, data: &[u8]) {
    buf.put_u16(data.len() as u16);
    buf.put_slice(data);
}

/// Appends a UTF-8 string with its two-byte length.
pub fn put_string(buf: &mut BytesMut, text: &str) {
    put_binary(buf, text.as_bytes());
}

/// Bytes a length-prefixed string or binary field takes.
pub fn prefixed_len(data: &[u8]) -> usize {
    2 + data.len()
}

/// Checks that data fits a two-byte length prefix.
pub fn check_len(data: &[u8], what: &'static str) -> Result<(), Error> {
    if data.len() > usize::from(u16::MAX) {
        Err(Error::TooLong(what))
    } else {
        Ok(())
    }
}

/// Checks a string the encoder is about to write: short enough, and without
/// U+0000, which a receiver must reject.
pub fn check_string(text: &str, what: &'static str) -> Result<(), Error> {
    check_len(text.as_bytes(), what)?;
    if text.contains('\0') {
        return Err(Error::NullCharacter);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint_bytes(value: u32) -> Vec<u8> {
        let mut buf = BytesMut::new();
        put_varint(&mut buf, value);
        buf.to_vec()
    }

    #[test]
    fn varints_match_the_specification_table() {
        // MQTT 5.0 §1.5.5, Table 1-1: the boundaries of each length.
        assert_eq!(varint_bytes(0), [0x00]);
        assert_eq!(varint_bytes(127), [0x7F]);
        assert_eq!(varint_bytes(128), [0x80, 0x01]);
        assert_eq!(varint_bytes(16_383), [0xFF, 0x7F]);
        assert_eq!(varint_bytes(16_384), [0x80, 0x80, 0x01]);
        assert_eq!(varint_bytes(2_097_151), [0xFF, 0xFF, 0x7F]);
        assert_eq!(varint_bytes(2_097_152), [0x80, 0x80, 0x80, 0x01]);
        assert_eq!(varint_bytes(MAX_VARINT), [0xFF, 0xFF, 0xFF, 0x7F]);
        for value in [
            0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, MAX_VARINT,
        ] {
            let bytes = varint_bytes(value);
            assert_eq!(varint_len(value as usize), bytes.len());
            let mut r = Reader::new(Bytes::from(bytes));
            assert_eq!(r.varint("test").unwrap(), value);
        }
    }

    #[test]
    fn a_fifth_varint_byte_is_malformed() {
        let mut r = Reader::new(Bytes::from_static(&[0xFF, 0xFF, 0xFF, 0xFF, 0x01]));
        assert_eq!(r.varint("test"), Err(Error::MalformedRemainingLength));
    }

    #[test]
    fn strings_reject_bad_utf8_and_null() {
        // length 2, then an invalid UTF-8 sequence
        let mut r = Reader::new(Bytes::from_static(&[0x00, 0x02, 0xC3, 0x28]));
        assert_eq!(r.string("test"), Err(Error::InvalidUtf8));
        // length 3, "a", U+0000, "b"
        let mut r = Reader::new(Bytes::from_static(&[0x00, 0x03, b'a', 0x00, b'b']));
        assert_eq!(r.string("test"), Err(Error::NullCharacter));
        // length 5 with only 1 byte present
        let mut r = Reader::new(Bytes::from_static(&[0x00, 0x05, b'a']));
        assert_eq!(r.string("topic"), Err(Error::Truncated("topic")));
        // the shared reader checks the same
        let mut r = Reader::new(Bytes::from_static(&[0x00, 0x02, 0xC3, 0x28]));
        assert_eq!(r.shared_string("test"), Err(Error::InvalidUtf8));
        let mut r = Reader::new(Bytes::from_static(&[0x00, 0x03, b'a', 0x00, b'b']));
        assert_eq!(r.shared_string("test"), Err(Error::NullCharacter));
    }

    #[test]
    fn a_shared_string_points_into_the_buffer() {
        // length 3, "a/b", then one more byte
        let buf = Bytes::from_static(&[0x00, 0x03, b'a', b'/', b'b', 0x01]);
        let mut r = Reader::new(buf.clone());
        let text = r.shared_string("test").unwrap();
        assert_eq!(text, "a/b");
        assert_eq!(text.as_ptr(), buf[2..].as_ptr());
        assert_eq!(r.remaining(), 1);
    }
}
