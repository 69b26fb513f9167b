//! Rehearsals in the real window: an agent's suite opened, a scenario edited (a bad value refused
//! beside its field, a good one kept), Rehearse with its progress and each run's checks and
//! transcript, a failing scenario's reason, and the campaign builder's warning before an agent
//! version has passed its suite, after it has, and after the agent changed; a mode chosen where
//! more than one can rehearse the agent; and an ElevenLabs agent rehearsed at ElevenLabs (the
//! loopback fake), its own verdict shown beside the engine's checks.

use std::path::Path;

use switchboard_core::{Agent, AgentId, BackendKind};
use switchboard_engine::sample::{PRESETS, presets};
use switchboard_fakes::anthropic::{FakeAnthropic, Reply, last_user_text};
use switchboard_fakes::elevenlabs::{FakeElevenLabs, FakeElevenLabsSettings};
use switchboard_fakes::rehearsal_agent;
use switchboard_providers::Secret;
use switchboard_sim::SimSettings;

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, replace_text, within};

const AGENT: &str = "Driver violation caller";
const SUITE: &str = "[data-testid=agent-card][data-agent-name='Driver violation caller'] [data-testid=agent-suite]";

/// The row of scenario `name` in the open suite.
fn row(name: &str) -> String {
    format!("{SUITE} [data-testid=scenario-row][data-scenario='{name}']")
}

/// The text of the first element matching `css`, once there: read again if the list re-renders
/// under the reading.
async fn shown(app: &App, css: &str) -> String {
    eventually(css, PATIENCE, || async { app.texts(css).await.into_iter().next() }).await
}

/// Opens (or closes) the driver agent's suite from its card.
async fn toggle_suite(app: &App) {
    app.click_in(&format!("[data-testid=agent-card][data-agent-name='{AGENT}']"), "open-suite").await;
}

/// Rehearses the whole open suite `runs` times each and waits for every run to end.
async fn rehearse_all(app: &App, runs: u32) -> u32 {
    replace_text(&app.wait_for(&format!("{SUITE} [data-testid=rehearsal-runs]")).await, &runs.to_string()).await;
    app.click_in(SUITE, "rehearse").await;
    let total = eventually("the rehearsal's progress", PATIENCE, || async {
        let total = app.attrs(&format!("{SUITE} [data-testid=rehearsal-progress]"), "data-total").await;
        total.first().and_then(|total| total.parse::<u32>().ok())
    })
    .await;
    eventually("every run to end", PATIENCE, || async {
        let done = app.attrs(&format!("{SUITE} [data-testid=rehearsal-progress]"), "data-done").await;
        let idle = shown(app, &format!("{SUITE} [data-testid=rehearse]")).await == "Rehearse";
        (done.first().map(String::as_str) == Some(total.to_string().as_str()) && idle).then_some(())
    })
    .await;
    total
}

/// The app on the profile in `data` with `provider`'s key `key` and its API at `base_url` (a
/// fake); every other provider's API points at a closed loopback port, so nothing leaves
/// 127.0.0.1.
async fn app_with_one_provider(data: &Path, provider: &str, key: &str, base_url: &str) -> App {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let closed = format!("http://{closed}");
    let providers = ["TWILIO", "ELEVENLABS", "DEEPGRAM", "VAPI", "ULTRAVOX", "ANTHROPIC"];
    let bases: Vec<(String, &str)> = providers
        .iter()
        .map(|name| (format!("SWITCHBOARD_{name}_BASE_URL"), if *name == provider { base_url } else { &closed }))
        .collect();
    let key_var = format!("{provider}_API_KEY");
    let mut env = vec![(key_var.as_str(), Path::new(key))];
    env.extend(bases.iter().map(|(name, base)| (name.as_str(), Path::new(*base))));
    App::start_with_env(data, 1, &env).await
}

/// Opens a new driver batch over every driver, to call now.
async fn open_builder(app: &App) {
    app.click("nav-campaigns").await;
    app.click("new-campaign").await;
    app.wait_for("[data-testid=campaign-kind]").await.select_by_value("driver-violation").await.unwrap();
    app.click("campaign-pick-all").await;
    app.click("campaign-ignore-windows").await;
}

