//! Headless parity, with the real `switchboard` binary on a fresh profile and the provider fakes
//! on loopback: `serve` runs a speech-gather call and a realtime pipeline call end to end through
//! the fake Twilio; `call` on an ElevenLabs agent completes against the fake ElevenLabs; and a
//! `serve` stopped with SIGTERM mid-call lets the call end, exits 0 and leaves nothing for the
//! next start to close.

mod twilio_fakes;

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_core::{Agent, AgentId, BackendKind, CallState, CallSummary, ContactId, UnixMillis};
use switchboard_engine::campaigns::{CampaignKind, CampaignSpec};
use switchboard_engine::{CLOSED_WHILE_LIVE, sample};
use switchboard_fakes::anthropic::{Reply, Responder, last_user_text};
use switchboard_fakes::elevenlabs::{FakeElevenLabs, FakeElevenLabsSettings};
use switchboard_fakes::quote_agent::QuoteAgent;
use switchboard_fakes::twilio_gather::{GatherDriver, Hangup, PlacedGatherCall, VendorCallee};
use switchboard_fakes::twilio_media::CallerStep;
use switchboard_providers::Secret;
use switchboard_store::Store;
use switchboard_telephony::listener::WebhookRoute;
use twilio_fakes::{ELEVENLABS_KEY, SIM, TWILIO_TOKEN, TwilioFakes, provider_env};

const ELEVENLABS_SECRET: &str = "whsec_serve";
/// Where the providers reach the listener (a tunnel's address); the fakes forward to loopback.
const PUBLIC: &str = "https://switchboard.example";

/// A fresh profile with the shipped agents and vendors, and a free port for its listener.
struct Profile {
    _dir: tempfile::TempDir,
    data: PathBuf,
    store: Arc<Store>,
    port: u16,
}

