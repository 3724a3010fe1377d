//! Certificates a test makes for itself (rcgen): a CA, a broker certificate it signed, a
//! client certificate it signed, and a second CA that signed nothing here; as files for
//! mosquitto and `mqtk`, and as a rustls server configuration for the harness's own TLS
//! servers.

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// The name on the broker's certificate; tests connect to 127.0.0.1.
pub const BROKER_NAME: &str = "broker.test";

/// The common name of the CA that signed the broker's and the client's certificates.
pub const CA_NAME: &str = "mqtk test CA";

/// A directory of PEM files: `ca.pem`, `other-ca.pem`, `broker.pem`/`broker.key` and
/// `client.pem`/`client.key`.
pub struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    /// Certificates valid for years.
    pub fn new() -> Pki {
        Pki::with_broker_expiry(None)
    }

    /// Like [`Pki::new`], with a broker certificate that expires in `days` days.
    pub fn expiring_in(days: i64) -> Pki {
        Pki::with_broker_expiry(Some(days))
    }

    fn with_broker_expiry(days: Option<i64>) -> Pki {
        let dir = tempfile::tempdir().expect("a directory for the certificates");
        let (ca_pem, ca) = certificate_authority(CA_NAME);
        fs::write(dir.path().join("ca.pem"), ca_pem).unwrap();
        let (other_pem, _) = certificate_authority("another CA");
        fs::write(dir.path().join("other-ca.pem"), other_pem).unwrap();
        for (name, purpose) in [
            ("broker", ExtendedKeyUsagePurpose::ServerAuth),
            ("client", ExtendedKeyUsagePurpose::ClientAuth),
        ] {
            let mut params = CertificateParams::new(vec![BROKER_NAME.to_string()]).unwrap();
            params.distinguished_name.push(DnType::CommonName, name);
            params.extended_key_usages.push(purpose);
            if let (Some(days), "broker") = (days, name) {
                let (year, month, day) = days_from_now(days);
                params.not_after = rcgen::date_time_ymd(year, month, day);
            }
            let key = KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, &ca).unwrap();
            fs::write(dir.path().join(format!("{name}.pem")), cert.pem()).unwrap();
            fs::write(dir.path().join(format!("{name}.key")), key.serialize_pem()).unwrap();
        }
        Pki { dir }
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    pub fn arg(&self, file: &str) -> String {
        self.path(file).display().to_string()
    }

    /// mosquitto configuration lines for a TLS listener with the broker certificate.
    pub fn listener(&self, extra: &str) -> String {
        format!(
            "cafile {}\ncertfile {}\nkeyfile {}\n{extra}",
            self.arg("ca.pem"),
            self.arg("broker.pem"),
            self.arg("broker.key")
        )
    }

    /// A rustls server configuration with the broker certificate, for a TLS server of the
    /// harness's own.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        let chain = CertificateDer::pem_file_iter(self.path("broker.pem"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(self.path("broker.key")).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        Arc::new(config)
    }
}

fn certificate_authority(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    let pem = params.self_signed(&key).unwrap().pem();
    (pem, Issuer::new(params, key))
}

/// The year, month and day (UTC) `days` days from now.
fn days_from_now(days: i64) -> (i32, u8, u8) {
    let then = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24 * days))
        .unwrap();
    let date = then.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    (i32::from(date.year()), date.month() as u8, date.day() as u8)
}
