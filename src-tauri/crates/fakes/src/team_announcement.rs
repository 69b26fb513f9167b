//! What a test reads from a running `switchboard serve --team`: the line saying where the team
//! server listens and its certificate's fingerprint (the rest of its output is drained).

use std::io::{BufRead as _, BufReader};
use std::process::Child;

/// Reads `child`'s standard output (piped) up to the team server's announcement and returns its
/// address (`host:port`) and certificate SHA-256; the output after it is read and dropped.
pub fn team_server_address(child: &mut Child) -> (String, String) {
    let mut output = BufReader::new(child.stdout.take().expect("serve's standard output is piped"));
    let announced = loop {
        let mut line = String::new();
        assert!(output.read_line(&mut line).unwrap() > 0, "serve --team ended before it said where it listens");
        if let Some(rest) = line.trim().strip_prefix("Team server on https://") {
            let (address, fingerprint) = rest.split_once("; certificate SHA-256 ").unwrap();
            break (address.to_owned(), fingerprint.to_owned());
        }
    };
    std::thread::spawn(move || for _ in output.lines() {});
    announced
}
