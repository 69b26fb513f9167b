//! A recording's bytes in the database, so that on a shared Postgres any node serves a call
//! another node ran: written in chunks by one transaction that also marks the row as whole,
//! read back one chunk at a time.

use std::io::Read;

use switchboard_core::{CallId, RecordingInfo, UnixMillis};

use crate::db::{Dialect, params};
use crate::{Result, Store, StoreError};

/// The bytes of each chunk but the last.
pub const RECORDING_CHUNK: usize = 256 * 1024;

/// A call's recording and where its bytes are.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecording {
    pub info: RecordingInfo,
    pub place: RecordingPlace,
}

/// Where a recording's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingPlace {
    /// Whole in the database, in `chunks` chunks numbered from 0.
    Database { chunks: u64 },
    /// Its file, in the recordings directory of node `held_by` (`None`: of this database's one
    /// process, or of a node that kept no id).
    File { held_by: Option<i64> },
}

/// A recording whose file a node's disk holds, still to be put in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    pub call: CallId,
    /// Its file name in the recordings directory.
    pub file: String,
}

/// What uploading a recording did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploaded {
    /// Its bytes are in the database now, whole.
    Stored,
    /// They already were (another node uploaded the same file).
    AlreadyStored,
    /// Another upload of it is under way: nothing was stored here, and its file is still needed.
    Busy,
    /// The recording is no longer kept (deleted, forgotten, or replaced by another file): nothing
    /// was stored, and its file is not needed.
    Gone,
}

