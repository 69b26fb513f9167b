//! Full-text search over 100,000 transcript turns in a SQLite file: latency of typical queries.
//! `cargo bench -p switchboard-store --bench transcript_search` prints p50/p99; under
//! `cargo test` it indexes 2,000 turns and runs a few queries as a smoke test.

use std::time::{Duration, Instant};

use switchboard_core::{AgentConfig, BackendKind, ContactDetails, ContactFields, Speaker, TranscriptLine, UnixMillis};
use switchboard_store::{NewCall, Store};

const PHRASES: [&str; 12] = [
    "For ten thousand units we can do forty two cents per unit.",
    "Our minimum order is five hundred units.",
    "Lead time is about fourteen days from order confirmation.",
    "Shipping would be FOB origin, payment terms are Net 30.",
    "Could you tell me the unit price for the full quantity?",
    "I'd have to check on that and get back to you.",
    "Traffic stopped hard in front of me, that's all.",
    "Yes, I understand. I'll be more careful.",
    "Can you call back this afternoon? I'm about to go into a meeting.",
    "We're not taking new orders for that right now.",
    "Delivered, freight included, half up front and the balance on delivery.",
    "Thank you, that's everything I needed. Have a good day.",
];

fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let (turns, queries) = if benchmarking { (100_000, 2_000) } else { (2_000, 20) };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.sqlite3")).unwrap();
    let agent: AgentConfig =
        serde_json::from_str(include_str!("../../../../assets/presets/vendor-quote.json")).unwrap();
    let agent = store.insert_agent(&agent, UnixMillis(1)).unwrap();
    let fields = ContactFields {
        name: "Acme".into(),
        phone: "+13125550143".into(),
        tags: vec![],
        time_zone: None,
        do_not_call: false,
        custom: Default::default(),
        details: ContactDetails::Vendor(Default::default()),
    };
    let contact =
        store.insert_contact(&fields, Some(&switchboard_core::Phone::plain("+13125550143")), UnixMillis(1)).unwrap();
    let per_call = 20;
    for c in 0..turns / per_call {
        let call = store
            .insert_call(&NewCall {
                contact_id: contact,
                agent_id: agent,
                backend: BackendKind::Simulator,
                phone_e164: "+13125550143".into(),
                created_at: UnixMillis(1),
                campaign: None,
            })
            .unwrap();
        for seq in 0..per_call {
            let text = format!("{} (call {c}, turn {seq})", PHRASES[(c * 7 + seq) % PHRASES.len()]);
            let line = TranscriptLine { seq: seq as u32, speaker: Speaker::Callee, text, offset_ms: 0 };
            store.append_transcript(call.id, &line).unwrap();
        }
    }
    let searches = ["\"per unit\"", "net 30", "freight", "call back afternoon", "careful", "minimum order", "quatorze"];
    let mut times: Vec<Duration> = Vec::with_capacity(queries);
    for i in 0..queries {
        let started = Instant::now();
        let hits = store.search_transcripts(searches[i % searches.len()], 50).unwrap();
        times.push(started.elapsed());
        assert!(hits.len() <= 50);
    }
    times.sort();
    let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)].as_secs_f64() * 1e3;
    if benchmarking {
        // A bench binary's output is its result.
        #[allow(clippy::print_stdout)]
        {
            println!(
                "transcript_search: {turns} turns indexed; {queries} queries (top 50 hits, highlighted): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                at(0.50),
                at(0.99),
                at(1.0)
            );
        }
    }
}
