//! `mqtk will`: a last-will test in one command.
//!
//! An observer subscribes to the will topic first; then a "device" connects
//! with the will and vanishes the way `--end` says. What arrives, and when, is
//! held against what the specification requires for that ending, will delay
//! and session expiry: exit 0 when the broker behaved as specified (or where
//! the specification allows either), 1 with the rule it broke.

use std::io::{self, Write};
use std::time::{Duration, SystemTime};

use anyhow::bail;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::{
    check_end, client_ending, client_options, connect, json_ms, require_v5, take_over, usage,
};
use crate::cli::{exit, End, WillTestArgs};
use crate::client::{silent_limit, Client, Ending, Event, Options};
use crate::codec::{Properties, Protocol, Publish, QoS, RetainHandling, Subscription, Will};
use crate::output::{Printer, Style};

/// Added to what the rules need before giving up on a will.
const MARGIN: Duration = Duration::from_secs(3);

/// How long a later subscriber waits for a retained will.
const RETAINED_WAIT: Duration = Duration::from_secs(2);

/// What `mqtk will` will do, resolved from its arguments.
struct Plan {
    device: Options,
    observer: Options,
    will: Will,
    end: End,
    /// How long to wait for the will after the device ended; `None`: as the
    /// rules need.
    wait: Option<Duration>,
    json: bool,
}

/// Whether the specification lets the will come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Must,
    MustNot,
    /// The specification allows either, or its statements disagree.
    Either,
}

/// What the specification says of one ending.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expectation {
    rule: Rule,
    /// The will is due this long after the connection closed: the will delay,
    /// or the session expiry when that is shorter (MQTT 5).
    due: Duration,
    /// The requirement in words, and where the specification says it.
    statement: &'static str,
    reference: &'static str,
}

/// What was seen.
struct Observation {
    /// For `silent`: how long the broker kept the silent connection open.
    broker_closed_after: Option<Duration>,
    /// The will, and how long after the device ended it arrived.
    will: Option<(Duration, Publish)>,
    /// Whether a later subscriber got it as a retained message (asked only
    /// for a retained will that arrived).
    retained: Option<bool>,
}

/// Runs `mqtk will`.
pub async fn run(args: WillTestArgs) -> anyhow::Result<u8> {
    let plan = plan(args)?;
    let mut observer = connect(&plan.observer).await?;
    let protocol = observer.protocol();
    subscribe_observer(&mut observer, &plan.will.topic).await?;
    let device_options = Options {
        protocol: Some(protocol),
        ..plan.device.clone()
    };
    let device = connect(&device_options).await?;
    if plan.end == End::DisconnectWithWill {
        require_v5(&device, "--end disconnect-with-will")?;
    }
    let expectation = expectation(plan.end, protocol, &plan.will, &device_options);
    let wait = plan
        .wait
        .unwrap_or_else(|| default_wait(&expectation, plan.end, device.limits().keep_alive));
    let keep_alive = device.limits().keep_alive;
    let ended = Instant::now();
    let deadline = ended + wait;
    let (vanished, arrived) = tokio::join!(
        vanish(device, plan.end, &device_options),
        watch(&mut observer, &plan.will, expectation.rule, ended, deadline),
    );
    let (broker_closed_after, successor) = vanished?;
    let arrived = arrived?;
    if let Some(successor) = successor {
        successor.end(Ending::Disconnect).await?;
    }
    let retained = match &arrived {
        Some(_) if plan.will.retain => Some(retained_will_seen(&plan.observer, &plan.will).await?),
        _ => None,
    };
    let _ = observer.end(Ending::Disconnect).await;
    let observation = Observation {
        broker_closed_after,
        will: arrived,
        retained,
    };
    let verdict = judge(&expectation, &plan.will, protocol, keep_alive, &observation);
    report(&plan, protocol, &expectation, &observation, &verdict, wait)?;
    match verdict {
        Err(broken) => bail!("the broker broke a rule: {broken}"),
        Ok(()) => Ok(exit::SUCCESS),
    }
}

