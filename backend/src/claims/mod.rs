//! Claims: which emails belong to someone, proven by a device's session token (trust on
//! first use), which devices each has, the one-time link codes that add a device, and
//! the skeletons that keep a lookalike email from passing for an existing one.
//!
//! The claims live in SQLite (`store.rs`), never in memory: the server keeps nothing per
//! email it has seen. Link codes are short-lived and kept in memory (`link_codes.rs`).

mod link_codes;
mod store;

pub use link_codes::{LINK_CODE_TTL, LinkCodes};
pub use store::ClaimStore;

use std::fmt;

/// A device's id: random, in its session token, one row in the claims table.
pub type DeviceId = String;

/// Why the claims store could not answer. The registration is refused with `internal`
/// (the client may try again); nothing is claimed.
#[derive(Debug)]
pub struct ClaimError(pub String);

impl fmt::Display for ClaimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "claims store: {}", self.0)
    }
}

impl std::error::Error for ClaimError {}

/// The outcome of [`ClaimStore::claim`].
#[derive(Debug, PartialEq, Eq)]
pub enum Claimed {
    /// The email was free: it is now this new device's.
    New(DeviceId),
    /// Someone else's device holds it.
    Taken,
    /// Another email with the same skeleton is known: this one would pass for it.
    Confusable { existing: String },
}
