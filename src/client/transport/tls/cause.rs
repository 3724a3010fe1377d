//! TLS failures as typed values a person can act on: rustls's errors read,
//! the certificate checks that failed named, with the values that matter
//! (whom we trust, the names a certificate is for, its dates). Their words
//! name no flag: the caller adds the flags that bear on them.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use rustls::{self, AlertDescription, CertificateError, InconsistentKeys};
use rustls_pki_types::UnixTime;

use super::verify::{Shortfall, SystemRootsRefusal};
use crate::client::ClientError;

/// Why a TLS handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum TlsCause {
    /// The broker's certificate is not signed by a CA we trust.
    #[error("the broker's certificate is not signed by a CA we trust (we trust {trusted})")]
    UnknownIssuer { trusted: Trusted },
    /// The broker's certificate is not for `name`; it is for `presented`,
    /// when rustls says.
    #[error("{}", name_mismatch(name, presented.as_deref()))]
    NameMismatch {
        name: String,
        presented: Option<Vec<String>>,
    },
    #[error("the broker's certificate {}", match not_after {
        Some(time) => format!("expired on {}", date(*time)),
        None => "has expired".to_string(),
    })]
    Expired { not_after: Option<UnixTime> },
    #[error("the broker's certificate is not valid {}", match not_before {
        Some(time) => format!("before {}", date(*time)),
        None => "yet".to_string(),
    })]
    NotValidYet { not_before: Option<UnixTime> },
    /// An old-style certificate (see [`Shortfall`]), which mqtk takes only
    /// from a CA the user gave, under the system's CAs.
    #[error("the broker's certificate {}, which mqtk accepts only from a CA you give", match shortfall {
        Shortfall::Version1 => "is X.509 version 1",
        Shortfall::CnOnly => "names its host only in the CN (no subjectAltName)",
    })]
    OldStyleUnderSystemRoots { shortfall: Shortfall },
    /// The broker answered the handshake with a TLS alert, in words.
    #[error("the broker refused the handshake ({alert})")]
    HandshakeRefused { alert: String },
    /// The connection ended before the handshake did: most likely a port
    /// that does not speak TLS.
    #[error(
        "the connection ended in the handshake ({error}); does the broker speak TLS on this port?"
    )]
    PlainPort { error: io::Error },
    #[error("the broker speaks none of the ALPN protocols offered")]
    NoCommonAlpn,
    /// Any other failure, in one sentence.
    #[error("{0}")]
    Other(String),
}

/// Why the TLS settings could not be made: the files they name, and what
/// rustls says of them.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("{name:?} is not a valid TLS server name")]
    InvalidServerName { name: String },
    #[error("cannot read {}: {error}", path.display())]
    UnreadableDirectory { path: PathBuf, error: io::Error },
    #[error("cannot read {what} from {}: {error}", path.display())]
    Pem {
        path: PathBuf,
        what: PemContent,
        error: String,
    },
    #[error("{} holds no PEM certificate", path.display())]
    NotPem { path: PathBuf },
    #[error("no CA certificate found in {trusted}")]
    NoCaCertificate { trusted: Trusted },
    #[error("cannot verify with {trusted}: {error}")]
    Verifier { trusted: Trusted, error: String },
    /// A certificate without its key, or a key without its certificate.
    #[error("a client certificate needs both its certificate and its key")]
    CertificateOrKeyAlone,
    #[error("the certificate in {} is not for the key in {}", cert.display(), key.display())]
    KeyMismatch { cert: PathBuf, key: PathBuf },
    #[error("the client certificate in {} cannot be read ({problem})", cert.display())]
    UnreadableClientCertificate { cert: PathBuf, problem: String },
    #[error("cannot use the key in {}: {why}", key.display())]
    UnusableKey { key: PathBuf, why: String },
    #[error("the client certificate: {0}")]
    ClientCertificate(String),
    #[error("cannot open {}: {error}", path.display())]
    KeyLog { path: PathBuf, error: io::Error },
    /// Another refusal of rustls's, in its words.
    #[error("{0}")]
    Rustls(String),
}

/// What a PEM file was read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PemContent {
    Certificates,
    PrivateKey,
}

impl fmt::Display for PemContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PemContent::Certificates => "certificates",
            PemContent::PrivateKey => "a private key",
        })
    }
}

/// Whom the broker's certificate must be signed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trusted {
    /// Nobody: any certificate is taken.
    Nothing,
    /// The system's root certificates.
    System,
    /// The CA certificates of a file, a directory, or both.
    Own {
        ca_file: Option<PathBuf>,
        ca_path: Option<PathBuf>,
    },
}

