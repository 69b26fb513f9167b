//! The call's recording: both parties' frames, stamped with their time in the call, written to
//! a two-track WAV on the blocking pool as they come, and read back whole when the call ends
//! (for the `Recording` event, which the call task keeps with the call).

use std::path::PathBuf;

use switchboard_audio::{CallRecorder, Frame, Party};
use switchboard_core::CallId;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Frames waiting to be written; a full queue drops frames rather than hold the audio path.
const QUEUE: usize = 512;

/// One frame of one party, `at_ms` after the media stream started.
#[derive(Debug, Clone, Copy)]
pub(super) struct RecordFrame {
    pub(super) party: Party,
    pub(super) at_ms: u64,
    pub(super) frame: Frame,
}

/// A finished recording: the WAV file's bytes and its length.
pub(super) struct Recorded {
    pub(super) wav: Vec<u8>,
    pub(super) duration_ms: u32,
}

/// Starts recording `call`; the recording ends when every sender is dropped.
pub(super) fn start(call: CallId) -> (mpsc::Sender<RecordFrame>, JoinHandle<Option<Recorded>>) {
    let (sender, mut frames) = mpsc::channel::<RecordFrame>(QUEUE);
    let task = tokio::task::spawn_blocking(move || {
        let path = scratch_path(call);
        let written = (|| {
            let mut recorder = CallRecorder::create(&path)?;
            while let Some(RecordFrame { party, at_ms, frame }) = frames.blocking_recv() {
                recorder.push_mulaw(party, at_ms, &frame)?;
            }
            recorder.finish()
        })();
        let recorded = match written {
            Ok(duration_ms) => match std::fs::read(&path) {
                Ok(wav) => Some(Recorded { wav, duration_ms: u32::try_from(duration_ms).unwrap_or(u32::MAX) }),
                Err(error) => {
                    tracing::warn!(%call, %error, "could not read the call's recording back");
                    None
                }
            },
            Err(error) => {
                tracing::warn!(%call, %error, "could not record the call");
                None
            }
        };
        let _gone = std::fs::remove_file(&path);
        recorded
    });
    (sender, task)
}

/// Where the recording is written while the call lasts (the call task then keeps it in the
/// recordings directory).
fn scratch_path(call: CallId) -> PathBuf {
    let unique = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    std::env::temp_dir().join(format!("switchboard-call-{call}-{unique}.wav"))
}
