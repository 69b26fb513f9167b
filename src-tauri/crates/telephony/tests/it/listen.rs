//! Listening in on a live call through the engine's live-audio tap: a pipeline call (the rig's
//! fakes and the real listener, session and playout) and a simulated one.

use std::sync::Arc;
use std::time::Duration;

use crate::pipeline_rig::{PipelineRig, RigSettings};
use serde_json::json;
use switchboard_audio::{FRAME_BYTES, Party, mulaw};
use switchboard_core::{AgentId, BackendKind, CallState, CallSummary, ContactId};
use switchboard_engine::listen_in::{LISTEN_QUEUE, Listening, LiveFrame};
use switchboard_engine::{Engine, EngineEvent, EngineSettings};
use switchboard_fakes::anthropic::{Reply, scripted};
use switchboard_fakes::twilio_media::{CallerStep, MediaStreamRecord};
use switchboard_sim::{Cast, SimSettings, Simulator};
use switchboard_store::Store;

const GOODBYE: &str = "Understood, thanks anyway. Goodbye.";

struct World {
    engine: Arc<Engine>,
    rig: PipelineRig,
    agent: AgentId,
    contact: ContactId,
    _recordings: tempfile::TempDir,
}

/// The quote agent on the pipeline; the callee answers the greeting, the agent says goodbye
/// and ends the call.
async fn world() -> World {
    let store = Arc::new(Store::open_in_memory().unwrap());
    super::seed(&store);
    let mut agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    agent.config.backend = BackendKind::Pipeline;
    agent.config.backend_settings.pipeline.tts_voice = "voice_test".into();
    store.update_agent(agent.id, &agent.config).unwrap();
    let contact = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Acme Fasteners").unwrap();
    let recordings = tempfile::tempdir().unwrap();
    let replies = vec![Reply::text(GOODBYE).and_tool("end_call", json!({"reason": "no quotes"}))];
    let script = vec![
        CallerStep::WaitForAgent(Duration::from_millis(300)),
        CallerStep::Speak(Duration::from_millis(600)),
        CallerStep::Silence(Duration::from_secs(30)),
    ];
    let settings =
        RigSettings { responder: scripted(replies), ms_per_char: 10, script, wrong_token: false, keep_audio: true };
    let rig = PipelineRig::start(store, Some(recordings.path().to_owned()), settings).await.unwrap();
    rig.deepgram.script(&["We don't do quotes over the phone."]);
    World { engine: Arc::clone(rig.engine()), rig, agent: agent.id, contact: contact.id, _recordings: recordings }
}

/// Who listens to the test call.
enum Listener {
    Nobody,
    /// A listener subscribed as the call is placed, taking every frame as it comes.
    Draining,
    /// A listener subscribed as the call is placed that never takes a frame.
    Idle,
}

/// What the listener got: every frame (draining), or its end of the tap (idle).
struct Heard {
    frames: Vec<LiveFrame>,
    listening: Option<Listening>,
    dropped: u64,
}

impl World {
    /// Places the call with `listener` subscribed at once; returns the ended call, what the
    /// fake Twilio sent and received, and what the listener heard.
    async fn call(&mut self, listener: Listener) -> (CallSummary, MediaStreamRecord, Heard) {
        let mut events = self.engine.bus().subscribe();
        let call = self.engine.start_quote_call(self.contact, self.agent, &crate::quote_request()).await.unwrap();
        let (drained, mut idle) = match listener {
            Listener::Nobody => (None, None),
            Listener::Draining => {
                let mut listening = self.engine.live_audio().listen(call.id);
                let drained = tokio::spawn(async move {
                    let mut frames = Vec::new();
                    while let Some(frame) = listening.recv().await {
                        frames.push(frame);
                    }
                    (frames, listening.dropped_frames())
                });
                (Some(drained), None)
            }
            Listener::Idle => (None, Some(self.engine.live_audio().listen(call.id))),
        };
        let placed = tokio::time::timeout(Duration::from_secs(10), self.rig.next_placed()).await.unwrap().unwrap();
        let media =
            tokio::time::timeout(Duration::from_secs(60), placed.stream.unwrap().finish()).await.unwrap().unwrap();
        let ended = super::call_ended(&mut events, call.id).await;
        let heard = match drained {
            // The session's publishers are gone with the call: the frames end.
            Some(drained) => {
                let (frames, dropped) = tokio::time::timeout(Duration::from_secs(5), drained).await.unwrap().unwrap();
                Heard { frames, listening: None, dropped }
            }
            None => {
                let dropped = idle.as_ref().map_or(0, Listening::dropped_frames);
                Heard { frames: Vec::new(), listening: idle.take(), dropped }
            }
        };
        (ended, media, heard)
    }
}

