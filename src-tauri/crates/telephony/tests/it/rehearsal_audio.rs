//! Audio mode: a scenario rehearsed through the full realtime pipeline against the loopback
//! fakes (Twilio media, Deepgram, Anthropic, ElevenLabs TTS), its callee played by the
//! scenario's scripted persona through the fake Twilio's conversing callee, so barge-in and
//! silence are rehearsed as heard; the call is read back from the store and judged by the
//! engine like any rehearsal. The fakes ship with the tests only, so this mode runs here.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use switchboard_core::{
    BackendKind, Behaviour, DataField, RehearsalEnding, RehearsalMode, Rehearsed, Scenario, Speaker,
    asks_not_to_be_called, parse_phone,
};
use switchboard_engine::rehearsal::{
    CalleeFactory, CalleeReply, CalleeSide, RehearsalCall, RehearsalError, RehearsalPlan, Rehearser,
};
use switchboard_engine::{BoxFuture, CallPlan, Engine, EngineSettings, now};
use switchboard_fakes::anthropic::{Reply, Responder};
use switchboard_fakes::deepgram::FakeDeepgram;
use switchboard_fakes::elevenlabs_tts::FakeElevenLabsTts;
use switchboard_fakes::twilio::StreamCallee;
use switchboard_fakes::twilio_media::{CallerStep, Converser, NextSteps};
use switchboard_sim::conversation::field_question;
use switchboard_sim::rehearsal::scripted_callees;
use switchboard_sim::speaking_time;
use switchboard_store::Store;

use super::pipeline_rig::{PipelineRig, RigSettings};

/// Audio per character the fake TTS speaks: a greeting lasts seconds, so talking over it is
/// talking over it on a loaded machine too.
const MS_PER_CHAR: u64 = 40;
/// How long after the agent starts a talking-over callee cuts in.
const CUTS_IN_AFTER: Duration = Duration::from_millis(700);
/// How long a callee waits after the agent has finished before answering.
const QUIET: Duration = Duration::from_millis(300);

/// The `audio` mode: each run a pipeline call on the rig's engine, one at a time.
struct AudioRehearser {
    rig: Arc<tokio::sync::Mutex<PipelineRig>>,
    callees: CalleeFactory,
}

impl Rehearser for AudioRehearser {
    fn mode(&self) -> RehearsalMode {
        RehearsalMode::Audio
    }

    fn rehearse(
        &self,
        call: RehearsalCall,
        scenario: Scenario,
        _run: u32,
    ) -> BoxFuture<'static, Result<Rehearsed, RehearsalError>> {
        let (rig, callees) = (Arc::clone(&self.rig), Arc::clone(&self.callees));
        Box::pin(async move {
            let mut rig = rig.lock_owned().await;
            let callee = callees(&scenario, &call);
            if callee.machine_greeting().is_some() {
                return Err(RehearsalError::Unavailable(
                    "the loopback Twilio answers every call as a person: rehearse voicemail in text mode".into(),
                ));
            }
            let mut callee = callee;
            let (script, heard) = opening(callee.as_mut(), &scenario, &call, &rig.deepgram).await?;
            let callee = Arc::new(tokio::sync::Mutex::new(callee));
            let converser = conversing(callee, heard, Arc::clone(&rig.deepgram), Arc::clone(&rig.tts));
            rig.twilio.stream_callee(StreamCallee { script, converser: Some(converser), ..StreamCallee::default() });
            play(&mut rig, &call).await
        })
    }
}

/// What the callee does before the agent's first turn is over (and how many of the agent's TTS
/// flushes that took in): one who talks over the agent answers its greeting while it is still
/// being said.
async fn opening(
    callee: &mut dyn CalleeSide,
    scenario: &Scenario,
    call: &RehearsalCall,
    deepgram: &FakeDeepgram,
) -> Result<(Vec<CallerStep>, usize), RehearsalError> {
    if scenario.callee.behaviour != Behaviour::TalksOver {
        return Ok((Vec::new(), 0));
    }
    let CalleeReply::Says(text) = callee.reply(&call.first_message).await? else { return Ok((Vec::new(), 0)) };
    deepgram.script(&[&text]);
    let steps = vec![
        CallerStep::WaitForAgentSpeaking,
        CallerStep::Silence(CUTS_IN_AFTER),
        CallerStep::Speak(speaking_time(&text)),
    ];
    Ok((steps, 1))
}

