//! Failed registrations per network, with growing delays: a wrong access code, a bad
//! session token or link code, or an email someone else holds. A few mistakes are free;
//! after them each further attempt from that network must wait twice as long as the last,
//! up to an hour, so guessing a 6-digit code takes decades, not seconds.
//!
//! A network is an IPv4 address or an IPv6 /64 (`admission::network_of`). Failures are
//! forgotten a day after the last one. The table is bounded: when full, new networks
//! share one overflow entry, so many addresses buy an attacker nothing.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// Failures from one network that cost no delay.
pub const FREE_FAILURES: u32 = 5;
/// The delay after the first failure past the free ones; it doubles with each failure.
pub const FIRST_DELAY: Duration = Duration::from_secs(1);
/// The longest delay between two attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(60 * 60);
/// A network's failures are forgotten this long after its last one.
const FORGET_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// Networks tracked at once.
const MAX_NETWORKS: usize = 65_536;
/// The entry shared by new networks while the table is full.
const OVERFLOW: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

#[derive(Default)]
pub struct Attempts {
    networks: Mutex<HashMap<IpAddr, Failures>>,
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    /// No attempt from this network is looked at before then.
    next_allowed: Instant,
}

impl Attempts {
    /// `Err(wait)` while `network` must wait before it may try again.
    pub fn check(&self, network: IpAddr, now: Instant) -> Result<(), Duration> {
        let networks = self.lock();
        let key = key_of(&networks, network);
        match networks.get(&key) {
            Some(failures) if failures.next_allowed > now => Err(failures.next_allowed - now),
            _ => Ok(()),
        }
    }

    /// Counts a failed attempt from `network`; returns the wait now imposed on it.
    pub fn failed(&self, network: IpAddr, now: Instant) -> Duration {
        let mut networks = self.lock();
        if networks.len() >= MAX_NETWORKS && !networks.contains_key(&network) {
            networks
                .retain(|_, failures| now.saturating_duration_since(failures.last) < FORGET_AFTER);
        }
        let key = key_of(&networks, network);
        let failures = networks.entry(key).or_insert(Failures {
            count: 0,
            last: now,
            next_allowed: now,
        });
        if now.saturating_duration_since(failures.last) >= FORGET_AFTER {
            failures.count = 0;
        }
        failures.count = failures.count.saturating_add(1);
        failures.last = now;
        let wait = delay_after(failures.count);
        failures.next_allowed = now + wait;
        wait
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<IpAddr, Failures>> {
        // Every update is one map operation: a poisoned map is still consistent.
        self.networks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The entry a network's failures go to: its own, or the overflow entry if the table is
/// full.
fn key_of(networks: &HashMap<IpAddr, Failures>, network: IpAddr) -> IpAddr {
    if networks.contains_key(&network) || networks.len() < MAX_NETWORKS {
        network
    } else {
        OVERFLOW
    }
}

/// The wait imposed after `count` failures.
pub fn delay_after(count: u32) -> Duration {
    let Some(past_free) = count.checked_sub(FREE_FAILURES + 1) else {
        return Duration::ZERO;
    };
    FIRST_DELAY
        .checked_mul(1u32.checked_shl(past_free.min(31)).unwrap_or(u32::MAX))
        .map_or(MAX_DELAY, |delay| delay.min(MAX_DELAY))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7));
    const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));

    #[test]
    fn a_few_failures_are_free_then_delays_double_up_to_an_hour() {
        let delays: Vec<u64> = (1..=20).map(|n| delay_after(n).as_secs()).collect();
        assert_eq!(&delays[..5], &[0; 5]);
        assert_eq!(&delays[5..9], &[1, 2, 4, 8]);
        assert_eq!(delays[19], 3600);
    }

    #[test]
    fn a_network_waits_and_others_do_not() {
        let attempts = Attempts::default();
        let now = Instant::now();
        for _ in 0..FREE_FAILURES {
            assert_eq!(attempts.check(HOME, now), Ok(()));
            attempts.failed(HOME, now);
        }
        assert_eq!(attempts.check(HOME, now), Ok(()));
        assert_eq!(attempts.failed(HOME, now), FIRST_DELAY);
        assert_eq!(attempts.check(HOME, now), Err(FIRST_DELAY));
        assert_eq!(attempts.check(OTHER, now), Ok(()));
        assert_eq!(attempts.check(HOME, now + FIRST_DELAY), Ok(()));
    }

    #[test]
    fn failures_are_forgotten_after_a_day() {
        let attempts = Attempts::default();
        let now = Instant::now();
        for _ in 0..10 {
            attempts.failed(HOME, now);
        }
        let later = now + FORGET_AFTER;
        assert_eq!(attempts.check(HOME, later), Ok(()));
        assert_eq!(attempts.failed(HOME, later), Duration::ZERO);
    }

    #[test]
    fn guessing_a_six_digit_code_takes_decades() {
        // Half the codes, on average, at the steady pace of one attempt per MAX_DELAY.
        let years = 500_000.0 * MAX_DELAY.as_secs_f64() / (365.25 * 86_400.0);
        println!("a 6-digit code from one network: about {years:.0} years on average");
        assert!(years > 10.0);
    }
}
