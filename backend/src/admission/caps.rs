//! How many get in: the caps on connections open at once (in total, lowered to fit the
//! open-file limit, and per network), decided before the WebSocket upgrade completes.
//!
//! Every accepted TCP connection takes a [`Ticket`] before its handshake starts, so
//! connections still in their handshake (a slowloris) count against the caps too. The
//! ticket gives its place back when dropped, whichever way the connection task ends.

use super::origin::network_of;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Refused connections whose `503` is being written at most, on top of the admitted ones;
/// past it a refused connection is dropped at once, so a flood holds no more sockets.
const MAX_REFUSALS_IN_FLIGHT: usize = 256;

/// File descriptors kept free of connections: the listener, the SQLite files and their
/// journals, the HTTP client of a users API, the runtime's own, and the refusals in flight.
pub const DESCRIPTOR_MARGIN: usize = MAX_REFUSALS_IN_FLIGHT + 64;

/// The cap a refused connection hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cap {
    Total,
    PerAddress,
}

impl std::fmt::Display for Cap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Total => f.write_str("too many connections"),
            Self::PerAddress => f.write_str("too many connections from this address"),
        }
    }
}

/// The connection counts, shared by the accept loop and every connection's ticket.
#[derive(Clone)]
pub(crate) struct Admission {
    /// One lock for the total and the per-address counts, so a check and its increment
    /// are one step. Held only for a map update, never across an `.await`.
    counts: Arc<Mutex<Counts>>,
    /// At most this many connections; 0 is no cap.
    max_total: usize,
    /// At most this many connections from one IP address; 0 is no cap.
    max_per_address: usize,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
    refusing: usize,
}

/// A connection's place, held by its task: given back on drop.
pub(crate) struct Ticket {
    counts: Arc<Mutex<Counts>>,
    /// `None` for an admitted connection; the cap it hit for one only being refused.
    refused: Option<Cap>,
    address: IpAddr,
}

impl Admission {
    pub fn new(max_total: usize, max_per_address: usize) -> Self {
        Self {
            counts: Arc::default(),
            max_total,
            max_per_address,
        }
    }

    /// A ticket for a new connection from `address`: admitted, or to be refused with a
    /// `503`; `None` when even refusals are over their bound (drop the socket).
    pub fn admit(&self, address: IpAddr) -> Option<Ticket> {
        let address = network_of(address);
        let mut counts = lock(&self.counts);
        let from_address = counts.per_address.get(&address).copied().unwrap_or(0);
        let refused = if over(counts.total, self.max_total) {
            Some(Cap::Total)
        } else if over(from_address, self.max_per_address) {
            Some(Cap::PerAddress)
        } else {
            None
        };
        match refused {
            None => {
                counts.total += 1;
                *counts.per_address.entry(address).or_default() += 1;
            }
            Some(_) if counts.refusing >= MAX_REFUSALS_IN_FLIGHT => return None,
            Some(_) => counts.refusing += 1,
        }
        Some(Ticket {
            counts: Arc::clone(&self.counts),
            refused,
            address,
        })
    }

    /// Connections admitted and not yet ended.
    #[cfg(test)]
    fn total(&self) -> usize {
        lock(&self.counts).total
    }
}

impl Ticket {
    /// The cap this connection hit, if it is to be refused.
    pub fn refused(&self) -> Option<Cap> {
        self.refused
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        if self.refused.is_some() {
            counts.refusing -= 1;
            return;
        }
        counts.total -= 1;
        if let Some(count) = counts.per_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                counts.per_address.remove(&self.address);
            }
        }
    }
}

/// The connection cap that fits in the process's open-file limit: `requested` (0 is "as
/// many as fit"), lowered to the limit less [`DESCRIPTOR_MARGIN`], said in the log. The
/// soft limit is first raised to the hard one where the system allows.
pub(crate) fn within_descriptor_limit(requested: usize) -> usize {
    let Some(limit) = descriptors::raise_to_hard_limit() else {
        return requested;
    };
    let fits = limit.saturating_sub(DESCRIPTOR_MARGIN).max(1);
    let cap = match requested {
        0 => fits,
        requested if requested > fits => {
            log::info!(
                "--max-connections {requested} lowered to {fits}, to fit the open-file limit of {limit}"
            );
            fits
        }
        requested => requested,
    };
    log::info!("at most {cap} connections (open-file limit {limit})");
    cap
}

fn over(count: usize, cap: usize) -> bool {
    cap != 0 && count >= cap
}

/// The counts stay consistent even if a holder panicked: every update is one statement.
fn lock(counts: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    counts.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The process's open-file limit.
mod descriptors {
    /// Raises the soft limit to the hard one and returns the soft limit now in force;
    /// `None` where it cannot be read (the cap is then left as configured).
    pub fn raise_to_hard_limit() -> Option<usize> {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
        #[allow(unsafe_code)]
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return None;
            }
            if limit.rlim_cur < limit.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: limit.rlim_max,
                    rlim_max: limit.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit = raised;
                }
            }
        }
        Some(usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX))
    }
}

#[cfg(test)]
#[path = "caps_tests.rs"]
mod tests;
