//! 20 ms mu-law frames, the unit of Twilio media streams: 160 bytes at 8 kHz. [`Framer`] cuts an
//! arbitrary byte stream (a TTS socket's chunks) into whole frames.

use crate::mulaw::SILENCE;

/// Duration of one frame, in milliseconds.
pub const FRAME_MS: u64 = 20;
/// Sample rate of a mu-law media stream.
pub const MULAW_RATE: u32 = 8000;
/// Bytes (= samples) in one 20 ms mu-law frame.
pub const FRAME_BYTES: usize = 160;

/// One 20 ms mu-law frame.
pub type Frame = [u8; FRAME_BYTES];

/// Cuts a mu-law byte stream into 160-byte frames, keeping a partial frame between pushes.
#[derive(Debug, Clone)]
pub struct Framer {
    partial: Frame,
    filled: usize,
}

impl Default for Framer {
    fn default() -> Self {
        Self { partial: [SILENCE; FRAME_BYTES], filled: 0 }
    }
}

impl Framer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes held back, waiting for the rest of their frame.
    pub fn pending(&self) -> usize {
        self.filled
    }

    /// Adds `bytes` and calls `on_frame` for each frame they complete, in order. Never allocates.
    pub fn push(&mut self, mut bytes: &[u8], mut on_frame: impl FnMut(&Frame)) {
        if self.filled > 0 {
            let take = (FRAME_BYTES - self.filled).min(bytes.len());
            self.partial[self.filled..self.filled + take].copy_from_slice(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled < FRAME_BYTES {
                return;
            }
            on_frame(&self.partial);
            self.filled = 0;
        }
        let mut frames = bytes.chunks_exact(FRAME_BYTES);
        for frame in frames.by_ref() {
            on_frame(frame.try_into().expect("chunks_exact yields whole frames"));
        }
        let rest = frames.remainder();
        self.partial[..rest.len()].copy_from_slice(rest);
        self.filled = rest.len();
    }

    /// The held-back bytes as a last frame padded with silence, if there are any; empties the framer.
    pub fn finish(&mut self) -> Option<Frame> {
        if self.filled == 0 {
            return None;
        }
        self.partial[self.filled..].fill(SILENCE);
        self.filled = 0;
        Some(self.partial)
    }

    /// Drops the held-back bytes (on barge-in, when queued audio is cleared).
    pub fn clear(&mut self) {
        self.filled = 0;
    }
}
