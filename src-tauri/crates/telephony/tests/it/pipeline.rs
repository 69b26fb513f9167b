//! The realtime pipeline end to end: the engine's call task and store, the real listener's
//! media route on 127.0.0.1 (signed upgrade, call id + token), the real Deepgram, Anthropic and
//! ElevenLabs TTS clients against their loopback fakes; the pipeline backend places each call
//! through the Twilio dialer at the fake Twilio, which answers it and has a fake caller join its
//! `<Connect><Stream>` in real time; hang-ups and transfers reach the fake Twilio's REST API.

use std::sync::Arc;
use std::time::Duration;

use crate::pipeline_rig::{PipelineRig, RigSettings};
use serde_json::{Value, json};
use switchboard_core::{
    AgentConfig, AgentId, BackendKind, CallId, CallState, CallSummary, ContactId, Speaker, TranscriptLine,
    VoicemailPolicy,
};
use switchboard_engine::Engine;
use switchboard_fakes::anthropic::{Reply, Responder, last_user_text, scripted};
use switchboard_fakes::twilio;
use switchboard_fakes::twilio_gather::twiml::{Verb, parse};
use switchboard_fakes::twilio_media::{CallerStep, MediaStreamRecord};
use switchboard_store::Store;
use switchboard_voice::CallControl;

/// Each character the fake TTS speaks lasts this long.
const MS_PER_CHAR: u64 = 10;
const TRANSFER_NUMBER: &str = "+13125550177";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The engine on the rig's pipeline backend, with the rig's fakes and listener.
struct World {
    engine: Arc<Engine>,
    rig: PipelineRig,
    agent: AgentId,
    contact: ContactId,
    recordings: tempfile::TempDir,
}

/// How a test call went.
struct Outcome {
    call: CallSummary,
    transcript: Vec<TranscriptLine>,
    media: MediaStreamRecord,
    control: Vec<CallControl>,
    /// The files seen in the recordings directory while the call lasted.
    recording_meanwhile: Vec<String>,
}

/// The names of the files in `dir`, sorted.
fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

impl World {
    /// The shipped quote agent on the pipeline (changed by `configure`), answering with
    /// `responder`; the caller follows `script`.
    async fn new(configure: impl FnOnce(&mut AgentConfig), responder: Responder, script: Vec<CallerStep>) -> Self {
        Self::build(configure, responder, script, false).await
    }

    async fn build(
        configure: impl FnOnce(&mut AgentConfig),
        responder: Responder,
        script: Vec<CallerStep>,
        wrong_token: bool,
    ) -> Self {
        let store = Arc::new(Store::open_in_memory().unwrap());
        super::seed(&store);
        let mut agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
        agent.config.backend = BackendKind::Pipeline;
        agent.config.backend_settings.pipeline.tts_voice = "voice_test".into();
        configure(&mut agent.config);
        assert_eq!(agent.config.validate(), [], "the test agent is valid");
        store.update_agent(agent.id, &agent.config).unwrap();
        let contact = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Acme Fasteners").unwrap();
        let recordings = tempfile::tempdir().unwrap();
        let settings = RigSettings { responder, ms_per_char: MS_PER_CHAR, script, wrong_token, keep_audio: false };
        let rig = PipelineRig::start(store, Some(recordings.path().to_owned()), settings).await.unwrap();
        Self { engine: Arc::clone(rig.engine()), rig, agent: agent.id, contact: contact.id, recordings }
    }

    /// Places the call and waits for it to end.
    async fn call(&mut self) -> Outcome {
        let mut events = self.engine.bus().subscribe();
        let call = self.engine.start_quote_call(self.contact, self.agent, &crate::quote_request()).await.unwrap();
        let placed = tokio::time::timeout(Duration::from_secs(10), self.rig.next_placed()).await.unwrap().unwrap();
        let stream = placed.stream.unwrap();
        let (control, dir) = (stream.control(), self.recordings.path());
        let recording = async {
            loop {
                let files = files_in(dir);
                if !files.is_empty() {
                    return files;
                }
                tokio::time::sleep(ms(5)).await;
            }
        };
        let recording_meanwhile = tokio::select! {
            files = recording => files,
            () = control.ended() => Vec::new(),
        };
        let media = tokio::time::timeout(Duration::from_secs(60), stream.finish()).await.unwrap().unwrap();
        let ended = super::call_ended(&mut events, call.id).await;
        let control = self.control(&placed.call_sid).await;
        let transcript = self.engine.store().transcript(call.id).unwrap();
        Outcome { call: ended, transcript, media, control, recording_meanwhile }
    }

    /// What the fake Twilio was asked to do with the call (hang up, redirect to `<Dial>`), once
    /// it has been asked something (or a second has passed).
    async fn control(&self, call_sid: &str) -> Vec<CallControl> {
        for _ in 0..100 {
            let updates: Vec<_> = self.rig.twilio.updates().into_iter().filter(|(sid, _)| sid == call_sid).collect();
            if !updates.is_empty() {
                return updates.iter().map(|(_, form)| control_of(form)).collect();
            }
            tokio::time::sleep(ms(10)).await;
        }
        Vec::new()
    }
}

/// The request a hang-up or redirect form makes.
fn control_of(form: &[(String, String)]) -> CallControl {
    let field = |name: &str| form.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    if field("Status") == Some("completed") {
        return CallControl::HangUp;
    }
    let twiml = field("Twiml").unwrap_or_else(|| panic!("neither a hang-up nor a redirect: {form:?}"));
    match parse(twiml).unwrap().as_slice() {
        [Verb::Dial(to)] => CallControl::Transfer { to: to.clone() },
        [Verb::Say(message), Verb::Hangup] => CallControl::LeaveVoicemail { message: message.clone() },
        verbs => panic!("a redirect to {verbs:?}"),
    }
}

