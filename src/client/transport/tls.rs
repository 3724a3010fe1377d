//! TLS through rustls (on ring: no OpenSSL): the settings a broker needs, the
//! handshake, what it agreed on, and its failures in words a person can act on.
//!
//! [`verify`] checks the broker's certificate, and our own before it is sent.

mod verify;

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
use tokio_rustls::rustls::sign::SingleCertAndKey;
use tokio_rustls::rustls::{
    self, AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct,
    InconsistentKeys, KeyLog, RootCertStore, SignatureScheme,
};
use tokio_rustls::TlsConnector;

use super::Base;
use crate::client::{ClientError, Notices, Warning};

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
    /// The rustls settings, made once for every connection that shares these
    /// options (clones share it): a load of thousands of TLS connections reads
    /// the system's certificates once, not per connection.
    built: Arc<OnceLock<Built>>,
}

/// The rustls settings of [`TlsOptions`], and what the handshake reports with.
#[derive(Debug, Clone)]
struct Built {
    config: Arc<ClientConfig>,
    /// Whom we trust, for a person: "the CA file ca.crt".
    trusted: String,
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
}

/// Makes the TLS handshake over `base`, verifying the server as `host` (or
/// the name `options` give); warnings go to `notices`.
pub(super) async fn handshake(
    base: Base,
    host: &str,
    options: &TlsOptions,
    addr: &str,
    notices: &Notices,
) -> Result<tokio_rustls::client::TlsStream<Base>, ClientError> {
    let built = match options.built.get() {
        Some(built) => built.clone(),
        None => {
            if options.insecure {
                notices.warn(Warning::Unverified);
            }
            let built = client_config(options)?;
            options.built.get_or_init(|| built).clone()
        }
    };
    let name = options.server_name.as_deref().unwrap_or(host);
    // A bracketed IPv6 literal verifies against the address itself.
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    let server_name = ServerName::try_from(bare.to_string())
        .map_err(|_| ClientError::TlsSetup(format!("{name:?} is not a valid TLS server name")))?;
    let stream = TlsConnector::from(built.config)
        .connect(server_name, base)
        .await;
    // Told once, whether the handshake went on to succeed or not.
    if let Some(warning) = built.verifier.and_then(|v| v.unreported_shortfall()) {
        notices.warn(warning);
    }
    stream.map_err(|e| handshake_error(e, addr, name, &built.trusted))
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
fn client_config(options: &TlsOptions) -> Result<Built, ClientError> {
    let provider = Arc::new(crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = match options.min_version {
        Some(TlsVersion::V1_3) => &[&rustls::version::TLS13],
        _ => rustls::DEFAULT_VERSIONS,
    };
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| ClientError::TlsSetup(e.to_string()))?;
    let (builder, trusted, broker_verifier) = if options.insecure {
        let verifier = Arc::new(AcceptAnyCertificate(provider.clone()));
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        (builder, "nothing (--insecure)".to_string(), None)
    } else {
        let trust = root_store(options)?;
        let verifier = verify::BrokerVerifier::new(trust.roots, trust.own_cas, provider.clone())
            .map_err(|e| ClientError::TlsSetup(format!("cannot verify with {}: {e}", trust.who)))?;
        let verifier = Arc::new(verifier);
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone());
        (builder, trust.who, Some(verifier))
    };
    let mut config = match (&options.cert, &options.key) {
        (Some(cert_path), Some(key_path)) => {
            let chain = read_certificates(cert_path)?;
            let key = PrivateKeyDer::from_pem_file(key_path)
                .map_err(|e| pem_error(key_path, "a private key", &e))?;
            let certified = verify::client_certificate(chain, key, &provider).map_err(|e| {
                ClientError::TlsSetup(client_certificate_problem(&e, cert_path, key_path))
            })?;
            builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(certified)))
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
    Ok(Built {
        config: Arc::new(config),
        trusted,
        verifier: broker_verifier,
    })
}

/// The CA certificates to trust.
struct Trust {
    roots: RootCertStore,
    /// The certificates of `--cafile` and `--capath`; empty when the system's
    /// are trusted.
    own_cas: Vec<CertificateDer<'static>>,
    /// Whom we trust, for a person: "the CA file ca.crt".
    who: String,
}

