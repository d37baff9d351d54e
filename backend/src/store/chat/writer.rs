//! The writer thread: it owns the file's writing connection and runs the queued jobs in
//! one transaction (group commit, at most [`MAX_BATCH`] per batch; `batch.rs`), then
//! answers each job after the commit, in submit order, and runs the batch's end hook. A
//! batch whose commit fails answers every job `StoreUnavailable`: nothing is acknowledged
//! that is not stored.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::store::checkpointer::Checkpointer;
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::markers::Delivery;
use super::messages::Change;
use super::model::{ChatRefusal, NewMessage, Posted, ReadMarker, ReadMoved, StoredMessage};
use super::purge::Purge;
use batch::{answer, run_batch};

mod batch;

/// Jobs run in one transaction at most: a burst costs one commit per batch.
pub(super) const MAX_BATCH: usize = 512;

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
    fn is_unanswered(&self) -> bool {
        matches!(self, Job::Remember(..))
    }
}

/// How long a batch of jobs nobody waits for may wait for others: members remembered as a
/// crowd signs in then cost one commit per interval instead of one each.
const UNANSWERED_DELAY: Duration = Duration::from_millis(100);

/// What runs on the writer thread once every job of a batch is answered: the hub sends
/// there what the answers gathered (a commit's room messages, one frame per room). Set
/// after the store is opened (the hub comes later); a later one replaces it.
pub(super) type BatchEnd = Arc<Mutex<Option<Box<dyn Fn() + Send>>>>;

/// What the writer needs besides its connection.
pub(super) struct WriterSettings {
    pub edit_window_ms: i64,
    pub batch_end: BatchEnd,
}

/// The handles' end of the writer's queue.
#[derive(Clone)]
pub(super) struct Writer {
    jobs: SyncSender<Job>,
}

impl Writer {
    /// Starts the thread owning `conn` (and the `checkpointer` of its file, if it has one),
    /// with a queue of `capacity` jobs; it ends when the last handle is dropped.
    pub fn spawn(
        conn: Connection,
        capacity: usize,
        settings: WriterSettings,
        checkpointer: Option<Checkpointer>,
    ) -> std::io::Result<Writer> {
        let (jobs, queue) = sync_channel(capacity);
        std::thread::Builder::new()
            .name("chat-writer".into())
            .spawn(move || {
                let _checkpointer = checkpointer;
                write_loop(conn, &queue, &settings)
            })?;
        Ok(Writer { jobs })
    }

    /// Queues `job`; false (the job dropped, never answered) when the queue is full or
    /// the thread gone.
    pub fn try_submit(&self, job: Job) -> bool {
        self.jobs.try_send(job).is_ok()
    }

    /// Queues `job`, waiting for room in the queue (in a blocking task); false when the
    /// thread is gone.
    pub async fn submit_waiting(&self, job: Job) -> bool {
        let jobs = self.jobs.clone();
        let sent = tokio::task::spawn_blocking(move || jobs.send(job).is_ok());
        sent.await.unwrap_or(false)
    }
}

fn write_loop(mut conn: Connection, queue: &Receiver<Job>, settings: &WriterSettings) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut outcomes = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = queue.recv() {
        batch.push(first);
        gather(queue, &mut batch);
        let committed = run_batch(&mut conn, settings, &batch, &mut outcomes);
        for (job, outcome) in batch.drain(..).zip(outcomes.drain(..)) {
            answer(job, outcome, committed);
        }
        let batch_end = settings.batch_end.lock();
        let batch_end = batch_end.unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(then) = batch_end.as_ref() {
            then();
        }
    }
}

/// Adds to `batch` what is queued; a batch that nobody waits for (members remembered)
/// waits up to [`UNANSWERED_DELAY`] for company, until a job someone waits for comes.
fn gather(queue: &Receiver<Job>, batch: &mut Vec<Job>) {
    take_queued(queue, batch);
    let deadline = Instant::now() + UNANSWERED_DELAY;
    while batch.len() < MAX_BATCH && batch.iter().all(Job::is_unanswered) {
        match queue.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(job) => batch.push(job),
            Err(_) => return,
        }
    }
    take_queued(queue, batch);
}

fn take_queued(queue: &Receiver<Job>, batch: &mut Vec<Job>) {
    while batch.len() < MAX_BATCH
        && let Ok(job) = queue.try_recv()
    {
        batch.push(job);
    }
}
