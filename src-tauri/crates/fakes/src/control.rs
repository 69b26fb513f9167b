//! The `switchboard-fakes` binary's control over its standard input and output, for a bench that
//! runs the engine in another process: one JSON [`Command`] a line in, one JSON [`Reply`] a line
//! out. It points the fake Twilio at the engine's listener, sets the callee every media stream
//! plays, and reports how the agent's audio arrived at the fake Twilio ([`StreamsReport`]).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    /// The agent's 20 ms frames received.
    pub frames: usize,
    /// Frames later than [`Thresholds::late`] after the one before within speech, leaving out
    /// gaps while the fake itself was starved (see [`MediaStreamRecord::paced_gaps`]).
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
    /// That time, and what happened in it, when there was one.
    pub all_speaking_window: Option<SpeakingWindow>,
    /// The streams' lengths added up, from the fake's `start` to the stream's end.
    pub stream_time: Duration,
}

/// The time every stream's agent was speaking at once: from the last stream's first frame to
/// the first stream's last frame, in microseconds since the Unix epoch (so that another
/// process can line its own measurements up with it), and the late frames and dry spells of
/// [`StreamsReport`] that fell within it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeakingWindow {
    pub from_unix_us: u64,
    pub until_unix_us: u64,
    pub late: usize,
    pub dry: usize,
}

impl StreamsReport {
    /// The report over `records`, and `failed` streams' reasons.
    pub fn of(records: &[MediaStreamRecord], failed: Vec<String>, thresholds: Thresholds) -> Self {
        let Thresholds { late, pause, starved } = thresholds;
        let mut report = Self { streams: records.len(), failed, ..Self::default() };
        let first_frames = records.iter().filter_map(|record| record.frames.first().map(|(at, _)| *at));
        let last_frames = records.iter().filter_map(|record| record.frames.last().map(|(at, _)| *at));
        let window = first_frames.max().zip(last_frames.min()).filter(|(from, until)| from < until);
        let within = |at: &Instant| window.is_some_and(|(from, until)| (from..=until).contains(at));
        let (mut late_within, mut dry_within) = (0, 0);
        for record in records {
            let (gaps, excused) = record.paced_gaps(pause, starved);
            let late_gaps = || gaps.iter().filter(|(_, gap)| *gap > late);
            report.late += late_gaps().count();
            late_within += late_gaps().filter(|(at, _)| within(at)).count();
            report.excused += excused;
            report.worst_gap = gaps.iter().map(|(_, gap)| *gap).fold(report.worst_gap, Duration::max);
            let dry = record.underruns_within_speech(pause, starved);
            report.dry += dry.len();
            dry_within += dry.iter().filter(|(at, _)| within(at)).count();
            report.frames += record.agent_frames();
            report.stream_time += record.lasted;
        }
        report.fewest_frames = records.iter().map(MediaStreamRecord::agent_frames).min().unwrap_or(0);
        if let Some((from, until)) = window {
            report.all_speaking = until - from;
            report.all_speaking_window = Some(SpeakingWindow {
                from_unix_us: unix_us(from),
                until_unix_us: unix_us(until),
                late: late_within,
                dry: dry_within,
            });
        }
        report
    }
}

/// `at` in microseconds since the Unix epoch.
fn unix_us(at: Instant) -> u64 {
    let (now, wall) = (Instant::now(), SystemTime::now());
    let then = match at.checked_duration_since(now) {
        Some(ahead) => wall + ahead,
        None => wall.checked_sub(now - at).unwrap_or(UNIX_EPOCH),
    };
    u64::try_from(then.duration_since(UNIX_EPOCH).unwrap_or_default().as_micros()).unwrap_or(u64::MAX)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A record of agent messages of `bytes` each arriving `at` ms after `base`.
    fn record(base: Instant, messages: &[(u64, usize)]) -> MediaStreamRecord {
        let frames = messages.iter().map(|(at, bytes)| (base + Duration::from_millis(*at), *bytes)).collect();
        MediaStreamRecord { frames, lasted: Duration::from_secs(1), ..MediaStreamRecord::default() }
    }

    #[test]
    fn messages_of_several_frames_are_late_only_past_their_audio_and_the_window_counts_its_own() {
        let base = Instant::now();
        // 100 ms messages, two of them 41 ms later than due: one while both streams speak.
        let long = [0, 100, 200, 300, 441, 541, 641, 741, 841, 982, 1082].map(|at| (at, 800));
        // Single frames, 300 to 700 ms.
        let short: Vec<(u64, usize)> = (0..=20).map(|n| (300 + 20 * n, 160)).collect();
        let thresholds = Thresholds {
            late: Duration::from_millis(40),
            pause: Duration::from_millis(200),
            starved: Duration::from_millis(10),
        };
        let report = StreamsReport::of(&[record(base, &long), record(base, &short)], Vec::new(), thresholds);
        assert_eq!((report.frames, report.fewest_frames, report.late), (76, 21, 2), "{report:?}");
        assert_eq!(report.worst_gap, Duration::from_millis(61));
        assert_eq!(report.all_speaking, Duration::from_millis(400));
        let window = report.all_speaking_window.expect("both spoke at once");
        assert_eq!((window.late, window.dry), (1, 0));
        assert!((window.until_unix_us - window.from_unix_us).abs_diff(400_000) < 1_000, "{window:?}");
    }
}
