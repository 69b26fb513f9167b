//! The dispatcher's hand on live calls in the real window. A simulated call: taking over is
//! disabled with the simulator's reason, and End call (confirmed) ends it "ended by the
//! dispatcher", as History's transcript keeps. A pipeline call against the provider fakes: a note reaches the model's next
//! request, a typed line is said, and End call hangs it up at the fake Twilio. A speech-gather
//! call: the dispatcher's phone saved in Settings, Take over redirects the call to `<Dial>` it.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use switchboard_core::BackendKind;
use switchboard_fakes::anthropic::{FakeAnthropic, Reply};
use switchboard_fakes::deepgram::FakeDeepgram;
use switchboard_fakes::elevenlabs_tts::FakeElevenLabsTts;
use switchboard_fakes::twilio::{FakeTwilio, FakeTwilioSettings, StreamCallee};
use switchboard_fakes::twilio_gather::twiml::{Verb, parse};
use switchboard_fakes::twilio_gather::{GatherDriver, PlacedGatherCall, VendorCallee};
use switchboard_fakes::twilio_media::CallerStep;
use switchboard_providers::Secret;
use switchboard_sim::{Cast, SimSettings};
use switchboard_store::Store;

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, replace_text, within};

const ACCOUNT: &str = "AC0000000000000000000000000000control";
const TOKEN: &str = "twilio-token-control";
const FROM: &str = "+13125550000";
const PUBLIC: &str = "https://switchboard.example";
const DISPATCHER: &str = "+13125550199";
const SIM: SimSettings = SimSettings { time_scale: 1.0, seed: 0x5157_4348, cast: Cast::Cooperative, record: false };

#[tokio::test]
async fn a_simulated_call_is_ended_by_the_dispatcher_and_take_over_says_why_it_cannot() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 1).await;
        app.call_contact("Acme Fasteners").await;
        app.wait_for("[data-testid=call-controls]").await;
        let why = app.text("[data-testid=control-why-take-over]").await;
        assert_eq!(why, "Take over: the simulator offers no way to hand a call to your phone");
        let take_over = app.wait_for("[data-testid=control-take-over]").await;
        assert!(!take_over.is_enabled().await.unwrap(), "take over is disabled");
        assert_eq!(
            take_over.attr("title").await.unwrap().as_deref(),
            Some("the simulator offers no way to hand a call to your phone")
        );
        assert_eq!(
            app.text("[data-testid=control-why-say]").await,
            "Say: the simulator offers no way to have the agent say a typed line"
        );
        eventually("the call answered", PATIENCE, || async {
            (app.text("[data-testid=detail-state]").await == "in progress").then_some(())
        })
        .await;

        // Ending asks first; Cancel leaves the call on.
        app.click("control-end").await;
        app.click("control-confirm-no").await;
        assert_eq!(app.text("[data-testid=detail-state]").await, "in progress");
        app.click("control-end").await;
        app.click("control-confirm-yes").await;
        eventually("the call ended", PATIENCE, || async {
            (app.text("[data-testid=detail-state]").await == "canceled").then_some(())
        })
        .await;
        assert_eq!(app.text("[data-testid=end-reason]").await, "Ended: ended by the dispatcher");
        assert_eq!(app.texts("[data-testid=dispatcher-line]").await, ["dispatcher ended the call"]);
        assert!(app.texts("[data-testid=call-controls]").await.is_empty(), "no controls once the call is over");
        assert_eq!(app.text("[data-testid=control-result]").await, "Done: ended the call", "the outcome stays");

        // History keeps the action in the call's transcript.
        app.click("nav-history").await;
        app.click("history-row").await;
        let kept = app.text("[data-testid=history-dispatcher-line]").await;
        assert!(kept.ends_with("dispatcher ended the call"), "{kept}");
        app.quit().await;
    })
    .await;
}