#[tokio::test]
async fn a_scenario_is_edited_rehearsed_and_its_failure_explained() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 1).await;
        app.click("nav-agents").await;
        toggle_suite(&app).await;

        // The suite shipped with the preset: each scenario's callee and what it expects.
        let names = eventually("the scenarios", PATIENCE, || async {
            let names = app.attrs(&format!("{SUITE} [data-testid=scenario-row]"), "data-scenario").await;
            (names.len() >= 6).then_some(names)
        })
        .await;
        assert!(names.contains(&"Hostile driver".to_owned()), "{names:?}");
        let expects = shown(&app, &format!("{} [data-testid=scenario-expects]", row("Driver acknowledges"))).await;
        assert!(expects.contains("collects acknowledged = yes") && expects.contains("within 16 turns"), "{expects}");
        assert_eq!(
            shown(&app, &format!("{} [data-testid=scenario-pass-rate]", row("Hostile driver"))).await,
            "not rehearsed"
        );
        // The simulator rehearses it; text mode says why it cannot now.
        assert_eq!(shown(&app, &format!("{SUITE} [data-testid=rehearsal-mode-only]")).await, "Simulator");
        let text_mode = shown(&app, &format!("{SUITE} [data-testid=mode-unavailable][data-mode=text]")).await;
        assert!(text_mode.contains("Anthropic API key"), "{text_mode}");
        // An agent Switchboard runs itself has no hosted provider to rehearse at, and the window says so.
        let at_provider = shown(&app, &format!("{SUITE} [data-testid=mode-unavailable][data-mode=provider]")).await;
        assert!(at_provider.contains("runs on Switchboard's own turn code"), "{at_provider}");

        // A bad value is refused beside its field, and what was typed stays.
        app.click_in(&row("Hostile driver"), "edit-scenario").await;
        replace_text(&app.wait_for("[data-testid=scenario-name]").await, "Hostile driver, angry").await;
        let turns = app.wait_for("[data-testid=scenario-max-turns]").await;
        replace_text(&turns, "1").await;
        app.wait_for("[data-testid=scenario-must-say]").await.send_keys("a phrase it never says").await.unwrap();
        app.click("scenario-save").await;
        assert_eq!(
            shown(&app, "[data-testid='scenario-error-expect.maxTurns']").await,
            "a call takes at least 2 turns"
        );
        let name = app.wait_for("[data-testid=scenario-name]").await.prop("value").await.unwrap();
        assert_eq!(name.as_deref(), Some("Hostile driver, angry"), "the typed name is kept");
        app.screenshot("rehearsal-scenario-refused").await;

        // A good value is saved, and is still there when the suite is opened again.
        replace_text(&turns, "8").await;
        app.click("scenario-save").await;
        app.wait_for(&row("Hostile driver, angry")).await;
        assert!(app.texts("[data-testid=scenario-editor]").await.is_empty(), "the editor closes on save");
        toggle_suite(&app).await;
        toggle_suite(&app).await;
        let expects = shown(&app, &format!("{} [data-testid=scenario-expects]", row("Hostile driver, angry"))).await;
        assert!(expects.contains("within 8 turns") && expects.contains("says “a phrase it never says”"), "{expects}");
        assert!(app.texts(&row("Hostile driver")).await.is_empty(), "the old name is gone");

        // A scenario added: what the callee knows needs a name, who answers is required, a
        // range runs upwards; each said beside its row. Added, then removed again.
        app.click_in(SUITE, "add-scenario").await;
        replace_text(&app.wait_for("[data-testid=scenario-name]").await, "Quick hello").await;
        app.click("callee-knows-add").await;
        app.wait_for("[data-testid=callee-knows-value]").await.send_keys("9").await.unwrap();
        app.click("scenario-save").await;
        let unnamed = shown(&app, "[data-testid='scenario-error-callee.knows.0']").await;
        assert_eq!(unnamed, "give what they know a name (e.g. unit_price)");
        app.wait_for("[data-testid=callee-knows-key]").await.send_keys("digit").await.unwrap();
        app.click("expect-field-add").await;
        app.wait_for("[data-testid=expect-field-key]").await.send_keys("unit_price").await.unwrap();
        app.wait_for("[data-testid=expect-field-kind]").await.select_by_value("range").await.unwrap();
        app.wait_for("[data-testid=expect-field-min]").await.send_keys("5").await.unwrap();
        let max = app.wait_for("[data-testid=expect-field-max]").await;
        max.send_keys("3").await.unwrap();
        app.click("scenario-save").await;
        assert_eq!(shown(&app, "[data-testid='scenario-error-callee.who']").await, "say who the callee is");
        let range = shown(&app, "[data-testid='scenario-error-expect.fields.0']").await;
        assert_eq!(range, "the range's min (5) is above its max (3)");
        assert!(app.texts("[data-testid='scenario-error-callee.knows.0']").await.is_empty());
        app.wait_for("[data-testid=scenario-who]").await.send_keys("Maria, in a hurry").await.unwrap();
        replace_text(&max, "6").await;
        app.click("scenario-save").await;
        app.wait_for(&row("Quick hello")).await;
        let callee = shown(&app, &format!("{} [data-testid=scenario-callee]", row("Quick hello"))).await;
        assert_eq!(callee, "Maria, in a hurry; knows digit: 9");
        let expects = shown(&app, &format!("{} [data-testid=scenario-expects]", row("Quick hello"))).await;
        assert!(expects.contains("collects unit_price in 5 to 6"), "{expects}");
        app.click_in(&row("Quick hello"), "remove-scenario").await;
        eventually("the added scenario to be removed", PATIENCE, || async {
            app.texts(&row("Quick hello")).await.is_empty().then_some(())
        })
        .await;

        // Rehearse: progress as the runs end, then the results with each run's transcript.
        let total = rehearse_all(&app, 2).await;
        assert_eq!(total as usize, names.len() * 2);
        let acknowledged = row("Driver acknowledges");
        assert_eq!(
            shown(&app, &format!("{acknowledged} [data-testid=scenario-pass-rate]")).await,
            "2 of 2 runs passed"
        );
        app.click_in(&acknowledged, "show-runs").await;
        let transcript = shown(&app, &format!("{acknowledged} [data-testid=run-transcript]")).await;
        assert!(transcript.contains("Agent") && transcript.contains("Callee"), "{transcript}");
        let checks = app.texts(&format!("{acknowledged} [data-testid=run-check]")).await;
        assert!(checks.iter().any(|check| check.contains("fields.acknowledged")), "{checks:?}");

        // The failing scenario says why, its runs opened.
        let angry = row("Hostile driver, angry");
        assert_eq!(shown(&app, &format!("{angry} [data-testid=scenario-pass-rate]")).await, "0 of 2 runs passed");
        let failed = app.texts(&format!("{angry} [data-testid=run-check][data-passed=false]")).await;
        assert!(failed.iter().any(|check| check.contains("never said \"a phrase it never says\"")), "{failed:?}");
        let scroll = "document.querySelector(arguments[0]).scrollIntoView();";
        app.client.execute(scroll, vec![angry.clone().into()]).await.expect("scrolling failed");
        app.screenshot("rehearsal-results").await;

        // One scenario rehearsed again on its own.
        app.click_in(&angry, "rehearse-scenario").await;
        eventually("the scenario's own rehearsal", PATIENCE, || async {
            let total = app.attrs(&format!("{SUITE} [data-testid=rehearsal-progress]"), "data-total").await;
            let done = app.attrs(&format!("{SUITE} [data-testid=rehearsal-progress]"), "data-done").await;
            (total.first().map(String::as_str) == Some("2") && done.first().map(String::as_str) == Some("2"))
                .then_some(())
        })
        .await;
        app.click_in(&acknowledged, "show-runs").await;
        eventually("the runs to be hidden", PATIENCE, || async {
            app.texts(&format!("{acknowledged} [data-testid=run-transcript]")).await.is_empty().then_some(())
        })
        .await;

        // The builder names the agent and the scenario it failed.
        app.click("nav-campaigns").await;
        app.click("new-campaign").await;
        app.wait_for("[data-testid=campaign-kind]").await.select_by_value("driver-violation").await.unwrap();
        let warning = shown(&app, "[data-testid=campaign-rehearsal-warning]").await;
        assert!(
            warning.starts_with(AGENT) && warning.contains("failed Hostile driver, angry (0 of 2 runs passed)"),
            "{warning}"
        );
        app.quit().await;
    })
    .await;
}

