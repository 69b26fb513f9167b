//! The team server's TLS: the certificate and key given, or a self-signed pair made once and kept
//! in the profile; its SHA-256 fingerprint is what a console pins when it is not publicly trusted.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::paths::DataPaths;

/// The server's TLS set up: the rustls configuration and the certificate's fingerprint.
pub struct Tls {
    pub config: Arc<ServerConfig>,
    /// SHA-256 of the leaf certificate, as colon-separated upper-case hex pairs.
    pub fingerprint: String,
    /// Where the certificate is (made here when none was given).
    pub cert_path: PathBuf,
}

/// The certificate files kept in the profile when none are given.
pub fn profile_files(paths: &DataPaths) -> (PathBuf, PathBuf) {
    let dir = paths.root.join("team-tls");
    (dir.join("cert.pem"), dir.join("key.pem"))
}

/// Loads `cert` and `key` (PEM), or with neither the profile's self-signed pair, made on first use.
pub fn load(paths: &DataPaths, cert: Option<&Path>, key: Option<&Path>) -> Result<Tls, String> {
    let (cert_path, key_path) = match (cert, key) {
        (Some(cert), Some(key)) => (cert.to_owned(), key.to_owned()),
        (None, None) => {
            let (cert, key) = profile_files(paths);
            if !cert.exists() {
                make_self_signed(&cert, &key)?;
            }
            (cert, key)
        }
        _ => return Err("give both --tls-cert and --tls-key, or neither (a self-signed one is made)".to_owned()),
    };
    let read = |path: &Path, what: &str, err: &dyn std::fmt::Display| {
        format!("cannot read the {what} {}: {err}", path.display())
    };
    let certs = CertificateDer::pem_file_iter(&cert_path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|err| read(&cert_path, "certificate", &err))?;
    let leaf = certs.first().ok_or_else(|| format!("{} holds no certificate", cert_path.display()))?;
    let fingerprint = fingerprint(leaf);
    let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|err| read(&key_path, "private key", &err))?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|err| err.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|err| format!("the certificate {} and its key do not go together: {err}", cert_path.display()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls { config: Arc::new(config), fingerprint, cert_path })
}

/// SHA-256 of a certificate as `AB:CD:...`.
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    Sha256::digest(cert.as_ref()).iter().map(|byte| format!("{byte:02X}")).collect::<Vec<_>>().join(":")
}

/// A self-signed certificate for this machine's names, its key readable by its owner alone.
fn make_self_signed(cert: &Path, key: &Path) -> Result<(), String> {
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    if let Ok(host) = std::env::var("HOSTNAME").or_else(|_| std::fs::read_to_string("/etc/hostname")) {
        let host = host.trim();
        if !host.is_empty() {
            names.push(host.to_owned());
        }
    }
    let made = rcgen::generate_simple_self_signed(names).map_err(|err| format!("cannot make a certificate: {err}"))?;
    let dir = cert.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    write_private(key, made.signing_key.serialize_pem().as_bytes())?;
    std::fs::write(cert, made.cert.pem()).map_err(|err| format!("cannot write {}: {err}", cert.display()))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    std::io::Write::write_all(&mut file, bytes).map_err(|err| format!("cannot write {}: {err}", path.display()))
}
