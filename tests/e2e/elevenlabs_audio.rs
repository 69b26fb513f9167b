//! An ElevenLabs call's MP3 recording plays in History, in the real window: a call placed on
//! the ElevenLabs backend against the loopback fake (which delivers its audio as MP3, by webhook
//! and by GET) is listed with its recording, and Play sends its voice to the speakers (ALSA's
//! output, read by the test) while the position moves on.

use std::net::TcpListener;
use std::time::Duration;

use switchboard_core::BackendKind;
use switchboard_fakes::elevenlabs::{FakeElevenLabs, FakeElevenLabsSettings};
use switchboard_providers::Secret;
use switchboard_sim::{Cast, SimSettings};
use switchboard_store::Store;

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, within};
use crate::speakers::{Speakers, peak};

const WEBHOOK_SECRET: &str = "whsec_e2e_audio";
const SIM: SimSettings = SimSettings { time_scale: 1.0, seed: 0x4d50_3321, cast: Cast::Cooperative, record: false };

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_elevenlabs_calls_mp3_recording_plays_in_history() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let speakers = Speakers::start();
        let store = Store::open(&data.path().join("switchboard.sqlite3")).unwrap();
        switchboard_engine::sample::seed_shipped(&store).unwrap();
        let mut agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
        agent.config.backend = BackendKind::ElevenLabs;
        agent.config.backend_settings.eleven_labs.agent_id = "agent_e2e".into();
        agent.config.backend_settings.eleven_labs.agent_phone_number_id = "phnum_e2e".into();
        store.update_agent(agent.id, &agent.config).unwrap();
        drop(store);

        let elevenlabs = FakeElevenLabs::start(FakeElevenLabsSettings {
            api_key: "xi-key".into(),
            webhook_secret: Secret::new(WEBHOOK_SECRET),
            agents: vec![agent],
            conversation_delay: Duration::from_millis(300),
            sim: SIM,
        })
        .await
        .unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        elevenlabs.send_webhooks_to(&format!("http://127.0.0.1:{port}/elevenlabs/webhook"));
        let port = port.to_string();
        let env = [
            ("HOME", speakers.home().to_str().unwrap()),
            ("SWITCHBOARD_ELEVENLABS_BASE_URL", elevenlabs.base_url()),
            ("ELEVENLABS_API_KEY", "xi-key"),
            ("ELEVENLABS_WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("SWITCHBOARD_LISTENER_PORT", port.as_str()),
        ];
        let env: Vec<(&str, &std::path::Path)> =
            env.iter().map(|(key, value)| (*key, std::path::Path::new(*value))).collect();
        let app = App::start_with_env(data.path(), 1, &env).await;
        app.call_contact("Acme Fasteners").await;
        app.until_call_completed().await;

        let before = app.play_newest_recording().await;
        assert_eq!(before, "0:00 / 0:03", "the MP3's own length");
        eventually("the recording's voice on the speakers", PATIENCE, || async {
            (peak(&speakers.since(0)) > 1_000).then_some(())
        })
        .await;
        app.quit().await;
    })
    .await;
}
