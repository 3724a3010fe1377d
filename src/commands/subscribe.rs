//! `mqtk sub`: subscribe and print what arrives, until a count, a timeout or
//! Ctrl-C; reconnect when the connection drops.
//!
//! Messages are handled in batches: every message already received is
//! printed, stdout is flushed once, and only then are the QoS 1/2 messages
//! acknowledged, so nothing the broker considers delivered is lost in a
//! buffer, and a person watching a quiet topic sees each message at once.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::bail;
use tokio::time::Instant;

use super::{
    check_suback, check_topic_filter, client_options_with_topic,
    payloads::{self, decoded_text},
    positive_seconds, qos, reconnect, require_v5, sleep_until, usage, Interrupt, Lifecycle,
};
use crate::cli::{exit, ColorChoice, OutputArgs, SubArgs};
use crate::client::{Client, ClientError, Event, Options, Resumption};
use crate::codec::{topic, ByteString, Properties, Publish, QoS, RetainHandling, Subscription};
use crate::output::{Arrival, Printer, Style, Template, View, Watch};
use crate::payload::{sparkplug, Decoder, Format, Schemas};

/// The most messages printed between two flushes of stdout.
const BATCH: usize = 4096;

/// How long messages that follow a batch closely may gather before they are
/// read and printed together.
const COALESCE: Duration = Duration::from_millis(1);

/// How often --message-rate writes its count.
const SECOND: Duration = Duration::from_secs(1);

/// What `mqtk sub` will do, resolved from its arguments.
struct SubPlan {
    options: Options,
    subscriptions: Vec<Subscription>,
    /// Sent with the subscriptions; the broker returns it with each message.
    subscription_id: Option<u32>,
    unsubscribe: Vec<String>,
    filter_out: Vec<String>,
    exit_after_subscribe: bool,
    count: Option<u64>,
    timeout: Option<Duration>,
    no_retained: bool,
    retained_only: bool,
    remove_retained: bool,
    reconnect: reconnect::Policy,
    view: View,
    /// --decode and its schemas, unless only the rate is shown.
    decode: Option<(Format, Schemas)>,
    rebirth: bool,
    lifecycle: Lifecycle,
}

/// How the message loop ended.
enum SubEnd {
    /// The count was reached, Ctrl-C was pressed, or the first live message
    /// arrived with --retained-only.
    Done,
    TimedOut,
    /// stdout was closed.
    ClosedPipe,
}

/// Runs `mqtk sub`.
pub async fn run(args: SubArgs) -> anyhow::Result<u8> {
    // What --json's offset_s counts from.
    let started = std::time::Instant::now();
    let plan = plan(args)?;
    // Listen for Ctrl-C from the start: one pressed while connecting must not
    // be lost, nor kill the process between two listeners.
    let mut interrupt = Interrupt::new()?;
    let setup = async {
        let mut client =
            reconnect::first_connect(&plan.reconnect, || plan.lifecycle.connect(&plan.options))
                .await?;
        subscribe(&mut client, &plan, true).await?;
        anyhow::Ok(client)
    };
    let mut client = tokio::select! {
        client = setup => client?,
        _ = interrupt.recv() => return Ok(exit::SUCCESS),
    };
    if plan.exit_after_subscribe {
        plan.lifecycle.end(client, &plan.options).await?;
        return Ok(exit::SUCCESS);
    }
    let mut screen = Screen {
        out: BufWriter::with_capacity(64 * 1024, io::stdout().lock()),
        view: plan.view.clone(),
        decoder: plan
            .decode
            .clone()
            .map(|(format, schemas)| Decoder::new(format, schemas, plan.rebirth)),
        rebirths: Vec::new(),
        received: 0,
        started,
    };
    screen.view.start(&mut screen.out)?;
    let deadline = plan.timeout.map(|t| Instant::now() + t);
    loop {
        let stop = receive(&mut client, &plan, &mut screen, deadline, &mut interrupt).await;
        let stop = match stop {
            Ok(stop) => stop,
            Err(error) if plan.reconnect.rides_out(&error) => {
                match recover(&mut client, &plan, error, deadline, &mut interrupt).await? {
                    Recovered::Yes => continue,
                    // Ctrl-C while reconnecting: the user asked to stop.
                    Recovered::Interrupted => return Ok(exit::SUCCESS),
                    // -W while reconnecting: there is no connection to end.
                    Recovered::TimedOut => return Ok(timed_out(&plan)),
                }
            }
            Err(error) => return Err(error.into()),
        };
        // The broker may already be gone; the messages are out either way.
        let _ = plan.lifecycle.end(client, &plan.options).await;
        return Ok(match stop {
            SubEnd::Done => exit::SUCCESS,
            SubEnd::ClosedPipe => exit::CLOSED_PIPE,
            SubEnd::TimedOut => timed_out(&plan),
        });
    }
}

