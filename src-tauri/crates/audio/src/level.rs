//! Level of a block of samples in dBFS (0 dBFS = full scale), for meters.

/// What a meter shows for digital silence: levels are floored here instead of going to -inf.
pub const FLOOR_DBFS: f32 = -96.0;

/// RMS and peak level of a block, in dBFS. RMS is relative to a full-scale square wave, so a
/// full-scale sine reads -3 dBFS RMS and 0 dBFS peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    pub rms_dbfs: f32,
    pub peak_dbfs: f32,
}

impl Level {
    /// The level of silence.
    pub const SILENT: Level = Level { rms_dbfs: FLOOR_DBFS, peak_dbfs: FLOOR_DBFS };

    /// Level of 16-bit samples (full scale 32768).
    pub fn of_i16(samples: &[i16]) -> Level {
        Self::of(samples.iter().map(|&sample| f32::from(sample) / 32768.0))
    }

    /// Level of float samples (full scale 1.0).
    pub fn of_f32(samples: &[f32]) -> Level {
        Self::of(samples.iter().copied())
    }

    /// Level from linear RMS and peak amplitudes (full scale 1.0).
    pub fn from_linear(rms: f32, peak: f32) -> Level {
        Level { rms_dbfs: to_dbfs(rms), peak_dbfs: to_dbfs(peak) }
    }

    fn of(samples: impl Iterator<Item = f32>) -> Level {
        let (mut count, mut squares, mut peak) = (0usize, 0f64, 0f32);
        for sample in samples {
            count += 1;
            squares += f64::from(sample) * f64::from(sample);
            peak = peak.max(sample.abs());
        }
        if count == 0 {
            return Level::SILENT;
        }
        Level::from_linear((squares / count as f64).sqrt() as f32, peak)
    }
}

fn to_dbfs(amplitude: f32) -> f32 {
    if amplitude <= 0.0 { FLOOR_DBFS } else { (20.0 * amplitude.log10()).max(FLOOR_DBFS) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_sine_reads_minus_three_rms_and_zero_peak() {
        let sine: Vec<i16> = (0..8000)
            .map(|n| (32767.0 * (2.0 * std::f32::consts::PI * 440.0 * n as f32 / 8000.0).sin()) as i16)
            .collect();
        let level = Level::of_i16(&sine);
        assert!((level.rms_dbfs + 3.01).abs() < 0.05, "{level:?}");
        assert!(level.peak_dbfs.abs() < 0.01, "{level:?}");
    }

    #[test]
    fn half_amplitude_is_six_db_down_and_silence_is_the_floor() {
        let level = Level::of_f32(&[0.5, -0.5, 0.5, -0.5]);
        assert!((level.rms_dbfs + 6.02).abs() < 0.01 && (level.peak_dbfs + 6.02).abs() < 0.01);
        assert_eq!(Level::of_i16(&[0; 160]), Level::SILENT);
        assert_eq!(Level::of_i16(&[]), Level::SILENT);
    }
}
