//! The Analytics section's queries over 100,000 calls in a SQLite file, spread over 90 days,
//! 5 agents (each on its backend, a quarter of calls on the simulator), 20 campaigns, every outcome, talk times, costs, quotes and per-turn
//! latencies: p50, p99 and worst of each chart's query per filter shape.
//! `cargo bench -p switchboard-store --bench analytics` prints them; under `cargo test` it runs
//! the same queries over 2,000 calls as a smoke test. `-- --repeats N` runs each N times.

use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use switchboard_core::{
    AgentConfig, AgentId, AnalyticsFilter, AnalyticsScope, BackendKind, ContactDetails, ContactFields, Tallies,
    UnixMillis, nearest_rank, percentile_of_counts,
};
use switchboard_store::Store;

const DAY: i64 = 86_400_000;
/// 2026-09-01 00:00 UTC: the 90 days run to the end of November.
const START: i64 = 1_788_220_800_000;
/// Each agent's backend; a quarter of every agent's calls are tried on the simulator instead.
const AGENT_BACKENDS: [BackendKind; 5] =
    [BackendKind::Pipeline, BackendKind::Pipeline, BackendKind::ElevenLabs, BackendKind::Vapi, BackendKind::Gather];
/// Outcomes by share of calls (answered ones first).
const OUTCOMES: [(&str, u32, bool); 6] = [
    ("completed", 55, true),
    ("voicemail", 12, true),
    ("lost", 2, true),
    ("no-answer", 18, false),
    ("busy", 8, false),
    ("failed", 5, false),
];