/// The callee deciding after each agent turn: it hears what the agent said since (the words
/// sent to the TTS, past the first `heard` flushes) and answers through Deepgram's script and
/// the caller's voice.
fn conversing(
    callee: Arc<tokio::sync::Mutex<Box<dyn CalleeSide>>>,
    heard: usize,
    deepgram: Arc<FakeDeepgram>,
    tts: Arc<FakeElevenLabsTts>,
) -> Converser {
    let heard = Arc::new(AtomicUsize::new(heard));
    let next = move || -> NextSteps {
        let (callee, deepgram, tts, heard) =
            (Arc::clone(&callee), Arc::clone(&deepgram), Arc::clone(&tts), Arc::clone(&heard));
        Box::pin(async move {
            let spoken = tts.spoken();
            let said = spoken[heard.swap(spoken.len(), Ordering::AcqRel).min(spoken.len())..].join(" ");
            let mut callee = callee.lock_owned().await;
            let speak = |text: &str| {
                deepgram.script(&[text]);
                CallerStep::Speak(speaking_time(text))
            };
            match callee.reply(&said).await {
                Ok(CalleeReply::Says(text)) => vec![speak(&text)],
                Ok(CalleeReply::Silent) | Err(_) => vec![CallerStep::Silence(Duration::from_millis(20))],
                Ok(CalleeReply::HangsUp(text)) if text.trim().is_empty() => vec![CallerStep::HangUp],
                // Quiet long enough for Deepgram to finish the words before the line drops.
                Ok(CalleeReply::HangsUp(text)) => {
                    vec![speak(&text), CallerStep::Silence(Duration::from_millis(1500)), CallerStep::HangUp]
                }
            }
        })
    };
    Converser { quiet: QUIET, next: Arc::new(next) }
}

/// Places the call on the rig's engine (the agent on the pipeline, the contact filed), waits for
/// its end and reads it back as a rehearsed call.
async fn play(rig: &mut PipelineRig, call: &RehearsalCall) -> Result<Rehearsed, RehearsalError> {
    let failed = |what: &str, error: &dyn std::fmt::Display| RehearsalError::Failed(format!("{what}: {error}"));
    let engine = Arc::clone(rig.engine());
    let store = Arc::clone(engine.store());
    let mut config = call.agent.config.clone();
    config.backend = BackendKind::Pipeline;
    config.backend_settings.pipeline.tts_voice = "voice_rehearsal".into();
    let agent_id = store.insert_agent(&config, now()).map_err(|error| failed("filing the agent", &error))?;
    let phone = parse_phone(&call.contact.fields.phone, "US").map_err(|error| failed("the contact", &error))?;
    let contact_id = match store.contact_by_phone(&phone.e164).map_err(|error| failed("the contact", &error))? {
        Some(contact) => contact.id,
        None => store
            .insert_contact(&call.contact.fields, Some(&phone), now())
            .map_err(|error| failed("filing the contact", &error))?,
    };
    let mut events = engine.bus().subscribe();
    let plan = CallPlan { contact_id, agent_id, extra: call.variables.clone(), campaign: None, slot: None };
    let placed = engine.place_call(plan).await.map_err(|error| failed("placing the call", &error))?;
    let joined = rig.next_placed().await.ok_or_else(|| RehearsalError::Failed("no stream was joined".into()))?;
    let stream = joined.stream.map_err(|error| failed("joining the stream", &error))?;
    tokio::time::timeout(Duration::from_secs(90), stream.finish())
        .await
        .map_err(|_| RehearsalError::Failed("the call was still going after 90 s".into()))?
        .map_err(|error| failed("the media stream", &error))?;
    let ended = super::call_ended(&mut events, placed.id).await;
    let transcript = store.transcript(placed.id).map_err(|error| failed("the transcript", &error))?;
    let fields = store.collected_fields(placed.id).map_err(|error| failed("the fields", &error))?;
    let do_not_call =
        transcript.iter().any(|line| line.speaker == Speaker::Callee && asks_not_to_be_called(&line.text));
    let ending = ending(ended.end_reason.as_deref().unwrap_or_default());
    Ok(Rehearsed { transcript, fields: fields.into_iter().collect(), ending, do_not_call, provider_verdict: None })
}

