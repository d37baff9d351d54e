//! Claims: which emails belong to someone, proven by a device's session token (trust on
//! first use), which devices each has, the one-time link codes that add a device, and
//! the skeletons that keep a lookalike email from passing for an existing one.
//!
//! The claims live in a SQLite file (`store.rs`) or in PostgreSQL (`postgres/`), behind
//! one handle (`handle.rs`), never only in memory: the server keeps nothing per email it
//! has seen. Link codes are short-lived: in memory beside a SQLite file
//! (`link_codes.rs`), in PostgreSQL beside its claims (`device_links.rs` picks).

mod admin;
mod claiming;
mod deferred;
mod device_links;
mod handle;
mod link_codes;
mod model;
mod postgres;
mod schema;
mod sql;
mod store;
mod worker;

pub use device_links::DeviceLinks;
pub use handle::ClaimStore;
pub use link_codes::{LINK_CODE_TTL, LinkCodes};
pub use model::{ClaimError, Claimed, DeviceId};

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