/// A profile whose "Vendor quote" agent is on `backend`, reached by the providers at [`PUBLIC`]
/// through `port`; the app's environment for the fakes (keys, base URLs, the listener's port).
fn profile(data: &Path, backend: BackendKind, port: u16, urls: &[(&str, &str)]) -> Vec<(String, String)> {
    let store = Store::open(&data.join("switchboard.sqlite3")).unwrap();
    switchboard_engine::sample::seed_shipped(&store).unwrap();
    let mut agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    agent.config.backend = backend;
    agent.config.backend_settings.pipeline.tts_voice = "voice_test".into();
    store.update_agent(agent.id, &agent.config).unwrap();
    store.set_setting("public_base_url", PUBLIC).unwrap();
    let closed = format!("http://127.0.0.1:{}", TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port());
    let mut env: Vec<(String, String)> = ["TWILIO", "ELEVENLABS", "DEEPGRAM", "ANTHROPIC", "ULTRAVOX", "VAPI"]
        .into_iter()
        .map(|provider| {
            let url = urls.iter().find(|(name, _)| *name == provider).map_or(closed.as_str(), |(_, url)| url);
            (format!("SWITCHBOARD_{provider}_BASE_URL"), url.to_owned())
        })
        .collect();
    for (key, value) in [
        ("TWILIO_ACCOUNT_SID", ACCOUNT),
        ("TWILIO_AUTH_TOKEN", TOKEN),
        ("TWILIO_FROM_NUMBER", FROM),
        ("DEEPGRAM_API_KEY", "dg-key"),
        ("ANTHROPIC_API_KEY", "sk-ant-key"),
        ("ELEVENLABS_API_KEY", "xi-key"),
    ] {
        env.push((key.to_owned(), value.to_owned()));
    }
    env.push(("SWITCHBOARD_LISTENER_PORT".to_owned(), port.to_string()));
    env
}

async fn start(data: &Path, env: &[(String, String)]) -> App {
    let env: Vec<(&str, &Path)> = env.iter().map(|(key, value)| (key.as_str(), Path::new(value.as_str()))).collect();
    App::start_with_env(data, 1, &env).await
}

