//! What the writer thread is given: its jobs, each with the way its caller is answered,
//! and its settings (the edit window, the end-of-batch hook). A leaf of the chat store,
//! shared by the writer and its batches.

use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::markers::Delivery;
use super::messages::{Change, JobError};
use super::model::{ChatRefusal, NewMessage, Posted, ReadMarker, ReadMoved, StoredMessage};
use super::purge::Purge;

/// How a job's caller is answered.
pub(super) type Reply<T> = Box<dyn FnOnce(Result<T, ChatRefusal>) + Send>;

/// The answer to `mark_delivered`: per sender, the highest newly delivered id.
pub(super) type Delivered = Box<dyn FnOnce(Vec<(String, i64)>) + Send>;

/// One thing for the writer to do.
pub(super) enum Job {
    Post(NewMessage, Reply<Posted>),
    Change(Change, Reply<StoredMessage>),
    MarkRead(ReadMarker, Reply<ReadMoved>),
    MarkDelivered(Delivery, Delivered),
    /// A member seen in a room: (room, email, name).
    Remember(String, String, String),
    /// One bounded step of retention; answered with the rows it deleted.
    Purge(Purge, oneshot::Sender<usize>),
    /// Answered once everything queued before it is committed.
    Flush(oneshot::Sender<()>),
}

impl Job {
    /// Whether nobody waits for the job's outcome.
    pub(super) fn is_unanswered(&self) -> bool {
        matches!(self, Job::Remember(..))
    }
}

/// What runs on the writer thread once every job of a batch is answered: the hub sends
/// there what the answers gathered (a commit's room messages, one frame per room). Set
/// after the store is opened (the hub comes later); a later one replaces it.
pub(super) type BatchEnd = Arc<Mutex<Option<Box<dyn Fn() + Send>>>>;

/// Runs the end-of-batch hook, if one is set.
pub(super) fn end_batch(batch_end: &BatchEnd) {
    let batch_end = batch_end.lock();
    let batch_end = batch_end.unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(then) = batch_end.as_ref() {
        then();
    }
}

/// What the writer needs besides its connection.
pub(super) struct WriterSettings {
    pub edit_window_ms: i64,
    pub batch_end: BatchEnd,
}

/// A refusal by the rules as the job's outcome; a failure in the database as `Err`, logged.
pub(super) fn settle<T>(result: Result<T, JobError>) -> Result<Result<T, ChatRefusal>, ()> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(JobError::Refused(refusal)) => Ok(Err(refusal)),
        Err(failure) => {
            let _logged = failure.into_refusal();
            Err(())
        }
    }
}
