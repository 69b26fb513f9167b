//! `switchboard serve --database URL` keeps everything in a Postgres database (a team's shared
//! store) instead of the profile's SQLite file.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use switchboard_store::Store;

#[test]
fn serve_opens_migrates_and_seeds_the_postgres_database_it_is_given() {
    let url = switchboard_store::testing::postgres_url();
    let profile = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .env("SWITCHBOARD_DATA_DIR", profile.path())
        .env("RUST_LOG", "warn")
        .args(["serve", "--no-keychain", "--port", &port.to_string(), "--database", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(serve.stdout.take().unwrap()).read_line(&mut first_line).unwrap();
    assert!(!first_line.is_empty(), "serve printed where it listens");

    // It runs on the Postgres database: seeded there, and no SQLite file was made.
    let store = Store::open_postgres(&url).unwrap();
    let agents = store.list_agents().unwrap();
    assert!(agents.iter().any(|agent| agent.config.name == "Vendor quote"), "{agents:?}");
    assert!(!store.list_contacts().unwrap().is_empty());
    assert!(!profile.path().join("switchboard.sqlite3").exists(), "the profile's own file is not used");

    assert!(Command::new("kill").args(["-TERM", &serve.id().to_string()]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = serve.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
}
