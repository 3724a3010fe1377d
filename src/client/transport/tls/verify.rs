//! The broker's certificate under webpki's rules, and, under a CA the user
//! named, the certificates `man mosquitto-tls` teaches people to make.
//!
//! `openssl x509 -req` without `-extfile` makes an X.509 version 1
//! certificate with the host name only in the subject's common name (CN).
//! webpki reads version 3 only, and names only from subjectAltName; OpenSSL,
//! and so mosquitto_pub, takes both, and many self-hosted brokers run on
//! them. When webpki refuses such a certificate and the CAs are the user's
//! own (a CA file or directory given), it is checked here instead: signed by
//! one of those CAs, within its dates, and for the host by its CN. Public CAs
//! issue no such certificates, so the system's root store keeps webpki's
//! rules. The certificate's fields are read in `x509`.
//!
//! Our own certificate is the broker's to judge: a version 1 one is sent as
//! it is, once its public key is found to be the key's.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{VerifierBuilderError, WebPkiServerVerifier};
use rustls::crypto::{self, CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::sign::CertifiedKey;
use rustls::{
    self, CertificateError, DigitallySignedStruct, DistinguishedName, InconsistentKeys, OtherError,
    PeerMisbehaved, RootCertStore, SignatureScheme,
};
use rustls_pki_types::{
    CertificateDer, PrivateKeyDer, ServerName, SubjectPublicKeyInfoDer, UnixTime,
};
use x509_parser::prelude::{X509Certificate, X509Version};

use super::x509::{
    algorithm_id, check_dates, cn_for, not_valid_for, parse, subject_alt_names, verify_signature,
};
use super::TlsCause;
use crate::client::Warning;

/// A refusal rustls has no variant for, carried in `CertificateError::Other`
/// so that the handshake error can name it: an old-style certificate under
/// the system's CAs.
#[derive(Debug, thiserror::Error)]
#[error("{}", TlsCause::OldStyleUnderSystemRoots { shortfall: *.0 })]
pub(super) struct SystemRootsRefusal(pub(super) Shortfall);

/// How a certificate we accepted falls short of what webpki accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortfall {
    /// X.509 version 1, which has no extensions, so no subjectAltName.
    Version1,
    /// Version 3, without a subjectAltName.
    CnOnly,
}

/// Checks the broker's certificate for rustls: webpki first, then, when the
/// CAs are the user's own, the old-style certificates webpki refuses.
#[derive(Debug)]
pub(super) struct BrokerVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    /// The CA certificates the user named; empty when the system's are
    /// trusted, which leaves webpki's rules alone.
    own_cas: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
    /// The first certificate accepted that falls short, and the CN that
    /// named the host, for the handshake to tell.
    accepted: OnceLock<(Shortfall, String)>,
    /// Whether it was told: once for all the connections that share this
    /// configuration (a bench makes thousands).
    reported: AtomicBool,
}

impl BrokerVerifier {
    /// Trusts `roots`; `own_cas` are the user's CA certificates among them,
    /// empty for the system's.
    pub(super) fn new(
        roots: RootCertStore,
        own_cas: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<BrokerVerifier, VerifierBuilderError> {
        let algorithms = provider.signature_verification_algorithms;
        let webpki =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider).build()?;
        Ok(BrokerVerifier {
            webpki,
            own_cas,
            algorithms,
            accepted: OnceLock::new(),
            reported: AtomicBool::new(false),
        })
    }

    /// What webpki refused, looked at again: accepted (and which way it
    /// falls short) or refused in words a person can act on.
    fn reconsider(
        &self,
        refusal: CertificateError,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(Shortfall, String), rustls::Error> {
        let Some(certificate) = parse(end_entity) else {
            return Err(refusal.into());
        };
        let own_cas = !self.own_cas.is_empty();
        match refusal {
            // webpki reads version 3 only, and stops at the version
            // (UnsupportedCertVersion, which rustls passes on as Other).
            CertificateError::Other(_) if certificate.version() == X509Version::V1 => {
                if !own_cas {
                    return Err(refused(Shortfall::Version1));
                }
                let cn = self.check_version_1(&certificate, server_name, now)?;
                Ok((Shortfall::Version1, cn))
            }
            // webpki checks the name last: the chain, the dates and the
            // purpose have passed.
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                match subject_alt_names(&certificate) {
                    Some(names) => Err(not_valid_for(server_name, names)),
                    None if !own_cas => Err(refused(Shortfall::CnOnly)),
                    None => Ok((Shortfall::CnOnly, cn_for(&certificate, server_name)?)),
                }
            }
            other => Err(other.into()),
        }
    }

