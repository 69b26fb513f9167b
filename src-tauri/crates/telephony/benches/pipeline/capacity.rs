//! How many concurrent calls one engine core carries: the engine in this process, the fakes in
//! their own ([`FakesProcess`]), each pinned to a core of its own in a benchmark run. Calls are
//! placed at a steady rate and the agent speaks in each. "Calls a core" is a steady-state
//! figure, so per run it measures the engine process's own CPU while every call is on the line
//! and its agent speaking (the window the fake Twilio reports; a sampler thread reads the
//! process's CPU time through it), as % of a core per call; setting up and ending the calls
//! apart, as CPU ms per call (the run's CPU beyond that rate over the calls' stream time); late
//! frames as the engine sent them ([`pacing_totals`]) and as the fake Twilio received them,
//! and the times Twilio's buffer ran dry, in the same window (and over the whole run); and
//! what else ran on each core meanwhile (from /proc/stat). Each size runs several times and
//! ends with a summary line of the medians and one of the worst.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use switchboard_fakes::control::{SpeakingWindow, StreamsReport, Thresholds};
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

/// How often the sampler reads the engine's CPU time (the window's edges are this exact).
const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// One run's figures; counts are over the window when every call's agent was speaking.
#[derive(Debug, Clone, Copy, Default)]
struct Run {
    /// The engine process's CPU per call in that window, in % of a core.
    cpu_pct_per_call: f64,
    /// The rest of the run's CPU (placing and ending the calls), per call.
    setup_cpu_ms_per_call: f64,
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
             dry={} runs={} setup_cpu_ms_per_call={:.2}",
            size.calls,
            figure(|run| run.cpu_pct_per_call),
            figure(|run| run.late_sent as f64),
            figure(|run| run.late_received as f64),
            figure(|run| run.dry as f64),
            runs.len(),
            figure(|run| run.setup_cpu_ms_per_call),
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
    let sampler = Sampler::start();
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
    let ticks = sampler.stop();
    drop(switchboard);
    let window = report.all_speaking_window.and_then(|window| Window::of(&ticks, window));
    print_run(size, run, &report, window, (&before, &after), wall)
}

fn print_run(
    size: &Size,
    run: usize,
    report: &StreamsReport,
    window: Option<Window>,
    (before, after): (&Sample, &Sample),
    wall: Duration,
) -> Run {
    let seconds = |of: fn(&Sample) -> Option<Duration>| {
        of(after).zip(of(before)).map_or(f64::NAN, |(after, before)| after.saturating_sub(before).as_secs_f64())
    };
    let calls = size.calls as f64;
    let engine_cpu = seconds(|sample| sample.engine);
    let stream_time = report.stream_time.as_secs_f64();
    // Steady state: the window's CPU per call-second; the rest of the run's CPU is placing and ending.
    let cpu_pct_per_call = window.map_or(f64::NAN, |window| 100.0 * window.cpu_s / (calls * window.seconds));
    let setup_cpu_ms_per_call = 1000.0 * (engine_cpu - cpu_pct_per_call / 100.0 * stream_time) / calls;
    let wall_s = wall.as_secs_f64();
    let cores = |busy: f64, own: f64| (busy - own) / wall_s;
    let fakes_cpu = seconds(|sample| sample.fakes);
    let result = Run {
        cpu_pct_per_call,
        setup_cpu_ms_per_call,
        late_sent: window.map_or(0, |window| window.late_sent),
        late_received: report.all_speaking_window.map_or(0, |window| window.late),
        dry: report.all_speaking_window.map_or(0, |window| window.dry),
    };
    println!(
        "pipeline-capacity-run calls={} run={run} engine_cpu_pct_per_call={:.3} calls_per_engine_core={:.0} \
         setup_cpu_ms_per_call={:.2} late_sent={} late_received={} dry={} all_speaking_s={:.1} \
         run_cpu_pct_per_call={:.3} run_late_sent={} run_late_received={} run_dry={} excused={} worst_gap_ms={:.1} \
         frames={} fewest_frames={} failed={} engine_cpu_cores={:.2} fakes_cpu_cores={:.2} \
         others_on_engine_core={:.2} others_on_fakes_core={:.2} stolen_cores={:.2} wall_s={:.1}",
        size.calls,
        cpu_pct_per_call,
        100.0 / cpu_pct_per_call,
        setup_cpu_ms_per_call,
        result.late_sent,
        result.late_received,
        result.dry,
        window.map_or(0.0, |window| window.seconds),
        100.0 * engine_cpu / stream_time,
        after.pacing_late - before.pacing_late,
        report.late,
        report.dry,
        report.excused,
        report.worst_gap.as_secs_f64() * 1000.0,
        report.frames,
        report.fewest_frames,
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
    if window.is_none() {
        println!("  the calls were never all speaking at once: no steady-state figure");
    }
    result
}

/// The engine's CPU time and late frames as sent, read every [`SAMPLE_EVERY`] on a thread of
/// its own (on the engine's core, as every thread of this process).
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<Tick>>,
}

/// One reading of the sampler.
#[derive(Debug, Clone, Copy)]
struct Tick {
    unix_us: u64,
    cpu: Duration,
    late_sent: u64,
}

impl Sampler {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut ticks = Vec::new();
            while !stopped.load(Ordering::Relaxed) {
                let unix_us = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |now| now.as_micros() as u64);
                if let Some(cpu) = process_cpu("self") {
                    ticks.push(Tick { unix_us, cpu, late_sent: pacing_totals().late });
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
            ticks
        });
        Self { stop, thread }
    }

    fn stop(self) -> Vec<Tick> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the sampler ends")
    }
}

/// The engine's share of the window when every call's agent was speaking: between the first
/// reading in it and the last.
#[derive(Debug, Clone, Copy)]
struct Window {
    seconds: f64,
    cpu_s: f64,
    late_sent: u64,
}

impl Window {
    fn of(ticks: &[Tick], speaking: SpeakingWindow) -> Option<Self> {
        let first = ticks.iter().find(|tick| tick.unix_us >= speaking.from_unix_us)?;
        let last = ticks.iter().rev().find(|tick| tick.unix_us <= speaking.until_unix_us)?;
        (last.unix_us > first.unix_us).then(|| Self {
            seconds: (last.unix_us - first.unix_us) as f64 / 1e6,
            cpu_s: last.cpu.saturating_sub(first.cpu).as_secs_f64(),
            late_sent: last.late_sent - first.late_sent,
        })
    }
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