fn main() {
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    // `--repeats N` runs each query N times (default 200).
    let args: Vec<String> = std::env::args().collect();
    let asked = args.iter().position(|arg| arg == "--repeats").and_then(|at| args.get(at + 1)?.parse().ok());
    let (calls, repeats) = if benchmarking { (100_000, asked.unwrap_or(200)) } else { (2_000, 3) };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.sqlite3");
    let store = Store::open(&path).unwrap();
    let agents = seed_agents(&store);
    let contact = seed_contact(&store);
    let campaigns: Vec<i64> = (0..20)
        .map(|i| {
            store.insert_campaign(&format!("Campaign {i}"), "vendor-quote", "{}", &[contact], UnixMillis(1)).unwrap()
        })
        .collect();
    let seeding = Instant::now();
    let turns = seed_calls(&path, calls, &agents, contact, &campaigns);
    let seeded_in = seeding.elapsed();

    let chicago =
        |filter: AnalyticsFilter| AnalyticsFilter { time_zone: "America/Chicago".into(), ..filter }.scope().unwrap();
    let (hour_rows, day_rows): (i64, i64) = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT SUM(span_hours = 1), SUM(span_hours = 24) FROM call_stats", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    let shapes: Vec<(&str, AnalyticsScope)> = vec![
        ("all calls", chicago(AnalyticsFilter::default())),
        (
            "one week",
            chicago(AnalyticsFilter {
                from: Some("2026-10-05".into()),
                to: Some("2026-10-11".into()),
                ..AnalyticsFilter::default()
            }),
        ),
        ("one agent", chicago(AnalyticsFilter { agent_id: Some(agents[2]), ..AnalyticsFilter::default() })),
        (
            "one backend",
            chicago(AnalyticsFilter { backend: Some(BackendKind::Pipeline), ..AnalyticsFilter::default() }),
        ),
        ("one campaign", chicago(AnalyticsFilter { campaign_id: Some(campaigns[7]), ..AnalyticsFilter::default() })),
        (
            "agent + backend + 30 days",
            chicago(AnalyticsFilter {
                from: Some("2026-10-01".into()),
                to: Some("2026-10-30".into()),
                agent_id: Some(agents[0]),
                backend: Some(BackendKind::Pipeline),
                ..AnalyticsFilter::default()
            }),
        ),
    ];
    type Query<'a> = Box<dyn Fn(&AnalyticsScope, u64) -> usize + 'a>;
    let queries: Vec<(&str, Query)> = vec![
        ("tallies (day, outcome, agent, backend, cost)", Box::new(|scope, _| tallies(&store, scope).days.len())),
        // How many calls talked comes with the same redraw's tallies.
        ("p90 talk time", Box::new(|scope, talked| p90_talk(&store, scope, talked))),
        ("turn latency p50/p90/p99", Box::new(|scope, _| latencies(&store, scope))),
        (
            "all figures (one redraw)",
            Box::new(|scope, _| {
                let tallies = tallies(&store, scope);
                tallies.days.len() + p90_talk(&store, scope, tallies.total.talked) + latencies(&store, scope)
            }),
        ),
    ];
    let mut report = Vec::new();
    // Per query: the largest p50, p99 (with its filter) and worst over the filters.
    let mut largest = vec![(Duration::ZERO, (Duration::ZERO, ""), Duration::ZERO); queries.len()];
    for (shape, scope) in &shapes {
        let total = tallies(&store, scope).total;
        assert!(total.calls > 0, "{shape} matches no call");
        report.push(format!("  {shape} ({} calls)", total.calls));
        for ((name, query), largest) in queries.iter().zip(&mut largest) {
            let mut times: Vec<Duration> = Vec::with_capacity(repeats);
            for _ in 0..repeats {
                let started = Instant::now();
                std::hint::black_box(query(scope, total.talked));
                times.push(started.elapsed());
            }
            times.sort();
            let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
            let (p50, p99, worst) = (at(0.5), at(0.99), times[times.len() - 1]);
            *largest = (largest.0.max(p50), largest.1.max((p99, shape)), largest.2.max(worst));
            report.push(format!("    {name:<46} {}", figures(p50, p99, worst)));
        }
    }
    if benchmarking {
        // A bench binary's output is its result.
        #[allow(clippy::print_stdout)]
        {
            println!(
                "analytics: {calls} calls ({hour_rows} hour and {day_rows} day tally rows), {turns} turns over 90 days, \
                 seeded in {:.1} s; {repeats} runs per query",
                seeded_in.as_secs_f64()
            );
            for line in report {
                println!("{line}");
            }
            println!("  largest over the {} filters (p99's filter)", shapes.len());
            for ((name, _), (p50, (p99, shape), worst)) in queries.iter().zip(&largest) {
                println!("    {name:<46} {} ({shape})", figures(*p50, *p99, *worst));
            }
            let charts = queries.iter().zip(&largest).filter(|((name, _), _)| !name.starts_with("all"));
            let (p99, name, shape) =
                charts.map(|((name, _), (_, (p99, shape), _))| (*p99, *name, *shape)).max().unwrap();
            println!("worst p99 of a chart's query: {:.2} ms, {name}, {shape} (target: under 50 ms)", ms(p99));
        }
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// p50, p99 and worst, aligned.
fn figures(p50: Duration, p99: Duration, worst: Duration) -> String {
    format!("p50 {:>7.2} ms  p99 {:>7.2} ms  worst {:>7.2} ms", ms(p50), ms(p99), ms(worst))
}

fn tallies(store: &Store, scope: &AnalyticsScope) -> Tallies {
    store.call_tallies(scope).unwrap()
}

fn p90_talk(store: &Store, scope: &AnalyticsScope, talked: u64) -> usize {
    nearest_rank(talked, 90)
        .and_then(|rank| store.talk_time_from_longest(scope, talked - 1 - rank).unwrap())
        .unwrap_or_default() as usize
}

fn latencies(store: &Store, scope: &AnalyticsScope) -> usize {
    let mut sum = 0;
    for (_, counts) in store.turn_latency_counts(scope).unwrap() {
        for percent in [50, 90, 99] {
            sum += percentile_of_counts(&counts, percent).unwrap_or_default() as usize;
        }
    }
    sum
}

/// Writes the calls as the engine does row by row (the triggers keep the tallies), in one
/// transaction so seeding is quick; returns how many turns were written.
fn seed_calls(
    path: &std::path::Path,
    calls: usize,
    agents: &[AgentId],
    contact: switchboard_core::ContactId,
    campaigns: &[i64],
) -> usize {
    let mut rng = SmallRng::seed_from_u64(20);
    let mut conn = rusqlite::Connection::open(path).unwrap();
    let tx = conn.transaction().unwrap();
    let mut turns = 0;
    {
        let mut call = tx
            .prepare(
                "INSERT INTO calls (contact_id, agent_id, backend, phone_e164, state, created_at, answered_at, ended_at,
                                    campaign_id, round, attempt, cost_usd)
                 VALUES (?1, ?2, ?3, '+13125550100', ?4, ?5, ?6, ?7, ?8, 1, 1, ?9)",
            )
            .unwrap();
        let mut offer = tx
            .prepare("INSERT INTO offers (call_id, contact_id, unit_price, confidence) VALUES (?1, ?2, ?3, 1.0)")
            .unwrap();
        let mut turn = tx
            .prepare("INSERT INTO turn_latencies (call_id, turn, stt_ms, llm_ms, tts_ms, send_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .unwrap();
        for i in 0..calls {
            // Weekdays, business hours (13:00–23:00 UTC is 8:00–18:00 in Chicago).
            let mut day = rng.random_range(0..90_i64);
            if (day + 1) % 7 >= 5 {
                day = rng.random_range(0..90);
            }
            let placed = START + day * DAY + rng.random_range(13 * 3_600_000..23 * 3_600_000_i64);
            // A campaign runs on the days it covers; a fifth of calls are one-off.
            let campaign = (rng.random_range(0..5) > 0)
                .then(|| campaigns[(day as usize * campaigns.len() / 90 + rng.random_range(0..2)) % campaigns.len()]);
            let which = campaign.map_or(i % agents.len(), |c| c as usize % agents.len());
            let agent = agents[which];
            let backend = if rng.random_range(0..4) == 0 {
                BackendKind::Simulator
            } else {
                AGENT_BACKENDS[which % AGENT_BACKENDS.len()]
            };
            let (state, answered) =
                pick(&mut rng, &OUTCOMES.map(|(state, share, answered)| ((state, answered), share)));
            let ring = rng.random_range(3_000..25_000);
            let talk =
                if state == "voicemail" { rng.random_range(15_000..40_000) } else { rng.random_range(20_000..300_000) };
            let answered_at = answered.then_some(placed + ring);
            let ended_at = placed + ring + if answered { talk } else { 0 };
            let minutes = (ended_at - placed) as f64 / 60_000.0;
            let cost = (rng.random_range(0..20) > 0).then(|| (minutes * 0.09 * 10_000.0).round() / 10_000.0);
            call.execute(rusqlite::params![
                contact.0,
                agent.0,
                backend.as_str(),
                state,
                placed,
                answered_at,
                ended_at,
                campaign,
                cost
            ])
            .unwrap();
            let id = tx.last_insert_rowid();
            if state == "completed" && rng.random_range(0..10) < 6 {
                offer.execute(rusqlite::params![id, contact.0, rng.random_range(0.2..2.0_f64)]).unwrap();
            }
            if answered && matches!(backend, BackendKind::Pipeline | BackendKind::Gather) {
                for n in 0..rng.random_range(3..9) {
                    let llm = rng.random_range(250..1_800);
                    turn.execute(rusqlite::params![
                        id,
                        n,
                        rng.random_range(80..400),
                        llm,
                        rng.random_range(120..600),
                        rng.random_range(5..60)
                    ])
                    .unwrap();
                    turns += 1;
                }
            }
        }
    }
    tx.commit().unwrap();
    turns
}

/// One of `choices` by its share.
fn pick<T: Copy>(rng: &mut SmallRng, choices: &[(T, u32)]) -> T {
    let total: u32 = choices.iter().map(|(_, share)| share).sum();
    let mut roll = rng.random_range(0..total);
    for (choice, share) in choices {
        if roll < *share {
            return *choice;
        }
        roll -= share;
    }
    choices[0].0
}

fn seed_agents(store: &Store) -> Vec<AgentId> {
    let preset: AgentConfig =
        serde_json::from_str(include_str!("../../../../assets/presets/vendor-quote.json")).unwrap();
    (0..5)
        .map(|i| {
            let mut config = preset.clone();
            config.name = format!("Agent {i}");
            store.insert_agent(&config, UnixMillis(1)).unwrap()
        })
        .collect()
}

fn seed_contact(store: &Store) -> switchboard_core::ContactId {
    let fields = ContactFields {
        name: "Vendor".into(),
        phone: "+13125550100".into(),
        tags: vec![],
        time_zone: None,
        do_not_call: false,
        custom: Default::default(),
        details: ContactDetails::Vendor(Default::default()),
    };
    store.insert_contact(&fields, Some(&switchboard_core::Phone::plain("+13125550100")), UnixMillis(1)).unwrap()
}