impl fmt::Display for Trusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trusted::Nothing => f.write_str("nothing"),
            Trusted::System => f.write_str("the system's root certificates"),
            Trusted::Own { ca_file, ca_path } => {
                let file = ca_file
                    .as_ref()
                    .map(|file| format!("the CA file {}", file.display()));
                let dir = ca_path
                    .as_ref()
                    .map(|dir| format!("the CA directory {}", dir.display()));
                let sources: Vec<String> = file.into_iter().chain(dir).collect();
                f.write_str(&sources.join(" and "))
            }
        }
    }
}

fn name_mismatch(name: &str, presented: Option<&[String]>) -> String {
    match presented {
        None => format!("the broker's certificate is not valid for {name:?}"),
        Some([]) => format!("the broker's certificate names no host, so not {name:?}"),
        Some(names) => format!(
            "the broker's certificate is for {}, not for {name:?}",
            names.join(", ")
        ),
    }
}

/// A failed handshake: which check failed and with what.
pub(super) fn handshake_error(
    error: io::Error,
    addr: &str,
    name: &str,
    trusted: &Trusted,
) -> ClientError {
    if let Some(alert) = refused_certificate(&error) {
        return ClientError::TlsRefused { alert };
    }
    let cause = match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(problem)) => {
            certificate_problem(problem, name, trusted)
        }
        Some(rustls::Error::AlertReceived(alert)) => TlsCause::HandshakeRefused {
            alert: words(&format!("{alert:?}")),
        },
        Some(other) => tls_problem(other),
        None => TlsCause::PlainPort { error },
    };
    ClientError::Tls {
        addr: addr.to_string(),
        cause,
    }
}

/// The alert, in words, with which the broker refused our client
/// certificate (or its absence), when `error` is one. Under TLS 1.3 it comes
/// after the handshake, with the first read.
pub fn refused_certificate(error: &io::Error) -> Option<String> {
    let tls_error = error.get_ref()?.downcast_ref::<rustls::Error>()?;
    match tls_error {
        rustls::Error::AlertReceived(
            alert @ (AlertDescription::BadCertificate
            | AlertDescription::CertificateRequired
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::AccessDenied),
        ) => Some(words(&format!("{alert:?}"))),
        _ => None,
    }
}

/// What was wrong with the broker's certificate.
fn certificate_problem(problem: &CertificateError, name: &str, trusted: &Trusted) -> TlsCause {
    let other = |sentence: &str| TlsCause::Other(sentence.to_string());
    match problem {
        CertificateError::UnknownIssuer => TlsCause::UnknownIssuer {
            trusted: trusted.clone(),
        },
        CertificateError::NotValidForName => TlsCause::NameMismatch {
            name: name.to_string(),
            presented: None,
        },
        CertificateError::NotValidForNameContext { presented, .. } => TlsCause::NameMismatch {
            name: name.to_string(),
            presented: Some(presented.clone()),
        },
        CertificateError::Expired => TlsCause::Expired { not_after: None },
        CertificateError::ExpiredContext { not_after, .. } => TlsCause::Expired {
            not_after: Some(*not_after),
        },
        CertificateError::NotValidYet => TlsCause::NotValidYet { not_before: None },
        CertificateError::NotValidYetContext { not_before, .. } => TlsCause::NotValidYet {
            not_before: Some(*not_before),
        },
        CertificateError::BadEncoding => other("the broker's certificate is malformed"),
        CertificateError::BadSignature => {
            other("the signature on the broker's certificate does not verify")
        }
        #[allow(deprecated)] // rustls still gives it for webpki's deprecated kinds
        CertificateError::UnsupportedSignatureAlgorithm
        | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            other("the broker's certificate is signed with an algorithm mqtk does not support")
        }
        CertificateError::Revoked => other("the broker's certificate has been revoked"),
        CertificateError::UnhandledCriticalExtension => {
            other("the broker's certificate has a critical extension mqtk does not know")
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            other("the broker's certificate is not for a TLS server (its extended key usage)")
        }
        CertificateError::Other(inner) => match inner.0.downcast_ref::<SystemRootsRefusal>() {
            Some(SystemRootsRefusal(shortfall)) => TlsCause::OldStyleUnderSystemRoots {
                shortfall: *shortfall,
            },
            // webpki's errors, whose text is their variant's name.
            None => TlsCause::Other(format!(
                "the broker's certificate was refused ({})",
                words(&inner.0.to_string())
            )),
        },
        unnamed => TlsCause::Other(format!(
            "the broker's certificate was refused ({})",
            words(&format!("{unnamed:?}"))
        )),
    }
}

/// Why our certificate and key cannot be used.
pub(super) fn client_certificate_problem(
    error: &rustls::Error,
    cert: &Path,
    key: &Path,
) -> TlsSetupError {
    match error {
        rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch) => {
            TlsSetupError::KeyMismatch {
                cert: cert.to_path_buf(),
                key: key.to_path_buf(),
            }
        }
        rustls::Error::InvalidCertificate(problem) => TlsSetupError::UnreadableClientCertificate {
            cert: cert.to_path_buf(),
            problem: words(&format!("{problem:?}")),
        },
        rustls::Error::General(why) => TlsSetupError::UnusableKey {
            key: key.to_path_buf(),
            why: why.clone(),
        },
        other => TlsSetupError::ClientCertificate(tls_problem(other).to_string()),
    }
}

