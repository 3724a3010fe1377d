//! The async MQTT client: connects, publishes, subscribes, keeps the connection
//! alive and ends it in any of the ways a real device does.
//!
//! One task drives everything: there is no background task and no channel. A
//! caller queues work ([`Client::publish`], [`Client::ack`]) and pulls what
//! happens with [`Client::next_event`], which is cancel safe, so it can sit in a
//! `tokio::select!` beside the caller's own input.
//!
//! Layout:
//! - `transport`: the byte stream (TCP, maybe through a SOCKS5 proxy, or a
//!   Unix socket; TLS and WebSocket on top)
//! - `handshake`: CONNECT and CONNACK, the fallback to 3.1.1, and what the
//!   CONNACK allows
//! - `connection`: read and write buffers around the codec
//! - `buffer`: those buffers, sized by the traffic: small while idle
//! - `session`: packet ids, in-flight window, topic aliases; no I/O
//! - `options`: what to connect to and how, and the CONNECT it makes
//! - `redirect`: following a broker's Server Reference elsewhere
//! - `error`: what can go wrong
//! - `notice`: what the client tells the caller's sink: redirects, warnings
//! - `trace`: the `-d` packet log, told as notices

mod buffer;
mod connection;
mod error;
mod handshake;
mod notice;
mod options;
mod redirect;
mod session;
mod trace;
mod transport;

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use crate::codec::{
    Ack, AckKind, ConnAck, Disconnect, Packet, Properties, PropertyValues, Protocol, Publish, QoS,
    ReasonCode, SubAck, Subscribe, Subscription, UnsubAck, Unsubscribe,
};
use connection::Connection;
pub use error::{verdict, ClientError, Disallowed, Violation};
use handshake::{broker_limits, handshake, in_flight_window, new_session, Established};
pub use notice::{Notice, Notices, Warning};
pub use options::Options;
pub use redirect::Redirect;
pub use session::AliasError;
use session::{Progress, Session};
pub use transport::{
    BrokerUrl, HttpStatus, PemContent, Proxy, Route, Scheme, Shortfall, TlsCause, TlsInfo,
    TlsOptions, TlsSetupError, TlsVersion, Trusted, WebSocketFailure, WebSocketOptions,
    DEFAULT_WEBSOCKET_PATH,
};

/// Queued bytes above which a publish waits for the socket before queueing more.
const WRITE_HIGH_WATER: usize = 256 * 1024;

/// How long the client waits for the broker to close after DISCONNECT before
/// closing itself: the close is the client's to make [MQTT 3.1.1 and 5.0 §3.14.4].
const CLOSE_LINGER: Duration = Duration::from_millis(100);

/// The longest wait, before DISCONNECT, for acknowledgement flows already begun.
const SETTLE_GRACE: Duration = Duration::from_secs(1);

/// How long a DISCONNECT that reports a protocol error may take to leave.
const FAREWELL: Duration = Duration::from_millis(250);

/// How many resumed sessions in a row may lose their connection before the
/// broker acknowledges anything, before the session is given up for a new
/// one: a broker that cannot resume it (it closes the connection at the
/// messages sent again) would otherwise be tried for ever.
const FRUITLESS_RESUMES: u32 = 3;

/// Something that happened on the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message arrived. QoS 1 and 2 messages are acknowledged only when the
    /// caller passes them to [`Client::ack`], after handling them.
    Message(Publish),
    /// One of our QoS 1/2 publishes is settled, successfully or not.
    Published {
        packet_id: u16,
        reason: ReasonCode,
        reason_string: Option<String>,
    },
    /// The answer to a SUBSCRIBE.
    Subscribed(SubAck),
    /// The answer to an UNSUBSCRIBE.
    Unsubscribed(UnsubAck),
    /// A PINGRESP arrived.
    Pong,
}

/// How a connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// DISCONNECT, after which the broker discards the will.
    Disconnect,
    /// DISCONNECT with reason 0x04 (MQTT 5): the broker publishes the will.
    DisconnectWithWill,
    /// Close the socket without DISCONNECT (TCP FIN): the broker publishes the will.
    Close,
    /// Reset the socket (TCP RST), as a device whose network vanished.
    Reset,
    /// Send nothing more, PINGREQ included, with the socket open, until the
    /// broker gives up on the connection (after 1.5 times the keep alive).
    Silent,
}

