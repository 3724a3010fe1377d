//! TLS through rustls (on ring: no OpenSSL): the settings a broker needs, the
//! handshake and what it agreed on.
//!
//! [`cause`] turns its failures into typed values a person can act on;
//! [`verify`] checks the broker's certificate, and our own before it is sent.

mod cause;
mod verify;

use std::fs::File;
use std::io::Write;
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
    self, ClientConfig, DigitallySignedStruct, KeyLog, RootCertStore, SignatureScheme,
};
use tokio_rustls::TlsConnector;

use super::Base;
use crate::client::{ClientError, Notices, Warning};

use cause::{client_certificate_problem, handshake_error};
pub use cause::{refused_certificate, PemContent, TlsCause, TlsSetupError, Trusted};
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
    let server_name = ServerName::try_from(bare.to_string()).map_err(|_| {
        ClientError::TlsSetup(TlsSetupError::InvalidServerName {
            name: name.to_string(),
        })
    })?;
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

/// The rustls settings `options` ask for, and whom they trust.
fn client_config(options: &TlsOptions) -> Result<Built, ClientError> {
    let provider = Arc::new(crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = match options.min_version {
        Some(TlsVersion::V1_3) => &[&rustls::version::TLS13],
        _ => rustls::DEFAULT_VERSIONS,
    };
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| ClientError::TlsSetup(TlsSetupError::Rustls(e.to_string())))?;
    let (builder, trusted, broker_verifier) = if options.insecure {
        let verifier = Arc::new(AcceptAnyCertificate(provider.clone()));
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        (builder, Trusted::Nothing, None)
    } else {
        let trust = root_store(options)?;
        let verifier = verify::BrokerVerifier::new(trust.roots, trust.own_cas, provider.clone())
            .map_err(|e| {
                ClientError::TlsSetup(TlsSetupError::Verifier {
                    trusted: trust.who.clone(),
                    error: e.to_string(),
                })
            })?;
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
                .map_err(|e| pem_error(key_path, PemContent::PrivateKey, &e))?;
            let certified = verify::client_certificate(chain, key, &provider).map_err(|e| {
                ClientError::TlsSetup(client_certificate_problem(&e, cert_path, key_path))
            })?;
            builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(certified)))
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err(ClientError::TlsSetup(TlsSetupError::CertificateOrKeyAlone)),
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
    /// Whom we trust.
    who: Trusted,
}

/// The CA certificates to trust: the files given, or the system's.
fn root_store(options: &TlsOptions) -> Result<Trust, ClientError> {
    let mut own_cas = Vec::new();
    if let Some(file) = &options.ca_file {
        own_cas.extend(read_certificates(file)?);
    }
    if let Some(dir) = &options.ca_path {
        let entries = std::fs::read_dir(dir).map_err(|error| {
            ClientError::TlsSetup(TlsSetupError::UnreadableDirectory {
                path: dir.clone(),
                error,
            })
        })?;
        for entry in entries.flatten() {
            if let Ok(certificates) = CertificateDer::pem_file_iter(entry.path()) {
                own_cas.extend(certificates.flatten());
            }
        }
    }
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(own_cas.iter().cloned());
    let who = match (&options.ca_file, &options.ca_path) {
        (None, None) => {
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
            Trusted::System
        }
        (ca_file, ca_path) => Trusted::Own {
            ca_file: ca_file.clone(),
            ca_path: ca_path.clone(),
        },
    };
    if roots.is_empty() {
        return Err(ClientError::TlsSetup(TlsSetupError::NoCaCertificate {
            trusted: who,
        }));
    }
    Ok(Trust {
        roots,
        own_cas,
        who,
    })
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let certificates: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(path, PemContent::Certificates, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| pem_error(path, PemContent::Certificates, &e))?;
    if certificates.is_empty() {
        return Err(ClientError::TlsSetup(TlsSetupError::NotPem {
            path: path.to_path_buf(),
        }));
    }
    Ok(certificates)
}

fn pem_error(path: &Path, what: PemContent, error: &rustls_pki_types::pem::Error) -> ClientError {
    ClientError::TlsSetup(TlsSetupError::Pem {
        path: path.to_path_buf(),
        what,
        error: error.to_string(),
    })
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
            .map_err(|error| {
                ClientError::TlsSetup(TlsSetupError::KeyLog {
                    path: path.to_path_buf(),
                    error,
                })
            })?;
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
