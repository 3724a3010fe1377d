//! The files TLS reads: the CA certificates to trust (a PEM file, a
//! directory of them, or the system's root certificates), and our own
//! certificate chain and private key.

use std::path::Path;

use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::{PemContent, TlsOptions, TlsSetupError, Trusted};
use crate::client::ClientError;

/// The CA certificates to trust.
pub(super) struct Trust {
    pub(super) roots: RootCertStore,
    /// The certificates of the CA file and directory given; empty when the
    /// system's are trusted.
    pub(super) own_cas: Vec<CertificateDer<'static>>,
    /// Whom we trust.
    pub(super) who: Trusted,
}

/// The CA certificates to trust: the files given, or the system's.
pub(super) fn root_store(options: &TlsOptions) -> Result<Trust, ClientError> {
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

/// The certificates of a PEM file, at least one.
pub(super) fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, ClientError> {
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

/// The private key of a PEM file (PKCS#1, PKCS#8 or SEC1).
pub(super) fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, ClientError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| pem_error(path, PemContent::PrivateKey, &e))
}

fn pem_error(path: &Path, what: PemContent, error: &rustls_pki_types::pem::Error) -> ClientError {
    ClientError::TlsSetup(TlsSetupError::Pem {
        path: path.to_path_buf(),
        what,
        error: error.to_string(),
    })
}
