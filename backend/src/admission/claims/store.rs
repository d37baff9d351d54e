//! The claims tables, in SQLite: each claimed email's devices, and every email seen with
//! its skeleton (for lookalike checks). Its own connection to the file, so that a claim
//! check never waits behind the users store's writes (WAL lets readers and one writer
//! share the file).

use super::deferred::Deferred;
use super::model::{ClaimError, TOUCH_EVERY_MS};
use super::schema::prepare;
use super::sql::{BUSY_TIMEOUT, fail, last_used, live_device_exists, lock, ms};
use super::worker::{Job, Shared, spawn_worker, submit};
use crate::store::checkpointer::Checkpointer;
use rusqlite::{Connection, params};
use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// The claims of one deployment in a SQLite file. Cheap to clone.
#[derive(Clone)]
pub struct SqliteClaims {
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

/// Statements kept prepared on the claims connection: every query the store runs, and the
/// transactions' and savepoints' own.
const STATEMENT_CACHE: usize = 32;

/// How long writes go straight to memory after one failed.
const WRITE_PAUSE: Duration = Duration::from_secs(1);

impl SqliteClaims {
    /// Opens (or creates) the claims tables in the SQLite file at `path`. Blocks: call it
    /// at start. A file locked by another process does not stop it: the tables are made
    /// before the first query that gets through.
    pub fn open(path: &Path, device_ttl: Duration) -> Result<Self, ClaimError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| fail(path, &e))?;
        }
        let mut conn = Connection::open(path).map_err(|e| fail(path, &e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| fail(path, &e))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let prepared = match prepare(&mut conn) {
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
        let checkpointer = match Checkpointer::spawn(path, "claims") {
            Ok(checkpointer) => checkpointer.leave_to_it(&conn).ok().map(|()| checkpointer),
            Err(error) => {
                log::warn!("claims: no checkpoint thread ({error}); commits checkpoint");
                None
            }
        };
        Ok(Self {
            jobs: spawn_worker(conn, path, shared, checkpointer)?,
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

    /// The last use before which a device has lapsed, at `now_ms`.
    pub(super) fn cutoff(&self, now_ms: u64) -> i64 {
        self.cutoff_at(ms(now_ms))
    }

    pub(super) fn cutoff_at(&self, now: i64) -> i64 {
        now.saturating_sub(self.device_ttl_ms)
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

    /// Runs `work` on the claims thread, after making the tables and writing what was
    /// deferred, where the file lets it.
    // Not an `async fn`: the future is `submit`'s own, not one more layer keeping `work`.
    pub(super) fn run<T, F>(&self, work: F) -> impl Future<Output = Result<T, ClaimError>> + '_
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        submit(&self.jobs, work)
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