/// What the broker allows, from its CONNACK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerLimits {
    pub maximum_qos: QoS,
    pub retain_available: bool,
    pub maximum_packet_size: Option<u32>,
    pub receive_maximum: u16,
    pub keep_alive: u16,
}

/// How long connecting took, phase by phase, and to which address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTimes {
    /// The address connected to, or the Unix socket's path.
    pub peer: String,
    /// Resolving the host name.
    pub resolve: Duration,
    /// The TCP handshake (to the proxy, with one).
    pub tcp: Duration,
    /// The SOCKS5 handshake through `--proxy`.
    pub proxy: Option<Duration>,
    /// The TLS handshake and what it agreed on.
    pub tls: Option<(Duration, TlsInfo)>,
    /// The WebSocket upgrade.
    pub websocket: Option<Duration>,
    /// From CONNECT sent to CONNACK received.
    pub connack: Duration,
}

/// What became of the session when the client connected again.
#[derive(Debug, Default)]
pub struct Resumption {
    /// The broker kept the session.
    pub session_present: bool,
    /// Messages sent again with DUP in the kept session.
    pub resent: usize,
    /// The broker lost the session, or the client gave it up: the QoS 1/2
    /// messages not fully acknowledged, in order, not sent again.
    pub unfinished: Vec<Publish>,
    /// The client started a new session because the broker closed every
    /// connection that resumed the old one before acknowledging anything.
    pub gave_up_session: bool,
}

/// A connected MQTT client.
pub struct Client {
    conn: Connection,
    session: Session,
    events: VecDeque<Event>,
    connack: ConnAck,
    limits: BrokerLimits,
    client_id: String,
    /// The host and port connected to: the options', or where a broker
    /// redirected the client.
    broker: (String, u16),
    /// When a packet was last queued: keep alive counts from here.
    last_sent: Instant,
    /// When a PINGREQ went out with no packet received since.
    ping_sent: Option<Instant>,
    /// QoS 0 messages queued on this connection, and how many of them the
    /// broker has surely read: those queued before a PINGREQ it answered.
    qos0_queued: u64,
    qos0_before_ping: u64,
    qos0_confirmed: u64,
    /// MQTT 5: a clean DISCONNECT ends the session (Session Expiry 0), which
    /// was kept only to survive a lost connection.
    expire_on_disconnect: bool,
    /// Resumed sessions in a row whose connection was lost before any of
    /// our messages was acknowledged; `resume_unproven` while the latest is
    /// still waiting for its first acknowledgement.
    fruitless_resumes: u32,
    resume_unproven: bool,
    /// Reconnect attempts given up after their CONNECT was sent: each may
    /// still reach the broker once the path heals, and take the session
    /// over from the connection made since.
    abandoned_connects: u32,
    /// Wakes the client for keep alive. It is set once and moved only when it
    /// fires early, not at every packet: a busy connection would otherwise
    /// register a new timer for every read and write.
    keep_alive_timer: Option<Pin<Box<Sleep>>>,
    /// How long to wait for the broker's answer (see [`Options::response_timeout`]).
    response_timeout: Duration,
    /// An error found while decoding without I/O, returned by the next call
    /// that drives I/O: what was whole before it is handed out first.
    failure: Option<ClientError>,
    /// The most events ever queued at once, to show the queue stays bounded.
    peak_queued_events: usize,
    times: ConnectTimes,
}

impl Client {
    /// Connects and waits for the CONNACK, falling back from MQTT 5 to 3.1.1
    /// when the broker refuses version 5 (or ignores it) and no version was
    /// pinned.
    pub async fn connect(options: &Options) -> Result<Client, ClientError> {
        let (
            Established {
                conn,
                connack,
                times,
            },
            broker,
        ) = establish(options).await?;
        let limits = broker_limits(options, &connack);
        let session = new_session(options, &limits, conn.protocol());
        let client_id = connack
            .properties
            .assigned_client_identifier
            .clone()
            .unwrap_or_else(|| options.client_id.clone());
        Ok(Client {
            conn,
            session,
            events: VecDeque::new(),
            connack,
            limits,
            client_id,
            broker,
            last_sent: Instant::now(),
            ping_sent: None,
            qos0_queued: 0,
            qos0_before_ping: 0,
            qos0_confirmed: 0,
            expire_on_disconnect: options.expire_on_disconnect,
            fruitless_resumes: 0,
            resume_unproven: false,
            abandoned_connects: 0,
            keep_alive_timer: None,
            response_timeout: options.response_timeout,
            failure: None,
            peak_queued_events: 0,
            times,
        })
    }

