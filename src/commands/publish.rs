//! `mqtk pub`: publish one message, a file, or stdin whole or line by line,
//! across lost connections.
//!
//! Exit 0 means every message was accepted: QoS 0 written and the connection
//! closed cleanly, QoS 1/2 acknowledged with a success reason code.
//!
//! Messages flow from a [`Feed`] (the repeated payload, or stdin's lines)
//! into a bounded queue, and from the queue into the client as fast as the
//! broker's in-flight window allows. When the connection is lost, the feed
//! goes on filling the queue while the client reconnects; once the queue is
//! full the input is no longer read, so a pipe's writer is held back and
//! memory stays flat however long the outage.

use std::collections::VecDeque;
use std::time::Duration;

use anyhow::{bail, Context as _};
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

use super::notices::say;
use super::reconnect::{self, Policy};
use super::{
    check_topic_name, client_options_with_topic, message_properties, qos, require_v5, usage,
    Interrupt, Lifecycle,
};
use crate::cli::{exit, End, PubArgs};
use crate::client::{verdict, Client, ClientError, Event, Options};
use crate::codec::{Publish, QoS, ReasonCode};

/// Room made in the stdin buffer before each read in line mode.
const STDIN_CHUNK: usize = 64 * 1024;

/// The MQTT 5 session expiry that lets a publisher's session outlive a lost
/// connection, so that its unacknowledged messages are resumed, not sent
/// anew; a clean exit sets it to 0, so nothing is left behind.
const OUTAGE_SESSION_EXPIRY: u32 = 3600;

/// Where the payloads come from.
#[derive(Debug)]
enum Source {
    /// One payload, known before connecting (-m, -f, -s, -n).
    Message(Bytes),
    /// Each line of stdin (-l).
    Lines,
}

/// What `mqtk pub` will do, resolved from its arguments.
#[derive(Debug)]
struct PubPlan {
    options: Options,
    template: Publish,
    source: Source,
    repeat: u64,
    repeat_delay: Duration,
    lifecycle: Lifecycle,
    reconnect: Policy,
    max_queued: usize,
}

/// Runs `mqtk pub`.
pub async fn run(args: PubArgs) -> anyhow::Result<u8> {
    let plan = plan(args).await?;
    let client =
        reconnect::first_connect(&plan.reconnect, || plan.lifecycle.connect(&plan.options)).await?;
    if !plan.template.properties.is_empty() {
        require_v5(&client, "message properties")?;
    }
    // Ctrl-C ends the input, as end of file does: what was read is still
    // published and acknowledged. Once the input has ended, it gives up.
    let interrupt = Interrupt::new()?;
    let mut publisher = Publisher::new(
        client,
        plan.template.clone(),
        &plan.options,
        plan.reconnect,
        plan.max_queued,
    )
    .with_lifecycle(&plan.lifecycle)
    .with_interrupt(interrupt);
    let result = match &plan.source {
        Source::Message(payload) => {
            let mut feed = Feed::repeat(payload.clone(), plan.repeat, plan.repeat_delay);
            publisher.publish_all(&mut feed).await
        }
        Source::Lines => {
            let mut feed = Feed::lines(tokio::io::stdin());
            publisher.publish_all(&mut feed).await
        }
    };
    let (client, tally) = publisher.finish();
    result.map_err(|e| tally.loss(e))?;
    plan.lifecycle
        .end(client, &plan.options)
        .await
        .map_err(|e| tally.loss(e))?;
    tally.verdict()?;
    Ok(exit::SUCCESS)
}

