//! Where a publisher's messages come from ([`Messages`]), and `pub`'s source:
//! one payload repeated, or stdin's lines, read no faster than the queue has
//! room.

use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

use crate::codec::Publish;
use crate::commands::payloads::Encoding;

/// Room made in the stdin buffer before each read in line mode.
const STDIN_CHUNK: usize = 64 * 1024;

/// Where a [`Publisher`](super::Publisher)'s messages come from: `pub`'s
/// [`Feed`], or `replay`'s recording. The publisher takes what is ready while
/// its queue has room, and waits on the source only then, so a source is read
/// no faster than the broker takes its messages.
pub trait Messages {
    /// Whether every message has been taken.
    fn is_done(&self) -> bool;

    /// Ends the input early (Ctrl-C): what was taken is still published.
    fn end(&mut self);

    /// Moves the messages that are ready into `queue`, until it holds
    /// `limit`; fails at input that cannot become a message.
    fn take_ready(&mut self, queue: &mut VecDeque<Publish>, limit: usize) -> anyhow::Result<()>;

    /// Waits until more messages may be ready: reads more input, or sleeps
    /// until the next one is due. Cancel safe.
    fn wait(&mut self) -> impl Future<Output = anyhow::Result<()>>;
}

/// `pub`'s messages: copies of a template whose payloads come from [`Input`].
pub struct Feed<R> {
    template: Publish,
    input: Input<R>,
    /// `--encode`: each line is JSON, made into a payload.
    encode: Option<Encoding>,
    /// Lines taken so far, to name one that does not encode.
    taken: u64,
}

/// Where the payloads come from, read only as fast as the queue has room.
enum Input<R> {
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
    },
}

impl Feed<tokio::io::Empty> {
    /// `template` with `payload`, `count` times, `delay` apart.
    pub fn repeat(template: Publish, payload: Bytes, count: u64, delay: Duration) -> Self {
        Feed {
            template,
            input: Input::Repeat {
                payload,
                left: count,
                delay,
                next: Instant::now(),
            },
            encode: None,
            taken: 0,
        }
    }
}

impl<R: AsyncRead + Unpin> Feed<R> {
    /// `template` with each line of `input` as its payload, encoded from
    /// JSON when `encode` says.
    pub fn lines(template: Publish, input: R, encode: Option<Encoding>) -> Self {
        Feed {
            template,
            input: Input::Lines {
                input,
                buf: BytesMut::with_capacity(STDIN_CHUNK),
                at_eof: false,
                peak_buffered: 0,
            },
            encode,
            taken: 0,
        }
    }

    /// The most input held read but not yet queued at once, in bytes.
    pub fn peak_buffered(&self) -> usize {
        match &self.input {
            Input::Repeat { .. } => 0,
            Input::Lines { peak_buffered, .. } => *peak_buffered,
        }
    }

    /// The template with `payload`.
    fn message(&self, payload: Bytes) -> Publish {
        Publish {
            payload,
            ..self.template.clone()
        }
    }
}

impl<R: AsyncRead + Unpin> Messages for Feed<R> {
    fn is_done(&self) -> bool {
        match &self.input {
            Input::Repeat { left, .. } => *left == 0,
            Input::Lines { buf, at_eof, .. } => *at_eof && buf.is_empty(),
        }
    }

    fn end(&mut self) {
        match &mut self.input {
            Input::Repeat { left, .. } => *left = 0,
            Input::Lines { at_eof, .. } => *at_eof = true,
        }
    }

    fn take_ready(&mut self, queue: &mut VecDeque<Publish>, limit: usize) -> anyhow::Result<()> {
        while queue.len() < limit {
            let payload = match &mut self.input {
                Input::Repeat {
                    payload,
                    left,
                    delay,
                    next,
                } => {
                    if *left == 0 || *next > Instant::now() {
                        break;
                    }
                    *left -= 1;
                    if !delay.is_zero() {
                        *next = Instant::now() + *delay;
                    }
                    payload.clone()
                }
                Input::Lines { buf, at_eof, .. } => match next_line(buf, *at_eof) {
                    Some(line) => {
                        self.taken += 1;
                        match &self.encode {
                            Some(encoding) => {
                                encoding.encode(&line, &format!("line {}", self.taken))?
                            }
                            None => line,
                        }
                    }
                    None => break,
                },
            };
            queue.push_back(self.message(payload));
        }
        Ok(())
    }

    /// Input is read only once every whole line read before is taken, so
    /// that what waits in memory is the queue and one read, whatever the
    /// input: lines left in the buffer are ready at once.
    async fn wait(&mut self) -> anyhow::Result<()> {
        match &mut self.input {
            Input::Repeat { next, .. } => {
                tokio::time::sleep_until(*next).await;
                Ok(())
            }
            Input::Lines {
                input,
                buf,
                at_eof,
                peak_buffered,
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
pub(crate) fn next_line(buf: &mut BytesMut, at_eof: bool) -> Option<Bytes> {
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

    fn payloads(queue: &VecDeque<Publish>) -> Vec<&[u8]> {
        queue.iter().map(|m| &m.payload[..]).collect()
    }

    #[test]
    fn a_feed_fills_the_queue_no_further_than_its_limit() {
        let template = Publish {
            topic: "t".into(),
            retain: true,
            ..Publish::default()
        };
        let mut feed = Feed::lines(template.clone(), &b"a\nb\nc\n"[..], None);
        if let Input::Lines { buf, .. } = &mut feed.input {
            buf.extend_from_slice(b"a\nb\nc\n");
        }
        let mut queue = VecDeque::new();
        feed.take_ready(&mut queue, 2).unwrap();
        assert_eq!(payloads(&queue), [b"a", b"b"]);
        assert!(queue.iter().all(|m| m.topic == "t" && m.retain));
        queue.clear();
        feed.take_ready(&mut queue, 2).unwrap();
        assert_eq!(payloads(&queue), [b"c"]);
        let mut repeat = Feed::repeat(template, Bytes::from("x"), 5, Duration::ZERO);
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