impl Outcome {
    fn lines(&self, speaker: Speaker) -> Vec<String> {
        self.transcript.iter().filter(|line| line.speaker == speaker).map(|line| line.text.clone()).collect()
    }

    fn reason(&self) -> &str {
        self.call.end_reason.as_deref().unwrap_or_default()
    }
}

fn speak(ms_long: u64) -> CallerStep {
    CallerStep::Speak(ms(ms_long))
}

fn agent_done() -> CallerStep {
    CallerStep::WaitForAgent(ms(300))
}

/// The assistant texts of a request's conversation.
fn assistant_texts(request: &Value) -> Vec<String> {
    request["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|message| message["role"] == "assistant")
        .flat_map(|message| message["content"].as_array().unwrap().clone())
        .filter_map(|block| block["text"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quote_is_collected_with_record_field_and_becomes_an_offer() {
    let replies = vec![
        Reply::text("Great. What is your unit price for that quantity?"),
        Reply::default().and_tool("record_field", json!({"field": "unit_price", "value": "12.50"})),
        Reply::text("Thanks, twelve fifty per unit. And what is the lead time?"),
        Reply::default().and_tool("record_field", json!({"field": "lead_time_days", "value": 14})),
        Reply::text("Perfect, that's everything I need. Thank you, goodbye."),
    ];
    let script = vec![
        agent_done(),
        speak(700),
        agent_done(),
        speak(700),
        agent_done(),
        speak(700),
        CallerStep::Silence(Duration::from_secs(30)),
    ];
    let mut world = World::new(|_| {}, scripted(replies), script).await;
    world.rig.deepgram.script(&["Yes, this is Acme.", "Twelve fifty per unit.", "Lead time is two weeks."]);
    let outcome = world.call().await;

    assert_eq!(outcome.call.state, CallState::Completed, "{}", outcome.reason());
    assert!(outcome.reason().contains("every required value"), "{}", outcome.reason());
    assert_eq!(outcome.control, [CallControl::HangUp]);
    assert_eq!(
        outcome.lines(Speaker::Callee),
        ["Yes, this is Acme.", "Twelve fifty per unit.", "Lead time is two weeks."]
    );
    let agent = outcome.lines(Speaker::Agent);
    assert!(agent[0].starts_with("Hi, I'm calling for") && agent[0].contains("Acme Fasteners"), "{agent:?}");
    assert_eq!(agent[1], "Great. What is your unit price for that quantity?");
    assert_eq!(agent[2], "Thanks, twelve fifty per unit. And what is the lead time?");
    assert_eq!(agent[3], "Perfect, that's everything I need. Thank you, goodbye.");
    let offsets: Vec<u32> = outcome.transcript.iter().map(|line| line.offset_ms).collect();
    assert!(offsets.windows(2).all(|pair| pair[0] < pair[1]), "lines in call order: {offsets:?}");

    let store = world.engine.store();
    let offer = store.offer(outcome.call.id).unwrap().expect("an offer");
    assert_eq!((offer.unit_price, offer.lead_time_days), (Some(12.5), Some(14)));

    // Every answer was timed at each hop, and quickly, with zero-latency fakes.
    let latencies = store.turn_latencies(outcome.call.id).unwrap();
    assert_eq!(latencies.len(), 3, "{latencies:?}");
    for latency in &latencies {
        assert!(latency.stt_ms >= 250 && latency.stt_ms < 1500, "Deepgram's endpointing is 300 ms: {latency:?}");
        assert!(latency.llm_ms + latency.tts_ms + latency.send_ms < 500, "{latency:?}");
    }
    // What the callee heard, read from the recording: the greeting at once, and each answer
    // after Deepgram's 300 ms endpointing and little more.
    let heard = store.heard_latency(outcome.call.id).unwrap().expect("what the callee heard");
    assert_eq!(heard.replies, 3, "{heard:?}");
    assert!(heard.first_words_ms.is_some_and(|ms| ms < 100), "{heard:?}");
    assert!(heard.reply_median_ms.is_some_and(|ms| (200..900).contains(&ms)), "{heard:?}");
    let recording = store.recording(outcome.call.id).unwrap().expect("a recording");
    assert!(recording.duration_ms > 4_000 && recording.file.ends_with(".wav"), "{recording:?}");
    // It was written in the recordings directory, hidden, while the call lasted; then renamed.
    let call_id = outcome.call.id;
    let [meanwhile] = outcome.recording_meanwhile.as_slice() else { panic!("{:?}", outcome.recording_meanwhile) };
    assert!(meanwhile.starts_with(&format!(".call-{call_id}-")) && meanwhile.ends_with(".wav.partial"), "{meanwhile}");
    assert_eq!(files_in(world.recordings.path()), std::slice::from_ref(&recording.file));
    let path = world.engine.recordings().unwrap().path_of(&recording.file);
    let wav = switchboard_audio::read_wav(&path, 8000, switchboard_audio::Channels::Stereo).unwrap();
    let loud =
        |channel: usize| wav.samples.iter().skip(channel).step_by(2).filter(|sample| sample.abs() > 2000).count();
    // Three utterances of 0.7 s from the caller; four answers from the agent.
    assert!(loud(0) > 3 * 3000 && loud(1) > 4 * 2000, "caller {} and agent {} loud samples", loud(0), loud(1));
    // That recording is the engine's own: Twilio was not asked for a second one.
    let placed = world.rig.twilio.placed_calls();
    assert_eq!(placed.len(), 1);
    assert!(placed[0].iter().all(|(name, _)| !name.starts_with("Record")), "{:?}", placed[0]);

    // The model saw the rendered prompt, the tools and only what was said.
    let requests = world.rig.anthropic.requests();
    assert_eq!(requests.len(), 5);
    assert!(requests[0]["system"].as_str().unwrap().contains("Acme Fasteners"));
    let tools: Vec<&str> =
        requests[0]["tools"].as_array().unwrap().iter().map(|tool| tool["name"].as_str().unwrap()).collect();
    assert_eq!(tools, ["end_call", "record_field"], "no transfer number, no transfer tool");
    assert_eq!(last_user_text(&requests[0]), "Yes, this is Acme.");
    assert_eq!(assistant_texts(&requests[0]), [agent[0].clone()]);
    let tool_result = &requests[2]["messages"].as_array().unwrap().last().unwrap()["content"][0];
    assert_eq!(tool_result["type"], "tool_result");

    // Each utterance ended with a mark, echoed once played.
    let marks: Vec<&String> = outcome.media.marks.iter().map(|(_, name)| name).collect();
    let echoed: Vec<&String> = outcome.media.echoed.iter().map(|(_, name)| name).collect();
    assert_eq!(marks.len(), 4);
    assert_eq!(marks, echoed);
    assert!(outcome.media.clears.is_empty(), "nobody barged in");
    assert!(outcome.media.closed_by_listener);
    assert_eq!(world.rig.sessions().waiting(), 0);

    // Pacing: while the agent speaks, no media message comes more than 20 ms later than due (a
    // gap over 40 ms, less the audio the message before carried beyond one frame). Gaps during which
    // this very process was starved of CPU (the fake's own 20 ms clock ticked over 10 ms late,
    // e.g. other builds on the machine) say nothing about the pacing and are left out; most
    // gaps must still count.
    let (gaps, excused) = outcome.media.paced_gaps(ms(200), ms(10));
    let worst = gaps.iter().map(|(_, gap)| gap).max().unwrap();
    assert!(gaps.len() > 25 && *worst <= ms(40), "{} gaps, worst {worst:?}", gaps.len());
    assert!(excused < gaps.len(), "{excused} gaps left out for starvation, {} kept", gaps.len());
    // Each media message carries whole 20 ms frames: those queued when it was due, up to five.
    let sizes: Vec<usize> = outcome.media.frames.iter().map(|(_, bytes)| *bytes).collect();
    assert!(sizes.iter().all(|bytes| bytes % 160 == 0 && (160..=800).contains(bytes)), "{sizes:?}");
    assert!(sizes.iter().filter(|bytes| **bytes == 800).count() * 2 > sizes.len(), "{sizes:?}");
    // The call keeps the engine's own count of how its audio kept time.
    let pacing = store.audio_pacing(outcome.call.id).unwrap().expect("the call's audio pacing");
    assert_eq!(pacing.frames as usize, outcome.media.agent_frames(), "{pacing:?}");
    assert!(pacing.worst_gap_ms >= 15, "gaps between frames were measured: {pacing:?}");
    // The greeting, then each answer's first clause on its own and its sentences.
    let spoken = world.rig.tts.spoken();
    assert_eq!(spoken.len(), 9, "{spoken:?}");
    assert_eq!(spoken[3..5], ["Thanks,", "twelve fifty per unit."]);

    // Its price, from what the call used, as each fake received or reported it: one started
    // Twilio minute, the audio Deepgram received, 5 model requests × 120 input tokens (each
    // stream's usage), and every character ElevenLabs was sent.
    let price = store.call_price(outcome.call.id).unwrap().expect("priced with its end");
    assert!(!price.estimate, "priced from usage, not estimated");
    let item = |name: &str| price.items.iter().find(|i| i.item == name).cloned().unwrap_or_else(|| panic!("{name}"));
    let rates = switchboard_core::CostRates::default();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert_eq!(item("Twilio minutes").quantity, 1.0);
    let audio_ms = world.rig.deepgram.audio_ms();
    assert!(audio_ms > 2_100, "three 0.7 s utterances at least: {audio_ms}");
    assert!(close(item("Deepgram audio").quantity, audio_ms as f64 / 60_000.0), "{price:?}");
    let input_tokens = 5 * u64::from(switchboard_fakes::anthropic::INPUT_TOKENS);
    assert!(close(item("Anthropic input tokens").quantity, input_tokens as f64 / 1e6), "{price:?}");
    assert!(item("Anthropic output tokens").quantity > 0.0);
    let characters: usize = spoken.iter().map(|text| text.chars().count()).sum();
    assert!(close(item("ElevenLabs characters").quantity, characters as f64 / 1000.0), "{price:?}");
    let want = rates.twilio_minute
        + audio_ms as f64 / 60_000.0 * rates.deepgram_minute
        + input_tokens as f64 / 1e6 * rates.anthropic_input_mtok
        + item("Anthropic output tokens").quantity * rates.anthropic_output_mtok
        + characters as f64 / 1000.0 * rates.elevenlabs_tts_1k_chars;
    assert!((price.total_usd - want).abs() < 1e-8, "{} ≠ {want}", price.total_usd);
}

#[tokio::test]
async fn a_caller_talking_over_the_agent_clears_its_audio_and_the_history_keeps_what_was_heard() {
    let replies = vec![Reply::text("I'm an assistant calling for Northwind Freight about a quote.")];
    let script = vec![
        CallerStep::WaitForAgentSpeaking,
        CallerStep::Silence(ms(500)),
        speak(600),
        agent_done(),
        CallerStep::HangUp,
    ];
    let mut world = World::new(|_| {}, scripted(replies), script).await;
    world.rig.deepgram.script(&["Sorry, who is this?"]);
    let outcome = world.call().await;

    assert_eq!(outcome.media.clears.len(), 1, "one clear");
    let agent = outcome.lines(Speaker::Agent);
    let greeting = world.rig.tts.spoken().concat();
    assert!(!agent[0].is_empty() && agent[0].len() < greeting.len() / 2, "{agent:?} of {greeting:?}");
    assert!(greeting.starts_with(&agent[0]), "the words heard begin the greeting: {agent:?}");
    let requests = world.rig.anthropic.requests();
    assert_eq!(assistant_texts(&requests[0]), [agent[0].clone()], "the model hears only what was played");
    assert_eq!(last_user_text(&requests[0]), "Sorry, who is this?");
    assert_eq!(agent[1], "I'm an assistant calling for Northwind Freight about a quote.");
    let greeting_mark = &outcome.media.echoed[0];
    assert!(greeting_mark.0 >= outcome.media.clears[0], "the cleared greeting's mark came back at the clear");
    assert_eq!(outcome.call.state, CallState::Completed);
    assert_eq!(outcome.reason(), "the callee hung up");
    assert!(!outcome.media.closed_by_listener);
}

#[tokio::test]
async fn a_quiet_callees_silence_goes_to_deepgram_in_batches_and_their_first_word_at_once() {
    // A 6 s greeting; the callee stays quiet for 4 s of it, then talks over the agent.
    let greeting = "We are calling about a quote for your bolts. ".repeat(14);
    let replies = vec![Reply::text("I'm an assistant calling for Northwind Freight about a quote.")];
    let script = vec![
        CallerStep::WaitForAgentSpeaking,
        CallerStep::Silence(ms(4000)),
        speak(600),
        agent_done(),
        CallerStep::HangUp,
    ];
    let mut world =
        World::new(|agent| agent.first_message = greeting.trim().to_owned(), scripted(replies), script).await;
    world.rig.deepgram.script(&["Sorry, who is this?"]);
    let outcome = world.call().await;

    // Quiet for more than Deepgram's utterance end and a second, the callee's silence went five
    // frames to a message: at least 80 messages fewer than frames over those 4 s.
    let (frames, messages) = (outcome.media.caller_frames, world.rig.deepgram.audio_frames());
    assert!(frames >= 230 && messages + 80 <= frames, "{messages} Deepgram messages for {frames} frames");
    // The first frame with voice went at once: the barge-in cleared the greeting.
    assert_eq!(outcome.media.clears.len(), 1, "one clear");
    let cleared_after = outcome.media.clears[0] - outcome.media.spoke_at[0];
    assert!(cleared_after < ms(300), "cleared {cleared_after:?} after the callee spoke");
    let agent = outcome.lines(Speaker::Agent);
    assert!(!agent[0].is_empty() && agent[0].len() < greeting.trim().len() * 3 / 4, "{agent:?}");
    assert_eq!(agent[1], "I'm an assistant calling for Northwind Freight about a quote.");
    assert_eq!(outcome.reason(), "the callee hung up");
}

#[tokio::test]
async fn keypad_digits_reach_the_model() {
    let responder: Responder = Box::new(|request| {
        if last_user_text(request).contains("pressed 1") {
            Reply::text("You pressed one. Goodbye.").and_tool("end_call", json!({"reason": "menu choice made"}))
        } else {
            Reply::text("Please press one.")
        }
    });
    let script = vec![agent_done(), CallerStep::Dtmf('1'), CallerStep::Silence(Duration::from_secs(30))];
    let mut world = World::new(|_| {}, responder, script).await;
    let outcome = world.call().await;

    assert_eq!(outcome.lines(Speaker::Callee), ["(pressed 1)"]);
    assert!(last_user_text(&world.rig.anthropic.requests()[0]).contains("The callee pressed 1 on the keypad"));
    assert_eq!(outcome.lines(Speaker::Agent)[1], "You pressed one. Goodbye.");
    assert_eq!(outcome.reason(), "the agent ended the call: menu choice made");
}

#[tokio::test]
async fn a_spanish_agent_is_heard_and_spoken_in_spanish() {
    let replies =
        vec![Reply::text("Muy bien, gracias. Adiós.").and_tool("end_call", json!({"reason": "sin cotización"}))];
    let script = vec![agent_done(), speak(600), CallerStep::Silence(Duration::from_secs(30))];
    let configure = |config: &mut AgentConfig| {
        config.backend_settings.pipeline.language = "es-MX".into();
        // An English-only model, as an agent made before its language was set might have.
        config.backend_settings.pipeline.tts_model = "eleven_flash_v2".into();
    };
    let mut world = World::new(configure, scripted(replies), script).await;
    world.rig.deepgram.script(&["No, gracias, adiós."]);
    world.call().await;

    let languages = world.rig.deepgram.languages();
    assert!(!languages.is_empty() && languages.iter().all(|language| language == "es-MX"), "{languages:?}");
    let models = world.rig.tts.models();
    assert!(!models.is_empty(), "the agent spoke");
    for (model, language) in models {
        assert_eq!((model.as_str(), language.as_deref()), ("eleven_flash_v2_5", Some("es")));
    }
}

#[tokio::test]
async fn the_end_call_tool_hangs_up_after_the_goodbye_has_played() {
    let replies =
        vec![Reply::text("Understood, thanks anyway. Goodbye.").and_tool("end_call", json!({"reason": "no quotes"}))];
    let script = vec![agent_done(), speak(600), CallerStep::Silence(Duration::from_secs(30))];
    let mut world = World::new(|_| {}, scripted(replies), script).await;
    world.rig.deepgram.script(&["We don't do quotes over the phone."]);
    let outcome = world.call().await;

    assert_eq!(outcome.call.state, CallState::Completed);
    assert_eq!(outcome.reason(), "the agent ended the call: no quotes");
    assert_eq!(outcome.control, [CallControl::HangUp]);
    let last_frame = outcome.media.frames.last().unwrap().0;
    let goodbye_played = outcome.media.echoed.last().unwrap().0;
    assert!(goodbye_played >= last_frame, "the mark came back after the last frame played");
    assert_eq!(outcome.lines(Speaker::Agent).last().unwrap(), "Understood, thanks anyway. Goodbye.");
}

#[tokio::test]
async fn a_callee_saying_goodbye_ends_the_call_after_the_answer() {
    let replies = vec![Reply::text("Alright, have a good day.")];
    let script = vec![agent_done(), speak(600), CallerStep::Silence(Duration::from_secs(30))];
    let mut world = World::new(|_| {}, scripted(replies), script).await;
    world.rig.deepgram.script(&["Not interested, bye."]);
    let outcome = world.call().await;

    assert_eq!(outcome.reason(), "the callee said goodbye");
    assert_eq!(outcome.lines(Speaker::Agent).last().unwrap(), "Alright, have a good day.");
}

#[tokio::test]
async fn silence_gets_one_reprompt_then_the_call_ends() {
    let mut world = World::new(|config| config.silence_timeout_secs = 1, scripted(Vec::new()), Vec::new()).await;
    let outcome = world.call().await;

    let agent = outcome.lines(Speaker::Agent);
    assert_eq!(agent[1..], ["Are you still there?", "I'll let you go for now. Goodbye."]);
    assert_eq!(outcome.call.state, CallState::Completed);
    assert!(outcome.reason().starts_with("no answer after a re-prompt"), "{}", outcome.reason());
    assert!(world.rig.anthropic.requests().is_empty());
    let gap = outcome.transcript[1].offset_ms - outcome.transcript[0].offset_ms;
    assert!(gap >= 1000, "the re-prompt waits the silence timeout after the greeting: {gap} ms");
}

#[tokio::test]
async fn the_max_duration_wraps_the_call_up() {
    let replies = vec![Reply::text(&"Let me tell you all about our company and its long history. ".repeat(8))];
    let script = vec![agent_done(), speak(500), CallerStep::Silence(Duration::from_secs(30))];
    let mut world = World::new(|config| config.max_duration_secs = 3, scripted(replies), script).await;
    world.rig.deepgram.script(&["Go on."]);
    let outcome = world.call().await;

    assert_eq!(outcome.reason(), "reached the agent's max duration (3 s)");
    let agent = outcome.lines(Speaker::Agent);
    assert!(agent.last().unwrap().starts_with("I'm sorry, I have to end the call here."), "{agent:?}");
    assert_eq!(outcome.media.clears.len(), 1, "the long answer was cut");
    let wrap_up = outcome.transcript.last().unwrap().offset_ms;
    assert!((3000..4000).contains(&wrap_up), "wrapped up at {wrap_up} ms");
}

#[tokio::test]
async fn an_answer_given_up_mid_stream_still_counts_the_tokens_it_used() {
    // The model starts its answer at once and then stalls; the call reaches its max duration
    // long before the answer could stop, and the turn is given up mid-stream.
    let replies = vec![Reply::text("Let me look that up for you.")];
    let script = vec![agent_done(), speak(500), CallerStep::Silence(Duration::from_secs(30))];
    let mut world = World::new(|config| config.max_duration_secs = 8, scripted(replies), script).await;
    world.rig.anthropic.set_latency(ms(0), Duration::from_secs(60));
    world.rig.deepgram.script(&["Hello?"]);
    let outcome = world.call().await;

    assert_eq!(outcome.reason(), "reached the agent's max duration (8 s)");
    assert_eq!(world.rig.anthropic.requests().len(), 1);
    // Its input as the message's start reported it, and the one output token counted there (no
    // text came): what Anthropic bills for a message dropped at that point.
    let price = world.engine.store().call_price(outcome.call.id).unwrap().expect("priced with its end");
    let quantity = |name: &str| price.items.iter().find(|i| i.item == name).map(|item| item.quantity);
    let input_tokens = f64::from(switchboard_fakes::anthropic::INPUT_TOKENS) / 1e6;
    assert_eq!(quantity("Anthropic input tokens"), Some(input_tokens), "{price:?}");
    assert_eq!(quantity("Anthropic output tokens"), Some(1.0 / 1e6), "{price:?}");
}

#[tokio::test]
async fn transfer_call_asks_the_backend_to_redirect_to_the_transfer_number() {
    let replies = vec![
        Reply::text("Sure, connecting you now.").and_tool("transfer_call", json!({"reason": "asked for a person"})),
    ];
    let script = vec![agent_done(), speak(600), agent_done(), CallerStep::HangUp];
    let mut world = World::new(|config| config.transfer_to = TRANSFER_NUMBER.into(), scripted(replies), script).await;
    world.rig.deepgram.script(&["Can I talk to a person?"]);
    let outcome = world.call().await;

    assert_eq!(outcome.control, [CallControl::Transfer { to: TRANSFER_NUMBER.into() }]);
    assert_eq!(outcome.reason(), format!("transferred to {TRANSFER_NUMBER}: asked for a person"));
    let tools = &world.rig.anthropic.requests()[0]["tools"];
    assert!(tools.as_array().unwrap().iter().any(|tool| tool["name"] == "transfer_call"));
}

/// A call a machine answers, its verdict coming while the agent greets it: the agent stops and
/// the call ends once, as voicemail, however the stream closing after it races the verdict.
async fn machine_call(policy: VoicemailPolicy) -> (World, Outcome) {
    let script = vec![CallerStep::Silence(Duration::from_secs(30))];
    let mut world = World::new(|config| config.voicemail = policy, scripted(Vec::new()), script).await;
    let contact = world.engine.store().contact(world.contact).unwrap().unwrap();
    world.rig.twilio.machine_answers(&contact.phone_e164.unwrap(), ms(700));
    let mut outcome = world.call().await;
    assert_eq!(outcome.call.state, CallState::Voicemail, "{:?}", outcome.call);
    let spoken = world.rig.tts.spoken().concat();
    let greeting = outcome.lines(Speaker::Agent);
    assert!(greeting.len() == 1 && greeting[0].len() < spoken.len(), "the greeting was cut: {greeting:?}");
    assert!(world.rig.anthropic.requests().is_empty());
    // Whatever the session asked of Twilio has reached it by now.
    tokio::time::sleep(ms(300)).await;
    outcome.control = world.rig.twilio.updates().iter().map(|(_, form)| control_of(form)).collect();
    (world, outcome)
}

#[tokio::test]
async fn a_machine_answering_a_pipeline_call_gets_the_agents_message_and_the_call_ends_as_voicemail() {
    let message = "Hi, this is Northwind Freight about a quote. We'll call again.";
    let (world, outcome) = machine_call(VoicemailPolicy::LeaveMessage { text: message.into() }).await;

    assert_eq!(outcome.reason(), "an answering machine answered; the voicemail message was left");
    let left = CallControl::LeaveVoicemail { message: message.into() };
    assert_eq!(outcome.control, [left], "one redirect, and no hang-up to cut the message");
    assert!(!outcome.media.closed_by_listener, "the stream was left open until the redirect ended it");
    let placed = &world.rig.twilio.placed_calls()[0];
    let detection = placed.iter().find(|(name, _)| name == "MachineDetection").map(|(_, mode)| mode.as_str());
    assert_eq!(detection, Some("DetectMessageEnd"), "leaving a message waits for the beep");
}

#[tokio::test]
async fn a_machine_answering_a_pipeline_call_is_hung_up_on_when_the_agent_leaves_no_message() {
    let (world, outcome) = machine_call(VoicemailPolicy::HangUp).await;

    assert_eq!(outcome.reason(), "an answering machine answered; hung up without a message");
    assert_eq!(outcome.control, [CallControl::HangUp], "hung up once");
    let placed = &world.rig.twilio.placed_calls()[0];
    let detection = placed.iter().find(|(name, _)| name == "MachineDetection").map(|(_, mode)| mode.as_str());
    assert_eq!(detection, Some("Enable"));
}

#[tokio::test]
async fn a_dropped_deepgram_socket_is_reopened_once_and_the_call_goes_on() {
    let replies = vec![Reply::text("Understood, goodbye.").and_tool("end_call", json!({"reason": "no quotes"}))];
    let script = vec![agent_done(), speak(600), CallerStep::Silence(Duration::from_secs(30))];
    let mut world = World::new(|_| {}, scripted(replies), script).await;
    // Dropped while the agent greets: until the caller first speaks, each message is 240 ms of silence.
    world.rig.deepgram.drop_sockets_after(1, 2);
    world.rig.deepgram.script(&["We don't do quotes."]);
    let outcome = world.call().await;

    assert_eq!(world.rig.deepgram.sockets(), 2);
    assert_eq!(outcome.lines(Speaker::Callee), ["We don't do quotes."]);
    assert_eq!(outcome.reason(), "the agent ended the call: no quotes");
}

#[tokio::test]
async fn while_no_audio_comes_deepgram_gets_keep_alives_and_its_socket_stays_open() {
    let replies = vec![Reply::text("Understood, goodbye.").and_tool("end_call", json!({"reason": "no quotes"}))];
    // Twilio's stream stalls for longer than Deepgram waits for audio or a message (10 s).
    let stall = ms(10_500);
    let script = vec![agent_done(), CallerStep::Stall(stall), speak(600), CallerStep::Silence(Duration::from_secs(30))];
    let mut world = World::new(|config| config.silence_timeout_secs = 30, scripted(replies), script).await;
    world.rig.deepgram.script(&["We don't do quotes."]);
    let outcome = world.call().await;

    let keep_alives = world.rig.deepgram.keep_alives();
    assert_eq!(keep_alives.len(), 2, "a KeepAlive every 3–5 s of the {stall:?} stall: {keep_alives:?}");
    for keep_alive in &keep_alives {
        let quiet = keep_alive.quiet;
        assert!(quiet >= ms(3000) && quiet <= ms(5000), "sent after {quiet:?} without audio or a message");
    }
    assert_eq!(world.rig.deepgram.idle_closes(), 0);
    assert_eq!(world.rig.deepgram.sockets(), 1, "the socket stayed open");
    // The call goes on once the audio is back.
    assert_eq!(outcome.lines(Speaker::Callee), ["We don't do quotes."]);
    assert_eq!(outcome.reason(), "the agent ended the call: no quotes");
}

#[tokio::test]
async fn deepgram_failing_again_after_its_reopen_ends_the_call_with_an_apology() {
    let script = vec![CallerStep::Silence(Duration::from_secs(30))];
    let mut world = World::new(|_| {}, scripted(Vec::new()), script).await;
    world.rig.deepgram.drop_sockets_after(2, 20);
    let outcome = world.call().await;

    assert_eq!(world.rig.deepgram.sockets(), 2);
    assert_eq!(outcome.call.state, CallState::Failed);
    assert!(outcome.reason().starts_with("speech recognition failed: Deepgram"), "{}", outcome.reason());
    assert!(outcome.lines(Speaker::Agent).last().unwrap().starts_with("I'm sorry, we're having technical trouble"));
}

#[tokio::test]
async fn a_media_stream_with_a_wrong_token_is_closed_and_nothing_runs() {
    let mut world = World::build(|_| {}, scripted(Vec::new()), Vec::new(), true).await;
    let call = world.engine.start_quote_call(world.contact, world.agent, &crate::quote_request()).await.unwrap();
    let placed = tokio::time::timeout(Duration::from_secs(10), world.rig.next_placed()).await.unwrap().unwrap();
    let media = tokio::time::timeout(Duration::from_secs(10), placed.stream.unwrap().finish()).await.unwrap().unwrap();

    assert!(media.closed_by_listener);
    assert_eq!(media.close_code, Some(1008));
    assert!(media.frames.is_empty() && media.marks.is_empty());
    assert_eq!(world.rig.deepgram.sockets(), 0);

    // With its stream closed and no TwiML after it, Twilio ends the call: its completed ends the
    // call that never got its stream, and the registry lets it go.
    let summary = ended(&world.engine, call.id).await;
    assert_eq!(summary.state, CallState::Completed);
    assert_eq!(summary.end_reason.as_deref(), Some("the call ended (Twilio: completed)"));
    assert_eq!(world.rig.sessions().waiting(), 0);
}

#[tokio::test]
async fn a_call_twilio_will_not_place_fails_with_why_and_is_not_left_waiting() {
    let world = World::new(|_| {}, scripted(Vec::new()), Vec::new()).await;
    world.rig.twilio.fail_next(twilio::Endpoint::CreateCall, 1);
    let error = world
        .engine
        .start_quote_call(world.contact, world.agent, &crate::quote_request())
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("Pipeline") && error.contains("HTTP 500"), "{error}");
    assert_eq!(world.rig.sessions().waiting(), 0);
    assert_eq!(world.rig.twilio.placed_calls().len(), 1, "a 500 on placing a call is not resent");
}

/// Waits for `call` to end in the store.
async fn ended(engine: &Engine, call: CallId) -> CallSummary {
    for _ in 0..500 {
        let summary = engine.store().call(call).unwrap().unwrap();
        if summary.state.is_terminal() {
            return summary;
        }
        tokio::time::sleep(ms(20)).await;
    }
    panic!("call {call} did not end");
}

#[tokio::test]
async fn a_dropped_tts_socket_is_reopened_once_and_the_greeting_resumes_where_it_was_cut() {
    let script = vec![agent_done(), CallerStep::HangUp];
    let mut world = World::new(|_| {}, scripted(Vec::new()), script).await;
    world.rig.tts.drop_sockets_after(1, 2);
    let outcome = world.call().await;

    assert_eq!(world.rig.tts.sockets(), 2);
    let spoken = world.rig.tts.spoken();
    let greeting = outcome.lines(Speaker::Agent)[0].clone();
    assert!(greeting.starts_with("Hi, I'm calling for") && greeting.ends_with('?'), "{greeting}");
    assert_eq!(spoken[0], spoken[1], "the sentence cut short was sent again: {spoken:?}");
    // Its first 24 characters were heard before the drop and are not played twice.
    let chars: usize = greeting.chars().count();
    let played_ms = outcome.media.agent_frames() as u64 * 20;
    let expected_ms = chars as u64 * MS_PER_CHAR;
    assert!(played_ms.abs_diff(expected_ms) <= 60, "{played_ms} ms played for {chars} characters");
    assert_eq!(outcome.reason(), "the callee hung up");
}

#[tokio::test]
async fn tts_failing_again_after_its_reopen_ends_the_call_without_an_apology() {
    let mut world = World::new(|_| {}, scripted(Vec::new()), vec![CallerStep::Silence(Duration::from_secs(30))]).await;
    world.rig.tts.drop_sockets_after(2, 1);
    let outcome = world.call().await;

    assert_eq!(outcome.call.state, CallState::Failed);
    assert!(outcome.reason().contains("ElevenLabs"), "{}", outcome.reason());
    assert!(
        outcome.lines(Speaker::Agent).iter().all(|line| !line.contains("technical trouble")),
        "nothing more is said"
    );
    assert_eq!(outcome.control, [CallControl::HangUp]);
}

#[tokio::test]
async fn an_anthropic_error_mid_answer_ends_the_call_with_an_apology() {
    let replies = vec![Reply::text("Great. What is your unit price for that quantity?")];
    let script = vec![agent_done(), speak(600), CallerStep::Silence(Duration::from_secs(30))];
    let mut world = World::new(|_| {}, scripted(replies), script).await;
    world.rig.anthropic.error_mid_stream_next(1);
    world.rig.deepgram.script(&["Yes, this is Acme."]);
    let outcome = world.call().await;

    assert_eq!(outcome.call.state, CallState::Failed);
    assert!(outcome.reason().contains("overloaded_error"), "{}", outcome.reason());
    assert!(outcome.lines(Speaker::Agent).last().unwrap().starts_with("I'm sorry, we're having technical trouble"));
}

#[tokio::test]
async fn without_speech_final_the_utterance_end_closes_the_callee_turn() {
    let replies = vec![Reply::text("Understood, goodbye.").and_tool("end_call", json!({"reason": "no quotes"}))];
    let script = vec![agent_done(), speak(600), CallerStep::Silence(Duration::from_secs(30))];
    let mut world = World::new(|_| {}, scripted(replies), script).await;
    world.rig.deepgram.set_speech_final(false);
    world.rig.deepgram.script(&["We don't do quotes."]);
    let outcome = world.call().await;

    assert_eq!(outcome.lines(Speaker::Callee), ["We don't do quotes."]);
    assert_eq!(outcome.reason(), "the agent ended the call: no quotes");
    let latency = &world.engine.store().turn_latencies(outcome.call.id).unwrap()[0];
    assert!(latency.stt_ms >= 900, "the turn ended at UtteranceEnd, 1000 ms after the last word: {latency:?}");
}

#[tokio::test]
async fn the_dispatcher_ending_a_campaigns_pipeline_call_hangs_it_up_on_twilio() {
    let script = vec![agent_done(), CallerStep::Silence(Duration::from_secs(30))];
    let mut world = World::new(|_| {}, scripted(Vec::new()), script).await;
    // Twilio ends the stream before it answers the hang-up: the stream's end reaches the call
    // first, and must still read as the dispatcher's.
    world.rig.twilio.answer_updates_after(ms(300));
    let engine = Arc::clone(&world.engine);
    let spec = super::quote_campaign("pipeline", world.agent, None, vec![world.contact], 1);
    let (id, _) = super::campaign_call_ended_by_dispatcher(&engine, spec).await;
    let placed = tokio::time::timeout(Duration::from_secs(10), world.rig.next_placed()).await.unwrap().unwrap();
    tokio::time::timeout(Duration::from_secs(10), placed.stream.unwrap().finish()).await.unwrap().unwrap();
    // The session lets go of the call once its stream has closed, without a hang-up of its own.
    super::assert_hung_up_once(&world.rig.twilio, &placed.call_sid).await;
    for _ in 0..100 {
        if store_target_status(&engine, id) == "canceled" {
            return;
        }
        tokio::time::sleep(ms(20)).await;
    }
    panic!("the target never said canceled: {}", store_target_status(&engine, id));
}

fn store_target_status(engine: &Engine, campaign: i64) -> String {
    engine.store().campaign_targets(campaign, 1).unwrap().remove(0).status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_started_at_the_turns_end_is_dropped_without_a_trace_when_the_callee_goes_on() {
    let replies = vec![Reply::text("This answer is never heard."), Reply::text("Got it, five hundred bolts.")];
    // A pause past Deepgram's 300 ms endpointing, then more words before the model's answer.
    let script =
        vec![agent_done(), speak(600), CallerStep::Silence(ms(450)), speak(600), agent_done(), CallerStep::HangUp];
    let mut world = World::new(|_| {}, scripted(replies), script).await;
    world.rig.anthropic.set_latency(ms(400), ms(0));
    world.rig.deepgram.script(&["I need", "five hundred bolts."]);
    let outcome = world.call().await;

    let requests = world.rig.anthropic.requests();
    assert_eq!(requests.len(), 2, "the model was asked at the pause, and again at the end");
    assert_eq!(last_user_text(&requests[0]), "I need");
    assert_eq!(outcome.lines(Speaker::Callee), ["I need five hundred bolts."], "one turn of the callee");
    let agent = outcome.lines(Speaker::Agent);
    assert_eq!(agent.len(), 2, "the greeting and one answer: {agent:?}");
    assert_eq!(agent[1], "Got it, five hundred bolts.");
    assert_eq!(last_user_text(&requests[1]), "I need five hundred bolts.");
    assert_eq!(assistant_texts(&requests[1]), [agent[0].clone()], "the dropped answer is not in the conversation");
    assert!(world.rig.tts.spoken().iter().all(|text| !text.contains("never")), "{:?}", world.rig.tts.spoken());
    assert!(outcome.media.clears.is_empty(), "nothing of the dropped answer reached Twilio");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_greeting_is_synthesised_while_the_phone_rings_and_played_as_the_stream_starts() {
    let script = vec![agent_done(), CallerStep::HangUp];
    let mut world = World::new(|_| {}, scripted(Vec::new()), script).await;
    // ElevenLabs takes 400 ms to answer; the phone rings for a second.
    world.rig.tts.set_latency(ms(400));
    world.rig.twilio.set_ring_time(ms(1000));
    let outcome = world.call().await;

    let started = outcome.media.started_at.expect("the stream started");
    let (first, _) = *outcome.media.frames.first().expect("the greeting was played");
    assert!(first > started, "no audio before the callee answered");
    assert!(first - started < ms(100), "the greeting came {:?} after the stream started", first - started);
    let agent = outcome.lines(Speaker::Agent);
    assert!(agent[0].starts_with("Hi, I'm calling for"), "{agent:?}");
    let heard = world.engine.store().heard_latency(outcome.call.id).unwrap().expect("what the callee heard");
    assert!(heard.first_words_ms.is_some_and(|ms| ms < 100), "{heard:?}");
}
