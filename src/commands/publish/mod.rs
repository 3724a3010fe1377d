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
//!
//! Layout:
//! - `mod.rs`: the arguments resolved into a plan, and the run
//! - `feed`: the payloads, repeated or read line by line from stdin
//! - `publisher`: the feed published through one client, across lost connections
//! - `tally`: what became of the messages, and the exit it makes

use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use tokio::io::AsyncReadExt;

use super::payloads::Encoding;
use super::reconnect::{self, Policy};
use super::{
    alias_topics, client_options_with_topic, message_properties, non_negative_seconds, one_topic,
    qos, require_v5, usage, AckRule, Interrupt, Lifecycle,
};
use crate::cli::{exit, End, MessageSource, PubArgs};
use crate::client::Options;
use crate::codec::Publish;

mod feed;
mod publisher;
mod tally;

pub(crate) use feed::next_line;
pub use feed::{Feed, Messages};
pub use publisher::Publisher;
pub use tally::Tally;

/// The MQTT 5 session expiry that lets a publisher's session outlive a lost
/// connection, so that its unacknowledged messages are resumed, not sent
/// anew; a clean exit sets it to 0, so nothing is left behind.
const OUTAGE_SESSION_EXPIRY: u32 = 3600;

/// Where the payloads come from.
#[derive(Debug)]
pub(crate) enum Source {
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
    /// --encode, for each line of -l.
    encode: Option<Encoding>,
    repeat: u64,
    repeat_delay: Duration,
    lifecycle: Lifecycle,
    reconnect: Policy,
    max_queued: usize,
    ack_rule: AckRule,
}

/// Runs `mqtk pub`.
pub async fn run(args: PubArgs) -> anyhow::Result<u8> {
    let plan = plan(args).await?;
    let client =
        reconnect::first_connect(&plan.reconnect, || plan.lifecycle.connect(&plan.options)).await?;
    if !plan.template.properties.is_empty() {
        require_v5(&client, "message properties")?;
    }
    if plan.ack_rule.reads_reason_codes() {
        require_v5(&client, "--require-subscribers and --expect-reason")?;
    }
    // Ctrl-C ends the input, as end of file does: what was read is still
    // published and acknowledged. Once the input has ended, it gives up.
    let interrupt = Interrupt::new()?;
    let mut publisher = Publisher::new(client, &plan.options, plan.reconnect, plan.max_queued)
        .with_lifecycle(&plan.lifecycle)
        .with_ack_rule(plan.ack_rule.clone())
        .with_interrupt(interrupt);
    let result = match &plan.source {
        Source::Message(payload) => {
            let mut feed = Feed::repeat(
                plan.template.clone(),
                payload.clone(),
                plan.repeat,
                plan.repeat_delay,
            );
            publisher.publish_all(&mut feed).await
        }
        Source::Lines => {
            let mut feed = Feed::lines(
                plan.template.clone(),
                tokio::io::stdin(),
                plan.encode.clone(),
            );
            publisher.publish_all(&mut feed).await
        }
    };
    publisher
        .end(result, &plan.lifecycle, &plan.options)
        .await?;
    Ok(exit::SUCCESS)
}

/// Asks for a session that outlives the connection, for the QoS 1/2
/// messages in flight (`qos12`: there may be some), unless the user chose
/// one, or an ending that leaves the session behind on purpose.
pub(crate) fn outlive_outages(options: &mut Options, reconnect: &Policy, end: End, qos12: bool) {
    let ends_with_disconnect = matches!(end, End::Disconnect | End::DisconnectWithWill);
    if reconnect.enabled
        && qos12
        && ends_with_disconnect
        && options.session_expiry.is_none()
        && options.clean_start
    {
        options.session_expiry = Some(OUTAGE_SESSION_EXPIRY);
        options.expire_on_disconnect = true;
    }
}

/// The payload of -m, -f, -s or -n, read now; or -l's promise of lines.
pub(crate) async fn source(args: &MessageSource) -> anyhow::Result<Source> {
    Ok(if args.stdin_line {
        Source::Lines
    } else if let Some(message) = &args.message {
        Source::Message(Bytes::from(message.clone()))
    } else if let Some(path) = &args.file {
        let data =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Source::Message(Bytes::from(data))
    } else if args.stdin_file {
        let mut payload = Vec::new();
        tokio::io::stdin()
            .read_to_end(&mut payload)
            .await
            .context("cannot read stdin")?;
        Source::Message(Bytes::from(payload))
    } else {
        Source::Message(Bytes::new())
    })
}

async fn plan(args: PubArgs) -> anyhow::Result<PubPlan> {
    let (mut options, url_topic) =
        client_options_with_topic(&args.connection, Some(&args.session))?;
    let topic = one_topic(
        args.topic,
        url_topic,
        "no topic: give -t TOPIC or an mqtt:// URL with a path (a ws:// path is the WebSocket's)",
    )?;
    let repeat_delay = non_negative_seconds(args.repeat_delay, "--repeat-delay")?;
    let reconnect = Policy::new(&args.reconnect);
    let ack_rule = AckRule::checked(&args.acks, args.qos, options.protocol, "message")?;
    outlive_outages(&mut options, &reconnect, args.ending.end(), args.qos > 0);
    options.alias_topics = alias_topics(&args.properties, &args.source, args.repeat);
    let lifecycle = Lifecycle::new(&args.ending, &args.status, &mut options)?;
    let encode = Encoding::new(args.encode, &args.schemas)?;
    let source = match (source(&args.source).await?, &encode) {
        (Source::Message(payload), Some(encoding)) => {
            Source::Message(encoding.encode(&payload, "the message")?)
        }
        (source, _) => source,
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
        encode,
        repeat: args.repeat,
        repeat_delay,
        lifecycle,
        reconnect,
        max_queued: args.read_ahead.max_queued as usize,
        ack_rule,
    })
}
