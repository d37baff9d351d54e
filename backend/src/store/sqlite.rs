//! The embedded users store: one SQLite file, opened once and shared behind a mutex.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{StoreError, UserRecord, UserStore};

/// The users store kept in a local SQLite file (WAL mode). Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    /// One connection for the whole server: only the write-behind task writes, so there is
    /// no contention worth a pool. A std mutex, because it is only ever locked inside
    /// `spawn_blocking`, never across an `.await`.
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (or creates) the database at `path`, creating missing parent directories and
    /// the schema. Blocks: call it once at start, before the server accepts connections.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref();
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            StoreError(format!("{what} {}: {e}", path.display()))
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| fail("creating the folder of", &e))?;
        }
        let mut conn = Connection::open(path).map_err(|e| fail("opening", &e))?;
        configure(&mut conn).map_err(|e| fail("preparing", &e))?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Every user, ordered by email.
    pub async fn list(&self) -> Result<Vec<UserRecord>, StoreError> {
        self.run(|conn| {
            let mut stmt = conn.prepare_cached(&format!("{SELECT} ORDER BY email"))?;
            let users = stmt.query_map([], from_row)?;
            users.collect()
        })
        .await
    }

    /// How many users the store knows.
    pub async fn count(&self) -> Result<usize, StoreError> {
        let count = self
            .run(|conn| {
                conn.query_row("SELECT COUNT(*) FROM users", [], |row| row.get::<_, i64>(0))
            })
            .await?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Runs `work` on the connection in the blocking thread pool.
    async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let joined = tokio::task::spawn_blocking(move || {
            let mut conn = conn
                .lock()
                .map_err(|_| StoreError("sqlite connection lock poisoned".into()))?;
            work(&mut conn).map_err(|e| StoreError(format!("sqlite: {e}")))
        })
        .await;
        joined.map_err(|e| StoreError(format!("sqlite task failed: {e}")))?
    }
}

impl UserStore for SqliteStore {
    async fn write(&self, records: Vec<UserRecord>) -> Result<(), StoreError> {
        self.run(move |conn| {
            let tx = conn.transaction()?;
            {
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
            }
            tx.commit()
        })
        .await
    }

    async fn reset_presence(&self) -> Result<(), StoreError> {
        self.run(|conn| {
            conn.execute("UPDATE users SET is_connected = 0", [])
                .map(drop)
        })
        .await
    }

    async fn get(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        let email = email.to_owned();
        self.run(move |conn| {
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
                .run(move |conn| conn.execute(PURGE, params![cutoff, PURGE_CHUNK]))
                .await?;
            purged += deleted;
            if i64::try_from(deleted).unwrap_or(i64::MAX) < PURGE_CHUNK {
                return Ok(purged);
            }
        }
    }
}

/// The schema version this code writes; `PRAGMA user_version` holds the file's.
const SCHEMA_VERSION: i64 = 2;

/// SQLite's page cache, the store's only memory that grows with the file (SQLite's own
/// default is 2 MiB). The writer only upserts by email and purges by age, so pages not
/// cached come from the system's file cache.
const PAGE_CACHE_KIB: i64 = 512;

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

/// Sets the pragmas and brings the schema up to [`SCHEMA_VERSION`].
fn configure(conn: &mut Connection) -> Result<(), StoreError> {
    let db = |e: rusqlite::Error| StoreError(e.to_string());
    conn.busy_timeout(Duration::from_secs(5)).map_err(db)?;
    // The first statement reads the header, so a file that is not a database fails here.
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(db)?;
    if !mode.eq_ignore_ascii_case("wal") {
        log::warn!("sqlite refused WAL mode, using {mode}");
    }
    // A negative cache size is in KiB.
    conn.pragma_update(None, "cache_size", -PAGE_CACHE_KIB)
        .map_err(db)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(db)?;

    // Immediate, so two servers opening one new file cannot both create the schema.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(db)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError(format!(
            "schema version {version} is newer than this server's ({SCHEMA_VERSION})"
        )));
    }
    // Later migrations go here as `if version < 2 { ... }`, each inside this transaction.
    if version < 1 {
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS users (
                email TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                latitude REAL NULL,
                longitude REAL NULL,
                is_connected INTEGER NOT NULL,
                last_seen_ms INTEGER NOT NULL
            )",
        )
        .map_err(db)?;
    }
    // Version 2: the purge of users not seen for the retention period reads this index.
    if version < 2 {
        tx.execute_batch("CREATE INDEX IF NOT EXISTS users_last_seen ON users (last_seen_ms)")
            .map_err(db)?;
    }
    if version < SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(db)?;
    }
    tx.commit().map_err(db)
}