#[tokio::test]
async fn the_builder_warns_until_the_agent_version_passes_its_suite() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 1).await;

        // Never rehearsed: the builder says so, and asks before launching; going back launches nothing.
        open_builder(&app).await;
        let warning = shown(&app, "[data-testid=campaign-rehearsal-warning]").await;
        assert!(warning.starts_with(AGENT) && warning.ends_with("has never been rehearsed."), "{warning}");
        app.click("campaign-launch").await;
        app.wait_for("[data-testid=campaign-launch-confirm]").await;
        app.screenshot("rehearsal-launch-confirm").await;
        app.click("campaign-launch-back").await;
        assert!(app.texts("[data-testid=campaign-launch-confirm]").await.is_empty());
        assert!(app.texts("[data-testid=campaign-row]").await.is_empty(), "nothing launched");

        // A passing rehearsal of the whole suite.
        app.click("nav-agents").await;
        toggle_suite(&app).await;
        rehearse_all(&app, 1).await;
        let version = shown(&app, &format!("{SUITE} [data-testid=suite-version]")).await;
        let rates = app.texts(&format!("{SUITE} [data-testid=scenario-pass-rate]")).await;
        assert!(rates.iter().all(|rate| rate == "1 of 1 run passed"), "{rates:?}");

        // Now the builder says it passed, and launches at once.
        open_builder(&app).await;
        let passed = shown(&app, "[data-testid=campaign-rehearsal-passed]").await;
        assert_eq!(passed, format!("{AGENT} passed its rehearsal suite in this version."));
        assert!(app.texts("[data-testid=campaign-rehearsal-warning]").await.is_empty());
        app.click("campaign-launch").await;
        app.wait_for("[data-testid=campaign-detail]").await;
        assert!(app.texts("[data-testid=campaign-launch-confirm]").await.is_empty(), "no question asked");

        // A change to the agent is a new version, not rehearsed yet.
        app.click("nav-agents").await;
        app.click_in(&format!("[data-testid=agent-card][data-agent-name='{AGENT}']"), "edit-agent").await;
        replace_text(&app.wait_for("[data-testid=agent-max-duration]").await, "500").await;
        app.click("agent-save").await;
        eventually("the editor to close", PATIENCE, || async {
            app.texts("[data-testid=agent-editor]").await.is_empty().then_some(())
        })
        .await;
        toggle_suite(&app).await;
        let changed = shown(&app, &format!("{SUITE} [data-testid=suite-version]")).await;
        assert_ne!(changed, version, "a new version");
        let rates = app.texts(&format!("{SUITE} [data-testid=scenario-pass-rate]")).await;
        assert!(rates.iter().all(|rate| rate == "not rehearsed"), "{rates:?}");
        open_builder(&app).await;
        let warning = shown(&app, "[data-testid=campaign-rehearsal-warning]").await;
        let since = format!("{AGENT} changed since its last rehearsal (version {version}, ");
        assert!(warning.starts_with(&since), "{warning}");
        assert!(warning.ends_with(&format!("; version {changed} has not been rehearsed.")), "{warning}");
        app.launch_campaign().await;
        eventually("the second campaign", PATIENCE, || async {
            (app.texts("[data-testid=campaign-row]").await.len() == 2).then_some(())
        })
        .await;
        app.quit().await;
    })
    .await;
}