    /// Checks a version 1 certificate as OpenSSL does under the user's CAs:
    /// signed by one of them, within its dates, and for `server_name` by its
    /// CN, which it returns.
    fn check_version_1(
        &self,
        certificate: &X509Certificate<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<String, rustls::Error> {
        // Extensions came with version 3: a version 1 certificate with some
        // is malformed.
        if !certificate.extensions().is_empty() {
            return Err(CertificateError::BadEncoding.into());
        }
        self.check_issued_by_own_ca(certificate)?;
        check_dates(certificate, now)?;
        cn_for(certificate, server_name)
    }

    /// Checks that one of the user's CAs signed `certificate` directly (the
    /// recipe has no intermediate CA).
    fn check_issued_by_own_ca(
        &self,
        certificate: &X509Certificate<'_>,
    ) -> Result<(), CertificateError> {
        if certificate.signature_algorithm != certificate.tbs_certificate.signature
            || certificate.signature_value.unused_bits != 0
        {
            return Err(CertificateError::BadEncoding);
        }
        let signature_algorithm =
            algorithm_id(&certificate.signature_algorithm).ok_or(CertificateError::BadEncoding)?;
        let mut refusal = CertificateError::UnknownIssuer;
        for ca in self.own_cas.iter().filter_map(|der| parse(der)) {
            // Name constraints are webpki's to enforce: such a CA vouches for
            // nothing here.
            if ca.subject().as_raw() != certificate.issuer().as_raw()
                || !matches!(ca.name_constraints(), Ok(None))
            {
                continue;
            }
            match verify_signature(
                ca.public_key(),
                Some(&signature_algorithm),
                self.algorithms.all,
                certificate.tbs_certificate.as_ref(),
                &certificate.signature_value.data,
            ) {
                Ok(()) => return Ok(()),
                Err(
                    unsupported @ CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext {
                        ..
                    },
                ) => refusal = unsupported,
                Err(_) => {}
            }
        }
        Err(refusal)
    }

    /// The warning about a certificate we accepted though webpki would not,
    /// the first time it is asked for after one was.
    pub(super) fn unreported_shortfall(&self) -> Option<Warning> {
        let (shortfall, cn) = self.accepted.get()?;
        if self.reported.swap(true, Ordering::Relaxed) {
            return None;
        }
        Some(Warning::OldStyleCertificate {
            shortfall: *shortfall,
            cn: cn.clone(),
        })
    }

    /// Checks a TLS 1.2 handshake signature with the key of `cert` as rustls
    /// does, trying each algorithm of the scheme, without webpki reading the
    /// certificate.
    fn verify_tls12_signature_by_key(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        scheme: SignatureScheme,
        signature: &[u8],
    ) -> Result<(), rustls::Error> {
        let certificate = parse(cert).ok_or(CertificateError::BadEncoding)?;
        let candidates = self
            .algorithms
            .mapping
            .iter()
            .find(|(supported, _)| *supported == scheme)
            .map(|(_, candidates)| *candidates)
            .ok_or(PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme)?;
        verify_signature(
            certificate.public_key(),
            None,
            candidates,
            message,
            signature,
        )?;
        Ok(())
    }

    /// Whether a handshake signature that rustls could not check may be
    /// checked here: rustls reads the key with webpki, which cannot read the
    /// version 1 certificate accepted above.
    fn may_read_key_itself(&self, error: &rustls::Error) -> bool {
        !self.own_cas.is_empty()
            && matches!(
                error,
                rustls::Error::InvalidCertificate(CertificateError::Other(_))
            )
    }
}

impl ServerCertVerifier for BrokerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let refusal = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => return Ok(verified),
            Err(rustls::Error::InvalidCertificate(refusal)) => refusal,
            Err(other) => return Err(other),
        };
        let accepted = self.reconsider(refusal, end_entity, server_name, now)?;
        let _ = self.accepted.set(accepted);
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        match crypto::verify_tls12_signature(message, cert, dss, &self.algorithms) {
            Err(error) if self.may_read_key_itself(&error) => {
                self.verify_tls12_signature_by_key(message, cert, dss.scheme, dss.signature())?;
                Ok(HandshakeSignatureValid::assertion())
            }
            checked => checked,
        }
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        match crypto::verify_tls13_signature(message, cert, dss, &self.algorithms) {
            Err(error) if self.may_read_key_itself(&error) => {
                let certificate = parse(cert).ok_or(CertificateError::BadEncoding)?;
                let key = SubjectPublicKeyInfoDer::from(certificate.public_key().raw);
                crypto::verify_tls13_signature_with_raw_key(message, &key, dss, &self.algorithms)
            }
            checked => checked,
        }
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.webpki.requires_raw_public_keys()
    }

    fn root_hint_subjects(&self) -> Option<&[DistinguishedName]> {
        self.webpki.root_hint_subjects()
    }
}

