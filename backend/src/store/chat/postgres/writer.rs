//! The writer on PostgreSQL: one task taking the queued jobs in batches (at most
//! `MAX_BATCH`, one transaction each, `batch.rs`), answering each job after the commit in
//! submit order and then running the batch's end hook, as the SQLite writer thread does.
//! A batch the server does not take (down, slow, an error) answers its jobs
//! `StoreUnavailable` and closes its connection; the next batch connects again, after a
//! pause that grows while the server stays away.

use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::mpsc::{Receiver, Sender, channel, error::TrySendError};
use tokio::time::Instant;

use super::super::job::{Job, WriterSettings, end_batch};
use super::super::writer::{MAX_BATCH, Outcome, UNANSWERED_DELAY, answer};
use super::batch::run_batch;

/// The first pause after a batch the server did not take; it doubles up to
/// [`MOST_PAUSE`] while batches keep failing, and is gone after one commit.
const FIRST_PAUSE: Duration = Duration::from_millis(50);
const MOST_PAUSE: Duration = Duration::from_secs(1);

/// The handles' end of the writer's queue.
#[derive(Clone)]
pub(super) struct Writer {
    jobs: Sender<Job>,
}

impl Writer {
    /// Starts the task writing to `pool`, with a queue of `capacity` jobs; it ends when
    /// the last handle is dropped.
    pub fn spawn(pool: Pool, capacity: usize, settings: WriterSettings) -> Writer {
        let (jobs, queue) = channel(capacity);
        tokio::spawn(write_loop(pool, queue, settings));
        Writer { jobs }
    }

    /// Queues `job`; false (the job dropped, never answered) when the queue is full or
    /// the task gone.
    pub fn try_submit(&self, job: Job) -> bool {
        match self.jobs.try_send(job) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Closed(_)) => false,
        }
    }

    /// Queues `job`, waiting for room in the queue; false when the task is gone.
    pub async fn submit_waiting(&self, job: Job) -> bool {
        self.jobs.send(job).await.is_ok()
    }
}

async fn write_loop(pool: Pool, mut queue: Receiver<Job>, settings: WriterSettings) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(MAX_BATCH);
    let mut pause = None;
    while let Some(first) = queue.recv().await {
        batch.push(first);
        gather(&mut queue, &mut batch).await;
        let committed = run_batch(&pool, &settings, &mut batch, &mut outcomes).await;
        for (job, outcome) in batch.drain(..).zip(outcomes.drain(..)) {
            answer(job, outcome, committed);
        }
        end_batch(&settings.batch_end);
        pause = next_pause(pause, committed);
        if let Some(pause) = pause {
            tokio::time::sleep(pause).await;
        }
    }
}

/// The pause before the next batch: none after a commit, else growing.
fn next_pause(pause: Option<Duration>, committed: bool) -> Option<Duration> {
    match (committed, pause) {
        (true, _) => None,
        (false, None) => Some(FIRST_PAUSE),
        (false, Some(pause)) => Some((pause * 2).min(MOST_PAUSE)),
    }
}

/// Adds to `batch` what is queued; a batch nobody waits for waits up to
/// `UNANSWERED_DELAY` for company, as the SQLite writer's does.
async fn gather(queue: &mut Receiver<Job>, batch: &mut Vec<Job>) {
    take_queued(queue, batch);
    let deadline = Instant::now() + UNANSWERED_DELAY;
    while batch.len() < MAX_BATCH && batch.iter().all(Job::is_unanswered) {
        match tokio::time::timeout_at(deadline, queue.recv()).await {
            Ok(Some(job)) => batch.push(job),
            Ok(None) | Err(_) => return,
        }
    }
    take_queued(queue, batch);
}

fn take_queued(queue: &mut Receiver<Job>, batch: &mut Vec<Job>) {
    while batch.len() < MAX_BATCH
        && let Ok(job) = queue.try_recv()
    {
        batch.push(job);
    }
}
