//! The `switchboard-fakes` binary: it prints one line per fake, and each answers HTTP at the
//! address it printed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Stops the binary however the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _already_gone = self.0.kill();
        let _reaped = self.0.wait();
    }
}

const FAKES: [&str; 7] = ["twilio", "elevenlabs", "vapi", "ultravox", "deepgram", "anthropic", "elevenlabs-tts"];

#[tokio::test]
async fn the_binary_serves_every_fake_where_it_says() {
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_switchboard-fakes"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start switchboard-fakes"),
    );
    let mut lines = BufReader::new(child.0.stdout.take().expect("stdout")).lines();
    let mut served = Vec::new();
    for _ in FAKES {
        let line = lines.next().expect("a line per fake").expect("readable output");
        let mut words = line.split_whitespace();
        let (name, base_url) = (words.next().expect("a name"), words.next().expect("an address"));
        assert!(base_url.starts_with("http://127.0.0.1:"), "{line}");
        served.push((name.to_owned(), base_url.to_owned()));
    }
    let names: Vec<&str> = served.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, FAKES);
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    for (name, base_url) in &served {
        // Without a key, each provider refuses (or does not know the path); any HTTP answer will do.
        let answer = client.get(format!("{base_url}/")).send().await;
        assert!(answer.is_ok(), "{name} at {base_url}: {answer:?}");
    }
}
