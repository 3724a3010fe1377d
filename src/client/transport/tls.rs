//! TLS through rustls (on ring: no OpenSSL): the settings a broker needs, the
//! handshake and what it agreed on.
//!
//! Layout:
//! - this file: [`TlsOptions`], the handshake, and [`TlsInfo`], what it agreed on
//! - `config`: the rustls settings the options make, once for all connections
//! - `load`: the PEM files they read (CA certificates, our certificate and
//!   key) and the system's root certificates
//! - `verify`: the broker's certificate checked, and our own before it is sent
//! - `x509`: the certificate fields `verify` reads (names, dates, signatures)
//! - `cause`: the failures as typed values a person can act on
//! - `tickets`: room for a session ticket per connection of a load
//! - `stream`: the TLS stream itself, on rustls' unbuffered API, whose
//!   buffers an idle connection releases

mod cause;
mod config;
mod load;
mod stream;
mod tickets;
mod verify;
mod x509;

use std::path::PathBuf;
use std::sync::Arc;

use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::sync::OnceCell;

use super::Base;
use crate::client::{ClientError, Notices, Warning};

use cause::handshake_error;
pub use cause::{refused_certificate, PemContent, TlsCause, TlsSetupError, Trusted};
pub(super) use stream::TlsStream;
pub use verify::Shortfall;

/// What TLS to speak, and whom to trust.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Trust the CA certificates in this PEM file instead of the system's.
    pub ca_file: Option<PathBuf>,
    /// Trust the CA certificates in the PEM files of this directory.
    pub ca_path: Option<PathBuf>,
    /// Our certificate chain (PEM), for brokers that ask for one.
    pub cert: Option<PathBuf>,
    /// The private key of `cert` (PEM: PKCS#1, PKCS#8 or SEC1).
    pub key: Option<PathBuf>,
    /// Accept any server certificate.
    pub insecure: bool,
    /// The oldest version to accept.
    pub min_version: Option<TlsVersion>,
    /// ALPN protocols to offer, in order.
    pub alpn: Vec<String>,
    /// The name to send as SNI and to verify, when it is not the host.
    pub server_name: Option<String>,
    /// Append the session keys here, in the NSS key log format Wireshark
    /// reads; without it, `SSLKEYLOGFILE` is honoured.
    pub keylog: Option<PathBuf>,
    /// TLS 1.3 session tickets to keep, for connections made again to resume
    /// their TLS session: a load keeps a couple per connection, as each
    /// ticket serves one handshake; `None` keeps rustls' 8 per server, plenty
    /// for a single client.
    pub session_tickets: Option<usize>,
    /// The rustls settings, made once for every connection that shares these
    /// options (clones share it): a load of thousands of TLS connections reads
    /// the system's certificates once, not per connection, and its
    /// connections resume each other's sessions. The first handshakes, which
    /// start together, wait for the one that makes them.
    built: Arc<OnceCell<Built>>,
}

/// The rustls settings of [`TlsOptions`], and what the handshake reports with.
#[derive(Debug, Clone)]
struct Built {
    config: Arc<ClientConfig>,
    /// Whom we trust.
    trusted: Trusted,
    /// The verifier in `config`, which keeps what it accepted for us to tell;
    /// `None` with `insecure`.
    verifier: Option<Arc<verify::BrokerVerifier>>,
}

/// A TLS version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVersion {
    V1_2,
    V1_3,
}

/// What a TLS handshake agreed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// "TLS 1.3" or "TLS 1.2".
    pub version: String,
    pub cipher_suite: String,
    pub alpn: Option<String>,
    /// The server's certificate chain as sent, end entity first (DER).
    pub peer_certificates: Vec<Vec<u8>>,
    /// Resumed from an earlier handshake's session: no certificate sent or
    /// verified, fewer round trips and less cryptography.
    pub resumed: bool,
}

/// Makes the TLS handshake over `base`, verifying the server as `host` (or
/// the name `options` give); warnings go to `notices`.
pub(super) async fn handshake(
    base: Base,
    host: &str,
    options: &TlsOptions,
    addr: &str,
    notices: &Notices,
) -> Result<TlsStream, ClientError> {
    let make = || async {
        if options.insecure {
            notices.warn(Warning::Unverified);
        }
        config::client_config(options)
    };
    let built = options.built.get_or_try_init(make).await?.clone();
    let name = options.server_name.as_deref().unwrap_or(host);
    // A bracketed IPv6 literal verifies against the address itself.
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    let server_name = ServerName::try_from(bare.to_string()).map_err(|_| {
        ClientError::TlsSetup(TlsSetupError::InvalidServerName {
            name: name.to_string(),
        })
    })?;
    let stream = stream::connect(built.config, server_name, base).await;
    // Told once, whether the handshake went on to succeed or not.
    if let Some(warning) = built.verifier.and_then(|v| v.unreported_shortfall()) {
        notices.warn(warning);
    }
    stream.map_err(|e| handshake_error(e, addr, name, &built.trusted))
}

/// What was agreed on.
pub(super) fn info(stream: &TlsStream) -> TlsInfo {
    let connection = stream.connection();
    let version = match connection.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_string(),
        Some(other) => format!("{other:?}"),
        None => "unknown".to_string(),
    };
    TlsInfo {
        version,
        cipher_suite: connection
            .negotiated_cipher_suite()
            .map_or_else(String::new, |s| format!("{:?}", s.suite())),
        alpn: connection
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        peer_certificates: connection
            .peer_certificates()
            .unwrap_or_default()
            .iter()
            .map(|c| c.to_vec())
            .collect(),
        resumed: connection.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
    }
}
