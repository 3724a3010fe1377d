//! The subcommands. Each turns its parsed arguments into a plan of plain
//! settings first (validation and defaults in one place), then runs it against
//! the client. Commands never touch bytes on the wire.

pub mod bench;
pub mod broker;
pub mod ping;
pub mod publish;
pub mod reconnect;
pub mod subscribe;
pub mod will;

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use anyhow::{bail, Context as _};
use bytes::Bytes;

use crate::cli::{
    ConnectionArgs, End, EndingArgs, MessagePropertyArgs, PayloadFormat, ProtocolVersion,
    SessionArgs, StatusArgs, TlsArgs, TlsVersionArg,
};
use crate::client::{
    verdict, warn, BrokerUrl, Client, ClientError, Ending, Options, Proxy, Route, Scheme,
    TlsOptions, TlsVersion, WebSocketOptions, DEFAULT_WEBSOCKET_PATH,
};
use crate::codec::{topic, ByteString, Properties, PropertyValues, Protocol, Publish, QoS, Will};

/// A mistake on the command line found after parsing: exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Fails with a usage error.
pub fn usage<T>(message: impl Into<String>) -> anyhow::Result<T> {
    Err(UsageError(message.into()).into())
}

/// Checks a topic name given on the command line.
pub fn check_topic_name(name: &str, flag: &str) -> anyhow::Result<()> {
    topic::validate_name(name).or_else(|e| usage(format!("invalid topic for {flag}: {e}")))
}

/// Checks a topic filter given on the command line.
pub fn check_topic_filter(filter: &str, flag: &str) -> anyhow::Result<()> {
    topic::validate_filter(filter)
        .or_else(|e| usage(format!("invalid topic filter for {flag}: {e}")))
}