/// Says that -W ran out; its exit code.
fn timed_out(plan: &SubPlan) -> u8 {
    let seconds = plan.timeout.unwrap_or_default().as_secs_f64();
    let _ = writeln!(io::stderr(), "mqtk: timed out after {seconds}s");
    exit::FAILURE
}

/// Resolves the arguments into what `sub` will do, refusing bad ones first.
fn plan(mut args: SubArgs) -> anyhow::Result<SubPlan> {
    let (mut options, url_topic) =
        client_options_with_topic(&args.connection, Some(&args.session))?;
    args.topics.extend(url_topic);
    if args.topics.is_empty() && args.unsubscribe.is_empty() {
        return usage(
            "no topic: give -t FILTER or an mqtt:// URL with a path (a ws:// path is the WebSocket's)",
        );
    }
    check_filters(&args)?;
    let timeout = positive_seconds(args.timeout, "-W")?;
    if args.count == Some(0) {
        return usage("-C must be at least 1");
    }
    let lifecycle = Lifecycle::new(&args.ending, &args.status, &mut options)?;
    let subscriptions = subscriptions(&args);
    let view = view(&args, printer(&args.output)?, &options);
    Ok(SubPlan {
        options,
        subscriptions,
        subscription_id: args.subscription_id,
        unsubscribe: args.unsubscribe,
        filter_out: args.filter_out,
        exit_after_subscribe: args.exit_after_subscribe,
        count: args.count,
        timeout,
        no_retained: args.no_retained,
        retained_only: args.retained_only,
        remove_retained: args.remove_retained,
        reconnect: reconnect::Policy::new(&args.reconnect),
        view,
        decode: match args.message_rate {
            true => None,
            false => Some((args.output.decode, decode_schemas(&args.output)?)),
        },
        rebirth: args.rebirth,
        lifecycle,
    })
}

/// Every filter is valid, and none that is shared asks for --no-local.
fn check_filters(args: &SubArgs) -> anyhow::Result<()> {
    for filter in &args.topics {
        check_topic_filter(filter, "-t")?;
        if args.no_local && topic::is_shared(filter) {
            return usage(format!(
                "--no-local cannot apply to the shared subscription {filter:?}"
            ));
        }
    }
    for filter in &args.filter_out {
        check_topic_filter(filter, "-T")?;
    }
    for filter in &args.unsubscribe {
        check_topic_filter(filter, "-U")?;
    }
    Ok(())
}

/// One subscription per -t, with the subscription options given.
fn subscriptions(args: &SubArgs) -> Vec<Subscription> {
    let retain_handling = match args.retain_handling {
        1 => RetainHandling::OnNewSubscribe,
        2 => RetainHandling::Never,
        _ => RetainHandling::OnSubscribe,
    };
    args.topics
        .iter()
        .map(|filter| Subscription {
            filter: filter.clone(),
            qos: qos(args.qos),
            no_local: args.no_local,
            retain_as_published: args.retain_as_published,
            retain_handling,
        })
        .collect()
}

/// The printer the output flags ask for; sets whether colour is used.
pub(crate) fn printer(args: &OutputArgs) -> anyhow::Result<Printer> {
    let color = use_color(args.color);
    colored::control::set_override(color);
    Ok(Printer::new(
        style(args)?,
        !args.no_newline,
        color,
        args.pretty,
    ))
}

