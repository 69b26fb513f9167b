//! Analytics: the per-hour tallies the triggers keep, and the percentiles of talk time and
//! turn latency, on hand-made calls with hand-computed answers; the triggers agree with the
//! calls after every kind of change; every query walks an index.

use switchboard_core::{
    AgentConfig, AgentId, AnalyticsFilter, AnalyticsScope, BackendKind, CallId, CallPrice, CallState, CallTally,
    ContactId, Offer, TurnLatency, UnixMillis, nearest_rank, percentile_of_counts,
};
use switchboard_store::{NewCall, Store};

use crate::{TestDb, seeded};

/// 2026-03-02 00:00 UTC, a Monday.
const DAY1: i64 = 1_772_409_600_000;
const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
const SECOND: i64 = 1_000;

/// Span, hour, agent, backend, campaign, state and the seven figures (as `CallTally`'s fields).
type StateTally = (i64, i64, i64, String, i64, String, [i64; 7]);

struct Data<'db> {
    store: Store,
    db: &'db TestDb,
    agents: [AgentId; 2],
    campaign: i64,
    contact: ContactId,
}

impl<'db> Data<'db> {
    fn new(db: &'db TestDb) -> Data<'db> {
        let store = db.open();
        seeded(&store);
        let first = store.list_agents().unwrap()[0].clone();
        let mut config: AgentConfig = first.config.clone();
        config.name = "Second agent".into();
        let second = store.insert_agent(&config, UnixMillis(1)).unwrap();
        let contact = store.list_contacts().unwrap()[0].id;
        let campaign = store.insert_campaign("Bolts", "vendor-quote", "{}", &[contact], UnixMillis(1)).unwrap();
        Data { store, db, agents: [first.id, second], campaign, contact }
    }

    /// A call placed at `at`: answered `talk` before it ends in `state` (unanswered: `None`),
    /// ended a minute after it was placed unless `state` is still open.
    fn call(&self, agent: usize, backend: BackendKind, at: i64, state: CallState, talk: Option<i64>) -> CallId {
        self.call_in(agent, backend, at, state, talk, None)
    }

    fn call_in(
        &self,
        agent: usize,
        backend: BackendKind,
        at: i64,
        state: CallState,
        talk: Option<i64>,
        campaign: Option<i64>,
    ) -> CallId {
        let call = NewCall {
            contact_id: self.contact,
            agent_id: self.agents[agent],
            backend,
            phone_e164: "+13125550100".into(),
            created_at: UnixMillis(at),
            campaign: campaign.map(|campaign| (campaign, 1, 1)),
        };
        let id = self.store.insert_call(&call).unwrap().id;
        let end = at + 60 * SECOND;
        if let Some(talk) = talk {
            self.store.advance_call(id, CallState::InProgress, None, UnixMillis(end - talk)).unwrap();
        }
        if state.is_terminal() {
            self.store.advance_call(id, state, Some("test"), UnixMillis(end)).unwrap();
        }
        id
    }

    fn offer(&self, call: CallId, price: f64) {
        let offer = Offer {
            call_id: call,
            contact_id: self.contact,
            unit_price: Some(price),
            moq: None,
            lead_time_days: None,
            shipping: None,
            terms: None,
            valid_days: None,
            confidence: 0.5,
        };
        self.store.save_offer(&offer).unwrap();
    }

    /// Prices a call as the call's end does.
    fn cost(&self, call: CallId, usd: f64) {
        self.store.set_call_price(call, &CallPrice { total_usd: usd, estimate: false, items: vec![] }).unwrap();
    }

    fn turns(&self, call: CallId, totals: &[u32]) {
        for (turn, total) in totals.iter().enumerate() {
            // Split over the hops: the whole is what counts.
            let latency =
                TurnLatency { turn: turn as u32, stt_ms: 100, llm_ms: total - 400, tts_ms: 200, send_ms: 100 };
            self.store.record_turn_latency(call, &latency).unwrap();
        }
    }

    fn scope(&self, filter: AnalyticsFilter) -> AnalyticsScope {
        AnalyticsFilter { time_zone: "UTC".into(), ..filter }.scope().unwrap()
    }

    fn total(&self, scope: &AnalyticsScope) -> CallTally {
        self.store.call_tallies(scope).unwrap().total
    }

    fn p90_talk(&self, scope: &AnalyticsScope) -> Option<i64> {
        let talked = self.total(scope).talked;
        nearest_rank(talked, 90).and_then(|rank| self.store.talk_time_from_longest(scope, talked - 1 - rank).unwrap())
    }

    fn latency(&self, scope: &AnalyticsScope, backend: BackendKind, percent: u64) -> Option<i64> {
        let backends = self.store.turn_latency_counts(scope).unwrap();
        let (_, counts) = backends.into_iter().find(|(kind, _)| *kind == backend)?;
        percentile_of_counts(&counts, percent)
    }

    /// Checks the stored tallies against the calls themselves: each row's figures per state,
    /// listed per span (1: the hour, 24: the UTC day), hour, agent, backend, campaign and state,
    /// are the calls' own, and add up to the row's figures in all. Returns them.
    fn recomputed(&self) -> Vec<StateTally> {
        const FIGURES: [&str; 7] = ["calls", "answered", "talked", "talk_ms", "quotes", "costed", "cost_micros"];
        let per_state: Vec<String> = CallState::ALL
            .iter()
            .flat_map(|state| FIGURES.map(|figure| format!("{}_{figure}", state.as_str().replace('-', "_"))))
            .collect();
        let mut stored = Vec::new();
        for row in self.db.rows(&format!(
            "SELECT span_hours, hour, agent_id, backend, campaign_id, {}, {} FROM call_stats",
            FIGURES.join(", "),
            per_state.join(", ")
        )) {
            let figures = |first: usize| -> [i64; 7] { std::array::from_fn(|i| row[first + i].int()) };
            let mut summed = [0; 7];
            for (index, state) in CallState::ALL.iter().enumerate() {
                let of_state = figures(5 + FIGURES.len() * (index + 1));
                summed.iter_mut().zip(of_state).for_each(|(sum, figure)| *sum += figure);
                if of_state != [0; 7] {
                    let key = (row[0].int(), row[1].int(), row[2].int(), row[3].text(), row[4].int());
                    stored.push((key.0, key.1, key.2, key.3, key.4, state.as_str().to_owned(), of_state));
                }
            }
            assert_eq!(summed, figures(5), "a row's states add up to its whole");
        }
        stored.sort();
        // Written for both databases: no sum of a truth value, sums cast back to integers.
        let computed: Vec<StateTally> = self
            .db
            .rows(
                "SELECT span_hours, created_at / 3600000 / span_hours * span_hours, agent_id, backend,
                        COALESCE(campaign_id, 0), state, COUNT(*),
                        CAST(SUM(CASE WHEN answered_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT),
                        CAST(SUM(CASE WHEN answered_at IS NOT NULL AND ended_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT),
                        CAST(SUM(CASE WHEN answered_at IS NOT NULL AND ended_at IS NOT NULL THEN ended_at - answered_at ELSE 0 END) AS BIGINT),
                        CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM offers o WHERE o.call_id = calls.id) THEN 1 ELSE 0 END) AS BIGINT),
                        COUNT(cost_usd),
                        CAST(COALESCE(SUM(CAST(ROUND(CAST(cost_usd * 1000000 AS NUMERIC)) AS BIGINT)), 0) AS BIGINT)
                 FROM calls, (SELECT 1 AS span_hours UNION ALL SELECT 24) AS spans
                 GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6",
            )
            .into_iter()
            .map(|row| {
                let figures: [i64; 7] = std::array::from_fn(|i| row[6 + i].int());
                (row[0].int(), row[1].int(), row[2].int(), row[3].text(), row[4].int(), row[5].text(), figures)
            })
            .collect();
        assert_eq!(stored, computed, "call_stats agrees with the calls");
        stored
    }
}