/// Connects as `options` say; a broker that refuses the pinned protocol
/// version gets a hint at the flag that pinned it.
pub async fn connect(options: &Options) -> anyhow::Result<Client> {
    match Client::connect(options).await {
        Ok(client) => Ok(client),
        Err(e) if options.protocol.is_some() && e.is_unsupported_version() => {
            let other = match options.protocol {
                Some(Protocol::V5) => "3.1.1",
                _ => "5",
            };
            let hint = format!("leave -V out or use -V {other}");
            Err(Hinted { error: e, hint }.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// How a command's connection begins and ends: its `--status` announcements
/// and its `--end`.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    end: End,
    status: Option<Status>,
}

/// The `--status` announcements, resolved.
#[derive(Debug, Clone)]
struct Status {
    topic: ByteString,
    online: Bytes,
    offline: Bytes,
    qos: QoS,
}

impl Status {
    fn announcement(&self, payload: &Bytes) -> Publish {
        Publish {
            qos: self.qos,
            retain: true,
            topic: self.topic.clone(),
            payload: payload.clone(),
            ..Publish::default()
        }
    }
}

impl Lifecycle {
    /// Resolves `--end` and `--status`; the status sets the will in `options`.
    pub fn new(
        ending: &EndingArgs,
        status: &StatusArgs,
        options: &mut Options,
    ) -> anyhow::Result<Lifecycle> {
        let end = ending.end();
        check_end(end, options)?;
        let status = match &status.status {
            None => None,
            Some(topic) => {
                check_topic_name(topic, "--status")?;
                let status = Status {
                    topic: topic.as_str().into(),
                    online: Bytes::from(status.status_online.clone()),
                    offline: Bytes::from(status.status_offline.clone()),
                    qos: qos(status.status_qos),
                };
                let offline = status.announcement(&status.offline);
                options.will = Some(Will {
                    topic: offline.topic.into(),
                    payload: offline.payload,
                    qos: offline.qos,
                    retain: true,
                    properties: Properties::default(),
                });
                Some(status)
            }
        };
        Ok(Lifecycle { end, status })
    }

    /// Connects and announces the client online.
    pub async fn connect(&self, options: &Options) -> anyhow::Result<Client> {
        let mut client = connect(options).await?;
        if self.end == End::DisconnectWithWill {
            require_v5(&client, "--end disconnect-with-will")?;
        }
        self.announce_online(&mut client).await?;
        Ok(client)
    }

    /// Announces the client online, as after every (re)connection.
    pub async fn announce_online(&self, client: &mut Client) -> anyhow::Result<()> {
        match &self.status {
            Some(status) => announce(client, status.announcement(&status.online)).await,
            None => Ok(()),
        }
    }

    /// Ends the connection as `--end` says; a clean end announces the client
    /// offline first, which its will would have said otherwise.
    pub async fn end(&self, mut client: Client, options: &Options) -> anyhow::Result<()> {
        let Some(ending) = client_ending(self.end) else {
            let successor = take_over(client, options).await?;
            return Ok(successor.end(Ending::Disconnect).await?);
        };
        if let (Ending::Disconnect, Some(status)) = (ending, &self.status) {
            announce(&mut client, status.announcement(&status.offline)).await?;
        }
        Ok(client.end(ending).await?)
    }
}

/// The client's ending for `--end`; `None` for a takeover, which takes a
/// second connection.
fn client_ending(end: End) -> Option<Ending> {
    match end {
        End::Disconnect => Some(Ending::Disconnect),
        End::DisconnectWithWill => Some(Ending::DisconnectWithWill),
        End::Close => Some(Ending::Close),
        End::Reset => Some(Ending::Reset),
        End::Silent => Some(Ending::Silent),
        End::Takeover => None,
    }
}

/// Refuses an ending the connection options cannot have.
fn check_end(end: End, options: &Options) -> anyhow::Result<()> {
    if end == End::DisconnectWithWill && options.protocol.is_some_and(|p| !p.is_v5()) {
        return usage("--end disconnect-with-will needs MQTT 5 (-V 5)");
    }
    if end == End::Silent && options.keep_alive == 0 {
        return usage("--end silent needs a keep alive (-k) for the broker to give up on");
    }
    Ok(())
}

/// Publishes a status announcement and waits for the broker to accept it.
async fn announce(client: &mut Client, message: Publish) -> anyhow::Result<()> {
    let topic = message.topic.clone();
    let (reason, reason_string) = client.publish_and_settle(message).await?;
    if reason.is_error() {
        bail!(
            "the broker refused the status on {topic:?}: {}",
            verdict(reason, reason_string.as_deref())
        );
    }
    Ok(())
}

/// Takes a connection over by connecting again with its client identifier:
/// waits until the broker has closed the first (MQTT 5: DISCONNECT 0x8E,
/// session taken over), and returns the second, without a will.
pub async fn take_over(mut client: Client, options: &Options) -> anyhow::Result<Client> {
    let successor_options = Options {
        client_id: client.client_id().to_string(),
        will: None,
        ..options.clone()
    };
    let successor = connect(&successor_options).await?;
    let closed = async { while client.next_event().await.is_ok() {} };
    if tokio::time::timeout(options.response_timeout, closed)
        .await
        .is_err()
    {
        bail!(
            "the broker kept the first connection open after a second one took its client \
             identifier over"
        );
    }
    Ok(successor)
}

/// Fails unless the connection speaks MQTT 5, which `what` needs.
pub fn require_v5(client: &Client, what: &str) -> anyhow::Result<()> {
    let protocol = client.protocol();
    if !protocol.is_v5() {
        anyhow::bail!("{what} needs MQTT 5, and the broker speaks MQTT {protocol}");
    }
    Ok(())
}

/// Milliseconds to the microsecond, for the JSON reports.
pub fn json_ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e6).round() / 1e3
}

/// The QoS for a number clap has already range-checked.
pub fn qos(value: u8) -> QoS {
    QoS::from_u8(value).unwrap_or(QoS::AtMostOnce)
}

/// Client options from the shared connection flags and, where the command has
/// them, the session flags. A URL (`-L`) must name no topic.
pub fn client_options(
    connection: &ConnectionArgs,
    session: Option<&SessionArgs>,
) -> anyhow::Result<Options> {
    match client_options_with_topic(connection, session)? {
        (options, None) => Ok(options),
        (_, Some(_)) => usage("this command takes no topic in its URL (-L)"),
    }
}

/// Client options as [`client_options`] makes them, and the topic a URL
/// (`-L`) names, for the commands that take one.
pub fn client_options_with_topic(
    connection: &ConnectionArgs,
    session: Option<&SessionArgs>,
) -> anyhow::Result<(Options, Option<String>)> {
    let url = match &connection.url {
        Some(text) => {
            Some(BrokerUrl::parse(text).or_else(|e| usage(format!("invalid URL for -L: {e}")))?)
        }
        None => None,
    };
    if url.as_ref().is_some_and(|u| u.password.is_some()) {
        warn(
            "a password in -L is visible to other users in ps; --pw-file and MQTK_PASSWORD \
             keep it out of sight",
        );
    }
    let tls = url.as_ref().is_some_and(|u| u.scheme.is_tls()) || connection.tls.wanted();
    let websocket = websocket_options(connection, url.as_ref())?;
    let (host, port) = match &url {
        Some(url) => (url.host.clone(), url.port()),
        None => {
            let scheme = match (tls, websocket.is_some()) {
                (false, false) => Scheme::Mqtt,
                (true, false) => Scheme::Mqtts,
                (false, true) => Scheme::Ws,
                (true, true) => Scheme::Wss,
            };
            let port = connection.port.unwrap_or(scheme.default_port());
            (connection.host.clone(), port)
        }
    };
    let proxy = match &connection.proxy {
        Some(text) => {
            if connection.unix.is_some() {
                return usage("--proxy carries TCP connections only, not --unix");
            }
            let proxy =
                Proxy::parse(text).or_else(|e| usage(format!("invalid URL for --proxy: {e}")))?;
            if proxy.credentials.is_some() {
                warn("the proxy's password in --proxy is visible to other users in ps");
            }
            Some(proxy)
        }
        None => None,
    };
    let username = connection
        .username
        .clone()
        .or_else(|| url.as_ref().and_then(|u| u.username.clone()));
    let url_password = url.as_ref().and_then(|u| u.password.clone());
    let route = Route {
        unix: connection.unix.clone(),
        tls: tls.then(|| tls_options(&connection.tls)),
        websocket,
        proxy,
        source: None,
    };
    let protocol = connection.protocol_version.map(|v| match v {
        ProtocolVersion::V5 => Protocol::V5,
        ProtocolVersion::V311 => Protocol::V311,
        ProtocolVersion::V31 => Protocol::V31,
    });
    let resume = session.is_some_and(|s| s.disable_clean_start);
    let client_id = match (&connection.id, &connection.id_prefix) {
        (Some(id), _) => id.clone(),
        (None, _) if resume => {
            return usage("-c/--disable-clean-start needs a client identifier (-i) to resume")
        }
        (None, Some(prefix)) => format!("{prefix}{}", random_suffix()),
        (None, None) => format!("mqtk-{}", random_suffix()),
    };
    if protocol == Some(Protocol::V31) && client_id.len() > 23 {
        return usage("MQTT 3.1 allows client identifiers of at most 23 characters");
    }
    let session_expiry = match session {
        Some(s) => s.session_expiry.or(resume.then_some(u32::MAX)),
        None => None,
    };
    if !(connection.connect_timeout > 0.0 && connection.connect_timeout.is_finite()) {
        return usage("--connect-timeout must be a positive number of seconds");
    }
    let password = match (&connection.password, &connection.password_file) {
        (_, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the password file {}", path.display()))?;
            Some(Bytes::from(text.lines().next().unwrap_or("").to_owned()))
        }
        (Some(password), None) => Some(Bytes::from(password.clone())),
        (None, None) => url_password.map(Bytes::from),
    };
    if password.is_some() && username.is_none() && protocol != Some(Protocol::V5) {
        return usage("a password needs a user name (-u), except with -V 5");
    }
    let will = will(connection)?;
    let will_properties = will.as_ref().is_some_and(|w| !w.properties.is_empty());
    if will_properties && protocol.is_some_and(|p| !p.is_v5()) {
        return usage("will properties need MQTT 5 (-V 5)");
    }
    let options = Options {
        host,
        port,
        route,
        protocol,
        client_id,
        clean_start: !resume,
        session_expiry,
        keep_alive: connection.keepalive,
        username,
        password,
        will,
        connect_timeout: Duration::from_secs_f64(connection.connect_timeout),
        response_timeout: Duration::from_secs_f64(connection.connect_timeout),
        trace: connection.debug,
        ..Options::default()
    };
    Ok((options, url.and_then(|u| u.topic)))
}

/// WebSocket: on with a ws(s):// URL, `--ws`, `--ws-path` or `--ws-header`.
fn websocket_options(
    connection: &ConnectionArgs,
    url: Option<&BrokerUrl>,
) -> anyhow::Result<Option<WebSocketOptions>> {
    let flags = connection.ws || connection.ws_path.is_some() || !connection.ws_headers.is_empty();
    let url_path = match url {
        Some(url) if url.scheme.is_websocket() => url.websocket_path.clone(),
        Some(_) if flags => {
            return usage("--ws, --ws-path and --ws-header need a ws:// or wss:// URL with -L")
        }
        Some(_) => return Ok(None),
        None if flags => None,
        None => return Ok(None),
    };
    let path = match (url_path, &connection.ws_path) {
        (Some(_), Some(_)) => {
            return usage("give the WebSocket path in the URL or with --ws-path, not both")
        }
        (Some(path), None) => path,
        (None, Some(path)) if !path.starts_with('/') => {
            return usage(format!("--ws-path must start with /, as in /{path}"))
        }
        (None, Some(path)) => path.clone(),
        (None, None) => DEFAULT_WEBSOCKET_PATH.to_string(),
    };
    Ok(Some(WebSocketOptions {
        path,
        headers: connection.ws_headers.clone(),
    }))
}

fn tls_options(args: &TlsArgs) -> TlsOptions {
    // Field by field: the options also hold the rustls settings they make.
    let mut options = TlsOptions::default();
    options.ca_file = args.cafile.clone();
    options.ca_path = args.capath.clone();
    options.cert = args.cert.clone();
    options.key = args.key.clone();
    options.insecure = args.insecure;
    options.min_version = args.tls_version.map(|v| match v {
        TlsVersionArg::V1_2 => TlsVersion::V1_2,
        TlsVersionArg::V1_3 => TlsVersion::V1_3,
    });
    options.alpn = args.alpn.clone();
    options.server_name = args.sni.clone();
    options.keylog = args.tls_keylog.clone();
    options
}

fn will(connection: &ConnectionArgs) -> anyhow::Result<Option<Will>> {
    let args = &connection.will;
    let Some(topic) = &args.will_topic else {
        return Ok(None);
    };
    check_topic_name(topic, "--will-topic")?;
    let properties: Properties = PropertyValues {
        will_delay_interval: args.will_delay,
        message_expiry_interval: args.will_message_expiry,
        content_type: args.will_content_type.clone(),
        user_properties: args.will_user_properties.clone(),
        ..PropertyValues::default()
    }
    .into();
    Ok(Some(Will {
        topic: topic.clone(),
        payload: Bytes::from(args.will_payload.clone().unwrap_or_default()),
        qos: qos(args.will_qos),
        retain: args.will_retain,
        properties,
    }))
}

/// The MQTT 5 properties of a published message.
pub fn message_properties(args: &MessagePropertyArgs) -> anyhow::Result<Properties> {
    if let Some(topic) = &args.response_topic {
        check_topic_name(topic, "--response-topic")?;
    }
    Ok(PropertyValues {
        user_properties: args.user_properties.clone(),
        content_type: args.content_type.clone(),
        message_expiry_interval: args.message_expiry,
        response_topic: args.response_topic.clone(),
        correlation_data: args.correlation_data.clone().map(Bytes::from),
        payload_format_indicator: args.payload_format.map(|f| f == PayloadFormat::Utf8),
        ..PropertyValues::default()
    }
    .into())
}

/// Ten random alphanumerics for a client identifier: std's hasher keys are
/// seeded randomly per process, which is all the randomness this needs.
pub(crate) fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    let mut bits = hasher.finish();
    (0..10)
        .map(|_| {
            let c = ALPHABET[(bits % ALPHABET.len() as u64) as usize];
            bits /= ALPHABET.len() as u64;
            c as char
        })
        .collect()
}

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

