//! TLS through rustls (on ring: no OpenSSL): the settings a broker needs, the
//! handshake, what it agreed on, and its failures in words a person can act on.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::{
    self, AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, KeyLog,
    RootCertStore, SignatureScheme,
};
use tokio_rustls::TlsConnector;

use super::Base;
use crate::client::{warn, ClientError};

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
    /// The rustls settings, made once for every connection that shares these
    /// options (clones share it): a load of thousands of TLS connections reads
    /// the system's certificates once, not per connection.
    built: Arc<OnceLock<(Arc<ClientConfig>, String)>>,
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
}

/// Makes the TLS handshake over `base`, verifying the server as `host` (or
/// the name `options` give).
pub(super) async fn handshake(
    base: Base,
    host: &str,
    options: &TlsOptions,
    addr: &str,
) -> Result<tokio_rustls::client::TlsStream<Base>, ClientError> {
    let (config, trusted) = match options.built.get() {
        Some(built) => built.clone(),
        None => {
            let (config, trusted) = client_config(options)?;
            options
                .built
                .get_or_init(|| (Arc::new(config), trusted))
                .clone()
        }
    };
    let name = options.server_name.as_deref().unwrap_or(host);
    // A bracketed IPv6 literal verifies against the address itself.
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    let server_name = ServerName::try_from(bare.to_string())
        .map_err(|_| ClientError::TlsSetup(format!("{name:?} is not a valid TLS server name")))?;
    TlsConnector::from(config)
        .connect(server_name, base)
        .await
        .map_err(|e| handshake_error(e, addr, name, &trusted))
}

/// What was agreed on.
pub(super) fn info(stream: &tokio_rustls::client::TlsStream<Base>) -> TlsInfo {
    let connection = stream.get_ref().1;
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
    }
}

/// The rustls settings `options` ask for, and a description of whom they trust.
fn client_config(options: &TlsOptions) -> Result<(ClientConfig, String), ClientError> {
    let provider = Arc::new(crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = match options.min_version {
        Some(TlsVersion::V1_3) => &[&rustls::version::TLS13],
        _ => rustls::DEFAULT_VERSIONS,
    };
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| ClientError::TlsSetup(e.to_string()))?;
    let (builder, trusted) = if options.insecure {
        warn("TLS without verifying the broker's certificate: whoever is in between can read and change everything");
        let verifier = Arc::new(AcceptAnyCertificate(provider));
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        (builder, "nothing (--insecure)".to_string())
    } else {
        let (roots, trusted) = root_store(options)?;
        (builder.with_root_certificates(roots), trusted)
    };
    let mut config = match (&options.cert, &options.key) {
        (Some(cert), Some(key)) => {
            let chain = read_certificates(cert)?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| pem_error(key, "a private key", &e))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| ClientError::TlsSetup(format!("the client certificate: {e}")))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(ClientError::TlsSetup(
                "a client certificate needs both --cert and --key".into(),
            ))
        }
    };
    config.alpn_protocols = options.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    config.key_log = match &options.keylog {
        Some(path) => Arc::new(KeyLogTo::open(path)?),
        None => Arc::new(rustls::KeyLogFile::new()),
    };
    Ok((config, trusted))
}