/// A position is stored whole or not at all, so half or non-finite ones count as missing.
fn position(r: &UserRecord) -> (Option<f64>, Option<f64>) {
    match (r.latitude, r.longitude) {
        (Some(lat), Some(lon)) if lat.is_finite() && lon.is_finite() => (Some(lat), Some(lon)),
        _ => (None, None),
    }
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
mod tests {
    use super::*;
    use tempfile::TempDir;

    fn user(email: &str, position: Option<(f64, f64)>, connected: bool) -> UserRecord {
        UserRecord {
            email: email.into(),
            name: format!("name of {email}"),
            latitude: position.map(|p| p.0),
            longitude: position.map(|p| p.1),
            is_connected: connected,
            last_seen_ms: 1_700_000_000_000,
        }
    }

    fn open(dir: &TempDir) -> SqliteStore {
        SqliteStore::open(dir.path().join("users.db")).unwrap()
    }

    #[tokio::test]
    async fn write_then_get_round_trips() {
        let dir = TempDir::new().unwrap();
        let store = open(&dir);
        let ada = user("ada@example.com", Some((51.5, -0.12)), true);
        let bob = user("bob@example.com", None, false);
        store.write(vec![ada.clone(), bob.clone()]).await.unwrap();

        assert_eq!(store.get("ada@example.com").await.unwrap(), Some(ada));
        assert_eq!(store.get("bob@example.com").await.unwrap(), Some(bob));
        assert_eq!(store.get("nobody@example.com").await.unwrap(), None);
        assert_eq!(store.count().await.unwrap(), 2);
    }

    #[tokio::test]
    async fn reopen_keeps_users() {
        let dir = TempDir::new().unwrap();
        let ada = user("ada@example.com", Some((48.85, 2.35)), true);
        {
            let store = open(&dir);
            store.write(vec![ada.clone()]).await.unwrap();
        }
        let store = open(&dir);
        assert_eq!(store.get("ada@example.com").await.unwrap(), Some(ada));
    }

    #[tokio::test]
    async fn missing_position_keeps_stored_position() {
        let dir = TempDir::new().unwrap();
        let store = open(&dir);
        store
            .write(vec![user("ada@example.com", Some((1.0, 2.0)), true)])
            .await
            .unwrap();
        let mut later = user("ada@example.com", None, false);
        later.name = "Ada L.".into();
        later.last_seen_ms += 1000;
        store.write(vec![later.clone()]).await.unwrap();

        let stored = store.get("ada@example.com").await.unwrap().unwrap();
        assert_eq!((stored.latitude, stored.longitude), (Some(1.0), Some(2.0)));
        assert_eq!(stored.name, "Ada L.");
        assert!(!stored.is_connected);
        assert_eq!(stored.last_seen_ms, later.last_seen_ms);
    }

    #[tokio::test]
    async fn reset_presence_marks_everyone_disconnected() {
        let dir = TempDir::new().unwrap();
        let store = open(&dir);
        store
            .write(vec![
                user("ada@example.com", None, true),
                user("bob@example.com", Some((0.0, 0.0)), true),
            ])
            .await
            .unwrap();
        store.reset_presence().await.unwrap();

        let users = store.list().await.unwrap();
        assert_eq!(users.len(), 2);
        assert!(users.iter().all(|u| !u.is_connected), "{users:?}");
    }

    #[test]
    fn garbage_file_is_an_error_not_a_panic() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("users.db");
        std::fs::write(
            &path,
            b"this is not a sqlite database, just some text".repeat(100),
        )
        .unwrap();
        let err = SqliteStore::open(&path)
            .err()
            .expect("garbage must not open");
        assert!(err.0.contains("users.db"), "{err}");
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = TempDir::new().unwrap();
        drop(open(&dir));
        let raw = Connection::open(dir.path().join("users.db")).unwrap();
        raw.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(raw);
        let err = SqliteStore::open(dir.path().join("users.db"))
            .err()
            .unwrap();
        assert!(err.0.contains("newer"), "{err}");
    }

    #[tokio::test]
    async fn purge_deletes_users_not_seen_since_the_cutoff_unless_connected() {
        let dir = TempDir::new().unwrap();
        let store = open(&dir);
        let day_ms = 24 * 3600 * 1000;
        let now = 1_700_000_000_000;
        let seen = |email: &str, days_ago: u64, connected: bool| UserRecord {
            last_seen_ms: now - days_ago * day_ms,
            ..user(email, Some((1.0, 2.0)), connected)
        };
        let mut users = vec![
            seen("old@example.com", 200, false),
            seen("recent@example.com", 10, false),
            seen("online@example.com", 400, true),
            seen("edge@example.com", 180, false),
        ];
        users.extend((0..12_000).map(|i| seen(&format!("gone{i}@example.com"), 365, false)));
        store.write(users).await.unwrap();

        let purged = store
            .purge_not_seen_since(now - 180 * day_ms)
            .await
            .unwrap();
        assert_eq!(purged, 12_001, "more than two chunks");
        let left: Vec<String> = store
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.email)
            .collect();
        assert_eq!(
            left,
            [
                "edge@example.com",
                "online@example.com",
                "recent@example.com"
            ]
        );
        assert_eq!(
            store
                .purge_not_seen_since(now - 180 * day_ms)
                .await
                .unwrap(),
            0
        );
    }

    #[test]
    fn the_purge_reads_the_last_seen_index() {
        let dir = TempDir::new().unwrap();
        drop(open(&dir));
        let raw = Connection::open(dir.path().join("users.db")).unwrap();
        let plan: String = raw
            .query_row(
                "EXPLAIN QUERY PLAN SELECT rowid FROM users WHERE last_seen_ms < 1 AND is_connected = 0",
                [],
                |row| row.get(3),
            )
            .unwrap();
        assert!(plan.contains("users_last_seen"), "{plan}");
    }

    #[tokio::test]
    async fn creates_parent_directories() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("a/b/c/users.db");
        let store = SqliteStore::open(&path).unwrap();
        store
            .write(vec![user("ada@example.com", None, true)])
            .await
            .unwrap();
        assert!(path.is_file());
        assert_eq!(store.count().await.unwrap(), 1);
    }
}
