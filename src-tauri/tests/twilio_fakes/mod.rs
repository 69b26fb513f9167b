//! The fakes of the calls Twilio carries, for tests that run the `switchboard` binary: Twilio
//! itself, Deepgram, Anthropic and ElevenLabs' text to speech, with the keys they accept and the
//! environment that points the binary at them (and every other provider at a closed port).

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use switchboard_fakes::anthropic::{FakeAnthropic, Responder};
use switchboard_fakes::deepgram::FakeDeepgram;
use switchboard_fakes::elevenlabs_tts::FakeElevenLabsTts;
use switchboard_fakes::twilio::{FakeTwilio, FakeTwilioSettings, StreamCallee};
use switchboard_fakes::twilio_media::CallerStep;
use switchboard_providers::Secret;
use switchboard_sim::{Cast, SimSettings};

pub const TWILIO_ACCOUNT: &str = "AC00000000000000000000000000000serve";
pub const TWILIO_TOKEN: &str = "twilio-token-serve";
const FROM: &str = "+13125550000";
const DEEPGRAM_KEY: &str = "dg-key-serve";
const ANTHROPIC_KEY: &str = "sk-ant-serve";
pub const ELEVENLABS_KEY: &str = "xi-key-serve";
/// Every provider's key variable: those a test does not set are removed from the environment.
const KEY_VARS: [&str; 11] = [
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "ELEVENLABS_API_KEY",
    "ELEVENLABS_WEBHOOK_SECRET",
    "DEEPGRAM_API_KEY",
    "ANTHROPIC_API_KEY",
    "ULTRAVOX_API_KEY",
    "ULTRAVOX_WEBHOOK_SECRET",
    "VAPI_API_KEY",
    "VAPI_WEBHOOK_SECRET",
];
const PROVIDERS: [&str; 6] = ["TWILIO", "ELEVENLABS", "DEEPGRAM", "ANTHROPIC", "ULTRAVOX", "VAPI"];
/// The callees the fakes play.
pub const SIM: SimSettings = SimSettings { time_scale: 1.0, seed: 0x5157_4348, cast: Cast::Cooperative, record: false };

/// Gives `command` `keys` (and only them) and every provider's API at `base_urls` (by provider;
/// the rest at a closed port, so nothing leaves 127.0.0.1).
pub fn provider_env(command: &mut Command, keys: &[(&str, &str)], base_urls: &[(&str, &str)]) {
    let closed = format!("http://127.0.0.1:{}", TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port());
    for var in KEY_VARS {
        command.env_remove(var);
    }
    for provider in PROVIDERS {
        let url = base_urls.iter().find(|(name, _)| *name == provider).map_or(closed.as_str(), |(_, url)| url);
        command.env(format!("SWITCHBOARD_{provider}_BASE_URL"), url);
    }
    command.envs(keys.iter().copied());
}

/// Twilio (every callee answers and its media stream follows `callee`), Deepgram (hearing the
/// callee say `heard`, in turn), Anthropic answering with `model`, and ElevenLabs' text to speech.
/// Twilio's callbacks go nowhere until a test opens a tunnel to a listener.
pub struct TwilioFakes {
    pub twilio: FakeTwilio,
    _deepgram: FakeDeepgram,
    _anthropic: FakeAnthropic,
    _tts: FakeElevenLabsTts,
    base_urls: [(&'static str, String); 4],
}

impl TwilioFakes {
    pub async fn start(model: Responder, heard: &[&str], callee: Vec<CallerStep>) -> Self {
        let anthropic = FakeAnthropic::start(ANTHROPIC_KEY, model).await.unwrap();
        let deepgram = FakeDeepgram::start(DEEPGRAM_KEY).await.unwrap();
        deepgram.script(heard);
        let tts = FakeElevenLabsTts::start(ELEVENLABS_KEY, 2).await.unwrap();
        let twilio = FakeTwilio::start(FakeTwilioSettings {
            account_sid: TWILIO_ACCOUNT.into(),
            auth_token: Secret::new(TWILIO_TOKEN),
            ring_time: Duration::from_millis(10),
            sim: SIM,
            machines: Vec::new(),
        })
        .await
        .unwrap();
        twilio.stream_callee(StreamCallee { script: callee, ..StreamCallee::default() });
        let base_urls = [
            ("TWILIO", twilio.base_url().to_owned()),
            ("DEEPGRAM", deepgram.base_url().to_owned()),
            ("ANTHROPIC", anthropic.base_url().to_owned()),
            ("ELEVENLABS", tts.base_url().to_owned()),
        ];
        Self { twilio, _deepgram: deepgram, _anthropic: anthropic, _tts: tts, base_urls }
    }

    /// The keys they accept, as the environment gives them.
    pub fn keys(&self) -> [(&'static str, &'static str); 6] {
        [
            ("TWILIO_ACCOUNT_SID", TWILIO_ACCOUNT),
            ("TWILIO_AUTH_TOKEN", TWILIO_TOKEN),
            ("TWILIO_FROM_NUMBER", FROM),
            ("DEEPGRAM_API_KEY", DEEPGRAM_KEY),
            ("ANTHROPIC_API_KEY", ANTHROPIC_KEY),
            ("ELEVENLABS_API_KEY", ELEVENLABS_KEY),
        ]
    }

    /// Where they serve, by provider.
    pub fn base_urls(&self) -> Vec<(&'static str, &str)> {
        self.base_urls.iter().map(|(provider, url)| (*provider, url.as_str())).collect()
    }
}
