//! The realtime pipeline under load, against zero-latency loopback fakes: engine-added latency
//! per turn (from Deepgram's final result leaving the fake to the answer's first frame reaching
//! the fake Twilio — everything the engine does in between, plus the loopback hops and the
//! fakes' own work) and concurrent calls with the agent speaking, counting late frames (more
//! than 40 ms after the one before while the agent speaks) and holes in the audio Twilio
//! would play. The fakes run in the same process and take their share of the CPU (the fake
//! Twilio's media streams on a thread of their own, as Twilio's own machines would time the
//! frames they receive).
//! `cargo bench -p switchboard-telephony --bench pipeline` prints the figures (`-- --calls N` runs only
//! N concurrent calls, e.g. under a profiler; `--speech S` makes the agent speak S seconds instead
//! of 15, e.g. 1 to see what placing and ending calls costs; `--rate R` places R calls a second
//! instead of 100); under `cargo test` it runs a few turns and calls as a smoke test.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_core::{AgentId, BackendKind, ContactId, UnixMillis};
use switchboard_engine::sample;
use switchboard_fakes::anthropic::{Reply, scripted};
use switchboard_fakes::fixtures;
use switchboard_fakes::twilio_media::{CallerStep, MediaStreamRecord};
use switchboard_store::Store;
use switchboard_voice::{LATE_AFTER, pacing_totals};

// The rig of the telephony tests; the bench uses only some of it.
#[allow(dead_code)]
#[path = "../tests/it/pipeline_rig.rs"]
mod pipeline_rig;

use pipeline_rig::{PipelineRig, RigSettings};

/// A frame later than this after the one before is late (the engine's own pacing count uses the same).
const LATE: Duration = LATE_AFTER;
/// Gaps longer than this are pauses between utterances, not late frames.
const PAUSE: Duration = Duration::from_millis(200);
/// The fake Twilio's own clock ticking this late means the process was starved of CPU.
const STARVED: Duration = Duration::from_millis(10);

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

/// `calls` calls placed at `rate` a second, the agent speaking for `speech` in each; the
/// fake Twilio's records of all, and the wall time.
async fn concurrent_calls(calls: usize, rate: u32, speech: Duration) -> (Vec<MediaStreamRecord>, Duration) {
    let chars = (speech.as_millis() / 20) as usize;
    let greeting: String = "We are calling about a quote for your bolts. ".chars().cycle().take(chars).collect();
    let (store, agent, contacts) = store(greeting.trim(), calls);
    let script = vec![CallerStep::WaitForAgent(Duration::from_millis(200)), CallerStep::HangUp];
    let settings =
        RigSettings { responder: scripted(Vec::new()), ms_per_char: 20, script, wrong_token: false, keep_audio: false };
    let mut rig = PipelineRig::start(store, None, settings).await.unwrap();
    let engine = Arc::clone(rig.engine());
    let started = Instant::now();
    let mut placing = tokio::time::interval(Duration::from_secs(1) / rate);
    for contact in &contacts {
        placing.tick().await;
        engine.start_quote_call(*contact, agent, &fixtures::bolts_request(500)).await.unwrap();
    }
    let mut placed = Vec::new();
    for _ in 0..calls {
        placed.push(rig.next_placed().await.unwrap());
    }
    let mut records = Vec::new();
    for call in placed {
        records.push(call.stream.unwrap().finish().await.unwrap());
    }
    (records, started.elapsed())
}

