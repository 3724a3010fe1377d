//! The argument groups every command that connects shares: where the broker
//! is and how to reach it (TLS, WebSocket, proxy), the will, the session,
//! reconnecting, the ending and `--status`, and MQTT 5 message properties.

// The doc comments here are clap's help texts, where `[...]` marks what is
// optional, not a link.
#![allow(rustdoc::broken_intra_doc_links)]

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::codec::MAX_PACKET_SIZE;

/// Where the broker is and how to talk to it; shared by every subcommand.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// Broker host name or address
    #[arg(short = 'h', long, default_value = "localhost")]
    pub host: String,

    /// Broker port [default: 1883; 8883 with TLS, 80 with --ws, 443 with both]
    #[arg(short = 'p', long)]
    pub port: Option<u16>,

    /// The broker as a URL: mqtt[s]://[user[:password]@]host[:port][/topic], or over WebSocket ws[s]://[user[:password]@]host[:port][/path]; for pub and sub an mqtt[s] path is the topic (write # and + as %23 and %2B), a ws[s] path the WebSocket path [default: /mqtt]
    #[arg(short = 'L', long = "url", value_name = "URL", conflicts_with_all = ["host", "port", "unix"])]
    pub url: Option<String>,

    /// Connect to the broker's Unix domain socket at PATH instead of host and port
    #[arg(long = "unix", value_name = "PATH", conflicts_with_all = ["host", "port"])]
    pub unix: Option<PathBuf>,

    /// MQTT over WebSocket to -h and -p [default port: 80, 443 with TLS]; on too with --ws-path or --ws-header
    #[arg(long = "ws")]
    pub ws: bool,

    /// The HTTP path of the WebSocket upgrade [default: /mqtt]
    #[arg(long = "ws-path", value_name = "PATH")]
    pub ws_path: Option<String>,

    /// An HTTP header for the WebSocket upgrade, as 'Name: value', e.g. a broker's authorization (repeatable)
    #[arg(long = "ws-header", value_name = "HEADER", value_parser = parse_header)]
    pub ws_headers: Vec<(String, String)>,

    /// Reach the broker through a SOCKS5 proxy: socks5h://[user:password@]host[:port] (the proxy resolves the broker's name) or socks5:// (mqtk does) [default port: 1080]
    #[arg(long = "proxy", value_name = "URL", conflicts_with = "unix")]
    pub proxy: Option<String>,

    /// MQTT version: 5, 3.1.1 or 3.1 [default: 5, falling back to 3.1.1]
    #[arg(short = 'V', long = "protocol-version", value_name = "VERSION")]
    pub protocol_version: Option<ProtocolVersion>,

    /// Client identifier; an empty one lets the broker assign it [default: mqtk- and random characters]
    #[arg(short = 'i', long = "id", value_name = "ID")]
    pub id: Option<String>,

    /// Client identifier prefix, completed with random characters
    #[arg(
        short = 'I',
        long = "id-prefix",
        value_name = "PREFIX",
        conflicts_with = "id"
    )]
    pub id_prefix: Option<String>,

    /// Keep alive in seconds; 0 disables it
    #[arg(
        short = 'k',
        long = "keepalive",
        value_name = "SECONDS",
        default_value_t = 60
    )]
    pub keepalive: u16,

    /// Seconds to wait for the connection and for the broker to answer CONNECT, SUBSCRIBE, UNSUBSCRIBE
    #[arg(
        long = "connect-timeout",
        value_name = "SECONDS",
        default_value_t = 10.0
    )]
    pub connect_timeout: f64,

    /// User name
    #[arg(short = 'u', long)]
    pub username: Option<String>,

    /// Password (visible to other users in ps: prefer --pw-file or MQTK_PASSWORD)
    #[arg(
        short = 'P',
        long = "pw",
        value_name = "PASSWORD",
        env = "MQTK_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,

    /// Read the password from the first line of FILE
    #[arg(long = "pw-file", value_name = "FILE", conflicts_with = "password")]
    pub password_file: Option<PathBuf>,

    /// Print every packet sent and received on stderr
    #[arg(short = 'd', long)]
    pub debug: bool,

    #[command(flatten)]
    pub tls: TlsArgs,

    #[command(flatten)]
    pub will: WillArgs,

    #[command(flatten)]
    pub mqtt5: ConnectPropertyArgs,

    /// Print help
    #[arg(long, action = clap::ArgAction::Help, help_heading = None)]
    pub help: Option<bool>,
}

