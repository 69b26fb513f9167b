//! Recordings' bytes in the database: uploaded in chunks with the row's mark in one commit, read
//! back whole by any store, left to an upload under way, refused when the file is not what was
//! recorded, gone with retention and with a forgotten contact; a restarted node finds the uploads
//! its dead predecessor left, and a node lets go of a waiting file deleted by retention.

use switchboard_core::{CallState, UnixMillis};
use switchboard_store::{
    NewNode, NodeEnd, PendingUpload, RECORDING_CHUNK, RecordingPlace, Store, StoreError, Uploaded,
};

use crate::history::call;
use crate::{TestDb, seeded};

fn node(store: &Store, pid: u32) -> i64 {
    store.register_node(&NewNode { host: "test-host", pid, max_calls: 10, now: UnixMillis(1_000) }).unwrap()
}

/// Two and a bit chunks of bytes that repeat nowhere.
fn audio() -> Vec<u8> {
    (0..2 * RECORDING_CHUNK + 4_321).map(|n| (n * 7 + n / 251) as u8).collect()
}

fn chunk_rows(db: &TestDb) -> i64 {
    db.rows("SELECT COUNT(*) FROM recording_chunks")[0][0].int()
}

/// Every chunk of `call`'s recording, read one at a time as a serving node reads them.
fn read_back(store: &Store, call: switchboard_core::CallId) -> Vec<u8> {
    let stored = store.stored_recording(call).unwrap().unwrap();
    let RecordingPlace::Database { chunks } = stored.place else { panic!("not in the database: {stored:?}") };
    let mut bytes = Vec::new();
    for seq in 0..chunks {
        let chunk = store.recording_chunk(call, seq).unwrap().unwrap();
        assert!(chunk.len() <= RECORDING_CHUNK);
        bytes.extend(chunk);
    }
    assert_eq!(store.recording_chunk(call, chunks).unwrap(), None, "no chunk past the end");
    bytes
}

fn a_recording_uploaded_in_chunks_is_read_back_whole_by_another_store(db: &TestDb) {
    let (a, b) = (db.open(), db.open());
    seeded(&a);
    let node_a = node(&a, 1);
    let id = call(&a, 0, 1_000, CallState::Completed, &[]);
    let audio = audio();
    a.save_recording(id, "7.wav", 61_000, audio.len() as u64, UnixMillis(2_000)).unwrap();
    let stored = b.stored_recording(id).unwrap().unwrap();
    assert_eq!(stored.place, RecordingPlace::File { held_by: Some(node_a) });
    assert_eq!(a.pending_recording_uploads().unwrap(), [PendingUpload { call: id, file: "7.wav".into() }]);

    // A file shorter than recorded is refused, and nothing of it stays.
    let short = &audio[..audio.len() - 1];
    let refused = a.upload_recording(id, "7.wav", &mut &short[..]).unwrap_err();
    assert!(matches!(&refused, StoreError::Corrupt(why) if why.contains("7.wav")), "{refused}");
    assert_eq!(chunk_rows(db), 0);
    assert_eq!(b.stored_recording(id).unwrap().unwrap().place, RecordingPlace::File { held_by: Some(node_a) });

    // While another upload holds the row (on Postgres, its lock), this one stores nothing.
    if let TestDb::Postgres(url) = db {
        let mut other = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
        let mut holding = other.transaction().unwrap();
        holding.execute("SELECT 1 FROM recordings WHERE call_id = $1 FOR UPDATE", &[&id.0]).unwrap();
        assert_eq!(a.upload_recording(id, "7.wav", &mut &audio[..]).unwrap(), Uploaded::Busy);
        holding.rollback().unwrap();
    }
    // Another file name than the row's is no longer the recording.
    assert_eq!(a.upload_recording(id, "7.mp3", &mut &audio[..]).unwrap(), Uploaded::Gone);
    assert_eq!(a.upload_recording(id, "7.wav", &mut &audio[..]).unwrap(), Uploaded::Stored);
    assert_eq!(b.stored_recording(id).unwrap().unwrap().place, RecordingPlace::Database { chunks: 3 });
    assert_eq!(read_back(&b, id), audio);
    assert_eq!(b.recording(id).unwrap().unwrap().bytes, audio.len() as u64);
    assert!(a.pending_recording_uploads().unwrap().is_empty());
    assert_eq!(b.upload_recording(id, "7.wav", &mut &audio[..]).unwrap(), Uploaded::AlreadyStored);
    assert_eq!(chunk_rows(db), 3);

    // Retention takes its bytes with it; the row stays, marked.
    assert_eq!(b.expire_recordings(UnixMillis(3_000), UnixMillis(9_000)).unwrap(), ["7.wav"]);
    assert_eq!(chunk_rows(db), 0);
    let expired = a.stored_recording(id).unwrap().unwrap();
    assert_eq!(
        (expired.info.deleted_at, expired.place),
        (Some(UnixMillis(9_000)), RecordingPlace::File { held_by: None })
    );
    assert_eq!(a.upload_recording(id, "7.wav", &mut &audio[..]).unwrap(), Uploaded::Gone);
    assert_eq!(chunk_rows(db), 0);

    // Forgetting the contact takes the bytes of their calls' recordings.
    let other = call(&a, 1, 4_000, CallState::Completed, &[]);
    a.save_recording(other, "8.wav", 1_000, audio.len() as u64, UnixMillis(4_000)).unwrap();
    assert_eq!(a.upload_recording(other, "8.wav", &mut &audio[..]).unwrap(), Uploaded::Stored);
    let contact = a.call(other).unwrap().unwrap().contact_id;
    assert_eq!(a.forget_contact(contact, |summary| Some(summary.to_owned())).unwrap().recording_files, ["8.wav"]);
    assert_eq!(chunk_rows(db), 0);
}

