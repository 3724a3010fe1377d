//! `mqtk rr`: publish a request and wait for its response, as mosquitto_rr
//! does, under MQTT 5 and 3.1.1 alike.
//!
//! The client subscribes to the response topic first, then publishes the
//! request: under MQTT 5 with a Response Topic and Correlation Data, so that
//! a message on the response topic with another correlation is not taken for
//! the answer. MQTT 3.1.1 has no properties: there the first message on the
//! response topic is the answer, unless `--correlate-json` puts the
//! correlation in a field of a JSON payload (see `correlation`).
//!
//! Each response is printed as `sub` prints a message and acknowledged only
//! then. `--repeat` asks again after each answer and ends with a summary of
//! the round trips, as ping(8) does; `-l` asks once for each line of stdin.

use std::io::{self, BufWriter, Write};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use bytes::Bytes;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Stdin};
use tokio::time::Instant;

use super::correlation::{with_json_field, Correlation};
use super::notices::say;
use super::payloads::decoded_text;
use super::ping::Stats;
use super::publish::{source, Source};
use super::subscribe::{decode_schemas, printer};
use super::{
    alias_topics, check_suback, check_topic_name, client_options_with_topic, message_properties,
    non_negative_seconds, one_topic, positive_seconds, qos, random_suffix, require_v5, sleep_until,
    usage, AckRule, AckVerdict, Interrupt, Lifecycle,
};
use crate::cli::{exit, RrArgs};
use crate::client::{verdict, Client, ClientError, Event, Options};
use crate::codec::{Properties, Publish, Subscription};
use crate::output::{Arrival, Printer};
use crate::payload::{Decoder, Format, Schemas};

/// The prefix of the response topic `rr` makes up when -e is not given.
pub const RESPONSE_TOPIC_PREFIX: &str = "mqtk/rr/";

/// What `mqtk rr` will do, resolved from its arguments.
struct RrPlan {
    options: Options,
    /// The request, without its payload and correlation.
    template: Publish,
    response_topic: String,
    correlate_json: Option<String>,
    /// The correlation data given with --correlation-data, for every request.
    correlation_data: Option<Bytes>,
    source: Source,
    repeat: u64,
    repeat_delay: Duration,
    count: u64,
    timeout: Option<Duration>,
    latency: bool,
    printer: Printer,
    decode: Format,
    schemas: Schemas,
    lifecycle: Lifecycle,
    ack_rule: AckRule,
}

/// How one request went.
enum Outcome {
    /// Every response asked for arrived, the first after this long.
    Answered(Duration),
    /// -W passed first.
    TimedOut,
    /// Ctrl-C.
    Interrupted,
    /// stdout was closed.
    ClosedPipe,
}

/// Runs `mqtk rr`.
pub async fn run(args: RrArgs) -> anyhow::Result<u8> {
    let plan = plan(args).await?;
    let mut interrupt = Interrupt::new()?;
    let mut client = tokio::select! {
        client = plan.lifecycle.connect(&plan.options) => client?,
        _ = interrupt.recv() => return Ok(exit::SUCCESS),
    };
    check_protocol(&client, &plan)?;
    subscribe(&mut client, &plan).await?;
    let mut asker = Asker {
        plan: &plan,
        client: &mut client,
        out: BufWriter::new(io::stdout().lock()),
        interrupt: &mut interrupt,
        stats: Stats::default(),
        ignored: 0,
        unheard: 0,
        started: Instant::now(),
        decoder: Decoder::new(plan.decode, plan.schemas.clone(), false),
    };
    let code = asker.ask_all().await?;
    plan.lifecycle.end(client, &plan.options).await?;
    Ok(code)
}

async fn plan(args: RrArgs) -> anyhow::Result<RrPlan> {
    let (mut options, url_topic) =
        client_options_with_topic(&args.connection, Some(&args.session))?;
    let topic = one_topic(args.topic, url_topic, "no request topic: give -t TOPIC")?;
    let mut properties = args.properties.clone();
    let response_topic = properties
        .response_topic
        .take()
        .unwrap_or_else(|| format!("{RESPONSE_TOPIC_PREFIX}{}", random_suffix()));
    check_topic_name(&response_topic, "-e")?;
    let correlation_data = properties.correlation_data.take().map(Bytes::from);
    let message_properties = message_properties(&properties)?;
    if options.protocol.is_some_and(|p| !p.is_v5())
        && (!message_properties.is_empty() || correlation_data.is_some())
    {
        return usage("message properties and --correlation-data need MQTT 5 (-V 5)");
    }
    let repeat_delay = non_negative_seconds(args.repeat_delay, "--repeat-delay")?;
    let timeout = positive_seconds(args.timeout, "-W")?;
    let ack_rule = AckRule::checked(&args.acks, args.qos, options.protocol, "request")?;
    options.alias_topics = alias_topics(&args.properties, &args.source, args.repeat);
    let lifecycle = Lifecycle::new(&args.ending, &args.status, &mut options)?;
    Ok(RrPlan {
        options,
        template: Publish {
            qos: qos(args.qos),
            topic: topic.into(),
            properties: message_properties,
            ..Publish::default()
        },
        response_topic,
        correlate_json: args.correlate_json,
        correlation_data,
        source: source(&args.source).await?,
        repeat: args.repeat,
        repeat_delay,
        count: args.count,
        timeout,
        latency: args.latency,
        printer: printer(&args.output)?,
        decode: args.output.decode,
        schemas: decode_schemas(&args.output)?,
        lifecycle,
        ack_rule,
    })
}