fn plan(args: WillTestArgs) -> anyhow::Result<Plan> {
    let device = client_options(&args.connection, Some(&args.session))?;
    let Some(will) = device.will.clone() else {
        return usage("mqtk will needs a will: --will-topic TOPIC (and --will-payload, ...)");
    };
    check_end(args.end, &device)?;
    let wait = match args.wait {
        Some(w) if !(w > 0.0 && w.is_finite()) => {
            return usage("--wait must be a positive number of seconds")
        }
        Some(w) => Some(Duration::from_secs_f64(w)),
        None => None,
    };
    let observer = Options {
        client_id: format!("{}-observer", device.client_id),
        clean_start: true,
        session_expiry: None,
        will: None,
        ..device.clone()
    };
    Ok(Plan {
        device,
        observer,
        will,
        end: args.end,
        wait,
        json: args.json,
    })
}

/// Subscribes the observer to the will topic at QoS 2, so the will arrives at
/// its own QoS; in MQTT 5 without the retained message already there and with
/// the retain flag as published.
async fn subscribe_observer(observer: &mut Client, topic: &str) -> anyhow::Result<()> {
    let subscription = Subscription {
        filter: topic.to_string(),
        qos: QoS::ExactlyOnce,
        no_local: false,
        retain_as_published: observer.protocol().is_v5(),
        retain_handling: RetainHandling::Never,
    };
    let suback = observer
        .subscribe(vec![subscription], Properties::default())
        .await?;
    if suback.reasons.iter().any(|r| r.is_error()) {
        bail!("the broker refused the observer's subscription to {topic:?}");
    }
    Ok(())
}

/// What the specification requires of the will for `end`.
fn expectation(end: End, protocol: Protocol, will: &Will, device: &Options) -> Expectation {
    let v5 = protocol.is_v5();
    let delay = if v5 {
        let will_delay = will.properties.will_delay_interval.unwrap_or(0);
        let session_expiry = device.session_expiry.unwrap_or(0);
        Duration::from_secs(u64::from(will_delay.min(session_expiry)))
    } else {
        Duration::ZERO
    };
    let delayed = v5 && will.properties.will_delay_interval.unwrap_or(0) > 0;
    let (rule, statement, reference) = match end {
        End::Disconnect => (
            Rule::MustNot,
            "after a DISCONNECT with reason 0x00 the will must be discarded, not published",
            "MQTT-3.14.4-3",
        ),
        End::DisconnectWithWill => (
            Rule::Must,
            "after a DISCONNECT with reason 0x04 the will must be published",
            "MQTT 5.0 section 3.14.2.1",
        ),
        End::Close | End::Reset => (
            Rule::Must,
            "the will must be published when the connection closes without DISCONNECT",
            "MQTT-3.1.2-8",
        ),
        End::Silent => (
            Rule::Must,
            "a connection silent for 1.5 times the keep alive must be closed, and its will published",
            if v5 { "MQTT-3.1.2-22, MQTT-3.1.2-8" } else { "MQTT-3.1.2-24, MQTT-3.1.2-8" },
        ),
        End::Takeover if !delayed => (
            Rule::Must,
            "a connection taken over by a new one with its client identifier is closed, and its \
             will published",
            if v5 { "MQTT-3.1.4-3, MQTT-3.1.2-8" } else { "MQTT-3.1.4-2, MQTT-3.1.2-8" },
        ),
        End::Takeover if !device.clean_start => (
            Rule::MustNot,
            "a will with a delay must not be published when a new connection resumes the session \
             before the delay has passed",
            "MQTT-3.1.2-8",
        ),
        // A clean start ends the session (publish at once) while the new
        // connection came before the delay passed (do not publish).
        End::Takeover => (
            Rule::Either,
            "a delayed will of a session that a clean start takes over: the specification says \
             both publish (the session ended) and do not (a new connection came before the delay)",
            "MQTT-3.1.2-8",
        ),
    };
    Expectation {
        rule,
        due: delay,
        statement,
        reference,
    }
}

/// How long to wait for the will: until it is due, plus a margin, plus for a
/// silent end as long as the client waits for the broker to notice (so that
/// a broker that notices late is seen late, not taken for one without will).
fn default_wait(expectation: &Expectation, end: End, keep_alive: u16) -> Duration {
    let noticing = match end {
        End::Silent => silent_limit(keep_alive),
        _ => Duration::ZERO,
    };
    expectation.due + noticing + MARGIN
}

/// Whether the broker took longer than 1.5 times the keep alive (and a
/// second, for a clock that counts in seconds) to close a silent connection.
fn closed_late(closed_after: Duration, keep_alive: u16) -> bool {
    closed_after > Duration::from_millis(1500 * u64::from(keep_alive)) + Duration::from_secs(1)
}

