//! `mqtk ping -v` and `--info` over TLS: what the handshake agreed on, and
//! the broker's certificate chain as it sent it (parsed with x509-parser),
//! with a warning for a certificate that expires within 30 days.

use std::fmt::Write as _;
use std::net::IpAddr;

use serde_json::{json, Value};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::client::TlsInfo;

/// A certificate that expires within this many days gets a warning.
const WARN_DAYS: i64 = 30;

const DAY: i64 = 24 * 60 * 60;

/// One certificate of the chain, as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Certificate {
    subject: String,
    issuer: String,
    /// The subject alternative names: `DNS:broker.example`, `IP:192.0.2.1`, ...
    names: Vec<String>,
    /// Unix seconds.
    not_after: i64,
}

/// The chain, end entity first; a certificate x509-parser cannot read is
/// named with the reason instead.
fn chain(tls: &TlsInfo) -> Vec<Result<Certificate, String>> {
    tls.peer_certificates.iter().map(|der| parse(der)).collect()
}

fn parse(der: &[u8]) -> Result<Certificate, String> {
    let (_, certificate) =
        X509Certificate::from_der(der).map_err(|e| format!("cannot be read: {e}"))?;
    let names = match certificate.subject_alternative_name() {
        Ok(Some(extension)) => extension.value.general_names.iter().map(name).collect(),
        Ok(None) => Vec::new(),
        Err(e) => vec![format!("(unreadable: {e})")],
    };
    Ok(Certificate {
        subject: certificate.subject().to_string(),
        issuer: certificate.issuer().to_string(),
        names,
        not_after: certificate.validity().not_after.timestamp(),
    })
}

/// A subject alternative name as OpenSSL writes it.
fn name(general: &GeneralName<'_>) -> String {
    match general {
        GeneralName::DNSName(dns) => format!("DNS:{dns}"),
        GeneralName::RFC822Name(email) => format!("email:{email}"),
        GeneralName::URI(uri) => format!("URI:{uri}"),
        GeneralName::IPAddress(bytes) => match <[u8; 4]>::try_from(*bytes) {
            Ok(v4) => format!("IP:{}", IpAddr::from(v4)),
            Err(_) => match <[u8; 16]>::try_from(*bytes) {
                Ok(v6) => format!("IP:{}", IpAddr::from(v6)),
                Err(_) => general.to_string(),
            },
        },
        other => other.to_string(),
    }
}

/// The handshake line and the chain, one certificate a block, as of `now`
/// (Unix seconds).
pub fn text(tls: &TlsInfo, now: i64) -> String {
    let mut text = format!(
        "TLS: {}, cipher suite {}, ALPN {}\n",
        tls.version,
        tls.cipher_suite,
        tls.alpn.as_deref().unwrap_or("none")
    );
    let chain = chain(tls);
    let count = chain.len();
    for (index, certificate) in chain.iter().enumerate() {
        let whose = if index == 0 { " (the broker's)" } else { "" };
        let _ = writeln!(text, "certificate {} of {count}{whose}:", index + 1);
        let certificate = match certificate {
            Ok(certificate) => certificate,
            Err(why) => {
                let _ = writeln!(text, "  {why}");
                continue;
            }
        };
        let names = match certificate.names.is_empty() {
            true => "none".to_string(),
            false => certificate.names.join(", "),
        };
        let _ = writeln!(text, "  subject    {}", certificate.subject);
        let _ = writeln!(text, "  issuer     {}", certificate.issuer);
        let _ = writeln!(text, "  names      {names}");
        let _ = writeln!(
            text,
            "  not after  {} ({})",
            date(certificate.not_after),
            left(certificate.not_after, now)
        );
        if let Some(warning) = warning(certificate.not_after, now) {
            let _ = writeln!(text, "  warning: {warning}");
        }
    }
    if count == 0 {
        text.push_str("the broker sent no certificate\n");
    }
    text
}

/// The same as a JSON object.
pub fn json(tls: &TlsInfo, now: i64) -> Value {
    let certificates: Vec<Value> = chain(tls)
        .iter()
        .map(|certificate| match certificate {
            Ok(c) => json!({
                "subject": c.subject,
                "issuer": c.issuer,
                "names": c.names,
                "not_after": date(c.not_after),
                "expires_in_days": (c.not_after - now).div_euclid(DAY),
                "warning": warning(c.not_after, now),
            }),
            Err(why) => json!({ "error": why }),
        })
        .collect();
    json!({
        "version": tls.version,
        "cipher_suite": tls.cipher_suite,
        "alpn": tls.alpn,
        "certificates": certificates,
    })
}

