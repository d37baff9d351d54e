//! The claims tables, in SQLite: each claimed email's devices, and every email seen with
//! its skeleton (for lookalike checks). Its own connection to the file, so that a claim
//! check never waits behind the users store's writes (WAL lets readers and one writer
//! share the file).

use super::deferred::Deferred;
use super::sql::{
    BUSY_TIMEOUT, fail, insert_device, last_used, live_device_exists, lock, lookalike, ms,
    new_device_id, prepare, upsert_identity, without_waiting, write_deferred,
};
use super::{ClaimError, Claimed, DeviceId};
use rusqlite::{Connection, params};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The claims of one deployment. Cheap to clone.
#[derive(Clone)]
pub struct ClaimStore {
    /// The one thread that owns the connection and runs every query in turn: a burst of
    /// registrations queues here instead of spawning a blocking thread each.
    jobs: mpsc::Sender<Job>,
    /// A device unused for longer no longer holds its email's claim (its token has
    /// expired too: every registration renews both).
    device_ttl_ms: i64,
    /// Set once the tables are known to exist; until then (the file locked at start) a
    /// query that fails finds no claims, and the schema is tried again before each query.
    prepared: Arc<AtomicBool>,
    /// Writes the file could not take yet, written before the next query.
    pub(super) deferred: Arc<Deferred>,
    /// When a write last failed: for [`WRITE_PAUSE`] after it, writes go to memory at once
    /// instead of each waiting out the busy timeout.
    write_failed_at: Arc<Mutex<Option<Instant>>>,
}

/// A device's last use is written at most this often (its life is counted in days).
const TOUCH_EVERY_MS: i64 = 60 * 60 * 1000;

/// How long writes go straight to memory after one failed.
const WRITE_PAUSE: Duration = Duration::from_secs(1);

/// A query for the claims thread: it runs, then its answer is given once the batch it ran
/// in is committed (`true`), or refused (`false`: the batch's commit failed).
type Job = Box<dyn FnOnce(&mut Connection) -> Answer + Send>;
type Answer = Box<dyn FnOnce(bool) + Send>;

/// Queries run in one transaction at most: a burst of sign-ins costs one commit per batch
/// rather than one each.
const MAX_BATCH: usize = 256;

/// What the claims thread shares with the handles.
struct Shared {
    prepared: Arc<AtomicBool>,
    deferred: Arc<Deferred>,
}

