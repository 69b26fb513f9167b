//! tracing to stderr and to a size-capped log file in the profile's log directory:
//! `switchboard.log`, moved to `switchboard.log.1` (and so on) when it passes its size, the
//! oldest deleted, so the directory never holds much more than [`LOG_FILE_BYTES`] ×
//! ([`KEPT_LOG_FILES`] + 1).

use std::path::Path;

use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, fmt};

/// A log file is moved aside once it passes this size (the line being written finishes it).
const LOG_FILE_BYTES: usize = 8 * 1024 * 1024;
/// Log files kept besides the one being written.
const KEPT_LOG_FILES: usize = 4;

/// Starts logging. Keep the returned guard alive: dropping it flushes the file. When the log
/// directory cannot be created, logs go to stderr only and the reason is logged.
pub fn init(log_dir: &Path) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = fmt::layer().with_writer(std::io::stderr);
    match std::fs::create_dir_all(log_dir) {
        Ok(()) => {
            remove_daily_files(log_dir);
            let file = capped_log_file(log_dir, LOG_FILE_BYTES, KEPT_LOG_FILES);
            let (writer, guard) = tracing_appender::non_blocking(file);
            let file_layer = fmt::layer().with_ansi(false).with_writer(writer);
            tracing_subscriber::registry().with(filter).with(stderr).with(file_layer).init();
            Some(guard)
        }
        Err(reason) => {
            tracing_subscriber::registry().with(filter).with(stderr).init();
            tracing::warn!(dir = %log_dir.display(), %reason, "cannot write log files; logging to stderr only");
            None
        }
    }
}

/// Starts logging to stderr alone (a console refused its profile writes nothing in it).
pub fn init_stderr_only() -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry().with(filter).with(fmt::layer().with_writer(std::io::stderr)).init();
    None
}

/// `switchboard.log` in `log_dir`, moved aside past `file_bytes`, with `kept` older files.
fn capped_log_file(log_dir: &Path, file_bytes: usize, kept: usize) -> FileRotate<AppendCount> {
    FileRotate::new(
        log_dir.join("switchboard.log"),
        AppendCount::new(kept),
        ContentLimit::BytesSurpassed(file_bytes),
        Compression::None,
        None,
    )
}

/// Deletes the daily files (`switchboard.YYYY-MM-DD.log`) earlier versions wrote, which no
/// cap would otherwise ever remove.
fn remove_daily_files(log_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(log_dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let daily = name.strip_prefix("switchboard.").and_then(|rest| rest.strip_suffix(".log"));
        if daily.is_some_and(|date| date.len() == 10 && date.chars().all(|c| c.is_ascii_digit() || c == '-')) {
            // Best effort: a file that cannot be removed stays, as it would have before.
            let _removed = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::{capped_log_file, remove_daily_files};

    fn directory_bytes(dir: &std::path::Path) -> (u64, usize) {
        let files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().metadata().unwrap()).collect();
        (files.iter().map(|file| file.len()).sum(), files.len())
    }

    #[test]
    fn the_log_directory_stays_under_its_cap_however_much_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = capped_log_file(dir.path(), 10_000, 3);
        let line = format!("{}\n", "WARN rejected request ".repeat(4));
        for _ in 0..20_000 {
            file.write_all(line.as_bytes()).unwrap();
        }
        file.flush().unwrap();
        let written = 20_000 * line.len() as u64;
        let (bytes, files) = directory_bytes(dir.path());
        assert_eq!(files, 4, "the file being written and three older ones");
        assert!(bytes <= 4 * (10_000 + line.len() as u64), "{bytes} bytes kept of {written} written");
    }

    #[test]
    fn the_daily_files_of_earlier_versions_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["switchboard.2026-12-01.log", "switchboard.log", "switchboard.log.1", "notes.txt"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        remove_daily_files(dir.path());
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["notes.txt", "switchboard.log", "switchboard.log.1"]);
    }
}