/// Our certificate and the key that proves it, checked to belong together.
/// rustls compares them after reading the certificate with webpki, which
/// stops at version 1; the broker judges our certificate, so such a one is
/// compared here by its public key alone.
pub(super) fn client_certificate(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, rustls::Error> {
    let signing_key = provider.key_provider.load_private_key(key)?;
    let certified = CertifiedKey::new(chain, signing_key);
    let checked = match certified.keys_match() {
        Err(error @ rustls::Error::InvalidCertificate(CertificateError::Other(_))) => {
            version_1_keys_match(&certified).unwrap_or(Err(error))
        }
        checked => checked,
    };
    match checked {
        // A key that cannot tell its public half is no mismatch to rustls either.
        Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => Ok(certified),
        Err(error) => Err(error),
    }
}

/// Whether the key is the one of a version 1 certificate; `None` when the
/// certificate is not one.
fn version_1_keys_match(certified: &CertifiedKey) -> Option<Result<(), rustls::Error>> {
    let der = certified.end_entity_cert().ok()?;
    let certificate = parse(der).filter(|c| c.version() == X509Version::V1)?;
    let Some(key) = certified.key.public_key() else {
        return Some(Err(InconsistentKeys::Unknown.into()));
    };
    Some(match key.as_ref() == certificate.public_key().raw {
        true => Ok(()),
        false => Err(InconsistentKeys::KeyMismatch.into()),
    })
}

fn refused(shortfall: Shortfall) -> rustls::Error {
    CertificateError::Other(OtherError(Arc::new(SystemRootsRefusal(shortfall)))).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::Duration;

    use rustls_pki_types::pem::PemObject;

    // Made with the openssl commands of `man mosquitto-tls` (P-256 keys, valid
    // for 100 years): two CAs (`openssl req -new -x509 -extensions v3_ca`),
    // and certificates for CN=localhost signed by the first with
    // `openssl x509 -req -CA ca.pem -CAkey ca.key`: without -extfile (version
    // 1), and with one holding only basicConstraints=CA:FALSE (version 3, no
    // subjectAltName).
    const CA: &str = include_str!("testdata/ca.pem");
    const OTHER_CA: &str = include_str!("testdata/other-ca.pem");
    const VERSION_1: &str = include_str!("testdata/v1-localhost.pem");
    const VERSION_1_KEY: &str = include_str!("testdata/v1-localhost.key");
    const CN_ONLY: &str = include_str!("testdata/cn-only-v3.pem");

    /// 2030-01-01, within the fixtures' dates whatever this machine's clock says.
    const IN_DATES: u64 = 1_893_456_000;

    fn der(pem: &str) -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()
    }

    fn provider() -> Arc<CryptoProvider> {
        Arc::new(crypto::ring::default_provider())
    }

    /// A verifier trusting `ca`, as the user's own when `own` is set.
    fn trusting(ca: &str, own: bool) -> BrokerVerifier {
        let mut roots = RootCertStore::empty();
        roots.add(der(ca)).unwrap();
        let own_cas = if own { vec![der(ca)] } else { Vec::new() };
        BrokerVerifier::new(roots, own_cas, provider()).unwrap()
    }

    fn verify_at(
        verifier: &BrokerVerifier,
        pem: &str,
        name: &str,
        seconds: u64,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let name = ServerName::try_from(name.to_string()).unwrap();
        let now = UnixTime::since_unix_epoch(Duration::from_secs(seconds));
        verifier.verify_server_cert(&der(pem), &[], &name, &[], now)
    }

    fn problem(result: Result<ServerCertVerified, rustls::Error>) -> CertificateError {
        match result {
            Err(rustls::Error::InvalidCertificate(problem)) => problem,
            other => panic!("expected a certificate problem, got {other:?}"),
        }
    }

    #[test]
    fn a_version_1_certificate_from_our_own_ca_is_accepted_for_its_cn() {
        let verifier = trusting(CA, true);
        assert!(verify_at(&verifier, VERSION_1, "localhost", IN_DATES).is_ok());
        assert!(verify_at(&verifier, VERSION_1, "LocalHost.", IN_DATES).is_ok());
        assert!(matches!(
            verifier.unreported_shortfall(),
            Some(Warning::OldStyleCertificate {
                shortfall: Shortfall::Version1,
                ..
            })
        ));
        assert_eq!(verifier.unreported_shortfall(), None, "told once");
    }

    #[test]
    fn a_version_1_certificate_is_held_to_its_name_dates_and_issuer() {
        let verifier = trusting(CA, true);
        match problem(verify_at(&verifier, VERSION_1, "elsewhere", IN_DATES)) {
            CertificateError::NotValidForNameContext { presented, .. } => {
                assert_eq!(presented, ["CN=localhost"]);
            }
            other => panic!("{other:?}"),
        }
        // 2000-01-01 and 2200-01-01.
        assert!(matches!(
            problem(verify_at(&verifier, VERSION_1, "localhost", 946_684_800)),
            CertificateError::NotValidYetContext { .. }
        ));
        assert!(matches!(
            problem(verify_at(&verifier, VERSION_1, "localhost", 7_258_118_400)),
            CertificateError::ExpiredContext { .. }
        ));
        let other_ca = trusting(OTHER_CA, true);
        assert!(matches!(
            problem(verify_at(&other_ca, VERSION_1, "localhost", IN_DATES)),
            CertificateError::UnknownIssuer
        ));
        assert_eq!(verifier.unreported_shortfall(), None);
    }

    #[test]
    fn a_version_1_certificate_changed_after_signing_is_refused() {
        let mut changed = der(VERSION_1).to_vec();
        let at = changed
            .windows(9)
            .position(|window| window == b"localhost")
            .unwrap();
        changed[at..at + 9].copy_from_slice(b"localhosu");
        let name = ServerName::try_from("localhosu").unwrap();
        let now = UnixTime::since_unix_epoch(Duration::from_secs(IN_DATES));
        let result = trusting(CA, true).verify_server_cert(
            &CertificateDer::from(changed),
            &[],
            &name,
            &[],
            now,
        );
        assert!(matches!(problem(result), CertificateError::UnknownIssuer));
    }

    #[test]
    fn the_system_roots_keep_webpkis_rules() {
        let verifier = trusting(CA, false);
        for pem in [VERSION_1, CN_ONLY] {
            match problem(verify_at(&verifier, pem, "localhost", IN_DATES)) {
                CertificateError::Other(other) => {
                    assert!(
                        other.0.downcast_ref::<SystemRootsRefusal>().is_some(),
                        "{other:?}"
                    )
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_version_3_certificate_without_subject_alt_name_is_accepted_for_its_cn() {
        let verifier = trusting(CA, true);
        assert!(verify_at(&verifier, CN_ONLY, "localhost", IN_DATES).is_ok());
        assert!(matches!(
            problem(verify_at(&verifier, CN_ONLY, "elsewhere", IN_DATES)),
            CertificateError::NotValidForNameContext { .. }
        ));
        // The CN does not get past webpki's other checks.
        assert!(matches!(
            problem(verify_at(&verifier, CN_ONLY, "localhost", 7_258_118_400)),
            CertificateError::ExpiredContext { .. }
        ));
    }

    #[test]
    fn handshake_signatures_of_a_version_1_certificate_are_checked_with_its_key() {
        let provider = provider();
        let key = PrivateKeyDer::from_pem_slice(VERSION_1_KEY.as_bytes()).unwrap();
        let signer = provider
            .key_provider
            .load_private_key(key)
            .unwrap()
            .choose_scheme(&[SignatureScheme::ECDSA_NISTP256_SHA256])
            .unwrap();
        let message = b"the handshake so far";
        let signature = signer.sign(message).unwrap();
        let verifier = trusting(CA, true);
        let check = |message: &[u8], pem: &str| {
            verifier.verify_tls12_signature_by_key(message, &der(pem), signer.scheme(), &signature)
        };
        assert!(check(message, VERSION_1).is_ok());
        assert!(matches!(
            check(b"another handshake", VERSION_1),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::BadSignature
            ))
        ));
        // The same name, another key.
        assert!(check(message, CN_ONLY).is_err());
    }

    #[test]
    fn a_version_1_client_certificate_is_taken_with_its_own_key_only() {
        let provider = provider();
        let key = || PrivateKeyDer::from_pem_slice(VERSION_1_KEY.as_bytes()).unwrap();
        assert!(client_certificate(vec![der(VERSION_1)], key(), &provider).is_ok());
        assert!(matches!(
            client_certificate(vec![der(CN_ONLY)], key(), &provider),
            Err(rustls::Error::InconsistentKeys(
                InconsistentKeys::KeyMismatch
            ))
        ));
    }
}
