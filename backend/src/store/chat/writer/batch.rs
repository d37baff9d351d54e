//! One batch of jobs in one transaction. Jobs run straight through first, without
//! savepoints: a job refused by the rules has written nothing (every refusal comes before
//! its first write), so only a failure in SQLite needs undoing, and then the whole
//! transaction is rolled back and the batch run again with each job in its own savepoint,
//! so that the failing job alone is refused. A savepoint makes SQLite copy every page a
//! job touches into its statement journal first: most of a busy chat's cost, saved on
//! every batch that has no failure.

use rusqlite::Connection;

use super::super::job::{Job, WriterSettings};
use super::super::markers;
use super::super::messages::{self, JobError};
use super::super::model::{ChatRefusal, Posted, ReadMoved, StoredMessage, now_ms};
use super::super::purge;

/// What a job did, kept until the commit is known.
pub(super) enum Outcome {
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

/// Runs `batch` in one transaction, an outcome per job in `outcomes`; whether it committed.
pub(super) fn run_batch(
    conn: &mut Connection,
    settings: &WriterSettings,
    batch: &[Job],
    outcomes: &mut Vec<Outcome>,
) -> bool {
    let now = now_ms();
    if !begin(conn, batch.len()) {
        outcomes.extend(batch.iter().map(|_| Outcome::Unavailable));
        return false;
    }
    if !run_pass(conn, settings, batch, now, Pass::Straight, outcomes) {
        log::warn!("chat store: a statement failed; the batch runs again, job by job");
        outcomes.clear();
        let _ = exec(conn, "ROLLBACK");
        if !begin(conn, batch.len()) {
            outcomes.extend(batch.iter().map(|_| Outcome::Unavailable));
            return false;
        }
        run_pass(conn, settings, batch, now, Pass::Guarded, outcomes);
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

fn begin(conn: &Connection, jobs: usize) -> bool {
    match exec(conn, "BEGIN IMMEDIATE") {
        Ok(()) => true,
        Err(error) => {
            log::warn!("chat store: a batch of {jobs} could not start: {error}");
            false
        }
    }
}

/// Runs every job of `batch` in `pass`; false when a straight pass met a failure in
/// SQLite (and stopped there).
fn run_pass(
    conn: &Connection,
    settings: &WriterSettings,
    batch: &[Job],
    now: i64,
    pass: Pass,
    outcomes: &mut Vec<Outcome>,
) -> bool {
    for job in batch {
        let outcome = match pass {
            Pass::Straight => match execute(conn, settings, job, now) {
                Ok(outcome) => outcome,
                Err(()) => return false,
            },
            Pass::Guarded => guarded(conn, settings, job, now),
        };
        outcomes.push(outcome);
    }
    true
}

/// Runs one job in its own savepoint: a job that fails in SQLite leaves nothing behind.
fn guarded(conn: &Connection, settings: &WriterSettings, job: &Job, now: i64) -> Outcome {
    if let Err(error) = exec(conn, "SAVEPOINT job") {
        log::warn!("chat store: no savepoint: {error}");
        return Outcome::Unavailable;
    }
    let outcome = execute(conn, settings, job, now);
    let ended = match outcome {
        Ok(_) => exec(conn, "RELEASE job"),
        Err(()) => exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job")),
    };
    if let Err(error) = ended {
        log::warn!("chat store: savepoint not released: {error}");
    }
    outcome.unwrap_or(Outcome::Unavailable)
}

/// Runs one job; `Err` when it failed in SQLite (logged), after which what it wrote must
/// be undone. A refusal by the rules is an outcome: it wrote nothing.
fn execute(
    conn: &Connection,
    settings: &WriterSettings,
    job: &Job,
    now: i64,
) -> Result<Outcome, ()> {
    let window = settings.edit_window_ms;
    Ok(match job {
        Job::Post(post, _) => Outcome::Posted(settle(messages::post(conn, post, now))?),
        Job::Change(change, _) => {
            Outcome::Changed(settle(messages::change(conn, change, now, window))?)
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

/// A refusal by the rules as the job's outcome; a failure in SQLite as `Err`, logged.
fn settle<T>(result: Result<T, JobError>) -> Result<Result<T, ChatRefusal>, ()> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(JobError::Refused(refusal)) => Ok(Err(refusal)),
        Err(JobError::Sql(error)) => {
            failed(&error);
            Err(())
        }
    }
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
pub(super) fn answer(job: Job, outcome: Outcome, committed: bool) {
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

#[cfg(test)]
mod tests {
    use super::super::super::job::BatchEnd;
    use super::super::super::schema::open_writer;
    use super::super::super::tests::message;
    use super::*;
    use std::sync::mpsc;

    type Answers = mpsc::Receiver<(&'static str, Result<Posted, ChatRefusal>)>;

    /// Three posts, the middle one failing in SQLite (a trigger refuses its text).
    fn batch_with_a_poisoned_post() -> (Vec<Job>, Answers) {
        let (sent, answers) = mpsc::channel();
        let jobs = ["first", "poison", "last"]
            .into_iter()
            .map(|text| {
                let sent = sent.clone();
                let reply: super::super::super::job::Reply<Posted> =
                    Box::new(move |outcome| drop(sent.send((text, outcome))));
                Job::Post(message("a@x.com", None, text, Some(text)), reply)
            })
            .collect();
        (jobs, answers)
    }

    #[test]
    fn a_failure_in_sqlite_refuses_its_job_alone_and_the_rest_of_the_batch_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = open_writer(&dir.path().join("chat.sqlite3")).unwrap();
        conn.execute_batch(
            "CREATE TRIGGER poison BEFORE INSERT ON chat_messages WHEN NEW.text = 'poison'
             BEGIN SELECT RAISE(ABORT, 'poisoned'); END;",
        )
        .unwrap();
        let settings = WriterSettings {
            edit_window_ms: 1,
            batch_end: BatchEnd::default(),
        };
        let (batch, answers) = batch_with_a_poisoned_post();
        let mut outcomes = Vec::new();
        assert!(run_batch(&mut conn, &settings, &batch, &mut outcomes));
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            answer(job, outcome, true);
        }
        let answered: Vec<(&str, Result<String, ChatRefusal>)> = answers
            .try_iter()
            .map(|(text, outcome)| (text, outcome.map(|posted| posted.message.text)))
            .collect();
        assert_eq!(
            answered,
            [
                ("first", Ok("first".to_owned())),
                ("poison", Err(ChatRefusal::StoreUnavailable)),
                ("last", Ok("last".to_owned())),
            ]
        );
        let stored: Vec<String> = conn
            .prepare("SELECT text FROM chat_messages ORDER BY id")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(stored, ["first", "last"]);
        let log_rows: i64 = conn
            .query_row("SELECT count(*) FROM chat_log", [], |row| row.get(0))
            .unwrap();
        assert_eq!(log_rows, 2, "the failed post's log row was undone with it");
    }
}
