//! The dispatcher's hand on live pipeline calls, through the engine as the window and the
//! command line use it: a note reaches the model's next request, a typed line is said through
//! TTS and kept in the transcript, a take-over redirects the Twilio call to `<Dial>` the
//! dispatcher's phone and ends the call as theirs; each action is kept with its outcome.

use std::time::Duration;

use switchboard_core::{ActionStatus, Agent, BackendKind, CallState, Contact, ControlAction, Speaker};
use switchboard_engine::settings::DISPATCHER_PHONE;
use switchboard_engine::{NO_DISPATCHER_PHONE, TAKEN_OVER};
use switchboard_fakes::anthropic::{Reply, scripted};
use switchboard_fakes::twilio_gather::twiml::{Verb, parse};
use switchboard_fakes::twilio_media::CallerStep;
use switchboard_store::Store;

use crate::pipeline_rig::{PipelineRig, RigSettings};

const DISPATCHER: &str = "+13125550199";
const NOTE: &str = "Ask whether freight is included.";
const LINE: &str = "One moment, my colleague is checking the price.";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The seeded vendor-quote agent on the pipeline, and the vendor it calls.
fn pipeline_quote_agent(store: &Store) -> (Agent, Contact) {
    super::seed(store);
    let mut agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    agent.config.backend = BackendKind::Pipeline;
    agent.config.backend_settings.pipeline.tts_voice = "voice_test".into();
    store.update_agent(agent.id, &agent.config).unwrap();
    let contact = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Acme Fasteners").unwrap();
    (agent, contact)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dispatcher_steers_has_a_line_said_and_takes_the_pipeline_call_over() {
    let store = std::sync::Arc::new(Store::open_in_memory().unwrap());
    let (agent, contact) = pipeline_quote_agent(&store);
    let replies = vec![Reply::text("Thanks. Is freight included in that price?")];
    let script = vec![
        CallerStep::WaitForAgent(ms(300)),
        // The dispatcher's line is said meanwhile.
        CallerStep::Silence(ms(1500)),
        CallerStep::Speak(ms(600)),
        CallerStep::WaitForAgent(ms(300)),
        CallerStep::Silence(Duration::from_secs(30)),
    ];
    let settings =
        RigSettings { responder: scripted(replies), ms_per_char: 2, script, wrong_token: false, keep_audio: false };
    let mut rig = PipelineRig::start(std::sync::Arc::clone(&store), None, settings).await.unwrap();
    let engine = std::sync::Arc::clone(rig.engine());
    rig.deepgram.script(&["Ten dollars a unit."]);
    let mut events = engine.bus().subscribe();

    let call = engine.start_quote_call(contact.id, agent.id, &crate::quote_request()).await.unwrap();
    let placed = tokio::time::timeout(Duration::from_secs(10), rig.next_placed()).await.unwrap().unwrap();
    let stream = placed.stream.unwrap();
    // Once the greeting has played, the dispatcher steers and has a line said.
    wait_for(|| store.transcript(call.id).unwrap().iter().any(|line| line.speaker == Speaker::Agent)).await;
    let asked = std::time::Instant::now();
    let steered = engine.control_call(call.id, ControlAction::Steer, NOTE).await.unwrap();
    let steer_took = asked.elapsed();
    let said = engine.control_call(call.id, ControlAction::Say, LINE).await.unwrap();
    assert_eq!((steered.status, said.status), (ActionStatus::Done, ActionStatus::Done), "{said:?}");
    let refused = engine.control_call(call.id, ControlAction::Say, "  ").await.unwrap_err();
    assert!(refused.to_string().contains("line is empty"), "{refused}");

    // The line is said through TTS and kept; the callee's answer goes to the model with the note.
    wait_for(|| !rig.anthropic.requests().is_empty()).await;
    let request = &rig.anthropic.requests()[0];
    assert!(request["system"].as_str().unwrap().contains(NOTE), "{}", request["system"]);
    let agent_lines: Vec<String> = store
        .transcript(call.id)
        .unwrap()
        .into_iter()
        .filter(|line| line.speaker == Speaker::Agent)
        .map(|line| line.text)
        .collect();
    assert_eq!(agent_lines.get(1).map(String::as_str), Some(LINE), "{agent_lines:?}");

    // Without the dispatcher's phone a take-over is refused before anything is kept; with it,
    // Twilio is told to <Dial> it, and the call ends as taken over.
    let unset = engine.control_call(call.id, ControlAction::TakeOver, "").await.unwrap_err();
    assert_eq!(unset.to_string(), NO_DISPATCHER_PHONE);
    store.set_setting(DISPATCHER_PHONE, DISPATCHER).unwrap();
    wait_for(|| rig.anthropic.requests().len() == 1 && store.transcript(call.id).unwrap().len() >= 4).await;
    let asked = std::time::Instant::now();
    let taken = engine.control_call(call.id, ControlAction::TakeOver, "").await.unwrap();
    let take_over_took = asked.elapsed();
    eprintln!("the dispatcher's note was taken in {steer_took:?}; the take-over answered in {take_over_took:?}");
    // The window shows the outcome within a second or two: the engine answers well within it.
    assert!(steer_took < Duration::from_millis(500) && take_over_took < Duration::from_secs(1));
    assert_eq!((taken.status, taken.text.as_str()), (ActionStatus::Done, DISPATCHER), "{taken:?}");
    let ended = super::call_ended(&mut events, call.id).await;
    assert_eq!((ended.state, ended.end_reason.as_deref()), (CallState::Completed, Some(TAKEN_OVER)));
    tokio::time::timeout(Duration::from_secs(10), stream.finish()).await.unwrap().unwrap();
    tokio::time::sleep(ms(300)).await;
    let updates: Vec<_> = rig.twilio.updates().into_iter().filter(|(sid, _)| *sid == placed.call_sid).collect();
    let [(_, form)] = updates.as_slice() else { panic!("one update, the redirect, not a hang-up too: {updates:?}") };
    let twiml = form.iter().find(|(key, _)| key == "Twiml").map(|(_, value)| value.as_str()).unwrap();
    assert_eq!(parse(twiml).unwrap(), [Verb::Dial(DISPATCHER.into())]);

    let kept: Vec<_> = store.call_actions(call.id).unwrap().into_iter().map(|a| (a.action, a.status)).collect();
    assert_eq!(
        kept,
        [
            (ControlAction::Steer, ActionStatus::Done),
            (ControlAction::Say, ActionStatus::Done),
            (ControlAction::TakeOver, ActionStatus::Done)
        ]
    );
    // The call is over: every action is now refused, and says so.
    let late = engine.control_call(call.id, ControlAction::End, "").await.unwrap();
    assert_eq!((late.status, late.result.as_deref()), (ActionStatus::Refused, Some("the call is over (completed)")));
}

/// Twilio ends the media stream as soon as it takes the redirect, and may answer the redirect
/// only later: the session sees its stream end before the take-over hears back, and the call
/// still ends as the dispatcher's, never as hung up by the callee.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_take_over_answered_after_the_stream_ended_still_ends_the_call_as_taken_over() {
    let store = std::sync::Arc::new(Store::open_in_memory().unwrap());
    let (agent, contact) = pipeline_quote_agent(&store);
    store.set_setting(DISPATCHER_PHONE, DISPATCHER).unwrap();
    let script = vec![CallerStep::WaitForAgent(ms(300)), CallerStep::Silence(Duration::from_secs(30))];
    let settings =
        RigSettings { responder: scripted(Vec::new()), ms_per_char: 2, script, wrong_token: false, keep_audio: false };
    let mut rig = PipelineRig::start(std::sync::Arc::clone(&store), None, settings).await.unwrap();
    let engine = std::sync::Arc::clone(rig.engine());
    let mut events = engine.bus().subscribe();
    let call = engine.start_quote_call(contact.id, agent.id, &crate::quote_request()).await.unwrap();
    let placed = tokio::time::timeout(Duration::from_secs(10), rig.next_placed()).await.unwrap().unwrap();
    wait_for(|| store.transcript(call.id).unwrap().iter().any(|line| line.speaker == Speaker::Agent)).await;

    rig.twilio.answer_updates_after(Duration::from_millis(1500));
    let taken = engine.control_call(call.id, ControlAction::TakeOver, "").await.unwrap();
    assert_eq!(taken.status, ActionStatus::Done, "{taken:?}");
    let ended = super::call_ended(&mut events, call.id).await;
    assert_eq!((ended.state, ended.end_reason.as_deref()), (CallState::Completed, Some(TAKEN_OVER)));
    let updates: Vec<_> = rig.twilio.updates().into_iter().filter(|(sid, _)| *sid == placed.call_sid).collect();
    assert_eq!(updates.len(), 1, "the redirect only, no hang-up after it: {updates:?}");
}

async fn wait_for(mut done: impl FnMut() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(ms(20)).await;
    }
    panic!("timed out waiting");
}
