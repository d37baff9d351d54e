//! One batch of jobs in one transaction. Jobs run straight through first, without
//! savepoints: a job refused by the rules has written nothing (every refusal comes before
//! its first write), so only a failure in SQLite needs undoing, and then the whole
//! transaction is rolled back and the batch run again with each job in its own savepoint,
//! so that the failing job alone is refused. A savepoint makes SQLite copy every page a
//! job touches into its statement journal first: most of a busy chat's cost, saved on
//! every batch that has no failure. What every job would write alike (the id sequence,
//! a conversation's last message) is written once, before the commit (`tail.rs`).

use rusqlite::Connection;

use super::super::ids::Ids;
use super::super::job::{Job, WriterSettings, settle};
use super::super::markers;
use super::super::messages;
use super::super::model::{ChatRefusal, Posted, ReadMoved, StoredMessage, now_ms};
use super::super::purge;
use super::tail::Tail;

/// What a job did, kept until the commit is known (the PostgreSQL writer's too).
pub(crate) enum Outcome {
    Posted(Result<Posted, ChatRefusal>),
    Changed(Result<StoredMessage, ChatRefusal>),
    Read(Result<ReadMoved, ChatRefusal>),
    Delivered(Vec<(String, i64)>),
    Purged(usize),
    Nothing,
    /// It could not run, or failed in SQLite: answered `StoreUnavailable`.
    Unavailable,
}

/// How the jobs of a pass are run.
#[derive(Clone, Copy, PartialEq)]
enum Pass {
    /// Straight through; stops at the first failure in SQLite.
    Straight,
    /// Each job in a savepoint, undone if it fails.
    Guarded,
}

/// How far a transaction of the batch got.
#[derive(PartialEq)]
enum Ran {
    /// Every job ran and the tail is written: ready to commit.
    Ready,
    /// A straight pass met a failure in SQLite.
    JobFailed,
    /// The transaction could not begin, or its tail not be written.
    Broken,
}

/// Runs `batch` in one transaction, an outcome per job in `outcomes`; whether it committed.
pub(super) fn run_batch(
    conn: &mut Connection,
    settings: &WriterSettings,
    batch: &[Job],
    outcomes: &mut Vec<Outcome>,
) -> bool {
    let now = now_ms();
    let mut ran = run_in_transaction(conn, settings, batch, now, Pass::Straight, outcomes);
    if ran == Ran::JobFailed {
        log::warn!("chat store: a statement failed; the batch runs again, job by job");
        outcomes.clear();
        let _ = exec(conn, "ROLLBACK");
        ran = run_in_transaction(conn, settings, batch, now, Pass::Guarded, outcomes);
    }
    if ran != Ran::Ready {
        outcomes.clear();
        outcomes.extend(batch.iter().map(|_| Outcome::Unavailable));
        let _ = exec(conn, "ROLLBACK");
        return false;
    }
    match exec(conn, "COMMIT") {
        Ok(()) => true,
        Err(error) => {
            log::warn!(
                "chat store: a batch of {} was not committed: {error}",
                batch.len()
            );
            let _ = exec(conn, "ROLLBACK");
            false
        }
    }
}

/// Begins a transaction and runs `batch` in it, then writes the batch's [`Tail`].
fn run_in_transaction(
    conn: &Connection,
    settings: &WriterSettings,
    batch: &[Job],
    now: i64,
    pass: Pass,
    outcomes: &mut Vec<Outcome>,
) -> Ran {
    if !begin(conn, batch.len()) {
        return Ran::Broken;
    }
    let Ok(mut tail) = sql(Tail::begin(conn)) else {
        return Ran::Broken;
    };
    if !run_pass(conn, settings, batch, (now, pass), &mut tail, outcomes) {
        return Ran::JobFailed;
    }
    match sql(tail.write(conn)) {
        Ok(()) => Ran::Ready,
        Err(()) => Ran::Broken,
    }
}

fn begin(conn: &Connection, jobs: usize) -> bool {
    match exec(conn, "BEGIN IMMEDIATE") {
        Ok(()) => true,
        Err(error) => {
            log::warn!("chat store: a batch of {jobs} could not start: {error}");
            false
        }
    }
}