async fn plan(args: PubArgs) -> anyhow::Result<PubPlan> {
    let (mut options, url_topic) =
        client_options_with_topic(&args.connection, Some(&args.session))?;
    let topic = match (args.topic, url_topic) {
        (Some(topic), None) | (None, Some(topic)) => topic,
        (Some(_), Some(_)) => return usage("give the topic with -t or in the URL, not both"),
        (None, None) => {
            return usage("no topic: give -t TOPIC or an mqtt:// URL with a path (a ws:// path is the WebSocket's)")
        }
    };
    check_topic_name(&topic, "-t")?;
    if !(args.repeat_delay >= 0.0 && args.repeat_delay.is_finite()) {
        return usage("--repeat-delay must be zero or more seconds");
    }
    let reconnect = Policy::new(&args.reconnect);
    // A session that outlives the connection, for the QoS 1/2 messages in
    // flight, unless the user chose one, or an ending that leaves the session
    // behind on purpose.
    let ends_with_disconnect =
        matches!(args.ending.end(), End::Disconnect | End::DisconnectWithWill);
    if reconnect.enabled
        && args.qos > 0
        && ends_with_disconnect
        && options.session_expiry.is_none()
        && options.clean_start
    {
        options.session_expiry = Some(OUTAGE_SESSION_EXPIRY);
        options.expire_on_disconnect = true;
    }
    let lifecycle = Lifecycle::new(&args.ending, &args.status, &mut options)?;
    let source = &args.source;
    let source = if source.stdin_line {
        Source::Lines
    } else if let Some(message) = &source.message {
        Source::Message(Bytes::from(message.clone()))
    } else if let Some(path) = &source.file {
        let data =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Source::Message(Bytes::from(data))
    } else if source.stdin_file {
        let mut payload = Vec::new();
        tokio::io::stdin()
            .read_to_end(&mut payload)
            .await
            .context("cannot read stdin")?;
        Source::Message(Bytes::from(payload))
    } else {
        Source::Message(Bytes::new())
    };
    let properties = message_properties(&args.properties)?;
    if !properties.is_empty() && options.protocol.is_some_and(|p| !p.is_v5()) {
        return usage("message properties need MQTT 5 (-V 5)");
    }
    Ok(PubPlan {
        options,
        template: Publish {
            qos: qos(args.qos),
            retain: args.retain,
            topic: topic.into(),
            properties,
            ..Publish::default()
        },
        source,
        repeat: args.repeat,
        repeat_delay: Duration::from_secs_f64(args.repeat_delay),
        lifecycle,
        reconnect,
        max_queued: args.max_queued as usize,
    })
}

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
    /// Each line of `input`.
    pub fn lines(input: R) -> Self {
        Feed::Lines {
            input,
            buf: BytesMut::with_capacity(STDIN_CHUNK),
            at_eof: false,
            peak_buffered: 0,
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
    fn is_done(&self) -> bool {
        match self {
            Feed::Repeat { left, .. } => *left == 0,
            Feed::Lines { buf, at_eof, .. } => *at_eof && buf.is_empty(),
        }
    }

    /// Ends the input early (Ctrl-C): what was read is still published.
    fn end(&mut self) {
        match self {
            Feed::Repeat { left, .. } => *left = 0,
            Feed::Lines { at_eof, .. } => *at_eof = true,
        }
    }

    /// Moves the payloads that are ready into `queue`, until it holds `limit`.
    fn take_ready(&mut self, queue: &mut VecDeque<Bytes>, limit: usize) {
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
            Feed::Lines { buf, at_eof, .. } => {
                while queue.len() < limit {
                    match next_line(buf, *at_eof) {
                        Some(line) => queue.push_back(line),
                        None => break,
                    }
                }
            }
        }
    }

    /// Waits until more payloads may be ready: reads more input, or sleeps
    /// until the next repeat is due. Cancel safe.
    ///
    /// Input is read only once every whole line read before is taken, so
    /// that what waits in memory is the queue and one read, whatever the
    /// input: lines left in the buffer are ready at once.
    async fn wait(&mut self) -> anyhow::Result<()> {
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

/// Publishes a feed through one client, riding out lost connections.
pub struct Publisher<'a> {
    client: Client,
    template: Publish,
    options: &'a Options,
    policy: Policy,
    lifecycle: Option<&'a Lifecycle>,
    interrupt: Option<Interrupt>,
    /// Payloads read and not yet handed to the client.
    queue: VecDeque<Bytes>,
    max_queued: usize,
    /// Messages of a session the broker lost, to publish again (as new
    /// ones) before the queue.
    again: VecDeque<Publish>,
    tally: Tally,
}

/// How a wait on the client and the feed ended.
enum Turn {
    /// Something moved: look again.
    Progress,
    /// The connection is lost.
    Lost(ClientError),
}

impl<'a> Publisher<'a> {
    /// A publisher of copies of `template`, whose payloads are the feed's.
    pub fn new(
        client: Client,
        template: Publish,
        options: &'a Options,
        policy: Policy,
        max_queued: usize,
    ) -> Publisher<'a> {
        Publisher {
            client,
            template,
            options,
            policy,
            lifecycle: None,
            interrupt: None,
            queue: VecDeque::new(),
            max_queued: max_queued.max(1),
            again: VecDeque::new(),
            tally: Tally::default(),
        }
    }

    /// Announces the client online (--status) after each reconnect.
    fn with_lifecycle(mut self, lifecycle: &'a Lifecycle) -> Self {
        self.lifecycle = Some(lifecycle);
        self
    }

    /// Listens for Ctrl-C: the first ends the input, the next gives up.
    fn with_interrupt(mut self, interrupt: Interrupt) -> Self {
        self.interrupt = Some(interrupt);
        self
    }

    /// The client and what became of the messages.
    pub fn finish(mut self) -> (Client, Tally) {
        self.tally.read = self.tally.sent + self.queue.len() as u64;
        (self.client, self.tally)
    }

    /// Publishes every payload of `feed`, in order, none dropped, and waits
    /// until every QoS 1/2 message is acknowledged.
    ///
    /// Payloads are taken from large reads and queued together, so many
    /// messages leave in one write; QoS 1/2 messages are pipelined through
    /// the broker's in-flight window, and each acknowledgement is counted as
    /// it arrives.
    pub async fn publish_all<R: AsyncRead + Unpin>(
        &mut self,
        feed: &mut Feed<R>,
    ) -> anyhow::Result<()> {
        let published = self.publish_feed(feed).await;
        self.tally.input_ended = feed.is_done();
        published
    }

    async fn publish_feed<R: AsyncRead + Unpin>(
        &mut self,
        feed: &mut Feed<R>,
    ) -> anyhow::Result<()> {
        loop {
            feed.take_ready(&mut self.queue, self.max_queued);
            self.hand_over()?;
            let turn = if !(feed.is_done() && self.queue.is_empty() && self.again.is_empty()) {
                self.turn(feed).await?
            } else if self.client.publishes_in_flight() > 0 {
                self.settle_turn().await?
            } else {
                let flushed = self.client.flush().await;
                match self.lost_or_fail(flushed)? {
                    Turn::Progress => return Ok(()),
                    lost => lost,
                }
            };
            if let Turn::Lost(cause) = turn {
                self.ride_out(cause, feed).await?;
            }
        }
    }

    /// Hands the client every waiting message it can take at once, the
    /// messages of a lost session first.
    fn hand_over(&mut self) -> anyhow::Result<()> {
        let qos = self.template.qos;
        while !self.again.is_empty() && self.client.can_queue(qos) {
            if let Some(message) = self.again.pop_front() {
                self.client.queue_publish(message)?;
            }
        }
        let mut new = 0;
        while self.again.is_empty() && self.client.can_queue(qos) {
            let Some(payload) = self.queue.pop_front() else {
                break;
            };
            let message = Publish {
                payload,
                ..self.template.clone()
            };
            self.client.queue_publish(message)?;
            new += 1;
            if qos == QoS::AtMostOnce {
                self.tally.accepted += 1;
            }
        }
        self.tally.sent += new;
        self.tally.record_arrived(&mut self.client);
        Ok(())
    }

    /// Waits for the client (room to send, or an acknowledgement), for more
    /// input while the queue has room, or for Ctrl-C.
    async fn turn<R: AsyncRead + Unpin>(&mut self, feed: &mut Feed<R>) -> anyhow::Result<Turn> {
        let qos = self.template.qos;
        let waiting = !self.queue.is_empty() || !self.again.is_empty();
        let room = self.queue.len() < self.max_queued && !feed.is_done();
        let client = &mut self.client;
        let tally = &mut self.tally;
        let moved = async {
            if waiting {
                client.ready(qos).await
            } else {
                client.next_event().await.map(|event| tally.record(&event))
            }
        };
        tokio::select! {
            moved = moved => Ok(self.lost_or_fail(moved)?),
            read = feed.wait(), if room => read.map(|()| Turn::Progress),
            _ = ctrl_c(&mut self.interrupt) => {
                interrupted(feed)?;
                Ok(Turn::Progress)
            }
        }
    }

    /// Waits for acknowledgements once the input is over, or for Ctrl-C.
    async fn settle_turn(&mut self) -> anyhow::Result<Turn> {
        let client = &mut self.client;
        let tally = &mut self.tally;
        tokio::select! {
            event = client.next_event() => {
                let event = event.map(|event| tally.record(&event));
                Ok(self.lost_or_fail(event)?)
            }
            _ = ctrl_c(&mut self.interrupt) => bail!("interrupted while waiting for acknowledgements"),
        }
    }

    /// A client result as a turn: a lost connection to ride out when the
    /// policy says so, any other error the end.
    fn lost_or_fail(&mut self, result: Result<(), ClientError>) -> Result<Turn, ClientError> {
        match result {
            Ok(()) => Ok(Turn::Progress),
            Err(error) if self.policy.rides_out(&error) => Ok(Turn::Lost(error)),
            Err(error) => {
                self.tally.count_unconfirmed(&self.client);
                Err(error)
            }
        }
    }

    /// Connects again after `cause`, reading input into the queue while it
    /// has room meanwhile; then resumes the session, or publishes again, as
    /// new messages, what a broker that lost the session had not confirmed.
    async fn ride_out<R: AsyncRead + Unpin>(
        &mut self,
        mut cause: ClientError,
        feed: &mut Feed<R>,
    ) -> anyhow::Result<()> {
        loop {
            self.tally.count_unconfirmed(&self.client);
            let client = &mut self.client;
            let (options, policy, lifecycle) = (self.options, &self.policy, self.lifecycle);
            let recovery = async {
                let resumption = reconnect::reconnect(client, options, policy, cause).await?;
                if let Some(lifecycle) = lifecycle {
                    lifecycle.announce_online(client).await?;
                }
                anyhow::Ok(resumption)
            };
            let result = {
                tokio::pin!(recovery);
                loop {
                    feed.take_ready(&mut self.queue, self.max_queued);
                    let room = self.queue.len() < self.max_queued && !feed.is_done();
                    tokio::select! {
                        result = &mut recovery => break result,
                        read = feed.wait(), if room => read?,
                        _ = ctrl_c(&mut self.interrupt) => interrupted(feed)?,
                    }
                }
            };
            match result {
                Ok(resumption) => {
                    self.publish_again(resumption.unfinished);
                    return Ok(());
                }
                Err(error) => match error.downcast::<ClientError>() {
                    Ok(lost) if self.policy.rides_out(&lost) => cause = lost,
                    Ok(other) => return Err(other.into()),
                    Err(error) => return Err(error),
                },
            }
        }
    }

    /// Queues the unfinished messages of a lost session ahead of the rest,
    /// and says what that may cost.
    fn publish_again(&mut self, unfinished: Vec<Publish>) {
        if unfinished.is_empty() {
            return;
        }
        let qos2 = unfinished
            .iter()
            .filter(|m| m.qos == QoS::ExactlyOnce)
            .count();
        let twice = match qos2 {
            0 => String::new(),
            n => format!("; {n} at QoS 2 may arrive twice"),
        };
        say(format_args!(
            "{} unacknowledged messages published again as new{twice}",
            unfinished.len()
        ));
        self.tally.maybe_twice += qos2 as u64;
        self.again.extend(unfinished);
    }
}

