//! How a console trusts a team server's certificate: the system's way first (a chain to a root
//! this computer trusts, `SSL_CERT_FILE` / `SSL_CERT_DIR` honoured, the server's name checked), else
//! the SHA-256 fingerprint the dispatcher compared and confirmed (a pin); and how a node trusts
//! another node's: by the fingerprint that node published in the shared database.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use x509_cert::der::Decode as _;

use super::tls::fingerprint;

/// How the console trusts a team server, kept per server in the profile's `team.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "by", rename_all = "camelCase")]
pub enum ServerTrust {
    /// Its certificate chains to a root this computer trusts and names the server: it is checked
    /// that way on every connection, so a renewed certificate keeps working.
    System {
        /// Who issued the certificate, as it names itself.
        issuer: String,
    },
    /// This computer does not trust it: only the certificate with this SHA-256 is accepted.
    Pinned { fingerprint: String },
}

/// What Check certificate found: a certificate the system trusts, or one to compare and pin.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "trusted", rename_all = "camelCase")]
pub enum CertificateCheck {
    /// Trusted by the system, issued by `issuer`: nothing to compare.
    System { issuer: String },
    /// Not trusted by the system, for `reason`: compare its `fingerprint` before pinning it.
    Untrusted { fingerprint: String, reason: String },
}

/// TLS for a server trusted as `trust`. `probe` instead accepts any certificate and records
/// what the system makes of it there (Check certificate).
pub fn client_config(
    trust: Option<&ServerTrust>,
    probe: Option<Arc<Mutex<Option<CertificateCheck>>>>,
) -> Arc<ClientConfig> {
    let mode = match (trust, probe) {
        (_, Some(seen)) => Mode::Probe(seen),
        (Some(ServerTrust::Pinned { fingerprint }), None) => Mode::Pinned(normalised(fingerprint)),
        (Some(ServerTrust::System { .. }) | None, None) => Mode::System,
    };
    config_for(mode)
}

/// TLS for another node's team server: only the certificate whose SHA-256 the node published in
/// the shared database passes, whatever the system makes of it (the nodes trust that database).
pub fn node_client_config(published: &str) -> Arc<ClientConfig> {
    config_for(Mode::Published(normalised(published)))
}

fn config_for(mode: Mode) -> Arc<ClientConfig> {
    let provider = provider();
    let system = if matches!(mode, Mode::Published(_)) { None } else { system_verifier(&provider) };
    let verifier = Verifier { system, mode, algorithms: provider.signature_verification_algorithms };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// A certificate fingerprint as bare upper-case hex, however it was written.
pub fn normalised(fingerprint: &str) -> String {
    fingerprint.chars().filter(char::is_ascii_hexdigit).map(|c| c.to_ascii_uppercase()).collect()
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The system's verifier over the roots this computer trusts; none when it trusts none.
fn system_verifier(provider: &Arc<CryptoProvider>) -> Option<Arc<WebPkiServerVerifier>> {
    let found = rustls_native_certs::load_native_certs();
    for err in &found.errors {
        tracing::warn!(error = %err, "a trusted root certificate could not be read");
    }
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(found.certs);
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider))
        .build()
        .map_err(|err| tracing::warn!(error = %err, "this computer trusts no certificate authority"))
        .ok()
}

#[derive(Debug)]
enum Mode {
    /// The system's check must pass.
    System,
    /// Only this (normalised) fingerprint passes.
    Pinned(String),
    /// Anything passes; what the system makes of it is recorded.
    Probe(Arc<Mutex<Option<CertificateCheck>>>),
    /// Only this (normalised) fingerprint, which another node published, passes; the system is
    /// not asked.
    Published(String),
}

/// Checks a server's certificate as its `Mode` says; handshake signatures are checked as usual,
/// so the server must hold the certificate's key.
#[derive(Debug)]
struct Verifier {
    system: Option<Arc<WebPkiServerVerifier>>,
    mode: Mode,
    algorithms: WebPkiSupportedAlgorithms,
}

