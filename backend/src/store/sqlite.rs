//! The embedded users store: one SQLite file, opened once and shared behind a mutex.
//!
//! A file another process holds locked at start does not stop the server: what could not
//! be done then (the schema, marking everyone offline) is done before the first write, and
//! writes fail (and are retried by the write-behind writer) until the lock is gone.

mod schema;

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::statements::in_transaction;
use super::{StoreError, UserRecord, UserStore};
use schema::{SetupError, configure};

/// The users store kept in a local SQLite file (WAL mode). Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    /// One connection for the whole server: only the write-behind task writes, so there is
    /// no contention worth a pool. A std mutex, because it is only ever locked inside
    /// `spawn_blocking`, never across an `.await`.
    db: Arc<Mutex<Db>>,
}

/// The connection and what is still to be done to the file before it is written.
struct Db {
    conn: Connection,
    /// The pragmas and schema are not set up yet: the file was locked when it was opened.
    setup_due: bool,
    /// Everyone is still to be marked offline (asked for at start).
    presence_reset_due: bool,
}

impl Db {
    /// Finishes preparing the file, if that is still due: the schema, then the presence
    /// reset. Run before every write, so the first one that gets through does it.
    fn prepare(&mut self) -> Result<(), StoreError> {
        if self.setup_due {
            configure(&mut self.conn)
                .map_err(|e| StoreError(format!("preparing the file: {e}")))?;
            self.setup_due = false;
            log::info!("users store: the file is prepared");
        }
        if self.presence_reset_due {
            self.conn
                .execute("UPDATE users SET is_connected = 0", [])
                .map_err(sqlite)?;
            self.presence_reset_due = false;
        }
        Ok(())
    }
}

impl SqliteStore {
    /// Opens (or creates) the database at `path`, creating missing parent directories and
    /// the schema. A file that is not a database, or has a newer schema, is an error; a
    /// file locked by another process is not (its schema is set up before the first
    /// write). Blocks (up to the busy timeout): call it once at start.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref();
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            StoreError(format!("{what} {}: {e}", path.display()))
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| fail("creating the folder of", &e))?;
        }
        let mut conn = Connection::open(path).map_err(|e| fail("opening", &e))?;
        let setup_due = match configure(&mut conn) {
            Ok(()) => false,
            Err(SetupError::Locked(error)) => {
                log::warn!(
                    "users store: {} is locked by another process ({error}); starting anyway, \
                     the file is prepared before its first write",
                    path.display()
                );
                true
            }
            Err(error) => return Err(fail("preparing", &error)),
        };
        let db = Db {
            conn,
            setup_due,
            presence_reset_due: false,
        };
        Ok(SqliteStore {
            db: Arc::new(Mutex::new(db)),
        })
    }

    /// Marks everyone offline before anything else is written: at start, when nobody can
    /// be connected yet. Done now if the file can be written, else by the first write
    /// (and logged); never an error.
    pub async fn reset_presence_at_start(&self) {
        let setup_due = {
            let mut db = self.lock_db();
            db.presence_reset_due = true;
            db.setup_due
        };
        // A file found locked at open is not waited for a second time.
        if !setup_due && let Err(error) = self.run(true, |_| Ok(())).await {
            log::warn!(
                "users store: cannot mark everyone offline yet ({error}); done before the first write"
            );
        }
    }

    /// Every user, ordered by email.
    pub async fn list(&self) -> Result<Vec<UserRecord>, StoreError> {
        self.run(false, |conn| {
            let mut stmt = conn.prepare_cached(&format!("{SELECT} ORDER BY email"))?;
            let users = stmt.query_map([], from_row)?;
            users.collect()
        })
        .await
    }

    /// How many users the store knows.
    pub async fn count(&self) -> Result<usize, StoreError> {
        let count = self
            .run(false, |conn| {
                conn.query_row("SELECT COUNT(*) FROM users", [], |row| row.get::<_, i64>(0))
            })
            .await?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    fn lock_db(&self) -> std::sync::MutexGuard<'_, Db> {
        // Nothing panics while the lock is held, so a poisoned connection is still good.
        self.db
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `work` on the connection in the blocking thread pool, after finishing the
    /// file's preparation if `writes`.
    async fn run<T, F>(&self, writes: bool, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let store = self.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let mut db = store.lock_db();
            if writes {
                db.prepare()?;
            }
            work(&mut db.conn).map_err(sqlite)
        })
        .await;
        joined.map_err(|e| StoreError(format!("sqlite task failed: {e}")))?
    }
}

