//! `mqtk respond`: the other side of `mqtk rr`, in one line of shell.
//!
//! It subscribes to the request filters and answers each request on the
//! request's Response Topic (or on `--response-topic`, a `-F` format of the
//! request, where it names none: always under MQTT 3.1.1), with its
//! Correlation Data (or, with `--correlate-json`, its JSON field) and at its
//! QoS. The answer is `-m`'s text or what a command prints (see `job`).
//!
//! A QoS 1/2 request is acknowledged only once its answer is out: QoS 0
//! answers written, QoS 1/2 answers acknowledged by the broker. A responder
//! that dies in between leaves the request with the broker, which delivers
//! it again. Up to `--jobs` commands run at once; the requests beyond wait,
//! in order. Ctrl-C takes no more requests and ends once those in hand are
//! answered; `-C` does the same after that many requests.

mod job;

use std::collections::{HashMap, VecDeque};
use std::time::SystemTime;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::correlation::{json_field, with_json_field};
use super::notices::say;
use super::payloads::Encoding;
use super::reconnect::{self, Policy};
use super::{
    check_suback, check_topic_filter, client_options, positive_seconds, qos, usage, Interrupt,
    Lifecycle,
};
use crate::cli::{exit, RespondArgs};
use crate::client::{verdict, Client, ClientError, Event, Options};
use crate::codec::topic::is_shared;
use crate::codec::{ByteString, Properties, Publish, QoS, Subscription};
use crate::output::Template;
use job::{find_program, Answer, Answerer};

/// The most QoS 0 requests waiting for a job at once; those beyond are
/// dropped (and counted).
const MAX_WAITING: usize = 10_000;

/// The QoS 1/2 requests the broker may send ahead of the jobs, per job: a
/// backlog short enough to hold, long enough that no job waits for the
/// broker (MQTT 5's Receive Maximum).
const REQUESTS_AHEAD_PER_JOB: usize = 16;

/// How many answers are remembered to know them if they come back.
const RECENT_ANSWERS: usize = 1024;

/// What `mqtk respond` will do, resolved from its arguments.
struct RespondPlan {
    options: Options,
    subscriptions: Vec<Subscription>,
    answerer: Answerer,
    response_topic: Option<Template>,
    correlate_json: Option<String>,
    /// --encode, for the answers.
    encode: Option<Encoding>,
    count: Option<u64>,
    jobs: usize,
    lifecycle: Lifecycle,
    reconnect: Policy,
}

/// Runs `mqtk respond`.
pub async fn run(args: RespondArgs) -> anyhow::Result<u8> {
    let plan = plan(args)?;
    let mut interrupt = Interrupt::new()?;
    let setup = async {
        let mut client =
            reconnect::first_connect(&plan.reconnect, || plan.lifecycle.connect(&plan.options))
                .await?;
        subscribe(&mut client, &plan).await?;
        anyhow::Ok(client)
    };
    let client = tokio::select! {
        client = setup => client?,
        _ = interrupt.recv() => return Ok(exit::SUCCESS),
    };
    let (done, finished) = mpsc::unbounded_channel();
    let mut responder = Responder {
        plan: &plan,
        client,
        waiting: VecDeque::new(),
        running: 0,
        done,
        finished,
        unsettled: HashMap::new(),
        taken: 0,
        stopping: false,
        dropped: 0,
        unanswerable: 0,
        recent_answers: VecDeque::new(),
    };
    if let Served::Connected = responder.serve(&mut interrupt).await? {
        plan.lifecycle.end(responder.client, &plan.options).await?;
    }
    Ok(exit::SUCCESS)
}

/// How serving ended.
enum Served {
    /// -C or Ctrl-C, with the requests in hand answered.
    Connected,
    /// Ctrl-C while connecting again: there is no connection to end.
    Offline,
}

fn plan(args: RespondArgs) -> anyhow::Result<RespondPlan> {
    let mut options = client_options(&args.connection, Some(&args.session))?;
    for filter in &args.topics {
        check_topic_filter(filter, "-t")?;
    }
    let answerer = match (&args.message, args.command.split_first()) {
        (Some(text), _) => Answerer::Fixed(Bytes::from(text.clone())),
        (None, Some((name, rest))) => {
            let Some(program) = find_program(name) else {
                return usage(format!(
                    "the command {name:?} cannot be run: no such program"
                ));
            };
            let timeout = positive_seconds(args.timeout, "--timeout")?;
            Answerer::Command {
                program,
                args: rest.to_vec(),
                timeout,
                answer_stderr: args.answer_stderr,
            }
        }
        (None, None) => return usage("give the answer: -m TEXT, or a command after --"),
    };
    let response_topic = match &args.response_topic {
        Some(format) => Some(
            Template::parse(format)
                .or_else(|e| usage(format!("invalid --response-topic format: {e}")))?,
        ),
        None => None,
    };
    let subscriptions = args
        .topics
        .iter()
        .map(|filter| Subscription {
            filter: filter.clone(),
            qos: qos(args.qos),
            // Its own answers are no requests, where a filter covers their topic (MQTT 5;
            // No Local is a protocol error on a shared subscription, and 3.1.1 has none).
            no_local: !is_shared(filter),
            ..Subscription::default()
        })
        .collect();
    let lifecycle = Lifecycle::new(&args.ending, &args.status, &mut options)?;
    let ahead = (args.jobs as usize * REQUESTS_AHEAD_PER_JOB).min(usize::from(u16::MAX));
    options.receive_maximum.get_or_insert(ahead as u16);
    Ok(RespondPlan {
        options,
        subscriptions,
        answerer,
        response_topic,
        correlate_json: args.correlate_json,
        encode: Encoding::new(args.encode, &args.schemas)?,
        count: args.count,
        jobs: args.jobs as usize,
        lifecycle,
        reconnect: Policy::new(&args.reconnect),
    })
}