/// Ends the device connection the way `end` says. Returns, for `silent`, how
/// long the broker took to close it, and for `takeover` the new connection,
/// which must stay until the watch is over.
async fn vanish(
    device: Client,
    end: End,
    options: &Options,
) -> anyhow::Result<(Option<Duration>, Option<Client>)> {
    let started = Instant::now();
    let Some(ending) = client_ending(end) else {
        return Ok((None, Some(take_over(device, options).await?)));
    };
    // A silent end returns once the broker has closed the connection.
    device.end(ending).await?;
    let closed_after = (ending == Ending::Silent).then(|| started.elapsed());
    Ok((closed_after, None))
}

/// Waits for the will until `deadline`, or until it arrived when it must.
async fn watch(
    observer: &mut Client,
    will: &Will,
    rule: Rule,
    ended: Instant,
    deadline: Instant,
) -> anyhow::Result<Option<(Duration, Publish)>> {
    let mut arrived = None;
    loop {
        let event = tokio::select! {
            event = observer.next_event() => event?,
            _ = tokio::time::sleep_until(deadline) => return Ok(arrived),
        };
        let Event::Message(message) = event else {
            continue;
        };
        observer.ack(&message)?;
        // Under 3.1.1 a message flagged retained is one the topic held before.
        let stale = message.retain && !observer.protocol().is_v5();
        if message.topic != will.topic || stale || arrived.is_some() {
            continue;
        }
        arrived = Some((ended.elapsed(), message));
        if rule != Rule::MustNot {
            return Ok(arrived);
        }
    }
}

/// Whether a new subscriber to the will topic gets the will as retained.
async fn retained_will_seen(options: &Options, will: &Will) -> anyhow::Result<bool> {
    let options = Options {
        client_id: format!("{}-later", options.client_id),
        ..options.clone()
    };
    let mut later = connect(&options).await?;
    let subscription = Subscription {
        filter: will.topic.clone(),
        qos: QoS::AtMostOnce,
        no_local: false,
        retain_as_published: false,
        retain_handling: RetainHandling::OnSubscribe,
    };
    later
        .subscribe(vec![subscription], Properties::default())
        .await?;
    let seen = async {
        loop {
            if let Event::Message(m) = later.next_event().await? {
                if m.retain && m.payload == will.payload {
                    return anyhow::Ok(true);
                }
            }
        }
    };
    let seen = tokio::time::timeout(RETAINED_WAIT, seen)
        .await
        .unwrap_or(Ok(false))?;
    let _ = later.end(Ending::Disconnect).await;
    Ok(seen)
}

/// Holds what was seen against the expectation: `Err` names the rule broken.
fn judge(
    expectation: &Expectation,
    will: &Will,
    protocol: Protocol,
    keep_alive: u16,
    seen: &Observation,
) -> Result<(), String> {
    let broken = |what: &str, reference: &str| Err(format!("{what} [{reference}]"));
    if let Some(closed) = seen
        .broker_closed_after
        .filter(|&c| closed_late(c, keep_alive))
    {
        return broken(
            &format!(
                "the broker kept a silent connection open for {:.1}s, past 1.5 times the keep \
                 alive of {keep_alive}s",
                closed.as_secs_f64()
            ),
            if protocol.is_v5() {
                "MQTT-3.1.2-22"
            } else {
                "MQTT-3.1.2-24"
            },
        );
    }
    match (expectation.rule, &seen.will) {
        (Rule::Either, _) => Ok(()),
        (Rule::MustNot, Some(_)) => broken(expectation.statement, expectation.reference),
        (Rule::MustNot, None) => Ok(()),
        (Rule::Must, None) => broken(expectation.statement, expectation.reference),
        (Rule::Must, Some((after, message))) => {
            // A broker's clock ticks in whole seconds at worst.
            let early = expectation.due.saturating_sub(Duration::from_secs(1));
            if *after < early {
                return broken(
                    &format!(
                        "the will came {:.1}s after the connection ended, before its delay of {}s",
                        after.as_secs_f64(),
                        expectation.due.as_secs()
                    ),
                    "MQTT 5.0 section 3.1.3.2.2",
                );
            }
            if message.qos != will.qos {
                return broken(
                    &format!(
                        "the will came at QoS {}, not at its QoS {}",
                        message.qos as u8, will.qos as u8
                    ),
                    "section 3.1.2.6",
                );
            }
            if message.payload != will.payload {
                return broken("the will came with another payload", "section 3.1.3");
            }
            let retain_reference = if protocol.is_v5() {
                "MQTT-3.1.2-15"
            } else {
                "MQTT-3.1.2-17"
            };
            if seen.retained == Some(false) {
                return broken(
                    "a will with the retain flag must be published as a retained message",
                    retain_reference,
                );
            }
            match check_will_properties(&will.properties, &message.properties) {
                Some(what) if protocol.is_v5() => broken(&what, "MQTT 5.0 section 3.3.2.3"),
                _ => Ok(()),
            }
        }
    }
}

