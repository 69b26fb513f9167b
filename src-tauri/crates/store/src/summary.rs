//! How the benches that run on a throwaway Postgres sum up repeated runs: the median and the worst.

/// The median and the worst of `values` (worst: the highest when `higher_is_worse`).
pub fn median_and_worst(mut values: Vec<f64>, higher_is_worse: bool) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let worst = if higher_is_worse { values[values.len() - 1] } else { values[0] };
    (values[values.len() / 2], worst)
}