/// The CA certificates to trust: the files given, or the system's.
fn root_store(options: &TlsOptions) -> Result<Trust, ClientError> {
    let mut own_cas = Vec::new();
    let mut sources = Vec::new();
    if let Some(file) = &options.ca_file {
        own_cas.extend(read_certificates(file)?);
        sources.push(format!("the CA file {}", file.display()));
    }
    if let Some(dir) = &options.ca_path {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| ClientError::TlsSetup(format!("cannot read {}: {e}", dir.display())))?;
        for entry in entries.flatten() {
            if let Ok(certificates) = CertificateDer::pem_file_iter(entry.path()) {
                own_cas.extend(certificates.flatten());
            }
        }
        sources.push(format!("the CA directory {}", dir.display()));
    }
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(own_cas.iter().cloned());
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
    Ok(Trust {
        roots,
        own_cas,
        who: sources.join(" and "),
    })
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
        Some(rustls::Error::AlertReceived(alert)) => failed(format!(
            "the broker refused the handshake ({})",
            words(&format!("{alert:?}"))
        )),
        Some(other) => failed(tls_problem(other)),
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
            "the broker refused our client certificate, or the lack of one ({})",
            words(&format!("{alert:?}"))
        )),
        _ => None,
    }
}

/// What was wrong with the broker's certificate, in one sentence.
fn certificate_problem(problem: &CertificateError, name: &str, trusted: &str) -> String {
    match problem {
        CertificateError::UnknownIssuer => format!(
            "the broker's certificate is not signed by a CA we trust (we trust {trusted}; \
             --cafile names another)"
        ),
        CertificateError::NotValidForName => {
            format!("the broker's certificate is not valid for {name:?} (--sni names another)")
        }
        CertificateError::NotValidForNameContext { presented, .. } if presented.is_empty() => {
            format!("the broker's certificate names no host, so not {name:?}")
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
        CertificateError::BadEncoding => "the broker's certificate is malformed".to_string(),
        CertificateError::BadSignature => {
            "the signature on the broker's certificate does not verify".to_string()
        }
        #[allow(deprecated)] // rustls still gives it for webpki's deprecated kinds
        CertificateError::UnsupportedSignatureAlgorithm
        | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "the broker's certificate is signed with an algorithm mqtk does not support".to_string()
        }
        CertificateError::Revoked => "the broker's certificate has been revoked".to_string(),
        CertificateError::UnhandledCriticalExtension => {
            "the broker's certificate has a critical extension mqtk does not know".to_string()
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "the broker's certificate is not for a TLS server (its extended key usage)".to_string()
        }
        CertificateError::Other(other) => match other.0.downcast_ref::<verify::Refusal>() {
            Some(refusal) => refusal.to_string(),
            // webpki's errors, whose text is their variant's name.
            None => format!(
                "the broker's certificate was refused ({})",
                words(&other.0.to_string())
            ),
        },
        other => format!(
            "the broker's certificate was refused ({})",
            words(&format!("{other:?}"))
        ),
    }
}

/// Why our certificate and key cannot be used, in one sentence.
fn client_certificate_problem(error: &rustls::Error, cert: &Path, key: &Path) -> String {
    match error {
        rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch) => format!(
            "the certificate in {} is not for the key in {}",
            cert.display(),
            key.display()
        ),
        rustls::Error::InvalidCertificate(problem) => format!(
            "the client certificate in {} cannot be read ({})",
            cert.display(),
            words(&format!("{problem:?}"))
        ),
        rustls::Error::General(why) => format!("cannot use the key in {}: {why}", key.display()),
        other => format!("the client certificate: {}", tls_problem(other)),
    }
}

/// A TLS failure other than the certificate's, in one sentence: rustls's own
/// text shows some of its values in their debug form.
fn tls_problem(error: &rustls::Error) -> String {
    let named =
        |what: &str, why: &dyn std::fmt::Debug| format!("{what} ({})", words(&format!("{why:?}")));
    match error {
        rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. } => {
            "the broker sent a TLS message out of turn".to_string()
        }
        rustls::Error::InvalidMessage(why) => named("the broker sent a malformed TLS message", why),
        rustls::Error::PeerIncompatible(why) => {
            named("the broker's TLS and ours have nothing in common", why)
        }
        rustls::Error::PeerMisbehaved(why) => named("the broker broke the TLS protocol", why),
        rustls::Error::AlertReceived(alert) => named("the broker sent a TLS alert", alert),
        rustls::Error::NoCertificatesPresented => "the broker sent no certificate".to_string(),
        rustls::Error::DecryptError => "a TLS record from the broker did not decrypt".to_string(),
        rustls::Error::PeerSentOversizedRecord => {
            "the broker sent a TLS record over the size limit".to_string()
        }
        rustls::Error::NoApplicationProtocol => {
            "the broker speaks none of the ALPN protocols offered (--alpn)".to_string()
        }
        rustls::Error::HandshakeNotComplete => "the handshake did not complete".to_string(),
        rustls::Error::FailedToGetCurrentTime => "the system clock cannot be read".to_string(),
        rustls::Error::FailedToGetRandomBytes => "the system gave no random bytes".to_string(),
        rustls::Error::General(why) => why.clone(),
        rustls::Error::InvalidCertificate(problem) => named("a certificate was refused", problem),
        rustls::Error::Other(other) => format!("TLS failed ({})", words(&other.0.to_string())),
        other => named("TLS failed", other),
    }
}

