//! Retention: users not seen for the retention period are deleted from the store, once at
//! start and then every hour, so the file does not keep everyone who ever passed by.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::task::JoinHandle;

use super::{UserStore, WriteBehind};

/// Days a user who is not connected is kept after they were last seen.
pub const DEFAULT_RETENTION_DAYS: u64 = 180;

/// Time between two purges.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// The retention period of `days` days; `None` (keep forever) for 0.
pub fn retention_of_days(days: u64) -> Option<Duration> {
    (days > 0).then(|| Duration::from_secs(days.saturating_mul(24 * 3600)))
}

/// Purges `store` of users not seen for `keep`, at once and then every [`PURGE_INTERVAL`],
/// until `writer` shuts down. A failed purge is logged and tried again at the next one.
pub fn spawn_retention<S: UserStore>(
    store: Arc<S>,
    keep: Duration,
    writer: WriteBehind,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PURGE_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = writer.stopping() => return,
                _ = ticks.tick() => purge(&*store, keep).await,
            }
        }
    })
}

async fn purge<S: UserStore>(store: &S, keep: Duration) {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        });
    let cutoff_ms = now_ms.saturating_sub(u64::try_from(keep.as_millis()).unwrap_or(u64::MAX));
    let days = keep.as_secs() / (24 * 3600);
    match store.purge_not_seen_since(cutoff_ms).await {
        Ok(0) => log::debug!("users store: nobody unseen for {days} days"),
        Ok(purged) => log::info!("users store: deleted {purged} users not seen for {days} days"),
        Err(error) => {
            log::warn!("users store: purge of users not seen for {days} days failed: {error}")
        }
    }
}
