//! Where Switchboard keeps its data: the OS data directory, or `SWITCHBOARD_DATA_DIR`.

use std::path::PathBuf;

/// The environment variable that overrides the data directory (tests, scripts, second profiles).
pub const DATA_DIR_VAR: &str = "SWITCHBOARD_DATA_DIR";

/// The app identifier; also the data directory's name under the OS data directory.
pub const IDENTIFIER: &str = "app.switchboard.console";

/// The files and folders of one Switchboard profile.
#[derive(Debug, Clone)]
pub struct DataPaths {
    pub root: PathBuf,
    pub database: PathBuf,
    pub logs: PathBuf,
    pub recordings: PathBuf,
    /// Held by the process running this profile's engine (see `profile_lock`).
    pub lock: PathBuf,
}

impl DataPaths {
    /// `SWITCHBOARD_DATA_DIR` when set, else the OS data directory (for example
    /// `~/.local/share/app.switchboard.console` on Linux), else the working directory.
    pub fn resolve() -> Self {
        let root = std::env::var_os(DATA_DIR_VAR)
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
            .or_else(|| dirs::data_dir().map(|dir| dir.join(IDENTIFIER)))
            .unwrap_or_else(|| PathBuf::from(IDENTIFIER));
        Self::under(root)
    }

    /// The profile kept in `root`.
    pub(crate) fn under(root: PathBuf) -> Self {
        Self {
            database: root.join("switchboard.sqlite3"),
            logs: root.join("logs"),
            recordings: root.join("recordings"),
            lock: root.join("switchboard.lock"),
            root,
        }
    }
}