/// The will properties a broker must pass on unchanged; `Some` names one it
/// did not.
fn check_will_properties(sent: &Properties, got: &Properties) -> Option<String> {
    if sent.content_type != got.content_type {
        return Some("the will lost its content type".into());
    }
    if sent.user_properties != got.user_properties {
        return Some("the will's user properties changed".into());
    }
    if sent.payload_format_indicator != got.payload_format_indicator {
        return Some("the will lost its payload format indicator".into());
    }
    None
}

/// Prints what happened and the verdict: a few lines, or one JSON object.
fn report(
    plan: &Plan,
    protocol: Protocol,
    expectation: &Expectation,
    seen: &Observation,
    verdict: &Result<(), String>,
    wait: Duration,
) -> anyhow::Result<()> {
    let verdict_word = match (verdict, expectation.rule) {
        (Err(_), _) => "fail",
        (Ok(()), Rule::Either) => "either",
        (Ok(()), _) => "pass",
    };
    let mut out = io::stdout().lock();
    if plan.json {
        let message = match &seen.will {
            Some((_, m)) => message_json(m)?,
            None => Value::Null,
        };
        let object = json!({
            "end": end_name(plan.end),
            "protocol": protocol.to_string(),
            "will": {
                "topic": plan.will.topic,
                "qos": plan.will.qos as u8,
                "retain": plan.will.retain,
                "delay": plan.will.properties.will_delay_interval,
            },
            "session_expiry": plan.device.session_expiry,
            "expected": match expectation.rule {
                Rule::Must => "published",
                Rule::MustNot => "not published",
                Rule::Either => "either",
            },
            "due_ms": json_ms(expectation.due),
            "waited_ms": json_ms(wait),
            "broker_closed_after_ms": seen.broker_closed_after.map(json_ms),
            "arrived": seen.will.is_some(),
            "after_ms": seen.will.as_ref().map(|(after, _)| json_ms(*after)),
            "message": message,
            "retained_seen": seen.retained,
            "verdict": verdict_word,
            "rule": expectation.statement,
            "reference": expectation.reference,
            "broken": verdict.as_ref().err(),
        });
        writeln!(out, "{object}")?;
        return Ok(());
    }
    writeln!(
        out,
        "will test: --end {} against {}:{} (MQTT {protocol}), will on {:?} at QoS {}{}",
        end_name(plan.end),
        plan.device.host,
        plan.device.port,
        plan.will.topic,
        plan.will.qos as u8,
        if plan.will.retain { ", retained" } else { "" },
    )?;
    if let Some(closed) = seen.broker_closed_after {
        writeln!(
            out,
            "the broker closed the silent connection after {:.1}s",
            closed.as_secs_f64()
        )?;
    }
    match &seen.will {
        Some((after, message)) => writeln!(
            out,
            "the will arrived after {} ms: QoS {}, retain {}, {} bytes{}",
            json_ms(*after),
            message.qos as u8,
            u8::from(message.retain),
            message.payload.len(),
            match seen.retained {
                Some(true) => ", and a later subscriber got it retained",
                Some(false) => ", and a later subscriber did not get it retained",
                None => "",
            }
        )?,
        None => writeln!(out, "no will arrived within {:.1}s", wait.as_secs_f64())?,
    }
    let word = match verdict_word {
        "pass" => "pass:",
        "fail" => "FAIL:",
        _ => "allowed either way:",
    };
    writeln!(
        out,
        "{word} {} [{}]",
        expectation.statement, expectation.reference
    )?;
    Ok(())
}

/// The message as `mqtk sub --json` prints it.
fn message_json(message: &Publish) -> anyhow::Result<Value> {
    let mut line = Vec::new();
    Printer::new(Style::Json, false, false, false).print(&mut line, message, SystemTime::now())?;
    Ok(serde_json::from_slice(&line)?)
}