/// What the CONNECT asks of the broker, in MQTT 5 (dropped under 3.1.1).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "MQTT 5 connection")]
pub struct ConnectPropertyArgs {
    /// The most QoS 1/2 messages the broker may send before one is acknowledged
    #[arg(long = "receive-maximum", value_name = "COUNT", value_parser = clap::value_parser!(u16).range(1..))]
    pub receive_maximum: Option<u16>,

    /// The largest packet the broker may send, in bytes; a larger one ends the connection (0x95)
    #[arg(long = "maximum-packet-size", value_name = "BYTES", value_parser = clap::value_parser!(u32).range(2..=(MAX_PACKET_SIZE as i64)))]
    pub maximum_packet_size: Option<u32>,

    /// How many topic aliases the broker may use towards us
    #[arg(long = "topic-alias-maximum", value_name = "COUNT")]
    pub topic_alias_maximum: Option<u16>,

    /// Ask the broker for Response Information (a topic prefix for responses) in its CONNACK
    #[arg(long = "request-response-information")]
    pub request_response_information: bool,

    /// Whether the broker may send reason strings and user properties with errors [default: true]
    #[arg(long = "request-problem-information", value_name = "BOOL")]
    pub request_problem_information: Option<bool>,

    /// User property of the CONNECT, as key=value (repeatable)
    #[arg(long = "connect-user-property", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub connect_user_properties: Vec<(String, String)>,

    /// Authentication method: SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512 with -u and a password, or a single-step method a broker reads from the CONNECT (e.g. a JWT)
    #[arg(long = "auth-method", value_name = "METHOD")]
    pub auth_method: Option<String>,

    /// Authentication data sent with --auth-method
    #[arg(long = "auth-data", value_name = "DATA", requires = "auth_method")]
    pub auth_data: Option<String>,

    /// With a SCRAM --auth-method, prove the password again this often on a live connection, e.g. 1h
    #[arg(long = "reauth-every", value_name = "DURATION", value_parser = super::parse_duration, requires = "auth_method")]
    pub reauth_every: Option<std::time::Duration>,
}

/// TLS: on with --tls, an mqtts:// URL, -p 8883 or any of the options that
/// only TLS has; off with --no-tls.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "TLS")]
pub struct TlsArgs {
    /// Use TLS, verifying the broker against the system's root certificates
    #[arg(long)]
    pub tls: bool,

    /// No TLS, even on port 8883 (where TLS is otherwise assumed, as mosquitto 2.1 does)
    #[arg(long = "no-tls", conflicts_with_all = ["tls", "cafile", "capath", "cert", "insecure", "tls_version", "alpn", "sni", "tls_keylog"])]
    pub no_tls: bool,

    /// Trust the CA certificates in FILE (PEM) instead of the system's
    #[arg(long, value_name = "FILE")]
    pub cafile: Option<PathBuf>,

    /// Trust the CA certificates in the PEM files of DIR instead of the system's
    #[arg(long, value_name = "DIR")]
    pub capath: Option<PathBuf>,

    /// Client certificate chain (PEM), for brokers that ask for one; with --key
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,

    /// Private key of --cert (PEM: PKCS#1, PKCS#8 or SEC1; RSA, ECDSA or Ed25519)
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,

    /// Do not verify the broker's certificate at all (a warning says so every time)
    #[arg(long)]
    pub insecure: bool,

    /// The oldest TLS version to accept
    #[arg(long = "tls-version", value_name = "VERSION")]
    pub tls_version: Option<TlsVersionArg>,

    /// ALPN protocol to offer, e.g. x-amzn-mqtt-ca for AWS IoT on port 443 (repeatable)
    #[arg(long, value_name = "PROTOCOL")]
    pub alpn: Vec<String>,

    /// Server name to send (SNI) and verify, when it is not the host
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,

    /// Append the TLS session keys to FILE, for Wireshark (SSLKEYLOGFILE works too)
    #[arg(long = "tls-keylog", value_name = "FILE")]
    pub tls_keylog: Option<PathBuf>,
}

impl TlsArgs {
    /// Whether any option asks for TLS.
    pub fn wanted(&self) -> bool {
        self.tls
            || self.cafile.is_some()
            || self.capath.is_some()
            || self.cert.is_some()
            || self.insecure
            || self.tls_version.is_some()
            || !self.alpn.is_empty()
            || self.sni.is_some()
    }
}

/// TLS versions by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsVersionArg {
    #[value(name = "1.2", alias = "tlsv1.2")]
    V1_2,
    #[value(name = "1.3", alias = "tlsv1.3")]
    V1_3,
}

