//! Figures in the JSON reports of `ping`, `will` and `bench`.

use std::time::Duration;

/// Milliseconds to the microsecond, for the JSON reports.
pub fn json_ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e6).round() / 1e3
}
