//! One engine per profile: an exclusive OS lock on a file in the data directory, which also
//! names its holder (pid and what it is), so a second console or command says who has it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::paths::DataPaths;

/// What holds a profile: the console, `serve`, or one of the headless commands that touch calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Console,
    CampaignRun,
    CampaignResume,
    CampaignCancel,
    Call,
    CallControl,
    Serve,
    Rehearse,
}

impl Holder {
    /// How the holder is named in the lock file and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Holder::Console => "console",
            Holder::CampaignRun => "campaign run",
            Holder::CampaignResume => "campaign resume",
            Holder::CampaignCancel => "campaign cancel",
            Holder::Call => "call",
            Holder::CallControl => "call control",
            Holder::Serve => "serve",
            Holder::Rehearse => "rehearse",
        }
    }
}

/// Why the profile could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    /// Another live process holds it; `pid` and `holder` as it wrote them (when it had).
    #[error("Switchboard is already running with this profile, {}", self.who())]
    Held { pid: Option<u32>, holder: String },
    #[error("cannot lock the profile {path}: {message}")]
    Io { path: String, message: String },
}

impl LockError {
    /// The process holding the profile, as messages name it: "pid 12 (console)".
    pub fn who(&self) -> String {
        match self {
            LockError::Held { pid: Some(pid), holder } if !holder.is_empty() => format!("pid {pid} ({holder})"),
            LockError::Held { pid: Some(pid), .. } => format!("pid {pid}"),
            LockError::Held { pid: None, .. } => "by a process that is still starting".to_owned(),
            LockError::Io { path, .. } => path.clone(),
        }
    }

    /// What the process holding the profile said it is doing ("console", "campaign run #4").
    pub fn holder(&self) -> Option<&str> {
        match self {
            LockError::Held { holder, .. } => Some(holder),
            LockError::Io { .. } => None,
        }
    }
}

/// The profile, held exclusively until this is dropped (or the process ends, however it ends:
/// the OS releases the lock with the file).
#[derive(Debug)]
pub struct ProfileLock {
    file: File,
}

impl ProfileLock {
    /// Takes the profile at `paths` for `holder`, or says who has it. Creates the data directory.
    pub fn acquire(paths: &DataPaths, holder: Holder) -> Result<ProfileLock, LockError> {
        let io = |path: &Path, err: std::io::Error| LockError::Io {
            path: path.display().to_string(),
            message: err.to_string(),
        };
        std::fs::create_dir_all(&paths.root).map_err(|err| io(&paths.root, err))?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&paths.lock)
            .map_err(|err| io(&paths.lock, err))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(read_holder(&mut file)),
            Err(TryLockError::Error(err)) => return Err(io(&paths.lock, err)),
        }
        let mut lock = ProfileLock { file };
        lock.describe(holder.as_str()).map_err(|err| io(&paths.lock, err))?;
        tracing::info!(path = %paths.lock.display(), holder = holder.as_str(), "profile locked");
        Ok(lock)
    }

    /// Says what the holder is doing, for whoever is refused next (for example "campaign run #4").
    pub fn describe(&mut self, doing: &str) -> std::io::Result<()> {
        let record = format!("{} {doing}\n", std::process::id());
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.file.write_all(record.as_bytes())?;
        self.file.sync_data()
    }
}

/// Reads who holds the lock: "PID WHAT" as the holder wrote it.
fn read_holder(file: &mut File) -> LockError {
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    let (pid, holder) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
    LockError::Held { pid: pid.parse().ok(), holder: holder.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_taker_is_told_who_holds_the_profile_until_it_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let paths = DataPaths::under(dir.path().join("profile"));
        let first = ProfileLock::acquire(&paths, Holder::CampaignRun).unwrap();
        let refused = ProfileLock::acquire(&paths, Holder::Console).unwrap_err();
        let pid = std::process::id();
        assert_eq!(refused, LockError::Held { pid: Some(pid), holder: "campaign run".into() });
        assert_eq!(
            refused.to_string(),
            format!("Switchboard is already running with this profile, pid {pid} (campaign run)")
        );
        assert_eq!(refused.holder(), Some("campaign run"));
        let mut first = first;
        first.describe("campaign run #4").unwrap();
        let refused = ProfileLock::acquire(&paths, Holder::Serve).unwrap_err();
        assert_eq!(refused, LockError::Held { pid: Some(pid), holder: "campaign run #4".into() });
        drop(first);
        let console = ProfileLock::acquire(&paths, Holder::Console).unwrap();
        assert_eq!(ProfileLock::acquire(&paths, Holder::Call).unwrap_err().holder(), Some("console"));
        drop(console);
    }

    #[test]
    fn an_unusable_data_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-directory");
        std::fs::write(&file, "").unwrap();
        let paths = DataPaths::under(file.join("profile"));
        let err = ProfileLock::acquire(&paths, Holder::Call).unwrap_err();
        assert!(err.to_string().starts_with(&format!("cannot lock the profile {}", paths.root.display())), "{err}");
    }
}
