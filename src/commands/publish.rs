//! `mqtk pub`: publish one message, a file, or stdin whole or line by line.
//!
//! Exit 0 means every message was accepted: QoS 0 written and the connection
//! closed cleanly, QoS 1/2 acknowledged with a success reason code.

use std::time::Duration;

use anyhow::{bail, Context as _};
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::{
    check_topic_name, client_options_with_topic, message_properties, qos, require_v5, usage,
    Interrupt, Lifecycle,
};
use crate::cli::{exit, PubArgs};
use crate::client::{verdict, Client, ClientError, Event, Options};
use crate::codec::{Publish, QoS, ReasonCode};

/// Room made in the stdin buffer before each read in line mode.
const STDIN_CHUNK: usize = 64 * 1024;

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
struct Plan {
    options: Options,
    template: Publish,
    source: Source,
    repeat: u64,
    repeat_delay: Duration,
    lifecycle: Lifecycle,
}

/// Runs `mqtk pub`.
pub async fn run(args: PubArgs) -> anyhow::Result<u8> {
    let plan = plan(args).await?;
    let mut client = plan.lifecycle.connect(&plan.options).await?;
    if !plan.template.properties.is_empty() {
        require_v5(&client, "message properties")?;
    }
    let mut tally = Tally::default();
    let mut interrupt = None;
    let sent = match &plan.source {
        Source::Message(payload) => publish_repeated(&mut client, &plan, payload, &mut tally).await,
        Source::Lines => {
            // Ctrl-C ends the input, as end of file does: what was read is
            // still published and acknowledged. A second one gives up.
            interrupt = Some(Interrupt::new()?);
            publish_lines(
                &mut client,
                &plan.template,
                tokio::io::stdin(),
                &mut tally,
                &mut interrupt,
            )
            .await
        }
    };
    let settled = match sent {
        Ok(()) => settle(&mut client, &mut tally, &mut interrupt).await,
        Err(e) => Err(e),
    };
    if let Err(e) = settled {
        // Acknowledgements that arrived before the failure still count.
        tally.record_arrived(&mut client);
        return Err(tally.loss(e));
    }
    plan.lifecycle
        .end(client, &plan.options)
        .await
        .map_err(|e| tally.loss(e))?;
    tally.verdict()?;
    Ok(exit::SUCCESS)
}

async fn plan(args: PubArgs) -> anyhow::Result<Plan> {
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
    Ok(Plan {
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
    })
}

/// Publishes one payload `repeat` times, `repeat_delay` apart.
async fn publish_repeated(
    client: &mut Client,
    plan: &Plan,
    payload: &Bytes,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    for i in 0..plan.repeat {
        if i > 0 && !plan.repeat_delay.is_zero() {
            client.flush().await?;
            wait(client, plan.repeat_delay, tally).await?;
        }
        publish(client, &plan.template, payload.clone(), tally).await?;
    }
    Ok(())
}

/// Keeps the connection serviced (acknowledgements, keep alive) for `delay`.
async fn wait(client: &mut Client, delay: Duration, tally: &mut Tally) -> Result<(), ClientError> {
    let deadline = tokio::time::Instant::now() + delay;
    loop {
        tokio::select! {
            event = client.next_event() => tally.record(&event?),
            _ = tokio::time::sleep_until(deadline) => return Ok(()),
        }
    }
}

/// Publishes each line of `input` as a copy of `template`, in order, none
/// dropped; [`settle`] then waits for the acknowledgements.
///
/// Lines are taken from large reads and queued together, so many messages
/// leave in one write; QoS 1/2 messages are pipelined through the broker's
/// in-flight window. Memory stays bounded: input is read only when every
/// complete line already read has been queued, and each acknowledgement is
/// counted as it arrives.
pub async fn publish_lines(
    client: &mut Client,
    template: &Publish,
    mut input: impl AsyncRead + Unpin,
    tally: &mut Tally,
    interrupt: &mut Option<Interrupt>,
) -> anyhow::Result<()> {
    let mut buf = BytesMut::with_capacity(STDIN_CHUNK);
    let mut at_eof = false;
    loop {
        while let Some(line) = next_line(&mut buf, at_eof) {
            publish(client, template, line, tally).await?;
        }
        if at_eof {
            return Ok(());
        }
        buf.reserve(STDIN_CHUNK);
        tokio::select! {
            read = input.read_buf(&mut buf) => at_eof = read.context("cannot read stdin")? == 0,
            event = client.next_event() => tally.record(&event?),
            _ = ctrl_c(interrupt) => at_eof = true,
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

/// Publishes one message and counts the acknowledgements that came in while
/// it waited for room, so that none piles up however long the input is.
async fn publish(
    client: &mut Client,
    template: &Publish,
    payload: Bytes,
    tally: &mut Tally,
) -> Result<(), ClientError> {
    let message = Publish {
        payload,
        ..template.clone()
    };
    let qos = message.qos;
    client.publish(message).await?;
    tally.sent += 1;
    if qos == QoS::AtMostOnce {
        tally.accepted += 1;
    }
    tally.record_arrived(client);
    Ok(())
}

/// Waits until every QoS 1/2 message is settled.
pub async fn settle(
    client: &mut Client,
    tally: &mut Tally,
    interrupt: &mut Option<Interrupt>,
) -> anyhow::Result<()> {
    loop {
        tally.record_arrived(client);
        if client.publishes_in_flight() == 0 {
            return Ok(());
        }
        tokio::select! {
            event = client.next_event() => tally.record(&event?),
            _ = ctrl_c(interrupt) => bail!("interrupted while waiting for acknowledgements"),
        }
    }
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
    pub sent: u64,
    pub accepted: u64,
    pub refused: u64,
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

    /// Puts a failure in terms of the messages it cost.
    fn loss(&self, error: anyhow::Error) -> anyhow::Error {
        let lost = self.sent - self.accepted;
        if self.sent == 0 || lost == 0 {
            return error;
        }
        error.context(format!("{lost} of {} messages not acknowledged", self.sent))
    }

    fn verdict(&self) -> anyhow::Result<()> {
        match &self.first_refusal {
            None => Ok(()),
            Some((reason, reason_string)) => bail!(
                "{} of {} messages refused by the broker: {}",
                self.refused,
                self.sent,
                verdict(*reason, reason_string.as_deref())
            ),
        }
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
}
