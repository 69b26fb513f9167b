//! How many concurrent calls one engine core carries: the engine in this process, the fakes in
//! their own ([`FakesProcess`]), each pinned to a core of its own in a benchmark run. Calls are
//! placed at a steady rate and the agent speaks in each; per run it measures the engine
//! process's own CPU per call (its CPU time ÷ the calls' stream time, as % of a core), late
//! frames as the engine sent them ([`pacing_totals`]) and as the fake Twilio received them, the
//! times Twilio's buffer ran dry, and what else ran on each core meanwhile (from /proc/stat).
//! Each size runs several times and ends with a summary line of the medians and one of the worst.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_fakes::control::{StreamsReport, Thresholds};
use switchboard_fakes::fixtures;
use switchboard_fakes::twilio_media::CallerStep;
use switchboard_sim::{Cast, SimSettings};
use switchboard_telephony::backends::ReconcileSettings;
use switchboard_voice::{LATE_AFTER, pacing_totals};

use crate::fakes_process::{Cores, FakesProcess, TTS_MS_PER_CHAR};
use crate::pipeline_rig::start_switchboard;

/// What counts as late at the fake Twilio: the engine's own count uses the same 40 ms; gaps of
/// 200 ms or more are pauses between utterances; the fake's own clock ticking 10 ms late means
/// it was starved of CPU.
const THRESHOLDS: Thresholds =
    Thresholds { late: LATE_AFTER, pause: Duration::from_millis(200), starved: Duration::from_millis(10) };

/// One size's runs.
pub struct Size {
    pub calls: usize,
    /// Calls placed a second.
    pub rate: u32,
    /// How long the agent speaks in each call.
    pub speech: Duration,
    pub runs: usize,
}

/// One run's figures.
#[derive(Debug, Clone, Copy, Default)]
struct Run {
    /// The engine process's CPU per call, in % of a core.
    cpu_pct_per_call: f64,
    late_sent: u64,
    late_received: usize,
    dry: usize,
}

/// Runs `size` `size.runs` times against `fakes` and prints a line per run and the summary.
pub async fn measure(fakes: &mut FakesProcess, cores: Option<Cores>, size: &Size) {
    let mut runs = Vec::new();
    for run in 1..=size.runs {
        runs.push(once(fakes, cores, size, run).await);
    }
    // Unpinned (a smoke run), the engine has every core.
    let engine_cores = if cores.is_some() { 1 } else { std::thread::available_parallelism().map_or(1, usize::from) };
    let summary = |name: &str, pick: fn(Vec<f64>) -> f64| {
        let figure = |of: fn(&Run) -> f64| pick(runs.iter().map(of).collect());
        println!(
            "{name} calls={} engine_cores={engine_cores} engine_cpu_pct_per_call={:.3} late_sent={} late_received={} \
             dry={} runs={}",
            size.calls,
            figure(|run| run.cpu_pct_per_call),
            figure(|run| run.late_sent as f64),
            figure(|run| run.late_received as f64),
            figure(|run| run.dry as f64),
            runs.len(),
        );
    };
    summary("pipeline-capacity", median);
    summary("pipeline-capacity-worst", |figures| figures.into_iter().fold(0.0, f64::max));
}

/// The median of `figures` (the lower middle one of an even count).
fn median(mut figures: Vec<f64>) -> f64 {
    figures.sort_by(f64::total_cmp);
    figures.get(figures.len().saturating_sub(1) / 2).copied().unwrap_or_default()
}

async fn once(fakes: &mut FakesProcess, cores: Option<Cores>, size: &Size, run: usize) -> Run {
    let chars = (size.speech.as_millis() / u128::from(TTS_MS_PER_CHAR)) as usize;
    let greeting: String = "We are calling about a quote for your bolts. ".chars().cycle().take(chars).collect();
    let (store, agent, contacts) = crate::shared::store(Some(greeting.trim()), size.calls);
    let endpoints = fakes.endpoints().expect("the fakes' addresses");
    let sim = SimSettings { cast: Cast::Cooperative, ..SimSettings::default() };
    let (switchboard, bound) =
        start_switchboard(store, None, endpoints, ReconcileSettings::default(), sim).await.expect("Switchboard starts");
    fakes.tunnel_to(bound).expect("the fakes take the tunnel");
    let engine = Arc::clone(&switchboard.engine);
    let fakes_pid = fakes.pid();
    let before = Sample::take(fakes_pid, cores);
    let started = Instant::now();
    let mut placing = tokio::time::interval(Duration::from_secs(1) / size.rate);
    for contact in &contacts {
        placing.tick().await;
        engine.start_quote_call(*contact, agent, &fixtures::bolts_request(500)).await.expect("the call is placed");
    }
    let calls = size.calls;
    // The report blocks its thread until every stream has ended.
    let report = tokio::task::block_in_place(|| fakes.report(calls, THRESHOLDS)).expect("the fakes report");
    let wall = started.elapsed();
    let after = Sample::take(fakes_pid, cores);
    drop(switchboard);
    print_run(size, run, &report, &before, &after, wall)
}

