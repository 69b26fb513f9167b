//! Finding a call by a provider's id over 100,000 calls in a SQLite file, as the webhook inbox
//! does for every row: by the provider call id (Twilio's Call SID), by another provider ref (an
//! Ultravox call id, what Ultravox's webhooks name), and an id no call has (a webhook that beat
//! the backend's record, looked up again every few seconds until its call is known).
//! `cargo bench -p switchboard-store --bench provider_lookup` prints p50/p99 per lookup; under
//! `cargo test` it runs the same lookups over 2,000 calls as a smoke test.

use std::time::{Duration, Instant};

use switchboard_core::{AgentConfig, BackendKind, ContactDetails, ContactFields, UnixMillis};
use switchboard_store::{NewCall, Store};

fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let (calls, repeats) = if benchmarking { (100_000, 200) } else { (2_000, 3) };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.sqlite3")).unwrap();
    let preset: AgentConfig =
        serde_json::from_str(include_str!("../../../../assets/presets/vendor-quote.json")).unwrap();
    let agent = store.insert_agent(&preset, UnixMillis(1)).unwrap();
    let phone = "+13125550143";
    let fields = ContactFields {
        name: "Vendor".into(),
        phone: phone.into(),
        tags: vec![],
        time_zone: None,
        do_not_call: false,
        custom: Default::default(),
        details: ContactDetails::Vendor(Default::default()),
    };
    let contact = store.insert_contact(&fields, Some(&switchboard_core::Phone::plain(phone)), UnixMillis(1)).unwrap();
    for i in 0..calls {
        let call = store
            .insert_call(&NewCall {
                contact_id: contact,
                agent_id: agent,
                backend: BackendKind::Ultravox,
                phone_e164: phone.into(),
                created_at: UnixMillis(1_700_000_000_000 + i as i64),
                campaign: None,
            })
            .unwrap();
        store.set_provider_ref(call.id, "Ultravox call", &ultravox_id(i)).unwrap();
        store.set_provider_ref(call.id, "Twilio call SID", &call_sid(i)).unwrap();
        store.set_provider_call_id(call.id, &call_sid(i)).unwrap();
    }

    let middle = calls / 2;
    type Lookup<'a> = Box<dyn Fn() -> bool + 'a>;
    let lookups: Vec<(&str, bool, Lookup)> = vec![
        ("provider call id (Call SID)", true, Box::new(|| found(&store, &call_sid(middle)))),
        ("other provider ref (Ultravox)", true, Box::new(|| found(&store, &ultravox_id(middle)))),
        ("an id no call has", false, Box::new(|| found(&store, "0a4d5e6f-unknown"))),
    ];
    let mut report = Vec::new();
    for (name, expected, lookup) in &lookups {
        let mut times: Vec<Duration> = Vec::with_capacity(repeats);
        for _ in 0..repeats {
            let started = Instant::now();
            assert_eq!(lookup(), *expected, "{name}");
            times.push(started.elapsed());
        }
        times.sort();
        let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)].as_secs_f64() * 1e3;
        report.push(format!("  {name:<32} p50 {:>8.3} ms  p99 {:>8.3} ms", at(0.5), at(0.99)));
    }
    if benchmarking {
        // A bench binary's output is its result.
        #[allow(clippy::print_stdout)]
        {
            println!("provider_lookup: {calls} calls, {repeats} lookups each");
            for line in report {
                println!("{line}");
            }
        }
    }
}

fn found(store: &Store, id: &str) -> bool {
    store.call_by_provider_id(id).unwrap().is_some()
}

fn call_sid(i: usize) -> String {
    format!("CA{i:032x}")
}

fn ultravox_id(i: usize) -> String {
    format!("{i:08x}-7c1e-4b7a-9d2f-3e5a6b7c8d9e")
}