/// Ctrl-C: ends the input, or gives up when the input has already ended.
fn interrupted<R: AsyncRead + Unpin>(feed: &mut Feed<R>) -> anyhow::Result<()> {
    if feed.is_done() {
        bail!("interrupted while waiting for acknowledgements");
    }
    feed.end();
    Ok(())
}

/// Waits for Ctrl-C, or forever where nobody listens for it.
async fn ctrl_c(interrupt: &mut Option<Interrupt>) {
    match interrupt {
        Some(interrupt) => interrupt.recv().await,
        None => std::future::pending().await,
    }
}

/// What became of the messages.
#[derive(Debug, Default)]
pub struct Tally {
    /// Taken from the input (each repeat counts).
    pub read: u64,
    /// Handed to the client, once each (not counting what was sent again).
    pub sent: u64,
    pub accepted: u64,
    pub refused: u64,
    /// QoS 0 messages written on connections that were lost before the
    /// broker confirmed reading them: nobody can know whether they arrived.
    pub unconfirmed_qos0: u64,
    /// QoS 2 messages published again after a broker lost the session.
    pub maybe_twice: u64,
    /// Whether the whole input was read (or ended by Ctrl-C).
    pub input_ended: bool,
    /// The first refusal, to name in the error.
    first_refusal: Option<(ReasonCode, Option<String>)>,
}