    /// Connects again after the connection was lost, in the protocol version
    /// and with the client identifier in use. Events not yet taken are kept.
    ///
    /// An MQTT 5 session that outlives its connection (a session expiry) is
    /// resumed rather than started clean. When the broker kept it, the
    /// session goes on: unacknowledged messages are sent again, with DUP, in
    /// order, and incoming QoS 2 messages are not delivered twice. When it did
    /// not, the session starts anew and the unfinished messages are handed
    /// back, for the caller to publish again as new ones, or not; so they are
    /// when the broker closed [`FRUITLESS_RESUMES`] connections in a row that
    /// resumed the session before acknowledging anything.
    pub async fn reconnect(&mut self, options: &Options) -> Result<Resumption, ClientError> {
        let protocol = self.protocol();
        if std::mem::take(&mut self.resume_unproven) {
            self.fruitless_resumes += 1;
        }
        let give_up_session = self.fruitless_resumes >= FRUITLESS_RESUMES;
        let outlives_connection = !give_up_session
            && protocol.is_v5()
            && self
                .connack
                .properties
                .session_expiry_interval
                .or(options.session_expiry)
                .is_some_and(|s| s > 0);
        let options = Options {
            host: self.broker.0.clone(),
            port: self.broker.1,
            protocol: Some(protocol),
            client_id: self.client_id.clone(),
            clean_start: give_up_session || (options.clean_start && !outlives_connection),
            ..options.clone()
        };
        let established = establish(&options).await;
        if let Err(ClientError::NoConnAck { .. }) = established {
            self.abandoned_connects += 1;
        }
        let (
            Established {
                conn,
                connack,
                times,
            },
            broker,
        ) = established?;
        self.broker = broker;
        let limits = broker_limits(&options, &connack);
        let window = in_flight_window(&options, &limits, conn.protocol());
        let mut resumption = Resumption {
            session_present: connack.session_present,
            gave_up_session: give_up_session,
            ..Resumption::default()
        };
        let resend = if connack.session_present {
            self.session.resume(window)
        } else {
            resumption.unfinished = self.session.take_unfinished();
            self.session = new_session(&options, &limits, conn.protocol());
            self.fruitless_resumes = 0;
            Vec::new()
        };
        self.resume_unproven = !resend.is_empty();
        self.conn = conn;
        self.connack = connack;
        self.limits = limits;
        self.times = times;
        self.failure = None;
        self.ping_sent = None;
        self.last_sent = Instant::now();
        self.qos0_queued = 0;
        self.qos0_before_ping = 0;
        self.qos0_confirmed = 0;
        for packet in &resend {
            self.send(packet)?;
            resumption.resent += usize::from(matches!(packet, Packet::Publish(_)));
        }
        Ok(resumption)
    }

    /// How long connecting took, and to which address.
    pub fn connect_times(&self) -> &ConnectTimes {
        &self.times
    }

    /// The protocol version in use.
    pub fn protocol(&self) -> Protocol {
        self.conn.protocol()
    }

    /// The broker's CONNACK.
    pub fn connack(&self) -> &ConnAck {
        &self.connack
    }

    /// What the broker allows.
    pub fn limits(&self) -> &BrokerLimits {
        &self.limits
    }

    /// The client identifier in use: ours, or the one the broker assigned.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// QoS 1/2 publishes sent and not yet settled.
    pub fn publishes_in_flight(&self) -> usize {
        self.session.publishes_in_flight()
    }

    /// The most events that were ever queued, waiting to be taken: a caller
    /// that takes them as it goes keeps this near the in-flight window.
    pub fn peak_queued_events(&self) -> usize {
        self.peak_queued_events
    }

    /// Bytes queued and not yet written: a caller that batches flushes when
    /// this is large, and counts a message as sent only once it is written.
    pub fn pending_write(&self) -> usize {
        self.conn.pending_write()
    }

    /// Whether a QoS 1/2 publish would be sent without waiting for the window.
    pub fn has_room(&self) -> bool {
        self.session.has_room()
    }