async fn fake_twilio() -> FakeTwilio {
    FakeTwilio::start(FakeTwilioSettings {
        account_sid: ACCOUNT.into(),
        auth_token: Secret::new(TOKEN),
        ring_time: Duration::from_millis(10),
        sim: SIM,
        machines: Vec::new(),
    })
    .await
    .unwrap()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_call_is_steered_told_a_line_and_ended_from_the_window() {
    const NOTE: &str = "Ask whether freight is included";
    const LINE: &str = "One moment please, my colleague is checking.";
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let anthropic = FakeAnthropic::start("sk-ant-key", Box::new(|_| Reply::text("Thanks. Is freight included?")))
            .await
            .unwrap();
        let deepgram = FakeDeepgram::start("dg-key").await.unwrap();
        deepgram.script(&["Ten dollars a unit."]);
        let tts = FakeElevenLabsTts::start("xi-key", 2).await.unwrap();
        let twilio = fake_twilio().await;
        // The callee waits out the greeting, stays quiet while the dispatcher types, then answers.
        let script = vec![
            CallerStep::WaitForAgent(Duration::from_millis(300)),
            CallerStep::Silence(Duration::from_secs(15)),
            CallerStep::Speak(Duration::from_millis(600)),
            CallerStep::Silence(Duration::from_secs(120)),
        ];
        twilio.stream_callee(StreamCallee { script, ..StreamCallee::default() });
        let port = free_port();
        twilio.tunnel(PUBLIC, &format!("http://127.0.0.1:{port}"));
        let urls = [
            ("TWILIO", twilio.base_url()),
            ("DEEPGRAM", deepgram.base_url()),
            ("ANTHROPIC", anthropic.base_url()),
            ("ELEVENLABS", tts.base_url()),
        ];
        let env = profile(data.path(), BackendKind::Pipeline, port, &urls);
        let app = start(data.path(), &env).await;
        app.call_contact("Acme Fasteners").await;
        eventually("the greeting said", PATIENCE, || async {
            (!app.texts("[data-testid=transcript-line]").await.is_empty()).then_some(())
        })
        .await;

        replace_text(&app.wait_for("[data-testid=control-steer-text]").await, NOTE).await;
        app.click("control-steer").await;
        eventually("the note taken", PATIENCE, || async {
            (app.text("[data-testid=control-result]").await == format!("Done: note to the agent: {NOTE}")).then_some(())
        })
        .await;
        replace_text(&app.wait_for("[data-testid=control-say-text]").await, LINE).await;
        app.click("control-say").await;
        eventually("the line said", PATIENCE, || async {
            app.texts("[data-testid=transcript-line]").await.iter().any(|line| line.ends_with(LINE)).then_some(())
        })
        .await;
        let dispatcher = app.texts("[data-testid=dispatcher-line]").await;
        assert_eq!(
            dispatcher,
            [format!("dispatcher note to the agent: {NOTE}"), format!("dispatcher had the agent say: {LINE}")]
        );

        // The callee answers: the model's next request carries the note.
        let request = eventually("the model asked", Duration::from_secs(40), || async {
            anthropic.requests().into_iter().next()
        })
        .await;
        let system = request["system"].as_str().unwrap_or_default().to_owned();
        assert!(system.contains(NOTE), "{system}");

        app.click("control-end").await;
        app.click("control-confirm-yes").await;
        eventually("the call ended", PATIENCE, || async {
            (app.text("[data-testid=detail-state]").await == "canceled").then_some(())
        })
        .await;
        assert_eq!(app.text("[data-testid=end-reason]").await, "Ended: ended by the dispatcher");
        let updates = twilio.updates();
        let hung_up = updates.iter().filter(|(_, form)| form.iter().any(|(k, v)| k == "Status" && v == "completed"));
        assert_eq!(hung_up.count(), 1, "the fake Twilio was told to hang up, once: {updates:?}");
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gather_call_is_taken_over_on_the_dispatchers_phone() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let store = Store::open(&data.path().join("switchboard.sqlite3")).unwrap();
        switchboard_engine::sample::seed_shipped(&store).unwrap();
        let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
        let vendors = store.list_contacts().unwrap();
        let quote = switchboard_fakes::quote_agent::QuoteAgent::new(&agent, &vendors, &SIM).responder();
        let anthropic = FakeAnthropic::start("sk-ant-key", quote).await.unwrap();
        let twilio = fake_twilio().await;
        twilio.hand_off();
        let port = free_port();
        let local = format!("http://127.0.0.1:{port}");
        twilio.tunnel(PUBLIC, &local);
        let env = profile(
            data.path(),
            BackendKind::Gather,
            port,
            &[("TWILIO", twilio.base_url()), ("ANTHROPIC", anthropic.base_url())],
        );
        let app = start(data.path(), &env).await;

        // The dispatcher's phone: refused without its country code, then saved.
        app.click("nav-settings").await;
        let phone = app.wait_for("[data-testid=dispatcher-phone]").await;
        replace_text(&phone, "312 555 0199").await;
        app.click("dispatcher-phone-save").await;
        assert_eq!(
            app.text("[data-testid=dispatcher-phone-message]").await,
            "\"312 555 0199\" is not a phone number with its country code, such as +1 312 555 0100"
        );
        replace_text(&phone, "+1 312 555 0199").await;
        app.click("dispatcher-phone-save").await;
        eventually("the phone saved", PATIENCE, || async {
            (app.text("[data-testid=dispatcher-phone-message]").await
                == format!("Calls you take over ring {DISPATCHER}."))
            .then_some(())
        })
        .await;

        app.call_contact("Pacific Bolt & Nut").await;
        let answered = tokio::time::timeout(PATIENCE, twilio.next_answered()).await.unwrap().expect("placed");
        let vendor = vendors.iter().find(|c| c.fields.name == "Pacific Bolt & Nut").unwrap().clone();
        let placed = PlacedGatherCall::new(answered, vendor, agent.config.data_fields.clone()).expect("a voice URL");
        let mut driver = GatherDriver::new(&placed, TOKEN, PUBLIC, &local);
        assert_eq!(driver.step(&mut VendorCallee::new(&placed, &SIM)).await, None, "the opening");

        app.wait_for("[data-testid=call-controls]").await;
        eventually("take over offered", PATIENCE, || async {
            app.wait_for("[data-testid=control-take-over]").await.is_enabled().await.ok()?.then_some(())
        })
        .await;
        app.click("control-take-over").await;
        assert!(app.text("[data-testid=control-confirm]").await.contains("Connect Pacific Bolt & Nut to your phone"));
        app.click("control-confirm-yes").await;
        eventually("the call handed over", PATIENCE, || async {
            (app.text("[data-testid=detail-state]").await == "completed").then_some(())
        })
        .await;
        assert_eq!(app.text("[data-testid=end-reason]").await, "Ended: transferred to the dispatcher");
        let updates = twilio.updates();
        let [(sid, form)] = updates.as_slice() else { panic!("one update, the redirect: {updates:?}") };
        assert_eq!(sid, &placed.call_sid);
        let twiml = form.iter().find(|(key, _)| key == "Twiml").map(|(_, value)| value.as_str()).unwrap();
        assert_eq!(parse(twiml).unwrap(), [Verb::Dial(DISPATCHER.into())]);
        assert_eq!(
            app.texts("[data-testid=dispatcher-line]").await,
            [format!("dispatcher took the call over on {DISPATCHER}")]
        );
        app.quit().await;
    })
    .await;
}