/// Subscribes to the request filters; fails when none was granted.
async fn subscribe(client: &mut Client, plan: &RespondPlan) -> anyhow::Result<()> {
    let suback = client
        .subscribe(plan.subscriptions.clone(), Properties::default())
        .await?;
    check_suback(client.protocol(), &plan.subscriptions, &suback, true)
}

/// A request whose job has finished, and where its answer goes.
struct Finished {
    request: Publish,
    response_topic: Option<String>,
    answer: Answer,
}

/// The requests in hand: waiting for a job, running, or answered and
/// waiting for the broker to acknowledge the answer.
struct Responder<'a> {
    plan: &'a RespondPlan,
    client: Client,
    waiting: VecDeque<Publish>,
    running: usize,
    done: mpsc::UnboundedSender<Finished>,
    finished: mpsc::UnboundedReceiver<Finished>,
    /// Answers in flight at QoS 1/2, by packet id, with their requests.
    unsettled: HashMap<u16, Publish>,
    /// Requests taken, for -C.
    taken: u64,
    /// Ctrl-C or -C: no more requests.
    stopping: bool,
    /// QoS 0 requests dropped because too many were waiting.
    dropped: u64,
    /// Requests that named no response topic, with no --response-topic.
    unanswerable: u64,
    /// The last answers sent, to know them when they come back as requests.
    recent_answers: VecDeque<(ByteString, Bytes)>,
}

