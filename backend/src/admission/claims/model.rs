//! The claims' vocabulary: a device's id, the outcome of a claim, and why the store could
//! not answer.

use std::fmt;

/// A device's id: random, in its session token, one row in the claims table.
pub type DeviceId = String;

/// A device's last use is written at most this often (its life is counted in days), so
/// most sign-ins are a read.
pub const TOUCH_EVERY_MS: i64 = 60 * 60 * 1000;

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

/// The outcome of a claim (`ClaimStore::claim`).
#[derive(Debug, PartialEq, Eq)]
pub enum Claimed {
    /// The email was free: it is now this new device's.
    New(DeviceId),
    /// Someone else's device holds it.
    Taken,
    /// Another email with the same skeleton is known: this one would pass for it.
    Confusable { existing: String },
}
