//! Latency percentiles of a list of measured durations, in milliseconds.

use serde_json::{Value, json};
use std::time::Duration;

/// `{"count","p50","p90","p99","max"}` of `samples` (sorted in place), in milliseconds with
/// microsecond precision; nearest-rank percentiles.
pub fn summary(samples: &mut [Duration]) -> Value {
    samples.sort_unstable();
    let ms = |d: Duration| (d.as_secs_f64() * 1e6).round() / 1e3;
    json!({
        "count": samples.len(),
        "p50": percentile(samples, 50.0).map(ms),
        "p90": percentile(samples, 90.0).map(ms),
        "p99": percentile(samples, 99.0).map(ms),
        "max": samples.last().copied().map(ms),
    })
}

/// The nearest-rank `p`th percentile of sorted `samples`: the smallest sample with at least p%
/// of the samples at or below it.
fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(list: &[u64]) -> Vec<Duration> {
        list.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let sorted = ms(&(1..=100).collect::<Vec<_>>());
        assert_eq!(percentile(&sorted, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&sorted, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&ms(&[7]), 99.0), Some(Duration::from_millis(7)));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn summary_sorts_first() {
        let mut samples = ms(&[30, 10, 20]);
        let s = summary(&mut samples);
        assert_eq!(s["p50"], json!(20.0));
        assert_eq!(s["max"], json!(30.0));
        assert_eq!(s["count"], json!(3));
    }
}
