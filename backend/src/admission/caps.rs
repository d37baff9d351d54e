//! How many get in: the caps on connections open at once (in total, lowered to fit the
//! open-file limit, and per network), decided before the WebSocket upgrade completes.
//!
//! Every accepted TCP connection takes a [`Ticket`] before its handshake starts, so
//! connections still in their handshake (a slowloris) count against the caps too. The
//! ticket gives its place back when dropped, whichever way the connection task ends.
//!
//! A connection from a trusted proxy is many clients' address, so at accept it counts
//! against the total cap only (that and the handshake deadline bound what its handshakes
//! cost); once its request names the client (`X-Forwarded-For`), [`Ticket::count_as`]
//! counts it against that client's network, or refuses it as over the cap.

use super::origin::{is_trusted, network_of};
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
    /// Reverse proxies: their connections are counted as the client they forward for.
    trusted_proxies: Arc<[IpAddr]>,
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
    /// The network counted against the per-address cap: `None` for a trusted proxy's
    /// connection whose client is not known yet (or was over the cap).
    network: Option<IpAddr>,
    max_per_address: usize,
}

impl Admission {
    pub fn new(max_total: usize, max_per_address: usize, trusted_proxies: &[IpAddr]) -> Self {
        Self {
            counts: Arc::default(),
            max_total,
            max_per_address,
            trusted_proxies: trusted_proxies.into(),
        }
    }

    /// A ticket for a new connection from `address`: admitted, or to be refused with a
    /// `503`; `None` when even refusals are over their bound (drop the socket). A trusted
    /// proxy's connection is counted in the total only, until [`Ticket::count_as`].
    pub fn admit(&self, address: IpAddr) -> Option<Ticket> {
        let network = (!is_trusted(address, &self.trusted_proxies)).then(|| network_of(address));
        let mut counts = lock(&self.counts);
        let refused = if over(counts.total, self.max_total) {
            Some(Cap::Total)
        } else if network.is_some_and(|network| counts.full(network, self.max_per_address)) {
            Some(Cap::PerAddress)
        } else {
            None
        };
        match refused {
            None => counts.take(network),
            Some(_) if counts.refusing >= MAX_REFUSALS_IN_FLIGHT => return None,
            Some(_) => counts.refusing += 1,
        }
        Some(Ticket {
            counts: Arc::clone(&self.counts),
            refused,
            network,
            max_per_address: self.max_per_address,
        })
    }

    /// Connections admitted and not yet ended.
    #[cfg(test)]
    fn total(&self) -> usize {
        lock(&self.counts).total
    }
}

impl Counts {
    fn full(&self, network: IpAddr, cap: usize) -> bool {
        over(self.per_address.get(&network).copied().unwrap_or(0), cap)
    }

    /// An admitted connection's place: in the total, and in its network's count if known.
    fn take(&mut self, network: Option<IpAddr>) {
        self.total += 1;
        if let Some(network) = network {
            *self.per_address.entry(network).or_default() += 1;
        }
    }

    fn give_back(&mut self, network: IpAddr) {
        if let Some(count) = self.per_address.get_mut(&network) {
            *count -= 1;
            if *count == 0 {
                self.per_address.remove(&network);
            }
        }
    }
}

impl Ticket {
    /// The cap this connection hit, if it is to be refused.
    #[cfg(test)]
    fn refused(&self) -> Option<Cap> {
        self.refused
    }

    /// Counts an admitted connection as coming from `client` (the address its trusted
    /// proxy forwards for): `Err` with the cap to refuse it by when that client's network
    /// is full, or when it was refused at accept. A direct connection, counted at accept
    /// already, stays as it is.
    pub fn count_as(&mut self, client: IpAddr) -> Result<(), Cap> {
        if let Some(cap) = self.refused {
            return Err(cap);
        }
        if self.network.is_some() {
            return Ok(());
        }
        let network = network_of(client);
        let mut counts = lock(&self.counts);
        if counts.full(network, self.max_per_address) {
            return Err(Cap::PerAddress);
        }
        *counts.per_address.entry(network).or_default() += 1;
        self.network = Some(network);
        Ok(())
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
        if let Some(network) = self.network {
            counts.give_back(network);
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
