//! The command line's connection flags resolved into the client's
//! [`Options`](crate::client::Options): broker, URL, TLS, WebSocket, proxy,
//! will and session, and the MQTT 5 properties of a message.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;

use super::notices::{self, warn};
use super::positive_seconds;
use super::{check_topic_name, qos, usage};
use crate::cli::{
    ConnectPropertyArgs, ConnectionArgs, MessagePropertyArgs, MessageSource, PayloadFormat,
    ProtocolVersion, SessionArgs, TlsArgs, TlsVersionArg,
};
use crate::client::scram::Mechanism;
use crate::client::{
    BrokerUrl, Options, Proxy, Route, Scheme, TlsOptions, TlsVersion, WebSocketOptions,
    DEFAULT_WEBSOCKET_PATH,
};
use crate::codec::{Properties, PropertyValues, Protocol, Will};

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
    let url = broker_url(connection)?;
    let tls = uses_tls(connection, url.as_ref())?;
    let websocket = websocket_options(connection, url.as_ref())?;
    let (host, port) = host_and_port(connection, url.as_ref(), tls, websocket.is_some());
    let route = Route {
        unix: connection.unix.clone(),
        tls: tls.then(|| tls_options(&connection.tls)),
        websocket,
        proxy: proxy(connection)?,
        source: None,
    };
    let protocol = protocol(connection);
    let resume = session.is_some_and(|s| s.disable_clean_start);
    let client_id = client_id(connection, protocol, resume)?;
    if protocol.is_some_and(|p| !p.is_v5()) && session.is_some_and(|s| s.session_expiry.is_some()) {
        return usage("-x (the session expiry) needs MQTT 5: leave -V out or use -V 5");
    }
    let session_expiry = session.and_then(|s| s.session_expiry.or(resume.then_some(u32::MAX)));
    let connect_timeout = connect_timeout(connection)?;
    let (username, password) = credentials(connection, url.as_ref(), protocol)?;
    let mut options = Options {
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
        will: will(connection, protocol)?,
        connect_timeout,
        response_timeout: connect_timeout,
        trace: connection.debug,
        notices: notices::printed(),
        ..Options::default()
    };
    connect_properties(&mut options, &connection.mqtt5)?;
    Ok((options, url.and_then(|u| u.topic)))
}

/// The MQTT 5 CONNECT properties asked for; a usage error under -V 3.1.1,
/// which has none.
fn connect_properties(options: &mut Options, args: &ConnectPropertyArgs) -> anyhow::Result<()> {
    let asked = args.receive_maximum.is_some()
        || args.maximum_packet_size.is_some()
        || args.topic_alias_maximum.is_some()
        || args.request_response_information
        || args.request_problem_information.is_some()
        || !args.connect_user_properties.is_empty()
        || args.auth_method.is_some()
        || args.reauth_every.is_some();
    if asked && options.protocol.is_some_and(|p| !p.is_v5()) {
        return usage("the MQTT 5 connection options need MQTT 5: leave -V out or use -V 5");
    }
    if let Some(receive_maximum) = args.receive_maximum {
        options.receive_maximum = Some(receive_maximum);
    }
    options.maximum_packet_size = args.maximum_packet_size;
    if let Some(aliases) = args.topic_alias_maximum {
        options.topic_alias_maximum = aliases;
    }
    options.request_response_information = args.request_response_information;
    options.request_problem_information = args.request_problem_information;
    options.user_properties = args.connect_user_properties.clone();
    options.authentication = args.auth_method.clone().map(|method| {
        let data = args.auth_data.clone().map(Bytes::from);
        (method, data)
    });
    if args.reauth_every.is_some() {
        let scram = args.auth_method.as_deref().and_then(Mechanism::from_name);
        if scram.is_none() {
            return usage("--reauth-every needs a SCRAM --auth-method (SCRAM-SHA-256, ...)");
        }
        if args.reauth_every.is_some_and(|every| every.is_zero()) {
            return usage("--reauth-every must be longer than zero");
        }
    }
    options.reauthenticate_every = args.reauth_every;
    Ok(())
}

/// `-L URL`, parsed; a password in it is visible in ps, and the user is told.
fn broker_url(connection: &ConnectionArgs) -> anyhow::Result<Option<BrokerUrl>> {
    let Some(text) = &connection.url else {
        return Ok(None);
    };
    let url = BrokerUrl::parse(text).or_else(|e| usage(format!("invalid URL for -L: {e}")))?;
    if url.password.is_some() {
        warn(
            "a password in -L is visible to other users in ps; --pw-file and MQTK_PASSWORD \
             keep it out of sight",
        );
    }
    Ok(Some(url))
}

