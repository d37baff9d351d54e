//! The claims' one thread: it owns the connection to the file and runs the queries queued
//! at once in one transaction (group commit), each answered once its batch is committed.

use super::deferred::Deferred;
use super::model::ClaimError;
use super::schema::prepare;
use super::sql::{fail, without_waiting, write_deferred};
use crate::store::checkpointer::Checkpointer;
use crate::store::statements::run_cached;
use rusqlite::Connection;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use tokio::sync::oneshot;

/// A query for the claims thread: it runs, then its answer is given once the batch it ran
/// in is committed (`true`), or refused (`false`: the batch's commit failed).
pub(super) type Job = Box<dyn FnOnce(&mut Connection) -> Answer + Send>;
type Answer = Box<dyn FnOnce(bool) + Send>;

/// Queries run in one transaction at most: a burst of sign-ins costs one commit per batch
/// rather than one each.
const MAX_BATCH: usize = 256;

/// How long the first query of a batch waits for others: a sign-in waits this much more,
/// a few hundred sign-ins a second share their commits.
const GATHER: std::time::Duration = std::time::Duration::from_millis(1);

/// What the claims thread shares with the handles.
pub(super) struct Shared {
    pub prepared: Arc<AtomicBool>,
    pub deferred: Arc<Deferred>,
}

/// Starts the thread that owns `conn` (and the `checkpointer` of its file, if it has one);
/// it ends when the last handle is dropped.
pub(super) fn spawn_worker(
    mut conn: Connection,
    path: &Path,
    shared: Shared,
    checkpointer: Option<Checkpointer>,
) -> Result<mpsc::Sender<Job>, ClaimError> {
    let (jobs, queue) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("claims".into())
        .spawn(move || {
            let _checkpointer = checkpointer;
            while let Ok(first) = queue.recv() {
                // The sign-ins of the next moment join this one's commit: a crowd costs a
                // commit per moment instead of one each (the thread sleeps, so the queries
                // queued meanwhile wake nobody).
                std::thread::sleep(GATHER);
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH
                    && let Ok(job) = queue.try_recv()
                {
                    batch.push(job);
                }
                run_batch(&mut conn, &shared, batch);
            }
        })
        .map_err(|e| fail(path, &e))?;
    Ok(jobs)
}

/// Makes the tables and writes what was deferred, where the file lets it, then runs the
/// batch: in one transaction when it holds several queries (group commit), each query's
/// own changes in a savepoint, and the answers given once the commit is known.
fn run_batch(conn: &mut Connection, shared: &Shared, batch: Vec<Job>) {
    if !shared.prepared.load(Ordering::Acquire) && without_waiting(conn, |c| prepare(c).is_ok()) {
        shared.prepared.store(true, Ordering::Release);
    }
    if !shared.deferred.is_empty() {
        write_deferred(conn, &shared.deferred);
    }
    let grouped = batch.len() > 1 && run_cached(conn, "BEGIN IMMEDIATE").is_ok();
    let answers: Vec<Answer> = batch.into_iter().map(|job| job(conn)).collect();
    let committed = !grouped || run_cached(conn, "COMMIT").is_ok();
    if !committed {
        let _ = run_cached(conn, "ROLLBACK");
    }
    for answer in answers {
        answer(committed);
    }
}

/// Runs `work` on the claims thread behind `jobs`, and gives its outcome once the batch it
/// ran in is committed.
pub(super) async fn submit<T, F>(jobs: &mpsc::Sender<Job>, work: F) -> Result<T, ClaimError>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
{
    let (answer, answered) = oneshot::channel();
    let job: Job = Box::new(move |conn: &mut Connection| {
        let outcome = work(conn).map_err(|e| ClaimError(e.to_string()));
        Box::new(move |committed: bool| {
            let outcome = match (committed, outcome) {
                (false, Ok(_)) => Err(ClaimError("the batch's commit failed".into())),
                (_, outcome) => outcome,
            };
            let _ = answer.send(outcome);
        })
    });
    let gone = || ClaimError("the claims thread has stopped".into());
    jobs.send(job).map_err(|_| gone())?;
    answered.await.map_err(|_| gone())?
}
