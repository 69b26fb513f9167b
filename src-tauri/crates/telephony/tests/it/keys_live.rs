//! Keys and settings saved while the app runs: the backends and the listener share one
//! `ProviderClients`, as the console wires them, and a new `ProviderSet` swapped in (what saving
//! a key or a setting does) reaches the next call, the next webhook and `/health` at once, while
//! a call already placed keeps the Twilio account it was placed with. And an answering machine
//! still gets the message a call was placed with after a restart, the agent edited meanwhile.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::AbortHandle;

use switchboard_core::{BackendKind, CallId, CallState, VoicemailPolicy};
use switchboard_engine::history::call_record;
use switchboard_engine::{CallReports, Engine, EngineError, LiveCalls};
use switchboard_fakes::elevenlabs::{FakeElevenLabs, FakeElevenLabsSettings};
use switchboard_fakes::twilio::{FakeTwilio, FakeTwilioSettings};
use switchboard_providers::anthropic::{AnthropicClient, AnthropicConfig};
use switchboard_providers::elevenlabs::{ElevenLabsClient, ElevenLabsConfig};
use switchboard_providers::{ConnectionTarget, Credentials, Provider, Secret};
use switchboard_sim::{Cast, SimSettings};
use switchboard_store::Store;
use switchboard_telephony::backends::elevenlabs::ElevenLabsBackend;
use switchboard_telephony::backends::twilio::TwilioDialer;
use switchboard_telephony::backends::{CallPlacing, ReconcileSettings};
use switchboard_telephony::gather::{GatherBackend, GatherCalls, GatherSettings};
use switchboard_telephony::listener::{ConnectionProbe, ListenerSettings, ListenerState, WebhookRoute, WebhookSecrets};
use switchboard_telephony::{ProviderClients, ProviderSet};

use super::{hosted, loopback_http};

const XI_KEY: &str = "xi_saved_later";
const XI_WRONG_KEY: &str = "xi_typo";
const XI_SECRET: &str = "whsec_saved_later";
const PUBLIC: &str = "https://tunnel.example";
const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH_TOKEN: &str = "twilio-auth-token";
const FROM: &str = "+13125550100";

/// `/health`'s report on `provider`: (webhooks, reachability state).
async fn health(listener: &str, provider: &str) -> (String, String) {
    let report: serde_json::Value =
        reqwest::get(format!("{listener}/health")).await.unwrap().error_for_status().unwrap().json().await.unwrap();
    let entry = report["providers"].as_array().unwrap().iter().find(|entry| entry["provider"] == provider).unwrap();
    (entry["webhooks"].as_str().unwrap().to_owned(), entry["reachability"]["state"].as_str().unwrap().to_owned())
}

/// The set a dispatcher who has entered the ElevenLabs key `key` and webhook secret `secret`
/// would have, the API at `base_url`.
fn elevenlabs_saved(base_url: &str, key: &str, secret: &str) -> ProviderSet {
    let http = loopback_http();
    let config = ElevenLabsConfig { base_url: base_url.to_owned(), api_key: Secret::new(key) };
    let secrets = WebhookSecrets { elevenlabs: Some(Secret::new(secret)), ..WebhookSecrets::default() };
    let mut set = ProviderSet::new("http://127.0.0.1", secrets);
    set.elevenlabs = Some(ElevenLabsClient::new(config, &http).unwrap());
    let target =
        ConnectionTarget::new(Provider::ElevenLabs, base_url, Credentials::ApiKey(Secret::new(key)), &http).unwrap();
    set.probe = Arc::new(ConnectionProbe::new([target]));
    set
}

