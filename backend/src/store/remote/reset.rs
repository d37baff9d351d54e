//! The presence reset at start: users an earlier run left online in the API marked
//! offline, in the background, once the API answers.

use std::sync::Arc;

use tokio::task::JoinHandle;

use super::super::{RetryPolicy, WriteBehind};
use super::store::RemoteStore;

/// Marks the users an earlier run left online in the API offline, in the background:
/// lists them, retrying with backoff until the API answers, then hands `writer` a
/// disconnected record for each one this server has not heard of since it started (who
/// connected meanwhile keeps the state the server recorded). Stops if `writer` shuts down.
pub fn spawn_presence_reset(
    store: Arc<RemoteStore>,
    writer: WriteBehind,
    retry: RetryPolicy,
) -> JoinHandle<()> {
    writer.begin_corrections();
    tokio::spawn(async move {
        // However the task ends, the emails noted for it are forgotten.
        let _done = CorrectionsDone(writer.clone());
        let mut backoff = retry.initial;
        let mut warned = false;
        while !writer.is_stopping() {
            match store.stale_users().await {
                Ok(stale) => {
                    let listed = stale.len();
                    let marked = stale
                        .into_iter()
                        .filter(|record| writer.record_unless_seen(record.clone()))
                        .count();
                    log::info!(
                        "users API: {marked} of {listed} users it shows online are stale, marking them offline"
                    );
                    return;
                }
                Err(error) if !warned => {
                    log::warn!("users API: cannot list connected users, retrying: {error}");
                    warned = true;
                }
                Err(error) => log::debug!("users API: still cannot list connected users: {error}"),
            }
            tokio::time::sleep(backoff.mul_f64(0.5 + 0.5 * fastrand::f64())).await;
            backoff = (backoff * 2).min(retry.max);
        }
    })
}

/// Ends the writer's corrections when the presence reset ends, whichever way.
struct CorrectionsDone(WriteBehind);

impl Drop for CorrectionsDone {
    fn drop(&mut self) {
        self.0.end_corrections();
    }
}