impl Data<'_> {
    /// Checks the running latency counts against the turns themselves: every stored count is
    /// the number of its cell's turns placed in its hour or before, every turn's cell and hour
    /// has a row, every row's cell is listed. Returns the stored rows.
    fn recounted_turns(&self) -> Vec<(String, i64, i64, i64, i64, i64)> {
        const CELLS: &str = "SELECT c.backend, CASE WHEN total < 2000 THEN total / 10 * 10
                                  WHEN total < 10000 THEN total / 100 * 100 ELSE total / 1000 * 1000 END AS bucket_ms,
                                  c.agent_id, COALESCE(c.campaign_id, 0) AS campaign_id, c.created_at / 3600000 AS hour
                             FROM (SELECT call_id, stt_ms + llm_ms + tts_ms + send_ms AS total FROM turn_latencies) t
                             JOIN calls c ON c.id = t.call_id";
        let read = |sql: &str| {
            let rows = self.db.rows(sql).into_iter();
            rows.map(|row| (row[0].text(), row[1].int(), row[2].int(), row[3].int(), row[4].int(), row[5].int()))
                .collect::<Vec<_>>()
        };
        let stored = read(
            "SELECT backend, bucket_ms, agent_id, campaign_id, hour, turns FROM turn_latency_running ORDER BY 1, 2, 3, 4, 5",
        );
        let recounted = read(&format!(
            "SELECT r.backend, r.bucket_ms, r.agent_id, r.campaign_id, r.hour,
                    (SELECT COUNT(*) FROM ({CELLS}) t WHERE (t.backend, t.bucket_ms, t.agent_id, t.campaign_id)
                        = (r.backend, r.bucket_ms, r.agent_id, r.campaign_id) AND t.hour <= r.hour)
             FROM turn_latency_running r ORDER BY 1, 2, 3, 4, 5"
        ));
        assert_eq!(stored, recounted, "turn_latency_running agrees with the turns");
        let unfiled = self.db.rows(&format!(
            "SELECT COUNT(*) FROM ({CELLS}) t WHERE NOT EXISTS (SELECT 1 FROM turn_latency_running r
               WHERE (r.backend, r.bucket_ms, r.agent_id, r.campaign_id, r.hour)
                   = (t.backend, t.bucket_ms, t.agent_id, t.campaign_id, t.hour))"
        ))[0][0]
            .int();
        assert_eq!(unfiled, 0, "every turn's cell and hour has a running count");
        let unlisted = self.db.rows(
            "SELECT COUNT(*) FROM turn_latency_running r WHERE NOT EXISTS (SELECT 1 FROM turn_latency_cells c
               WHERE (c.backend, c.bucket_ms, c.agent_id, c.campaign_id) = (r.backend, r.bucket_ms, r.agent_id, r.campaign_id))",
        )[0][0]
            .int();
        assert_eq!(unlisted, 0, "every running count's cell is listed");
        stored
    }
}

