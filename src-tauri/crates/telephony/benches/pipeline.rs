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

use std::time::Duration;

// The rig of the telephony tests; the bench uses only some of it.
#[path = "pipeline/capacity.rs"]
mod capacity;
#[path = "pipeline/fakes_process.rs"]
mod fakes_process;
#[allow(dead_code)]
#[path = "../tests/it/pipeline_rig.rs"]
mod pipeline_rig;
#[path = "pipeline/shared.rs"]
mod shared;

use fakes_process::{Cores, FakesProcess, SERVE_FAKES};

/// Calls are placed at this rate (a Twilio account's calls-per-second limit is of this order or
/// lower), as a campaign would start them.
const PLACED_PER_SECOND: u32 = 100;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).is_some_and(|arg| arg == SERVE_FAKES) {
        return fakes_process::serve(args.into_iter().skip(2)).expect("the fakes serve");
    }
    let benchmarking = args.iter().any(|arg| arg == "--bench");
    let number = |name: &str| shared::number(&args, name);
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
        let (calls, turns) = if benchmarking { (2, 100) } else { (1, 3) };
        if only_calls.is_none() {
            shared::engine_added_figures(calls, turns, 1).await;
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
