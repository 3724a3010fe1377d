//! The fields of an X.509 certificate that the broker's certificate is
//! checked by, where webpki does not read it: the names it is for (the
//! subjectAltName, or the CN as OpenSSL reads it), its dates, and the
//! signature its issuer made.

use std::net::IpAddr;
use std::time::Duration;

use rustls::{self, CertificateError};
use rustls_pki_types::{ServerName, SignatureVerificationAlgorithm, UnixTime};
use x509_parser::asn1_rs::ToDer;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

/// The certificate, when x509-parser reads all of it.
pub(super) fn parse(der: &[u8]) -> Option<X509Certificate<'_>> {
    match X509Certificate::from_der(der) {
        Ok(([], certificate)) => Some(certificate),
        _ => None,
    }
}

/// The refusal of a certificate that is not for `server_name`, naming those
/// it is for.
pub(super) fn not_valid_for(server_name: &ServerName<'_>, presented: Vec<String>) -> rustls::Error {
    CertificateError::NotValidForNameContext {
        expected: server_name.to_owned(),
        presented,
    }
    .into()
}

/// The DNS names and addresses of the subjectAltName as a person writes
/// them; `None` when there is no subjectAltName.
pub(super) fn subject_alt_names(certificate: &X509Certificate<'_>) -> Option<Vec<String>> {
    let names = match certificate.subject_alternative_name() {
        Ok(Some(extension)) => &extension.value.general_names,
        Ok(None) => return None,
        // There is one, unreadable: no reason to read the CN instead.
        Err(_) => return Some(Vec::new()),
    };
    let plain = |name: &GeneralName<'_>| match name {
        GeneralName::DNSName(dns) => Some(dns.to_string()),
        GeneralName::IPAddress(bytes) => ip_address(bytes).map(|ip| ip.to_string()),
        _ => None,
    };
    Some(names.iter().filter_map(plain).collect())
}

fn ip_address(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// The CN that names `server_name`, as OpenSSL reads a certificate without a
/// subjectAltName; refused with the CNs there are otherwise.
pub(super) fn cn_for(
    certificate: &X509Certificate<'_>,
    server_name: &ServerName<'_>,
) -> Result<String, rustls::Error> {
    let cns: Vec<&str> = certificate
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok())
        .collect();
    let names = |cn: &&&str| match server_name {
        ServerName::DnsName(dns) => cn_matches(cn, dns.as_ref()),
        ServerName::IpAddress(ip) => cn.parse::<IpAddr>().ok() == Some(IpAddr::from(*ip)),
        _ => false,
    };
    match cns.iter().find(names) {
        Some(cn) => Ok(cn.to_string()),
        None => Err(not_valid_for(
            server_name,
            cns.iter().map(|cn| format!("CN={cn}")).collect(),
        )),
    }
}

/// Whether the CN `pattern` names the DNS name `host`: the same but for case
/// and a final dot, or `*.` standing for exactly one first label above at
/// least two more (`*.example.com`; never `*.com`, nor a `*` elsewhere).
fn cn_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.strip_suffix('.').unwrap_or(pattern);
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() || host.contains('*') {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(parent) => {
            parent.contains('.')
                && !parent.contains('*')
                && !parent.starts_with('.')
                && host.split_once('.').is_some_and(|(first, rest)| {
                    !first.is_empty() && rest.eq_ignore_ascii_case(parent)
                })
        }
        None => !pattern.contains('*') && pattern.eq_ignore_ascii_case(host),
    }
}

/// Checks that `now` is within the certificate's dates (both included).
pub(super) fn check_dates(
    certificate: &X509Certificate<'_>,
    now: UnixTime,
) -> Result<(), CertificateError> {
    let validity = certificate.validity();
    let time = |seconds: i64| {
        UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
    };
    let (not_before, not_after) = (
        validity.not_before.timestamp(),
        validity.not_after.timestamp(),
    );
    let seconds = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if seconds < not_before {
        return Err(CertificateError::NotValidYetContext {
            time: now,
            not_before: time(not_before),
        });
    }
    if seconds > not_after {
        return Err(CertificateError::ExpiredContext {
            time: now,
            not_after: time(not_after),
        });
    }
    Ok(())
}

/// Checks that the key of `signer` made `signature` over `message`, with one
/// of `candidates` made for its kind of key and, when given, for
/// `signature_algorithm` (the contents of an AlgorithmIdentifier).
pub(super) fn verify_signature(
    signer: &SubjectPublicKeyInfo<'_>,
    signature_algorithm: Option<&[u8]>,
    candidates: &[&dyn SignatureVerificationAlgorithm],
    message: &[u8],
    signature: &[u8],
) -> Result<(), CertificateError> {
    let key_algorithm = algorithm_id(&signer.algorithm).ok_or(CertificateError::BadEncoding)?;
    if signer.subject_public_key.unused_bits != 0 {
        return Err(CertificateError::BadEncoding);
    }
    let mut usable = candidates
        .iter()
        .filter(|candidate| {
            candidate.public_key_alg_id().as_ref() == key_algorithm
                && signature_algorithm.is_none_or(|id| candidate.signature_alg_id().as_ref() == id)
        })
        .peekable();
    if usable.peek().is_none() {
        return Err(
            CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext {
                signature_algorithm_id: signature_algorithm.map(<[u8]>::to_vec).unwrap_or_default(),
                public_key_algorithm_id: key_algorithm,
            },
        );
    }
    let key = &signer.subject_public_key.data;
    match usable.any(|candidate| candidate.verify_signature(key, message, signature).is_ok()) {
        true => Ok(()),
        false => Err(CertificateError::BadSignature),
    }
}

/// The DER of an AlgorithmIdentifier's contents (its OID and parameters,
/// without the SEQUENCE around them): how rustls's algorithms name theirs.
pub(super) fn algorithm_id(algorithm: &AlgorithmIdentifier<'_>) -> Option<Vec<u8>> {
    let mut der = algorithm.algorithm.to_der_vec().ok()?;
    if let Some(parameters) = &algorithm.parameters {
        der.extend(parameters.to_der_vec().ok()?);
    }
    Some(der)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cn_names_its_host_or_one_label_under_a_wildcard() {
        for (pattern, host) in [
            ("localhost", "localhost"),
            ("Broker.Example.COM", "broker.example.com"),
            ("broker.example.com.", "broker.example.com"),
            ("*.example.com", "broker.example.com"),
            ("*.example.com", "BROKER.example.com."),
        ] {
            assert!(cn_matches(pattern, host), "{pattern} names {host}");
        }
        for (pattern, host) in [
            ("localhost", "localhost2"),
            ("broker.example.com", "example.com"),
            ("*.example.com", "example.com"),
            ("*.example.com", "a.b.example.com"),
            ("*.example.com", ".example.com"),
            ("*.com", "example.com"),
            ("*", "localhost"),
            ("b*.example.com", "broker.example.com"),
            ("*.*.example.com", "a.b.example.com"),
            ("", ""),
        ] {
            assert!(!cn_matches(pattern, host), "{pattern} does not name {host}");
        }
    }
}