/// Seven calls over three days, two agents, two backends, one campaign (see each line).
fn sample(db: &TestDb) -> (Data<'_>, Vec<CallId>) {
    use BackendKind::{Pipeline, Simulator};
    use CallState::{Busy, Completed, InProgress, NoAnswer, Voicemail};
    let data = Data::new(db);
    let campaign = Some(data.campaign);
    let calls = vec![
        data.call(0, Simulator, DAY1 + 10 * HOUR, Completed, Some(60 * SECOND)),
        data.call(0, Simulator, DAY1 + 11 * HOUR, NoAnswer, None),
        data.call_in(0, Simulator, DAY1 + DAY + 9 * HOUR, Completed, Some(120 * SECOND), campaign),
        data.call_in(1, Pipeline, DAY1 + DAY + 10 * HOUR, Completed, Some(30 * SECOND), campaign),
        data.call(1, Pipeline, DAY1 + DAY + 12 * HOUR, Voicemail, Some(20 * SECOND)),
        data.call(1, Pipeline, DAY1 + 2 * DAY + 8 * HOUR, Busy, None),
        data.call(0, Simulator, DAY1 + 2 * DAY + 9 * HOUR, InProgress, Some(5 * SECOND)),
    ];
    data.offer(calls[0], 0.42);
    data.offer(calls[2], 0.40);
    for (call, usd) in [(0, 0.50), (1, 0.10), (2, 0.40), (3, 0.25), (5, 0.05)] {
        data.cost(calls[call], usd);
    }
    data.turns(calls[3], &[800, 1_000, 1_200]);
    data.turns(calls[4], &[900, 2_000]);
    (data, calls)
}