/// The last will: what the broker publishes when this client vanishes.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Last will")]
pub struct WillArgs {
    /// Topic of the will message
    #[arg(long = "will-topic", value_name = "TOPIC")]
    pub will_topic: Option<String>,

    /// Payload of the will message
    #[arg(long = "will-payload", value_name = "PAYLOAD", requires = "will_topic")]
    pub will_payload: Option<String>,

    /// QoS of the will message
    #[arg(long = "will-qos", value_name = "QOS", default_value_t = 0, value_parser = qos_parser(), requires = "will_topic")]
    pub will_qos: u8,

    /// Retain the will message
    #[arg(long = "will-retain", requires = "will_topic")]
    pub will_retain: bool,

    /// Seconds the broker waits before publishing the will (MQTT 5)
    #[arg(long = "will-delay", value_name = "SECONDS", requires = "will_topic")]
    pub will_delay: Option<u32>,

    /// Message expiry interval of the will in seconds (MQTT 5)
    #[arg(
        long = "will-message-expiry",
        value_name = "SECONDS",
        requires = "will_topic"
    )]
    pub will_message_expiry: Option<u32>,

    /// Content type of the will (MQTT 5)
    #[arg(
        long = "will-content-type",
        value_name = "TYPE",
        requires = "will_topic"
    )]
    pub will_content_type: Option<String>,

    /// User property of the will, as key=value (MQTT 5; repeatable)
    #[arg(long = "will-user-property", value_name = "KEY=VALUE", value_parser = parse_key_value, requires = "will_topic")]
    pub will_user_properties: Vec<(String, String)>,
}

/// Session persistence, for the commands where it matters.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Session")]
pub struct SessionArgs {
    /// Resume the session instead of starting clean (needs a fixed -i)
    #[arg(short = 'c', long = "disable-clean-start")]
    pub disable_clean_start: bool,

    /// Session expiry interval in seconds (MQTT 5) [default: 0, or forever with -c]
    #[arg(short = 'x', long = "session-expiry", value_name = "SECONDS")]
    pub session_expiry: Option<u32>,
}

/// What a long-running command does when its connection is lost.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Reconnect")]
pub struct ReconnectArgs {
    /// Exit on a lost connection instead of reconnecting
    #[arg(long = "no-reconnect")]
    pub no_reconnect: bool,

    /// Give up after this many failed tries to reconnect in one outage [default: no limit]
    #[arg(
        long = "reconnect-retries",
        alias = "maximum-reconnect-times",
        value_name = "COUNT",
        conflicts_with = "no_reconnect"
    )]
    pub reconnect_retries: Option<u32>,

    /// Try the first connection this many more times when the broker cannot be reached
    #[arg(long = "connect-retries", value_name = "COUNT", default_value_t = 0)]
    pub connect_retries: u32,
}

/// How a command ends its connection, to see what the broker does with the will.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Ending")]
pub struct EndingArgs {
    /// How to end the connection, and with it what the broker does with the will
    #[arg(long = "end", value_name = "HOW", default_value = "disconnect")]
    pub end: End,

    /// Same as --end close: no DISCONNECT, so the broker publishes the will
    #[arg(long = "no-disconnect", conflicts_with = "end")]
    pub no_disconnect: bool,

    /// Same as --end disconnect-with-will (MQTT 5)
    #[arg(long = "disconnect-with-will", conflicts_with_all = ["end", "no_disconnect"])]
    pub disconnect_with_will: bool,
}

impl EndingArgs {
    /// The ending asked for, by --end or one of its aliases.
    pub fn end(&self) -> End {
        match (self.no_disconnect, self.disconnect_with_will) {
            (true, _) => End::Close,
            (_, true) => End::DisconnectWithWill,
            _ => self.end,
        }
    }
}

/// The ways a connection can end, as a device's does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum End {
    /// DISCONNECT: the broker discards the will
    Disconnect,
    /// DISCONNECT with reason 0x04: the broker publishes the will (MQTT 5)
    DisconnectWithWill,
    /// Close the socket without DISCONNECT (TCP FIN)
    Close,
    /// Reset the socket (TCP RST), as when a device's network vanishes
    Reset,
    /// Send nothing more, PINGREQ included, until the broker gives up after 1.5 x keep alive
    Silent,
    /// Connect again with the same client identifier, which takes the session over
    Takeover,
}

/// The status pattern: a retained online message now, and offline when the
/// client goes, by its own hand or as its will.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Status")]
pub struct StatusArgs {
    /// Announce this client on TOPIC: retained online after connecting, offline at a clean exit, and offline as the will when it vanishes
    #[arg(long = "status", value_name = "TOPIC", conflicts_with = "will_topic")]
    pub status: Option<String>,