/// What the connection's protocol allows: MQTT 3.1.1 (after a fallback, say)
/// carries no properties, and its acknowledgements no reason codes.
fn check_protocol(client: &Client, plan: &RrPlan) -> anyhow::Result<()> {
    if !plan.template.properties.is_empty() || plan.correlation_data.is_some() {
        require_v5(client, "message properties and --correlation-data")?;
    }
    if plan.ack_rule.reads_reason_codes() {
        require_v5(client, "--require-subscribers and --expect-reason")?;
    }
    if !client.protocol().is_v5() && plan.correlate_json.is_none() {
        say(format_args!(
            "note: MQTT {} has no correlation data: the first message on {} is taken for the \
             answer (--correlate-json FIELD matches a field of JSON payloads instead)",
            client.protocol(),
            plan.response_topic
        ));
    }
    Ok(())
}

/// Subscribes to the response topic, before any request can be answered.
async fn subscribe(client: &mut Client, plan: &RrPlan) -> anyhow::Result<()> {
    let subscription = Subscription {
        filter: plan.response_topic.clone(),
        qos: plan.template.qos,
        ..Subscription::default()
    };
    let suback = client
        .subscribe(vec![subscription.clone()], Properties::default())
        .await?;
    check_suback(client.protocol(), &[subscription], &suback, true)
}

/// The requests of one run, and what came of them.
struct Asker<'a, W> {
    plan: &'a RrPlan,
    client: &'a mut Client,
    out: W,
    interrupt: &'a mut Interrupt,
    stats: Stats,
    /// Messages on the response topic that answered another request.
    ignored: u64,
    /// Requests no subscriber matched (0x10), noted once.
    unheard: u64,
    started: Instant,
    /// --decode, for the responses.
    decoder: Decoder,
}