fn every_figure_matches_the_hand_computed_one(db: &TestDb) {
    let (data, _) = sample(db);
    let all = data.scope(AnalyticsFilter::default());
    let total = data.total(&all);
    // Answered: calls 1, 3, 4, 5 and the open 7 → 5 of 7.
    assert_eq!((total.calls, total.answered), (7, 5));
    // Talk times of answered, ended calls: 60, 120, 30, 20 s → mean 57.5 s; p90 is the 4th of 4.
    assert_eq!((total.talked, total.talk_ms), (4, 230 * SECOND));
    assert_eq!(data.p90_talk(&all), Some(120 * SECOND));
    // Quotes: calls 1 and 3; cost 0.50 + 0.10 + 0.40 + 0.25 + 0.05 = 1.30 over 5 calls → 0.65 a quote.
    let figures = switchboard_core::Figures::from(total);
    assert_eq!((figures.quotes, figures.costed_calls), (2, 5));
    assert_eq!(figures.cost_usd, 1.30);
    assert_eq!(figures.cost_per_quote_usd, Some(0.65));
    assert_eq!(figures.answer_rate, Some(5.0 / 7.0));
    assert_eq!(figures.average_talk_ms, Some(57_500.0));
    // Pipeline turns 800, 900, 1000, 1200, 2000 ms: p50 the 3rd, p90 and p99 the 5th.
    assert_eq!(data.latency(&all, BackendKind::Pipeline, 50), Some(1_000));
    assert_eq!(data.latency(&all, BackendKind::Pipeline, 90), Some(2_000));
    assert_eq!(data.latency(&all, BackendKind::Pipeline, 99), Some(2_000));
    assert_eq!(data.latency(&all, BackendKind::Simulator, 50), None);

    // Per day, outcome, agent and backend.
    let tallies = data.store.call_tallies(&all).unwrap();
    let days: Vec<(String, u64)> = tallies.days.iter().map(|(day, tally)| (day.to_string(), tally.calls)).collect();
    assert_eq!(days, [("2026-03-02".into(), 2), ("2026-03-03".into(), 3), ("2026-03-04".into(), 2)]);
    let outcome = |state: CallState| tallies.outcomes[state.as_str()];
    assert_eq!((outcome(CallState::Completed).calls, outcome(CallState::Completed).cost_micros), (3, 1_150_000));
    assert_eq!(outcome(CallState::NoAnswer).cost_micros, 100_000);
    assert_eq!((outcome(CallState::InProgress).calls, outcome(CallState::InProgress).costed), (1, 0));
    assert_eq!(tallies.agents[&data.agents[1]].calls, 3);
    assert_eq!(tallies.backends["simulator"].quotes, 2);
}

fn turn_latency_percentiles_are_exact_to_their_bucket(db: &TestDb) {
    use BackendKind::Pipeline;
    use CallState::Completed;
    let data = Data::new(db);
    // The same agent, backend and no campaign on two days, so their turns share cells.
    let first = data.call(0, Pipeline, DAY1 + 10 * HOUR, Completed, Some(60 * SECOND));
    let second = data.call(0, Pipeline, DAY1 + DAY + 9 * HOUR, Completed, Some(60 * SECOND));
    data.turns(first, &[1_234, 987]);
    data.turns(second, &[1_239, 2_345, 12_345]);
    // Rounded down to 10 ms under 2 s, 100 ms under 10 s, 1 s beyond:
    // 980, 1230, 1230, 2300, 12000; p50 is the 3rd, p90 the 5th, p20 the 1st.
    let all = data.scope(AnalyticsFilter::default());
    let counts = |scope: &AnalyticsScope| data.store.turn_latency_counts(scope).unwrap();
    assert_eq!(counts(&all), [(Pipeline, vec![(980, 1), (1_230, 2), (2_300, 1), (12_000, 1)])]);
    assert_eq!(data.latency(&all, Pipeline, 50), Some(1_230));
    assert_eq!(data.latency(&all, Pipeline, 90), Some(12_000));
    assert_eq!(data.latency(&all, Pipeline, 20), Some(980));
    // Each day alone: the running counts of the shared 1230 bucket subtract to one a day.
    let day =
        |day: &str| data.scope(AnalyticsFilter { from: Some(day.into()), to: Some(day.into()), ..Default::default() });
    assert_eq!(counts(&day("2026-03-02")), [(Pipeline, vec![(980, 1), (1_230, 1)])]);
    assert_eq!(counts(&day("2026-03-03")), [(Pipeline, vec![(1_230, 1), (2_300, 1), (12_000, 1)])]);
    assert_eq!(data.latency(&day("2026-03-03"), Pipeline, 50), Some(2_300));
    assert_eq!(counts(&day("2026-03-04")), []);
    data.recounted_turns();
}

