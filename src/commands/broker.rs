//! `mqtk broker`: the embedded broker ([`crate::broker`]) on -h and -p, until Ctrl-C.

use crate::cli::BrokerArgs;

/// Runs the broker until Ctrl-C (exit 0) or until it stops by itself.
#[cfg(feature = "broker")]
pub async fn run(args: BrokerArgs) -> anyhow::Result<u8> {
    use std::io::Write as _;

    use crate::broker::EmbeddedBroker;
    use crate::cli::exit;

    let config = embedded_config(&args)?;
    // Listening first, so that a Ctrl-C while the broker starts is not lost.
    let mut interrupt = super::Interrupt::new()?;
    let mut broker = EmbeddedBroker::start(config)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "mqtk broker: MQTT 3.1.1 on {}, MQTT 5 on {} (Ctrl-C stops)",
        broker.v311_addr(),
        broker.v5_addr()
    )?;
    stdout.flush()?;
    drop(stdout);
    tokio::select! {
        () = interrupt.recv() => Ok(exit::SUCCESS),
        error = broker.stopped() => Err(error.into()),
    }
}

/// Says that this build has no broker to run.
#[cfg(not(feature = "broker"))]
pub async fn run(_args: BrokerArgs) -> anyhow::Result<u8> {
    anyhow::bail!(
        "this mqtk was built without the embedded broker (cargo feature \"broker\"); \
         build it with the default features to have `mqtk broker`"
    )
}

/// Where to listen: -h resolved to an address, MQTT 3.1.1 on -p and MQTT 5 on the port after
/// it (0: two free ports).
#[cfg(feature = "broker")]
fn embedded_config(args: &BrokerArgs) -> anyhow::Result<crate::broker::EmbeddedConfig> {
    use std::net::ToSocketAddrs;

    use super::usage;

    let host = match (args.host.as_str(), 0).to_socket_addrs() {
        Ok(mut addrs) => match addrs.next() {
            Some(addr) => addr.ip(),
            None => return usage(format!("-h {}: the name has no address", args.host)),
        },
        Err(e) => return usage(format!("-h {}: {e}", args.host)),
    };
    let v5_port = match args.port {
        0 => 0,
        port => match port.checked_add(1) {
            Some(next) => next,
            None => {
                return usage(format!(
                    "-p {port} leaves no port for MQTT 5, which listens on the port after -p"
                ))
            }
        },
    };
    Ok(crate::broker::EmbeddedConfig {
        host,
        v311_port: args.port,
        v5_port,
        ..Default::default()
    })
}
