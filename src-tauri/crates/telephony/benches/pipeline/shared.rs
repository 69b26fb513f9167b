//! What the two pipeline benches share: their store and quote agent, their arguments, and the
//! engine-added latency per turn with zero-latency fakes (Deepgram's final result leaving the
//! fake → the answer's first frame at the fake Twilio), printed on one summary line.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{AgentId, BackendKind, CallId, ContactId, UnixMillis};
use switchboard_engine::sample;
use switchboard_fakes::anthropic::Reply;
use switchboard_fakes::fixtures;
use switchboard_fakes::twilio_media::{CallerStep, MediaStreamRecord};
use switchboard_store::Store;

use crate::pipeline_rig::{PipelineRig, RigSettings};

/// A store with the quote agent on the pipeline (saying `greeting` first, or the preset's first
/// message) and `contacts` vendors.
pub fn store(greeting: Option<&str>, contacts: usize) -> (Arc<Store>, AgentId, Vec<ContactId>) {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let file = |name, json| sample::SampleFile { name, json };
    sample::seed_once(
        &store,
        &[file("vendor-quote.json", include_str!("../../../../../assets/presets/vendor-quote.json"))],
        &[],
    )
    .unwrap();
    let mut agent = store.list_agents().unwrap().remove(0);
    agent.config.backend = BackendKind::Pipeline;
    agent.config.backend_settings.pipeline.tts_voice = "voice_bench".into();
    if let Some(greeting) = greeting {
        agent.config.first_message = greeting.to_owned();
    }
    agent.config.max_duration_secs = 600;
    agent.config.silence_timeout_secs = 60;
    store.update_agent(agent.id, &agent.config).unwrap();
    let contacts = store
        .write_contacts(&fixtures::vendor_writes(contacts, 312), UnixMillis(1))
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    (store, agent.id, contacts)
}

/// The number after the argument `name`, if it is given.
pub fn number(args: &[String], name: &str) -> Option<u64> {
    args.iter().position(|arg| arg == name).map(|at| {
        args.get(at + 1).and_then(|value| value.parse().ok()).unwrap_or_else(|| panic!("{name} takes a number"))
    })
}

/// The nearest-rank `p` percentile of `sorted`.
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> T {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// `turns` exchanges: the agent speaks and falls quiet, the callee talks for `speech`.
pub fn script(turns: usize, speech: Duration, quiet: Duration) -> Vec<CallerStep> {
    let mut script = Vec::new();
    for _ in 0..turns {
        script.extend([CallerStep::WaitForAgent(quiet), CallerStep::Speak(speech)]);
    }
    script.extend([CallerStep::WaitForAgent(quiet), CallerStep::HangUp]);
    script
}

/// Places a call to each of `contacts` at once on `rig`; returns each call's id and what the
/// fake Twilio saw.
pub async fn place(rig: &mut PipelineRig, agent: AgentId, contacts: &[ContactId]) -> Vec<(CallId, MediaStreamRecord)> {
    let engine = Arc::clone(rig.engine());
    let mut ids = Vec::new();
    for contact in contacts {
        ids.push(engine.start_quote_call(*contact, agent, &fixtures::bolts_request(500)).await.unwrap().id);
    }
    let mut streams = Vec::new();
    for _ in contacts {
        streams.push(rig.next_placed().await.expect("a call placed and answered").stream.unwrap());
    }
    let records = futures_util::future::join_all(streams.into_iter().map(|stream| stream.finish())).await;
    ids.into_iter().zip(records.into_iter().map(Result::unwrap)).collect()
}

/// One call of `turns` short exchanges against zero-latency fakes; the time from each final
/// result leaving the fake Deepgram to the answer's first frame at the fake Twilio.
async fn engine_added(turns: usize) -> Vec<Duration> {
    let (store, agent, contacts) = store(Some("Hello."), 1);
    let settings = RigSettings {
        responder: Box::new(|_| Reply::text("OK.")),
        ms_per_char: 20,
        script: script(turns, Duration::from_millis(100), Duration::from_millis(60)),
        wrong_token: false,
        keep_audio: false,
    };
    let mut rig = PipelineRig::start(store, None, settings).await.unwrap();
    rig.deepgram.script(&vec!["Go on."; turns]);
    let placed = place(&mut rig, agent, &contacts).await;
    let (_, record) = &placed[0];
    rig.deepgram
        .finals_sent()
        .iter()
        .filter_map(|final_sent| record.frames.iter().find(|(at, _)| at > final_sent).map(|(at, _)| *at - *final_sent))
        .collect()
}

/// Runs `runs` times `calls` calls of `turns` turns at once against zero-latency fakes; prints
/// a line per run and one summary line over every turn of every run:
/// `pipeline-engine-added turns=400 runs=2 p50=… p99=… max=… ms`.
pub async fn engine_added_figures(calls: usize, turns: usize, runs: usize) {
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    let mut all = Vec::new();
    for run in 1..=runs {
        let mut latencies: Vec<Duration> = futures_util::future::join_all((0..calls).map(|_| engine_added(turns)))
            .await
            .into_iter()
            .flatten()
            .collect();
        latencies.sort_unstable();
        assert!(!latencies.is_empty(), "no turn was measured");
        println!(
            "pipeline-engine-added-run run={run} turns={} p50={:.2} p99={:.2} max={:.2} ms",
            latencies.len(),
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.99)),
            ms(percentile(&latencies, 1.0)),
        );
        all.extend(latencies);
    }
    all.sort_unstable();
    println!(
        "pipeline-engine-added turns={} runs={runs} p50={:.2} p90={:.2} p99={:.2} max={:.2} ms (zero-latency fakes; \
         final result out of the fake Deepgram → first answer frame at the fake Twilio)",
        all.len(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.9)),
        ms(percentile(&all, 0.99)),
        ms(percentile(&all, 1.0)),
    );
}
