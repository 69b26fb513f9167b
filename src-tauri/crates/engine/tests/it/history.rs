//! What the engine keeps for History: recordings on disk (and their retention), and the memory
//! of past calls a contact's next call is given.

use std::path::Path;

use switchboard_core::{CallState, CallSummary, UnixMillis};
use switchboard_engine::history::{MEMORY_CALLS, Recordings, apply_retention};
use switchboard_engine::{BackendEvent, Engine, EngineSettings};

use crate::{Script, ScriptedBackend, engine_with, engine_with_settings, ids, until_ended};

/// An engine keeping recordings under `dir`, after one call to Acme Fasteners whose backend
/// answered, reported `reported` and ended.
async fn after_a_call_reporting(dir: &Path, reported: Vec<BackendEvent>) -> (Engine, CallSummary) {
    let mut script = vec![BackendEvent::Answered];
    script.extend(reported);
    script.push(BackendEvent::Ended { state: CallState::Completed, reason: "done".into() });
    let settings = EngineSettings { recordings_dir: Some(dir.join("recordings")), ..EngineSettings::default() };
    let engine = engine_with_settings(ScriptedBackend::new(Script::Play(script)), 60, settings);
    let mut events = engine.bus().subscribe();
    let (contact, agent) = ids(&engine, "Acme Fasteners");
    let call = super::start(&engine, contact, agent).await.unwrap();
    until_ended(&mut events, call.id).await;
    (engine, call)
}

#[tokio::test]
async fn a_calls_audio_is_saved_and_retention_deletes_it_later() {
    let dir = tempfile::tempdir().unwrap();
    let wav = BackendEvent::Recording { audio: b"RIFF fake wav".to_vec(), extension: "wav", duration_ms: 1_500 };
    let (engine, call) = after_a_call_reporting(dir.path(), vec![wav]).await;

    let info = engine.store().recording(call.id).unwrap().expect("the recording is recorded");
    assert_eq!((info.file.as_str(), info.duration_ms, info.bytes), (format!("{}.wav", call.id.0).as_str(), 1_500, 13));
    let recordings = engine.recordings().unwrap();
    let path = recordings.path_of(&info.file);
    assert_eq!(std::fs::read(&path).unwrap(), b"RIFF fake wav");

    let store = engine.store();
    let tomorrow = UnixMillis(info.created_at.0 + 86_400_000);
    assert_eq!(apply_retention(store, &recordings, 2, tomorrow).unwrap(), 0, "a day-old recording is kept");
    let in_three_days = UnixMillis(info.created_at.0 + 3 * 86_400_000);
    assert_eq!(apply_retention(store, &recordings, 2, in_three_days).unwrap(), 1);
    assert!(!path.exists());
    assert_eq!(store.recording(call.id).unwrap().unwrap().deleted_at, Some(in_three_days));
}

/// A provider may report a call's audio twice (its audio webhook and the audio fetched with the
/// finished call, both arriving before either is applied): it is kept once, as first reported.
#[tokio::test]
async fn audio_reported_twice_is_kept_once_as_first_reported() {
    let dir = tempfile::tempdir().unwrap();
    let audio = |bytes: &[u8]| BackendEvent::Recording { audio: bytes.to_vec(), extension: "mp3", duration_ms: 1_000 };
    let (engine, call) =
        after_a_call_reporting(dir.path(), vec![audio(b"ID3 first"), audio(b"ID3 second report")]).await;

    let info = engine.store().recording(call.id).unwrap().expect("the recording is recorded");
    assert_eq!(info.bytes, 9, "the first report's size");
    assert_eq!(std::fs::read(engine.recordings().unwrap().path_of(&info.file)).unwrap(), b"ID3 first");
}

