//! `mqtk bench`: a load generator on mqtk's own client.
//!
//! The pipeline, after oha's: the flags become a plan; one task per
//! connection connects, then publishes, subscribes or holds, each counting
//! what it does on its own; a live display shows their sum while the run goes
//! on, and a report the whole of it at the end.
//!
//! Layout:
//! - `plan`: the flags turned into a plan of groups of connections, every
//!   check and default; a load file's groups in `load`; topic and client id
//!   templates in `template`.
//! - `run`: the run: connect everything (subscribers subscribed), start
//!   all publishers at one instant, stop them at the deadline, count or
//!   Ctrl-C, let the subscribers drain what is still on its way.
//! - `connection`: one connection task, from connecting to its end, in its
//!   role; `connect` sets it up, paces connecting, and reconnects it.
//! - `publisher` (paced by `schedule`, its payloads led by a `header`)
//!   and `subscriber`: the hot loops.
//! - `gaps`: what a subscriber misses while away (--offline) or
//!   unsubscribed (--sub-churn), and what a shared group's members saw (--share).
//! - `stats`: the live counters, the buffers of samples, loss and order per
//!   publisher; `histograms`: a set of HDR histograms per thread that
//!   records, added up at the end; `live` the display, `metrics` --metrics.
//! - `outcome`: what each connection did, added up; `finish` makes the
//!   `report` of a run from it, which `summary` prints and `--json`
//!   writes; `merge` adds reports up (`mqtk bench merge`).
//! - `search`: --find-max, steps towards the highest rate the broker
//!   sustains, over the connections of one run.
//! - `limits`: what the machine allows, checked before connecting.

mod connect;
mod connection;
mod finish;
mod gaps;
mod header;
mod histograms;
mod limits;
mod live;
mod load;
mod merge;
mod metrics;
mod outcome;
mod plan;
mod publisher;
mod report;
mod run;
mod schedule;
mod search;
mod stats;
mod subscriber;
mod summary;
mod template;

use crate::cli::{BenchArgs, BenchCommand};
use crate::commands::Interrupt;
use plan::BenchPlan;

pub async fn run(args: BenchArgs) -> anyhow::Result<u8> {
    if let Some(BenchCommand::Merge(args)) = &args.command {
        return merge::run(args);
    }
    let mut plan = BenchPlan::new(&args)?;
    if plan.search.is_some() && plan.subscribers == 0 && plan.qos == crate::codec::QoS::AtMostOnce {
        crate::commands::warn(
            "--find-max at QoS 0 without subscribers sees the broker's limit only once the \
             socket buffers between them are full (megabytes a connection): the answer may be \
             high; at QoS 1, or with subscribers (pubsub), the broker answers for itself",
        );
    }
    limits::check(
        u64::from(plan.total_connections()),
        plan.embedded,
        plan.sources.len(),
    )?;
    let interrupt = Interrupt::new()?;
    // The embedded broker lives as long as the run.
    let _broker = embedded::start(&mut plan)?;
    let finished = run::Bench::new(plan).run(interrupt).await?;
    finished.finish()
}

/// `--embedded`: a broker of mqtk's own on free loopback ports.
mod embedded {
    use super::BenchPlan;

    #[cfg(feature = "broker")]
    pub fn start(plan: &mut BenchPlan) -> anyhow::Result<Option<crate::broker::EmbeddedBroker>> {
        use crate::broker::{EmbeddedBroker, EmbeddedConfig};
        use crate::codec::Protocol;
        if !plan.embedded {
            return Ok(None);
        }
        let broker = EmbeddedBroker::start(EmbeddedConfig::default())?;
        // One listener per protocol version; MQTT 5 unless pinned.
        let addr = match plan.options.protocol {
            None | Some(Protocol::V5) => broker.v5_addr(),
            Some(Protocol::V311) => broker.v311_addr(),
            Some(Protocol::V31) => {
                return crate::commands::usage("the embedded broker does not speak MQTT 3.1")
            }
        };
        plan.options.host = addr.ip().to_string();
        plan.options.port = addr.port();
        // Said once, beside the progress lines: the broker shares mqtk's CPU.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "mqtk bench: an embedded broker (rumqttd) on {addr}, in this process: \
             a demonstration, not a measurement of a broker"
        );
        Ok(Some(broker))
    }

    #[cfg(not(feature = "broker"))]
    pub fn start(plan: &mut BenchPlan) -> anyhow::Result<Option<()>> {
        if plan.embedded {
            anyhow::bail!(
                "this mqtk was built without the embedded broker (cargo feature \"broker\"); \
                 build it with the default features for --embedded"
            );
        }
        Ok(None)
    }
}
