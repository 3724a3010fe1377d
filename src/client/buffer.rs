//! Read and write buffers that follow the traffic: small while a connection is
//! idle, large while it is busy.
//!
//! One process may hold 100,000 idle connections, so what an idle one costs is
//! what counts; a busy one must still move up to 64 KiB per system call. Each
//! direction learns from how much of its buffer each use needed ([`Sizing`]):
//! the size doubles when a use fills it and falls back to the smallest after two
//! uses in a row that the smallest would have held. Then the buffer is replaced,
//! not kept: a `BytesMut` never gives memory back by itself.

use bytes::{Buf, BytesMut};

/// How big a buffer should be, learned from how much of it recent uses needed.
#[derive(Debug)]
struct Sizing {
    size: usize,
    /// The last use would have fit in the smallest size: one more such use
    /// shrinks it.
    small: bool,
}

impl Sizing {
    /// What an idle connection's read buffer costs: a CONNACK, a PINGRESP or a
    /// small message fits, and 64 KiB is seven doublings away.
    const MIN: usize = 512;
    /// What a busy connection reads at once.
    const MAX: usize = 64 * 1024;

    fn new() -> Sizing {
        Sizing {
            size: Sizing::MIN,
            small: false,
        }
    }

    /// Learns from a use that needed `used` bytes. True when the size fell back
    /// to the smallest: the moment to free a large buffer.
    ///
    /// Only what an idle connection sees shrinks it: keep-alive, an
    /// acknowledgement, a lone small message. A busy one's reads vary widely (a
    /// million messages from mosquitto came in reads of 64 bytes to 64 KiB,
    /// most of 2-8 KiB); replayed, those reads took 46% more system calls than
    /// with a fixed 64 KiB when two reads in a row under half the size shrank
    /// it, and 5% more with this rule. The fall is straight to the smallest, not
    /// by halves, so an idle connection gives its memory back after two small
    /// reads.
    fn record(&mut self, used: usize) -> bool {
        if used >= self.size {
            // The traffic filled the buffer: more may be waiting.
            self.size = (self.size * 2)
                .max(used.next_power_of_two())
                .min(Sizing::MAX);
            self.small = false;
        } else if used >= Sizing::MIN {
            self.small = false;
        } else if !self.small {
            // One small use may be the tail of a burst.
            self.small = true;
        } else {
            self.small = false;
            if self.size > Sizing::MIN {
                self.size = Sizing::MIN;
                return true;
            }
        }
        false
    }
}

/// What was read and not yet decoded, with room for the next read.
pub struct ReadBuffer {
    buf: BytesMut,
    sizing: Sizing,
    /// The size fell back while bytes were buffered: replace the buffer once
    /// they are decoded.
    shrink: bool,
}

impl ReadBuffer {
    pub fn new() -> ReadBuffer {
        ReadBuffer {
            buf: BytesMut::with_capacity(Sizing::MIN),
            sizing: Sizing::new(),
            shrink: false,
        }
    }

    /// The bytes read and not yet decoded.
    pub fn unread(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// The buffer to read into, with room for a read of the learned size.
    ///
    /// Never without room: a read into none returns 0, which means the peer
    /// closed.
    pub fn room(&mut self) -> &mut BytesMut {
        let size = self.sizing.size;
        if self.shrink && self.buf.is_empty() {
            // Decoded packets may still share the old allocation; it goes when
            // they do.
            self.buf = BytesMut::with_capacity(size);
            self.shrink = false;
        } else if self.buf.capacity() - self.buf.len() < size {
            self.buf.reserve(size);
        }
        &mut self.buf
    }

    /// Lets the buffer go when everything read is decoded and the size is the
    /// smallest: an idle connection then holds no read buffer at all, and
    /// takes one again when its socket has bytes ([`ReadBuffer::is_released`]).
    /// Decoded packets may still share the allocation; it goes when they do.
    pub fn release_if_idle(&mut self) {
        if self.buf.is_empty() && self.buf.capacity() > 0 && self.sizing.size == Sizing::MIN {
            self.buf = BytesMut::new();
            self.shrink = false;
        }
    }

    /// Whether the buffer was let go: wait until the socket is readable
    /// before [`ReadBuffer::room`] takes memory again.
    pub fn is_released(&self) -> bool {
        self.buf.capacity() == 0
    }

    /// Learns from a read of `n` bytes into [`ReadBuffer::room`].
    pub fn record_read(&mut self, n: usize) {
        if self.sizing.record(n) {
            self.shrink = true;
        }
    }
}

/// Packets encoded and not yet written.
pub struct WriteBuffer {
    buf: BytesMut,
    sizing: Sizing,
    /// The most bytes queued at once since the buffer was last empty. Queueing
    /// only adds and writing only takes, so the most is there before a write.
    peak: usize,
}

impl WriteBuffer {
    /// No allocation until something is queued.
    pub fn new() -> WriteBuffer {
        WriteBuffer {
            buf: BytesMut::new(),
            sizing: Sizing::new(),
            peak: 0,
        }
    }

