//! Write-behind: the hub records user changes without waiting; a background task writes them.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use super::{StoreError, UserRecord, UserStore};
use futures_util::future::BoxFuture;
pub use shared::RetryPolicy;
use shared::{Progress, Shared, State};

/// A handle to the background writer of one [`UserStore`]. Cheap to clone; every method
/// except [`flush`](WriteBehind::flush) and [`shutdown`](WriteBehind::shutdown) is sync
/// and returns at once.
#[derive(Clone)]
pub struct WriteBehind {
    shared: Arc<Shared>,
    /// The store's [`UserStore::probe`], for `/readyz`.
    probe: Probe,
}

/// A store's probe, behind a pointer: the handle is not generic over the store.
type Probe = Arc<dyn Fn() -> BoxFuture<'static, Result<(), StoreError>> + Send + Sync>;

impl WriteBehind {
    /// Starts the background writer task for `store`. Must be called inside a Tokio runtime.
    pub fn spawn<S: UserStore>(store: Arc<S>, retry: RetryPolicy) -> WriteBehind {
        let (progress, _) = watch::channel(Progress::default());
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Notify::new(),
            progress,
            stop: CancellationToken::new(),
        });
        let probed = Arc::clone(&store);
        let probe: Probe = Arc::new(move || {
            let store = Arc::clone(&probed);
            Box::pin(async move { store.probe().await })
        });
        let writer = tokio::spawn(write_loop::run(Arc::clone(&shared), store, retry));
        shared.lock().writer = Some(writer);
        WriteBehind { shared, probe }
    }

    /// Never blocks, never awaits: replaces any pending record of that email (latest state
    /// wins). Records made after [`shutdown`](WriteBehind::shutdown) are never written.
    pub fn record(&self, record: UserRecord) {
        self.shared.lock().insert(record);
        self.shared.work.notify_one();
    }

    /// Starts noting every email recorded, for [`record_unless_seen`]: a store whose
    /// start-up correction runs in the background calls it before the server serves, and
    /// [`end_corrections`] once the correction is made. At most [`MAX_SEEN`](shared::MAX_SEEN) emails are
    /// noted; past that the correction is given up.
    ///
    /// [`record_unless_seen`]: WriteBehind::record_unless_seen
    /// [`end_corrections`]: WriteBehind::end_corrections
    pub fn begin_corrections(&self) {
        self.shared.lock().seen = Some(HashSet::new());
    }

    /// Forgets the emails noted since [`begin_corrections`](WriteBehind::begin_corrections):
    /// nothing is kept per email for the rest of the process's life.
    pub fn end_corrections(&self) {
        self.shared.lock().seen = None;
    }

    /// Like [`record`](WriteBehind::record), but only for an email not recorded since
    /// [`begin_corrections`](WriteBehind::begin_corrections); returns whether it was
    /// recorded. For corrections made at start (marking stale users offline) that must not
    /// override what the server has since learnt about a user. Outside the corrections
    /// (or once they were given up) nothing is recorded: who was seen is not known.
    pub fn record_unless_seen(&self, record: UserRecord) -> bool {
        {
            let mut state = self.shared.lock();
            match &state.seen {
                Some(seen) if !seen.contains(&record.email) => state.insert(record),
                _ => return false,
            }
        }
        self.shared.work.notify_one();
        true
    }

    /// True once [`shutdown`](WriteBehind::shutdown) has begun: background helpers that
    /// feed the writer stop then.
    pub fn is_stopping(&self) -> bool {
        self.shared.lock().stopping
    }

    /// Resolves when [`shutdown`](WriteBehind::shutdown) begins.
    pub async fn stopping(&self) {
        self.shared.stop.cancelled().await;
    }

    /// Whether the store answers a cheap call now (not whether writes are pending).
    pub async fn probe(&self) -> Result<(), StoreError> {
        (self.probe)().await
    }

    /// Records waiting to be written (pending + in flight).
    pub fn pending(&self) -> usize {
        let state = self.shared.lock();
        state.pending.len() + state.in_flight.len()
    }

    /// Resolves once everything recorded before the call has been written, or at once if
    /// the writer has stopped. Waits as long as the store is down: wrap it in a timeout.
    pub async fn flush(&self) {
        let target = self.shared.lock().recorded;
        let mut progress = self.shared.progress.subscribe();
        // Err only if the sender is dropped, and `self` keeps it alive.
        let _ = progress
            .wait_for(|p| p.written >= target || p.stopped)
            .await;
    }

    /// Lets the writer finish what is pending for up to `deadline`, retrying failed writes
    /// (at least every [`STOPPING_RETRY_MAX`](write_loop::STOPPING_RETRY_MAX)), then stops it (a write still in flight is
    /// abandoned). Returns the emails whose latest change was not written, sorted: empty
    /// when everything was.
    pub async fn shutdown(&self, deadline: Duration) -> Vec<String> {
        let writer = {
            let mut state = self.shared.lock();
            state.stopping = true;
            state.writer.take()
        };
        self.shared.stop.cancel();
        self.shared.work.notify_one();
        if let Some(mut writer) = writer
            && tokio::time::timeout(deadline, &mut writer).await.is_err()
        {
            writer.abort();
        }
        let state = self.shared.lock();
        let mut unwritten: Vec<String> = state
            .pending
            .keys()
            .chain(state.in_flight.keys())
            .cloned()
            .collect();
        unwritten.sort_unstable();
        unwritten.dedup();
        unwritten
    }
}

mod shared;
mod write_loop;

#[cfg(test)]
mod tests;
