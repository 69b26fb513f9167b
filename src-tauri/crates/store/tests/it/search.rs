//! Transcript search: what a person types finds the lines, marked, and deleted lines go.

use switchboard_core::{Speaker, TranscriptLine, UnixMillis};
use switchboard_store::{MATCH_END, MATCH_START, NewCall, Store};

use crate::{TestDb, seeded};

fn call_with(store: &Store, lines: &[&str]) -> switchboard_core::CallId {
    let agent = store.list_agents().unwrap()[0].id;
    let contact = store.list_contacts().unwrap()[0].id;
    let call = store
        .insert_call(&NewCall {
            contact_id: contact,
            agent_id: agent,
            backend: switchboard_core::BackendKind::Simulator,
            phone_e164: "+13125550143".into(),
            created_at: UnixMillis(1),
            campaign: None,
        })
        .unwrap();
    for (seq, text) in lines.iter().enumerate() {
        let line = TranscriptLine { seq: seq as u32, speaker: Speaker::Callee, text: (*text).into(), offset_ms: 0 };
        store.append_transcript(call.id, &line).unwrap();
    }
    call.id
}

fn phrases_prefixes_and_accents_find_their_lines(db: &TestDb) {
    let store = db.open();
    seeded(&store);
    let first = call_with(&store, &["Hello, this is Acme.", "We can do $0.45 per unit, Net 30.", "Bye now."]);
    let second = call_with(&store, &["Our price per box is higher.", "Le délai est de quatorze jours."]);

    let hits = store.search_transcripts("\"per unit\"", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].call_id, hits[0].seq), (first, 1));
    assert_eq!(
        hits[0].snippet,
        format!("We can do $0.45 {MATCH_START}per unit{MATCH_END}, Net 30."),
        "a phrase is marked whole"
    );

    let per: Vec<_> = store.search_transcripts("per", 10).unwrap().into_iter().map(|h| (h.call_id, h.seq)).collect();
    assert_eq!(per.len(), 2, "a word alone matches in both calls");
    assert!(per.contains(&(second, 0)));
    assert_eq!(
        store.search_transcripts("DELAI quator", 10).unwrap()[0].call_id,
        second,
        "accents and case ignored, prefix"
    );
    assert!(store.search_transcripts("AND OR ( NEAR \"", 10).unwrap().is_empty(), "no syntax error from typed text");
    assert!(store.search_transcripts("   ", 10).unwrap().is_empty());

    // A deleted line leaves the index with it.
    db.execute(&format!("DELETE FROM transcript_lines WHERE call_id = {} AND seq = 1", first.0));
    assert!(store.search_transcripts("\"per unit\"", 10).unwrap().is_empty());
}

on_both!(phrases_prefixes_and_accents_find_their_lines,);