    /// Whether a message of `qos` can be queued at once: the write buffer is
    /// below its high-water mark and, for QoS 1/2, the broker's Receive
    /// Maximum window has room.
    pub fn can_queue(&self, qos: QoS) -> bool {
        self.conn.pending_write() <= WRITE_HIGH_WATER
            && (qos == QoS::AtMostOnce || self.session.has_room())
    }

    /// Drives I/O until a message of `qos` can be queued at once; events that
    /// arrive meanwhile are kept for [`next_event`](Self::next_event).
    pub async fn ready(&mut self, qos: QoS) -> Result<(), ClientError> {
        while !self.can_queue(qos) {
            let writing = self.conn.pending_write() > WRITE_HIGH_WATER;
            self.step(writing).await?;
        }
        Ok(())
    }

    /// Queues a message and returns its packet id (0 for QoS 0); the caller
    /// made sure [`can_queue`](Self::can_queue). Once queued, a QoS 1/2
    /// message is the session's: it is sent again after a reconnect until it
    /// is acknowledged. It leaves the next time the client drives I/O: call
    /// [`flush`](Self::flush) to send it now.
    pub fn queue_publish(&mut self, mut message: Publish) -> Result<u16, ClientError> {
        self.check_publish(&message)?;
        if message.qos == QoS::AtMostOnce {
            self.qos0_queued += 1;
        } else {
            if !self.session.has_room() {
                return Err(ClientError::NotAllowed(Disallowed::InFlightWindowFull));
            }
            self.session.number_publish(&mut message);
        }
        let packet_id = message.packet_id;
        let packet = Packet::Publish(message);
        self.send(&packet)?;
        // The session keeps what it may have to send again.
        if let Packet::Publish(message) = packet {
            if message.qos != QoS::AtMostOnce {
                self.session.keep_publish(message);
            }
        }
        Ok(packet_id)
    }

    /// Waits for room, then queues a message: [`ready`](Self::ready) and
    /// [`queue_publish`](Self::queue_publish) in one.
    pub async fn publish(&mut self, message: Publish) -> Result<u16, ClientError> {
        self.ready(message.qos).await?;
        self.queue_publish(message)
    }

    /// QoS 0 messages queued on this connection that the broker may not have
    /// read: those after the last PINGREQ it answered. When the connection
    /// is lost, nobody can know whether they arrived.
    pub fn unconfirmed_qos0(&self) -> u64 {
        self.qos0_queued - self.qos0_confirmed
    }

    /// Publishes a message and waits, within the response timeout, until it
    /// is settled: the broker's verdict (success at once for QoS 0, once
    /// written). Other events are kept for [`next_event`](Self::next_event).
    pub async fn publish_and_settle(
        &mut self,
        message: Publish,
    ) -> Result<(ReasonCode, Option<String>), ClientError> {
        let qos = message.qos;
        let packet_id = self.publish(message).await?;
        if qos == QoS::AtMostOnce {
            self.flush().await?;
            return Ok((ReasonCode::SUCCESS, None));
        }
        let answer = match qos {
            QoS::ExactlyOnce => "PUBCOMP",
            _ => "PUBACK",
        };
        self.wait_for(answer, |event| match event {
            Event::Published {
                packet_id: id,
                reason,
                reason_string,
            } if *id == packet_id => Some((*reason, reason_string.clone())),
            _ => None,
        })
        .await
    }

    /// Refuses a message the broker said it would not take.
    fn check_publish(&self, message: &Publish) -> Result<(), ClientError> {
        if message.qos > self.limits.maximum_qos {
            return Err(ClientError::NotAllowed(Disallowed::QosAbove {
                maximum: self.limits.maximum_qos,
            }));
        }
        if message.retain && !self.limits.retain_available {
            return Err(ClientError::NotAllowed(Disallowed::Retain));
        }
        if let Some(maximum) = self.limits.maximum_packet_size {
            let size = message.encoded_len(self.protocol());
            if size > maximum as usize {
                return Err(ClientError::NotAllowed(Disallowed::PacketSize {
                    size,
                    maximum,
                }));
            }
        }
        Ok(())
    }

