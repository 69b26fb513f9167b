//! Every provider fake served on 127.0.0.1, as the `switchboard-fakes` binary (and a bench's
//! process of fakes) runs them: one line per fake (its name, base URL and the keys it accepts),
//! then [`control`] commands on standard input, one JSON line each, each answered with a line,
//! until Ctrl-C. The callees are the simulator's default cast (`--cast cooperative`: everyone
//! answers) and calls ring 2 s (`--ring-ms N`); the hosted fakes know no agents and post no
//! webhooks (tests set those up), and the model answers every turn with a goodbye.

use std::time::Duration;

use crate::anthropic::{FakeAnthropic, scripted};
use crate::control::{self, Reply};
use crate::deepgram::FakeDeepgram;
use crate::elevenlabs::{FakeElevenLabs, FakeElevenLabsSettings};
use crate::elevenlabs_tts::FakeElevenLabsTts;
use crate::twilio::{FakeTwilio, FakeTwilioSettings};
use crate::ultravox::{FakeUltravox, FakeUltravoxSettings};
use crate::vapi::{FakeVapi, FakeVapiSettings};
use switchboard_providers::Secret;
use switchboard_sim::SimSettings;
use switchboard_sim::persona::Cast;

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

/// Who answers and how long calls ring.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub cast: Cast,
    pub ring_time: Duration,
}

impl Options {
    /// From the command line's `--cast realistic|cooperative` and `--ring-ms N` (the default:
    /// the realistic cast, 2 s of ringing).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let (mut cast, mut ring) = (Cast::Realistic, Duration::from_secs(2));
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let value = args.next().ok_or_else(|| format!("{arg} takes a value"))?;
            match (arg.as_str(), value.as_str()) {
                ("--cast", "realistic") => cast = Cast::Realistic,
                ("--cast", "cooperative") => cast = Cast::Cooperative,
                ("--ring-ms", ms) => {
                    let ms = ms.parse().map_err(|_| format!("--ring-ms takes milliseconds, not {ms}"))?;
                    ring = Duration::from_millis(ms);
                }
                _ => return Err(format!("unknown option {arg} {value} (--cast realistic|cooperative, --ring-ms N)")),
            }
        }
        Ok(Self { cast, ring_time: ring })
    }
}

/// Serves every fake as `options` say, prints its line for each, then obeys the commands on
/// standard input until Ctrl-C.
#[allow(clippy::print_stdout)] // its output is the list of fakes and the answers
pub async fn serve(options: Options) -> std::io::Result<()> {
    let Options { cast, ring_time } = options;
    let sim = SimSettings { cast, ..SimSettings::default() };
    let twilio = FakeTwilio::start(FakeTwilioSettings {
        account_sid: TWILIO_ACCOUNT_SID.into(),
        auth_token: Secret::new(TWILIO_AUTH_TOKEN),
        ring_time,
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
    let mut commands = commands();
    loop {
        tokio::select! {
            stopped = tokio::signal::ctrl_c() => return stopped,
            Some(line) = commands.recv() => {
                let reply = match serde_json::from_str(&line) {
                    Ok(command) => control::obey(&twilio, command).await,
                    Err(error) => Reply::Unreadable(error.to_string()),
                };
                println!("{}", serde_json::to_string(&reply).map_err(std::io::Error::other)?);
            }
        }
    }
}

/// The lines of standard input, read on a thread of their own (until it closes).
fn commands() -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (sender, lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    lines
}