#[tokio::test]
async fn a_recording_file_is_moved_into_place_from_this_filesystem_or_another_and_never_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    // /dev/shm is in memory: renaming from it fails, so the file is copied.
    let in_memory = tempfile::tempdir_in("/dev/shm").unwrap();
    let recordings_dir = Some(dir.path().join("recordings"));
    for (scratch, keep) in
        [(dir.path(), recordings_dir.clone()), (in_memory.path(), recordings_dir), (dir.path(), None)]
    {
        let path = scratch.join("call.wav");
        std::fs::write(&path, b"RIFF call audio").unwrap();
        let backend = ScriptedBackend::new(Script::Play(vec![
            BackendEvent::Answered,
            BackendEvent::RecordingFile { path: path.clone(), duration_ms: 2_000 },
            BackendEvent::Ended { state: CallState::Completed, reason: "done".into() },
        ]));
        let settings = EngineSettings { recordings_dir: keep.clone(), ..EngineSettings::default() };
        let engine = engine_with_settings(backend, 60, settings);
        let mut events = engine.bus().subscribe();
        let (contact, agent) = ids(&engine, "Acme Fasteners");
        let call = super::start(&engine, contact, agent).await.unwrap();
        until_ended(&mut events, call.id).await;

        assert!(!path.exists(), "the scratch file is gone from {}", scratch.display());
        let info = engine.store().recording(call.id).unwrap();
        if keep.is_none() {
            assert!(info.is_none(), "no recordings directory, no recording");
            continue;
        }
        let info = info.expect("the recording is recorded");
        assert_eq!((info.duration_ms, info.bytes), (2_000, 15));
        let kept = engine.recordings().unwrap().path_of(&info.file);
        assert_eq!(std::fs::read(kept).unwrap(), b"RIFF call audio");
    }
}

#[test]
fn unfinished_recordings_a_crash_left_are_removed_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let recordings = Recordings::new(dir.path().join("recordings"));
    assert_eq!(recordings.remove_unfinished().unwrap(), 0, "no directory yet, nothing to remove");
    std::fs::create_dir(dir.path().join("recordings")).unwrap();
    let files = [".call-7-1764640000.wav.partial", ".recording-AbC123.partial", "7.wav", "8.mp3", "notes.partial"];
    for file in files {
        std::fs::write(recordings.path_of(file), b"audio").unwrap();
    }
    assert_eq!(recordings.remove_unfinished().unwrap(), 2);
    let mut left: Vec<String> = std::fs::read_dir(dir.path().join("recordings"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["7.wav", "8.mp3", "notes.partial"]);
}

#[tokio::test]
async fn the_next_call_is_told_about_the_last_calls_with_the_contact() {
    let backend = ScriptedBackend::new(Script::Play(vec![
        BackendEvent::Answered,
        BackendEvent::Field { key: "unit_price".into(), value: "0.45".into() },
        BackendEvent::Field { key: "moq".into(), value: "500".into() },
        BackendEvent::Ended { state: CallState::Completed, reason: "said goodbye".into() },
    ]));
    let engine = engine_with(backend.clone(), 60);
    let (contact, agent) = ids(&engine, "Acme Fasteners");
    let mut events = engine.bus().subscribe();
    for _ in 0..3 {
        let call = super::start(&engine, contact, agent).await.unwrap();
        until_ended(&mut events, call.id).await;
    }
    let prompts: Vec<String> = backend.requests.lock().unwrap().iter().map(|r| r.system_prompt.clone()).collect();
    assert!(!prompts[0].contains("Earlier calls"), "nothing to remember on the first call");
    let memory = prompts[2].split_once("Earlier calls with Acme Fasteners:\n").expect("memory appended").1;
    assert_eq!(memory.lines().count(), 2, "{memory}");
    assert!(memory.lines().all(|line| line.contains("spoke; quoted $0.45 per unit; noted moq: 500")), "{memory}");

    engine.store().set_setting(MEMORY_CALLS, "1").unwrap();
    let call = super::start(&engine, contact, agent).await.unwrap();
    until_ended(&mut events, call.id).await;
    let last = backend.requests.lock().unwrap().last().unwrap().system_prompt.clone();
    assert_eq!(last.split_once("Earlier calls with Acme Fasteners:\n").unwrap().1.lines().count(), 1);

    engine.store().set_setting(MEMORY_CALLS, "0").unwrap();
    super::start(&engine, contact, agent).await.unwrap();
    assert!(!backend.requests.lock().unwrap().last().unwrap().system_prompt.contains("Earlier calls"));
}

#[tokio::test]
async fn a_contact_on_a_live_call_cannot_be_forgotten_until_it_ends() {
    let backend = ScriptedBackend::new(Script::Play(vec![BackendEvent::Answered]));
    let engine = engine_with(backend, 60);
    let (contact, agent) = ids(&engine, "Acme Fasteners");
    let call = super::start(&engine, contact, agent).await.unwrap();
    let refused = switchboard_engine::history::forget_contact(engine.store(), None, contact).unwrap_err();
    assert!(refused.to_string().contains("Acme Fasteners is on a call now"), "{refused}");
    assert!(engine.store().call(call.id).unwrap().is_some(), "nothing was deleted");
}