impl Store {
    /// Records that a call's audio is in `file` in the recordings directory of this process
    /// (on a shared database, of this node, until it is uploaded).
    pub fn save_recording(&self, id: CallId, file: &str, duration_ms: u32, bytes: u64, now: UnixMillis) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        tx.execute("DELETE FROM recording_chunks WHERE call_id = ?1", params![id.0])?;
        tx.execute(
            "INSERT INTO recordings (call_id, file, duration_ms, bytes, created_at, held_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (call_id) DO UPDATE SET file = excluded.file, duration_ms = excluded.duration_ms,
                 bytes = excluded.bytes, created_at = excluded.created_at, deleted_at = NULL, in_database = 0,
                 held_by = excluded.held_by",
            params![id.0, file, duration_ms, bytes as i64, now.0, self.node()],
        )?;
        tx.commit()
    }

    /// A call's recording with where its bytes are, if one was stored.
    pub fn stored_recording(&self, id: CallId) -> Result<Option<StoredRecording>> {
        let mut conn = self.conn()?;
        conn.query_opt(
            "SELECT file, duration_ms, bytes, created_at, deleted_at, in_database, held_by
             FROM recordings WHERE call_id = ?1",
            params![id.0],
            |row| {
                let bytes = row.get::<i64>(2)?.unsigned_abs();
                let place = if row.get(5)? {
                    RecordingPlace::Database { chunks: bytes.div_ceil(RECORDING_CHUNK as u64) }
                } else {
                    RecordingPlace::File { held_by: row.get(6)? }
                };
                let info = RecordingInfo {
                    file: row.get(0)?,
                    duration_ms: row.get(1)?,
                    bytes,
                    created_at: UnixMillis(row.get(3)?),
                    deleted_at: row.get::<Option<i64>>(4)?.map(UnixMillis),
                };
                Ok(StoredRecording { info, place })
            },
        )
    }

    /// Chunk `seq` of a recording whose bytes are in the database; `None` when there is no such
    /// chunk (past its end, or the recording was deleted meanwhile).
    pub fn recording_chunk(&self, id: CallId, seq: u64) -> Result<Option<Vec<u8>>> {
        self.conn()?.query_opt(
            "SELECT bytes FROM recording_chunks WHERE call_id = ?1 AND seq = ?2",
            params![id.0, seq],
            |row| row.get(0),
        )
    }

    /// Puts the bytes of call `id`'s recording file `file`, read from `source`, in the database:
    /// every chunk and the row's mark that they are whole commit together, so a failure or a
    /// crash midway leaves the row saying the bytes are in the file, as before. Refused when
    /// `source` does not hold the bytes the row says.
    pub fn upload_recording(&self, id: CallId, file: &str, source: &mut dyn Read) -> Result<Uploaded> {
        let mut conn = self.conn()?;
        let lock = match conn.dialect() {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let mut tx = conn.transaction()?;
        let row: Option<(String, i64, bool, Option<i64>)> = tx.query_opt(
            &format!("SELECT file, bytes, in_database, deleted_at FROM recordings WHERE call_id = ?1{lock}"),
            params![id.0],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )?;
        let expected = match row {
            Some((_, _, true, None)) => return Ok(Uploaded::AlreadyStored),
            Some((kept, bytes, false, None)) if kept == file => bytes.unsigned_abs(),
            Some((_, _, _, Some(_))) => {
                // Deleted while its file waited: no disk holds it for the database any more.
                tx.execute("UPDATE recordings SET held_by = NULL WHERE call_id = ?1", params![id.0])?;
                tx.commit()?;
                return Ok(Uploaded::Gone);
            }
            Some(_) => return Ok(Uploaded::Gone),
            None => {
                // Skipped, locked by another upload, or no longer there.
                let exists = tx.query_opt("SELECT 1 FROM recordings WHERE call_id = ?1", params![id.0], |_| Ok(()))?;
                return Ok(if exists.is_some() { Uploaded::Busy } else { Uploaded::Gone });
            }
        };
        tx.execute("DELETE FROM recording_chunks WHERE call_id = ?1", params![id.0])?;
        let unreadable = |source| StoreError::RecordingUnreadable { call: id.0, source };
        let (mut chunk, mut seq, mut total) = (Vec::with_capacity(RECORDING_CHUNK), 0_u64, 0_u64);
        loop {
            chunk.clear();
            (&mut *source).take(RECORDING_CHUNK as u64).read_to_end(&mut chunk).map_err(unreadable)?;
            if chunk.is_empty() {
                break;
            }
            total += chunk.len() as u64;
            tx.execute(
                "INSERT INTO recording_chunks (call_id, seq, bytes) VALUES (?1, ?2, ?3)",
                params![id.0, seq, chunk.as_slice()],
            )?;
            seq += 1;
        }
        if total != expected {
            return Err(StoreError::Corrupt(format!(
                "the recording file {file} of call {id} holds {total} bytes, but {expected} were recorded"
            )));
        }
        crate::failpoint!("recording-upload-before-commit");
        tx.execute("UPDATE recordings SET in_database = 1, held_by = NULL WHERE call_id = ?1", params![id.0])?;
        tx.commit()?;
        Ok(Uploaded::Stored)
    }

    /// The recordings still to be uploaded that this node's disk may hold: those it saved, and
    /// those of nodes that have ended (a node restarted on the same directory is a new node).
    /// Those deleted meanwhile are listed too: uploading one lets its file go.
    pub fn pending_recording_uploads(&self) -> Result<Vec<PendingUpload>> {
        let mut conn = self.conn()?;
        conn.query_map(
            "SELECT call_id, file FROM recordings
             WHERE in_database = 0 AND held_by IS NOT NULL
               AND (held_by = ?1 OR held_by IN (SELECT id FROM nodes WHERE ended_at IS NOT NULL))
             ORDER BY call_id",
            params![self.node()],
            |row| Ok(PendingUpload { call: CallId(row.get(0)?), file: row.get(1)? }),
        )
    }

    /// A call's recording, if one was stored.
    pub fn recording(&self, id: CallId) -> Result<Option<RecordingInfo>> {
        Ok(self.stored_recording(id)?.map(|stored| stored.info))
    }

    /// Marks recordings made before `cutoff` as deleted (their bytes in the database go) and
    /// returns their files, for the caller to remove from disk.
    pub fn expire_recordings(&self, cutoff: UnixMillis, now: UnixMillis) -> Result<Vec<String>> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let expired: Vec<(i64, String)> = tx.query_map(
            "UPDATE recordings SET deleted_at = ?2, in_database = 0
             WHERE deleted_at IS NULL AND created_at < ?1 RETURNING call_id, file",
            params![cutoff.0, now.0],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        for (call, _) in &expired {
            tx.execute("DELETE FROM recording_chunks WHERE call_id = ?1", params![call])?;
        }
        tx.commit()?;
        Ok(expired.into_iter().map(|(_, file)| file).collect())
    }
}
