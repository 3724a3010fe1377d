//! Where `pub`'s payloads come from: one payload repeated, or stdin's lines,
//! read no faster than the queue has room.

use std::collections::VecDeque;
use std::time::Duration;

use anyhow::Context as _;
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

use crate::commands::payloads::Encoding;

/// Room made in the stdin buffer before each read in line mode.
const STDIN_CHUNK: usize = 64 * 1024;

/// Where the payloads come from, read only as fast as the queue has room.
pub enum Feed<R> {
    /// One payload, `left` more times, `delay` apart.
    Repeat {
        payload: Bytes,
        left: u64,
        delay: Duration,
        next: Instant,
    },
    /// Each line of a stream: `\n` or `\r\n` ends a line, and at the end of
    /// input the last line needs neither.
    Lines {
        input: R,
        buf: BytesMut,
        at_eof: bool,
        /// The most input ever held in `buf`, read and not yet queued.
        peak_buffered: usize,
        /// `--encode`: each line is JSON, made into a payload.
        encode: Option<Encoding>,
        /// Lines taken so far.
        taken: u64,
    },
}

impl Feed<tokio::io::Empty> {
    /// `payload`, `count` times, `delay` apart.
    pub fn repeat(payload: Bytes, count: u64, delay: Duration) -> Self {
        Feed::Repeat {
            payload,
            left: count,
            delay,
            next: Instant::now(),
        }
    }
}

impl<R: AsyncRead + Unpin> Feed<R> {
    /// Each line of `input`, encoded from JSON when `encode` says.
    pub fn lines(input: R, encode: Option<Encoding>) -> Self {
        Feed::Lines {
            input,
            buf: BytesMut::with_capacity(STDIN_CHUNK),
            at_eof: false,
            peak_buffered: 0,
            encode,
            taken: 0,
        }
    }

    /// The most input held read but not yet queued at once, in bytes.
    pub fn peak_buffered(&self) -> usize {
        match self {
            Feed::Repeat { .. } => 0,
            Feed::Lines { peak_buffered, .. } => *peak_buffered,
        }
    }

    /// Whether every payload has been taken.
    pub(super) fn is_done(&self) -> bool {
        match self {
            Feed::Repeat { left, .. } => *left == 0,
            Feed::Lines { buf, at_eof, .. } => *at_eof && buf.is_empty(),
        }
    }

    /// Ends the input early (Ctrl-C): what was read is still published.
    pub(super) fn end(&mut self) {
        match self {
            Feed::Repeat { left, .. } => *left = 0,
            Feed::Lines { at_eof, .. } => *at_eof = true,
        }
    }

    /// Moves the payloads that are ready into `queue`, until it holds `limit`;
    /// fails at a line that does not encode.
    pub(super) fn take_ready(
        &mut self,
        queue: &mut VecDeque<Bytes>,
        limit: usize,
    ) -> anyhow::Result<()> {
        match self {
            Feed::Repeat {
                payload,
                left,
                delay,
                next,
            } => {
                while *left > 0 && queue.len() < limit && *next <= Instant::now() {
                    queue.push_back(payload.clone());
                    *left -= 1;
                    if !delay.is_zero() {
                        *next = Instant::now() + *delay;
                    }
                }
            }
            Feed::Lines {
                buf,
                at_eof,
                encode,
                taken,
                ..
            } => {
                while queue.len() < limit {
                    let Some(line) = next_line(buf, *at_eof) else {
                        break;
                    };
                    *taken += 1;
                    queue.push_back(match encode {
                        Some(encoding) => encoding.encode(&line, &format!("line {taken}"))?,
                        None => line,
                    });
                }
            }
        }
        Ok(())
    }

    /// Waits until more payloads may be ready: reads more input, or sleeps
    /// until the next repeat is due. Cancel safe.
    ///
    /// Input is read only once every whole line read before is taken, so
    /// that what waits in memory is the queue and one read, whatever the
    /// input: lines left in the buffer are ready at once.
    pub(super) async fn wait(&mut self) -> anyhow::Result<()> {
        match self {
            Feed::Repeat { next, .. } => {
                tokio::time::sleep_until(*next).await;
                Ok(())
            }
            Feed::Lines {
                input,
                buf,
                at_eof,
                peak_buffered,
                ..
            } => {
                if memchr::memchr(b'\n', buf).is_some() {
                    return Ok(());
                }
                buf.reserve(STDIN_CHUNK);
                let read = input.read_buf(buf).await.context("cannot read stdin")?;
                *at_eof = read == 0;
                *peak_buffered = (*peak_buffered).max(buf.len());
                Ok(())
            }
        }
    }
}

/// Takes the next line off `buf`, without its `\n` or `\r\n`; at the end of
/// input, the last line even without a newline.
fn next_line(buf: &mut BytesMut, at_eof: bool) -> Option<Bytes> {
    let line = match memchr::memchr(b'\n', buf) {
        Some(end) => {
            let mut line = buf.split_to(end + 1);
            line.truncate(end);
            line
        }
        None if at_eof && !buf.is_empty() => buf.split(),
        None => return None,
    };
    let mut line = line.freeze();
    if line.last() == Some(&b'\r') {
        line.truncate(line.len() - 1);
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<Bytes> {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(line) = next_line(&mut buf, true) {
            out.push(line);
        }
        out
    }

    #[test]
    fn lines_end_with_lf_or_crlf_and_the_last_needs_neither() {
        assert_eq!(lines(b"a\nb\r\n\nc"), ["a", "b", "", "c"]);
        assert!(lines(b"").is_empty());
        assert_eq!(lines(b"only\n"), ["only"]);
    }

    #[test]
    fn an_incomplete_line_waits_for_more_input() {
        let mut buf = BytesMut::from(&b"whole\npart"[..]);
        assert_eq!(next_line(&mut buf, false).unwrap(), "whole");
        assert_eq!(next_line(&mut buf, false), None);
        assert_eq!(&buf[..], b"part");
    }

    #[test]
    fn a_feed_fills_the_queue_no_further_than_its_limit() {
        let mut feed = Feed::lines(&b"a\nb\nc\n"[..], None);
        if let Feed::Lines { buf, .. } = &mut feed {
            buf.extend_from_slice(b"a\nb\nc\n");
        }
        let mut queue = VecDeque::new();
        feed.take_ready(&mut queue, 2).unwrap();
        assert_eq!(queue, ["a", "b"]);
        queue.clear();
        feed.take_ready(&mut queue, 2).unwrap();
        assert_eq!(queue, ["c"]);
        let mut repeat = Feed::repeat(Bytes::from("x"), 5, Duration::ZERO);
        let mut queue = VecDeque::new();
        repeat.take_ready(&mut queue, 3).unwrap();
        assert_eq!(queue.len(), 3);
        assert!(!repeat.is_done());
        queue.clear();
        repeat.take_ready(&mut queue, 3).unwrap();
        assert_eq!(queue.len(), 2);
        assert!(repeat.is_done());
    }
}