impl UserStore for SqliteStore {
    async fn probe(&self) -> Result<(), StoreError> {
        self.run(false, |conn| conn.query_row("SELECT 1", [], |_| Ok(())))
            .await
    }

    async fn write(&self, records: Vec<UserRecord>) -> Result<(), StoreError> {
        self.run(true, move |conn| {
            in_transaction(conn, "BEGIN", |tx| {
                let mut upsert = tx.prepare_cached(UPSERT)?;
                for r in &records {
                    let (latitude, longitude) = position(r);
                    upsert.execute(params![
                        r.email,
                        r.name,
                        latitude,
                        longitude,
                        r.is_connected,
                        i64::try_from(r.last_seen_ms).unwrap_or(i64::MAX),
                    ])?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn reset_presence(&self) -> Result<(), StoreError> {
        self.lock_db().presence_reset_due = true;
        self.run(true, |_| Ok(())).await
    }

    async fn get(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        let email = email.to_owned();
        self.run(false, move |conn| {
            let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE email = ?1"))?;
            stmt.query_row([email], from_row).optional()
        })
        .await
    }

    /// Deletes, a chunk per transaction, the users last seen before `cutoff_ms` and not
    /// connected. Other tables of users' data join this purge.
    async fn purge_not_seen_since(&self, cutoff_ms: u64) -> Result<usize, StoreError> {
        let cutoff = i64::try_from(cutoff_ms).unwrap_or(i64::MAX);
        let mut purged = 0;
        loop {
            let deleted = self
                .run(true, move |conn| {
                    conn.execute(PURGE, params![cutoff, PURGE_CHUNK])
                })
                .await?;
            purged += deleted;
            if i64::try_from(deleted).unwrap_or(i64::MAX) < PURGE_CHUNK {
                return Ok(purged);
            }
        }
    }
}

/// Users deleted per transaction by a purge, so the writer never waits long behind one.
const PURGE_CHUNK: i64 = 5_000;

/// Users last seen before `?1` and not connected, at most [`PURGE_CHUNK`] of them.
const PURGE: &str = "
    DELETE FROM users WHERE rowid IN (
        SELECT rowid FROM users WHERE last_seen_ms < ?1 AND is_connected = 0 LIMIT ?2)";

const SELECT: &str =
    "SELECT email, name, latitude, longitude, is_connected, last_seen_ms FROM users";

/// A missing position (NULL) keeps the stored one; everything else is the latest state.
const UPSERT: &str = "
    INSERT INTO users (email, name, latitude, longitude, is_connected, last_seen_ms)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)
    ON CONFLICT(email) DO UPDATE SET
        name = excluded.name,
        latitude = COALESCE(excluded.latitude, users.latitude),
        longitude = COALESCE(excluded.longitude, users.longitude),
        is_connected = excluded.is_connected,
        last_seen_ms = excluded.last_seen_ms";

/// A position is stored whole or not at all, so half or non-finite ones count as missing.
fn position(r: &UserRecord) -> (Option<f64>, Option<f64>) {
    match (r.latitude, r.longitude) {
        (Some(lat), Some(lon)) if lat.is_finite() && lon.is_finite() => (Some(lat), Some(lon)),
        _ => (None, None),
    }
}

fn sqlite(error: rusqlite::Error) -> StoreError {
    StoreError(format!("sqlite: {error}"))
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        email: row.get(0)?,
        name: row.get(1)?,
        latitude: row.get(2)?,
        longitude: row.get(3)?,
        is_connected: row.get(4)?,
        last_seen_ms: u64::try_from(row.get::<_, i64>(5)?).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests;
