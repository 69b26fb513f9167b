//! The `switchboard-fakes` binary's control over its standard input and output, for a bench that
//! runs the engine in another process: one JSON [`Command`] a line in, one JSON [`Reply`] a line
//! out. It points the fake Twilio at the engine's listener, sets the callee every media stream
//! plays, and reports how the agent's audio arrived at the fake Twilio ([`StreamsReport`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::twilio::{FakeTwilio, StreamCallee};
use crate::twilio_media::{CallerStep, MediaStreamRecord};

/// What the fakes are told to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Sockets and callbacks under `public_base` (the listener's public URL) go to `local_base`.
    Tunnel { public_base: String, local_base: String },
    /// From now on every media stream is joined by a callee playing `script`.
    StreamCallee { script: Vec<CallerStep> },
    /// Waits for the next `streams` joined streams to end, and reports them.
    Report { streams: usize, thresholds: Thresholds },
}

/// The answer to a [`Command`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Done,
    Report(StreamsReport),
    /// The line was not a command.
    Unreadable(String),
}

/// What counts as a late frame, a pause and a starved fake (see [`MediaStreamRecord::paced_gaps`]).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Thresholds {
    /// A frame arriving later than this after the one before is late.
    pub late: Duration,
    /// Gaps this long or longer are pauses between utterances.
    pub pause: Duration,
    /// The fake's own clock ticking this late means it was starved of CPU.
    pub starved: Duration,
}

/// How the agent's audio arrived at the fake Twilio, over a set of streams.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamsReport {
    /// Streams that ended with a record.
    pub streams: usize,
    /// Why each other stream could not be joined or ended in error.
    pub failed: Vec<String>,
    /// The agent's frames received.
    pub frames: usize,
    /// Frames later than [`Thresholds::late`] after the one before within speech, leaving out
    /// gaps while the fake itself was starved.
    pub late: usize,
    /// Late frames left out because the fake itself was starved meanwhile.
    pub excused: usize,
    /// The times the caller's playback buffer ran dry mid-speech (a hole the caller hears).
    pub dry: usize,
    /// The longest gap between two frames within speech.
    pub worst_gap: Duration,
    /// The fewest frames any stream received.
    pub fewest_frames: usize,
    /// How long every stream's agent was speaking at once.
    pub all_speaking: Duration,
    /// The streams' lengths added up, from the fake's `start` to the stream's end.
    pub stream_time: Duration,
}

impl StreamsReport {
    /// The report over `records`, and `failed` streams' reasons.
    pub fn of(records: &[MediaStreamRecord], failed: Vec<String>, thresholds: Thresholds) -> Self {
        let Thresholds { late, pause, starved } = thresholds;
        let mut report = Self { streams: records.len(), failed, ..Self::default() };
        for record in records {
            let (gaps, excused) = record.paced_gaps(pause, starved);
            report.late += gaps.iter().filter(|(_, gap)| *gap > late).count();
            report.excused += excused;
            report.worst_gap = gaps.iter().map(|(_, gap)| *gap).fold(report.worst_gap, Duration::max);
            report.dry += record.underruns_within_speech(pause, starved).len();
            report.frames += record.frames.len();
            report.stream_time += record.lasted;
        }
        report.fewest_frames = records.iter().map(|record| record.frames.len()).min().unwrap_or(0);
        let first_frames = records.iter().filter_map(|record| record.frames.first().map(|(at, _)| *at));
        let last_frames = records.iter().filter_map(|record| record.frames.last().map(|(at, _)| *at));
        if let (Some(all_started), Some(first_done)) = (first_frames.max(), last_frames.min()) {
            report.all_speaking = first_done.saturating_duration_since(all_started);
        }
        report
    }
}

/// Carries out `command` on `twilio`; the answer to write back.
pub async fn obey(twilio: &FakeTwilio, command: Command) -> Reply {
    match command {
        Command::Tunnel { public_base, local_base } => {
            twilio.tunnel(&public_base, &local_base);
            Reply::Done
        }
        Command::StreamCallee { script } => {
            twilio.stream_callee(StreamCallee { script, ..StreamCallee::default() });
            Reply::Done
        }
        Command::Report { streams, thresholds } => {
            let (mut records, mut failed) = (Vec::with_capacity(streams), Vec::new());
            let mut joined = Vec::with_capacity(streams);
            for _ in 0..streams {
                match twilio.next_stream().await {
                    Some(stream) => joined.push(stream),
                    None => failed.push("no stream joined within 10 s".to_owned()),
                }
            }
            for joined in joined {
                let record = match joined.stream {
                    Ok(stream) => stream.finish().await,
                    Err(error) => Err(error),
                };
                match record {
                    Ok(record) => records.push(record),
                    Err(error) => failed.push(format!("stream {}: {error}", joined.stream_sid)),
                }
            }
            Reply::Report(StreamsReport::of(&records, failed, thresholds))
        }
    }
}