/// The schemas `--decode` may use, loaded.
pub(crate) fn decode_schemas(args: &OutputArgs) -> anyhow::Result<Schemas> {
    payloads::schemas(args.decode, &args.schemas, "--decode")
}

/// How messages are printed: -F, --json, -v, or the payload alone.
fn style(args: &OutputArgs) -> anyhow::Result<Style> {
    Ok(match (&args.format, args.json, args.verbose) {
        (Some(format), _, _) => Style::Format(
            Template::parse(format).or_else(|e| usage(format!("invalid -F format: {e}")))?,
        ),
        (None, true, _) => Style::Json,
        (None, false, true) => Style::Verbose,
        (None, false, false) => Style::Payload,
    })
}

/// What is written for the messages: the rate, the --watch table on a
/// terminal (elsewhere the messages as they come), or the messages.
fn view(args: &SubArgs, printer: Printer, options: &Options) -> View {
    if args.message_rate {
        View::Rate { count: 0 }
    } else if args.watch && io::stdout().is_terminal() {
        View::Watch(Watch::new(printer, format!("Broker: {}", options.host)))
    } else {
        View::Messages(printer)
    }
}

/// Whether to color the output.
fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        // NO_COLOR counts when set to anything but the empty string (no-color.org).
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
        }
    }
}

/// Unsubscribes (-U) and subscribes (-t), reporting each refused filter on
/// stderr; fails when no filter at all was granted.
async fn subscribe(client: &mut Client, plan: &SubPlan, first: bool) -> anyhow::Result<()> {
    if first && !plan.unsubscribe.is_empty() {
        client.unsubscribe(plan.unsubscribe.clone()).await?;
    }
    if plan.subscriptions.is_empty() {
        return Ok(());
    }
    let mut properties = Properties::default();
    if let Some(id) = plan.subscription_id {
        require_v5(client, "--subscription-id")?;
        if client
            .connack()
            .properties
            .subscription_identifier_available
            == Some(false)
        {
            bail!("the broker does not support subscription identifiers (--subscription-id)");
        }
        properties.subscription_identifiers.push(id);
    }
    let suback = client
        .subscribe(plan.subscriptions.clone(), properties)
        .await?;
    check_suback(client.protocol(), &plan.subscriptions, &suback, first)
}

/// Where the messages go: stdout, as the view shows them.
struct Screen<W> {
    out: W,
    view: View,
    decoder: Option<Decoder>,
    /// Sparkplug edge nodes to ask for a new BIRTH: their NCMD topics.
    rebirths: Vec<String>,
    /// Messages shown so far, for -C.
    received: u64,
    /// When `sub` started: each message's offset counts from here.
    started: std::time::Instant,
}

/// Receives, prints and acknowledges messages until a stop condition.
async fn receive<W: Write>(
    client: &mut Client,
    plan: &SubPlan,
    screen: &mut Screen<W>,
    deadline: Option<Instant>,
    interrupt: &mut Interrupt,
) -> Result<SubEnd, ClientError> {
    let mut batch: Vec<Publish> = Vec::new();
    let mut gather = false;
    let mut second = tokio::time::interval_at(Instant::now() + SECOND, SECOND);
    loop {
        // After a partial batch, let the next messages gather for a moment:
        // a busy stream that woke us for each message would cost a read and
        // a write apiece. A message on a quiet topic is printed at once.
        if gather {
            tokio::select! {
                _ = tokio::time::sleep(COALESCE) => {}
                _ = interrupt.recv() => return Ok(SubEnd::Done),
            }
        }
        let event = tokio::select! {
            event = client.next_event() => event?,
            _ = sleep_until(deadline) => return Ok(SubEnd::TimedOut),
            _ = interrupt.recv() => return Ok(SubEnd::Done),
            _ = second.tick(), if screen.view.ticks() => {
                match screen.tick() {
                    Some(stop) => return Ok(stop),
                    None => continue,
                }
            }
        };
        collect(event, &mut batch);
        while batch.len() < BATCH {
            let Some(event) = client.try_next_event() else {
                break;
            };
            collect(event, &mut batch);
        }
        // A full batch means more is waiting already.
        gather = batch.len() < BATCH;
        let (stop, handled) = screen.show_batch(plan, &batch);
        // Acknowledge only what reached stdout; the rest the broker keeps.
        for message in &batch[..handled] {
            client.ack(message)?;
            if plan.remove_retained && message.retain && !message.payload.is_empty() {
                client
                    .publish(clear_retained(message.topic.clone()))
                    .await?;
            }
        }
        batch.clear();
        for ncmd in screen.rebirths.drain(..) {
            client.publish(rebirth_request(ncmd)).await?;
        }
        if let Some(stop) = stop {
            return Ok(stop);
        }
    }
}

