//! Volume, mute and the level meter, shared between a player's owner and its audio callback through
//! atomics only: the callback never waits on a lock.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use switchboard_audio::Level;

/// The loudest volume: 150 %, for quiet calls.
pub const MAX_VOLUME: f32 = 1.5;

#[derive(Debug)]
pub(crate) struct Controls {
    volume: AtomicU32,
    muted: AtomicBool,
    /// Level of the last block the callback rendered: linear RMS and peak, as f32 bits.
    rms: AtomicU32,
    peak: AtomicU32,
}

impl Controls {
    pub(crate) fn new() -> Self {
        Self {
            volume: AtomicU32::new(1f32.to_bits()),
            muted: AtomicBool::new(false),
            rms: AtomicU32::new(0),
            peak: AtomicU32::new(0),
        }
    }

    /// Sets the volume, clamped to `0.0..=MAX_VOLUME` (NaN counts as 0).
    pub(crate) fn set_volume(&self, volume: f32) {
        let volume = if volume.is_nan() { 0.0 } else { volume.clamp(0.0, MAX_VOLUME) };
        self.volume.store(volume.to_bits(), Ordering::Relaxed);
    }

    pub(crate) fn volume(&self) -> f32 {
        f32::from_bits(self.volume.load(Ordering::Relaxed))
    }

    pub(crate) fn set_muted(&self, muted: bool) {
        self.muted.store(muted, Ordering::Relaxed);
    }

    pub(crate) fn is_muted(&self) -> bool {
        self.muted.load(Ordering::Relaxed)
    }

    /// The factor samples are multiplied by: the volume, or 0 when muted.
    pub(crate) fn gain(&self) -> f32 {
        if self.is_muted() { 0.0 } else { self.volume() }
    }

    pub(crate) fn store_level(&self, rms: f32, peak: f32) {
        self.rms.store(rms.to_bits(), Ordering::Relaxed);
        self.peak.store(peak.to_bits(), Ordering::Relaxed);
    }

    pub(crate) fn level(&self) -> Level {
        Level::from_linear(
            f32::from_bits(self.rms.load(Ordering::Relaxed)),
            f32::from_bits(self.peak.load(Ordering::Relaxed)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_is_clamped_and_mute_silences() {
        let controls = Controls::new();
        assert_eq!((controls.volume(), controls.gain()), (1.0, 1.0));
        controls.set_volume(2.0);
        assert_eq!(controls.volume(), MAX_VOLUME);
        controls.set_volume(-1.0);
        assert_eq!(controls.volume(), 0.0);
        controls.set_volume(f32::NAN);
        assert_eq!(controls.volume(), 0.0);
        controls.set_volume(0.5);
        controls.set_muted(true);
        assert_eq!((controls.volume(), controls.gain()), (0.5, 0.0));
    }
}
