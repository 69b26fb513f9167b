//! The app's speakers in a test. ALSA's default output, in a HOME of the test's own, is a named
//! pipe that the test reads at a sound card's pace (48 kHz, 16-bit stereo: ALSA's plug converts
//! whatever the app opens), so what the app plays can be measured, with its timing. ALSA's null
//! device alone takes audio as fast as it is written, so a stream on it would spin and write
//! without end; here the pipe's reader is the clock. Or: an output that is not there.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::app::PATIENCE;

/// Frames a second the speakers play.
pub const RATE: usize = 48_000;
/// Bytes of one frame: two 16-bit channels.
const FRAME_BYTES: usize = 4;
/// Audio the reader takes at once at the most after a pause, so it never runs ahead of the clock.
const MAX_BURST: Duration = Duration::from_millis(50);

/// Speakers that record what they play.
pub struct Speakers {
    home: TempDir,
    /// The left channel of everything played (the app plays the same on both).
    played: Arc<Mutex<Vec<i16>>>,
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
}

impl Speakers {
    /// Speakers as ALSA's default output for an app whose HOME is [`Speakers::home`].
    pub fn start() -> Self {
        let home = tempfile::tempdir().unwrap();
        let pipe = home.path().join("speakers.pcm");
        let made = Command::new("mkfifo").arg(&pipe).status().expect("mkfifo could not run");
        assert!(made.success(), "mkfifo {} failed", pipe.display());
        let asoundrc = format!(
            "pcm.!default {{ type plug; slave {{ pcm \"speakers\"; format S16_LE; rate {RATE}; channels 2 }} }}\n\
             pcm.speakers {{ type file; slave.pcm \"null\"; file \"{}\"; format \"raw\" }}\n",
            pipe.display()
        );
        std::fs::write(home.path().join(".asoundrc"), asoundrc).unwrap();
        // Read and write: opening never waits for the app, and the app's streams come and go
        // without ending the pipe.
        let pipe = File::options().read(true).write(true).open(&pipe).expect("cannot open the speakers' pipe");
        let played = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let reader = std::thread::spawn({
            let (played, stop) = (Arc::clone(&played), Arc::clone(&stop));
            move || play(pipe, &played, &stop)
        });
        Self { home, played, stop, reader: Some(reader) }
    }

    /// The HOME to start the app with.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// How many frames the speakers have played.
    pub fn played(&self) -> usize {
        self.samples().len()
    }

    /// The samples played since `mark` (a count from [`Speakers::played`]).
    pub fn since(&self, mark: usize) -> Vec<i16> {
        self.samples()[mark..].to_vec()
    }

    /// Waits until `duration` more of audio has been played, and returns it.
    pub async fn next(&self, duration: Duration) -> Vec<i16> {
        let mark = self.played();
        let frames = (duration.as_secs_f64() * RATE as f64) as usize;
        let limit = duration + PATIENCE;
        let deadline = Instant::now() + limit;
        while self.played() < mark + frames {
            let played = self.played() - mark;
            assert!(Instant::now() < deadline, "the speakers played {played} of {frames} frames in {limit:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.samples()[mark..mark + frames].to_vec()
    }

    fn samples(&self) -> std::sync::MutexGuard<'_, Vec<i16>> {
        self.played.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Speakers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wakes the reader if it waits for audio.
        if let Ok(mut pipe) = File::options().write(true).open(self.home.path().join("speakers.pcm")) {
            let _ = pipe.write_all(&[0; FRAME_BYTES]);
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// Reads the pipe at the speakers' rate, keeping the left channel.
fn play(mut pipe: File, played: &Mutex<Vec<i16>>, stop: &AtomicBool) {
    let bytes_per_second = (RATE * FRAME_BYTES) as f64;
    let most = MAX_BURST.as_secs_f64() * bytes_per_second;
    let (mut budget, mut last) = (0.0, Instant::now());
    let mut buffer = vec![0u8; 8192];
    let mut partial = Vec::with_capacity(FRAME_BYTES);
    while !stop.load(Ordering::Acquire) {
        let now = Instant::now();
        budget = (budget + now.duration_since(last).as_secs_f64() * bytes_per_second).min(most);
        last = now;
        let allowed = (budget as usize).min(buffer.len());
        if allowed < FRAME_BYTES {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        let Ok(read) = pipe.read(&mut buffer[..allowed]) else { return };
        budget -= read as f64;
        let mut samples = played.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for &byte in &buffer[..read] {
            partial.push(byte);
            if partial.len() == FRAME_BYTES {
                samples.push(i16::from_le_bytes([partial[0], partial[1]]));
                partial.clear();
            }
        }
    }
}

/// A HOME whose ALSA default output is a sound card that is not there.
pub fn home_without_speakers() -> TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join(".asoundrc"), "pcm.!default { type hw; card 7; device 0 }\n").unwrap();
    home
}

/// The largest sample's size.
pub fn peak(samples: &[i16]) -> i32 {
    samples.iter().map(|&sample| i32::from(sample).abs()).max().unwrap_or(0)
}
