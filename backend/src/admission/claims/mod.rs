//! Claims: which emails belong to someone, proven by a device's session token (trust on
//! first use), which devices each has, the one-time link codes that add a device, and
//! the skeletons that keep a lookalike email from passing for an existing one.
//!
//! The claims live in SQLite (`store.rs`), never in memory: the server keeps nothing per
//! email it has seen. Link codes are short-lived and kept in memory (`link_codes.rs`).

mod admin;
mod deferred;
mod link_codes;
mod sql;
mod store;

pub use link_codes::{LINK_CODE_TTL, LinkCodes};
pub use store::ClaimStore;

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

/// Time between two purges of the claims.
const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// Purges `claims` at once and then hourly until `stop`: devices past their life, and
/// emails not used for `retention` (none, if `None`).
pub async fn purge_periodically(
    claims: ClaimStore,
    retention: Option<Duration>,
    stop: CancellationToken,
) {
    let mut ticks = tokio::time::interval(PURGE_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let keep_ms = retention.map_or(u64::MAX, |keep| {
            u64::try_from(keep.as_millis()).unwrap_or(u64::MAX)
        });
        match claims.purge(now_ms, now_ms.saturating_sub(keep_ms)).await {
            Ok(0) => {}
            Ok(purged) => log::info!("claims: forgot {purged} lapsed devices and unused emails"),
            Err(error) => log::warn!("claims purge failed: {error}"),
        }
    }
}

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