/// One party's frames, joined.
fn audio_of(frames: &[LiveFrame], party: Party) -> Vec<u8> {
    frames.iter().filter(|frame| frame.party == party).flat_map(|frame| frame.frame).collect()
}

fn is_loud(frame: &LiveFrame) -> bool {
    frame.frame.iter().any(|&code| mulaw::decode_sample(code).unsigned_abs() > 2000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tap_carries_both_parties_frames_in_order() {
    let mut world = world().await;
    let (call, media, heard) = world.call(Listener::Draining).await;
    assert_eq!(call.state, CallState::Completed, "{:?}", call.end_reason);
    assert_eq!(heard.dropped, 0, "a listener that keeps up loses nothing");
    let frames = heard.frames;

    // The agent's frames are exactly what Twilio received, in the order it received them.
    let agent = audio_of(&frames, Party::Agent);
    assert!(agent.len() > 50 * FRAME_BYTES, "greeting and goodbye: {} bytes", agent.len());
    assert!(agent == media.agent_audio, "{} bytes tapped, {} received", agent.len(), media.agent_audio.len());

    // The caller's frames are what the fake sent, in order, from the first; the stream may
    // close with a few frames sent but not yet read.
    let caller = audio_of(&frames, Party::Caller);
    assert!(media.caller_audio.starts_with(&caller), "the caller's audio in order");
    let unread = (media.caller_audio.len() - caller.len()) / FRAME_BYTES;
    assert!(unread <= 25, "{unread} caller frames sent but not tapped");

    // Both parties interleaved as the call went: the greeting before the callee's answer, the
    // answer before the goodbye.
    let first_agent = frames.iter().position(|frame| frame.party == Party::Agent).unwrap();
    let first_loud_caller = frames.iter().position(|frame| frame.party == Party::Caller && is_loud(frame)).unwrap();
    let last_agent = frames.iter().rposition(|frame| frame.party == Party::Agent).unwrap();
    let last_loud_caller = frames.iter().rposition(|frame| frame.party == Party::Caller && is_loud(frame)).unwrap();
    assert!(first_agent < first_loud_caller && last_loud_caller < last_agent, "greeting, answer, goodbye");
    let loud_caller = frames.iter().filter(|frame| frame.party == Party::Caller && is_loud(frame)).count();
    assert!((28..=31).contains(&loud_caller), "600 ms of speech: {loud_caller} loud frames");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_stops_draining_never_holds_up_the_call() {
    let mut world = world().await;
    let (call, media, heard) = world.call(Listener::Idle).await;
    let mut listening = heard.listening.unwrap();

    // The call went as it does unheard, paced as ever.
    assert_eq!(call.state, CallState::Completed);
    assert_eq!(call.end_reason.as_deref(), Some("the agent ended the call: no quotes"));
    let (gaps, excused) = media.paced_gaps(Duration::from_millis(200), Duration::from_millis(10));
    let worst = gaps.iter().map(|(_, gap)| gap).max().unwrap();
    assert!(gaps.len() > 10 && *worst <= Duration::from_millis(40), "{} gaps, worst {worst:?}", gaps.len());
    assert!(excused < gaps.len(), "{excused} gaps left out for starvation");

    // The listener's queue filled with the first frames; every later one was dropped and counted.
    let mut queued = Vec::new();
    while let Some(frame) = listening.try_recv() {
        queued.push(frame);
    }
    assert_eq!(queued.len(), LISTEN_QUEUE);
    assert!(media.caller_audio.starts_with(&audio_of(&queued, Party::Caller)), "the first frames, in order");
    assert!(media.agent_audio.starts_with(&audio_of(&queued, Party::Agent)));
    assert_eq!(heard.dropped, listening.dropped_frames());
    let published = queued.len() as u64 + heard.dropped;
    let (agent_frames, caller_sent) =
        ((media.agent_audio.len() / FRAME_BYTES) as u64, (media.caller_audio.len() / FRAME_BYTES) as u64);
    assert!(
        published <= agent_frames + caller_sent && published + 25 >= agent_frames + caller_sent,
        "{published} frames published (queued or dropped), {agent_frames} agent frames sent, {caller_sent} caller frames"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_listening_costs_the_call_nothing_and_a_late_listener_hears_from_then_on() {
    let mut world = world().await;
    let audio = world.engine.live_audio().clone();
    let late = tokio::spawn({
        let mut events = world.engine.bus().subscribe();
        async move {
            // Subscribe once the callee has answered (the greeting is under way).
            let call = loop {
                let event = events.recv().await.unwrap();
                if let EngineEvent::CallUpdated { call } = &*event
                    && call.state == CallState::InProgress
                {
                    break call.id;
                }
            };
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut listening = audio.listen(call);
            let mut frames = Vec::new();
            while let Some(frame) = listening.recv().await {
                frames.push(frame);
            }
            frames
        }
    });
    let (call, media, _) = world.call(Listener::Nobody).await;
    assert_eq!(call.state, CallState::Completed);
    let frames = tokio::time::timeout(Duration::from_secs(5), late).await.unwrap().unwrap();
    let agent = audio_of(&frames, Party::Agent);
    assert!(!agent.is_empty() && agent.len() < media.agent_audio.len(), "only what was sent once listening");
    assert!(media.agent_audio.ends_with(&agent), "and from then on, all of it in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_call_is_heard_line_by_line() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    super::seed(&store);
    let mut engine = Engine::new(Arc::clone(&store), EngineSettings::default());
    let settings = SimSettings { time_scale: 20.0, cast: Cast::Cooperative, ..SimSettings::default() };
    engine.register_backend(Arc::new(Simulator::new(settings).with_live_audio(engine.live_audio().clone())));
    let contact = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Acme Fasteners").unwrap();
    let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    let mut events = engine.bus().subscribe();
    let call = engine.start_quote_call(contact.id, agent.id, &crate::quote_request()).await.unwrap();
    let mut listening = engine.live_audio().listen(call.id);
    let mut frames = Vec::new();
    // The simulator's tap goes when the call ends: the frames end.
    while let Some(frame) = tokio::time::timeout(Duration::from_secs(30), listening.recv()).await.unwrap() {
        frames.push(frame);
    }
    assert_eq!(listening.dropped_frames(), 0);
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv()).await.unwrap().unwrap();
        if matches!(&*event, EngineEvent::CallUpdated { call: c } if c.id == call.id && c.state.is_terminal()) {
            break;
        }
    }

    // Each line is a run of its speaker's frames, in the transcript's order.
    let mut runs: Vec<(Party, usize)> = Vec::new();
    for frame in &frames {
        match runs.last_mut() {
            Some((party, count)) if *party == frame.party => *count += 1,
            _ => runs.push((frame.party, 1)),
        }
    }
    let transcript = store.transcript(call.id).unwrap();
    let speakers: Vec<Party> = transcript
        .iter()
        .map(|line| if line.speaker == switchboard_core::Speaker::Agent { Party::Agent } else { Party::Caller })
        .collect();
    assert_eq!(runs.iter().map(|(party, _)| *party).collect::<Vec<_>>(), speakers);
    // A line of n words at 160 words a minute lasts n × 375 ms: that many 20 ms frames.
    for ((_, count), line) in runs.iter().zip(&transcript) {
        let expected = line.text.split_whitespace().count() * 375 / 20;
        assert!(count.abs_diff(expected) <= 1, "{count} frames for {:?} ({expected} expected)", line.text);
    }
    assert!(frames.iter().filter(|frame| is_loud(frame)).count() > frames.len() / 2, "a voice, not silence");
}