    /// The online announcement
    #[arg(
        long = "status-online",
        value_name = "TEXT",
        default_value = "online",
        requires = "status"
    )]
    pub status_online: String,

    /// The offline announcement
    #[arg(
        long = "status-offline",
        value_name = "TEXT",
        default_value = "offline",
        requires = "status"
    )]
    pub status_offline: String,

    /// QoS of both announcements
    #[arg(long = "status-qos", value_name = "QOS", default_value_t = 1, value_parser = qos_parser(), requires = "status")]
    pub status_qos: u8,
}

/// MQTT 5 properties of a published message.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "MQTT 5 message properties")]
pub struct MessagePropertyArgs {
    /// User property, as key=value (repeatable)
    #[arg(long = "user-property", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub user_properties: Vec<(String, String)>,

    /// Content type of the payload, e.g. application/json
    #[arg(long = "content-type", value_name = "TYPE")]
    pub content_type: Option<String>,

    /// Seconds after which the broker discards the message
    #[arg(long = "message-expiry", value_name = "SECONDS")]
    pub message_expiry: Option<u32>,

    /// Topic a receiver should answer on
    #[arg(short = 'e', long = "response-topic", value_name = "TOPIC")]
    pub response_topic: Option<String>,

    /// Correlation data sent with a request
    #[arg(long = "correlation-data", value_name = "DATA")]
    pub correlation_data: Option<String>,

    /// Payload format indicator: bytes (0) or utf8 (1)
    #[arg(long = "payload-format", value_name = "FORMAT")]
    pub payload_format: Option<PayloadFormat>,

    /// Send the topic in full in every message, never a topic alias in its place (used with -l and --repeat where the broker allows)
    #[arg(long = "no-topic-alias")]
    pub no_topic_alias: bool,
}

/// The schemas of the payload formats that need one, for `--decode` and
/// `--encode`.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Payload schemas")]
pub struct SchemaArgs {
    /// A .proto file with the payloads' message type (repeatable); with --proto-message
    #[arg(long = "proto", value_name = "FILE")]
    pub proto: Vec<PathBuf>,

    /// A folder where the .proto files' imports are found (repeatable; their own folders are searched too)
    #[arg(long = "proto-path", value_name = "DIR", requires = "proto")]
    pub proto_path: Vec<PathBuf>,

    /// The payloads' protobuf message type, e.g. acme.Reading (the package may be left out when the name is unique)
    #[arg(long = "proto-message", value_name = "TYPE", requires = "proto")]
    pub proto_message: Option<String>,

    /// The payloads' Avro schema, a JSON file
    #[arg(long = "avro-schema", value_name = "FILE")]
    pub avro_schema: Option<PathBuf>,
}

/// How far a publisher (`pub`, `replay`) reads its input ahead of the broker.
#[derive(Debug, Args, Clone)]
pub struct ReadAheadArgs {
    /// The most messages read ahead of the broker, while offline or waiting for acknowledgements; beyond, the input waits
    #[arg(
        long = "max-queued",
        value_name = "COUNT",
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u32).range(1..),
        help_heading = "Reconnect"
    )]
    pub max_queued: u32,
}

/// MQTT protocol versions, by the names mosquitto accepts too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolVersion {
    #[value(name = "5", alias = "mqttv5", alias = "5.0")]
    V5,
    #[value(name = "3.1.1", alias = "mqttv311")]
    V311,
    #[value(name = "3.1", alias = "mqttv31")]
    V31,
}

/// The MQTT 5 payload format indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PayloadFormat {
    /// Unspecified bytes (0)
    #[value(alias = "0")]
    Bytes,
    /// UTF-8 text (1)
    #[value(alias = "1")]
    Utf8,
}

pub(super) fn qos_parser() -> clap::builder::RangedI64ValueParser<u8> {
    clap::value_parser!(u8).range(0..=2)
}

/// `Name: value`, as an HTTP header is written.
fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("expected 'Name: value', got {text:?}"))?;
    let name = name.trim();
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(format!("{name:?} is not an HTTP header name"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected key=value, got {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_websocket_header_is_a_name_and_a_value() {
        assert_eq!(
            parse_header("Authorization: Bearer a:b"),
            Ok(("Authorization".to_string(), "Bearer a:b".to_string()))
        );
        assert_eq!(parse_header("X-Empty:"), Ok(("X-Empty".into(), "".into())));
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("two words: x").is_err());
        assert!(parse_header(": x").is_err());
    }
}
