//! Running a scenario in a child process with ALSA pointed at a file, and reading its report.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use switchboard_speaker::OutputFormat;

use crate::capture::Capture;

/// Set in a child to the directory of its .asoundrc, capture and report.
const CHILD_DIR: &str = "SWITCHBOARD_SPEAKER_TEST_DIR";

/// What the child's default PCM is.
pub enum Alsa {
    /// Raw samples into `out.raw`, through the null device.
    FileCapture,
    /// A sound card that does not exist.
    MissingCard,
}

/// A finished child: its report (key=value lines) and its directory.
pub struct ChildRun {
    dir: tempfile::TempDir,
    pub report: HashMap<String, String>,
}

/// Runs the ignored test `name` of this binary in a child process with ALSA set up as `alsa`.
pub fn run_child(name: &str, alsa: Alsa) -> ChildRun {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("out.raw");
    let asoundrc = match alsa {
        Alsa::FileCapture => format!(
            "pcm.!default {{ type file; slave.pcm \"null\"; file \"{}\"; format \"raw\" }}\n",
            capture.display()
        ),
        Alsa::MissingCard => "pcm.!default { type hw; card 99; device 0 }\n".to_owned(),
    };
    std::fs::write(dir.path().join(".asoundrc"), asoundrc).unwrap();
    let mut process = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--ignored", "--test-threads=1", "--nocapture"])
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .env_remove("ALSA_CONFIG_PATH")
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while process.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            process.kill().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = process.wait_with_output().unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "child {name} failed:\n{log}");
    assert!(log.contains("1 passed"), "child {name} did not run:\n{log}");
    let report = std::fs::read_to_string(dir.path().join("report.txt")).unwrap_or_default();
    let report = report.lines().filter_map(|line| line.split_once('=')).map(|(k, v)| (k.into(), v.into())).collect();
    ChildRun { dir, report }
}

impl ChildRun {
    pub fn get<T: std::str::FromStr>(&self, key: &str) -> T {
        let value = self.report.get(key).unwrap_or_else(|| panic!("no {key} in {:?}", self.report));
        value.parse().unwrap_or_else(|_| panic!("{key}={value}"))
    }

    /// What ALSA wrote, read in the format the child reported.
    pub fn capture(&self) -> Capture {
        self.capture_in("out.raw")
    }

    /// What ALSA wrote to a capture the child set aside as `name`.
    pub fn capture_in(&self, name: &str) -> Capture {
        let bytes = std::fs::read(self.dir.path().join(name)).unwrap();
        Capture::parse(&bytes, self.get("rate"), self.get("channels"), &self.report["sample_format"])
    }
}

/// In a child, its scenario's handle; `None` in a plain test run.
pub struct Child {
    dir: PathBuf,
}

impl Child {
    pub fn current() -> Option<Child> {
        std::env::var_os(CHILD_DIR).map(|dir| Child { dir: dir.into() })
    }

    pub fn capture_path(&self) -> PathBuf {
        self.dir.join("out.raw")
    }

    /// Moves the capture so far to `name`: the device writes a new file when it opens again.
    pub fn set_capture_aside(&self, name: &str) {
        std::fs::rename(self.capture_path(), self.dir.join(name)).unwrap();
    }

    pub fn report(&self, key: &str, value: impl std::fmt::Display) {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("report.txt")).unwrap();
        writeln!(file, "{key}={value}").unwrap();
    }

    pub fn report_format(&self, format: &OutputFormat) {
        self.report("rate", format.sample_rate);
        self.report("channels", format.channels);
        self.report("sample_format", &format.sample_format);
    }
}

/// Size of a file, 0 if it does not exist yet.
pub fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|metadata| metadata.len()).unwrap_or(0)
}

/// Waits (at most 20 s) until `done` holds.
pub fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}
