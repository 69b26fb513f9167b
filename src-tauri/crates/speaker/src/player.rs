//! Playing a recording on the speakers: play, pause, seek, volume, mute, position and a level meter.
//!
//! The recording is resampled to the device's rate once, when the player opens (switchboard-audio's
//! resampler); the audio callback then only copies samples. Position, play state, volume, mute and
//! the meter are atomics shared with the callback. Pausing closes the device stream and playing
//! opens it again: not every device can pause (ALSA's null and file devices cannot), and a closed
//! stream writes nothing and costs nothing on all of them. At the end a playing player writes
//! silence until it is paused or dropped.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use cpal::traits::StreamTrait;
use switchboard_audio::{Level, Pcm, resample_clip};

use crate::controls::Controls;
use crate::device::{Output, OutputFormat};
use crate::error::{Result, SpeakerError};
use crate::stream::{self, Render, StreamErrors, write_frame};

/// A recording open on an output device, paused at its start.
pub struct Player {
    output: Output,
    /// The device stream while playing (or freshly opened); `None` while paused.
    stream: Mutex<Option<cpal::Stream>>,
    samples: Arc<[i16]>,
    channels: usize,
    playback: Arc<Playback>,
    controls: Arc<Controls>,
    errors: Arc<StreamErrors>,
    format: OutputFormat,
}

/// State shared with the callback.
#[derive(Debug)]
struct Playback {
    playing: AtomicBool,
    /// Next frame to play, at the device's rate.
    position: AtomicU64,
    frames: u64,
    rate: u32,
}

/// The callback's side: the recording at the device's rate, one or two channels interleaved.
struct Source {
    samples: Arc<[i16]>,
    channels: usize,
    playback: Arc<Playback>,
}

impl Player {
    /// Opens the output called `device` (or the default one) for `recording`: mono, or stereo
    /// (a call recording: caller left, agent right; more channels: the first two).
    pub fn open(device: Option<&str>, recording: &Pcm) -> Result<Self> {
        if recording.channels == 0 || recording.sample_rate == 0 {
            return Err(SpeakerError::Output("the recording has no channels or no sample rate".into()));
        }
        let output = Output::open(device)?;
        let format = output.format();
        let (samples, channels) = at_rate(recording, format.sample_rate)?;
        let frames = (samples.len() / channels) as u64;
        let playback = Arc::new(Playback {
            playing: AtomicBool::new(false),
            position: AtomicU64::new(0),
            frames,
            rate: format.sample_rate,
        });
        let player = Self {
            output,
            stream: Mutex::new(None),
            samples: samples.into(),
            channels,
            playback,
            controls: Arc::new(Controls::new()),
            errors: Arc::new(StreamErrors::default()),
            format,
        };
        // Open the stream now, so a device that refuses it says so here rather than at play.
        *player.stream() = Some(player.open_stream()?);
        Ok(player)
    }

    /// Plays from the current position (from the start again when it had finished).
    pub fn play(&self) -> Result<()> {
        if self.is_finished() {
            self.playback.position.store(0, Ordering::Release);
        }
        let mut slot = self.stream();
        if slot.is_none() {
            *slot = Some(self.open_stream()?);
        }
        self.playback.playing.store(true, Ordering::Release);
        if let Some(stream) = slot.as_ref() {
            stream.play().map_err(|error| SpeakerError::Output(error.to_string()))?;
        }
        Ok(())
    }

    /// Stops where it is, and lets go of the device until [`play`](Self::play).
    pub fn pause(&self) {
        // Close the stream first: a callback in between would write silence, not stop.
        drop(self.stream().take());
        self.playback.playing.store(false, Ordering::Release);
    }

    pub fn is_playing(&self) -> bool {
        self.playback.playing.load(Ordering::Acquire) && !self.is_finished()
    }

    /// Moves to `ms` from the start (the end, if past it).
    pub fn seek(&self, ms: u64) {
        let frame = (u128::from(ms) * u128::from(self.playback.rate) / 1000).min(u128::from(self.playback.frames));
        self.playback.position.store(frame as u64, Ordering::Release);
    }

    pub fn position_ms(&self) -> u64 {
        self.playback.position.load(Ordering::Acquire) * 1000 / u64::from(self.playback.rate)
    }

    pub fn duration_ms(&self) -> u64 {
        self.playback.frames * 1000 / u64::from(self.playback.rate)
    }

    /// Whether the position has reached the end.
    pub fn is_finished(&self) -> bool {
        self.playback.position.load(Ordering::Acquire) >= self.playback.frames
    }

    /// Sets the volume: 0 to [`MAX_VOLUME`](crate::MAX_VOLUME) (1.5), clamped.
    pub fn set_volume(&self, volume: f32) {
        self.controls.set_volume(volume);
    }

    pub fn volume(&self) -> f32 {
        self.controls.volume()
    }

    pub fn set_muted(&self, muted: bool) {
        self.controls.set_muted(muted);
    }

    pub fn is_muted(&self) -> bool {
        self.controls.is_muted()
    }

    /// Level of the audio being played, before volume and mute (a muted player still shows who
    /// is talking), over the device's last buffer.
    pub fn level(&self) -> Level {
        self.controls.level()
    }

    /// The format the device plays at.
    pub fn format(&self) -> &OutputFormat {
        &self.format
    }

    /// The last error the device reported while playing (unplugged, …), if any.
    pub fn stream_error(&self) -> Option<String> {
        self.errors.last()
    }

    fn stream(&self) -> MutexGuard<'_, Option<cpal::Stream>> {
        self.stream.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn open_stream(&self) -> Result<cpal::Stream> {
        let source = Source { samples: self.samples.clone(), channels: self.channels, playback: self.playback.clone() };
        stream::build(&self.output, self.controls.clone(), self.errors.clone(), source)
    }
}

/// The recording's first one or two channels at `rate`, interleaved, and how many there are.
fn at_rate(recording: &Pcm, rate: u32) -> Result<(Vec<i16>, usize)> {
    let source_channels = usize::from(recording.channels);
    let channels = source_channels.min(2);
    let tracks = (0..channels)
        .map(|channel| {
            let track: Vec<i16> = recording.samples.iter().skip(channel).step_by(source_channels).copied().collect();
            resample_clip(&track, recording.sample_rate, rate)
        })
        .collect::<switchboard_audio::Result<Vec<_>>>()
        .map_err(|error| SpeakerError::Output(error.to_string()))?;
    let frames = tracks.iter().map(Vec::len).min().unwrap_or(0);
    let samples = (0..frames).flat_map(|frame| tracks.iter().map(move |track| track[frame])).collect();
    Ok((samples, channels))
}

impl Render for Source {
    fn render(&mut self, out: &mut [f32], channels: usize) {
        if !self.playback.playing.load(Ordering::Acquire) {
            out.fill(0.0);
            return;
        }
        let start = self.playback.position.load(Ordering::Acquire);
        let mut position = start;
        for frame in out.chunks_mut(channels) {
            if position >= self.playback.frames {
                frame.fill(0.0);
                continue;
            }
            let at = position as usize * self.channels;
            let left = f32::from(self.samples[at]) / 32768.0;
            let right = f32::from(self.samples[at + self.channels - 1]) / 32768.0;
            write_frame(frame, left, right);
            position += 1;
        }
        // A seek made while this block was rendered wins over the block's advance.
        let _ = self.playback.position.compare_exchange(start, position, Ordering::AcqRel, Ordering::Acquire);
    }
}