fn print_run(size: &Size, run: usize, report: &StreamsReport, before: &Sample, after: &Sample, wall: Duration) -> Run {
    let seconds = |of: fn(&Sample) -> Option<Duration>| {
        of(after).zip(of(before)).map_or(f64::NAN, |(after, before)| after.saturating_sub(before).as_secs_f64())
    };
    let engine_cpu = seconds(|sample| sample.engine);
    let stream_time = report.stream_time.as_secs_f64();
    let cpu_pct_per_call = 100.0 * engine_cpu / stream_time;
    let wall_s = wall.as_secs_f64();
    let cores = |busy: f64, own: f64| (busy - own) / wall_s;
    let fakes_cpu = seconds(|sample| sample.fakes);
    let result = Run {
        cpu_pct_per_call,
        late_sent: after.pacing_late - before.pacing_late,
        late_received: report.late,
        dry: report.dry,
    };
    println!(
        "pipeline-capacity-run calls={} run={run} engine_cpu_pct_per_call={:.3} calls_per_engine_core={:.0} \
         late_sent={} late_received={} dry={} excused={} worst_gap_ms={:.1} frames={} fewest_frames={} \
         all_speaking_s={:.1} failed={} engine_cpu_cores={:.2} fakes_cpu_cores={:.2} others_on_engine_core={:.2} \
         others_on_fakes_core={:.2} stolen_cores={:.2} wall_s={:.1}",
        size.calls,
        cpu_pct_per_call,
        100.0 / cpu_pct_per_call,
        result.late_sent,
        result.late_received,
        result.dry,
        report.excused,
        report.worst_gap.as_secs_f64() * 1000.0,
        report.frames,
        report.fewest_frames,
        report.all_speaking.as_secs_f64(),
        report.failed.len(),
        engine_cpu / wall_s,
        fakes_cpu / wall_s,
        cores(seconds(|sample| sample.engine_core_busy), engine_cpu),
        cores(seconds(|sample| sample.fakes_core_busy), fakes_cpu),
        seconds(|sample| sample.stolen) / wall_s,
        wall_s,
    );
    if let Some(why) = report.failed.first() {
        println!("  first of {} failed streams: {why}", report.failed.len());
    }
    result
}

/// CPU times at one moment, from /proc (None where Linux's /proc does not tell).
struct Sample {
    engine: Option<Duration>,
    fakes: Option<Duration>,
    /// Time each pinned core was busy (with anything), and the time the hypervisor took from
    /// all of them.
    engine_core_busy: Option<Duration>,
    fakes_core_busy: Option<Duration>,
    stolen: Option<Duration>,
    pacing_late: u64,
}

impl Sample {
    fn take(fakes: u32, cores: Option<Cores>) -> Self {
        let stat = std::fs::read_to_string("/proc/stat").ok();
        let core = |core: Option<usize>| core.and_then(|core| busy(stat.as_deref()?, &format!("cpu{core} ")));
        Self {
            engine: process_cpu("self"),
            fakes: process_cpu(&fakes.to_string()),
            engine_core_busy: core(cores.map(|cores| cores.engine)),
            fakes_core_busy: core(cores.map(|cores| cores.fakes)),
            stolen: stat.as_deref().and_then(stolen),
            pacing_late: pacing_totals().late,
        }
    }
}

/// The kernel's USER_HZ is 100 on every Linux this runs on.
fn ticks(ticks: u64) -> Duration {
    Duration::from_millis(ticks * 10)
}

/// A core's busy time (user, nice, system, irq, softirq) from its /proc/stat line.
fn busy(stat: &str, prefix: &str) -> Option<Duration> {
    let line = stat.lines().find(|line| line.starts_with(prefix))?;
    let fields: Vec<u64> = line.split_whitespace().skip(1).map_while(|field| field.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal …
    Some(ticks(fields.first()? + fields.get(1)? + fields.get(2)? + fields.get(5)? + fields.get(6)?))
}

/// The time the hypervisor gave this machine's CPUs to others (all CPUs together).
fn stolen(stat: &str) -> Option<Duration> {
    Some(ticks(stat.lines().next()?.split_whitespace().nth(8)?.parse().ok()?))
}

/// The CPU time (user and system) of process `pid` (or `self`).
fn process_cpu(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(ticks(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?))
}

/// The callee's script: waits for the agent to finish, then hangs up.
pub fn callee() -> Vec<CallerStep> {
    vec![CallerStep::WaitForAgent(Duration::from_millis(200)), CallerStep::HangUp]
}
