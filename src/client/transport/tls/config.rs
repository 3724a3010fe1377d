//! The rustls settings a [`TlsOptions`] asks for: the TLS versions, whom to
//! trust and how to verify, our certificate, ALPN, the key log and the
//! session tickets kept for resuming. They are made once and shared by every
//! connection with the same options.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::Resumption;
use rustls::crypto::{self, CryptoProvider};
use rustls::sign::SingleCertAndKey;
use rustls::{self, ClientConfig, DigitallySignedStruct, KeyLog, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::cause::client_certificate_problem;
use super::load::{read_certificates, read_key, root_store};
use super::tickets::SessionTickets;
use super::{verify, Built, TlsOptions, TlsSetupError, TlsVersion, Trusted};
use crate::client::ClientError;

/// The rustls settings `options` ask for, and whom they trust.
pub(super) fn client_config(options: &TlsOptions) -> Result<Built, ClientError> {
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
            let key = read_key(key_path)?;
            let certified = verify::client_certificate(chain, key, &provider).map_err(|e| {
                ClientError::TlsSetup(client_certificate_problem(&e, cert_path, key_path))
            })?;
            builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(certified)))
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err(ClientError::TlsSetup(TlsSetupError::CertificateOrKeyAlone)),
    };
    config.alpn_protocols = options.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    if let Some(tickets) = options.session_tickets {
        config.resumption = Resumption::store(Arc::new(SessionTickets::new(tickets)));
    }
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

/// Verification turned off: every server certificate is taken as valid; the signatures
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

/// Session keys appended to a file of our own choosing, in the NSS key log
/// format.
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
