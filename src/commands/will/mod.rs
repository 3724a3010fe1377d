//! `mqtk will`: a last-will test in one command.
//!
//! An observer subscribes to the will topic first; then a "device" connects
//! with the will and vanishes the way `--end` says. What arrives, and when, is
//! held against what the specification requires for that ending, will delay
//! and session expiry: exit 0 when the broker behaved as specified (or where
//! the specification allows either), 1 with the rule it broke.
//!
//! Layout: this file runs the test (the observer, the device, the watch);
//! `rules` holds what the specification requires and judges what was seen
//! against it; `report` prints the verdict.

mod report;
mod rules;

use std::time::Duration;

use anyhow::bail;
use tokio::time::Instant;

use super::{
    check_end, client_ending, client_options, connect, positive_seconds, require_v5, take_over,
    usage,
};
use crate::cli::{exit, End, WillTestArgs};
use crate::client::{Client, Ending, Event, Options};
use crate::codec::{Properties, Publish, QoS, RetainHandling, Subscription, Will};

use report::report;
use rules::{default_wait, expectation, judge, Observation, Rule};

/// How long a later subscriber waits for a retained will.
const RETAINED_WAIT: Duration = Duration::from_secs(2);

/// What `mqtk will` will do, resolved from its arguments.
struct WillPlan {
    device: Options,
    observer: Options,
    will: Will,
    end: End,
    /// How long to wait for the will after the device ended; `None`: as the
    /// rules need.
    wait: Option<Duration>,
    json: bool,
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

fn plan(args: WillTestArgs) -> anyhow::Result<WillPlan> {
    let device = client_options(&args.connection, Some(&args.session))?;
    let Some(will) = device.will.clone() else {
        return usage("mqtk will needs a will: --will-topic TOPIC (and --will-payload, ...)");
    };
    check_end(args.end, &device)?;
    let wait = positive_seconds(args.wait, "--wait")?;
    let observer = Options {
        client_id: format!("{}-observer", device.client_id),
        clean_start: true,
        session_expiry: None,
        will: None,
        ..device.clone()
    };
    Ok(WillPlan {
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
