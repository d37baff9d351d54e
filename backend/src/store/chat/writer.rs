//! The writer thread: it owns the file's writing connection and runs the queued jobs in
//! one transaction (group commit, at most [`MAX_BATCH`] per batch; `batch.rs`), then
//! answers each job after the commit, in submit order, and runs the batch's end hook. A
//! batch whose commit fails answers every job `StoreUnavailable`: nothing is acknowledged
//! that is not stored.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use crate::store::checkpointer::Checkpointer;
use rusqlite::Connection;

use super::job::end_batch;
pub(super) use super::job::{BatchEnd, Job, WriterSettings};
use batch::run_batch;
pub(super) use batch::{Outcome, answer};
pub(super) use tail::LastPosted;

mod batch;
mod tail;
#[cfg(test)]
mod tests;

/// Jobs run in one transaction at most: a burst costs one commit per batch.
pub(super) const MAX_BATCH: usize = 512;

/// How long a batch of jobs nobody waits for may wait for others: members remembered as a
/// crowd signs in then cost one commit per interval instead of one each.
pub(super) const UNANSWERED_DELAY: Duration = Duration::from_millis(100);

/// How often a batch waiting for company looks at the queue.
const UNANSWERED_POLL: Duration = Duration::from_millis(5);

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
        end_batch(&settings.batch_end);
    }
}

/// Adds to `batch` what is queued; a batch that nobody waits for (members remembered)
/// waits up to [`UNANSWERED_DELAY`] for company, until a job someone waits for comes. It
/// looks at the queue every [`UNANSWERED_POLL`] rather than blocking on it, so the members
/// queued meanwhile wake nobody (a crowd signing in would otherwise wake this thread once
/// per member), and a waited job waits at most one step.
fn gather(queue: &Receiver<Job>, batch: &mut Vec<Job>) {
    take_queued(queue, batch);
    let deadline = Instant::now() + UNANSWERED_DELAY;
    while batch.len() < MAX_BATCH && batch.iter().all(Job::is_unanswered) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(UNANSWERED_POLL));
        take_queued(queue, batch);
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