impl<W: Write> Asker<'_, W> {
    /// Asks every request in turn; the exit code.
    async fn ask_all(&mut self) -> anyhow::Result<u8> {
        let mut lines = match self.plan.source {
            Source::Lines => Some(BufReader::new(tokio::io::stdin())),
            Source::Message(_) => None,
        };
        let mut asked = 0;
        let mut failed = false;
        while let Some(payload) = self.next_payload(&mut lines, asked).await? {
            if asked > 0 && !self.plan.repeat_delay.is_zero() {
                tokio::time::sleep(self.plan.repeat_delay).await;
            }
            asked += 1;
            match self.ask(payload, asked).await? {
                Outcome::Answered(_) => {}
                Outcome::TimedOut => failed = true,
                Outcome::Interrupted => {
                    failed = true;
                    break;
                }
                Outcome::ClosedPipe => return Ok(exit::CLOSED_PIPE),
            }
        }
        if asked > 1 {
            let summary = self.summary();
            self.out.write_all(summary.as_bytes())?;
        }
        self.out.flush()?;
        Ok(if failed { exit::FAILURE } else { exit::SUCCESS })
    }

    /// The payload of request number `asked` + 1, or `None` after the last.
    async fn next_payload(
        &mut self,
        lines: &mut Option<BufReader<Stdin>>,
        asked: u64,
    ) -> anyhow::Result<Option<Bytes>> {
        match (&self.plan.source, lines) {
            (Source::Message(payload), _) => {
                Ok((asked < self.plan.repeat).then(|| payload.clone()))
            }
            (Source::Lines, Some(reader)) => {
                let mut line = Vec::new();
                let read = reader
                    .read_until(b'\n', &mut line)
                    .await
                    .context("cannot read stdin")?;
                if read == 0 {
                    return Ok(None);
                }
                if line.ends_with(b"\n") {
                    line.pop();
                    if line.ends_with(b"\r") {
                        line.pop();
                    }
                }
                Ok(Some(Bytes::from(line)))
            }
            (Source::Lines, None) => Ok(None),
        }
    }

    /// Publishes one request and waits for its responses.
    async fn ask(&mut self, payload: Bytes, number: u64) -> anyhow::Result<Outcome> {
        let (request, correlation) = self.request(payload, number)?;
        self.stats.sent();
        let sent = Instant::now();
        let (reason, reason_string) = self.client.publish_and_settle(request).await?;
        match self.plan.ack_rule.judge(reason) {
            AckVerdict::Accepted => {}
            AckVerdict::NoSubscribers => {
                self.unheard += 1;
                if self.unheard == 1 {
                    say(format_args!(
                        "note: no subscriber matched the request: the broker answered {}; \
                         --require-subscribers makes this fail",
                        verdict(reason, reason_string.as_deref())
                    ));
                }
            }
            AckVerdict::Failed => anyhow::bail!(
                "the request {}: {}",
                self.plan.ack_rule.broken_one(),
                verdict(reason, reason_string.as_deref())
            ),
        }
        let outcome = self.await_responses(&correlation, sent).await?;
        match outcome {
            Outcome::Answered(rtt) => self.stats.answered(rtt),
            Outcome::TimedOut => {
                let seconds = self.plan.timeout.unwrap_or_default().as_secs_f64();
                say(format_args!(
                    "no response within {seconds}s{}",
                    self.ignored_note()
                ));
            }
            Outcome::Interrupted | Outcome::ClosedPipe => {}
        }
        Ok(outcome)
    }

    /// Request number `number` with its correlation, and what its responses
    /// must carry.
    fn request(&self, payload: Bytes, number: u64) -> anyhow::Result<(Publish, Correlation)> {
        let plan = self.plan;
        let v5 = self.client.protocol().is_v5();
        let made_up = || Bytes::from(format!("{}-{number}", random_suffix()));
        let mut request = Publish {
            payload,
            ..plan.template.clone()
        };
        let correlation = match &plan.correlate_json {
            Some(field) => {
                let value = match super::correlation::json_field(&request.payload, field) {
                    Some(given) => given,
                    None => Value::from(String::from_utf8_lossy(&made_up()).into_owned()),
                };
                request.payload = with_json_field(&request.payload, field, &value)
                    .or_else(|e| usage(format!("--correlate-json {field}: {e}")))?;
                Correlation::JsonField {
                    field: field.clone(),
                    value,
                }
            }
            None if v5 => {
                Correlation::Property(plan.correlation_data.clone().unwrap_or_else(made_up))
            }
            None => Correlation::First,
        };
        if v5 {
            let mut properties = (*request.properties).clone();
            properties.response_topic = Some(plan.response_topic.clone());
            if let Correlation::Property(data) = &correlation {
                properties.correlation_data = Some(data.clone());
            }
            request.properties = properties.into();
        }
        Ok((request, correlation))
    }

    /// Prints the responses that match `correlation` until -C of them
    /// arrived; the time to the first.
    async fn await_responses(
        &mut self,
        correlation: &Correlation,
        sent: Instant,
    ) -> anyhow::Result<Outcome> {
        let deadline = self.plan.timeout.map(|t| sent + t);
        let mut first = None;
        let mut received = 0;
        while received < self.plan.count {
            let event = tokio::select! {
                event = self.client.next_event() => event?,
                _ = sleep_until(deadline) => return Ok(Outcome::TimedOut),
                _ = self.interrupt.recv() => return Ok(Outcome::Interrupted),
            };
            let Event::Message(message) = event else {
                continue;
            };
            let rtt = sent.elapsed();
            if message.topic != self.plan.response_topic.as_str() || !correlation.matches(&message)
            {
                self.ignore(&message)?;
                continue;
            }
            if self.show(&message, rtt).is_err() {
                return Ok(Outcome::ClosedPipe);
            }
            self.client.ack(&message)?;
            first.get_or_insert(rtt);
            received += 1;
        }
        Ok(Outcome::Answered(first.unwrap_or_default()))
    }

    /// A message that answers another request: counted, acknowledged, and
    /// shown with -d.
    fn ignore(&mut self, message: &Publish) -> Result<(), ClientError> {
        self.ignored += 1;
        if self.plan.options.trace {
            say(format_args!(
                "ignored a message on {}: it answers another request (its correlation differs)",
                message.topic
            ));
        }
        self.client.ack(message)
    }

    /// Writes a response, and its latency with --latency.
    fn show(&mut self, message: &Publish, rtt: Duration) -> io::Result<()> {
        let decoded = decoded_text(&mut self.decoder, message, &mut Vec::new());
        self.plan.printer.print(
            &mut self.out,
            message,
            decoded.as_deref(),
            Arrival::at(SystemTime::now()),
        )?;
        if self.plan.latency {
            writeln!(self.out, "latency: {:.3} ms", rtt.as_secs_f64() * 1e3)?;
        }
        self.out.flush()
    }

    /// ", and N messages ignored", when a stray response arrived meanwhile.
    fn ignored_note(&self) -> String {
        match self.ignored {
            0 => String::new(),
            n => format!(
                "; {n} message{} on {} carried another correlation and {} ignored",
                if n == 1 { "" } else { "s" },
                self.plan.response_topic,
                if n == 1 { "was" } else { "were" }
            ),
        }
    }

    /// The closing lines after more than one request, as ping(8) writes them.
    fn summary(&self) -> String {
        let stats = &self.stats;
        let mut text = format!(
            "--- {} mqtt request statistics ---\n{} requests, {} answered, {}% unanswered, time {}ms\n",
            self.plan.template.topic,
            stats.transmitted,
            stats.received,
            super::ping::significant(stats.loss_percent()),
            self.started.elapsed().as_millis()
        );
        if let Some(rtt) = stats.rtt() {
            text.push_str(&rtt.line());
        }
        text
    }
}
