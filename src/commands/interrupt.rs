//! Ctrl-C, as the commands listen for it.

use std::fmt;

use anyhow::Context as _;
use tokio::time::Instant;

/// Ctrl-C, noticed from the moment this listener is made until the command
/// ends, so that none is lost between two waits.
pub struct Interrupt {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
    #[cfg(windows)]
    signal: tokio::signal::windows::CtrlC,
}

impl Interrupt {
    /// Starts listening; from now on Ctrl-C no longer ends the process by itself.
    pub fn new() -> anyhow::Result<Interrupt> {
        #[cfg(unix)]
        let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
        #[cfg(windows)]
        let signal = tokio::signal::windows::ctrl_c();
        Ok(Interrupt {
            signal: signal.context("cannot listen for Ctrl-C")?,
        })
    }

    /// Waits for the next Ctrl-C. Cancel safe.
    pub async fn recv(&mut self) {
        self.signal.recv().await;
    }
}

/// A second Ctrl-C: the command stopped at once, with nothing more to say
/// (exit code 130).
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted again: stopped without the report")
    }
}

impl std::error::Error for Interrupted {}

/// Waits until `deadline`, or forever when there is none: the other side of
/// a `select!` with Ctrl-C and the broker.
pub async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