    /// Subscribes and waits for the SUBACK; messages arriving meanwhile are kept.
    pub async fn subscribe(
        &mut self,
        subscriptions: Vec<Subscription>,
        properties: Properties,
    ) -> Result<SubAck, ClientError> {
        let packet_id = self.session.start_subscribe();
        let count = subscriptions.len();
        self.send(&Packet::Subscribe(Subscribe {
            packet_id,
            subscriptions,
            properties,
        }))?;
        let suback = self
            .wait_for("SUBACK", |event| match event {
                Event::Subscribed(a) if a.packet_id == packet_id => Some(a.clone()),
                _ => None,
            })
            .await?;
        if suback.reasons.len() != count {
            return Err(ClientError::Protocol(Violation::SubAckCount {
                reasons: suback.reasons.len(),
                filters: count,
            }));
        }
        Ok(suback)
    }

    /// Unsubscribes and waits for the UNSUBACK.
    pub async fn unsubscribe(&mut self, filters: Vec<String>) -> Result<UnsubAck, ClientError> {
        let packet_id = self.session.start_unsubscribe();
        self.send(&Packet::Unsubscribe(Unsubscribe {
            packet_id,
            filters,
            properties: Properties::default(),
        }))?;
        self.wait_for("UNSUBACK", |event| match event {
            Event::Unsubscribed(a) if a.packet_id == packet_id => Some(a.clone()),
            _ => None,
        })
        .await
    }

    /// Drives I/O until `pick` accepts an event, the answer `packet`, within
    /// the response timeout; other events are kept, in order, for
    /// [`next_event`](Self::next_event).
    async fn wait_for<T>(
        &mut self,
        packet: &'static str,
        pick: impl Fn(&Event) -> Option<T>,
    ) -> Result<T, ClientError> {
        let after = self.response_timeout;
        tokio::time::timeout(after, self.wait_for_event(pick))
            .await
            .map_err(|_| ClientError::NoResponse { packet, after })?
    }

    async fn wait_for_event<T>(
        &mut self,
        pick: impl Fn(&Event) -> Option<T>,
    ) -> Result<T, ClientError> {
        let mut seen = self.events.len();
        loop {
            let mut found = self.events.iter().enumerate().skip(seen);
            if let Some((i, value)) = found.find_map(|(i, e)| pick(e).map(|v| (i, v))) {
                self.events.remove(i);
                return Ok(value);
            }
            seen = self.events.len();
            self.step(false).await?;
        }
    }

    /// Acknowledges a received QoS 1/2 message, once the caller has handled it.
    pub fn ack(&mut self, message: &Publish) -> Result<(), ClientError> {
        match message.qos {
            QoS::AtMostOnce => Ok(()),
            QoS::AtLeastOnce => self.send(&Packet::PubAck(Ack::new(
                AckKind::PubAck,
                message.packet_id,
            ))),
            QoS::ExactlyOnce => {
                self.session.receive_qos2(message.packet_id);
                self.send(&Packet::PubRec(Ack::new(
                    AckKind::PubRec,
                    message.packet_id,
                )))
            }
        }
    }

    /// Sends a PINGREQ now; its PINGRESP arrives as [`Event::Pong`].
    pub fn ping(&mut self) -> Result<(), ClientError> {
        self.send(&Packet::PingReq)?;
        self.qos0_before_ping = self.qos0_queued;
        self.ping_sent.get_or_insert(Instant::now());
        Ok(())
    }

    /// Writes everything queued, while still reading what arrives.
    pub async fn flush(&mut self) -> Result<(), ClientError> {
        while self.conn.pending_write() > 0 {
            self.step(true).await?;
        }
        Ok(())
    }