/// The exit code for an error: 2 for a usage error, 3 when the broker could
/// not be reached (or, for `mqtk broker`, could not listen), 4 when it
/// refused us, 1 for everything else.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    use crate::cli::exit;
    error
        .chain()
        .find_map(|cause| {
            if cause.is::<UsageError>() {
                return Some(exit::USAGE);
            }
            #[cfg(feature = "broker")]
            if let Some(error) = cause.downcast_ref::<crate::broker::BrokerError>() {
                return Some(if error.is_listen_failure() {
                    exit::CANNOT_LISTEN
                } else {
                    exit::FAILURE
                });
            }
            match as_client_error(cause)? {
                ClientError::Unreachable { .. }
                | ClientError::ConnectTimeout { .. }
                | ClientError::NoConnAck { .. }
                | ClientError::Tls { .. }
                | ClientError::WebSocket { .. }
                | ClientError::Proxy { .. } => Some(exit::UNREACHABLE),
                ClientError::Refused { .. }
                | ClientError::TooManyRedirects { .. }
                | ClientError::VersionRefused { .. }
                | ClientError::TlsRefused(_)
                | ClientError::WebSocketRefused(_) => Some(exit::REFUSED),
                _ => None,
            }
        })
        .unwrap_or(exit::FAILURE)
}

/// The client error `cause` is, bare or with a hint.
fn as_client_error<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a ClientError> {
    match cause.downcast_ref::<Hinted>() {
        Some(hinted) => Some(&hinted.error),
        None => cause.downcast_ref::<ClientError>(),
    }
}

/// The first client error in `error`'s chain, bare or with a hint.
pub fn client_error(error: &anyhow::Error) -> Option<&ClientError> {
    error.chain().find_map(as_client_error)
}

/// A client error with a hint at what to type instead, after it.
#[derive(Debug)]
struct Hinted {
    error: ClientError,
    hint: String,
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; {}", self.error, self.hint)
    }
}

impl std::error::Error for Hinted {}