impl Verifier {
    /// The system's verdict on the certificate: its issuer when trusted, else why not.
    fn system_verdict(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<String, String> {
        let system = self.system.as_ref().ok_or("this computer trusts no certificate authority")?;
        match system.verify_server_cert(end_entity, intermediates, server_name, &[], now) {
            Ok(_) => Ok(issuer(end_entity)),
            Err(err) => Err(why_untrusted(&err, server_name)),
        }
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = || self.system_verdict(end_entity, intermediates, server_name, now);
        match &self.mode {
            Mode::System => match verdict() {
                Ok(_) => Ok(ServerCertVerified::assertion()),
                Err(reason) => Err(rustls::Error::General(format!(
                    "this computer does not trust the server's certificate: {reason}"
                ))),
            },
            Mode::Pinned(pinned) => {
                let presented = fingerprint(end_entity);
                if *pinned == normalised(&presented) {
                    return Ok(ServerCertVerified::assertion());
                }
                match verdict() {
                    Ok(issuer) => Err(rustls::Error::General(format!(
                        "the server's certificate changed to one this computer trusts (issued by {issuer}), but this \
                         console pinned the old one: check the certificate and sign in again to trust it"
                    ))),
                    Err(_) => Err(rustls::Error::General(format!(
                        "the server's certificate changed (SHA-256 {presented}); sign in again to trust it"
                    ))),
                }
            }
            Mode::Probe(seen) => {
                let check = match verdict() {
                    Ok(issuer) => CertificateCheck::System { issuer },
                    Err(reason) => CertificateCheck::Untrusted { fingerprint: fingerprint(end_entity), reason },
                };
                *seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(check);
                Ok(ServerCertVerified::assertion())
            }
            Mode::Published(published) => {
                let presented = fingerprint(end_entity);
                if *published == normalised(&presented) {
                    return Ok(ServerCertVerified::assertion());
                }
                Err(rustls::Error::General(format!(
                    "its certificate (SHA-256 {presented}) is not the one its node published in the shared database"
                )))
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The issuer a certificate names (`CN=…,O=…`).
fn issuer(cert: &CertificateDer<'_>) -> String {
    x509_cert::Certificate::from_der(cert.as_ref())
        .map(|cert| cert.tbs_certificate.issuer.to_string())
        .unwrap_or_else(|_| "an unreadable issuer".to_owned())
}

/// Why the system refused a certificate, in the dispatcher's words.
fn why_untrusted(err: &rustls::Error, server_name: &ServerName<'_>) -> String {
    let name = server_name.to_str();
    match err {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "it is not signed by an authority this computer trusts (a self-signed certificate, say)".to_owned()
        }
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!("it is not valid for the name {name}"),
        rustls::Error::InvalidCertificate(CertificateError::Expired | CertificateError::ExpiredContext { .. }) => {
            "it has expired".to_owned()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    use rustls::ServerConfig;
    use rustls::pki_types::PrivateKeyDer;
    use tokio_rustls::TlsAcceptor;

    use super::*;
    use crate::paths::DataPaths;
    use crate::team::link::{self, certificate_check, sign_in, tls_connect};
    use crate::team::tls;

    /// Set in the process a test runs itself again in: the file its `SSL_CERT_FILE` names.
    const TRUSTING_CHILD: &str = "SWITCHBOARD_TEST_TRUSTED_CA";
    const CA_NAME: &str = "Switchboard Test CA";

    /// A certificate authority made for the test, which this computer trusts through
    /// `SSL_CERT_FILE`.
    struct TestCa(CertifiedIssuer<'static, KeyPair>);

    impl TestCa {
        /// Runs test `name` (of this module) again in a process of its own whose `SSL_CERT_FILE`
        /// names a file holding only the test's CA (this process's environment is left alone):
        /// `None` here, once that run passed; there, the CA, written to that file.
        fn trusted_in_a_process_of_its_own(name: &str) -> Option<Self> {
            if let Some(file) = std::env::var_os(TRUSTING_CHILD) {
                let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
                params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
                params.distinguished_name.push(DnType::CommonName, CA_NAME);
                let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
                std::fs::write(&file, ca.pem()).unwrap();
                return Some(Self(ca));
            }
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("ca.pem");
            let test = format!("{}::{name}", module_path!().split_once("::").unwrap().1);
            let run = Command::new(std::env::current_exe().unwrap())
                .args([&test, "--exact", "--nocapture", "--test-threads=1"])
                .env("SSL_CERT_FILE", &file)
                .env_remove("SSL_CERT_DIR")
                .env(TRUSTING_CHILD, &file)
                .output()
                .unwrap();
            let output = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
            assert!(run.status.success() && output.contains("1 passed"), "{test} trusting the test CA:\n{output}");
            None
        }

        /// A server certificate for `names` the CA signed, and its key.
        fn sign(&self, names: &[&str]) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
            let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
            let key = KeyPair::generate().unwrap();
            let cert = CertificateParams::new(names).unwrap().signed_by(&key, &self.0).unwrap();
            (cert.der().clone(), PrivateKeyDer::try_from(key.serialize_der()).unwrap())
        }
    }

    /// A TLS server on loopback presenting whichever certificate was given last.
    struct Server {
        url: String,
        config: Arc<Mutex<Arc<ServerConfig>>>,
    }

    impl Server {
        async fn start((cert, key): (CertificateDer<'static>, PrivateKeyDer<'static>)) -> Self {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
            let config = Arc::new(Mutex::new(server_config(cert, key)));
            let serving = Arc::clone(&config);
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let acceptor = TlsAcceptor::from(Arc::clone(&serving.lock().unwrap()));
                    tokio::spawn(async move { acceptor.accept(stream).await });
                }
            });
            Self { url, config }
        }

        /// The certificate is replaced (renewed): new connections get `cert`.
        fn renew(&self, (cert, key): (CertificateDer<'static>, PrivateKeyDer<'static>)) {
            *self.config.lock().unwrap() = server_config(cert, key);
        }
    }

    fn server_config(cert: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> Arc<ServerConfig> {
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        Arc::new(config)
    }

    #[tokio::test]
    async fn a_server_a_trusted_authority_signed_needs_no_pin_and_keeps_working_when_renewed() {
        let name = "a_server_a_trusted_authority_signed_needs_no_pin_and_keeps_working_when_renewed";
        let Some(ca) = TestCa::trusted_in_a_process_of_its_own(name) else { return };
        let first = ca.sign(&["127.0.0.1"]);
        let first_fingerprint = fingerprint(&first.0);
        let server = Server::start(first).await;

        let check = certificate_check(&server.url).await.unwrap();
        let CertificateCheck::System { issuer } = check else { panic!("the test CA's certificate: {check:?}") };
        assert!(issuer.contains(CA_NAME), "the issuer is named: {issuer}");
        let trusted = client_config(Some(&ServerTrust::System { issuer }), None);
        tls_connect(&server.url, Arc::clone(&trusted)).await.unwrap();

        let pinned = client_config(Some(&ServerTrust::Pinned { fingerprint: first_fingerprint }), None);
        server.renew(ca.sign(&["127.0.0.1"]));
        tls_connect(&server.url, trusted).await.expect("a renewed certificate is still the system's to trust");
        let refused = tls_connect(&server.url, pinned).await.unwrap_err();
        assert!(
            refused.contains("changed to one this computer trusts") && refused.contains(CA_NAME),
            "a pinned server stays pinned until the dispatcher trusts it again: {refused}"
        );
    }

    #[tokio::test]
    async fn a_trusted_certificate_for_another_name_is_refused_saying_so() {
        let name = "a_trusted_certificate_for_another_name_is_refused_saying_so";
        let Some(ca) = TestCa::trusted_in_a_process_of_its_own(name) else { return };
        let server = Server::start(ca.sign(&["team.example"])).await;

        let refused = sign_in(&server.url, "ana", "password", None).await.unwrap_err();
        assert!(refused.message.contains("not valid for the name 127.0.0.1"), "{}", refused.message);
        let refused = tls_connect(&server.url, client_config(None, None)).await.unwrap_err();
        assert!(refused.contains("does not trust the server's certificate: it is not valid for the name"), "{refused}");
    }

    #[tokio::test]
    async fn a_self_signed_server_is_trusted_only_by_its_pinned_fingerprint() {
        let name = "a_self_signed_server_is_trusted_only_by_its_pinned_fingerprint";
        let Some(_ca) = TestCa::trusted_in_a_process_of_its_own(name) else { return };
        let profile = tempfile::tempdir().unwrap();
        let served = tls::load(&DataPaths::under(profile.path().to_owned()), None, None).unwrap();
        let server = Server::start(self_signed(profile.path())).await;

        let check = certificate_check(&server.url).await.unwrap();
        let CertificateCheck::Untrusted { fingerprint, reason } = check else { panic!("self-signed: {check:?}") };
        assert_eq!(fingerprint, served.fingerprint);
        assert!(reason.contains("not signed by an authority this computer trusts"), "{reason}");
        let refused = sign_in(&server.url, "ana", "password", None).await.unwrap_err();
        assert!(refused.message.contains("does not trust the certificate"), "{}", refused.message);
        assert!(refused.message.contains("compare its fingerprint"), "{}", refused.message);
        let refused = tls_connect(&server.url, client_config(None, None)).await.unwrap_err();
        assert!(refused.contains("not signed by an authority"), "{refused}");
        tls_connect(&server.url, client_config(Some(&ServerTrust::Pinned { fingerprint }), None)).await.unwrap();
    }

    #[tokio::test]
    async fn another_nodes_server_is_trusted_only_by_the_fingerprint_it_published() {
        let (profile, elsewhere) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let published = tls::load(&DataPaths::under(profile.path().to_owned()), None, None).unwrap().fingerprint;
        let forged = tls::load(&DataPaths::under(elsewhere.path().to_owned()), None, None).unwrap().fingerprint;
        let server = Server::start(self_signed(profile.path())).await;

        tls_connect(&server.url, node_client_config(&published)).await.expect("the published certificate");
        let refused = tls_connect(&server.url, node_client_config(&forged)).await.unwrap_err();
        assert!(refused.contains(&format!("its certificate (SHA-256 {published}) is not the one its node published")));
    }

    /// The self-signed pair `serve --team` made in the profile at `profile`.
    fn self_signed(profile: &Path) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        use rustls::pki_types::pem::PemObject as _;
        let (cert, key) = tls::profile_files(&DataPaths::under(profile.to_owned()));
        (CertificateDer::from_pem_file(cert).unwrap(), PrivateKeyDer::from_pem_file(key).unwrap())
    }

    #[test]
    fn a_team_json_from_before_trust_was_kept_reads_as_pinned() {
        let profile = tempfile::tempdir().unwrap();
        let old = r#"{"url":"https://team.example:8443","name":"ana","role":"dispatcher","fingerprint":"AB:CD"}"#;
        std::fs::write(link::saved_path(profile.path()), old).unwrap();
        let saved = link::saved(profile.path()).unwrap();
        assert_eq!(saved.trust, ServerTrust::Pinned { fingerprint: "AB:CD".to_owned() });

        let system = ServerTrust::System { issuer: "CN=R11,O=Let's Encrypt,C=US".to_owned() };
        link::save(profile.path(), Some(&link::TeamConnection { trust: system.clone(), ..saved })).unwrap();
        assert_eq!(link::saved(profile.path()).unwrap().trust, system);
        assert_eq!(normalised("ab:cd:01"), "ABCD01");
    }
}