/// Runs every job of `batch` in `pass`, each new message recorded in `tail`; false when a
/// straight pass met a failure in SQLite (and stopped there).
fn run_pass(
    conn: &Connection,
    settings: &WriterSettings,
    batch: &[Job],
    (now, pass): (i64, Pass),
    tail: &mut Tail,
    outcomes: &mut Vec<Outcome>,
) -> bool {
    for job in batch {
        let outcome = match pass {
            Pass::Straight => match execute(conn, settings, job, now, &mut tail.ids) {
                Ok(outcome) => outcome,
                Err(()) => return false,
            },
            Pass::Guarded => guarded(conn, settings, job, now, &mut tail.ids),
        };
        if let Outcome::Posted(Ok(posted)) = &outcome
            && !posted.duplicate
        {
            tail.posted(&posted.message);
        }
        outcomes.push(outcome);
    }
    true
}

/// Runs one job in its own savepoint: a job that fails in SQLite leaves nothing behind.
fn guarded(
    conn: &Connection,
    settings: &WriterSettings,
    job: &Job,
    now: i64,
    ids: &mut Ids,
) -> Outcome {
    if let Err(error) = exec(conn, "SAVEPOINT job") {
        log::warn!("chat store: no savepoint: {error}");
        return Outcome::Unavailable;
    }
    let outcome = execute(conn, settings, job, now, ids);
    let ended = match outcome {
        Ok(_) => exec(conn, "RELEASE job"),
        Err(()) => exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job")),
    };
    if let Err(error) = ended {
        log::warn!("chat store: savepoint not released: {error}");
    }
    outcome.unwrap_or(Outcome::Unavailable)
}

/// Runs one job, taking its ids from `ids`; `Err` when it failed in SQLite (logged), after
/// which what it wrote must be undone. A refusal by the rules is an outcome: it wrote
/// nothing.
fn execute(
    conn: &Connection,
    settings: &WriterSettings,
    job: &Job,
    now: i64,
    ids: &mut Ids,
) -> Result<Outcome, ()> {
    let window = settings.edit_window_ms;
    Ok(match job {
        Job::Post(post, _) => Outcome::Posted(settle(messages::post(conn, post, now, ids))?),
        Job::Change(change, _) => {
            Outcome::Changed(settle(messages::change(conn, change, (now, window), ids))?)
        }
        Job::MarkRead(marker, _) => Outcome::Read(settle(markers::mark_read(conn, marker))?),
        Job::MarkDelivered(delivery, _) => {
            Outcome::Delivered(sql(markers::mark_delivered(conn, delivery))?)
        }
        Job::Remember(room, email, name) => {
            sql(messages::remember(conn, room, email, name, now))?;
            Outcome::Nothing
        }
        Job::Purge(purge, _) => Outcome::Purged(sql(purge::purge_step(conn, purge))?),
        Job::Flush(_) => Outcome::Nothing,
    })
}

fn sql<T>(result: rusqlite::Result<T>) -> Result<T, ()> {
    result.map_err(|error| {
        failed(&error);
    })
}

fn failed(error: &rusqlite::Error) {
    log::warn!("chat store: a statement failed: {error}");
}

/// Gives `job` its answer; a batch not committed turns every success into
/// `StoreUnavailable` (and delivers, purges nothing), as does a job that could not run.
pub(crate) fn answer(job: Job, outcome: Outcome, committed: bool) {
    fn kept<T>(outcome: Result<T, ChatRefusal>, committed: bool) -> Result<T, ChatRefusal> {
        match outcome {
            Ok(_) if !committed => Err(ChatRefusal::StoreUnavailable),
            other => other,
        }
    }
    use ChatRefusal::StoreUnavailable as Unavailable;
    match (job, outcome) {
        (Job::Post(_, reply), Outcome::Posted(posted)) => reply(kept(posted, committed)),
        (Job::Post(_, reply), _) => reply(Err(Unavailable)),
        (Job::Change(_, reply), Outcome::Changed(changed)) => reply(kept(changed, committed)),
        (Job::Change(_, reply), _) => reply(Err(Unavailable)),
        (Job::MarkRead(_, reply), Outcome::Read(moved)) => reply(kept(moved, committed)),
        (Job::MarkRead(_, reply), _) => reply(Err(Unavailable)),
        (Job::MarkDelivered(_, reply), Outcome::Delivered(moved)) if committed => reply(moved),
        (Job::MarkDelivered(_, reply), _) => reply(Vec::new()),
        (Job::Purge(_, reply), Outcome::Purged(deleted)) if committed => drop(reply.send(deleted)),
        (Job::Purge(_, reply), _) => drop(reply.send(0)),
        (Job::Flush(reply), _) => drop(reply.send(())),
        (Job::Remember(..), _) => {}
    }
}

/// Runs a statement without parameters through the statement cache (no reparse).
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}