    /// Where packets are encoded; it grows as they need.
    pub fn encode_into(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// The bytes to write next.
    pub fn queued(&self) -> &[u8] {
        &self.buf
    }

    /// Drops `n` written bytes. Once all are written, a buffer that grew is
    /// let go after two bursts in a row that a small one would have held: the
    /// next packet starts a small one.
    pub fn written(&mut self, n: usize) {
        self.peak = self.peak.max(self.buf.len());
        self.buf.advance(n);
        if self.buf.is_empty() {
            if self.sizing.record(self.peak) {
                self.buf = BytesMut::new();
            }
            self.peak = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::BufMut;

    use super::*;

    /// A read that fills all the room it is given; its length.
    fn read_full(read: &mut ReadBuffer) -> usize {
        let room = read.room();
        let n = room.capacity() - room.len();
        room.put_bytes(0xAB, n);
        read.record_read(n);
        n
    }

    /// A read of `n` bytes.
    fn read_some(read: &mut ReadBuffer, n: usize) {
        read.room().put_bytes(0xCD, n);
        read.record_read(n);
    }

    /// The size of an empty write buffer's allocation: asking for more room
    /// than it shows takes back the room of the bytes written.
    fn allocation(write: &mut WriteBuffer) -> usize {
        let buf = write.encode_into();
        assert!(buf.is_empty());
        buf.reserve(buf.capacity() + 1);
        buf.capacity()
    }

    /// A burst of `n` queued bytes, written in one go.
    fn burst(write: &mut WriteBuffer, n: usize) {
        write.encode_into().put_bytes(0xEF, n);
        write.written(n);
    }

    #[test]
    fn the_size_doubles_when_a_use_fills_it_up_to_the_most() {
        let mut sizing = Sizing::new();
        let mut sizes = Vec::new();
        for _ in 0..9 {
            let size = sizing.size;
            sizing.record(size);
            sizes.push(sizing.size);
        }
        let doubled: Vec<usize> = (1..=9)
            .map(|i| (Sizing::MIN << i).min(Sizing::MAX))
            .collect();
        assert_eq!(sizes, doubled);
    }

    #[test]
    fn a_use_beyond_the_size_grows_it_to_fit() {
        let mut sizing = Sizing::new();
        sizing.record(5000);
        assert_eq!(sizing.size, 8192);
    }

    #[test]
    fn two_small_uses_in_a_row_fall_back_to_the_smallest() {
        let mut sizing = Sizing::new();
        while sizing.size < Sizing::MAX {
            sizing.record(sizing.size);
        }
        assert!(!sizing.record(100), "one small use shrank it");
        assert_eq!(sizing.size, Sizing::MAX);
        assert!(sizing.record(100));
        assert_eq!(sizing.size, Sizing::MIN);
    }

    #[test]
    fn uses_beyond_the_smallest_size_keep_it_however_far_below() {
        let mut sizing = Sizing::new();
        sizing.record(Sizing::MAX);
        for used in [2048, 2048, 100, Sizing::MIN, 100, 20_000, 100] {
            assert!(!sizing.record(used), "shrank after {used}");
        }
        assert_eq!(sizing.size, Sizing::MAX);
    }

    #[test]
    fn the_smallest_size_stays_put_when_idle() {
        let mut sizing = Sizing::new();
        for _ in 0..4 {
            assert!(!sizing.record(2));
        }
        assert_eq!(sizing.size, Sizing::MIN);
    }

    #[test]
    fn a_new_read_buffer_is_small() {
        let mut read = ReadBuffer::new();
        assert_eq!(read.room().capacity(), Sizing::MIN);
    }

    #[test]
    fn a_full_read_buffer_still_has_room_for_the_next_read() {
        let mut read = ReadBuffer::new();
        let room = read.room();
        let full = room.capacity();
        room.put_bytes(0, full);
        // With the size grown as well as without.
        for record in [false, true] {
            if record {
                read.record_read(full);
            }
            let room = read.room();
            assert!(room.capacity() - room.len() >= read.sizing.size);
            assert_eq!(read.unread().len(), full, "buffered bytes lost");
        }
    }

    #[test]
    fn reads_grow_to_64_kib_while_each_fills_the_room() {
        let mut read = ReadBuffer::new();
        let mut reads = Vec::new();
        for _ in 0..9 {
            reads.push(read_full(&mut read));
            read.unread().clear();
        }
        assert_eq!(reads.last(), Some(&Sizing::MAX), "reads: {reads:?}");
        assert!(reads.windows(2).all(|w| w[0] <= w[1]), "reads: {reads:?}");
    }

    #[test]
    fn an_idle_read_buffer_gives_its_memory_back_once_decoded() {
        let mut read = ReadBuffer::new();
        for _ in 0..9 {
            read_full(&mut read);
            read.unread().clear();
        }
        read_some(&mut read, 40);
        read.unread().clear();
        read_some(&mut read, 2);
        // Not while a packet is half read: its bytes stay.
        read.unread().advance(1);
        assert!(read.room().capacity() > Sizing::MAX / 2);
        assert_eq!(read.unread().as_ref(), [0xCD]);
        read.unread().clear();
        assert_eq!(read.room().capacity(), Sizing::MIN);
    }

    #[test]
    fn a_small_idle_read_buffer_is_let_go_once_decoded() {
        let mut read = ReadBuffer::new();
        read_some(&mut read, 4);
        read.release_if_idle();
        assert!(!read.is_released(), "bytes not decoded yet");
        read.unread().clear();
        read.release_if_idle();
        assert!(read.is_released());
        assert_eq!(read.room().capacity(), Sizing::MIN);
        // A large buffer is not: traffic may go on.
        for _ in 0..3 {
            read_full(&mut read);
            read.unread().clear();
        }
        read.release_if_idle();
        assert!(!read.is_released());
    }

    #[test]
    fn a_write_buffer_starts_with_no_allocation() {
        assert_eq!(WriteBuffer::new().encode_into().capacity(), 0);
    }

    #[test]
    fn a_busy_write_buffer_keeps_its_allocation() {
        let mut write = WriteBuffer::new();
        burst(&mut write, 256 * 1024);
        for n in [100, 200 * 1024, 100, 200 * 1024] {
            burst(&mut write, n);
        }
        assert!(allocation(&mut write) >= 256 * 1024);
    }

    #[test]
    fn a_write_buffer_is_let_go_after_two_small_bursts() {
        let mut write = WriteBuffer::new();
        burst(&mut write, 256 * 1024);
        burst(&mut write, 2);
        assert!(
            write.encode_into().capacity() > 128 * 1024,
            "let go after one"
        );
        burst(&mut write, 2);
        assert_eq!(write.encode_into().capacity(), 0);
    }

    #[test]
    fn a_write_buffer_written_in_parts_counts_its_fullest_moment() {
        let mut write = WriteBuffer::new();
        write.encode_into().put_bytes(0, 256 * 1024);
        for _ in 0..4 {
            write.written(64 * 1024);
        }
        assert_eq!(write.sizing.size, Sizing::MAX);
        assert!(write.queued().is_empty());
    }
}
