//! One batch of jobs in one PostgreSQL transaction: the rooms it writes to locked and its
//! ids taken (`ids.rs`), the jobs run straight through, each conversation's last message
//! written once, then the commit. A job that fails in the database aborts the
//! transaction: it is rolled back and the batch run again with each job in its own
//! savepoint, so that the failing job alone is refused (a refusal by the rules writes
//! nothing, as in the SQLite store). A failure of the connection, or a batch longer than
//! `PATIENCE`, refuses the whole batch and closes the connection.

use deadpool_postgres::{Object, Pool, Transaction};

use super::super::job::{Job, WriterSettings, settle};
use super::super::model::now_ms;
use super::super::writer::{LastPosted, Outcome};
use super::ids::Ids;
use super::reader::connect;
use super::sql::PATIENCE;
use super::{markers, messages, purge};

/// How the jobs of a pass are run.
#[derive(Clone, Copy, PartialEq)]
enum Pass {
    /// Straight through; stops at the first failure in the database.
    Straight,
    /// Each job in a savepoint, undone if it fails.
    Guarded,
}

/// Runs `batch` in one transaction, an outcome per job in `outcomes`; whether it committed.
pub(super) async fn run_batch(
    pool: &Pool,
    settings: &WriterSettings,
    batch: &mut [Job],
    outcomes: &mut Vec<Outcome>,
) -> bool {
    let committed = match connect(pool).await {
        Ok(mut client) => {
            let ran =
                tokio::time::timeout(PATIENCE, attempt(&mut client, settings, batch, outcomes));
            match ran.await {
                Ok(Ok(())) => true,
                Ok(Err(error)) => {
                    log::warn!(
                        "chat store: a batch of {} was not committed: {error}",
                        batch.len()
                    );
                    drop(Object::take(client));
                    false
                }
                Err(_) => {
                    log::warn!(
                        "chat store: a batch of {} took longer than {PATIENCE:?}",
                        batch.len()
                    );
                    drop(Object::take(client));
                    false
                }
            }
        }
        Err(_) => false,
    };
    if !committed {
        outcomes.clear();
        outcomes.extend(batch.iter().map(|_| Outcome::Unavailable));
    }
    committed
}

/// The straight pass, and the guarded one if a job failed in it.
async fn attempt(
    client: &mut Object,
    settings: &WriterSettings,
    batch: &mut [Job],
    outcomes: &mut Vec<Outcome>,
) -> Result<(), tokio_postgres::Error> {
    let now = now_ms();
    if in_transaction(client, settings, batch, (now, Pass::Straight), outcomes).await? {
        return Ok(());
    }
    log::warn!("chat store: a statement failed; the batch runs again, job by job");
    outcomes.clear();
    in_transaction(client, settings, batch, (now, Pass::Guarded), outcomes)
        .await
        .map(drop)
}

/// Runs `batch` in a transaction and commits it; false when a straight pass met a job
/// failing in the database (then rolled back).
async fn in_transaction(
    client: &mut Object,
    settings: &WriterSettings,
    batch: &mut [Job],
    (now, pass): (i64, Pass),
    outcomes: &mut Vec<Outcome>,
) -> Result<bool, tokio_postgres::Error> {
    let mut tx = client.transaction().await?;
    let (rooms, wanted) = Ids::wanted_by(batch);
    let mut ids = Ids::reserve(&tx, rooms, wanted).await?;
    let mut last = LastPosted::default();
    for job in batch.iter_mut() {
        let outcome = match pass {
            Pass::Straight => match execute(&tx, settings, job, now, &mut ids).await {
                Ok(outcome) => outcome,
                Err(()) => {
                    tx.rollback().await?;
                    return Ok(false);
                }
            },
            Pass::Guarded => {
                let savepoint = tx.savepoint("job").await?;
                match execute(&savepoint, settings, job, now, &mut ids).await {
                    Ok(outcome) => savepoint.commit().await.map(|()| outcome)?,
                    Err(()) => savepoint.rollback().await.map(|()| Outcome::Unavailable)?,
                }
            }
        };
        if let Outcome::Posted(Ok(posted)) = &outcome
            && !posted.duplicate
        {
            last.posted(&posted.message);
        }
        outcomes.push(outcome);
    }
    for (room, key, id, at) in last.iter() {
        messages::touch_conversation(&tx, (room, key), id, at).await?;
    }
    tx.commit().await.map(|()| true)
}

/// Runs one job; `Err` when it failed in the database (logged), after which its
/// transaction must be rolled back. A refusal by the rules is an outcome.
async fn execute(
    tx: &Transaction<'_>,
    settings: &WriterSettings,
    job: &mut Job,
    now: i64,
    ids: &mut Ids,
) -> Result<Outcome, ()> {
    let window = settings.edit_window_ms;
    let failed = |error: tokio_postgres::Error| {
        log::warn!("chat store: a statement failed: {error}");
    };
    Ok(match job {
        Job::Post(post, _) => Outcome::Posted(settle(messages::post(tx, post, now, ids).await)?),
        Job::Change(change, _) => {
            let changed = messages::change(tx, change, (now, window), ids).await;
            Outcome::Changed(settle(changed)?)
        }
        Job::MarkRead(marker, _) => Outcome::Read(settle(markers::mark_read(tx, marker).await)?),
        Job::MarkDelivered(delivery, _) => Outcome::Delivered(
            markers::mark_delivered(tx, delivery)
                .await
                .map_err(failed)?,
        ),
        Job::Remember(room, email, name) => {
            let member = (room.as_str(), email.as_str(), name.as_str());
            messages::remember(tx, member, now).await.map_err(failed)?;
            Outcome::Nothing
        }
        Job::Purge(step, _) => Outcome::Purged(purge::purge_step(tx, step).await.map_err(failed)?),
        Job::Flush(_) => Outcome::Nothing,
    })
}
