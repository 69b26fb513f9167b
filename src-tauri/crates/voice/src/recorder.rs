//! The call's recording: both parties' frames, stamped with their time in the call, written to
//! a two-track WAV file (what the callee heard when is read from it as it is written) in the recordings directory (a hidden [`UNFINISHED_SUFFIX`] file), which
//! the call task renames to the call's recording when the call ends (the `RecordingFile` event:
//! the audio is never read back into memory). The frames queued up
//! are taken every [`WRITE_EVERY`] and written on the blocking pool, so a call never holds a
//! blocking thread while it lasts (hundreds of calls at once would exhaust the pool the store
//! needs), a frame queued for the recording never wakes a task, and each write (a thread woken
//! on the pool and the file's header updated) is shared by seconds of audio; the last one
//! finishes the file in the same trip.

use std::path::PathBuf;
use std::time::Duration;

use switchboard_audio::{AudioError, CallRecorder, Frame, HeardTimes, Party};
use switchboard_core::CallId;

use switchboard_engine::history::{UNFINISHED_SUFFIX, discard};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Frames waiting to be written (about ten seconds of both parties, more than twice
/// [`WRITE_EVERY`]); a full queue drops frames rather than hold the audio path.
const QUEUE: usize = 1024;
/// How often the queued frames are written.
const WRITE_EVERY: Duration = Duration::from_secs(4);

/// One frame of one party, `at_ms` after the media stream started.
#[derive(Debug, Clone, Copy)]
pub(super) struct RecordFrame {
    pub(super) party: Party,
    pub(super) at_ms: u64,
    pub(super) frame: Frame,
}

/// A finished recording: the WAV file, its length and what the callee heard when.
pub(super) struct Recorded {
    pub(super) path: PathBuf,
    pub(super) duration_ms: u32,
    pub(super) heard: HeardTimes,
}

/// A recording under way.
pub(super) struct Recording {
    task: JoinHandle<Option<Recorded>>,
    /// Dropped when the call is over.
    finished: oneshot::Sender<()>,
}

impl Recording {
    /// The finished recording, once every sender of frames is dropped; `None` when it failed.
    pub(super) async fn finish(self) -> Option<Recorded> {
        drop(self.finished);
        self.task.await.ok().flatten()
    }
}

/// Starts recording `call` in `dir` (the temp directory when recordings are not kept: the file
/// is deleted at the end).
pub(super) fn start(call: CallId, dir: Option<PathBuf>) -> (mpsc::Sender<RecordFrame>, Recording) {
    let (sender, frames) = mpsc::channel::<RecordFrame>(QUEUE);
    let (finished, finishing) = oneshot::channel();
    let task = tokio::spawn(async move {
        let path = scratch_path(call, dir.unwrap_or_else(std::env::temp_dir));
        match record(path.clone(), frames, finishing).await {
            Ok(recorded) => Some(recorded),
            Err(error) => {
                tracing::warn!(%call, %error, "could not record the call");
                discard(path).await;
                None
            }
        }
    });
    (sender, Recording { task, finished })
}

#[derive(Debug, thiserror::Error)]
enum RecordingError {
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error("cannot create the recordings directory {dir}: {source}")]
    Directory { dir: PathBuf, source: std::io::Error },
    #[error("the runtime is shutting down")]
    ShuttingDown,
}

async fn record(
    path: PathBuf,
    mut frames: mpsc::Receiver<RecordFrame>,
    mut finishing: oneshot::Receiver<()>,
) -> Result<Recorded, RecordingError> {
    let created = path.clone();
    let mut writer = on_blocking_pool(move || {
        if let Some(dir) = created.parent() {
            std::fs::create_dir_all(dir).map_err(|source| RecordingError::Directory { dir: dir.to_owned(), source })?;
        }
        Ok(CallRecorder::create(&created)?)
    })
    .await?;
    let mut batch = Vec::with_capacity(QUEUE);
    loop {
        let finished = tokio::select! {
            () = tokio::time::sleep(WRITE_EVERY) => false,
            _ = &mut finishing => true,
        };
        if finished {
            // The rest, until the last sender is gone, written and the file finished in one
            // trip to the blocking pool.
            while frames.recv_many(&mut batch, QUEUE).await > 0 {}
            let (duration_ms, heard) = on_blocking_pool(move || {
                write(&mut writer, &mut batch)?;
                Ok(writer.finish_heard()?)
            })
            .await?;
            return Ok(Recorded { path, duration_ms: u32::try_from(duration_ms).unwrap_or(u32::MAX), heard });
        }
        while let Ok(frame) = frames.try_recv() {
            batch.push(frame);
        }
        if !batch.is_empty() {
            (writer, batch) = on_blocking_pool(move || {
                let mut writer = writer;
                write(&mut writer, &mut batch)?;
                Ok((writer, batch))
            })
            .await?;
        }
    }
}

/// Writes the frames of `batch` (leaving it empty) to `writer`.
fn write(writer: &mut CallRecorder, batch: &mut Vec<RecordFrame>) -> Result<(), RecordingError> {
    for RecordFrame { party, at_ms, frame } in batch.drain(..) {
        writer.push_mulaw(party, at_ms, &frame)?;
    }
    Ok(())
}

async fn on_blocking_pool<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, RecordingError> + Send + 'static,
) -> Result<T, RecordingError> {
    tokio::task::spawn_blocking(work).await.map_err(|_| RecordingError::ShuttingDown)?
}

/// Where the recording is written in `dir` while the call lasts: hidden and named unfinished,
/// so that a crash leaves nothing that looks like a recording (and start-up clears it away).
fn scratch_path(call: CallId, dir: PathBuf) -> PathBuf {
    let unique = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    dir.join(format!(".call-{call}-{unique}.wav{UNFINISHED_SUFFIX}"))
}