/// The NCMD that asks a Sparkplug edge node for a new BIRTH.
fn rebirth_request(ncmd: String) -> Publish {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Publish {
        topic: ncmd.into(),
        payload: sparkplug::rebirth_request(now.as_millis() as u64).into(),
        ..Publish::default()
    }
}

fn collect(event: Event, batch: &mut Vec<Publish>) {
    if let Event::Message(message) = event {
        batch.push(message);
    }
}

impl<W: Write> Screen<W> {
    /// Shows a batch and flushes; says whether to stop and how many messages
    /// were handled (written out, or deliberately skipped).
    fn show_batch(&mut self, plan: &SubPlan, batch: &[Publish]) -> (Option<SubEnd>, usize) {
        let now = Arrival::now(self.started);
        for (i, message) in batch.iter().enumerate() {
            if plan.retained_only && !message.retain {
                return (self.flushed(SubEnd::Done), i);
            }
            let hidden = (plan.no_retained && message.retain)
                || plan
                    .filter_out
                    .iter()
                    .any(|f| topic::matches(f, &message.topic));
            if hidden {
                continue;
            }
            let decoded = self
                .decoder
                .as_mut()
                .and_then(|decoder| decoded_text(decoder, message, &mut self.rebirths));
            if self
                .view
                .show(&mut self.out, message, decoded.as_deref(), now)
                .is_err()
            {
                return (Some(SubEnd::ClosedPipe), i);
            }
            self.received += 1;
            if plan.count == Some(self.received) {
                return (self.flushed(SubEnd::Done), i + 1);
            }
        }
        match self.out.flush() {
            Ok(()) => (None, batch.len()),
            Err(_) => (Some(SubEnd::ClosedPipe), 0),
        }
    }

    /// A second has passed (--message-rate); stops when stdout was closed.
    fn tick(&mut self) -> Option<SubEnd> {
        let written = self
            .view
            .tick(&mut self.out)
            .and_then(|()| self.out.flush());
        written.err().map(|_| SubEnd::ClosedPipe)
    }

    /// Flushes before stopping; a failed flush means stdout was closed.
    fn flushed(&mut self, stop: SubEnd) -> Option<SubEnd> {
        match self.out.flush() {
            Ok(()) => Some(stop),
            Err(_) => Some(SubEnd::ClosedPipe),
        }
    }
}

/// An empty retained message, which removes the retained message of `topic`.
fn clear_retained(topic: ByteString) -> Publish {
    Publish {
        qos: QoS::AtMostOnce,
        retain: true,
        topic,
        ..Publish::default()
    }
}

/// How riding out a lost connection ended.
enum Recovered {
    Yes,
    Interrupted,
    /// -W ran out first.
    TimedOut,
}

/// Connects again, then subscribes again unless the broker kept the session
/// (which the client then carries on), and announces the client online; a
/// connection lost on the way is ridden out the same way.
async fn recover(
    client: &mut Client,
    plan: &SubPlan,
    cause: ClientError,
    deadline: Option<Instant>,
    interrupt: &mut Interrupt,
) -> anyhow::Result<Recovered> {
    let resume = async |client: &mut Client, resumption: &Resumption| {
        if !resumption.session_present {
            subscribe(client, plan, false).await?;
        }
        plan.lifecycle.announce_online(client).await
    };
    let recovery = reconnect::ride_out(client, &plan.options, &plan.reconnect, cause, resume);
    tokio::select! {
        back = recovery => back.map(|()| Recovered::Yes),
        _ = sleep_until(deadline) => Ok(Recovered::TimedOut),
        _ = interrupt.recv() => Ok(Recovered::Interrupted),
    }
}
