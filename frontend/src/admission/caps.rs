//! Who gets served: caps on connections at once, in total and per address, counted from
//! accept by a [`Place`] each connection's task holds for its whole life.
//!
//! A place is taken before the request head is read, so connections that send nothing
//! (idle keep-alive, a slowloris) count too, and given back when the task drops it,
//! whichever way the connection ended.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Refused connections whose `503` is being written at most, on top of the admitted ones;
/// past it a refused connection is closed at once, so a flood holds no more descriptors.
pub(crate) const MAX_REFUSALS_IN_FLIGHT: usize = 64;

/// The cap a refused connection hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cap {
    Total,
    PerAddress,
}

impl Cap {
    /// The body of the `503` answer.
    pub fn message(self) -> &'static str {
        match self {
            Self::Total => "too many connections",
            Self::PerAddress => "too many connections from this address",
        }
    }
}

impl fmt::Display for Cap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// What the per-address cap counts: an IPv4 address alone (an IPv4-mapped IPv6 address as
/// its IPv4 address), an IPv6 address by its /64 prefix, which is one subscriber: a
/// single machine can use any of the 2^64 addresses below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Subscriber {
    V4(Ipv4Addr),
    V6Prefix(u64),
}

impl From<IpAddr> for Subscriber {
    fn from(address: IpAddr) -> Self {
        match address.to_canonical() {
            IpAddr::V4(v4) => Self::V4(v4),
            IpAddr::V6(v6) => Self::V6Prefix((v6.to_bits() >> 64) as u64),
        }
    }
}

/// The connection counts, shared by the accept loop and every connection's place.
#[derive(Clone)]
pub(crate) struct Admission {
    /// One lock for the total and the per-address counts, so a check and its increment
    /// are one step. Held only for a map update, never across an `.await`.
    counts: Arc<Mutex<Counts>>,
    /// At most this many connections are served at once (at least 1).
    max_total: usize,
    /// At most this many from one subscriber; 0 is no cap.
    max_per_address: usize,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_address: HashMap<Subscriber, usize>,
    refusing: usize,
}

/// A connection's place, held by its task for the connection's life: given back on drop.
pub(crate) struct Place {
    counts: Arc<Mutex<Counts>>,
    subscriber: Subscriber,
    /// `None` for an admitted connection; the cap it hit for one being refused.
    refused: Option<Cap>,
}

impl Admission {
    pub fn new(max_total: usize, max_per_address: usize) -> Self {
        Self {
            counts: Arc::default(),
            max_total: max_total.max(1),
            max_per_address,
        }
    }

    /// A place for a new connection from `address`: admitted, or to be refused with a
    /// `503`; `None` when refusals are over their bound too (close the socket at once).
    pub fn admit(&self, address: IpAddr) -> Option<Place> {
        let subscriber = Subscriber::from(address);
        let mut counts = lock(&self.counts);
        let from_subscriber = counts.per_address.get(&subscriber).copied().unwrap_or(0);
        let refused = if counts.total >= self.max_total {
            Some(Cap::Total)
        } else if self.max_per_address != 0 && from_subscriber >= self.max_per_address {
            Some(Cap::PerAddress)
        } else {
            None
        };
        match refused {
            None => {
                counts.total += 1;
                *counts.per_address.entry(subscriber).or_default() += 1;
            }
            Some(_) if counts.refusing >= MAX_REFUSALS_IN_FLIGHT => return None,
            Some(_) => counts.refusing += 1,
        }
        Some(Place {
            counts: Arc::clone(&self.counts),
            subscriber,
            refused,
        })
    }
}

impl Place {
    /// The cap this connection hit, if it is to be refused.
    pub fn refused(&self) -> Option<Cap> {
        self.refused
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        if self.refused.is_some() {
            counts.refusing = counts.refusing.saturating_sub(1);
            return;
        }
        counts.total = counts.total.saturating_sub(1);
        if let Some(count) = counts.per_address.get_mut(&self.subscriber) {
            *count -= 1;
            if *count == 0 {
                counts.per_address.remove(&self.subscriber);
            }
        }
    }
}

/// The counts stay consistent even if a holder panicked: every update is one statement.
fn lock(counts: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    counts.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    fn v6(text: &str) -> IpAddr {
        text.parse::<Ipv6Addr>().unwrap().into()
    }

    #[test]
    fn per_address_cap_counts_each_address_apart() {
        let admission = Admission::new(100, 2);
        let first = admission.admit(A).unwrap();
        let _second = admission.admit(A).unwrap();
        assert_eq!(admission.admit(A).unwrap().refused(), Some(Cap::PerAddress));
        assert_eq!(admission.admit(B).unwrap().refused(), None);
        drop(first);
        assert_eq!(admission.admit(A).unwrap().refused(), None);
    }

    #[test]
    fn total_cap_and_places_given_back_on_drop() {
        let admission = Admission::new(2, 0);
        let places: Vec<Place> = [A, B].map(|a| admission.admit(a).unwrap()).into();
        assert_eq!(admission.admit(A).unwrap().refused(), Some(Cap::Total));
        drop(places);
        let counts = lock(&admission.counts);
        assert_eq!((counts.total, counts.refusing), (0, 0));
        assert!(counts.per_address.is_empty());
    }

    #[test]
    fn refusals_in_flight_are_bounded() {
        let admission = Admission::new(1, 0);
        let _admitted = admission.admit(A).unwrap();
        let refusing: Vec<Place> = (0..MAX_REFUSALS_IN_FLIGHT)
            .map(|_| admission.admit(B).unwrap())
            .collect();
        assert!(admission.admit(B).is_none());
        drop(refusing);
        assert!(admission.admit(B).is_some());
    }

    #[test]
    fn zero_per_address_is_no_cap() {
        let admission = Admission::new(3, 0);
        let _places: Vec<Place> = (0..3).map(|_| admission.admit(A).unwrap()).collect();
        assert_eq!(admission.admit(B).unwrap().refused(), Some(Cap::Total));
    }

    #[test]
    fn mapped_ipv6_counts_as_its_ipv4_address() {
        let admission = Admission::new(100, 1);
        let _v4 = admission.admit(A).unwrap();
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped());
        let refused = admission.admit(mapped).unwrap().refused();
        assert_eq!(refused, Some(Cap::PerAddress));
        assert_eq!(admission.admit(B).unwrap().refused(), None);
    }

    #[test]
    fn ipv6_counts_by_its_64_prefix() {
        let admission = Admission::new(100, 2);
        let _first = admission.admit(v6("2001:db8:1:2::1")).unwrap();
        let _second = admission.admit(v6("2001:db8:1:2:ffff:1:2:3")).unwrap();
        let same_prefix = admission.admit(v6("2001:db8:1:2:abcd::9")).unwrap();
        assert_eq!(same_prefix.refused(), Some(Cap::PerAddress));
        let next_prefix = admission.admit(v6("2001:db8:1:3::1")).unwrap();
        assert_eq!(next_prefix.refused(), None);
    }
}
