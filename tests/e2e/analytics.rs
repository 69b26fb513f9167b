//! Analytics in the real window: over calls of two agents, two backends and a campaign on
//! three days, every chart is drawn on its canvas in the theme's colours, each filter (days,
//! agent, backend, campaign) changes the figures and the charts, a filter matching nothing
//! says so, the figures export as CSV and .xlsx (the files read back), clearing the filters
//! shows every call again and a refresh shows a call made since.

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, replace_text, within};
use switchboard_core::{AgentId, BackendKind, CallId, CallPrice, CallState, Offer, TurnLatency, UnixMillis};
use switchboard_engine::campaigns::{CampaignKind, CampaignSpec};
use switchboard_engine::sample::{PRESETS, SAMPLE_CONTACTS, seed_once};
use switchboard_engine::tables::read_table;
use switchboard_store::{NewCall, Store};

/// 2026-03-02 00:00 UTC; every call is placed between 09:00 and 12:00 UTC, the same day in the
/// test machine's zone (anywhere from UTC-9 to UTC+11).
const DAY1: i64 = 1_772_409_600_000;
const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
const CHARTS: [&str; 8] =
    ["calls-per-day", "answer-rate", "outcomes", "cost-per-day", "cost-per-outcome", "latency", "agents", "backends"];

struct Seeded {
    second_agent: AgentId,
    campaign: i64,
}

/// Seven calls on three days: agent 1 on the simulator, agent 2 on the pipeline, two in a
/// campaign, five answered, two quotes, five costs (1.30 USD), five pipeline turns.
fn seed(database: &std::path::Path) -> Seeded {
    let store = Store::open(database).unwrap();
    seed_once(&store, PRESETS, SAMPLE_CONTACTS).unwrap();
    let agents = store.list_agents().unwrap();
    let (first, second) = (agents[0].id, agents[1].id);
    let contact = store.list_contacts().unwrap()[0].id;
    let spec = CampaignSpec {
        name: "March bolts".into(),
        kind: CampaignKind::VendorQuote,
        agent_id: first,
        negotiation_agent_id: None,
        contacts: vec![],
        concurrency: 1,
        max_attempts: 1,
        retry_spacing_ms: 0,
        ignore_calling_windows: true,
        budget_usd: None,
        request: None,
    };
    let json = serde_json::to_string(&spec).unwrap();
    let campaign = store.insert_campaign("March bolts", "vendor-quote", &json, &[], UnixMillis(DAY1)).unwrap();
    store.cancel_campaign(campaign, false, UnixMillis(DAY1)).unwrap();
    let call = |agent: AgentId, backend, at: i64, state: CallState, talk: Option<i64>, campaign: Option<i64>| {
        let new = NewCall {
            contact_id: contact,
            agent_id: agent,
            backend,
            phone_e164: "+13125550100".into(),
            created_at: UnixMillis(at),
            campaign: campaign.map(|id| (id, 1, 1)),
        };
        let id = store.insert_call(&new).unwrap().id;
        if let Some(talk) = talk {
            store.advance_call(id, CallState::InProgress, None, UnixMillis(at + 60_000 - talk)).unwrap();
        }
        store.advance_call(id, state, Some("test"), UnixMillis(at + 60_000)).unwrap();
        id
    };
    use BackendKind::{Pipeline, Simulator};
    let calls: Vec<CallId> = vec![
        call(first, Simulator, DAY1 + 10 * HOUR, CallState::Completed, Some(60_000), None),
        call(first, Simulator, DAY1 + 11 * HOUR, CallState::NoAnswer, None, None),
        call(first, Simulator, DAY1 + DAY + 9 * HOUR, CallState::Completed, Some(120_000), Some(campaign)),
        call(second, Pipeline, DAY1 + DAY + 10 * HOUR, CallState::Completed, Some(30_000), Some(campaign)),
        call(second, Pipeline, DAY1 + DAY + 12 * HOUR, CallState::Voicemail, Some(20_000), None),
        call(second, Pipeline, DAY1 + 2 * DAY + 9 * HOUR, CallState::Busy, None, None),
        call(first, Simulator, DAY1 + 2 * DAY + 10 * HOUR, CallState::Completed, Some(40_000), None),
    ];
    for (index, price) in [(0, 0.42), (2, 0.40)] {
        let offer = Offer {
            call_id: calls[index],
            contact_id: contact,
            unit_price: Some(price),
            moq: None,
            lead_time_days: None,
            shipping: None,
            terms: None,
            valid_days: None,
            confidence: 0.5,
        };
        store.save_offer(&offer).unwrap();
    }
    for (index, usd) in [(0, 0.50), (1, 0.10), (2, 0.40), (3, 0.25), (5, 0.05)] {
        store.set_call_price(calls[index], &CallPrice { total_usd: usd, estimate: false, items: vec![] }).unwrap();
    }
    for (call, totals) in [(calls[3], &[800_u32, 1_000, 1_200][..]), (calls[4], &[900, 2_000])] {
        for (turn, total) in totals.iter().enumerate() {
            let latency =
                TurnLatency { turn: turn as u32, stt_ms: 100, llm_ms: total - 400, tts_ms: 200, send_ms: 100 };
            store.record_turn_latency(call, &latency).unwrap();
        }
    }
    Seeded { second_agent: second, campaign }
}

