//! What a callee hears on realtime pipeline calls, read from each call's two-track recording:
//! (a) the answer → the agent's first words and (b) the end of the callee's speech → the start
//! of the agent's reply, p50/p95, with the loopback fakes taking the providers' published
//! latencies (Deepgram's final result 300 ms after speech ends, Anthropic's first token 400 ms,
//! ElevenLabs' first audio 150 ms, 30 ms of network each way to each). The floor for (b) is
//! their sum: each provider's latency and its two network legs. Then the engine-added latency
//! per turn with zero-latency fakes (Deepgram's final result leaving the fake → the answer's
//! first frame at the fake Twilio).
//!
//! `cargo test -p switchboard-telephony --bench pipeline_latency -- --bench` prints the figures
//! (`--runs N` repeats each N times; `--stt-ms`, `--llm-ms`, `--tts-ms`, `--network-ms` and
//! `--ring-ms` change the fakes' latencies and the ring; `--calls C --turns T` run C calls of T
//! turns at once; `--engine-added` runs only the zero-latency part, whose summary line is
//! `pipeline-engine-added … p99=…`); without `--bench` it runs a few turns as a smoke test.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::time::Duration;

use switchboard_audio::{Channels, HeardTimer, HeardTimes, read_wav};
use switchboard_core::CallId;
use switchboard_engine::Engine;
use switchboard_fakes::anthropic::Reply;
use switchboard_fakes::twilio_media::MediaStreamRecord;

// The rig of the telephony tests; the bench uses only some of it.
#[allow(dead_code)]
#[path = "../tests/it/pipeline_rig.rs"]
mod pipeline_rig;
#[path = "pipeline/shared.rs"]
mod shared;

use pipeline_rig::{PipelineRig, RigSettings};
use shared::{number, percentile, place, script};

/// How long the callee talks each turn.
const SPEECH: Duration = Duration::from_millis(1200);

/// The same two figures as the fake Twilio timed them: the stream's start → the first agent
/// frame, and the end of each utterance the callee spoke (`speech` long) → the next agent frame.
fn as_twilio_heard(record: &MediaStreamRecord, speech: Duration) -> (Option<u32>, Vec<u32>) {
    let ms = |duration: Duration| u32::try_from(duration.as_millis()).unwrap_or(u32::MAX);
    let first = record.started_at.zip(record.frames.first()).map(|(started, (at, _))| ms(*at - started));
    let replies = record
        .spoke_at
        .iter()
        .filter_map(|spoke| {
            let ended = *spoke + speech;
            record.frames.iter().find(|(at, _)| *at > ended).map(|(at, _)| ms(*at - ended))
        })
        .collect();
    (first, replies)
}

/// What the agent answers every turn: a clause, then a sentence.
const ANSWER: &str = "Sure, five hundred M8 bolts. Anything else?";
/// What the callee says every turn.
const CALLEE_SAYS: &str = "I need five hundred bolts.";
/// Deepgram's endpointing as the engine asks for it: its final result comes this long after
/// speech ends.
const ENDPOINTING_MS: u64 = 300;

/// The providers' latencies the fakes take.
#[derive(Debug, Clone, Copy)]
struct Latencies {
    stt_ms: u64,
    llm_ms: u64,
    tts_ms: u64,
    network_ms: u64,
}

impl Latencies {
    /// The floor of (b): each provider's latency and its two network legs.
    fn floor_ms(self) -> u64 {
        self.stt_ms + self.llm_ms + self.tts_ms + 6 * self.network_ms
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let benchmarking = args.iter().any(|arg| arg == "--bench");
    let engine_added_only = args.iter().any(|arg| arg == "--engine-added");
    let latencies = Latencies {
        stt_ms: number(&args, "--stt-ms").unwrap_or(300),
        llm_ms: number(&args, "--llm-ms").unwrap_or(400),
        tts_ms: number(&args, "--tts-ms").unwrap_or(150),
        network_ms: number(&args, "--network-ms").unwrap_or(30),
    };
    assert!(latencies.stt_ms >= ENDPOINTING_MS, "--stt-ms is at least the endpointing, {ENDPOINTING_MS} ms");
    let ring = Duration::from_millis(number(&args, "--ring-ms").unwrap_or(3000));
    let runs = number(&args, "--runs").unwrap_or(1);
    let (calls, turns) = if benchmarking { (20, 10) } else { (2, 2) };
    let calls = number(&args, "--calls").map_or(calls, |calls| calls as usize);
    let turns = number(&args, "--turns").map_or(turns, |turns| turns as usize);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        if !engine_added_only {
            for _ in 0..runs {
                heard_figures(latencies, ring, calls, turns).await;
            }
        }
        let zero_turns = if benchmarking { 100 } else { 3 };
        shared::engine_added_figures(2, zero_turns, runs as usize).await;
    });
}

