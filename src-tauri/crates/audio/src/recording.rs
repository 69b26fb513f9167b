//! Two-track call recordings written as they happen: a stereo 16-bit WAV at 8 kHz, channel 0 the
//! caller (the far end: Twilio's inbound track), channel 1 the agent (what Switchboard sent).
//!
//! Why this format: both parties arrive as 8 kHz mu-law, so 8 kHz keeps every sample and invents
//! none; 16-bit linear PCM is what every player and `hound` read (WAV's mu-law format tag is not
//! widely played); one track per party lets review mute or meter either side and keeps overlapping
//! speech (barge-in) apart. 32 kB per second, about 1.9 MB a minute.
//!
//! Alignment: each frame is placed at its timestamp (milliseconds since the call's media started)
//! on its party's track. A gap before a frame is filled with silence; a frame stamped earlier than
//! where its track has got to (jitter, or a frame that came late) goes right after what is there,
//! so no audio is dropped. One track may run up to a second ahead of the other before the lagging
//! track is padded with silence and the file written up to there, which keeps memory bounded when
//! one side is silent (the agent sends nothing while listening). The header is brought up to date
//! every 5 seconds of audio, so a file cut short by a crash still opens.

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use hound::{SampleFormat, WavSpec, WavWriter};

use crate::error::{AudioError, Result};
use crate::heard::{HeardTimer, HeardTimes};
use crate::mulaw::decode_sample;

/// Sample rate of call recordings.
pub const RECORDING_RATE: u32 = 8000;
/// How far one track may run ahead of the other, in frames (1 s).
const MAX_SKEW: u64 = RECORDING_RATE as u64;
/// Frames written to the file at a time (200 ms).
const WRITE_CHUNK: u64 = RECORDING_RATE as u64 / 5;
/// How often the header is updated, in frames (5 s).
const HEADER_EVERY: u64 = 5 * RECORDING_RATE as u64;

/// A party of a call, and so a track of its recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The person called: channel 0.
    Caller,
    /// The AI agent: channel 1.
    Agent,
}

impl Party {
    pub fn channel(self) -> usize {
        match self {
            Party::Caller => 0,
            Party::Agent => 1,
        }
    }
}

/// Writes a call's two tracks to a WAV file as frames arrive.
pub struct CallRecorder {
    path: PathBuf,
    writer: WavWriter<BufWriter<File>>,
    /// Per track, the samples from frame `written` on that are not in the file yet.
    tracks: [VecDeque<i16>; 2],
    written: u64,
    header_written_at: u64,
    /// What the callee heard when, read from the samples as they are written.
    heard: HeardTimer,
}

impl CallRecorder {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: &Path) -> Result<Self> {
        let spec =
            WavSpec { channels: 2, sample_rate: RECORDING_RATE, bits_per_sample: 16, sample_format: SampleFormat::Int };
        let mut writer =
            WavWriter::create(path, spec).map_err(|source| AudioError::Wav { path: path.to_owned(), source })?;
        // Sizes hound's sample buffer for a chunk now, so that writing never allocates.
        let _sized = writer.get_i16_writer(2 * WRITE_CHUNK as u32);
        let capacity = 2 * MAX_SKEW as usize + RECORDING_RATE as usize;
        Ok(Self {
            path: path.to_owned(),
            writer,
            tracks: [VecDeque::with_capacity(capacity), VecDeque::with_capacity(capacity)],
            written: 0,
            header_written_at: 0,
            heard: HeardTimer::default(),
        })
    }

    /// Adds mu-law audio of `party` that started `at_ms` after the call's media began.
    pub fn push_mulaw(&mut self, party: Party, at_ms: u64, codes: &[u8]) -> Result<()> {
        self.pad_until(party, at_ms)?;
        self.tracks[party.channel()].extend(codes.iter().map(|&code| decode_sample(code)));
        self.commit()
    }

    /// Adds 8 kHz linear audio of `party` that started `at_ms` after the call's media began.
    pub fn push(&mut self, party: Party, at_ms: u64, samples: &[i16]) -> Result<()> {
        self.pad_until(party, at_ms)?;
        self.tracks[party.channel()].extend(samples);
        self.commit()
    }

    /// Length recorded so far (both tracks, written or not), in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.end(0).max(self.end(1)) * 1000 / u64::from(RECORDING_RATE)
    }

    /// Pads the shorter track with silence, writes everything and completes the file; returns its
    /// length in milliseconds.
    pub fn finish(self) -> Result<u64> {
        Ok(self.finish_heard()?.0)
    }

    /// As [`CallRecorder::finish`], with what the callee heard when.
    pub fn finish_heard(mut self) -> Result<(u64, HeardTimes)> {
        let end = self.end(0).max(self.end(1));
        self.write_until(end)?;
        let path = self.path;
        self.writer.finalize().map_err(|source| AudioError::Wav { path, source })?;
        Ok((end * 1000 / u64::from(RECORDING_RATE), self.heard.times().clone()))
    }

    /// Frame just after the last sample of `track`.
    fn end(&self, track: usize) -> u64 {
        self.written + self.tracks[track].len() as u64
    }

    /// Fills `party`'s track with silence up to `at_ms`, in steps that let the file catch up.
    fn pad_until(&mut self, party: Party, at_ms: u64) -> Result<()> {
        let start = at_ms * u64::from(RECORDING_RATE) / 1000;
        let track = party.channel();
        while self.end(track) < start {
            let gap = (start - self.end(track)).min(MAX_SKEW);
            self.tracks[track].extend(std::iter::repeat_n(0, gap as usize));
            self.commit()?;
        }
        Ok(())
    }

    /// Writes what both tracks have, and more when one runs too far ahead.
    fn commit(&mut self) -> Result<()> {
        let (first, second) = (self.end(0), self.end(1));
        let lagging = first.min(second);
        let leading = first.max(second);
        self.write_until(lagging.max(leading.saturating_sub(MAX_SKEW)))
    }

    fn write_until(&mut self, until: u64) -> Result<()> {
        let wav_error = |path: &Path, source| AudioError::Wav { path: path.to_owned(), source };
        while self.written < until {
            let frames = (until - self.written).min(WRITE_CHUNK);
            // hound's 16-bit writer fills its buffer (sized once, at creation) without a check
            // per sample.
            let mut samples_writer = self.writer.get_i16_writer(2 * frames as u32);
            for _ in 0..frames {
                let [caller, agent] = self.tracks.each_mut().map(|track| track.pop_front().unwrap_or(0));
                samples_writer.write_sample(caller);
                samples_writer.write_sample(agent);
                self.heard.sample(caller, agent);
            }
            samples_writer.flush().map_err(|source| wav_error(&self.path, source))?;
            self.written += frames;
        }
        if self.written - self.header_written_at >= HEADER_EVERY {
            self.writer.flush().map_err(|source| wav_error(&self.path, source))?;
            self.header_written_at = self.written;
        }
        Ok(())
    }
}
