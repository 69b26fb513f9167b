//! The Postgres store's connections: a restarted server costs failed writes (passing ones, which
//! the engine retries), never the store or a committed row; TLS as `sslmode` says, with the
//! server's certificate checked against `sslrootcert`.

use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use switchboard_store::testing::PrivateCluster;
use switchboard_store::{Store, WriteFailure};

/// Waits (up to a minute) until `ready` holds.
fn eventually(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_restarted_server_fails_writes_for_a_while_then_they_succeed_and_nothing_is_lost() {
    let mut cluster = PrivateCluster::init();
    cluster.start(&[]);
    let store = std::sync::Arc::new(Store::open_postgres(&cluster.url("127.0.0.1")).unwrap());
    store.set_setting("before", "1").unwrap();

    // A writer that retries what fails for a passing reason, as the engine's StoreWrites does.
    let writer = std::thread::spawn({
        let store = std::sync::Arc::clone(&store);
        move || {
            let mut failures = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(60);
            for n in 0..60 {
                loop {
                    assert!(Instant::now() < deadline, "writes never worked again: {failures:?}");
                    match store.set_setting(&format!("key_{n}"), &n.to_string()) {
                        Ok(()) => break,
                        Err(err) => {
                            let failure = err.write_failure();
                            assert!(failure.is_some(), "a restart is a passing failure, not: {err}");
                            failures.push(failure);
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            failures
        }
    });
    eventually("the writer has started", || store.setting("key_2").is_ok_and(|value| value.is_some()));
    cluster.stop();
    let err = store.set_setting("during", "x").expect_err("the server is down");
    assert_eq!(err.write_failure(), Some(WriteFailure::Unreachable), "{err}");
    assert!(err.to_string().contains("127.0.0.1") && err.to_string().contains("switchboard"), "{err}");
    cluster.restart();

    let failures = writer.join().expect("the writer never panics");
    assert!(!failures.is_empty(), "some writes met the stopped server");
    assert!(failures.iter().all(|failure| *failure == Some(WriteFailure::Unreachable)), "{failures:?}");
    assert_eq!(store.setting("before").unwrap().as_deref(), Some("1"));
    for n in 0..60 {
        assert_eq!(store.setting(&format!("key_{n}")).unwrap(), Some(n.to_string()), "key_{n}");
    }
}

#[test]
fn a_connection_the_server_ends_is_a_passing_failure_naming_the_database() {
    let db = crate::TestDb::postgres();
    let crate::TestDb::Postgres(url) = &db else { unreachable!("a Postgres database") };
    let store = Store::open_postgres(url).unwrap();
    store.set_setting("before", "1").unwrap();
    // An administrator (or a server shutting down) ends every session of the database but this one.
    let mut admin = postgres::Client::connect(url, postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .unwrap();
    let err = store.set_setting("during", "x").expect_err("the store's connection was ended");
    assert_eq!(err.write_failure(), Some(WriteFailure::Unreachable), "{err}");
    let database: String = admin.query_one("SELECT current_database()", &[]).unwrap().get(0);
    assert!(err.to_string().contains("127.0.0.1") && err.to_string().contains(&database), "{err}");
    // The pool lets the ended connection go: the next write works.
    eventually("a write works again", || store.set_setting("after", "2").is_ok());
    assert_eq!(store.setting("before").unwrap().as_deref(), Some("1"));
}

#[test]
fn one_slow_query_does_not_hold_up_the_others() {
    let db = crate::TestDb::postgres();
    let crate::TestDb::Postgres(url) = &db else { unreachable!("a Postgres database") };
    let store = std::sync::Arc::new(Store::open_postgres(url).unwrap());
    // Another session holds the settings table; a write to it waits on the lock.
    let mut other = postgres::Client::connect(url, postgres::NoTls).unwrap();
    other.batch_execute("BEGIN; LOCK TABLE settings IN ACCESS EXCLUSIVE MODE").unwrap();
    let waiting = std::thread::spawn({
        let store = std::sync::Arc::clone(&store);
        move || store.set_setting("default_region", "US")
    });
    eventually("the write waits on the lock", || {
        let waiting = "SELECT count(*) FROM pg_locks WHERE relation = 'settings'::regclass AND NOT granted";
        other.query_one(waiting, &[]).unwrap().get::<_, i64>(0) == 1
    });
    // Meanwhile the store answers on another connection.
    assert!(store.inbox_counts().is_ok());
    other.batch_execute("ROLLBACK").unwrap();
    waiting.join().unwrap().unwrap();
}

/// A CA, and a server certificate for `localhost` and 127.0.0.1 that it signs.
struct Certificates {
    ca_pem: String,
    server_pem: String,
    server_key_pem: String,
}

fn certificates() -> Certificates {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let server_params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let server = server_params.signed_by(&server_key, &issuer).unwrap();
    Certificates { ca_pem: ca.pem(), server_pem: server.pem(), server_key_pem: server_key.serialize_pem() }
}

/// A cluster that takes TCP connections over TLS only, with `certificates`' server certificate.
fn tls_cluster(certificates: &Certificates) -> PrivateCluster {
    let mut cluster = PrivateCluster::init();
    cluster.put_file("server.crt", certificates.server_pem.as_bytes());
    cluster.put_file("server.key", certificates.server_key_pem.as_bytes());
    cluster.put_file("pg_hba.conf", b"local all all trust\nhostssl all all 127.0.0.1/32 trust\n");
    cluster.start(&["ssl=on", "ssl_cert_file=server.crt", "ssl_key_file=server.key"]);
    cluster
}

#[test]
fn tls_on_loopback_is_used_with_the_right_ca_and_refused_with_a_wrong_one() {
    let trusted = certificates();
    let cluster = tls_cluster(&trusted);
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &trusted.ca_pem).unwrap();
    let wrong_ca = dir.path().join("wrong-ca.pem");
    std::fs::write(&wrong_ca, certificates().ca_pem).unwrap();

    // The server refuses unencrypted connections, so a store that works spoke TLS.
    for host in ["localhost", "127.0.0.1"] {
        let url = format!("{}?sslmode=verify-full&sslrootcert={}", cluster.url(host), ca_file.display());
        let store = Store::open_postgres(&url).unwrap_or_else(|err| panic!("{url}: {err}"));
        store.set_setting("over", "tls").unwrap();
        assert_eq!(store.setting("over").unwrap().as_deref(), Some("tls"));
    }
    let plain = Store::open_postgres(&format!("{}?sslmode=disable", cluster.url("localhost"))).err().unwrap();
    assert!(plain.to_string().contains("no encryption"), "{plain}");

    let url = format!("{}?sslmode=require&sslrootcert={}", cluster.url("localhost"), wrong_ca.display());
    let refused = Store::open_postgres(&url).err().expect("a certificate of another CA is refused");
    let message = refused.to_string();
    assert!(message.contains("postgres://postgres@localhost") && message.contains("certificate"), "{message}");
    assert_eq!(refused.write_failure(), None, "a refused certificate stays refused: {message}");
    // Without the CA file, the system's roots do not know the test's CA either.
    let untrusted = Store::open_postgres(&format!("{}?sslmode=require", cluster.url("localhost"))).err().unwrap();
    assert!(untrusted.to_string().contains("certificate"), "{untrusted}");
}

#[test]
fn an_unreadable_ca_file_is_named() {
    let missing = "/nonexistent/ca.pem";
    let err = Store::open_postgres(&format!("postgres://postgres@127.0.0.1:1/x?sslrootcert={missing}")).err().unwrap();
    assert!(err.to_string().contains(missing) && err.to_string().contains("TLS"), "{err}");
}