/// How long every call's agent was speaking at once (from the last call's first frame to the
/// first call's last frame).
fn all_speaking(records: &[MediaStreamRecord]) -> Duration {
    let first_frames = records.iter().filter_map(|record| record.frames.first().map(|(at, _)| *at));
    let last_frames = records.iter().filter_map(|record| record.frames.last().map(|(at, _)| *at));
    match (first_frames.max(), last_frames.min()) {
        (Some(all_started), Some(first_done)) => first_done.saturating_duration_since(all_started),
        _ => Duration::ZERO,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let benchmarking = args.iter().any(|arg| arg == "--bench");
    let number = |name: &str| {
        args.iter().position(|arg| arg == name).map(|at| {
            args.get(at + 1)
                .and_then(|value| value.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("{name} takes a number"))
        })
    };
    let only_calls = number("--calls").map(|calls| calls as usize);
    let speech = Duration::from_secs(number("--speech").unwrap_or(15));
    let rate = number("--rate").map_or(PLACED_PER_SECOND, |rate| {
        u32::try_from(rate).ok().filter(|rate| *rate > 0).expect("--rate takes calls a second, at least 1")
    });
    // A worker per core, as the app's runtime.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (rigs, turns) = if benchmarking { (2, 100) } else { (1, 3) };
        if only_calls.is_none() {
            latency_figures(rigs, turns).await;
        }
        let (sizes, speech): (Vec<usize>, Duration) = match only_calls {
            Some(calls) => (vec![calls], speech),
            None if benchmarking => (vec![100, 300, 400, 500], speech),
            None => (vec![4], Duration::from_secs(1)),
        };
        for calls in sizes {
            concurrency_figures(calls, rate, speech).await;
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

async fn concurrency_figures(calls: usize, rate: u32, speech: Duration) {
    let (cpu_before, steal_before, pacing_before) = (cpu_time(), stolen_time(), pacing_totals());
    let watch = StallWatch::start();
    let (records, wall) = concurrent_calls(calls, rate, speech).await;
    let stalls = watch.finish();
    let pacing = pacing_totals();
    let cpu = cpu_time().zip(cpu_before).map(|(after, before)| after.saturating_sub(before));
    let steal = stolen_time().zip(steal_before).map(|(after, before)| after.saturating_sub(before));
    let (mut gaps, mut excused) = (Vec::new(), 0);
    for record in &records {
        let (paced, starved) = record.paced_gaps(PAUSE, STARVED);
        gaps.extend(paced);
        excused += starved;
    }
    let frames: usize = records.iter().map(|record| record.frames.len()).sum();
    let [placing, speaking, ending] = late_by_phase(&records, &gaps);
    let in_stalls = gaps.iter().filter(|(at, gap)| *gap > LATE && during_stall(&stalls, *at - *gap, *at)).count();
    let mut gaps: Vec<Duration> = gaps.into_iter().map(|(_, gap)| gap).collect();
    gaps.sort();
    let late = gaps.iter().filter(|gap| **gap > LATE).count();
    let worst = gaps.last().copied().unwrap_or_default();
    // Every gap, those while the fake's own clock ticked late included.
    let late_counting_all: usize = records
        .iter()
        .map(|record| record.gaps_within_speech(PAUSE).into_iter().filter(|gap| *gap > LATE).count())
        .sum();
    let holes: usize = records.iter().map(|record| record.underruns_within_speech(PAUSE, STARVED).len()).sum();
    let short = records.iter().filter(|record| record.frames.len() * 20 < speech.as_millis() as usize).count();
    println!(
        "{calls} concurrent calls (placed {rate}/s, all {calls} speaking at once for {:.1} s), {:.1} s of \
         agent speech each: {frames} frames, {late} late (> 40 ms after the one before; {placing} while calls were \
         being placed, {speaking} while all spoke, {ending} while calls were ending; {in_stalls} of them across one of \
         the {} times the machine stalled {} ms or more), gap p99.9 {:.1} ms, worst \
         {:.1} ms, {holes} times Twilio's buffer ran dry mid-speech, {excused} gaps left out (the fake Twilio \
         itself starved; counting them too, {late_counting_all} late), {short} calls short of audio; as the engine \
         sent them: {} late; wall {:.1} s, CPU {} (fakes included), stolen by the hypervisor {}",
        all_speaking(&records).as_secs_f64(),
        speech.as_secs_f64(),
        stalls.len(),
        STALL.as_millis(),
        ms(if gaps.is_empty() { Duration::ZERO } else { percentile(&gaps, 0.999) }),
        ms(worst),
        pacing.late - pacing_before.late,
        wall.as_secs_f64(),
        cpu.map_or("unknown".to_owned(), |cpu| format!(
            "{:.1} s = {:.2} cores",
            cpu.as_secs_f64(),
            cpu.as_secs_f64() / wall.as_secs_f64()
        )),
        steal.map_or("unknown".to_owned(), |steal| format!("{:.2} cores", steal.as_secs_f64() / wall.as_secs_f64())),
    );
}

/// A thread waking this late (outside the runtime, every [`WATCH_EVERY`]) means the machine did
/// not run it: the hypervisor took the CPU, or the kernel held it.
const STALL: Duration = Duration::from_millis(8);
const WATCH_EVERY: Duration = Duration::from_millis(2);

/// Watches for the machine stalling, from a thread of its own that sleeps [`WATCH_EVERY`] at a
/// time: no code in the process can keep pace through such a stall, so late frames across one
/// are told apart (and still counted).
struct StallWatch {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Vec<(Instant, Duration)>>,
}

impl StallWatch {
    fn start() -> Self {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopping = std::sync::Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut stalls = Vec::new();
            while !stopping.load(std::sync::atomic::Ordering::Relaxed) {
                let due = Instant::now() + WATCH_EVERY;
                std::thread::sleep(WATCH_EVERY);
                let late = Instant::now().saturating_duration_since(due);
                if late >= STALL {
                    stalls.push((Instant::now(), late));
                }
            }
            stalls
        });
        Self { stop, thread }
    }

    /// Every stall seen: when the thread woke, and how late.
    fn finish(self) -> Vec<(Instant, Duration)> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().expect("the stall watch does not panic")
    }
}

/// Whether a stall overlaps `from`..`to`.
fn during_stall(stalls: &[(Instant, Duration)], from: Instant, to: Instant) -> bool {
    stalls.iter().any(|(woke, late)| *woke >= from && *woke - *late <= to)
}

/// The late frames among `gaps` (arrival, gap) while calls were still being placed, while all
/// spoke, and once calls had begun to end.
fn late_by_phase(records: &[MediaStreamRecord], gaps: &[(Instant, Duration)]) -> [usize; 3] {
    let all_started = records.iter().filter_map(|record| record.frames.first().map(|(at, _)| *at)).max();
    let first_done = records.iter().filter_map(|record| record.frames.last().map(|(at, _)| *at)).min();
    let (Some(all_started), Some(first_done)) = (all_started, first_done) else { return [0; 3] };
    let mut phases = [0; 3];
    for (at, _) in gaps.iter().filter(|(_, gap)| *gap > LATE) {
        phases[if *at <= all_started {
            0
        } else if *at <= first_done {
            1
        } else {
            2
        }] += 1;
    }
    phases
}

/// The time the hypervisor gave this virtual machine's CPUs to others (all CPUs together),
/// where Linux's /proc tells it.
fn stolen_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    // cpu  user nice system idle iowait irq softirq steal …
    let steal: u64 = stat.lines().next()?.split_whitespace().nth(8)?.parse().ok()?;
    // The kernel's USER_HZ is 100 on every Linux this runs on.
    Some(Duration::from_millis(steal * 10))
}

/// The CPU time this process has used (user and system), where Linux's /proc tells it.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The kernel's USER_HZ is 100 on every Linux this runs on.
    Some(Duration::from_millis(ticks * 10))
}
