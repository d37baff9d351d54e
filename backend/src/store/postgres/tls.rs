//! TLS to PostgreSQL (`sslmode=require`): rustls on the ring provider, as the users API's
//! client, through tokio-postgres-rustls; the server's certificate checked against a CA
//! file of the operator's or the system's roots.

use crate::store::StoreError;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};
use std::path::Path;
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The connector of a pool whose server's certificate must chain to `ca_file` (PEM, one
/// certificate or more), or to the system's roots without one.
pub fn connector(ca_file: Option<&Path>) -> Result<MakeRustlsConnect, StoreError> {
    let roots = match ca_file {
        Some(path) => roots_in(path)?,
        None => system_roots()?,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError(format!("postgres TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// The certificates in the PEM file at `path`.
fn roots_in(path: &Path) -> Result<RootCertStore, StoreError> {
    let fail =
        |reason: String| StoreError(format!("--database-ca-file {}: {reason}", path.display()));
    let mut roots = RootCertStore::empty();
    let certificates = CertificateDer::pem_file_iter(path).map_err(|e| fail(e.to_string()))?;
    for certificate in certificates {
        let certificate = certificate.map_err(|e| fail(e.to_string()))?;
        roots.add(certificate).map_err(|e| fail(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(fail("no certificate in it".into()));
    }
    Ok(roots)
}

/// The system's trusted roots (Debian's ca-certificates).
fn system_roots() -> Result<RootCertStore, StoreError> {
    let loaded = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _unusable) = roots.add_parsable_certificates(loaded.certs);
    if added == 0 {
        let why = loaded.errors.first().map(ToString::to_string);
        return Err(StoreError(format!(
            "postgres TLS: no system root certificates ({}); install ca-certificates, or \
             give --database-ca-file",
            why.unwrap_or_else(|| "none found".into())
        )));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_a_certificate_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let error = connector(Some(&path)).err().unwrap();
        assert!(
            error.0.contains("ca.pem") && error.0.contains("no certificate"),
            "{error}"
        );
        let missing = connector(Some(&dir.path().join("absent.pem")))
            .err()
            .unwrap();
        assert!(missing.0.contains("absent.pem"), "{missing}");
    }
}