/// Starts the thread that owns `conn`; it ends when the last handle is dropped.
fn spawn_worker(
    mut conn: Connection,
    path: &Path,
    shared: Shared,
) -> Result<mpsc::Sender<Job>, ClaimError> {
    let (jobs, queue) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("claims".into())
        .spawn(move || {
            while let Ok(first) = queue.recv() {
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
    let grouped = batch.len() > 1 && conn.execute_batch("BEGIN IMMEDIATE").is_ok();
    let answers: Vec<Answer> = batch.into_iter().map(|job| job(conn)).collect();
    let committed = !grouped || conn.execute_batch("COMMIT").is_ok();
    if !committed {
        let _ = conn.execute_batch("ROLLBACK");
    }
    for answer in answers {
        answer(committed);
    }
}

impl ClaimStore {
    /// Opens (or creates) the claims tables in the SQLite file at `path`. Blocks: call it
    /// at start. A file locked by another process does not stop it: the tables are made
    /// before the first query that gets through.
    pub fn open(path: &Path, device_ttl: Duration) -> Result<Self, ClaimError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| fail(path, &e))?;
        }
        let conn = Connection::open(path).map_err(|e| fail(path, &e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| fail(path, &e))?;
        let prepared = match prepare(&conn) {
            Ok(()) => true,
            Err(error) => {
                log::warn!(
                    "claims: {} not ready ({error}); prepared later",
                    path.display()
                );
                false
            }
        };
        let (prepared, deferred) = (Arc::new(AtomicBool::new(prepared)), Arc::default());
        let shared = Shared {
            prepared: Arc::clone(&prepared),
            deferred: Arc::clone(&deferred),
        };
        Ok(Self {
            jobs: spawn_worker(conn, path, shared)?,
            device_ttl_ms: i64::try_from(device_ttl.as_millis()).unwrap_or(i64::MAX),
            prepared,
            deferred,
            write_failed_at: Arc::default(),
        })
    }

    /// Whether a live device holds `email`.
    pub async fn is_claimed(&self, email: &str, now_ms: u64) -> Result<bool, ClaimError> {
        let cutoff = self.cutoff(now_ms);
        if self.deferred.holds(email, cutoff) {
            return Ok(true);
        }
        let email = email.to_owned();
        self.read(move |conn| live_device_exists(conn, &email, cutoff))
            .await
    }

    /// Whether `device` is a live device of `email`; if it is, it is marked used now
    /// (when the file takes the write: a missed mark only ages the device).
    pub async fn touch_device(
        &self,
        email: &str,
        device: &str,
        now_ms: u64,
    ) -> Result<bool, ClaimError> {
        let cutoff = self.cutoff(now_ms);
        if self.deferred.has_device(email, device, cutoff) {
            return Ok(true);
        }
        let (email, device, now) = (email.to_owned(), device.to_owned(), ms(now_ms));
        let (owned_email, owned_device) = (email.clone(), device.clone());
        // Most sign-ins are reconnects of a device used minutes ago: a read, no commit.
        let stale_before = now.saturating_sub(TOUCH_EVERY_MS);
        let used = self
            .read(move |conn| last_used(conn, &owned_email, &owned_device))
            .await?;
        match used {
            None => return Ok(false),
            Some(used) if used <= cutoff => return Ok(false),
            Some(used) if used > stale_before => return Ok(true),
            Some(_) => {}
        }
        let touched = self
            .write(move |conn| {
                conn.prepare_cached(
                    "UPDATE claim_devices SET last_used_ms = ?3
                     WHERE email = ?1 AND device = ?2 AND last_used_ms > ?4",
                )?
                .execute(params![email, device, now, cutoff])
            })
            .await;
        // The device is live either way; a missed mark only ages it.
        Ok(!matches!(touched, Ok(0)))
    }

    /// Claims `email` for a new device if no live device holds it and no other known
    /// email has its `skeleton`; one savepoint on the one claims thread, so two claimants
    /// cannot both win. When
    /// the file cannot take it, the claim is checked against what the file and memory
    /// hold and kept in memory until it can.
    pub async fn claim(
        &self,
        email: &str,
        skeleton: &str,
        now_ms: u64,
    ) -> Result<Claimed, ClaimError> {
        let (cutoff, now) = (self.cutoff(now_ms), ms(now_ms));
        if self.deferred.holds(email, cutoff) {
            return Ok(Claimed::Taken);
        }
        if let Some(existing) = self.deferred.lookalike(email, skeleton) {
            return Ok(Claimed::Confusable { existing });
        }
        let device = new_device_id()?;
        let (owned_email, owned_skeleton, owned_device) =
            (email.to_owned(), skeleton.to_owned(), device.clone());
        let claimed = self
            .write(move |conn| {
                let tx = conn.savepoint()?;
                if live_device_exists(&tx, &owned_email, cutoff)? {
                    return Ok(Claimed::Taken);
                }
                if let Some(existing) = lookalike(&tx, &owned_email, &owned_skeleton)? {
                    return Ok(Claimed::Confusable { existing });
                }
                insert_device(&tx, &owned_email, &owned_device, now)?;
                upsert_identity(&tx, &owned_email, &owned_skeleton, now)?;
                tx.commit()?;
                Ok(Claimed::New(owned_device))
            })
            .await;
        match claimed {
            Ok(claimed) => Ok(claimed),
            Err(error) => {
                self.claim_deferred(email, skeleton, device, now, error)
                    .await
            }
        }
    }

    async fn claim_deferred(
        &self,
        email: &str,
        skeleton: &str,
        device: DeviceId,
        now: i64,
        error: ClaimError,
    ) -> Result<Claimed, ClaimError> {
        let (owned_email, owned_skeleton, cutoff) = (
            email.to_owned(),
            skeleton.to_owned(),
            now.saturating_sub(self.device_ttl_ms),
        );
        let known = self
            .read(move |conn| {
                if live_device_exists(conn, &owned_email, cutoff)? {
                    return Ok(Some(Claimed::Taken));
                }
                let existing = lookalike(conn, &owned_email, &owned_skeleton)?;
                Ok(existing.map(|existing| Claimed::Confusable { existing }))
            })
            .await?;
        if let Some(known) = known {
            return Ok(known);
        }
        if !self.deferred.add_device(email, &device, skeleton, now) {
            return Err(error);
        }
        log::warn!(
            "claims: the file is unavailable ({error}); the claim of {email} is kept in memory"
        );
        Ok(Claimed::New(device))
    }

    /// Adds a device to `email` (the holder of a link code from one of its devices).
    pub async fn add_device(
        &self,
        email: &str,
        skeleton: &str,
        now_ms: u64,
    ) -> Result<DeviceId, ClaimError> {
        let now = ms(now_ms);
        let device = new_device_id()?;
        let (owned_email, owned_skeleton, owned_device) =
            (email.to_owned(), skeleton.to_owned(), device.clone());
        let added = self
            .write(move |conn| {
                let tx = conn.savepoint()?;
                insert_device(&tx, &owned_email, &owned_device, now)?;
                upsert_identity(&tx, &owned_email, &owned_skeleton, now)?;
                tx.commit()
            })
            .await;
        match added {
            Ok(()) => Ok(device),
            Err(_) if self.deferred.add_device(email, &device, skeleton, now) => Ok(device),
            Err(error) => Err(error),
        }
    }

    /// Records that `email` (unclaimed, a seed client's) was used now, unless another
    /// known email has its skeleton: then that email is returned and nothing is recorded.
    pub async fn note_identity(
        &self,
        email: &str,
        skeleton: &str,
        now_ms: u64,
    ) -> Result<Option<String>, ClaimError> {
        if let Some(existing) = self.deferred.lookalike(email, skeleton) {
            return Ok(Some(existing));
        }
        let (owned_email, owned_skeleton) = (email.to_owned(), skeleton.to_owned());
        let existing = self
            .read(move |conn| lookalike(conn, &owned_email, &owned_skeleton))
            .await?;
        if existing.is_some() {
            return Ok(existing);
        }
        let now = ms(now_ms);
        let (owned_email, owned_skeleton) = (email.to_owned(), skeleton.to_owned());
        let noted = self
            .write(move |conn| upsert_identity(conn, &owned_email, &owned_skeleton, now))
            .await;
        if noted.is_err() {
            self.deferred.add_identity(email, skeleton, now);
        }
        Ok(None)
    }

    /// Signs one device out: its token no longer works.
    pub async fn revoke(&self, email: &str, device: &str) -> Result<(), ClaimError> {
        let in_memory = self.deferred.remove_devices(email, |id| id == device);
        let (email, device) = (email.to_owned(), device.to_owned());
        let revoked = self
            .run(move |conn| {
                conn.execute(
                    "DELETE FROM claim_devices WHERE email = ?1 AND device = ?2",
                    params![email, device],
                )
            })
            .await;
        match revoked {
            Err(_) if in_memory > 0 => Ok(()),
            other => other.map(drop),
        }
    }

    /// Writes what is kept in memory; true once nothing is left there.
    pub async fn flush(&self) -> bool {
        let _ = self.run(|_| Ok(())).await;
        self.deferred.is_empty()
    }

    pub(super) fn cutoff(&self, now_ms: u64) -> i64 {
        ms(now_ms).saturating_sub(self.device_ttl_ms)
    }

    /// A query that writes: refused at once for a moment after a write failed.
    pub(super) async fn write<T, F>(&self, work: F) -> Result<T, ClaimError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let failed_at = Arc::clone(&self.write_failed_at);
        let paused = lock(&failed_at).is_some_and(|at| at.elapsed() < WRITE_PAUSE);
        if paused {
            return Err(ClaimError("the file refused a write a moment ago".into()));
        }
        let written = self.run(work).await;
        if written.is_err() {
            *lock(&failed_at) = Some(Instant::now());
        }
        written
    }

    /// A query whose failure, while the tables are not known to exist, finds nothing.
    pub(super) async fn read<T, F>(&self, work: F) -> Result<T, ClaimError>
    where
        T: Send + Default + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        match self.run(work).await {
            Err(_) if !self.prepared.load(Ordering::Acquire) => Ok(T::default()),
            other => other,
        }
    }

    /// Runs `work` on the connection in the blocking pool, after making the tables and
    /// writing what was deferred, where the file lets it.
    pub(super) async fn run<T, F>(&self, work: F) -> Result<T, ClaimError>
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
        self.jobs.send(job).map_err(|_| gone())?;
        answered.await.map_err(|_| gone())?
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