/// Whether to speak TLS: an mqtts:// or wss:// URL, a TLS option, or port
/// 8883 (the MQTT over TLS port, as mosquitto 2.1 assumes) unless --no-tls.
fn uses_tls(connection: &ConnectionArgs, url: Option<&BrokerUrl>) -> anyhow::Result<bool> {
    let url_tls = url.is_some_and(|u| u.scheme.is_tls());
    if connection.tls.no_tls {
        return match url_tls {
            true => usage("--no-tls contradicts the URL's TLS scheme (mqtts:// or wss://)"),
            false => Ok(false),
        };
    }
    let port = url.map_or(connection.port, |u| Some(u.port()));
    Ok(url_tls || connection.tls.wanted() || port == Some(MQTT_TLS_PORT))
}

/// The port of MQTT over TLS.
const MQTT_TLS_PORT: u16 = 8883;

/// The broker's host and port: the URL's, or -h and -p, the port by default
/// the one of the transport (1883, 8883, 80 or 443).
fn host_and_port(
    connection: &ConnectionArgs,
    url: Option<&BrokerUrl>,
    tls: bool,
    websocket: bool,
) -> (String, u16) {
    if let Some(url) = url {
        return (url.host.clone(), url.port());
    }
    let scheme = match (tls, websocket) {
        (false, false) => Scheme::Mqtt,
        (true, false) => Scheme::Mqtts,
        (false, true) => Scheme::Ws,
        (true, true) => Scheme::Wss,
    };
    let port = connection.port.unwrap_or(scheme.default_port());
    (connection.host.clone(), port)
}

/// `--proxy URL`: a SOCKS5 proxy, for TCP connections only.
fn proxy(connection: &ConnectionArgs) -> anyhow::Result<Option<Proxy>> {
    let Some(text) = &connection.proxy else {
        return Ok(None);
    };
    if connection.unix.is_some() {
        return usage("--proxy carries TCP connections only, not --unix");
    }
    let proxy = Proxy::parse(text).or_else(|e| usage(format!("invalid URL for --proxy: {e}")))?;
    if proxy.credentials.is_some() {
        warn("the proxy's password in --proxy is visible to other users in ps");
    }
    Ok(Some(proxy))
}

/// `-V`: the protocol version pinned, or `None` for MQTT 5 falling back to 3.1.1.
fn protocol(connection: &ConnectionArgs) -> Option<Protocol> {
    connection.protocol_version.map(|v| match v {
        ProtocolVersion::V5 => Protocol::V5,
        ProtocolVersion::V311 => Protocol::V311,
        ProtocolVersion::V31 => Protocol::V31,
    })
}

/// `-i`, or `-I PREFIX` and a random suffix, or `mqtk-` and one; a session
/// to resume (`-c`) needs the identifier given.
fn client_id(
    connection: &ConnectionArgs,
    protocol: Option<Protocol>,
    resume: bool,
) -> anyhow::Result<String> {
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
    Ok(client_id)
}

/// `--connect-timeout`, which also bounds the broker's answers.
fn connect_timeout(connection: &ConnectionArgs) -> anyhow::Result<Duration> {
    let timeout = positive_seconds(Some(connection.connect_timeout), "--connect-timeout")?;
    Ok(timeout.unwrap_or_default())
}