#[tokio::test]
async fn a_mode_is_chosen_where_more_than_one_can_rehearse() {
    within(TEST_LIMIT, async {
        const KEY: &str = "sk-ant-rehearsal-test";
        let model = FakeAnthropic::start(KEY, rehearsal_agent::responder()).await.unwrap();
        let data = tempfile::tempdir().unwrap();
        // With an Anthropic key the agent's own model turn can rehearse it too (against the fake).
        let app = app_with_one_provider(data.path(), "ANTHROPIC", KEY, model.base_url()).await;
        app.click("nav-agents").await;
        toggle_suite(&app).await;

        let modes = app.wait_for(&format!("{SUITE} [data-testid=rehearsal-mode]")).await;
        let offered = app.attrs(&format!("{SUITE} [data-testid=rehearsal-mode] option"), "value").await;
        assert_eq!(offered, ["simulator", "text"]);
        modes.select_by_value("text").await.unwrap();
        let acknowledged = row("Driver acknowledges");
        app.click_in(&acknowledged, "rehearse-scenario").await;
        let head = eventually("the text run's result", PATIENCE, || async {
            app.texts(&format!("{acknowledged} [data-testid=rehearsal-run] .run-head")).await.into_iter().next()
        })
        .await;
        assert!(head.contains("Text (the agent's model)"), "{head}");
        assert!(!model.requests().is_empty(), "the agent's turns went to the model");
        app.quit().await;
    })
    .await;
}