impl Profile {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("profile");
        std::fs::create_dir_all(&data).unwrap();
        let store = Arc::new(Store::open(&data.join("switchboard.sqlite3")).unwrap());
        sample::seed_shipped(&store).unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self { _dir: dir, data, store, port }
    }

    /// `switchboard` on this profile with `keys` (and only them) set and every provider's API at
    /// `base_urls` (by provider; the rest at a closed port, so nothing leaves 127.0.0.1).
    fn switchboard(&self, keys: &[(&str, &str)], base_urls: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        command.env("SWITCHBOARD_DATA_DIR", &self.data).env("RUST_LOG", "warn");
        provider_env(&mut command, keys, base_urls);
        command
    }

    /// `serve` on this profile's port, reached at `public`, waiting up to 30 s for calls on a stop.
    fn serve(&self, keys: &[(&str, &str)], base_urls: &[(&str, &str)], public: &str) -> Serving {
        let mut command = self.switchboard(keys, base_urls);
        command.args(["serve", "--no-keychain", "--drain-secs", "30", "--port", &self.port.to_string()]);
        command.args(["--public-url", public]);
        Serving::start(command)
    }

    fn agent(&self, name: &str) -> Agent {
        self.store.list_agents().unwrap().into_iter().find(|a| a.config.name == name).unwrap()
    }

    fn vendor(&self, name: &str) -> ContactId {
        self.store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == name).unwrap().id
    }

    /// A copy of the shipped quote agent named `name` on `backend`, changed by `change`.
    fn quote_agent_on(&self, name: &str, backend: BackendKind, change: impl FnOnce(&mut Agent)) -> Agent {
        let mut agent = self.agent("Vendor quote");
        agent.config.name = name.to_owned();
        agent.config.backend = backend;
        change(&mut agent);
        assert_eq!(agent.config.validate(), [], "the test agent is valid");
        agent.id = self.store.insert_agent(&agent.config, UnixMillis(0)).unwrap();
        agent
    }

    /// A quote campaign calling `vendors` one at a time with `agent`, stored as a console would,
    /// for the next process that runs the profile to run (paused: until it is resumed).
    fn campaign(&self, agent: AgentId, vendors: &[ContactId], paused: bool) -> i64 {
        let spec = CampaignSpec {
            name: format!("quotes with agent {}", agent.0),
            kind: CampaignKind::VendorQuote,
            agent_id: agent,
            negotiation_agent_id: None,
            contacts: vendors.to_vec(),
            concurrency: 1,
            max_attempts: 1,
            retry_spacing_ms: 1000,
            ignore_calling_windows: true,
            budget_usd: None,
            request: None,
        };
        let json = serde_json::to_string(&spec).unwrap();
        let id = self.store.insert_campaign(&spec.name, spec.kind.as_str(), &json, vendors, UnixMillis(0)).unwrap();
        if paused {
            assert!(self.store.set_campaign_paused(id, true).unwrap());
        }
        id
    }

    /// The calls of campaign `id`, oldest first.
    fn campaign_calls(&self, id: i64) -> Vec<CallSummary> {
        let mut calls: Vec<CallSummary> = self
            .store
            .campaign_targets(id, 1)
            .unwrap()
            .into_iter()
            .filter_map(|target| target.call_id)
            .map(|call| self.store.call(call).unwrap().unwrap())
            .collect();
        calls.sort_by_key(|call| call.id.0);
        calls
    }

    /// Waits (up to `within`) until campaign `id` has a call that `done` accepts; returns it.
    async fn campaign_call(&self, id: i64, within: Duration, done: impl Fn(&CallSummary) -> bool) -> CallSummary {
        let deadline = Instant::now() + within;
        loop {
            if let Some(call) = self.campaign_calls(id).into_iter().find(&done) {
                return call;
            }
            assert!(Instant::now() < deadline, "campaign {id} never got there: {:?}", self.campaign_calls(id));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A running `switchboard serve`, killed if the test ends first.
struct Serving {
    child: Child,
    /// What it printed first: where it listens.
    first_line: String,
}

impl Serving {
    fn start(mut command: Command) -> Self {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
        let mut output = BufReader::new(child.stdout.take().unwrap());
        let mut first_line = String::new();
        output.read_line(&mut first_line).unwrap();
        // The rest is read to the end, so serve never blocks on a full pipe.
        std::thread::spawn(move || for _ in output.lines() {});
        Self { child, first_line }
    }

    /// Sends SIGTERM and waits (up to `within`) for the process to exit; returns its exit code.
    async fn terminate(&mut self, within: Duration) -> Option<i32> {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "serve did not stop within {within:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `command` to its end, failing the test if that takes longer than `within`.
async fn finish(mut command: Command, within: Duration) -> std::process::Output {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + within;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{command:?} did not end within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.wait_with_output().unwrap()
}

/// The fakes of the calls Twilio carries: its media stream callee answers the agent, says one
/// thing and stays on; Deepgram hears "Not interested, bye."; Twilio's callbacks go to
/// `profile`'s listener, reached at [`PUBLIC`].
async fn twilio_fakes(model: Responder, profile: &Profile) -> TwilioFakes {
    let agent_done = CallerStep::WaitForAgent(Duration::from_millis(300));
    let script =
        vec![agent_done, CallerStep::Speak(Duration::from_millis(600)), CallerStep::Silence(Duration::from_secs(30))];
    let fakes = TwilioFakes::start(model, &["Not interested, bye."], script).await;
    fakes.twilio.tunnel(PUBLIC, &format!("http://127.0.0.1:{}", profile.port));
    fakes
}

/// Answers the pipeline call's one model turn with a goodbye, and plays the quote agent on the
/// gather call's turns.
fn model(quote: Responder) -> Responder {
    Box::new(move |request| {
        if last_user_text(request).contains("Not interested, bye") {
            Reply::text("Alright, have a good day.")
        } else {
            quote(request)
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serve_runs_a_speech_gather_call_and_a_pipeline_call_end_to_end() {
    let profile = Profile::new();
    let pipeline_agent = profile.quote_agent_on("Quote (pipeline)", BackendKind::Pipeline, |agent| {
        agent.config.backend_settings.pipeline.tts_voice = "voice_test".into();
    });
    let gather_agent = profile.quote_agent_on("Quote (gather)", BackendKind::Gather, |_| {});
    let pipeline_campaign = profile.campaign(pipeline_agent.id, &[profile.vendor("Acme Fasteners")], false);
    let gather_campaign = profile.campaign(gather_agent.id, &[profile.vendor("Pacific Bolt & Nut")], true);

    let vendors = profile.store.list_contacts().unwrap();
    let quote = QuoteAgent::new(&gather_agent, &vendors, &SIM).responder();
    let fakes = twilio_fakes(model(quote), &profile).await;
    let local = format!("http://127.0.0.1:{}", profile.port);
    let (keys, base_urls) = (fakes.keys(), fakes.base_urls());
    let mut serving = profile.serve(&keys, &base_urls, PUBLIC);
    assert!(
        serving.first_line.starts_with(&format!("Listening on {local}; providers reach it at {PUBLIC}")),
        "{}",
        serving.first_line
    );

    // The pipeline campaign, resumed at start: the fake Twilio joins the call's media stream,
    // the callee says goodbye, the agent answers and the call ends.
    let ended = |call: &CallSummary| call.state.is_terminal();
    let call = profile.campaign_call(pipeline_campaign, Duration::from_secs(60), ended).await;
    assert_eq!((call.state, call.backend), (CallState::Completed, BackendKind::Pipeline), "{call:?}");
    assert_eq!(call.end_reason.as_deref(), Some("the callee said goodbye"));
    let transcript = profile.store.transcript(call.id).unwrap();
    assert_eq!(transcript.last().unwrap().text, "Alright, have a good day.", "{transcript:?}");

    // The gather campaign, resumed from another shell: Twilio fetches the voice URL and posts
    // each thing the vendor says to the gather route until the quote is complete.
    let twilio = &fakes.twilio;
    twilio.hand_off();
    let resumed =
        profile.switchboard(&[], &[]).args(["campaign", "resume", &gather_campaign.to_string()]).output().unwrap();
    let said = String::from_utf8_lossy(&resumed.stdout);
    assert!(said.contains(&format!("resumed campaign {gather_campaign}; ")) && said.contains("(serve)"), "{said}");
    let answered = twilio.next_answered().await.expect("the gather call is placed and answered");
    let vendor = profile.store.contact(profile.vendor("Pacific Bolt & Nut")).unwrap().unwrap();
    let placed = PlacedGatherCall::new(answered, vendor, gather_agent.config.data_fields.clone()).expect("a voice URL");
    let mut driver = GatherDriver::new(&placed, TWILIO_TOKEN, PUBLIC, &local);
    assert_eq!(driver.run(&mut VendorCallee::new(&placed, &SIM), 40).await, Some(Hangup::HungUp));
    let call = profile.campaign_call(gather_campaign, Duration::from_secs(30), ended).await;
    assert_eq!((call.state, call.backend), (CallState::Completed, BackendKind::Gather), "{call:?}");
    let offer = profile.store.offer(call.id).unwrap().expect("the quote became an offer");
    assert_eq!(offer.confidence, 1.0, "{offer:?}");

    assert_eq!(serving.terminate(Duration::from_secs(30)).await, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn campaign_run_on_another_backend_runs_its_calls_through_the_listener() {
    let profile = Profile::new();
    // The shipped quote agent stays on the simulator; `--backend pipeline` moves its calls.
    let mut agent = profile.agent("Vendor quote");
    agent.config.backend_settings.pipeline.tts_voice = "voice_test".into();
    profile.store.update_agent(agent.id, &agent.config).unwrap();
    let fakes = twilio_fakes(model(Box::new(|_| Reply::text("Sorry?"))), &profile).await;
    let vendors = profile.data.with_file_name("vendors.csv");
    std::fs::write(&vendors, "name,phone\nAcme Fasteners,(312) 555-0143\n").unwrap();

    let mut run = profile.switchboard(&fakes.keys(), &fakes.base_urls());
    run.args(["campaign", "run", "--kind", "vendor-quote", "--agent", "Vendor quote", "--backend", "pipeline"])
        .args(["--attempts", "1", "--ignore-windows", "--json", "--no-keychain", "--port", &profile.port.to_string()])
        .args(["--item", "M8 bolts", "--quantity", "10000", "--target-price", "0.42"])
        .args(["--public-url", PUBLIC])
        .arg("--contacts")
        .arg(&vendors);
    let output = finish(run, Duration::from_secs(90)).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let calls: Vec<CallSummary> = profile.store.list_calls(10).unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!((calls[0].state, calls[0].backend), (CallState::Completed, BackendKind::Pipeline), "{calls:?}");
    assert_eq!(calls[0].end_reason.as_deref(), Some("the callee said goodbye"));
    assert_eq!(fakes.twilio.placed_calls().len(), 1);
    assert_eq!(profile.agent("Vendor quote").config.backend, BackendKind::Simulator, "the agent is unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn call_on_an_elevenlabs_agent_completes_against_elevenlabs() {
    let profile = Profile::new();
    let mut agent = profile.agent("Appointment reminder");
    agent.config.backend = BackendKind::ElevenLabs;
    agent.config.backend_settings.eleven_labs.agent_id = "agent_reminder".into();
    agent.config.backend_settings.eleven_labs.agent_phone_number_id = "phnum_switchboard".into();
    profile.store.update_agent(agent.id, &agent.config).unwrap();
    let elevenlabs = FakeElevenLabs::start(FakeElevenLabsSettings {
        api_key: ELEVENLABS_KEY.into(),
        webhook_secret: Secret::new(ELEVENLABS_SECRET),
        agents: vec![agent],
        conversation_delay: Duration::from_millis(300),
        sim: SIM,
    })
    .await
    .unwrap();
    let local = format!("http://127.0.0.1:{}", profile.port);
    elevenlabs.send_webhooks_to(&format!("{local}{}", WebhookRoute::ElevenLabs.path()));

    let keys = [("ELEVENLABS_API_KEY", ELEVENLABS_KEY), ("ELEVENLABS_WEBHOOK_SECRET", ELEVENLABS_SECRET)];
    let mut call = profile.switchboard(&keys, &[("ELEVENLABS", elevenlabs.base_url())]);
    call.args(["call", "--phone", "(312) 555-0177", "--action", "Confirm your appointment Thursday at 2pm"])
        .args(["--callee-name", "John", "--no-keychain", "--json", "--port", &profile.port.to_string()])
        .args(["--public-url", &local]);
    // Its webhook ends the call in moments; without it only the reconciler would, minutes later.
    let output = finish(call, Duration::from_secs(60)).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let printed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(printed["call"]["state"], json!("completed"), "{printed}");
    assert_eq!(printed["call"]["backend"], json!("eleven-labs"), "{printed}");
    assert!(!printed["transcript"].as_array().unwrap().is_empty(), "the conversation came with its webhook");
    assert_eq!(elevenlabs.placed_calls().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_stopped_mid_call_lets_the_call_end_and_leaves_nothing_open() {
    let profile = Profile::new();
    let agent = profile.agent("Vendor quote").id;
    let vendors = [profile.vendor("Acme Fasteners"), profile.vendor("Pacific Bolt & Nut")];
    let campaign = profile.campaign(agent, &vendors, false);
    let serve = |profile: &Profile| {
        let mut command = profile.switchboard(&[], &[]);
        command.env("SWITCHBOARD_SIM_TIME_SCALE", "4").env("SWITCHBOARD_SIM_CAST", "cooperative");
        command.args(["serve", "--no-keychain", "--drain-secs", "60", "--port", &profile.port.to_string()]);
        Serving::start(command)
    };

    let mut serving = serve(&profile);
    let on_line = |call: &CallSummary| call.state == CallState::InProgress;
    let first = profile.campaign_call(campaign, Duration::from_secs(30), on_line).await;
    assert_eq!(serving.terminate(Duration::from_secs(60)).await, Some(0), "a clean stop");

    // The call on the line ended by itself; the second vendor was not called.
    let calls = profile.campaign_calls(campaign);
    assert_eq!(calls.len(), 1, "no call starts once stopping: {calls:?}");
    assert_eq!((calls[0].id, calls[0].state), (first.id, CallState::Completed), "{calls:?}");
    assert!(profile.store.open_calls().unwrap().is_empty(), "no call is left open");

    // The profile is free again; the next start closes nothing and the campaign goes on.
    let serving = serve(&profile);
    assert!(serving.first_line.starts_with("Listening on "), "{}", serving.first_line);
    let second = profile.campaign_call(campaign, Duration::from_secs(60), |call| call.id != first.id).await;
    let first = profile.store.call(first.id).unwrap().unwrap();
    assert_eq!(first.state, CallState::Completed, "{first:?}");
    assert_ne!(first.end_reason.as_deref(), Some(CLOSED_WHILE_LIVE));
    assert_eq!(second.backend, BackendKind::Simulator);
}