/// How long until `not_after`, or since, in whole days.
fn left(not_after: i64, now: i64) -> String {
    if not_after < now {
        return match (now - not_after) / DAY {
            0 => "expired today".to_string(),
            1 => "expired 1 day ago".to_string(),
            d => format!("expired {d} days ago"),
        };
    }
    match (not_after - now) / DAY {
        0 => "expires today".to_string(),
        1 => "in 1 day".to_string(),
        d => format!("in {d} days"),
    }
}

fn warning(not_after: i64, now: i64) -> Option<String> {
    let days = (not_after - now).div_euclid(DAY);
    if not_after < now {
        return Some("this certificate has expired".to_string());
    }
    (days < WARN_DAYS).then(|| match days {
        0 => "this certificate expires within a day".to_string(),
        1 => "this certificate expires in 1 day".to_string(),
        d => format!("this certificate expires in {d} days"),
    })
}

fn date(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map_or_else(|_| format!("{seconds} s after 1970"), |t| t.to_string())
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remaining_time_is_counted_in_whole_days() {
        let now = 1_000_000_000;
        assert_eq!(left(now + 10 * DAY + 5, now), "in 10 days");
        assert_eq!(left(now + DAY, now), "in 1 day");
        assert_eq!(left(now + 60, now), "expires today");
        assert_eq!(left(now - 1, now), "expired today");
        assert_eq!(left(now - 3 * DAY - 1, now), "expired 3 days ago");
        assert_eq!(warning(now + 400 * DAY, now), None);
        assert_eq!(warning(now + 30 * DAY, now), None);
        assert_eq!(
            warning(now + 29 * DAY + 5, now).as_deref(),
            Some("this certificate expires in 29 days")
        );
        assert!(warning(now - 1, now).unwrap().contains("expired"));
    }

    #[test]
    fn subject_issuer_names_and_expiry_come_from_the_certificate() {
        let mut params =
            rcgen::CertificateParams::new(vec!["broker.example".into(), "192.0.2.1".into()])
                .unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "the broker");
        params.not_after = rcgen::date_time_ymd(2030, 1, 2);
        let key = rcgen::KeyPair::generate().unwrap();
        let der = params.self_signed(&key).unwrap().der().to_vec();
        let certificate = parse(&der).unwrap();
        assert_eq!(certificate.subject, "CN=the broker");
        assert_eq!(certificate.issuer, "CN=the broker");
        assert_eq!(certificate.names, ["DNS:broker.example", "IP:192.0.2.1"]);
        assert_eq!(date(certificate.not_after), "2030-01-02T00:00:00Z");
        let tls = TlsInfo {
            version: "TLS 1.2".into(),
            cipher_suite: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".into(),
            alpn: None,
            peer_certificates: vec![der],
            resumed: false,
        };
        let ten_days_before = certificate.not_after - 10 * DAY;
        let text = text(&tls, ten_days_before);
        assert!(
            text.contains("  not after  2030-01-02T00:00:00Z (in 10 days)\n"),
            "{text}"
        );
        assert!(
            text.contains("  warning: this certificate expires in 10 days\n"),
            "{text}"
        );
        let json = json(&tls, ten_days_before);
        assert_eq!(json["alpn"], Value::Null);
        assert_eq!(json["certificates"][0]["expires_in_days"], 10);
        assert_eq!(json["certificates"][0]["names"][0], "DNS:broker.example");
    }

    #[test]
    fn a_chain_that_cannot_be_read_is_named_not_fatal() {
        let tls = TlsInfo {
            version: "TLS 1.3".into(),
            cipher_suite: "TLS13_AES_128_GCM_SHA256".into(),
            alpn: Some("mqtt".into()),
            peer_certificates: vec![vec![1, 2, 3]],
            resumed: false,
        };
        let text = text(&tls, 0);
        assert!(
            text.starts_with("TLS: TLS 1.3, cipher suite TLS13_AES_128_GCM_SHA256, ALPN mqtt\n")
        );
        assert!(
            text.contains("certificate 1 of 1 (the broker's):\n  cannot be read"),
            "{text}"
        );
        assert!(json(&tls, 0)["certificates"][0]["error"].is_string());
    }
}
