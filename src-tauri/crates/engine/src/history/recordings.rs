//! Call recordings (one file per call in the recordings directory; on a shared database, put
//! in the database once finished, so any node serves them) and how long they are kept.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use switchboard_core::{CallId, RecordingInfo, UnixMillis};
use switchboard_store::{RecordingPlace, Store, StoreError, Uploaded};

use crate::EngineError;

/// The setting holding how many days recordings are kept (unset: forever).
pub const RECORDING_RETENTION_DAYS: &str = "recording_retention_days";
/// How a file being written in the recordings directory ends (its name starts with a dot):
/// a pipeline call's recording while the call lasts, or a recording being saved.
pub const UNFINISHED_SUFFIX: &str = ".partial";

/// The directory recordings are kept in.
#[derive(Debug, Clone)]
pub struct Recordings {
    dir: PathBuf,
}

/// Where this process reads a recording's bytes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordingSource {
    /// Its file on this process's disk.
    File(PathBuf),
    /// The database, in `chunks` chunks numbered from 0 (`Store::recording_chunk`).
    Database { chunks: u64 },
    /// The disk of node `node`, which has not put it in the database (yet).
    OnNode(i64),
}

impl Recordings {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// Deletes the unfinished files a crash left in the directory (call it at start-up, before
    /// any call is placed); returns how many went.
    pub fn remove_unfinished(&self) -> std::io::Result<usize> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(err) => return Err(err),
        };
        let mut removed = 0;
        for entry in entries {
            let path = entry?.path();
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
            if name.starts_with('.') && name.ends_with(UNFINISHED_SUFFIX) {
                remove_file(&path);
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Where a recording file is.
    pub fn path_of(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// Stores a call's audio as `<call id>.<extension>` (written whole, then renamed, so a
    /// crash never leaves half a file under the final name) and records it.
    pub fn save(
        &self,
        store: &Store,
        call: CallId,
        extension: &str,
        audio: &[u8],
        duration_ms: u32,
        now: UnixMillis,
    ) -> Result<PathBuf, EngineError> {
        let file = format!("{}.{extension}", call.0);
        let path = self.dir.join(&file);
        write_atomically(&self.dir, &path, |out| out.write_all(audio)).map_err(|err| not_saved(&path, &err))?;
        store.save_recording(call, &file, duration_ms, audio.len() as u64, now)?;
        Ok(path)
    }

    /// Keeps the WAV file at `from` (written by the engine while the call lasted) as the call's
    /// recording: renamed into place when it is on the same filesystem, else copied (whole,
    /// then renamed) and removed. The file is gone from `from` afterwards, kept or not.
    pub fn adopt(
        &self,
        store: &Store,
        call: CallId,
        from: &Path,
        duration_ms: u32,
        now: UnixMillis,
    ) -> Result<PathBuf, EngineError> {
        let file = format!("{}.wav", call.0);
        let path = self.dir.join(&file);
        let moved = move_file(&self.dir, from, &path);
        let _gone = std::fs::remove_file(from);
        let bytes = moved.map_err(|err| not_saved(&path, &err))?;
        store.save_recording(call, &file, duration_ms, bytes, now)?;
        Ok(path)
    }

    /// On a shared database, puts call `call`'s recording just kept at `path` in it, on the
    /// blocking pool, off the call's own path (a failure keeps the file, for
    /// [`Recordings::upload_pending`] to try again).
    pub fn share(&self, store: &Arc<Store>, call: CallId, path: &Path) {
        let Some(file) = path.file_name().and_then(|name| name.to_str()).map(str::to_owned) else { return };
        if store.is_shared() {
            let (recordings, store) = (self.clone(), Arc::clone(store));
            tokio::task::spawn_blocking(move || recordings.upload(&store, call, &file));
        }
    }

    /// Puts the recordings this node's disk holds but the database does not yet (saved while
    /// the database failed, or left by a node that died on this directory) in the database;
    /// returns how many went.
    pub fn upload_pending(&self, store: &Store) -> Result<usize, StoreError> {
        let pending = store.pending_recording_uploads()?;
        let here = pending.iter().filter(|pending| self.path_of(&pending.file).exists());
        Ok(here.filter(|pending| self.upload(store, pending.call, &pending.file)).count())
    }

    /// Uploads recording file `file` of `call`; once the database holds it (or no longer wants
    /// it) the file goes. Returns whether the database holds it now; failures are logged, and
    /// the file stays.
    fn upload(&self, store: &Store, call: CallId, file: &str) -> bool {
        let path = self.path_of(file);
        let uploaded = match std::fs::File::open(&path) {
            // Another upload of it (the one after the call, or a heartbeat's) took it meanwhile.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return false,
            Err(source) => Err(StoreError::RecordingUnreadable { call: call.0, source }),
            Ok(mut source) => store.upload_recording(call, file, &mut source),
        };
        match uploaded {
            Ok(Uploaded::Busy) => false,
            Ok(uploaded) => {
                remove_file(&path);
                uploaded != Uploaded::Gone
            }
            Err(error) => {
                tracing::warn!(%call, %error, "could not put a recording in the database; its file is kept to try again");
                false
            }
        }
    }

    /// Call `call`'s recording, unless there is none or it was deleted, with where this
    /// process reads its bytes.
    pub fn source(&self, store: &Store, call: CallId) -> Result<Option<(RecordingInfo, RecordingSource)>, StoreError> {
        let Some(stored) = store.stored_recording(call)?.filter(|stored| stored.info.deleted_at.is_none()) else {
            return Ok(None);
        };
        let source = match stored.place {
            RecordingPlace::Database { chunks } => RecordingSource::Database { chunks },
            RecordingPlace::File { held_by: Some(node) } if Some(node) != store.node() => RecordingSource::OnNode(node),
            RecordingPlace::File { .. } => RecordingSource::File(self.path_of(&stored.info.file)),
        };
        Ok(Some((stored.info, source)))
    }
}

fn not_saved(path: &Path, err: &std::io::Error) -> EngineError {
    EngineError::InvalidRequest(format!("could not save the recording to {}: {err}", path.display()))
}

/// Moves `from` to `path` in `dir` (durable before it gets its final name); returns its size.
fn move_file(dir: &Path, from: &Path, path: &Path) -> std::io::Result<u64> {
    std::fs::create_dir_all(dir)?;
    let source = std::fs::File::open(from)?;
    let bytes = source.metadata()?.len();
    source.sync_all()?;
    if std::fs::rename(from, path).is_err() {
        // Another filesystem (a temp directory in memory): copy it instead.
        write_atomically(dir, path, |out| std::io::copy(&mut &source, out).map(drop))?;
    }
    Ok(bytes)
}

/// Writes a temporary file of its own in `dir` with `write`, then renames it to `path`: two
/// writers of the same recording (a webhook and a reconciler at once) never share a temp file.
fn write_atomically(
    dir: &Path,
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::Builder::new().prefix(".recording-").suffix(UNFINISHED_SUFFIX).tempfile_in(dir)?;
    write(file.as_file_mut())?;
    file.as_file().sync_all()?;
    file.persist(path).map(drop).map_err(|error| error.error)
}

/// How many days recordings are kept, when the dispatcher set a limit.
pub fn retention_days(store: &Store) -> Result<Option<u32>, StoreError> {
    Ok(store.setting(RECORDING_RETENTION_DAYS)?.and_then(|value| value.parse().ok()).filter(|days| *days > 0))
}

/// Deletes recordings older than `days` days; returns how many went. Their rows stay, marked
/// deleted, so History says the audio is gone rather than missing.
pub fn apply_retention(
    store: &Store,
    recordings: &Recordings,
    days: u32,
    now: UnixMillis,
) -> Result<usize, StoreError> {
    let cutoff = UnixMillis(now.0 - i64::from(days) * 86_400_000);
    let files = store.expire_recordings(cutoff, now)?;
    for file in &files {
        remove_file(&recordings.path_of(file));
    }
    if !files.is_empty() {
        tracing::info!(count = files.len(), days, "deleted recordings past retention");
    }
    Ok(files.len())
}

/// Deletes a recording file that is not kept (a pipeline call's, when no recordings are kept or
/// its call is gone), on the blocking pool.
pub async fn discard(path: PathBuf) {
    let _done = tokio::task::spawn_blocking(move || remove_file(&path)).await;
}

/// Removes a file; one already gone is fine, other failures are logged.
pub(super) fn remove_file(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => tracing::warn!(path = %path.display(), error = %err, "could not delete a recording"),
    }
}
