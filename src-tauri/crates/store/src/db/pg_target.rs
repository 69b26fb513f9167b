//! Where a Postgres store connects and how: the URL read as libpq reads it (`sslmode`, including
//! `verify-ca` and `verify-full`, and `sslrootcert`), and the rustls connector that TLS uses.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::{Result, StoreError};

/// A database to connect to: the driver's configuration, the TLS connector, and the database's
/// name for messages (`postgres://user@host:port/name`, never the password).
#[derive(Clone)]
pub(crate) struct PgTarget {
    pub(crate) config: postgres::Config,
    pub(crate) tls: MakeRustlsConnect,
    pub(crate) database: String,
}

impl PgTarget {
    /// Reads `url` (`postgres://…?sslmode=…&sslrootcert=…`, or `key=value` pairs). TLS is used as
    /// `sslmode` says (`disable`; `prefer`, the default: when the server offers it; `require`,
    /// `verify-ca`, `verify-full`: always), and whenever it is used the server's certificate
    /// must chain to the system's roots or to the CA file `sslrootcert` and name the host.
    pub(crate) fn parse(url: &str) -> Result<PgTarget> {
        let (driver_url, root_cert) = libpq_options(url);
        let config: postgres::Config = driver_url
            .parse()
            .map_err(|source| StoreError::Connect { database: "the Postgres URL".to_owned(), source })?;
        let database = describe(&config);
        let tls = connector(root_cert.as_deref().map(Path::new))
            .map_err(|reason| StoreError::Tls { database: database.clone(), reason })?;
        Ok(PgTarget { config, tls, database })
    }
}

/// The URL with what the driver does not read taken out: `sslrootcert` (returned), and
/// `sslmode=verify-ca`/`verify-full` written as `require` (the connector always verifies).
fn libpq_options(url: &str) -> (String, Option<String>) {
    let mut root_cert = None;
    let mut keep = |key: &str, value: &str| -> Option<String> {
        match (key, value) {
            ("sslrootcert", path) => {
                root_cert = Some(path.to_owned());
                None
            }
            ("sslmode", "verify-ca" | "verify-full") => Some("require".to_owned()),
            (_, value) => Some(value.to_owned()),
        }
    };
    if url.contains("://") {
        let Some((base, query)) = url.split_once('?') else { return (url.to_owned(), None) };
        let mut kept = form_urlencoded::Serializer::new(String::new());
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if let Some(value) = keep(&key, &value) {
                kept.append_pair(&key, &value);
            }
        }
        let kept = kept.finish();
        let url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{kept}") };
        (url, root_cert)
    } else {
        let pairs = url.split_whitespace().filter_map(|pair| match pair.split_once('=') {
            Some((key, value)) => keep(key, value).map(|value| format!("{key}={value}")),
            None => Some(pair.to_owned()),
        });
        (pairs.collect::<Vec<_>>().join(" "), root_cert)
    }
}

/// A rustls connector trusting the system's roots and the certificates of `ca_file`.
fn connector(ca_file: Option<&Path>) -> std::result::Result<MakeRustlsConnect, String> {
    let mut roots = RootCertStore::empty();
    // Certificates the system store holds but rustls cannot read are skipped, as browsers do.
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(path) = ca_file {
        let unreadable = |err: &dyn std::fmt::Display| format!("cannot read the CA file {}: {err}", path.display());
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|err| unreadable(&err))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|err| unreadable(&err))?;
        if certs.is_empty() {
            return Err(format!("the CA file {} holds no PEM certificate", path.display()));
        }
        for cert in certs {
            roots.add(cert).map_err(|err| unreadable(&err))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|err| err.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// A Postgres database as `postgres://user@host:port/name`, without its password.
fn describe(config: &postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => host.clone(),
        Some(postgres::config::Host::Unix(dir)) => dir.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or_default();
    let name = config.get_dbname().unwrap_or(user);
    format!("postgres://{user}@{host}:{port}/{name}")
}

#[cfg(test)]
mod tests {
    use super::libpq_options;

    #[test]
    fn libpq_only_options_are_taken_out_of_a_url() {
        let (url, ca) =
            libpq_options("postgres://u@h:5/db?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&connect_timeout=3");
        assert_eq!(url, "postgres://u@h:5/db?sslmode=require&connect_timeout=3");
        assert_eq!(ca.as_deref(), Some("/tmp/ca.pem"));
        assert_eq!(libpq_options("postgres://u@h/db").0, "postgres://u@h/db");
        assert_eq!(libpq_options("postgres://u@h/db?sslrootcert=/ca.pem").0, "postgres://u@h/db");
    }

    #[test]
    fn libpq_only_options_are_taken_out_of_key_value_pairs() {
        let (url, ca) = libpq_options("host=h user=u sslmode=verify-ca sslrootcert=/ca.pem");
        assert_eq!(url, "host=h user=u sslmode=require");
        assert_eq!(ca.as_deref(), Some("/ca.pem"));
    }
}