#[tokio::test]
async fn a_key_saved_after_start_up_reaches_the_next_call_its_webhooks_and_health() {
    let (store, agents) = hosted::seeded_store(BackendKind::ElevenLabs, 300, |id, config| {
        config.backend_settings.eleven_labs.agent_id = format!("agent_{}", id.0);
        config.backend_settings.eleven_labs.agent_phone_number_id = "phnum_switchboard".into();
    });
    let (mut engine, _recordings) = hosted::engine_keeping_recordings(&store, Duration::from_secs(30));
    let fake = FakeElevenLabs::start(FakeElevenLabsSettings {
        api_key: XI_KEY.into(),
        webhook_secret: Secret::new(XI_SECRET),
        agents,
        conversation_delay: Duration::from_millis(100),
        sim: SimSettings { cast: Cast::Cooperative, ..SimSettings::default() },
    })
    .await
    .unwrap();

    // Started with no ElevenLabs key at all, as the console wires it.
    let clients = ProviderClients::new(ProviderSet::new("http://127.0.0.1", WebhookSecrets::default()));
    let live = LiveCalls::default();
    let backend = ElevenLabsBackend::with_clients(CallPlacing {
        clients: clients.clone(),
        store: Arc::clone(&store),
        live: live.clone(),
        reconcile: ReconcileSettings::default(),
    });
    engine.register_backend(Arc::new(backend));
    let state = ListenerState::new(
        Arc::clone(&store),
        engine.bus().clone(),
        WebhookSecrets::default(),
        ListenerSettings::new("http://127.0.0.1"),
    )
    .with_clients(clients.clone())
    .with_live_calls(live, engine.recordings());
    let listener = format!("http://{}", hosted::serve_listener(state).await);
    fake.send_webhooks_to(&format!("{listener}{}", WebhookRoute::ElevenLabs.path()));
    let engine = Arc::new(engine);

    assert!(!engine.available_backends().contains(&BackendKind::ElevenLabs));
    let request = crate::quote_request();
    let refused = engine.start_quote_call(
        hosted::vendor(&engine, "Acme Fasteners"),
        hosted::agent(&engine, "Vendor quote"),
        &request,
    );
    assert!(matches!(refused.await, Err(EngineError::BackendUnavailable(BackendKind::ElevenLabs))));
    assert!(store.list_calls(10).unwrap().is_empty(), "refused before anything is stored");
    assert_eq!(health(&listener, "elevenlabs").await, ("not-configured".into(), "not-configured".into()));

    // A mistyped key: the backend is on, and /health says the key is refused (and keeps saying
    // so for its minute).
    clients.replace(elevenlabs_saved(fake.base_url(), XI_WRONG_KEY, "whsec_typo"));
    assert!(engine.available_backends().contains(&BackendKind::ElevenLabs));
    assert_eq!(health(&listener, "elevenlabs").await, ("verified".into(), "key-refused".into()));

    // The right key and secret: /health checks afresh at once, the next call is placed with the
    // key, and its signed webhook is verified with the new secret.
    clients.replace(elevenlabs_saved(fake.base_url(), XI_KEY, XI_SECRET));
    assert_eq!(health(&listener, "elevenlabs").await, ("verified".into(), "reachable".into()));
    let (call, lines, _) = hosted::quote_call(&engine, "Acme Fasteners").await;
    let record = call_record(&store, call).unwrap();
    assert_eq!(record.call.state, CallState::Completed, "{:?}", record.call);
    assert!(lines > 0 && record.offer.is_some(), "the webhook's report was applied");
    assert_eq!(fake.placed_calls().len(), 1);
    let inbox = store.inbox_counts().unwrap();
    assert!(inbox.total > 0 && inbox.failed == 0, "{inbox:?}");

    // Removing the key turns the backend off again for the next call.
    clients.replace(ProviderSet::new("http://127.0.0.1", WebhookSecrets::default()));
    assert!(!engine.available_backends().contains(&BackendKind::ElevenLabs));
}

/// Speech-gather calls placed by a dialer reading `clients`, answered calls handed to the test
/// (so they stay up until the dialer acts on them), the listener verifying Twilio's callbacks.
struct Dialing {
    engine: Arc<Engine>,
    listener: String,
    /// The listener's and its inbox processor's tasks.
    listening: [AbortHandle; 2],
}