/// The user name (`-u`, or the URL's) and the password (`--pw-file`, `-P`,
/// or the URL's, in that order); only MQTT 5 allows a password alone.
fn credentials(
    connection: &ConnectionArgs,
    url: Option<&BrokerUrl>,
    protocol: Option<Protocol>,
) -> anyhow::Result<(Option<String>, Option<Bytes>)> {
    let username = connection
        .username
        .clone()
        .or_else(|| url.and_then(|u| u.username.clone()));
    let password = match (&connection.password, &connection.password_file) {
        (_, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the password file {}", path.display()))?;
            Some(Bytes::from(text.lines().next().unwrap_or("").to_owned()))
        }
        (Some(password), None) => Some(Bytes::from(password.clone())),
        (None, None) => url.and_then(|u| u.password.clone()).map(Bytes::from),
    };
    if password.is_some() && username.is_none() && protocol != Some(Protocol::V5) {
        return usage("a password needs a user name (-u), except with -V 5");
    }
    Ok((username, password))
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

/// The last will of the --will-* flags; its properties need MQTT 5.
fn will(connection: &ConnectionArgs, protocol: Option<Protocol>) -> anyhow::Result<Option<Will>> {
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
    if !properties.is_empty() && protocol.is_some_and(|p| !p.is_v5()) {
        return usage("will properties need MQTT 5 (-V 5)");
    }
    Ok(Some(Will {
        topic: topic.clone(),
        payload: Bytes::from(args.will_payload.clone().unwrap_or_default()),
        qos: qos(args.will_qos),
        retain: args.will_retain,
        properties,
    }))
}

/// Whether to name the topic by a topic alias after the first message: where
/// messages repeat (`-l`, `--repeat`), unless `--no-topic-alias`. One message
/// alone would only carry the alias's three bytes more.
pub fn alias_topics(properties: &MessagePropertyArgs, source: &MessageSource, repeat: u64) -> bool {
    !properties.no_topic_alias && (source.stdin_line || repeat > 1)
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    /// The options and URL topic of `mqtk pub -t t -m x ARGS`.
    fn resolve(args: &[&str]) -> anyhow::Result<(Options, Option<String>)> {
        let mut line = vec!["mqtk", "pub", "-t", "t", "-m", "x"];
        line.extend(args);
        let Command::Pub(args) = Cli::try_parse_from(line).expect("parses").command else {
            panic!("not pub")
        };
        client_options_with_topic(&args.connection, Some(&args.session))
    }

    #[test]
    fn the_port_follows_the_transport_unless_given() {
        let port = |args: &[&str]| resolve(args).unwrap().0.port;
        assert_eq!(port(&[]), 1883);
        assert_eq!(port(&["--tls"]), 8883);
        assert_eq!(port(&["--ws"]), 80);
        assert_eq!(port(&["--ws", "--tls"]), 443);
        assert_eq!(port(&["--tls", "-p", "1884"]), 1884);
        let (options, topic) = resolve(&["-L", "mqtts://b.example:9000/a/b"]).unwrap();
        assert_eq!((options.host.as_str(), options.port), ("b.example", 9000));
        assert_eq!(topic.as_deref(), Some("a/b"));
    }

    #[test]
    fn port_8883_means_tls_unless_no_tls() {
        let tls = |args: &[&str]| resolve(args).map(|(options, _)| options.route.tls.is_some());
        assert!(tls(&["-p", "8883"]).unwrap());
        assert!(tls(&["-L", "mqtt://b.example:8883"]).unwrap());
        assert!(!tls(&["-p", "8883", "--no-tls"]).unwrap());
        assert!(!tls(&["-p", "1883"]).unwrap());
        assert!(tls(&["-L", "mqtts://b.example", "--no-tls"]).is_err());
        assert!(
            Cli::try_parse_from(["mqtk", "sub", "-t", "a", "--no-tls", "--cafile", "x"]).is_err()
        );
    }

    #[test]
    fn a_session_expiry_needs_mqtt_5() {
        let error = resolve(&["-x", "60", "-V", "3.1.1"])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("-x (the session expiry) needs MQTT 5"),
            "{error}"
        );
        assert_eq!(resolve(&["-x", "60"]).unwrap().0.session_expiry, Some(60));
    }

    #[test]
    fn a_session_to_resume_needs_its_identifier() {
        let error = resolve(&["-c"]).unwrap_err().to_string();
        assert!(error.contains("needs a client identifier (-i)"), "{error}");
        let (options, _) = resolve(&["-c", "-i", "me"]).unwrap();
        assert!(!options.clean_start);
        assert_eq!(options.session_expiry, Some(u32::MAX));
        let (options, _) = resolve(&["-I", "dev-"]).unwrap();
        assert!(options.client_id.starts_with("dev-") && options.client_id.len() > 4);
        assert!(resolve(&["-V", "3.1", "-i", "a-client-id-of-24-chars!"]).is_err());
    }

    #[test]
    fn a_password_alone_needs_mqtt_5() {
        assert!(resolve(&["-P", "secret"]).is_err());
        let (options, _) = resolve(&["-P", "secret", "-V", "5"]).unwrap();
        assert_eq!(options.password.as_deref(), Some(&b"secret"[..]));
        let (options, _) = resolve(&["-L", "mqtt://user:pw@b/t"]).unwrap();
        assert_eq!(options.username.as_deref(), Some("user"));
        assert_eq!(options.password.as_deref(), Some(&b"pw"[..]));
    }

    #[test]
    fn will_properties_need_mqtt_5() {
        let will = ["--will-topic", "w", "--will-delay", "5"];
        assert!(resolve(&[&will[..], &["-V", "3.1.1"]].concat()).is_err());
        assert!(resolve(&will).unwrap().0.will.is_some());
    }
}
