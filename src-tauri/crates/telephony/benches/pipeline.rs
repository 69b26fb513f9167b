//! The realtime pipeline under load, against zero-latency loopback fakes: engine-added latency
//! per turn (from Deepgram's final result leaving the fake to the answer's first frame reaching
//! the fake Twilio — everything the engine does in between, plus the loopback hops and the
//! fakes' own work, all in this process) and how many concurrent calls one engine core carries
//! with the agent speaking, the fakes in a process of their own ([`capacity`]).
//! `cargo bench -p switchboard-telephony --bench pipeline` prints the figures: `-- --calls N`
//! runs only N concurrent calls (e.g. under a profiler), `--runs R` runs each size R times
//! instead of 5, `--speech S` makes the agent speak S seconds instead of 15 or twice the time
//! placing the calls takes (1 shows what placing and ending calls costs), `--rate R` places R
//! calls a second instead of 100, `--engine-core C` and `--fakes-core C` choose the cores (0
//! and 1). Under `cargo test` it runs a few turns and calls as a smoke test, unpinned.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{AgentId, BackendKind, ContactId, UnixMillis};
use switchboard_engine::sample;
use switchboard_fakes::anthropic::{Reply, scripted};
use switchboard_fakes::fixtures;
use switchboard_fakes::twilio_media::CallerStep;
use switchboard_store::Store;

// The rig of the telephony tests; the bench uses only some of it.
#[path = "pipeline/capacity.rs"]
mod capacity;
#[path = "pipeline/fakes_process.rs"]
mod fakes_process;
#[allow(dead_code)]
#[path = "../tests/it/pipeline_rig.rs"]
mod pipeline_rig;

use fakes_process::{Cores, FakesProcess, SERVE_FAKES};
use pipeline_rig::{PipelineRig, RigSettings};

/// A store with the quote agent on the pipeline (saying `greeting` first) and `contacts` vendors.
fn store(greeting: &str, contacts: usize) -> (Arc<Store>, AgentId, Vec<ContactId>) {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let file = |name, json| sample::SampleFile { name, json };
    sample::seed_once(
        &store,
        &[file("vendor-quote.json", include_str!("../../../../assets/presets/vendor-quote.json"))],
        &[],
    )
    .unwrap();
    let mut agent = store.list_agents().unwrap().remove(0);
    agent.config.backend = BackendKind::Pipeline;
    agent.config.backend_settings.pipeline.tts_voice = "voice_bench".into();
    agent.config.first_message = greeting.to_owned();
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// One call of `turns` short exchanges; the time from each final result to the next agent frame.
async fn turn_latencies(turns: usize) -> Vec<Duration> {
    let (store, agent, contacts) = store("Hello.", 1);
    let mut script = Vec::new();
    for _ in 0..turns {
        script.push(CallerStep::WaitForAgent(Duration::from_millis(60)));
        script.push(CallerStep::Speak(Duration::from_millis(100)));
    }
    script.extend([CallerStep::WaitForAgent(Duration::from_millis(60)), CallerStep::HangUp]);
    let replies = vec![Reply::text("OK."); turns];
    let settings =
        RigSettings { responder: scripted(replies), ms_per_char: 20, script, wrong_token: false, keep_audio: false };
    let mut rig = PipelineRig::start(store, None, settings).await.unwrap();
    rig.deepgram.script(&vec!["Go on."; turns]);
    rig.engine().start_quote_call(contacts[0], agent, &fixtures::bolts_request(500)).await.unwrap();
    let placed = rig.next_placed().await.unwrap();
    let record = placed.stream.unwrap().finish().await.unwrap();
    rig.deepgram
        .finals_sent()
        .iter()
        .filter_map(|final_sent| record.frames.iter().find(|(at, _)| at > final_sent).map(|(at, _)| *at - *final_sent))
        .collect()
}

/// Calls are placed at this rate (a Twilio account's calls-per-second limit is of this order or
/// lower), as a campaign would start them.
const PLACED_PER_SECOND: u32 = 100;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).is_some_and(|arg| arg == SERVE_FAKES) {
        return fakes_process::serve(args.into_iter().skip(2)).expect("the fakes serve");
    }
    let benchmarking = args.iter().any(|arg| arg == "--bench");
    let number = |name: &str| {
        args.iter().position(|arg| arg == name).map(|at| {
            args.get(at + 1)
                .and_then(|value| value.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("{name} takes a number"))
        })
    };
    let only_calls = number("--calls").map(|calls| calls as usize);
    let speech = number("--speech").map(Duration::from_secs);
    let rate = number("--rate").map_or(PLACED_PER_SECOND, |rate| {
        u32::try_from(rate).ok().filter(|rate| *rate > 0).expect("--rate takes calls a second, at least 1")
    });
    let runs = number("--runs").map_or(5, |runs| runs as usize);
    let core = |name: &str, default: usize| number(name).map_or(default, |core| core as usize);
    // Pinned before any other thread starts: every thread of the engine inherits its core.
    let cores = benchmarking.then(|| Cores { engine: core("--engine-core", 0), fakes: core("--fakes-core", 1) });
    let mut fakes = FakesProcess::start(cores).expect("the fakes process starts");
    fakes.callee(capacity::callee()).expect("the fakes take the callee");
    // A worker per core the engine has, as the app's runtime.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (rigs, turns) = if benchmarking { (2, 100) } else { (1, 3) };
        if only_calls.is_none() {
            latency_figures(rigs, turns).await;
        }
        // The agent speaks long enough that every call is on the line at once for a while.
        let size = |calls: usize| {
            let placing = Duration::from_secs(calls as u64) / rate;
            let speech = speech.unwrap_or_else(|| Duration::from_secs(15).max(2 * placing));
            capacity::Size { calls, rate, speech, runs }
        };
        let sizes = match only_calls {
            Some(calls) => vec![size(calls)],
            None if benchmarking => vec![size(500), size(1000)],
            None => vec![capacity::Size { calls: 4, rate, speech: Duration::from_secs(1), runs: 1 }],
        };
        for size in &sizes {
            capacity::measure(&mut fakes, cores, size).await;
        }
    });
}

async fn latency_figures(rigs: usize, turns: usize) {
    let mut latencies: Vec<Duration> =
        futures_util::future::join_all((0..rigs).map(|_| turn_latencies(turns))).await.into_iter().flatten().collect();
    latencies.sort();
    assert!(!latencies.is_empty(), "no turn was measured");
    println!(
        "engine-added latency per turn (final result out of the fake Deepgram → first answer frame at the fake Twilio), \
             {} turns: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.9)),
        ms(percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap()),
    );
}