    /// The next event, driving I/O and keep alive until there is one.
    ///
    /// Cancel safe: dropping the future loses nothing.
    pub async fn next_event(&mut self) -> Result<Event, ClientError> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(event);
            }
            self.step(false).await?;
        }
    }

    /// An event that needs no I/O: one already queued or decodable from bytes
    /// already read. Lets a caller batch work before it flushes.
    ///
    /// A broken packet is not an error here: the events before it come out
    /// first, and the next call that drives I/O returns the error.
    pub fn try_next_event(&mut self) -> Option<Event> {
        while self.events.is_empty() && self.failure.is_none() {
            match self.conn.decode() {
                Ok(Some(packet)) => {
                    if let Err(error) = self.handle(packet) {
                        self.fail(error);
                    }
                }
                Ok(None) => break,
                Err(error) => self.fail(error),
            }
        }
        self.events.pop_front()
    }

    /// One unit of progress: handle a buffered packet, or move bytes (until
    /// everything queued is written, with `until_written`) while keeping the
    /// connection alive.
    ///
    /// On a protocol error the broker is told why (MQTT 5.0 §4.13.1) before the
    /// error is returned. Cancel safe: the error waits for the next call.
    async fn step(&mut self, until_written: bool) -> Result<(), ClientError> {
        if self.failure.is_none() {
            match self.drive(until_written).await {
                Ok(()) => return Ok(()),
                Err(error) => self.fail(error),
            }
        }
        // The connection is over; let what is queued, the DISCONNECT last, leave.
        let _ = tokio::time::timeout(FAREWELL, self.conn.flush()).await;
        match self.failure.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Records the error that ends the connection, and queues the MQTT 5
    /// DISCONNECT that names a malformed packet or a protocol error.
    fn fail(&mut self, error: ClientError) {
        let reason = match &error {
            ClientError::Malformed(_) => ReasonCode::MALFORMED_PACKET,
            ClientError::Protocol(_) => ReasonCode::PROTOCOL_ERROR,
            _ => ReasonCode::SUCCESS,
        };
        if reason.is_error() && self.protocol().is_v5() {
            let _ = self.send(&Packet::Disconnect(Disconnect {
                reason,
                properties: Properties::default(),
            }));
        }
        self.failure.get_or_insert(error);
    }

    async fn drive(&mut self, until_written: bool) -> Result<(), ClientError> {
        if let Some(packet) = self.conn.decode()? {
            return self.handle(packet);
        }
        let Some(deadline) = self.keep_alive_deadline() else {
            return self.conn.transfer(until_written).await;
        };
        let timer = self
            .keep_alive_timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() > deadline {
            timer.as_mut().reset(deadline);
        }
        tokio::select! {
            result = self.conn.transfer(until_written) => result,
            _ = timer.as_mut() => self.keep_alive(),
        }
    }

    /// Keep alive's turn, when its timer fires: a PINGREQ when one is due,
    /// the end of the connection when the broker has been silent too long.
    fn keep_alive(&mut self) -> Result<(), ClientError> {
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
    fn keep_alive_deadline(&self) -> Option<Instant> {
        let interval = Duration::from_secs(u64::from(self.limits.keep_alive));
        if interval.is_zero() {
            return None;
        }
        let heard = self.conn.last_read();
        let limit = lost_after(self.limits.keep_alive);
        let due = match self.ping_sent {
            Some(_) => heard + limit,
            None => self.last_sent.min(heard) + interval,
        };
        Some(match self.conn.write_blocked_since() {
            Some(blocked) => due.min(blocked + limit),
            None => due,
        })
    }

    fn emit(&mut self, event: Event) {
        self.events.push_back(event);
        self.peak_queued_events = self.peak_queued_events.max(self.events.len());
    }

    /// Applies one incoming packet: answers what needs answering and turns the
    /// rest into events.
    fn handle(&mut self, packet: Packet) -> Result<(), ClientError> {
        self.ping_sent = None;
        match packet {
            Packet::Publish(mut publish) => {
                self.session
                    .resolve_alias(&mut publish)
                    .map_err(|e| ClientError::Protocol(Violation::TopicAlias(e)))?;
                if publish.qos == QoS::ExactlyOnce
                    && self.session.is_receiving_qos2(publish.packet_id)
                {
                    // Already received and answered: answer again, hand out once.
                    return self.send(&Packet::PubRec(Ack::new(
                        AckKind::PubRec,
                        publish.packet_id,
                    )));
                }
                self.emit(Event::Message(publish));
            }
            Packet::PubAck(ack) | Packet::PubRec(ack) | Packet::PubComp(ack) => {
                self.resume_unproven = false;
                self.fruitless_resumes = 0;
                match self.session.on_ack(&ack) {
                    Progress::Done(reason, reason_string) => self.emit(Event::Published {
                        packet_id: ack.packet_id,
                        reason,
                        reason_string,
                    }),
                    Progress::Release(packet_id) => {
                        self.send(&Packet::PubRel(Ack::new(AckKind::PubRel, packet_id)))?
                    }
                    Progress::Unknown => {
                        return Err(ClientError::Protocol(Violation::NotAwaited {
                            packet: ack.kind.name(),
                            packet_id: ack.packet_id,
                        }))
                    }
                }
            }
            Packet::PubRel(ack) => {
                let pubcomp = self.session.on_pubrel(ack.packet_id);
                self.send(&Packet::PubComp(pubcomp))?;
            }
            Packet::SubAck(suback) => {
                if !self.session.finish_request(suback.packet_id, true) {
                    return Err(unexpected("SUBACK", suback.packet_id));
                }
                self.emit(Event::Subscribed(suback));
            }
            Packet::UnsubAck(unsuback) => {
                if !self.session.finish_request(unsuback.packet_id, false) {
                    return Err(unexpected("UNSUBACK", unsuback.packet_id));
                }
                self.emit(Event::Unsubscribed(unsuback));
            }
            Packet::PingResp => {
                self.qos0_confirmed = self.qos0_before_ping;
                self.emit(Event::Pong)
            }
            Packet::Disconnect(disconnect) => {
                if disconnect.reason == ReasonCode::SESSION_TAKEN_OVER
                    && self.abandoned_connects > 0
                {
                    self.abandoned_connects -= 1;
                    return Err(ClientError::TakenOverByOwnAttempt);
                }
                let properties = disconnect.properties.into_values();
                let error = ClientError::Disconnected {
                    reason: disconnect.reason,
                    reason_string: properties.reason_string,
                    server_reference: properties.server_reference,
                };
                if let Some(to) = redirect::redirect(&error, self.broker.1) {
                    self.broker = (to.host, to.port);
                }
                return Err(error);
            }
            other @ (Packet::Connect(_)
            | Packet::ConnAck(_)
            | Packet::Subscribe(_)
            | Packet::Unsubscribe(_)
            | Packet::PingReq
            | Packet::Auth(_)) => {
                return Err(ClientError::Protocol(Violation::Unexpected {
                    packet: other.name(),
                }))
            }
        }
        Ok(())
    }

    fn send(&mut self, packet: &Packet) -> Result<(), ClientError> {
        self.conn.queue(packet)?;
        self.last_sent = Instant::now();
        Ok(())
    }

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
            Ending::Silent => {
                self.conn.flush().await?;
                let keep_alive = self.limits.keep_alive;
                let limit = silent_limit(keep_alive);
                return match tokio::time::timeout(limit, self.conn.drain_until_closed()).await {
                    Ok(Err(ClientError::Io(e))) if e.kind() == io::ErrorKind::ConnectionReset => {
                        Ok(())
                    }
                    Ok(result) => result,
                    Err(_) => Err(ClientError::NotAllowed(Disallowed::SilenceOutlasted {
                        waited: limit,
                        keep_alive,
                    })),
                };
            }
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

/// Handshakes with the broker of `options`, or with the one it redirects
/// to, hop by hop; returns the connection and the host and port it reached.
async fn establish(options: &Options) -> Result<(Established, (String, u16)), ClientError> {
    let mut options = std::borrow::Cow::Borrowed(options);
    let mut hops = 0;
    loop {
        let error = match handshake(&options).await {
            Ok(established) => return Ok((established, (options.host.clone(), options.port))),
            Err(error) => error,
        };
        let Some(to) = redirect::redirect(&error, options.port) else {
            return Err(error);
        };
        if hops == redirect::MAX_HOPS {
            return Err(ClientError::TooManyRedirects {
                hops,
                to: to.to_string(),
            });
        }
        hops += 1;
        options.notices.tell(Notice::Redirected {
            from: (options.host.clone(), options.port),
            to: to.clone(),
        });
        let options = options.to_mut();
        options.host = to.host;
        options.port = to.port;
    }
}

/// How long the broker may be silent, a PINGREQ unanswered, or a write stay
/// stuck, before the connection counts as lost: 1.5 keep-alive intervals, as
/// the broker judges the client [MQTT-3.1.2-24 in 3.1.1, MQTT-3.1.2-22 in 5].
fn lost_after(keep_alive: u16) -> Duration {
    Duration::from_secs(u64::from(keep_alive)).mul_f32(1.5)
}

/// How long a silent client waits for the broker to close: it must after 1.5
/// times the keep alive [MQTT-3.1.2-24 in 3.1.1, MQTT-3.1.2-22 in 5], and
/// brokers that look only every few seconds (mosquitto 2.0: every 5 s) get
/// twice the keep alive and 10 s more.
pub fn silent_limit(keep_alive: u16) -> Duration {
    Duration::from_secs(2 * u64::from(keep_alive) + 10)
}

fn unexpected(packet: &'static str, packet_id: u16) -> ClientError {
    ClientError::Protocol(Violation::NotSent { packet, packet_id })
}
