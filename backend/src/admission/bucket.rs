//! Token buckets: a [`Rate`] (sustained, with a burst), the [`Level`] of a bucket whose rate
//! is kept elsewhere (the hub keeps one per room and per member), and the [`TokenBucket`]
//! of a frame rate. Time is tokio's, so that tests may pause it.

use tokio::time::Instant;

/// A sustained rate with a burst allowance: a token bucket of `burst` tokens refilled at
/// `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

impl Rate {
    pub const fn new(per_second: f64, burst: u32) -> Self {
        Self { per_second, burst }
    }
}

/// A token bucket: `burst` tokens at most, refilled continuously at `per_second`.
pub(crate) struct TokenBucket {
    rate: Rate,
    level: Level,
}

impl TokenBucket {
    pub fn new(rate: Rate, now: Instant) -> Self {
        Self {
            rate,
            level: Level::full(rate, now),
        }
    }

    pub fn try_take(&mut self, now: Instant) -> bool {
        self.level.refill(self.rate, now);
        let allowed = self.level.allows(self.rate, 1.0);
        if allowed {
            self.level.spend(1.0);
        }
        allowed
    }
}

/// A [`Level`] made when first drawn on: `None` is a full bucket nobody has drawn on yet.
/// Boxed: most rooms and members never need one, and they hold a pointer.
pub(crate) type LevelSlot = Option<Box<Level>>;

/// The tokens of a bucket whose rate is kept elsewhere (in the config), so that the hub can
/// keep one per room and per member at the cost of two numbers, in a [`LevelSlot`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Level {
    /// May be below zero: a charge larger than the burst is let through a full bucket, and
    /// the debt is paid back at the rate before the next one.
    tokens: f64,
    last: Instant,
}

impl Level {
    pub fn full(rate: Rate, now: Instant) -> Self {
        Self {
            tokens: f64::from(rate.burst),
            last: now,
        }
    }

    /// The level of an optional bucket, refilled up to `now`.
    pub fn of(slot: &mut LevelSlot, rate: Rate, now: Instant) -> &mut Level {
        let level = slot.get_or_insert_with(|| Box::new(Level::full(rate, now)));
        level.refill(rate, now);
        level
    }

    pub fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * rate.per_second).min(f64::from(rate.burst));
    }

    /// Whether `cost` may be taken: the tokens cover it, or the bucket is full (a charge
    /// larger than the burst is not refused for ever, it leaves the bucket in debt).
    pub fn allows(&self, rate: Rate, cost: f64) -> bool {
        self.tokens >= cost || self.tokens >= f64::from(rate.burst)
    }

    /// Takes `cost`, which [`Level::allows`] allowed.
    pub fn spend(&mut self, cost: f64) {
        self.tokens -= cost;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(Rate::new(5.0, 10), start);
        assert_eq!((0..12).filter(|_| bucket.try_take(start)).count(), 10);
        assert!(!bucket.try_take(start + Duration::from_millis(150)));
        assert!(bucket.try_take(start + Duration::from_millis(250)));
        let later = start + Duration::from_secs(60);
        assert_eq!((0..12).filter(|_| bucket.try_take(later)).count(), 10);
    }
}