impl Responder<'_> {
    /// Answers requests until Ctrl-C or -C, and then the ones in hand. Ctrl-C
    /// while connecting again ends it at once: what is in hand cannot be answered.
    async fn serve(&mut self, interrupt: &mut Interrupt) -> anyhow::Result<Served> {
        loop {
            self.start_jobs();
            if self.stopping && self.is_idle() {
                return Ok(Served::Connected);
            }
            tokio::select! {
                event = self.client.next_event() => match event {
                    Ok(event) => self.handle(event)?,
                    Err(error) if self.plan.reconnect.rides_out(&error) => {
                        tokio::select! {
                            back = self.recover(error) => back?,
                            _ = interrupt.recv() => return Ok(self.offline()),
                        }
                    }
                    Err(error) => return Err(error.into()),
                },
                Some(finished) = self.finished.recv() => {
                    self.running -= 1;
                    self.answer(finished).await?;
                }
                _ = interrupt.recv(), if !self.stopping => {
                    self.stopping = true;
                    let in_hand = self.in_hand();
                    if in_hand > 0 {
                        let s = if in_hand == 1 { "" } else { "s" };
                        say(format_args!("answering the {in_hand} request{s} in hand, then ending"));
                    }
                }
            }
        }
    }

    /// Ends while offline, saying what is left unanswered.
    fn offline(&self) -> Served {
        let in_hand = self.in_hand();
        if in_hand > 0 {
            let s = if in_hand == 1 { "" } else { "s" };
            say(format_args!(
                "ending offline, without answering the {in_hand} request{s} in hand"
            ));
        }
        Served::Offline
    }

    /// Requests taken and not yet settled: waiting, running or being sent.
    fn in_hand(&self) -> usize {
        self.waiting.len() + self.running + self.unsettled.len()
    }

    fn is_idle(&self) -> bool {
        self.in_hand() == 0
    }

    /// A request taken, an answer acknowledged; the rest goes by.
    fn handle(&mut self, event: Event) -> Result<(), ClientError> {
        match event {
            Event::Message(request) => self.take(request),
            Event::Published {
                packet_id,
                reason,
                reason_string,
            } => {
                let Some(request) = self.unsettled.remove(&packet_id) else {
                    return Ok(());
                };
                if reason.is_error() {
                    say(format_args!(
                        "the answer to a request on {} was refused: {}",
                        request.topic,
                        verdict(reason, reason_string.as_deref())
                    ));
                }
                self.client.ack(&request)
            }
            _ => Ok(()),
        }
    }

    /// Queues a request for a job, unless no more are taken.
    fn take(&mut self, request: Publish) -> Result<(), ClientError> {
        if self.is_own_answer(&request) {
            return self.client.ack(&request);
        }
        if self.stopping {
            // Left unacknowledged: with a session, the broker sends it again
            // to the next responder on this client identifier.
            return Ok(());
        }
        // QoS 1/2 requests are bounded by the Receive Maximum (MQTT 5) or the
        // broker's in-flight window (3.1.1); QoS 0 ones only here.
        if request.qos == QoS::AtMostOnce && self.waiting.len() >= MAX_WAITING {
            self.dropped += 1;
            if self.dropped == 1 {
                say(format_args!(
                    "{MAX_WAITING} requests are waiting: QoS 0 requests beyond are dropped"
                ));
            }
            return self.client.ack(&request);
        }
        self.taken += 1;
        self.waiting.push_back(request);
        if self.plan.count == Some(self.taken) {
            self.stopping = true;
        }
        Ok(())
    }

    /// Whether `message` is one of our answers come back: MQTT 3.1.1 has no
    /// No Local, so a filter that covers the response topics brings them.
    fn is_own_answer(&mut self, message: &Publish) -> bool {
        let sent = self
            .recent_answers
            .iter()
            .position(|(topic, payload)| *topic == message.topic && *payload == message.payload);
        sent.map(|at| self.recent_answers.remove(at)).is_some()
    }

    /// Starts jobs for waiting requests while fewer than --jobs run.
    fn start_jobs(&mut self) {
        while self.running < self.plan.jobs {
            let Some(request) = self.waiting.pop_front() else {
                return;
            };
            self.running += 1;
            let response_topic = self.response_topic(&request);
            let answerer = self.plan.answerer.clone();
            let done = self.done.clone();
            tokio::spawn(async move {
                let answer = answerer.answer(&request, response_topic.as_deref()).await;
                let _ = done.send(Finished {
                    request,
                    response_topic,
                    answer,
                });
            });
        }
    }

    /// Where the answer to `request` goes: its Response Topic, or
    /// --response-topic made from it.
    fn response_topic(&self, request: &Publish) -> Option<String> {
        if let Some(topic) = &request.properties.response_topic {
            return Some(topic.clone());
        }
        let template = self.plan.response_topic.as_ref()?;
        let mut topic = Vec::new();
        template
            .write_message(&mut topic, request, SystemTime::now())
            .ok()?;
        String::from_utf8(topic).ok()
    }

    /// Publishes a finished job's answer, and acknowledges its request once
    /// the answer is out.
    async fn answer(&mut self, finished: Finished) -> anyhow::Result<()> {
        let Finished {
            request,
            response_topic,
            answer,
        } = finished;
        let payload = match answer {
            Answer::Reply(payload) => payload,
            Answer::Nothing(why) => {
                say(format_args!(
                    "a request on {} not answered: {why}",
                    request.topic
                ));
                return Ok(self.client.ack(&request)?);
            }
        };
        let Some(topic) = response_topic else {
            self.unanswerable += 1;
            if self.unanswerable == 1 {
                say(format_args!(
                    "a request on {} names no response topic, and is not answered \
                     (--response-topic FORMAT gives one)",
                    request.topic
                ));
            }
            return Ok(self.client.ack(&request)?);
        };
        let mut response = self.response(&request, topic, payload);
        if let Some(encoding) = &self.plan.encode {
            let what = format!("the answer to a request on {}", request.topic);
            match encoding.encode(&response.payload, &what) {
                Ok(encoded) => response.payload = encoded,
                Err(error) => {
                    say(format_args!("{error}; not answered"));
                    return Ok(self.client.ack(&request)?);
                }
            }
        }
        if self.recent_answers.len() == RECENT_ANSWERS {
            self.recent_answers.pop_front();
        }
        self.recent_answers
            .push_back((response.topic.clone(), response.payload.clone()));
        let qos = response.qos;
        let packet_id = self.client.publish(response).await?;
        if qos == QoS::AtMostOnce {
            self.client.flush().await?;
            self.client.ack(&request)?;
        } else {
            self.unsettled.insert(packet_id, request);
        }
        Ok(())
    }

    /// The answer's message: on `topic`, at the request's QoS, with its
    /// correlation.
    fn response(&self, request: &Publish, topic: String, payload: Bytes) -> Publish {
        let mut payload = payload;
        if let Some(field) = &self.plan.correlate_json {
            if let Some(value) = json_field(&request.payload, field) {
                match with_json_field(&payload, field, &value) {
                    Ok(with_field) => payload = with_field,
                    Err(e) => say(format_args!(
                        "the answer to a request on {} goes without its {field}: {e}",
                        request.topic
                    )),
                }
            }
        }
        let mut response = Publish {
            topic: topic.into(),
            qos: request.qos,
            payload,
            ..Publish::default()
        };
        if let Some(data) = &request.properties.correlation_data {
            response.properties.correlation_data = Some(data.clone());
        }
        response
    }

    /// Connects again and subscribes again unless the session was kept.
    /// Answers in flight on a lost session are gone, and so are their
    /// requests: the broker forgot both.
    async fn recover(&mut self, cause: ClientError) -> anyhow::Result<()> {
        let plan = self.plan;
        let resumption =
            reconnect::reconnect(&mut self.client, &plan.options, &plan.reconnect, cause).await?;
        if !resumption.session_present {
            self.unsettled.clear();
            subscribe(&mut self.client, plan).await?;
        }
        plan.lifecycle.announce_online(&mut self.client).await
    }
}
