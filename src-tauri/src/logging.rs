//! tracing to stderr and to a daily-rolling file in the profile's log directory.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, fmt};

/// Starts logging. Keep the returned guard alive: dropping it flushes the file. When the log
/// directory cannot be created, logs go to stderr only and the reason is logged.
pub fn init(log_dir: &Path) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = fmt::layer().with_writer(std::io::stderr);
    let file = std::fs::create_dir_all(log_dir).map_err(|err| err.to_string()).and_then(|()| {
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("switchboard")
            .filename_suffix("log")
            .max_log_files(14)
            .build(log_dir)
            .map_err(|err| err.to_string())
    });
    match file {
        Ok(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
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
