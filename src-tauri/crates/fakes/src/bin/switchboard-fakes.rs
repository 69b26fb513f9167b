//! Serves every provider fake on 127.0.0.1 and prints one line per fake (its name, base URL and
//! the keys it accepts) until Ctrl-C, for benches and trying things by hand. The callees are the
//! simulator's default cast; the hosted fakes know no agents and post no webhooks (tests set
//! those up), and the model answers every turn with a goodbye.

#![allow(clippy::print_stdout)] // its output is the list of fakes

use std::time::Duration;

use switchboard_fakes::anthropic::{FakeAnthropic, scripted};
use switchboard_fakes::deepgram::FakeDeepgram;
use switchboard_fakes::elevenlabs::{FakeElevenLabs, FakeElevenLabsSettings};
use switchboard_fakes::elevenlabs_tts::FakeElevenLabsTts;
use switchboard_fakes::twilio::{FakeTwilio, FakeTwilioSettings};
use switchboard_fakes::ultravox::{FakeUltravox, FakeUltravoxSettings};
use switchboard_fakes::vapi::{FakeVapi, FakeVapiSettings};
use switchboard_providers::Secret;
use switchboard_sim::SimSettings;

const TWILIO_ACCOUNT_SID: &str = "AC00000000000000000000000000fakes";
const TWILIO_AUTH_TOKEN: &str = "twilio-token-fakes";
const ELEVENLABS_KEY: &str = "xi-key-fakes";
const ELEVENLABS_WEBHOOK_SECRET: &str = "whsec_fakes";
const VAPI_KEY: &str = "vapi-key-fakes";
const VAPI_SERVER_SECRET: &str = "vapi-secret-fakes";
const ULTRAVOX_KEY: &str = "uv-key-fakes";
const ULTRAVOX_WEBHOOK_SECRET: &str = "uv-secret-fakes";
const DEEPGRAM_KEY: &str = "dg-key-fakes";
const ANTHROPIC_KEY: &str = "sk-ant-fakes";
/// Audio the text-to-speech fake speaks per character (about a talker's pace).
const TTS_MS_PER_CHAR: u64 = 60;
/// How long a hosted fake's call lasts.
const CALL_TIME: Duration = Duration::from_secs(5);

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let sim = SimSettings::default();
    let twilio = FakeTwilio::start(FakeTwilioSettings {
        account_sid: TWILIO_ACCOUNT_SID.into(),
        auth_token: Secret::new(TWILIO_AUTH_TOKEN),
        ring_time: Duration::from_secs(2),
        sim,
        machines: Vec::new(),
    })
    .await?;
    let elevenlabs = FakeElevenLabs::start(FakeElevenLabsSettings {
        api_key: ELEVENLABS_KEY.into(),
        webhook_secret: Secret::new(ELEVENLABS_WEBHOOK_SECRET),
        agents: Vec::new(),
        conversation_delay: CALL_TIME,
        sim,
    })
    .await?;
    let vapi = FakeVapi::start(FakeVapiSettings {
        api_key: VAPI_KEY.into(),
        server_secret: Secret::new(VAPI_SERVER_SECRET),
        agents: Vec::new(),
        call_delay: CALL_TIME,
        sim,
    })
    .await?;
    let ultravox = FakeUltravox::start(
        FakeUltravoxSettings {
            api_key: ULTRAVOX_KEY.into(),
            webhook_secret: Secret::new(ULTRAVOX_WEBHOOK_SECRET),
            agents: Vec::new(),
            conversation_delay: CALL_TIME,
            sim,
        },
        twilio.directory(),
    )
    .await?;
    let deepgram = FakeDeepgram::start(DEEPGRAM_KEY).await?;
    let anthropic = FakeAnthropic::start(ANTHROPIC_KEY, scripted(Vec::new())).await?;
    let tts = FakeElevenLabsTts::start(ELEVENLABS_KEY, TTS_MS_PER_CHAR).await?;

    println!("twilio {} account_sid={TWILIO_ACCOUNT_SID} auth_token={TWILIO_AUTH_TOKEN}", twilio.base_url());
    println!(
        "elevenlabs {} api_key={ELEVENLABS_KEY} webhook_secret={ELEVENLABS_WEBHOOK_SECRET}",
        elevenlabs.base_url()
    );
    println!("vapi {} api_key={VAPI_KEY} server_secret={VAPI_SERVER_SECRET}", vapi.base_url());
    println!("ultravox {} api_key={ULTRAVOX_KEY} webhook_secret={ULTRAVOX_WEBHOOK_SECRET}", ultravox.base_url());
    println!("deepgram {} api_key={DEEPGRAM_KEY}", deepgram.base_url());
    println!("anthropic {} api_key={ANTHROPIC_KEY}", anthropic.base_url());
    println!("elevenlabs-tts {} api_key={ELEVENLABS_KEY}", tts.base_url());
    tokio::signal::ctrl_c().await
}
