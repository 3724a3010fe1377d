//! `mqtk replay`: publish a recording of `mqtk sub --json` again, each
//! message with its topic, payload, QoS, retain flag and properties, at the
//! pace it was recorded.
//!
//! The recording is a [`Messages`](super::publish::Messages) of `pub`'s
//! [`Publisher`]: the same queue, in-flight window, reconnects and session
//! resumption, so that what `pub` promises (nothing lost at QoS 1, once at
//! QoS 2, exit 0 only once every message is acknowledged) holds here too.
//!
//! Layout:
//! - `mod.rs`: the arguments resolved into a plan, and the run
//! - `record`: one line of a recording read back into a message
//! - `topics`: -t, --topic-rewrite and --topic-prefix
//! - `recording`: the file or stdin read in passes, and when each message is due

use std::io::BufRead as _;
use std::path::{Path, PathBuf};

use super::publish::{outlive_outages, Publisher};
use super::reconnect::{self, Policy};
use super::{check_topic_filter, client_options, usage, Interrupt, Lifecycle};
use crate::cli::{exit, ReplayArgs};
use crate::client::Options;

mod record;
mod recording;
mod topics;

pub use recording::{BadRecording, Pass, Recording};
pub use topics::Topics;

/// What `mqtk replay` will do, resolved from its arguments.
struct ReplayPlan {
    options: Options,
    file: PathBuf,
    passes: Vec<Pass>,
    speed: f64,
    topics: Topics,
    lifecycle: Lifecycle,
    reconnect: Policy,
    max_queued: usize,
}

/// Runs `mqtk replay`.
pub async fn run(args: ReplayArgs) -> anyhow::Result<u8> {
    let plan = plan(args)?;
    if plan.file.as_os_str() != "-" {
        check_first_line(&plan.file)?;
    }
    let mut recording = Recording::new(
        plan.file.clone(),
        plan.passes.clone(),
        plan.speed,
        plan.topics.clone(),
    );
    let client =
        reconnect::first_connect(&plan.reconnect, || plan.lifecycle.connect(&plan.options)).await?;
    if !client.protocol().is_v5() {
        recording.strip_properties();
    }
    // Ctrl-C ends the input, as the end of the file does: what was taken is
    // still published and acknowledged. Once the input has ended, it gives up.
    let interrupt = Interrupt::new()?;
    let mut publisher = Publisher::new(client, &plan.options, plan.reconnect, plan.max_queued)
        .with_lifecycle(&plan.lifecycle)
        .with_interrupt(interrupt);
    let result = publisher.publish_all(&mut recording).await;
    publisher
        .end(result, &plan.lifecycle, &plan.options)
        .await?;
    match recording.failure() {
        Some(mut bad) => {
            bad.reason = format!(
                "{}; the {} messages before it were published",
                bad.reason,
                recording.taken()
            );
            Err(bad.into())
        }
        None => Ok(exit::SUCCESS),
    }
}

fn plan(args: ReplayArgs) -> anyhow::Result<ReplayPlan> {
    let mut options = client_options(&args.connection, Some(&args.session))?;
    let stdin = args.file.as_os_str() == "-";
    if stdin && args.loops > 1 {
        return usage("--loop needs a file: stdin (-) is read once");
    }
    if stdin && args.retained_first {
        return usage(
            "--retained-first needs a file: stdin (-) cannot be read ahead (from a live \
             mqtk sub, the retained messages come first anyway)",
        );
    }
    if !(args.speed.is_finite() && args.speed >= 0.0) {
        return usage(format!(
            "--speed {} is not a factor: 1 is the recorded pace, 0 no pauses",
            args.speed
        ));
    }
    for filter in &args.topics {
        check_topic_filter(filter, "-t")?;
    }
    let reconnect = Policy::new(&args.reconnect);
    // The recording decides the QoS of each message: any may need its
    // session to outlive a lost connection.
    outlive_outages(&mut options, &reconnect, args.ending.end(), true);
    let lifecycle = Lifecycle::new(&args.ending, &args.status, &mut options)?;
    let mut passes = Vec::new();
    if args.retained_first {
        passes.push(Pass::Retained);
    }
    let paced = Pass::Paced {
        unretained: args.retained_first,
    };
    passes.extend((0..args.loops).map(|_| paced));
    Ok(ReplayPlan {
        options,
        file: args.file,
        passes,
        speed: args.speed,
        topics: Topics {
            filters: args.topics,
            rewrites: args.topic_rewrites,
            prefix: args.topic_prefix,
        },
        lifecycle,
        reconnect,
        max_queued: args.read_ahead.max_queued as usize,
    })
}

/// Refuses a file that is not a recording before connecting: its first line
/// that is not blank must be a recorded message. (A bad line further on ends
/// the replay there.)
fn check_first_line(path: &Path) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut reader = std::io::BufReader::new(file);
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        return match record::parse(text) {
            Ok(_) => Ok(()),
            Err(reason) => Err(BadRecording {
                name: path.display().to_string(),
                line: number,
                reason,
            }
            .into()),
        };
    }
}