/// How many of a chart canvas's pixels are drawn, and a sum of their colours (which a theme
/// change moves); `None` while the chart has no canvas.
async fn drawn(app: &App, chart: &str) -> Option<(u64, u64)> {
    let script = "const canvas = document.querySelector(`[data-testid=chart-${arguments[0]}] canvas`);
        if (!canvas || canvas.width === 0) return null;
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let drawn = 0, colour = 0;
        for (let i = 0; i < pixels.length; i += 4) {
            if (pixels[i + 3] > 0) { drawn++; colour += pixels[i] + pixels[i + 1] + pixels[i + 2]; }
        }
        return [drawn, colour];";
    let value = app.client.execute(script, vec![chart.into()]).await.expect("the canvas script failed");
    let pair = value.as_array()?;
    Some((pair[0].as_u64()?, pair[1].as_u64()?))
}

/// Waits until the totals read `calls` calls and the calls-per-day chart sums to `per_day`.
async fn until_figures(app: &App, calls: &str, per_day: &str) {
    eventually(&format!("{calls} calls, per day {per_day}"), PATIENCE, || async {
        let shown = app.text("[data-testid=analytics-calls]").await;
        let chart = app.attrs("[data-testid=chart-calls-per-day]", "data-totals").await;
        (shown == calls && chart.first().map(String::as_str) == Some(per_day)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn analytics_draws_every_chart_follows_each_filter_and_exports_the_figures() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let database = data.path().join("switchboard.sqlite3");
        let seeded = seed(&database);
        let app = App::start(data.path(), 20).await;
        app.client.set_window_size(1280, 900).await.expect("the window resizes");
        app.click("nav-analytics").await;

        // Everything: 7 calls, 5 answered (71%), 2 quotes, 1.30 USD → 0.65 a quote.
        until_figures(&app, "7", "7 5").await;
        assert_eq!(app.text("[data-testid=analytics-answer-rate]").await, "71%");
        assert_eq!(app.text("[data-testid=analytics-quotes]").await, "2");
        assert_eq!(app.text("[data-testid=analytics-cost]").await, "$1.30");
        assert_eq!(app.text("[data-testid=analytics-cost-per-quote]").await, "$0.65");
        // Talk 60, 120, 30, 20, 40 s: mean 54 s, p90 the 5th of 5.
        assert_eq!(app.text("[data-testid=analytics-average-talk]").await, "0:54");
        assert_eq!(app.text("[data-testid=analytics-p90-talk]").await, "2:00");
        let latency = app.attrs("[data-testid=chart-latency]", "data-totals").await;
        assert_eq!(latency, ["1000 2000 2000"], "pipeline turns p50, p90, p99");
        assert!(app.text("[data-testid=latency-steps]").await.contains("steps of 10 ms under 2 s"));
        let mut signatures = Vec::new();
        for chart in CHARTS {
            let (pixels, colour) = eventually(&format!("the {chart} chart drawn"), PATIENCE, || async {
                drawn(&app, chart).await.filter(|(pixels, _)| *pixels > 500)
            })
            .await;
            signatures.push((pixels, colour));
        }
        app.screenshot("analytics").await;
        // The other theme redraws the charts in its colours.
        let other = "const was = document.documentElement.dataset.theme;
            document.documentElement.dataset.theme = was === 'light' ? 'dark' : 'light'; return was;";
        let was = app.client.execute(other, vec![]).await.unwrap();
        eventually("the charts redrawn in the other theme", PATIENCE, || async {
            let now = drawn(&app, "calls-per-day").await?;
            (now.1 != signatures[0].1).then_some(())
        })
        .await;
        let back = format!("document.documentElement.dataset.theme = '{}';", was.as_str().unwrap_or("dark"));
        app.client.execute(&back, vec![]).await.unwrap();

        // Each filter, alone and combined, changes the figures and the charts.
        let agent = app.wait_for("[data-testid=analytics-agent]").await;
        agent.select_by_value(&seeded.second_agent.0.to_string()).await.unwrap();
        until_figures(&app, "3", "3 2").await;
        assert_eq!(app.text("[data-testid=analytics-cost-per-quote]").await, "—");
        let backend = app.wait_for("[data-testid=analytics-backend]").await;
        backend.select_by_value("simulator").await.unwrap();
        // Agent 2 never used the simulator: every chart says there is nothing to draw.
        until_figures(&app, "0", "0 0").await;
        for chart in CHARTS {
            app.wait_for(&format!("[data-testid=chart-{chart}-empty]")).await;
        }
        agent.select_by_value("").await.unwrap();
        until_figures(&app, "4", "4 3").await;
        assert_eq!(app.attrs("[data-testid=chart-latency]", "data-totals").await, ["0 0 0"]);
        backend.select_by_value("").await.unwrap();
        let campaign = app.wait_for("[data-testid=analytics-campaign]").await;
        campaign.select_by_value(&seeded.campaign.to_string()).await.unwrap();
        until_figures(&app, "2", "2 2").await;
        assert_eq!(app.text("[data-testid=analytics-cost-per-quote]").await, "$0.65");
        assert_eq!(app.attrs("[data-testid=chart-latency]", "data-totals").await, ["1000 1200 1200"]);
        campaign.select_by_value("").await.unwrap();
        let (from, to) =
            (app.wait_for("[data-testid=analytics-from]").await, app.wait_for("[data-testid=analytics-to]").await);
        replace_text(&from, "2026-03-03").await;
        until_figures(&app, "5", "5 4").await;
        replace_text(&to, "2026-03-03").await;
        until_figures(&app, "3", "3 3").await;
        // Per day: the one day, with its cost (0.40 + 0.25).
        assert_eq!(app.attrs("[data-testid=chart-cost-per-day]", "data-totals").await, ["0.65"]);
        replace_text(&to, "2026-02-30").await;
        assert!(app.text("[data-testid=analytics-date-problem]").await.starts_with("Write a day as yyyy-mm-dd"));
        until_figures(&app, "5", "5 4").await;

        // The figures for the filter shown, as CSV and as a workbook.
        replace_text(&to, "2026-03-03").await;
        until_figures(&app, "3", "3 3").await;
        let files = tempfile::tempdir().unwrap();
        for (button, name) in [("analytics-export-csv", "figures.csv"), ("analytics-export-xlsx", "figures.xlsx")] {
            let path = files.path().join(name);
            app.save_as(button, &path).await;
            eventually("the export's notice", PATIENCE, || async {
                (app.text("[data-testid=analytics-message]").await == format!("Saved {}", path.display())).then_some(())
            })
            .await;
            let rows = read_table(&std::fs::read(&path).unwrap()).unwrap();
            assert_eq!(rows[0][..4], ["section", "name", "calls", "answered"], "{name}");
            assert_eq!(rows[1][..4], ["total", "all calls", "3", "3"], "{name}");
            let day = rows.iter().find(|row| row[0] == "day").expect("a row for the day");
            assert_eq!(day[..3], ["day", "2026-03-03", "3"], "{name}");
            let latency = rows.iter().find(|row| row[0] == "latency").expect("a row for the pipeline's latency");
            assert_eq!(latency[11..], ["5", "1000", "2000", "2000"], "{name}");
        }
        // Clearing the filters shows everything again; a call made since shows on a refresh.
        app.click("analytics-clear").await;
        until_figures(&app, "7", "7 5").await;
        let store = Store::open(&database).unwrap();
        let agent = store.list_agents().unwrap()[0].id;
        let contact = store.list_contacts().unwrap()[0].id;
        let new = NewCall {
            contact_id: contact,
            agent_id: agent,
            backend: BackendKind::Simulator,
            phone_e164: "+13125550100".into(),
            created_at: UnixMillis(DAY1 + 2 * DAY + 11 * HOUR),
            campaign: None,
        };
        let id = store.insert_call(&new).unwrap().id;
        store
            .advance_call(id, CallState::NoAnswer, Some("test"), UnixMillis(DAY1 + 2 * DAY + 11 * HOUR + 30_000))
            .unwrap();
        app.click("analytics-refresh").await;
        until_figures(&app, "8", "8 5").await;
        app.quit().await;
    })
    .await;
}