/// The CA certificates to trust: the files given, or the system's.
fn root_store(options: &TlsOptions) -> Result<(RootCertStore, String), ClientError> {
    let mut roots = RootCertStore::empty();
    let mut sources = Vec::new();
    if let Some(file) = &options.ca_file {
        roots.add_parsable_certificates(read_certificates(file)?);
        sources.push(format!("the CA file {}", file.display()));
    }
    if let Some(dir) = &options.ca_path {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| ClientError::TlsSetup(format!("cannot read {}: {e}", dir.display())))?;
        for entry in entries.flatten() {
            if let Ok(certificates) = CertificateDer::pem_file_iter(entry.path()) {
                roots.add_parsable_certificates(certificates.flatten());
            }
        }
        sources.push(format!("the CA directory {}", dir.display()));
    }
    if sources.is_empty() {
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        sources.push("the system's root certificates".to_string());
    }
    if roots.is_empty() {
        return Err(ClientError::TlsSetup(format!(
            "no CA certificate found in {}; give one with --cafile",
            sources.join(" and ")
        )));
    }
    Ok((roots, sources.join(" and ")))
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let certificates: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(path, "certificates", &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| pem_error(path, "certificates", &e))?;
    if certificates.is_empty() {
        return Err(ClientError::TlsSetup(format!(
            "{} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(certificates)
}

fn pem_error(path: &Path, what: &str, error: &rustls_pki_types::pem::Error) -> ClientError {
    ClientError::TlsSetup(format!(
        "cannot read {what} from {}: {error}",
        path.display()
    ))
}

/// A failed handshake in words: which check failed and with what.
fn handshake_error(error: io::Error, addr: &str, name: &str, trusted: &str) -> ClientError {
    let failed = |detail: String| ClientError::Tls {
        addr: addr.to_string(),
        detail,
    };
    if let Some(detail) = refusal(&error) {
        return ClientError::TlsRefused(detail);
    }
    match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(problem)) => {
            failed(certificate_problem(problem, name, trusted))
        }
        Some(rustls::Error::AlertReceived(alert)) => {
            failed(format!("the broker refused the handshake ({alert:?})"))
        }
        Some(other) => failed(other.to_string()),
        None => failed(format!(
            "the connection ended in the handshake ({error}); does the broker speak TLS on this \
             port?"
        )),
    }
}

/// The broker's refusal of our client certificate (or of its absence), when
/// `error` is one. Under TLS 1.3 it comes after the handshake, with the first
/// read.
pub fn refusal(error: &io::Error) -> Option<String> {
    let tls_error = error.get_ref()?.downcast_ref::<rustls::Error>()?;
    match tls_error {
        rustls::Error::AlertReceived(
            alert @ (AlertDescription::BadCertificate
            | AlertDescription::CertificateRequired
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::AccessDenied),
        ) => Some(format!(
            "the broker refused our client certificate, or the lack of one ({alert:?})"
        )),
        _ => None,
    }
}

fn certificate_problem(problem: &CertificateError, name: &str, trusted: &str) -> String {
    match problem {
        CertificateError::UnknownIssuer => format!(
            "the broker's certificate is not signed by a CA we trust (we trust {trusted}; \
             --cafile names another)"
        ),
        CertificateError::NotValidForName => {
            format!("the broker's certificate is not valid for {name:?} (--sni names another)")
        }
        CertificateError::NotValidForNameContext { presented, .. } => format!(
            "the broker's certificate is for {}, not for {name:?} (--sni names another)",
            presented.join(", ")
        ),
        CertificateError::Expired => "the broker's certificate has expired".to_string(),
        CertificateError::ExpiredContext { not_after, .. } => {
            format!("the broker's certificate expired on {}", date(*not_after))
        }
        CertificateError::NotValidYet => "the broker's certificate is not valid yet".to_string(),
        CertificateError::NotValidYetContext { not_before, .. } => format!(
            "the broker's certificate is not valid before {}",
            date(*not_before)
        ),
        other => format!("the broker's certificate was refused: {other:?}"),
    }
}

fn date(time: UnixTime) -> String {
    jiff::Timestamp::from_second(time.as_secs() as i64).map_or_else(
        |_| format!("{} s after 1970", time.as_secs()),
        |t| t.to_string(),
    )
}

/// `--insecure`: every server certificate is taken as valid; the signatures
/// of the handshake are still checked, so the peer holds the key it shows.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Session keys appended to a file of our own choosing (`--tls-keylog`).
#[derive(Debug)]
struct KeyLogTo(Mutex<File>);

impl KeyLogTo {
    fn open(path: &Path) -> Result<KeyLogTo, ClientError> {
        let file = File::options()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| ClientError::TlsSetup(format!("cannot open {}: {e}", path.display())))?;
        Ok(KeyLogTo(Mutex::new(file)))
    }
}

impl KeyLog for KeyLogTo {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        if let Ok(mut file) = self.0.lock() {
            let _ = writeln!(file, "{label} {} {}", hex(client_random), hex(secret));
        }
    }
}
