//! Flag values to and from the configs' types: milliseconds, and rates.

use crate::admission::budget::Rate;
use std::time::Duration;

/// A duration as a flag's whole milliseconds (a default shown in `--help`).
pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A rate from its flags: at least one token, and a finite, non-negative refill.
pub fn rate(per_second: f64, burst: u32) -> Rate {
    let per_second = if per_second.is_finite() {
        per_second.max(0.0)
    } else {
        0.0
    };
    Rate::new(per_second, burst.max(1))
}
