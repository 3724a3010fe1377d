//! Keep alive: when a PINGREQ is due, and when a silent broker or a write
//! that never leaves means the connection is lost.

use std::time::Duration;

use tokio::time::Instant;

use super::{Client, ClientError};

impl Client {
    /// Keep alive's turn, when its timer fires: a PINGREQ when one is due,
    /// the end of the connection when the broker has been silent too long.
    pub(super) fn keep_alive(&mut self) -> Result<(), ClientError> {
        let now = Instant::now();
        let Some(deadline) = self.keep_alive_deadline() else {
            return Ok(());
        };
        if deadline > now {
            // Packets moved since the timer was set: wait on.
            if let Some(timer) = &mut self.keep_alive_timer {
                timer.as_mut().reset(deadline);
            }
            return Ok(());
        }
        let limit = lost_after(self.limits.keep_alive);
        if let Some(blocked) = self.conn.write_blocked_since() {
            if now - blocked >= limit {
                return Err(ClientError::WriteStuck {
                    stuck: now - blocked,
                    keep_alive: self.limits.keep_alive,
                });
            }
        }
        if self.ping_sent.is_some() {
            return Err(ClientError::KeepAliveTimeout {
                silent: now - self.conn.last_read(),
                keep_alive: self.limits.keep_alive,
            });
        }
        // Idle for a keep-alive interval: give back what busier times took.
        if self.events.is_empty() {
            self.events.shrink_to_fit();
        }
        self.session.shrink_to_fit();
        self.ping()
    }

    /// When keep alive next needs the client, `None` when it is off.
    ///
    /// A PINGREQ is due one interval after the last packet sent [MQTT-3.1.2-23
    /// in 3.1.1, MQTT-3.1.2-20 in 5], and also one interval after the broker
    /// was last heard from, so that a client that only sends still probes the
    /// path. With a PINGREQ unanswered, the connection is lost 1.5 intervals
    /// after the broker was last heard from, as the broker would judge us: a
    /// half-open path sends no reset. A write stuck that long ends it too.
    pub(super) fn keep_alive_deadline(&self) -> Option<Instant> {
        let interval = Duration::from_secs(u64::from(self.limits.keep_alive));
        if interval.is_zero() {
            return None;
        }
        let heard = self.conn.last_read();
        let limit = lost_after(self.limits.keep_alive);
        let due = match self.ping_sent {
            Some(_) => heard + limit,
            None => self.conn.last_written().min(heard) + interval,
        };
        Some(match self.conn.write_blocked_since() {
            Some(blocked) => due.min(blocked + limit),
            None => due,
        })
    }
}

/// How long the broker may be silent, a PINGREQ unanswered, or a write stay
/// stuck, before the connection counts as lost: 1.5 keep-alive intervals, as
/// the broker judges the client [MQTT-3.1.2-24 in 3.1.1, MQTT-3.1.2-22 in 5].
fn lost_after(keep_alive: u16) -> Duration {
    Duration::from_secs(u64::from(keep_alive)).mul_f32(1.5)
}
