//! Test signals and the measurements the tests make of them.

/// `seconds` of a sine of `frequency` Hz at `amplitude` (full scale 1.0), sampled at `rate`.
pub fn sine(frequency: f64, amplitude: f64, rate: u32, seconds: f64) -> Vec<i16> {
    let count = (f64::from(rate) * seconds).round() as usize;
    (0..count).map(|n| sine_at(frequency, amplitude, rate, n)).collect()
}

/// Sample `n` of that sine.
pub fn sine_at(frequency: f64, amplitude: f64, rate: u32, n: usize) -> i16 {
    (amplitude * 32767.0 * (2.0 * std::f64::consts::PI * frequency * n as f64 / f64::from(rate)).sin()).round() as i16
}

/// Frequency estimated from rising zero crossings.
pub fn frequency(samples: &[i16], rate: u32) -> f64 {
    let rising: Vec<usize> = (1..samples.len()).filter(|&n| samples[n - 1] < 0 && samples[n] >= 0).collect();
    let (first, last) = (rising[0], rising[rising.len() - 1]);
    (rising.len() - 1) as f64 * f64::from(rate) / (last - first) as f64
}