impl Tally {
    fn record(&mut self, event: &Event) {
        if let Event::Published {
            reason,
            reason_string,
            ..
        } = event
        {
            if reason.is_error() {
                self.refused += 1;
                self.first_refusal
                    .get_or_insert_with(|| (*reason, reason_string.clone()));
            } else {
                self.accepted += 1;
            }
        }
    }

    /// Records every event that has already arrived, without waiting.
    fn record_arrived(&mut self, client: &mut Client) {
        while let Some(event) = client.try_next_event() {
            self.record(&event);
        }
    }

    /// Counts the QoS 0 messages a lost connection leaves in doubt.
    fn count_unconfirmed(&mut self, client: &Client) {
        self.unconfirmed_qos0 += client.unconfirmed_qos0();
    }

    /// Puts a failure in terms of the messages it cost.
    fn loss(&self, error: anyhow::Error) -> anyhow::Error {
        let lost = self.read - self.accepted;
        if lost > 0 {
            error.context(format!("{lost} of {} messages not acknowledged", self.read))
        } else if !self.input_ended {
            error.context(match self.read {
                0 => "nothing was published".to_string(),
                n => format!(
                    "the {n} messages read were acknowledged; the rest of the input was not \
                     published"
                ),
            })
        } else {
            error
        }
    }

