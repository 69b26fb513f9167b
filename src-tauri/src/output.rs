//! Command output: what a command prints goes to stdout whole.

use std::io::Write;

/// Writes command output to stdout.
pub fn print(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
