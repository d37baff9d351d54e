//! The SQLite file's pragmas and schema, and its migrations, applied in one transaction.

use std::fmt;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, TransactionBehavior};

/// The schema version this code writes; `PRAGMA user_version` holds the file's.
pub(super) const SCHEMA_VERSION: i64 = 3;

/// How long a statement waits for a lock another process holds before it fails (and the
/// write-behind writer tries again later).
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLite's page cache, the store's only memory that grows with the file (SQLite's own
/// default is 2 MiB). The writer only upserts by email and purges by age, so pages not
/// cached come from the system's file cache.
const PAGE_CACHE_KIB: i64 = 512;

/// Why the file could not be prepared.
#[derive(Debug)]
pub(super) enum SetupError {
    /// Another process holds a lock past [`BUSY_TIMEOUT`]: worth trying again later.
    Locked(rusqlite::Error),
    /// Not a database, a schema newer than this code's, or another failure.
    Failed(String),
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::Locked(error) => write!(f, "locked by another process: {error}"),
            SetupError::Failed(reason) => f.write_str(reason),
        }
    }
}

impl From<rusqlite::Error> for SetupError {
    fn from(error: rusqlite::Error) -> SetupError {
        let locked = matches!(
            error.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        );
        if locked {
            SetupError::Locked(error)
        } else {
            SetupError::Failed(error.to_string())
        }
    }
}

/// Sets the pragmas and brings the schema up to [`SCHEMA_VERSION`]. Safe to run again
/// after it failed half way.
pub(super) fn configure(conn: &mut Connection) -> Result<(), SetupError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // The first statements read the header, so a file that is not a database fails here,
    // and a newer schema is refused before any lock is needed to write.
    check_version(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        log::warn!("sqlite refused WAL mode, using {mode}");
    }
    // A negative cache size is in KiB.
    conn.pragma_update(None, "cache_size", -PAGE_CACHE_KIB)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;

    // Immediate, so two servers opening one new file cannot both create the schema.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    check_version(version)?;
    // Later migrations go here as `if version < 3 { ... }`, each inside this transaction.
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
        )?;
    }
    // Version 2 indexed `last_seen_ms` for the hourly purge; version 3 drops the index:
    // every write of a user moved its entry, and the purge reads the table instead.
    if version < 3 {
        tx.execute_batch("DROP INDEX IF EXISTS users_last_seen")?;
    }
    if version < SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    tx.commit()?;
    Ok(())
}

fn check_version(version: i64) -> Result<(), SetupError> {
    if version > SCHEMA_VERSION {
        return Err(SetupError::Failed(format!(
            "schema version {version} is newer than this server's ({SCHEMA_VERSION})"
        )));
    }
    Ok(())
}