fn each_filter_narrows_every_figure_and_they_combine(db: &TestDb) {
    let (data, _) = sample(db);
    // Agent 2: calls 4, 5, 6: 2 of 3 answered, talk 30 and 20 s (p90 the 2nd of 2), 0.30 and no quote.
    let agent = data.scope(AnalyticsFilter { agent_id: Some(data.agents[1]), ..AnalyticsFilter::default() });
    let total = data.total(&agent);
    assert_eq!((total.calls, total.answered, total.cost_micros, total.quotes), (3, 2, 300_000, 0));
    assert_eq!(data.p90_talk(&agent), Some(30 * SECOND));
    assert_eq!(switchboard_core::Figures::from(total).cost_per_quote_usd, None);
    // The campaign: calls 3 and 4, one quote, 0.65.
    let campaign = data.scope(AnalyticsFilter { campaign_id: Some(data.campaign), ..AnalyticsFilter::default() });
    let figures = switchboard_core::Figures::from(data.total(&campaign));
    assert_eq!((figures.calls, figures.quotes, figures.cost_per_quote_usd), (2, 1, Some(0.65)));
    assert_eq!(data.latency(&campaign, BackendKind::Pipeline, 99), Some(1_200));
    // The second day alone: calls 3, 4, 5; the pipeline's turns on it: all five.
    let day2 = data.scope(AnalyticsFilter {
        from: Some("2026-03-03".into()),
        to: Some("2026-03-03".into()),
        ..AnalyticsFilter::default()
    });
    assert_eq!(data.total(&day2).calls, 3);
    assert_eq!(data.p90_talk(&day2), Some(120 * SECOND));
    // The simulator on days 2 and 3: calls 3 and 7; only call 3 talked and ended.
    let combined = data.scope(AnalyticsFilter {
        from: Some("2026-03-03".into()),
        backend: Some(BackendKind::Simulator),
        ..AnalyticsFilter::default()
    });
    assert_eq!((data.total(&combined).calls, data.total(&combined).talked), (2, 1));
    assert_eq!(data.latency(&combined, BackendKind::Pipeline, 50), None);
    // Days in Chicago (UTC-6): call 6 (08:00 UTC on the 4th) is on the 4th, call 5 (12:00 UTC on
    // the 3rd) on the 3rd, call 1 (10:00 UTC on the 2nd) at 04:00 on the 2nd.
    let chicago =
        AnalyticsFilter { time_zone: "America/Chicago".into(), ..AnalyticsFilter::default() }.scope().unwrap();
    let tallies = data.store.call_tallies(&chicago).unwrap();
    let days: Vec<u64> = tallies.days.values().map(|tally| tally.calls).collect();
    assert_eq!(days, [2, 3, 2]);
    let late = AnalyticsFilter {
        from: Some("2026-03-04".into()),
        time_zone: "Asia/Tokyo".into(),
        ..AnalyticsFilter::default()
    }
    .scope()
    .unwrap();
    // Tokyo is UTC+9: the 4th starts at 15:00 UTC on the 3rd, so only calls 6 and 7.
    assert_eq!(data.total(&late).calls, 2);
}

fn outcomes_add_whole_days_and_the_hours_at_each_end(db: &TestDb) {
    let (data, _) = sample(db);
    let days = |from: &str, to: &str, zone: &str| {
        AnalyticsFilter {
            from: Some(from.into()),
            to: Some(to.into()),
            time_zone: zone.into(),
            ..AnalyticsFilter::default()
        }
        .scope()
        .unwrap()
    };
    let chicago = |from: &str, to: &str| days(from, to, "America/Chicago");
    let outcomes = |scope: &AnalyticsScope| {
        let tallies = data.store.call_tallies(scope).unwrap();
        let calls: u64 = tallies.outcomes.values().map(|tally| tally.calls).sum();
        assert_eq!(calls, tallies.total.calls, "the outcomes are the same calls as the total");
        tallies.outcomes.iter().map(|(state, tally)| (*state, tally.calls, tally.cost_micros)).collect::<Vec<_>>()
    };
    // The 3rd in Chicago (06:00 UTC on the 3rd to 06:00 on the 4th) holds no whole UTC day: calls
    // 3 and 4 (completed, 0.40 and 0.25) and 5 (voicemail), not call 2 (11:00 UTC on the 2nd).
    assert_eq!(outcomes(&chicago("2026-03-03", "2026-03-03")), [("completed", 2, 650_000), ("voicemail", 1, 0)]);
    // The 3rd and the 4th: the UTC 4th whole (calls 6, busy 0.05, and 7, in progress) and the
    // hours of the 3rd from 06:00 and of the 5th to 06:00 (none).
    assert_eq!(
        outcomes(&chicago("2026-03-03", "2026-03-04")),
        [("busy", 1, 50_000), ("completed", 2, 650_000), ("in-progress", 1, 0), ("voicemail", 1, 0)]
    );
    // The 2nd and 3rd in Chicago: the UTC 3rd whole, the 2nd from 06:00 (calls 1 and 2, 0.50 and
    // 0.10) and the 4th to 06:00 (none: calls 6 and 7 come after).
    assert_eq!(
        outcomes(&chicago("2026-03-02", "2026-03-03")),
        [("completed", 3, 1_150_000), ("no-answer", 1, 100_000), ("voicemail", 1, 0)]
    );
    // The 3rd in Tokyo (15:00 UTC on the 2nd to 15:00 on the 3rd): calls 3, 4 and 5, not 1 and 2
    // earlier on the UTC 2nd.
    let tokyo = days("2026-03-03", "2026-03-03", "Asia/Tokyo");
    assert_eq!(outcomes(&tokyo), [("completed", 2, 650_000), ("voicemail", 1, 0)]);
}

