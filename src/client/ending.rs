//! Ending a connection in each of the ways a device does: DISCONNECT (with
//! the will or without), a close, a reset, or falling silent.

use std::io;
use std::time::Duration;

use tokio::time::Instant;

use super::{Client, ClientError, Disallowed, Ending};
use crate::codec::{Disconnect, Packet, Properties, PropertyValues, ReasonCode};

/// How long the client waits for the broker to close after DISCONNECT before
/// closing itself: the close is the client's to make [MQTT 3.1.1 and 5.0 §3.14.4].
const CLOSE_LINGER: Duration = Duration::from_millis(100);

/// The longest wait, before DISCONNECT, for acknowledgement flows already begun.
const SETTLE_GRACE: Duration = Duration::from_secs(1);

impl Client {
    /// Ends the connection the way `ending` says.
    ///
    /// Before a DISCONNECT, the acknowledgement flows already begun are
    /// finished (briefly), so the broker's side of the session is clean. After
    /// it, the client gives the broker a moment to close first, then closes.
    pub async fn end(mut self, ending: Ending) -> Result<(), ClientError> {
        let reason = match ending {
            Ending::Disconnect => ReasonCode::SUCCESS,
            Ending::DisconnectWithWill => {
                if !self.protocol().is_v5() {
                    return Err(ClientError::NotAllowed(Disallowed::WillDisconnectBeforeV5));
                }
                ReasonCode::DISCONNECT_WITH_WILL
            }
            Ending::Close => {
                self.conn.shutdown().await?;
                return Ok(());
            }
            Ending::Reset => {
                self.conn.into_transport().reset();
                return Ok(());
            }
            Ending::Silent => return self.fall_silent().await,
        };
        self.settle(SETTLE_GRACE.min(self.response_timeout)).await?;
        let properties = if self.expire_on_disconnect && self.protocol().is_v5() {
            PropertyValues {
                session_expiry_interval: Some(0),
                ..PropertyValues::default()
            }
            .into()
        } else {
            Properties::default()
        };
        self.send(&Packet::Disconnect(Disconnect { reason, properties }))?;
        self.conn.flush().await?;
        // A broker closes as soon as it has read the DISCONNECT; closing first
        // would race it (rumqttd 0.20 then drops an unrelated connection). One
        // that keeps the socket open is not waited for long.
        match tokio::time::timeout(CLOSE_LINGER, self.conn.drain_until_closed()).await {
            Ok(Err(ClientError::Io(e))) if e.kind() == io::ErrorKind::ConnectionReset => Ok(()),
            Ok(result) => result,
            Err(_) => self.conn.shutdown().await,
        }
    }

    /// Sends nothing more, PINGREQ included, and waits for the broker to
    /// close the connection, as it must once the keep alive has passed; a
    /// reset counts as its close.
    async fn fall_silent(mut self) -> Result<(), ClientError> {
        self.conn.flush().await?;
        let keep_alive = self.limits.keep_alive;
        let limit = silent_limit(keep_alive);
        match tokio::time::timeout(limit, self.conn.drain_until_closed()).await {
            Ok(Err(ClientError::Io(e))) if e.kind() == io::ErrorKind::ConnectionReset => Ok(()),
            Ok(result) => result,
            Err(_) => Err(ClientError::NotAllowed(Disallowed::SilenceOutlasted {
                waited: limit,
                keep_alive,
            })),
        }
    }

    /// Drives I/O until every acknowledgement flow begun is complete, or for
    /// `grace` at most; messages arriving meanwhile are left unacknowledged.
    async fn settle(&mut self, grace: Duration) -> Result<(), ClientError> {
        let deadline = Instant::now() + grace;
        while !self.session.is_settled() {
            match tokio::time::timeout_at(deadline, self.step(false)).await {
                Ok(result) => result?,
                Err(_) => break,
            }
        }
        Ok(())
    }
}

/// How long a silent client waits for the broker to close: it must after 1.5
/// times the keep alive [MQTT-3.1.2-24 in 3.1.1, MQTT-3.1.2-22 in 5], and
/// brokers that look only every few seconds (mosquitto 2.0: every 5 s) get
/// twice the keep alive and 10 s more.
pub fn silent_limit(keep_alive: u16) -> Duration {
    Duration::from_secs(2 * u64::from(keep_alive) + 10)
}