    fn verdict(&self) -> anyhow::Result<()> {
        if let Some((reason, reason_string)) = &self.first_refusal {
            bail!(
                "{} of {} messages refused by the broker: {}",
                self.refused,
                self.sent,
                verdict(*reason, reason_string.as_deref())
            );
        }
        if self.unconfirmed_qos0 > 0 {
            bail!(
                "{} QoS 0 messages were written on connections that were then lost, and may \
                 not have arrived (QoS 1 makes sure)",
                self.unconfirmed_qos0
            );
        }
        Ok(())
    }
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
        let mut feed = Feed::lines(&b"a\nb\nc\n"[..]);
        if let Feed::Lines { buf, .. } = &mut feed {
            buf.extend_from_slice(b"a\nb\nc\n");
        }
        let mut queue = VecDeque::new();
        feed.take_ready(&mut queue, 2);
        assert_eq!(queue, ["a", "b"]);
        queue.clear();
        feed.take_ready(&mut queue, 2);
        assert_eq!(queue, ["c"]);
        let mut repeat = Feed::repeat(Bytes::from("x"), 5, Duration::ZERO);
        let mut queue = VecDeque::new();
        repeat.take_ready(&mut queue, 3);
        assert_eq!(queue.len(), 3);
        assert!(!repeat.is_done());
        queue.clear();
        repeat.take_ready(&mut queue, 3);
        assert_eq!(queue.len(), 2);
        assert!(repeat.is_done());
    }
}