/// A TLS failure other than the certificate's: rustls's own text shows some
/// of its values in their debug form.
fn tls_problem(error: &rustls::Error) -> TlsCause {
    let named = |what: &str, why: &dyn fmt::Debug| {
        TlsCause::Other(format!("{what} ({})", words(&format!("{why:?}"))))
    };
    let other = |sentence: &str| TlsCause::Other(sentence.to_string());
    match error {
        rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. } => {
            other("the broker sent a TLS message out of turn")
        }
        rustls::Error::InvalidMessage(why) => named("the broker sent a malformed TLS message", why),
        rustls::Error::PeerIncompatible(why) => {
            named("the broker's TLS and ours have nothing in common", why)
        }
        rustls::Error::PeerMisbehaved(why) => named("the broker broke the TLS protocol", why),
        rustls::Error::AlertReceived(alert) => named("the broker sent a TLS alert", alert),
        rustls::Error::NoCertificatesPresented => other("the broker sent no certificate"),
        rustls::Error::DecryptError => other("a TLS record from the broker did not decrypt"),
        rustls::Error::PeerSentOversizedRecord => {
            other("the broker sent a TLS record over the size limit")
        }
        rustls::Error::NoApplicationProtocol => TlsCause::NoCommonAlpn,
        rustls::Error::HandshakeNotComplete => other("the handshake did not complete"),
        rustls::Error::FailedToGetCurrentTime => other("the system clock cannot be read"),
        rustls::Error::FailedToGetRandomBytes => other("the system gave no random bytes"),
        rustls::Error::General(why) => other(why),
        rustls::Error::InvalidCertificate(problem) => named("a certificate was refused", problem),
        rustls::Error::Other(inner) => {
            TlsCause::Other(format!("TLS failed ({})", words(&inner.0.to_string())))
        }
        unnamed => named("TLS failed", unnamed),
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

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Arc;

    use rustls_pki_types::ServerName;

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

    impl fmt::Display for UnsupportedCertVersion {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{self:?}")
        }
    }

    impl std::error::Error for UnsupportedCertVersion {}

    #[test]
    fn every_certificate_problem_is_a_plain_sentence() {
        let problems = [
            CertificateError::Other(rustls::OtherError(Arc::new(UnsupportedCertVersion))),
            CertificateError::Other(rustls::OtherError(Arc::new(SystemRootsRefusal(
                Shortfall::Version1,
            )))),
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
        let trusted = Trusted::Own {
            ca_file: Some("ca.crt".into()),
            ca_path: None,
        };
        for problem in &problems {
            let sentence = certificate_problem(problem, "localhost", &trusted).to_string();
            assert!(
                sentence.starts_with("the broker's certificate "),
                "{sentence}"
            );
            assert!(
                !sentence.contains("Other") && !sentence.contains('{') && !sentence.contains("(\""),
                "{sentence}"
            );
        }
        let sentence = certificate_problem(&problems[0], "localhost", &Trusted::System);
        assert_eq!(
            sentence.to_string(),
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
            let sentence = tls_problem(&error).to_string();
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
            mismatch.to_string(),
            "the certificate in client.crt is not for the key in client.key"
        );
    }

    #[test]
    fn the_words_name_whom_we_trust_and_no_flag() {
        let own = Trusted::Own {
            ca_file: Some("ca.crt".into()),
            ca_path: Some("certs".into()),
        };
        let causes = [
            TlsCause::UnknownIssuer {
                trusted: own.clone(),
            },
            TlsCause::UnknownIssuer {
                trusted: Trusted::Nothing,
            },
            TlsCause::NameMismatch {
                name: "b".into(),
                presented: None,
            },
            TlsCause::OldStyleUnderSystemRoots {
                shortfall: Shortfall::CnOnly,
            },
            TlsCause::NoCommonAlpn,
        ];
        let problems = [
            TlsSetupError::NoCaCertificate {
                trusted: Trusted::System,
            },
            TlsSetupError::CertificateOrKeyAlone,
        ];
        let sentences = causes
            .iter()
            .map(ToString::to_string)
            .chain(problems.iter().map(ToString::to_string));
        for sentence in sentences {
            assert!(!sentence.contains("--"), "{sentence}");
        }
        assert_eq!(
            TlsCause::UnknownIssuer { trusted: own }.to_string(),
            "the broker's certificate is not signed by a CA we trust (we trust the CA file \
             ca.crt and the CA directory certs)"
        );
    }
}