impl Dialing {
    async fn start(store: &Arc<Store>, clients: &ProviderClients) -> Self {
        let (mut engine, _) = hosted::engine_keeping_recordings(store, Duration::from_secs(30));
        let live = LiveCalls::default();
        let dialer = TwilioDialer::with_clients(CallPlacing {
            clients: clients.clone(),
            store: Arc::clone(store),
            live: live.clone(),
            reconcile: ReconcileSettings::default(),
        });
        let reports = CallReports::new(Arc::clone(store), engine.bus().clone(), live.clone(), None);
        let calls = GatherCalls::with_clients(Arc::clone(store), reports, clients.clone(), GatherSettings::default());
        engine.register_backend(Arc::new(GatherBackend::new(calls.clone(), dialer.clone())));
        engine.close_abandoned_calls().await.unwrap();
        let state = ListenerState::new(
            Arc::clone(store),
            engine.bus().clone(),
            WebhookSecrets::default(),
            ListenerSettings::new(PUBLIC),
        )
        .with_clients(clients.clone())
        .with_live_calls(live, None)
        .with_twilio(dialer)
        .with_gather(calls);
        let (bound, listening) = hosted::start_listener(state).await;
        Self { engine: Arc::new(engine), listener: format!("http://{bound}"), listening }
    }

    /// Stops taking webhooks, as the app's exit does (else two processors would share the inbox).
    fn stop(&self) {
        self.listening.iter().for_each(AbortHandle::abort);
    }

    async fn call(&self, vendor: &str) -> CallId {
        let engine = &self.engine;
        engine
            .start_quote_call(
                hosted::vendor(engine, vendor),
                hosted::agent(engine, "Vendor quote"),
                &crate::quote_request(),
            )
            .await
            .unwrap()
            .id
    }
}

/// A fake Twilio of the test account in which an answering machine answers `machine`, ringing
/// `ring_time` first; answered calls are handed to the test.
async fn fake_twilio(machine: &str, ring_time: Duration) -> FakeTwilio {
    let twilio = FakeTwilio::start(FakeTwilioSettings {
        account_sid: ACCOUNT.into(),
        auth_token: Secret::new(AUTH_TOKEN),
        ring_time,
        sim: SimSettings { cast: Cast::Cooperative, ..SimSettings::default() },
        machines: vec![machine.to_owned()],
    })
    .await
    .unwrap();
    twilio.hand_off();
    twilio
}

/// The set with the Twilio account at `twilio`, the calling number and a model for gather
/// calls (never asked: these calls meet machines).
fn twilio_saved(twilio: &FakeTwilio) -> ProviderSet {
    let http = loopback_http();
    let secrets = WebhookSecrets { twilio_auth_token: Some(Secret::new(AUTH_TOKEN)), ..WebhookSecrets::default() };
    let mut set = ProviderSet::new(PUBLIC, secrets);
    set.twilio = Some(twilio.client(&http).unwrap());
    set.from_number = Some(FROM.into());
    let model = AnthropicConfig { base_url: "http://127.0.0.1:9".into(), api_key: Secret::new("sk-ant-unused") };
    set.anthropic = Some(AnthropicClient::new(model, &http).unwrap());
    set
}