/// The name of an enum variant (`UnsupportedCertVersion`, or the start of a
/// debug form such as `Unknown(42)`) as lower-case words: "unsupported cert
/// version". Other text is kept as it is.
fn words(name: &str) -> String {
    let end = name
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(name.len());
    let (identifier, rest) = name.split_at(end);
    let is_variant = identifier.starts_with(|c: char| c.is_ascii_uppercase())
        && (rest.is_empty() || rest.starts_with('(') || rest.starts_with(" {"));
    if !is_variant {
        return name.to_string();
    }
    let mut words = String::new();
    for (index, c) in identifier.char_indices() {
        if c.is_ascii_uppercase() && index > 0 {
            words.push(' ');
        }
        words.push(c.to_ascii_lowercase());
    }
    words
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names_become_words_and_other_text_stays() {
        assert_eq!(words("UnsupportedCertVersion"), "unsupported cert version");
        assert_eq!(words("HandshakeFailure"), "handshake failure");
        assert_eq!(words("Unknown(42)"), "unknown");
        assert_eq!(
            words("InvalidPurposeContext { required: x }"),
            "invalid purpose context"
        );
        assert_eq!(words("no route to host"), "no route to host");
        assert_eq!(words("Not a variant"), "Not a variant");
    }

    /// An error of another crate's, whose text is its debug form, as webpki's is.
    #[derive(Debug)]
    struct UnsupportedCertVersion;

    impl std::fmt::Display for UnsupportedCertVersion {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{self:?}")
        }
    }

    impl std::error::Error for UnsupportedCertVersion {}

    #[test]
    fn every_certificate_problem_is_a_plain_sentence() {
        let problems = [
            CertificateError::Other(rustls::OtherError(Arc::new(UnsupportedCertVersion))),
            CertificateError::Other(rustls::OtherError(Arc::new(
                verify::Refusal::Version1UnderSystemRoots,
            ))),
            CertificateError::NotValidForNameContext {
                expected: ServerName::try_from("localhost").unwrap(),
                presented: vec!["CN=broker".to_string()],
            },
            CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext {
                signature_algorithm_id: vec![1],
                public_key_algorithm_id: vec![2],
            },
            CertificateError::InvalidOcspResponse,
            CertificateError::ApplicationVerificationFailure,
        ];
        for problem in &problems {
            let sentence = certificate_problem(problem, "localhost", "the CA file ca.crt");
            assert!(
                sentence.starts_with("the broker's certificate "),
                "{sentence}"
            );
            assert!(
                !sentence.contains("Other") && !sentence.contains('{') && !sentence.contains("(\""),
                "{sentence}"
            );
        }
        let sentence = certificate_problem(&problems[0], "localhost", "");
        assert_eq!(
            sentence,
            "the broker's certificate was refused (unsupported cert version)"
        );
    }

    #[test]
    fn tls_failures_show_no_debug_form() {
        for error in [
            rustls::Error::PeerIncompatible(rustls::PeerIncompatible::NoCipherSuitesInCommon),
            rustls::Error::PeerMisbehaved(rustls::PeerMisbehaved::SelectedUnofferedCipherSuite),
            rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch),
            rustls::Error::InvalidMessage(rustls::InvalidMessage::MessageTooShort),
            rustls::Error::Other(rustls::OtherError(Arc::new(UnsupportedCertVersion))),
        ] {
            let sentence = tls_problem(&error);
            let camel_case = sentence
                .as_bytes()
                .windows(2)
                .any(|pair| pair[0].is_ascii_lowercase() && pair[1].is_ascii_uppercase());
            assert!(
                !camel_case && !sentence.contains('{') && !sentence.contains('"'),
                "{sentence}"
            );
        }
        let mismatch = client_certificate_problem(
            &rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch),
            Path::new("client.crt"),
            Path::new("client.key"),
        );
        assert_eq!(
            mismatch,
            "the certificate in client.crt is not for the key in client.key"
        );
    }
}
