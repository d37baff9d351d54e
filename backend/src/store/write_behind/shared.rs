//! What the write-behind handles and their writer task share: the pending records under one
//! lock, the wake-up, the progress flushers wait on, and the retry policy.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::super::UserRecord;

/// How long the writer waits before retrying a failed write: it starts at `initial` and
/// doubles after each failure up to `max`, with random jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(10),
        }
    }
}

/// Emails noted at most while a start-up correction is under way (a few MiB).
pub const MAX_SEEN: usize = 50_000;

/// What the handles and the writer task share.
pub(super) struct Shared {
    /// All bookkeeping under one lock, so "take the batch" and "note how far recording had
    /// got" are one step. A std mutex: it is never held across an `.await`, only for a
    /// few map operations.
    pub(super) state: Mutex<State>,
    /// Wakes the writer when a record arrives or shutdown begins (a stored permit covers a
    /// wake-up sent while the writer was busy).
    pub(super) work: Notify,
    /// How far writing has got; flushers wait on it instead of polling.
    pub(super) progress: watch::Sender<Progress>,
    /// Cancelled when shutdown begins, for helpers that wait on the writer.
    pub(super) stop: CancellationToken,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while the lock is held, so a poisoned state is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Default)]
pub(super) struct State {
    /// The latest unwritten record of each email.
    pub(super) pending: HashMap<String, UserRecord>,
    /// The emails recorded since [`WriteBehind::begin_corrections`], until
    /// [`WriteBehind::end_corrections`]; `None` the rest of the time, so that the server
    /// does not keep every email it ever saw.
    pub(super) seen: Option<HashSet<String>>,
    /// The batch the writer is writing now (empty when idle), put back into `pending` if the
    /// write fails, and named at shutdown if it never succeeds.
    pub(super) in_flight: HashMap<String, UserRecord>,
    /// How many records have ever been recorded; the generation flushers wait for.
    pub(super) recorded: u64,
    /// Set by shutdown: the writer exits once nothing is pending.
    pub(super) stopping: bool,
    /// The writer task, taken by shutdown to wait for it or abort it.
    pub(super) writer: Option<JoinHandle<()>>,
}

impl State {
    pub(super) fn insert(&mut self, record: UserRecord) {
        if let Some(seen) = &mut self.seen
            && !seen.contains(&record.email)
        {
            if seen.len() < MAX_SEEN {
                seen.insert(record.email.clone());
            } else {
                log::warn!(
                    "users store: over {MAX_SEEN} users since start; giving up the correction \
                     of users an earlier run left online"
                );
                self.seen = None;
            }
        }
        self.recorded += 1;
        self.pending.insert(record.email.clone(), record);
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Progress {
    /// Every record up to this generation is written or replaced by a written one.
    pub(super) written: u64,
    /// The writer has exited, so nothing more will be written.
    pub(super) stopped: bool,
}