/// Waits for `call` to end; returns its end reason.
async fn ended(store: &Store, call: CallId) -> (CallState, String) {
    for _ in 0..500 {
        let summary = store.call(call).unwrap().unwrap();
        if summary.state.is_terminal() {
            return (summary.state, summary.end_reason.unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("call {call} did not end");
}

fn twiml_sent(updates: &[(String, Vec<(String, String)>)], sid: &str) -> String {
    let (_, form) = updates.iter().find(|(to, _)| to == sid).expect("an update for the call");
    form.iter().find(|(key, _)| key == "Twiml").map(|(_, twiml)| twiml.clone()).unwrap_or_default()
}

fn call_sid(store: &Store, call: CallId) -> String {
    call_record(store, call).unwrap().provider_refs["Twilio call SID"].clone()
}

#[tokio::test]
async fn a_call_already_placed_keeps_its_twilio_account_while_new_calls_use_the_saved_one() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    super::seed(&store);
    for mut agent in store.list_agents().unwrap() {
        agent.config.backend = BackendKind::Gather;
        store.update_agent(agent.id, &agent.config).unwrap();
    }
    let acme = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Acme Fasteners").unwrap();
    let machine = acme.phone_e164.clone().unwrap();
    // Two fronts of the same account (the old and the new API address): a call lives in the one
    // it was placed through, which knows its Call SID.
    let first = fake_twilio(&machine, Duration::from_millis(600)).await;
    let second = fake_twilio(&machine, Duration::from_millis(50)).await;
    let clients = ProviderClients::new(twilio_saved(&first));
    let world = Dialing::start(&store, &clients).await;
    first.tunnel(PUBLIC, &world.listener);
    second.tunnel(PUBLIC, &world.listener);

    let placed_before = world.call("Acme Fasteners").await;
    // Saved while the call rings; its machine verdict comes after.
    clients.replace(twilio_saved(&second));
    let (state, reason) = ended(&store, placed_before).await;
    assert_eq!(state, CallState::Voicemail);
    assert!(reason.contains("voicemail message was left") && !reason.contains("refused"), "{reason}");
    let sid = call_sid(&store, placed_before);
    assert!(twiml_sent(&first.updates(), &sid).contains("<Say>"), "left through the account it was placed in");
    assert!(second.updates().is_empty());

    let placed_after = world.call("Acme Fasteners").await;
    assert_eq!((first.placed_calls().len(), second.placed_calls().len()), (1, 1), "placed with the saved one");
    let (state, reason) = ended(&store, placed_after).await;
    assert_eq!(state, CallState::Voicemail, "{reason}");
    assert!(twiml_sent(&second.updates(), &call_sid(&store, placed_after)).contains("<Say>"));
    assert_eq!(first.updates().len(), 1);
}

#[tokio::test]
async fn after_a_restart_a_machine_gets_the_message_the_call_was_placed_with() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("db.sqlite3")).unwrap());
    super::seed(&store);
    for mut agent in store.list_agents().unwrap() {
        agent.config.backend = BackendKind::Gather;
        store.update_agent(agent.id, &agent.config).unwrap();
    }
    let acme = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Acme Fasteners").unwrap();
    let twilio = fake_twilio(&acme.phone_e164.clone().unwrap(), Duration::from_millis(1500)).await;
    let before = Dialing::start(&store, &ProviderClients::new(twilio_saved(&twilio))).await;
    twilio.tunnel(PUBLIC, &before.listener);
    let call = before.call("Acme Fasteners").await;

    // While it rings the agent is changed to hang up on machines, and the app restarts: a new
    // engine, dialer and listener over the same database, nothing carried over in memory.
    let agent = store.agent(hosted::agent(&before.engine, "Vendor quote")).unwrap().unwrap();
    let mut config = agent.config;
    config.voicemail = VoicemailPolicy::HangUp;
    store.update_agent(agent.id, &config).unwrap();
    before.stop();
    let store = Arc::new(Store::open(&dir.path().join("db.sqlite3")).unwrap());
    let after = Dialing::start(&store, &ProviderClients::new(twilio_saved(&twilio))).await;
    twilio.tunnel(PUBLIC, &after.listener);

    let (state, reason) = ended(&store, call).await;
    assert_eq!(state, CallState::Voicemail);
    assert!(reason.contains("voicemail message was left"), "{reason}");
    let twiml = twiml_sent(&twilio.updates(), &call_sid(&store, call));
    assert!(twiml.contains("<Say>Hi, this is a message for Acme Fasteners") && twiml.contains("<Hangup/>"), "{twiml}");
    // A call placed after the edit hangs up.
    let hung_up = after.call("Acme Fasteners").await;
    let (state, reason) = ended(&store, hung_up).await;
    assert_eq!(state, CallState::Voicemail, "{reason}");
    assert!(reason.contains("hung up without a message"), "{reason}");
}
