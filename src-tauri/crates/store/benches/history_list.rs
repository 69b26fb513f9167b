//! The History list over 100,000 calls in a SQLite file: latency of each query the section
//! makes (first page, a deep page, counts, each filter, search within a filter).
//! `cargo bench -p switchboard-store --bench history_list` prints p50/p99 per query; under
//! `cargo test` it runs the same queries over 2,000 calls as a smoke test.

use std::time::{Duration, Instant};

use switchboard_core::{
    AgentConfig, BackendKind, CallFilter, CallState, ContactDetails, ContactFields, Speaker, TranscriptLine, UnixMillis,
};
use switchboard_store::{NewCall, Store};

const ENDINGS: [CallState; 5] =
    [CallState::Completed, CallState::Completed, CallState::NoAnswer, CallState::Voicemail, CallState::Busy];
const LINES: [&str; 4] = [
    "For ten thousand units we can do forty two cents per unit.",
    "Lead time is about fourteen days from order confirmation.",
    "Can you call back this afternoon?",
    "Shipping would be FOB origin, payment terms are Net 30.",
];
const DAY: i64 = 86_400_000;

fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let (calls, repeats) = if benchmarking { (100_000, 200) } else { (2_000, 3) };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.sqlite3")).unwrap();
    let (agents, contacts) = seed(&store);
    let start = 1_700_000_000_000_i64;
    let mut ids = Vec::with_capacity(calls);
    for i in 0..calls {
        let contact = &contacts[i % contacts.len()];
        let at = start + (i as i64) * (365 * DAY / calls as i64);
        let call = store
            .insert_call(&NewCall {
                contact_id: contact.0,
                agent_id: agents[i % agents.len()],
                backend: BackendKind::Simulator,
                phone_e164: contact.1.clone(),
                created_at: UnixMillis(at),
                campaign: None,
            })
            .unwrap();
        store.advance_call(call.id, ENDINGS[i % ENDINGS.len()], Some("bench"), UnixMillis(at + 60_000)).unwrap();
        let line =
            TranscriptLine { seq: 0, speaker: Speaker::Callee, text: LINES[i % LINES.len()].into(), offset_ms: 0 };
        store.append_transcript(call.id, &line).unwrap();
        ids.push(call.id);
    }

    let all = CallFilter::default();
    let no_answer = CallFilter { outcomes: vec![CallState::NoAnswer], ..CallFilter::default() };
    let contact_text = CallFilter { contact_text: Some("vendor 42".into()), ..CallFilter::default() };
    let week = CallFilter {
        from: Some(UnixMillis(start + 180 * DAY)),
        to: Some(UnixMillis(start + 187 * DAY)),
        ..CallFilter::default()
    };
    let agent = CallFilter { agent_id: Some(agents[1]), outcomes: vec![CallState::Completed], ..CallFilter::default() };
    let middle = Some(ids[ids.len() / 2]);
    type Query<'a> = Box<dyn Fn() -> usize + 'a>;
    let queries: Vec<(&str, Query)> = vec![
        ("first page (200)", Box::new(|| store.history_page(&all, None, 200).unwrap().len())),
        ("page at call 50,000", Box::new(|| store.history_page(&all, middle, 200).unwrap().len())),
        ("count, all calls", Box::new(|| store.history_count(&all).unwrap() as usize)),
        ("no-answer: page", Box::new(|| store.history_page(&no_answer, None, 200).unwrap().len())),
        ("no-answer: count", Box::new(|| store.history_count(&no_answer).unwrap() as usize)),
        ("contact text: page", Box::new(|| store.history_page(&contact_text, None, 200).unwrap().len())),
        ("contact text: count", Box::new(|| store.history_count(&contact_text).unwrap() as usize)),
        ("one week: page", Box::new(|| store.history_page(&week, None, 200).unwrap().len())),
        ("one week: count", Box::new(|| store.history_count(&week).unwrap() as usize)),
        ("agent + completed: page", Box::new(|| store.history_page(&agent, None, 200).unwrap().len())),
        (
            "search \"per unit\", no-answer",
            Box::new(|| store.history_search(&no_answer, "\"per unit\"", 200).unwrap().len()),
        ),
        ("search \"call back\", all", Box::new(|| store.history_search(&all, "\"call back\"", 200).unwrap().len())),
    ];
    let mut report = Vec::new();
    for (name, query) in &queries {
        let mut times: Vec<Duration> = Vec::with_capacity(repeats);
        let mut rows = 0;
        for _ in 0..repeats {
            let started = Instant::now();
            rows = query();
            times.push(started.elapsed());
        }
        assert!(rows > 0, "{name} found nothing");
        times.sort();
        let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)].as_secs_f64() * 1e3;
        report.push(format!("  {name:<32} rows {rows:>6}  p50 {:>7.2} ms  p99 {:>7.2} ms", at(0.5), at(0.99)));
    }
    if benchmarking {
        // A bench binary's output is its result.
        #[allow(clippy::print_stdout)]
        {
            println!("history_list: {calls} calls over {} contacts, {repeats} runs per query", contacts.len());
            for line in report {
                println!("{line}");
            }
        }
    }
}

/// Three agents and 1,000 vendors named "Vendor N".
fn seed(store: &Store) -> (Vec<switchboard_core::AgentId>, Vec<(switchboard_core::ContactId, String)>) {
    let preset: AgentConfig =
        serde_json::from_str(include_str!("../../../../assets/presets/vendor-quote.json")).unwrap();
    let agents = (0..3)
        .map(|i| {
            let mut config = preset.clone();
            config.name = format!("Agent {i}");
            store.insert_agent(&config, UnixMillis(1)).unwrap()
        })
        .collect();
    let contacts = (0..1_000)
        .map(|i| {
            let phone = format!("+1312555{:04}", i);
            let fields = ContactFields {
                name: format!("Vendor {i}"),
                phone: phone.clone(),
                tags: vec![],
                time_zone: None,
                do_not_call: false,
                custom: Default::default(),
                details: ContactDetails::Vendor(Default::default()),
            };
            (
                store.insert_contact(&fields, Some(&switchboard_core::Phone::plain(&phone)), UnixMillis(1)).unwrap(),
                phone,
            )
        })
        .collect();
    (agents, contacts)
}