/// What the callee heard on `call`, read back from its recording once the call has filed it.
async fn heard_on(engine: &Engine, call: CallId) -> HeardTimes {
    let recordings = engine.recordings().expect("the rig keeps recordings");
    for _ in 0..500 {
        if let Some(recording) = engine.store().recording(call).unwrap() {
            let wav = read_wav(&recordings.path_of(&recording.file), 8000, Channels::Stereo).unwrap();
            let mut timer = HeardTimer::default();
            for pair in wav.samples.chunks_exact(2) {
                timer.sample(pair[0], pair[1]);
            }
            return timer.times().clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("call {call} filed no recording");
}

async fn heard_figures(latencies: Latencies, ring: Duration, calls: usize, turns: usize) {
    let (store, agent, contacts) = shared::store(None, calls);
    let recordings = tempfile::tempdir().unwrap();
    // Speech at about 15 characters a second; the callee waits for a short pause after the agent.
    let settings = RigSettings {
        responder: Box::new(|_| Reply::text(ANSWER)),
        ms_per_char: 60,
        script: script(turns, SPEECH, Duration::from_millis(300)),
        wrong_token: false,
        keep_audio: false,
    };
    let mut rig = PipelineRig::start(store, Some(recordings.path().to_owned()), settings).await.unwrap();
    let both_ways = |ms: u64| Duration::from_millis(ms + 2 * latencies.network_ms);
    rig.deepgram.set_latency(both_ways(latencies.stt_ms - ENDPOINTING_MS));
    rig.deepgram.script(&vec![CALLEE_SAYS; calls * turns]);
    // The first token comes after the model's latency; the rest at once (only the first clause
    // is on the way to the reply's first audio).
    rig.anthropic.set_latency(both_ways(latencies.llm_ms), Duration::ZERO);
    rig.tts.set_latency(both_ways(latencies.tts_ms));
    rig.twilio.set_ring_time(ring);
    let placed = place(&mut rig, agent, &contacts).await;
    let (mut first_words, mut replies) = (Vec::new(), Vec::new());
    let (mut twilio_first_words, mut twilio_replies) = (Vec::new(), Vec::new());
    let mut hops = Vec::new();
    for (call, record) in &placed {
        hops.extend(rig.engine().store().turn_latencies(*call).unwrap().iter().map(|turn| turn.total_ms()));
        let heard = heard_on(rig.engine(), *call).await;
        first_words.extend(heard.first_words_ms);
        replies.extend(heard.replies_ms);
        let (first, each) = as_twilio_heard(record, SPEECH);
        twilio_first_words.extend(first);
        twilio_replies.extend(each);
    }
    for figures in [&mut first_words, &mut replies, &mut twilio_first_words, &mut twilio_replies, &mut hops] {
        figures.sort_unstable();
    }
    assert!(!first_words.is_empty() && !replies.is_empty(), "nothing was heard");
    let floor = latencies.floor_ms();
    let p50 = percentile(&replies, 0.5);
    println!(
        "pipeline-heard calls={calls} turns={} (a) answer→first words p50={} p95={} ms; (b) end of speech→reply \
         p50={p50} p95={} ms; floor={floor} ms (stt {} + llm {} + tts {} + 6×{} network); p50−floor={} ms; \
         as the fake Twilio timed them: (a) p50={} p95={} ms, (b) p50={} p95={} ms; per-hop total p50={} ms",
        replies.len(),
        percentile(&first_words, 0.5),
        percentile(&first_words, 0.95),
        percentile(&replies, 0.95),
        latencies.stt_ms,
        latencies.llm_ms,
        latencies.tts_ms,
        latencies.network_ms,
        i64::from(p50) - floor as i64,
        percentile(&twilio_first_words, 0.5),
        percentile(&twilio_first_words, 0.95),
        percentile(&twilio_replies, 0.5),
        percentile(&twilio_replies, 0.95),
        percentile(&hops, 0.5),
    );
}
