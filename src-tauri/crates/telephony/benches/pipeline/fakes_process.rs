//! The provider fakes in a process of their own: this bench's executable started again with
//! [`SERVE_FAKES`], which serves every fake as the `switchboard-fakes` binary does
//! (`switchboard_fakes::every_fake`), pinned to a core of its own when asked. The bench reads the
//! fakes' addresses from its output and drives it with `switchboard_fakes::control` commands.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Lines, Write as _};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use switchboard_fakes::control::{self, Reply, StreamsReport, Thresholds};
use switchboard_fakes::twilio_media::CallerStep;
use switchboard_providers::Secret;
use switchboard_providers::anthropic::AnthropicConfig;
use switchboard_providers::deepgram::DeepgramConfig;
use switchboard_providers::elevenlabs::ElevenLabsConfig;
use switchboard_providers::twilio::TwilioConfig;

use crate::pipeline_rig::{PUBLIC_BASE, ProviderEndpoints};

/// The first argument that makes this executable serve the fakes instead of benchmarking.
pub const SERVE_FAKES: &str = "--serve-fakes";
/// How long a fake call rings before it is answered.
const RING: Duration = Duration::from_millis(10);
/// Audio the fake text-to-speech speaks per character (as `every_fake` serves it).
pub const TTS_MS_PER_CHAR: u64 = 60;

/// Serves the fakes in this process (it was started with [`SERVE_FAKES`] and `args` after it).
pub fn serve(args: impl IntoIterator<Item = String>) -> std::io::Result<()> {
    let options = switchboard_fakes::every_fake::Options::parse(args).map_err(std::io::Error::other)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(switchboard_fakes::every_fake::serve(options))
}

/// The running process of fakes; killed when dropped.
pub struct FakesProcess {
    child: Child,
    input: ChildStdin,
    output: Lines<BufReader<ChildStdout>>,
    /// Each fake's line: its base URL and keys, by name.
    served: HashMap<String, (String, HashMap<String, String>)>,
}

impl FakesProcess {
    /// Starts the fakes (everyone answers, calls ring [`RING`]). With `cores`, the fakes run on
    /// theirs and the calling thread is left pinned to the engine's: call it before any other
    /// thread starts, so that every thread of the engine inherits it.
    pub fn start(cores: Option<Cores>) -> std::io::Result<Self> {
        let executable = std::env::current_exe()?;
        let mut command = Command::new(executable);
        command.args([SERVE_FAKES, "--cast", "cooperative", "--ring-ms", &RING.as_millis().to_string()]);
        command.stdin(Stdio::piped()).stdout(Stdio::piped());
        if let Some(cores) = cores {
            // The child inherits the thread's cores.
            pin_to(cores.fakes)?;
        }
        let spawned = command.spawn();
        if let Some(cores) = cores {
            pin_to(cores.engine)?;
        }
        let mut child = spawned?;
        let input = child.stdin.take().ok_or_else(|| std::io::Error::other("no stdin"))?;
        let output = BufReader::new(child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout"))?).lines();
        let mut fakes = Self { child, input, output, served: HashMap::new() };
        while !fakes.served.contains_key("elevenlabs-tts") {
            let line = fakes.line()?;
            let mut words = line.split_whitespace();
            let (Some(name), Some(base_url)) = (words.next(), words.next()) else { continue };
            let keys = words.filter_map(|word| word.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned()));
            fakes.served.insert(name.to_owned(), (base_url.to_owned(), keys.collect()));
        }
        Ok(fakes)
    }

    /// The process's id (for its CPU time).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where the engine reaches each fake, and with which keys.
    pub fn endpoints(&self) -> std::io::Result<ProviderEndpoints> {
        let fake = |name: &str| {
            self.served.get(name).ok_or_else(|| std::io::Error::other(format!("the fakes served no {name}")))
        };
        let key = |name: &str, key: &str| -> std::io::Result<(String, Secret)> {
            let (base_url, keys) = fake(name)?;
            let value = keys.get(key).ok_or_else(|| std::io::Error::other(format!("{name} printed no {key}")))?;
            Ok((base_url.clone(), Secret::new(value.as_str())))
        };
        let (twilio_url, auth_token) = key("twilio", "auth_token")?;
        let (_, account_sid) = key("twilio", "account_sid")?;
        let (deepgram_url, deepgram_key) = key("deepgram", "api_key")?;
        let (anthropic_url, anthropic_key) = key("anthropic", "api_key")?;
        let (tts_url, tts_key) = key("elevenlabs-tts", "api_key")?;
        Ok(ProviderEndpoints {
            twilio: TwilioConfig {
                base_url: twilio_url,
                account_sid: account_sid.expose().to_owned(),
                auth_token,
                api_key_sid: None,
            },
            deepgram: DeepgramConfig { base_url: deepgram_url, api_key: deepgram_key },
            anthropic: AnthropicConfig { base_url: anthropic_url, api_key: anthropic_key },
            tts: ElevenLabsConfig { base_url: tts_url, api_key: tts_key },
        })
    }

    /// Sends the fake Twilio's sockets and callbacks to the engine's listener at `bound`.
    pub fn tunnel_to(&mut self, bound: std::net::SocketAddr) -> std::io::Result<()> {
        let local_base = format!("http://{bound}");
        self.obey(&control::Command::Tunnel { public_base: PUBLIC_BASE.to_owned(), local_base }).map(drop)
    }

    /// Every callee plays `script` from now on.
    pub fn callee(&mut self, script: Vec<CallerStep>) -> std::io::Result<()> {
        self.obey(&control::Command::StreamCallee { script }).map(drop)
    }

    /// Waits for the next `streams` streams to end and reports how their audio arrived.
    pub fn report(&mut self, streams: usize, thresholds: Thresholds) -> std::io::Result<StreamsReport> {
        match self.obey(&control::Command::Report { streams, thresholds })? {
            Reply::Report(report) => Ok(report),
            other => Err(std::io::Error::other(format!("the fakes answered a report with {other:?}"))),
        }
    }

    fn obey(&mut self, command: &control::Command) -> std::io::Result<Reply> {
        writeln!(self.input, "{}", serde_json::to_string(command)?)?;
        self.input.flush()?;
        match serde_json::from_str(&self.line()?)? {
            Reply::Unreadable(why) => Err(std::io::Error::other(format!("the fakes could not read a command: {why}"))),
            reply => Ok(reply),
        }
    }

    fn line(&mut self) -> std::io::Result<String> {
        self.output.next().unwrap_or_else(|| Err(std::io::Error::other("the fakes process ended")))
    }
}

impl Drop for FakesProcess {
    fn drop(&mut self) {
        let _already_gone = self.child.kill();
        let _reaped = self.child.wait();
    }
}

/// The core the engine (this process) runs on, and the fakes' core.
#[derive(Debug, Clone, Copy)]
pub struct Cores {
    pub engine: usize,
    pub fakes: usize,
}

/// Pins the calling thread (and every thread or process it starts from now on) to `core`.
fn pin_to(core: usize) -> std::io::Result<()> {
    if core_affinity::set_for_current(core_affinity::CoreId { id: core }) {
        Ok(())
    } else {
        Err(std::io::Error::other(format!("cannot pin to core {core}")))
    }
}
