//! The verdict of `mqtk will`, as lines or as one JSON object.

use std::io::{self, Write};
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};

use super::rules::{Expectation, Observation, Rule};
use super::WillPlan;
use crate::cli::End;
use crate::codec::{Protocol, Publish};
use crate::commands::json_ms;
use crate::output::{Arrival, Printer, Style};

/// Prints what happened and the verdict: a few lines, or one JSON object.
pub(super) fn report(
    plan: &WillPlan,
    protocol: Protocol,
    expectation: &Expectation,
    seen: &Observation,
    verdict: &Result<(), String>,
    wait: Duration,
) -> anyhow::Result<()> {
    let outcome = Outcome {
        plan,
        protocol,
        expectation,
        seen,
        verdict,
        wait,
    };
    let mut out = io::stdout().lock();
    if plan.json {
        writeln!(out, "{}", outcome.json()?)?;
    } else {
        outcome.lines(&mut out)?;
    }
    Ok(())
}

/// Everything the report tells.
struct Outcome<'a> {
    plan: &'a WillPlan,
    protocol: Protocol,
    expectation: &'a Expectation,
    seen: &'a Observation,
    verdict: &'a Result<(), String>,
    wait: Duration,
}

impl Outcome<'_> {
    /// The verdict in one word: pass, fail, or either when the rule allows both.
    fn verdict_word(&self) -> &'static str {
        match (self.verdict, self.expectation.rule) {
            (Err(_), _) => "fail",
            (Ok(()), Rule::Either) => "either",
            (Ok(()), _) => "pass",
        }
    }

    /// The `--json` object.
    fn json(&self) -> anyhow::Result<Value> {
        let (plan, seen, expectation) = (self.plan, self.seen, self.expectation);
        let message = match &seen.will {
            Some((_, m)) => message_json(m)?,
            None => Value::Null,
        };
        Ok(json!({
            "end": end_name(plan.end),
            "protocol": self.protocol.to_string(),
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
            "waited_ms": json_ms(self.wait),
            "broker_closed_after_ms": seen.broker_closed_after.map(json_ms),
            "arrived": seen.will.is_some(),
            "after_ms": seen.will.as_ref().map(|(after, _)| json_ms(*after)),
            "message": message,
            "retained_seen": seen.retained,
            "verdict": self.verdict_word(),
            "rule": expectation.statement,
            "reference": expectation.reference,
            "broken": self.verdict.as_ref().err(),
        }))
    }

    /// The few lines for a person: the test, what arrived, the verdict.
    fn lines(&self, out: &mut impl Write) -> io::Result<()> {
        let (plan, seen) = (self.plan, self.seen);
        writeln!(
            out,
            "will test: --end {} against {}:{} (MQTT {}), will on {:?} at QoS {}{}",
            end_name(plan.end),
            plan.device.host,
            plan.device.port,
            self.protocol,
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
            None => writeln!(
                out,
                "no will arrived within {:.1}s",
                self.wait.as_secs_f64()
            )?,
        }
        let word = match self.verdict_word() {
            "pass" => "pass:",
            "fail" => "FAIL:",
            _ => "allowed either way:",
        };
        writeln!(
            out,
            "{word} {} [{}]",
            self.expectation.statement, self.expectation.reference
        )
    }
}

/// The message as `mqtk sub --json` prints it.
fn message_json(message: &Publish) -> anyhow::Result<Value> {
    let mut line = Vec::new();
    Printer::new(Style::Json, false, false, false).print(
        &mut line,
        message,
        None,
        Arrival::at(SystemTime::now()),
    )?;
    Ok(serde_json::from_slice(&line)?)
}

/// The name `--end` gives `end`.
fn end_name(end: End) -> String {
    clap::ValueEnum::to_possible_value(&end).map_or_else(String::new, |v| v.get_name().into())
}