/// How the pipeline's end reason reads as a rehearsal's ending.
fn ending(reason: &str) -> RehearsalEnding {
    if let Some(why) = reason.strip_prefix("the agent ended the call") {
        return RehearsalEnding::Agent { reason: why.trim_start_matches(": ").to_owned() };
    }
    if reason.starts_with("transferred") {
        return RehearsalEnding::Transferred { reason: reason.to_owned() };
    }
    if reason.starts_with("the callee") {
        return RehearsalEnding::Callee;
    }
    RehearsalEnding::Agent { reason: reason.to_owned() }
}

/// The agent's model behind the pipeline: asks for each data field in turn, records what the
/// callee answers to each, and says goodbye once all are in (or the pipeline says every
/// required one is). After its tools' results it adds nothing more.
pub fn field_by_field(fields: Vec<DataField>) -> Responder {
    Box::new(move |request| {
        let messages = request["messages"].as_array().map(Vec::as_slice).unwrap_or_default();
        // The callee's words, message by message (notes like "(The call has been answered.)" are not words).
        let words = |message: &serde_json::Value| -> Option<String> {
            let blocks = message["content"].as_array()?;
            let text: Vec<&str> = blocks
                .iter()
                .filter_map(|block| block["text"].as_str())
                .filter(|text| !text.starts_with('('))
                .collect();
            (message["role"] == "user" && !text.is_empty()).then(|| text.join(" "))
        };
        let Some(last) = messages.last() else { return Reply::default() };
        if words(last).is_none() {
            let results = last.to_string();
            return if results.contains("say goodbye") { Reply::text("Thanks, goodbye.") } else { Reply::default() };
        }
        let heard: Vec<String> = messages.iter().filter_map(words).collect();
        let answered = heard.len() - 1;
        let mut reply = match fields.get(answered) {
            Some(field) => Reply::text(&field_question(field)),
            None => Reply::text("Thanks, goodbye.").and_tool("end_call", json!({"reason": "all answered"})),
        };
        if let (Some(field), Some(said)) = (answered.checked_sub(1).and_then(|n| fields.get(n)), heard.last()) {
            reply = reply.and_tool("record_field", json!({"field": field.key, "value": said}));
        }
        reply
    })
}

#[tokio::test]
async fn a_callee_talking_over_the_greeting_is_rehearsed_as_heard_and_judged() {
    let app = Store::open_in_memory().unwrap();
    let agent = {
        use switchboard_engine::sample::{PRESETS, SAMPLE_CONTACTS, seed_once};
        assert!(seed_once(&app, PRESETS, SAMPLE_CONTACTS).unwrap());
        app.list_agents().unwrap().into_iter().find(|agent| agent.config.name == "Appointment reminder").unwrap()
    };
    let loopback = Arc::new(Store::open_in_memory().unwrap());
    let settings = RigSettings {
        responder: field_by_field(agent.config.data_fields.clone()),
        ms_per_char: MS_PER_CHAR,
        script: Vec::new(),
        wrong_token: false,
        keep_audio: false,
    };
    let rig = PipelineRig::start(loopback, None, settings).await.unwrap();
    let mut engine = Engine::new(Arc::new(app), EngineSettings::default());
    engine.register_rehearser(Arc::new(AudioRehearser {
        rig: Arc::new(tokio::sync::Mutex::new(rig)),
        callees: scripted_callees(),
    }));
    let plan = RehearsalPlan {
        agent_id: agent.id,
        mode: RehearsalMode::Audio,
        scenario: Some("Talks over the agent".into()),
        runs: 1,
    };

    let results = engine.rehearse(plan).await.unwrap();

    let run = &results[0].runs[0];
    let failed: Vec<_> = run.checks.iter().filter(|check| !check.passed).collect();
    assert!(failed.is_empty(), "{failed:?} in {:?}", run.rehearsed.transcript);
    let lines: Vec<(Speaker, &str)> =
        run.rehearsed.transcript.iter().map(|line| (line.speaker, line.text.as_str())).collect();
    assert!(lines[0].0 == Speaker::Agent && lines[1].0 == Speaker::Callee, "{lines:?}");
    assert!(lines[1].1.starts_with("Yeah, yeah"), "the callee cut in: {lines:?}");
    // The greeting was cut where the callee cut in: the transcript keeps only what was heard.
    assert!(lines[0].1.starts_with("Hi Jordan Reyes") && !lines[0].1.ends_with("Is now a good time?"), "{lines:?}");
    assert!(run.rehearsed.fields.contains_key("confirmed"), "{:?}", run.rehearsed.fields);
    assert!(matches!(run.rehearsed.ending, RehearsalEnding::Agent { .. }), "{:?}", run.rehearsed.ending);
}
