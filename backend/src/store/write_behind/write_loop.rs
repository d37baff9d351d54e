//! The writer task: takes everything pending as one batch, writes it, and on failure puts
//! it back and tries again with backoff; the backlog it logs while the store is failing.

use std::mem;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::telemetry;

use super::super::{UserRecord, UserStore};
use super::shared::{RetryPolicy, Shared};

/// The longest pause between two tries once shutdown has begun, so that the shutdown
/// deadline is spent trying, not waiting.
pub const STOPPING_RETRY_MAX: Duration = Duration::from_secs(1);

/// Writes start at most this often: what is recorded meanwhile joins the next batch, so a
/// crowd signing in costs one commit, and a user who comes and goes within it one row.
pub const BATCH_WINDOW: Duration = Duration::from_millis(50);

/// Marks the writer stopped however it exits (return, abort or panic), releasing flushers.
struct StoppedOnDrop(Arc<Shared>);

impl Drop for StoppedOnDrop {
    fn drop(&mut self) {
        self.0.progress.send_modify(|p| p.stopped = true);
    }
}

/// The writer task: takes the pending batch, writes it, and on failure puts it back and
/// waits out the backoff; ends once shutdown has begun and nothing is pending.
// One loop over the batch's life (take, write, settle, back off) reads best whole: its
// steps share the backoff and the lock's bookkeeping.
pub(super) async fn run<S: UserStore>(shared: Arc<Shared>, store: Arc<S>, retry: RetryPolicy) {
    let _stopped = StoppedOnDrop(Arc::clone(&shared));
    let mut backoff = retry.initial;
    let mut healthy = true;
    let mut backlog = Backlog::default();
    let mut last_write: Option<Instant> = None;
    loop {
        if let Some(since) = last_write.map(|at| at.elapsed()) {
            wait_for_company(&shared, BATCH_WINDOW.saturating_sub(since)).await;
        }
        let taken = {
            let mut state = shared.lock();
            if state.pending.is_empty() {
                if state.stopping {
                    return;
                }
                None
            } else {
                let batch = mem::take(&mut state.pending);
                let records: Vec<UserRecord> = batch.values().cloned().collect();
                state.in_flight = batch;
                Some((records, state.recorded))
            }
        };
        let Some((records, generation)) = taken else {
            shared.work.notified().await;
            continue;
        };

        let size = records.len();
        let started = Instant::now();
        last_write = Some(started);
        let written = store.write(records).await;
        telemetry::store_write(started.elapsed(), written.is_ok());
        match written {
            Ok(()) => {
                let left = {
                    let mut state = shared.lock();
                    state.in_flight = Default::default();
                    state.pending.len()
                };
                shared.progress.send_modify(|p| p.written = generation);
                if healthy {
                    backlog.note(left, healthy);
                } else {
                    log::info!("users store is healthy again, {left} records pending");
                    backlog.logged = left;
                    healthy = true;
                }
                backoff = retry.initial;
            }
            Err(e) => {
                log::warn!("users store write of {size} records failed: {e}");
                let left = {
                    let mut state = shared.lock();
                    for (email, record) in mem::take(&mut state.in_flight) {
                        // A record pending for the same email arrived later, so it wins.
                        state.pending.entry(email).or_insert(record);
                    }
                    state.pending.len()
                };
                if healthy {
                    log::info!("users store is unhealthy, {left} records pending, retrying");
                    backlog.logged = left;
                    healthy = false;
                } else {
                    backlog.note(left, healthy);
                }
                pause(&shared, backoff).await;
                backoff = (backoff * 2).min(retry.max);
            }
        }
    }
}

/// Waits about `backoff` (with jitter) before the next try; once shutdown has begun, at
/// most [`STOPPING_RETRY_MAX`], and a shutdown that begins cuts the wait short.
async fn pause(shared: &Shared, backoff: Duration) {
    let stopping = shared.stop.is_cancelled();
    let mut pause = backoff.mul_f64(0.5 + 0.5 * fastrand::f64());
    if stopping {
        pause = pause.min(STOPPING_RETRY_MAX);
    }
    tokio::select! {
        _ = tokio::time::sleep(pause) => {}
        _ = shared.stop.cancelled(), if !stopping => {}
    }
}

/// Lets records gather for `wait` after a write, unless shutdown has begun (then what is
/// pending is written at once). Records arriving meanwhile wake nobody.
async fn wait_for_company(shared: &Shared, wait: Duration) {
    if wait.is_zero() || shared.stop.is_cancelled() {
        return;
    }
    tokio::select! {
        _ = tokio::time::sleep(wait) => {}
        _ = shared.stop.cancelled() => {}
    }
}

/// Logs the number of pending records at `info` when it changes: on every change while
/// the store is failing (at most once per retry), and while it is healthy only when the
/// count changes order of magnitude (0-9, 10-99, ...), so a busy healthy server is quiet.
#[derive(Default)]
struct Backlog {
    logged: usize,
}

impl Backlog {
    fn note(&mut self, pending: usize, healthy: bool) {
        let magnitude = |n: usize| if n < 10 { 0 } else { n.ilog10() };
        let changed = if healthy {
            magnitude(pending) != magnitude(self.logged)
        } else {
            pending != self.logged
        };
        if changed {
            log::info!("users store: {pending} records pending");
            self.logged = pending;
        }
    }
}