fn the_tallies_follow_every_change_to_calls_offers_and_costs(db: &TestDb) {
    let (data, calls) = sample(db);
    data.recomputed();
    assert_eq!(data.recounted_turns().len(), 5);
    // A turn written again with another latency moves bucket; a turn on an earlier call in a
    // cell that has later hours counts in each of them.
    data.store
        .record_turn_latency(calls[3], &TurnLatency { turn: 1, stt_ms: 100, llm_ms: 1_500, tts_ms: 200, send_ms: 100 })
        .unwrap();
    data.turns(calls[0], &[1_200, 2_000]);
    data.recounted_turns();
    // An offer replaced counts once; its removal and a new cost are seen.
    data.offer(calls[0], 0.41);
    data.recomputed();
    data.cost(calls[0], 0.55);
    // A cost taken away (by hand: the app never does) is taken out too.
    db.execute(&format!("UPDATE calls SET cost_usd = NULL WHERE id = {}", calls[1].0));
    data.recomputed();
    // The open call ends; a new call in the same hour joins its row.
    data.store
        .advance_call(calls[6], CallState::Completed, Some("test"), UnixMillis(DAY1 + 2 * DAY + 10 * HOUR))
        .unwrap();
    data.call(0, BackendKind::Simulator, DAY1 + 2 * DAY + 9 * HOUR + 5, CallState::NoAnswer, None);
    data.recomputed();
    // Forgetting the contact deletes every call, offer and turn: nothing is left counted.
    data.store.forget_contact(data.contact, |_| None).unwrap();
    assert_eq!(data.recomputed(), []);
    data.recounted_turns();
    let all = data.scope(AnalyticsFilter::default());
    assert_eq!(data.store.turn_latency_counts(&all).unwrap(), []);
}

/// SQLite's plans (Postgres's planner is its own, and its plans depend on its statistics).
#[test]
fn every_analytics_query_walks_an_index() {
    let db = TestDb::sqlite();
    let data = Data::new(&db);
    let plans = data.store.analytics_query_plans().unwrap();
    assert_eq!(plans.len(), 4);
    let range = "SEARCH call_stats USING PRIMARY KEY (span_hours=? AND hour>? AND hour<?)";
    // The hour rows in the range; the outcomes: the day rows of whole days and the hour rows at each end.
    assert_eq!(plans[0], range);
    assert_eq!(plans[1].matches(range).count(), 3, "{}", plans[1]);
    assert!(plans[2].contains("SCAN calls USING COVERING INDEX calls_by_talk_time"), "{}", plans[2]);
    assert!(plans[3].contains("SCAN c"), "{}", plans[3]);
    assert!(
        plans[3].contains(
            "SEARCH r USING PRIMARY KEY (backend=? AND bucket_ms=? AND agent_id=? AND campaign_id=? AND hour<?)"
        ),
        "{}",
        plans[3]
    );
    for plan in &plans {
        assert!(!plan.contains("TEMP B-TREE"), "no sort of the rows: {plan}");
        // The talk time's walk in order stops at its rank; nothing else reads calls or call_stats in turn.
        let others = plan.replace("SCAN calls USING COVERING INDEX calls_by_talk_time", "");
        assert!(!others.contains("SCAN call"), "no table read whole: {plan}");
    }
}

on_both!(
    every_figure_matches_the_hand_computed_one,
    turn_latency_percentiles_are_exact_to_their_bucket,
    each_filter_narrows_every_figure_and_they_combine,
    outcomes_add_whole_days_and_the_hours_at_each_end,
    the_tallies_follow_every_change_to_calls_offers_and_costs,
);