fn a_node_finds_the_uploads_a_dead_node_left_and_not_a_live_ones(db: &TestDb) {
    let (dead, live, restarted) = (db.open(), db.open(), db.open());
    seeded(&dead);
    let (_, live_node) = (node(&dead, 1), node(&live, 2));
    let left = call(&dead, 0, 1_000, CallState::Completed, &[]);
    dead.save_recording(left, "1.wav", 1_000, 10, UnixMillis(2_000)).unwrap();
    let kept_by_live = call(&live, 1, 1_000, CallState::Completed, &[]);
    live.save_recording(kept_by_live, "2.wav", 1_000, 10, UnixMillis(2_000)).unwrap();
    node(&restarted, 3);
    assert!(restarted.pending_recording_uploads().unwrap().is_empty(), "both holders live");

    let end = NodeEnd { reason: "killed", kept: &[], adopter: Some(live_node), now: UnixMillis(3_000) };
    dead.leave_node(&end).unwrap();
    assert_eq!(restarted.pending_recording_uploads().unwrap(), [PendingUpload { call: left, file: "1.wav".into() }]);
    assert_eq!(live.pending_recording_uploads().unwrap().len(), 2, "its own and the dead one's");

    // Retention elsewhere deletes a recording still waiting on the live node's disk: its upload
    // lets the file go, and it waits no more.
    restarted.expire_recordings(UnixMillis(3_000), UnixMillis(9_000)).unwrap();
    let waiting = PendingUpload { call: kept_by_live, file: "2.wav".into() };
    assert!(live.pending_recording_uploads().unwrap().contains(&waiting));
    assert_eq!(live.upload_recording(kept_by_live, "2.wav", &mut &[0; 10][..]).unwrap(), Uploaded::Gone);
    assert!(!live.pending_recording_uploads().unwrap().contains(&waiting));
    assert_eq!(chunk_rows(db), 0);
}

on_both!(
    a_recording_uploaded_in_chunks_is_read_back_whole_by_another_store,
    a_node_finds_the_uploads_a_dead_node_left_and_not_a_live_ones,
);