#[tokio::test]
async fn an_elevenlabs_agent_is_rehearsed_at_elevenlabs_and_its_verdict_shown() {
    within(TEST_LIMIT, async {
        const KEY: &str = "xi-rehearsal-test";
        const ELEVENLABS_AGENT: &str = "agent_driver_e2e";
        // ElevenLabs' side of the agent: the driver preset, as the window will point it there.
        let mut config = presets(PRESETS).unwrap().into_iter().find(|config| config.name == AGENT).unwrap();
        config.backend = BackendKind::ElevenLabs;
        config.backend_settings.eleven_labs.agent_id = ELEVENLABS_AGENT.into();
        let fake = FakeElevenLabs::start(FakeElevenLabsSettings {
            api_key: KEY.into(),
            webhook_secret: Secret::new("whsec_unused"),
            agents: vec![Agent { id: AgentId(1), config }],
            conversation_delay: std::time::Duration::from_millis(30),
            sim: SimSettings::default(),
        })
        .await
        .unwrap();
        // Its agent and simulated driver talk; its evaluation finds one condition unmet.
        let user = Box::new(|_: &serde_json::Value| Reply::text("Yes, I understand. Thanks for letting me know."));
        let evaluator = Box::new(|request: &serde_json::Value| {
            if last_user_text(request).contains("polite goodbye") {
                Reply::text("failure: the agent never said goodbye")
            } else {
                Reply::text("success")
            }
        });
        fake.set_test_models(rehearsal_agent::responder(), user, evaluator);
        let data = tempfile::tempdir().unwrap();
        let app = app_with_one_provider(data.path(), "ELEVENLABS", KEY, fake.base_url()).await;

        // The dispatcher moves the agent to ElevenLabs in its editor.
        app.click("nav-agents").await;
        app.click_in(&format!("[data-testid=agent-card][data-agent-name='{AGENT}']"), "edit-agent").await;
        app.wait_for("[data-testid=agent-backend]").await.select_by_value("eleven-labs").await.unwrap();
        replace_text(&app.wait_for("[data-testid=elevenlabs-agent]").await, ELEVENLABS_AGENT).await;
        replace_text(&app.wait_for("[data-testid=elevenlabs-phone-number]").await, "phnum_e2e").await;
        app.click("agent-save").await;
        eventually("the editor to close", PATIENCE, || async {
            app.texts("[data-testid=agent-editor]").await.is_empty().then_some(())
        })
        .await;

        // At the provider: one scenario, one run, in ElevenLabs' simulation test.
        toggle_suite(&app).await;
        let modes = app.wait_for(&format!("{SUITE} [data-testid=rehearsal-mode]")).await;
        let offered = app.attrs(&format!("{SUITE} [data-testid=rehearsal-mode] option"), "value").await;
        assert!(offered.contains(&"provider".to_owned()), "{offered:?}");
        modes.select_by_value("provider").await.unwrap();
        let acknowledged = row("Driver acknowledges");
        app.click_in(&acknowledged, "rehearse-scenario").await;
        let verdict = shown(&app, &format!("{acknowledged} [data-testid=run-provider-verdict]")).await;
        assert!(
            verdict.starts_with("The provider's own verdict on ElevenLabs' success conditions: failed")
                && verdict.contains("failure: the agent never said goodbye"),
            "{verdict}"
        );
        let head = shown(&app, &format!("{acknowledged} [data-testid=rehearsal-run] .run-head")).await;
        assert!(head.contains("At the provider"), "{head}");
        assert!(!fake.created_tests().is_empty() && fake.tests().is_empty(), "the test was made, run and deleted");
        app.screenshot("rehearsal-provider-verdict").await;
        app.quit().await;
    })
    .await;
}
