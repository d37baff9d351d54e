//! The writer thread: it owns the file's writing connection and runs the queued jobs in
//! one transaction (group commit, at most [`MAX_BATCH`] per batch), each in a savepoint,
//! then answers each job after the commit, in submit order. A batch whose commit fails
//! answers every job `StoreUnavailable`: nothing is acknowledged that is not stored.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use crate::store::checkpointer::Checkpointer;
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::markers::{self, Delivery};
use super::messages::{self, Change, JobError};
use super::model::{ChatRefusal, NewMessage, Posted, ReadMarker, ReadMoved, StoredMessage, now_ms};
use super::purge::{self, Purge};

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

/// A job that ran, holding its answer until the commit is known.
enum Ran {
    Post(Reply<Posted>, Result<Posted, ChatRefusal>),
    Change(Reply<StoredMessage>, Result<StoredMessage, ChatRefusal>),
    MarkRead(Reply<ReadMoved>, Result<ReadMoved, ChatRefusal>),
    MarkDelivered(Delivered, Vec<(String, i64)>),
    Purge(oneshot::Sender<usize>, usize),
    Flush(oneshot::Sender<()>),
    Silent,
}

impl Ran {
    /// Gives the answer; a batch not committed turns every success into
    /// `StoreUnavailable` (and delivers, purges nothing).
    fn answer(self, committed: bool) {
        fn kept<T>(outcome: Result<T, ChatRefusal>, committed: bool) -> Result<T, ChatRefusal> {
            match outcome {
                Ok(_) if !committed => Err(ChatRefusal::StoreUnavailable),
                other => other,
            }
        }
        match self {
            Ran::Post(reply, outcome) => reply(kept(outcome, committed)),
            Ran::Change(reply, outcome) => reply(kept(outcome, committed)),
            Ran::MarkRead(reply, outcome) => reply(kept(outcome, committed)),
            Ran::MarkDelivered(reply, moved) => reply(if committed { moved } else { Vec::new() }),
            Ran::Purge(reply, deleted) => drop(reply.send(if committed { deleted } else { 0 })),
            Ran::Flush(reply) => drop(reply.send(())),
            Ran::Silent => {}
        }
    }
}

/// What the writer needs besides its connection.
pub(super) struct WriterSettings {
    pub edit_window_ms: i64,
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
    let mut ran = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = queue.recv() {
        batch.push(first);
        gather(queue, &mut batch);
        let committed = run_batch(&mut conn, settings, &mut batch, &mut ran);
        for done in ran.drain(..) {
            done.answer(committed);
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

/// Runs `batch` in one transaction, each job in a savepoint; whether it committed.
fn run_batch(
    conn: &mut Connection,
    settings: &WriterSettings,
    batch: &mut Vec<Job>,
    ran: &mut Vec<Ran>,
) -> bool {
    let began = exec(conn, "BEGIN IMMEDIATE");
    if let Err(error) = &began {
        log::warn!(
            "chat store: a batch of {} could not start: {error}",
            batch.len()
        );
    }
    let now = now_ms();
    for job in batch.drain(..) {
        ran.push(match began {
            Ok(()) => run_job(conn, settings, job, now),
            Err(_) => refused(job),
        });
    }
    if began.is_err() {
        return false;
    }
    match exec(conn, "COMMIT") {
        Ok(()) => true,
        Err(error) => {
            log::warn!(
                "chat store: a batch of {} was not committed: {error}",
                ran.len()
            );
            let _ = exec(conn, "ROLLBACK");
            false
        }
    }
}

/// Runs one job in its own savepoint: a job that fails in SQLite leaves nothing behind.
fn run_job(conn: &Connection, settings: &WriterSettings, job: Job, now: i64) -> Ran {
    if let Err(error) = exec(conn, "SAVEPOINT job") {
        log::warn!("chat store: no savepoint: {error}");
        return refused(job);
    }
    let failed = &mut false;
    let window = settings.edit_window_ms;
    let ran = match job {
        Job::Post(post, reply) => Ran::Post(reply, settle(messages::post(conn, post, now), failed)),
        Job::Change(change, reply) => {
            let changed = messages::change(conn, change, now, window);
            Ran::Change(reply, settle(changed, failed))
        }
        Job::MarkRead(marker, reply) => {
            Ran::MarkRead(reply, settle(markers::mark_read(conn, marker), failed))
        }
        Job::MarkDelivered(delivery, reply) => {
            let moved = markers::mark_delivered(conn, &delivery).map_err(JobError::Sql);
            Ran::MarkDelivered(reply, settle(moved, failed).unwrap_or_default())
        }
        Job::Remember(room, email, name) => {
            let remembered = messages::remember(conn, &room, &email, &name, now);
            let _ = settle(remembered.map_err(JobError::Sql), failed);
            Ran::Silent
        }
        Job::Purge(purge, reply) => {
            let deleted = purge::purge_step(conn, &purge).map_err(JobError::Sql);
            Ran::Purge(reply, settle(deleted, failed).unwrap_or(0))
        }
        Job::Flush(reply) => Ran::Flush(reply),
    };
    let ended = if *failed {
        exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job"))
    } else {
        exec(conn, "RELEASE job")
    };
    if let Err(error) = ended {
        log::warn!("chat store: savepoint not released: {error}");
    }
    ran
}

/// A job's outcome for its caller; `failed` is set when its savepoint must be undone.
fn settle<T>(result: Result<T, JobError>, failed: &mut bool) -> Result<T, ChatRefusal> {
    result.map_err(|error| {
        *failed = true;
        error.into_refusal()
    })
}

/// A job not run (its batch could not start): refused with `StoreUnavailable`.
fn refused(job: Job) -> Ran {
    use ChatRefusal::StoreUnavailable;
    match job {
        Job::Post(_, reply) => Ran::Post(reply, Err(StoreUnavailable)),
        Job::Change(_, reply) => Ran::Change(reply, Err(StoreUnavailable)),
        Job::MarkRead(_, reply) => Ran::MarkRead(reply, Err(StoreUnavailable)),
        Job::MarkDelivered(_, reply) => Ran::MarkDelivered(reply, Vec::new()),
        Job::Purge(_, reply) => Ran::Purge(reply, 0),
        Job::Flush(reply) => Ran::Flush(reply),
        Job::Remember(..) => Ran::Silent,
    }
}

/// Runs a statement without parameters through the statement cache (no reparse).
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}