/// The name `--end` gives `end`.
fn end_name(end: End) -> String {
    clap::ValueEnum::to_possible_value(&end).map_or_else(String::new, |v| v.get_name().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::PropertyValues;

    fn will(delay: Option<u32>) -> Will {
        Will {
            topic: "d/1".into(),
            payload: "gone".into(),
            qos: QoS::AtLeastOnce,
            retain: false,
            properties: PropertyValues {
                will_delay_interval: delay,
                ..PropertyValues::default()
            }
            .into(),
        }
    }

    fn device(session_expiry: Option<u32>, clean_start: bool) -> Options {
        Options {
            session_expiry,
            clean_start,
            ..Options::default()
        }
    }

    #[test]
    fn a_normal_disconnect_must_not_publish_and_an_abnormal_end_must() {
        let w = will(None);
        let d = device(None, true);
        for protocol in [Protocol::V311, Protocol::V5] {
            assert_eq!(
                expectation(End::Disconnect, protocol, &w, &d).rule,
                Rule::MustNot
            );
            for end in [End::Close, End::Reset, End::Silent, End::Takeover] {
                assert_eq!(
                    expectation(end, protocol, &w, &d).rule,
                    Rule::Must,
                    "{end:?}"
                );
            }
        }
    }

    #[test]
    fn the_will_is_due_at_the_shorter_of_will_delay_and_session_expiry() {
        let w = will(Some(30));
        let due = |expiry| expectation(End::Close, Protocol::V5, &w, &device(expiry, true)).due;
        assert_eq!(due(Some(60)), Duration::from_secs(30));
        assert_eq!(due(Some(5)), Duration::from_secs(5));
        // A session that ends with the connection publishes the will at once.
        assert_eq!(due(None), Duration::ZERO);
        // MQTT 3.1.1 has no will delay.
        let v311 = expectation(End::Close, Protocol::V311, &w, &device(Some(60), true));
        assert_eq!(v311.due, Duration::ZERO);
    }

    #[test]
    fn a_delayed_will_and_a_takeover_depend_on_the_new_connection() {
        let w = will(Some(10));
        let resumed = expectation(End::Takeover, Protocol::V5, &w, &device(Some(60), false));
        assert_eq!(resumed.rule, Rule::MustNot);
        let clean = expectation(End::Takeover, Protocol::V5, &w, &device(Some(60), true));
        assert_eq!(clean.rule, Rule::Either);
    }

    fn arrived(after: Duration, qos: QoS) -> Observation {
        Observation {
            broker_closed_after: None,
            will: Some((
                after,
                Publish {
                    qos,
                    topic: "d/1".into(),
                    payload: "gone".into(),
                    ..Publish::default()
                },
            )),
            retained: None,
        }
    }

    #[test]
    fn a_will_before_its_delay_or_at_another_qos_breaks_a_rule() {
        let w = will(Some(10));
        let expected = expectation(End::Close, Protocol::V5, &w, &device(Some(60), true));
        let early = judge(
            &expected,
            &w,
            Protocol::V5,
            60,
            &arrived(Duration::from_secs(2), QoS::AtLeastOnce),
        );
        assert!(early.unwrap_err().contains("before its delay of 10s"));
        let on_time = arrived(Duration::from_secs(10), QoS::AtLeastOnce);
        assert_eq!(judge(&expected, &w, Protocol::V5, 60, &on_time), Ok(()));
        let downgraded = arrived(Duration::from_secs(10), QoS::AtMostOnce);
        assert!(judge(&expected, &w, Protocol::V5, 60, &downgraded)
            .unwrap_err()
            .contains("QoS 0"));
    }

    #[test]
    fn a_broker_that_closes_a_silent_connection_late_breaks_the_keep_alive_rule() {
        let w = will(None);
        let expected = expectation(End::Silent, Protocol::V5, &w, &device(None, true));
        let mut seen = arrived(Duration::from_secs(6), QoS::AtLeastOnce);
        seen.broker_closed_after = Some(Duration::from_millis(2400));
        assert_eq!(judge(&expected, &w, Protocol::V5, 1, &seen), Ok(()));
        seen.broker_closed_after = Some(Duration::from_millis(5900));
        let late = judge(&expected, &w, Protocol::V5, 1, &seen).unwrap_err();
        assert!(
            late.contains("open for 5.9s") && late.ends_with("[MQTT-3.1.2-22]"),
            "{late}"
        );
    }
}
