//! The claims file's pragmas, tables and migrations (`PRAGMA user_version`), applied in one
//! transaction.

use rusqlite::{Connection, TransactionBehavior};

/// SQLite's page cache for the claims connection, in KiB, as the users store's: lookups
/// touch a few index pages each.
const PAGE_CACHE_KIB: i64 = 256;

/// The schema version this code writes; `PRAGMA user_version` holds the file's.
pub(super) const SCHEMA_VERSION: i64 = 1;

/// Version 0, as issue 10 made it: rowid tables, and indexes on the last-use times for the
/// hourly purge. Made first when missing, so that every file migrates the same way.
const VERSION_0: &str = "
    CREATE TABLE IF NOT EXISTS claim_devices (
        email TEXT NOT NULL,
        device TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        last_used_ms INTEGER NOT NULL,
        PRIMARY KEY (email, device)
    );
    CREATE INDEX IF NOT EXISTS claim_devices_by_last_used ON claim_devices (last_used_ms);
    CREATE TABLE IF NOT EXISTS identities (
        email TEXT PRIMARY KEY,
        skeleton TEXT NOT NULL,
        last_seen_ms INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS identities_by_skeleton ON identities (skeleton);
    CREATE INDEX IF NOT EXISTS identities_by_last_seen ON identities (last_seen_ms);";

/// Version 1: each table is its primary key's b-tree (`WITHOUT ROWID`), and the last-use
/// indexes are gone: a new claim writes three b-trees instead of seven, and the hourly
/// purge reads the tables instead.
const TO_VERSION_1: &str = "
    CREATE TABLE claim_devices_v1 (
        email TEXT NOT NULL,
        device TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        last_used_ms INTEGER NOT NULL,
        PRIMARY KEY (email, device)
    ) WITHOUT ROWID;
    INSERT INTO claim_devices_v1 SELECT email, device, created_ms, last_used_ms FROM claim_devices;
    DROP TABLE claim_devices;
    ALTER TABLE claim_devices_v1 RENAME TO claim_devices;
    CREATE TABLE identities_v1 (
        email TEXT PRIMARY KEY,
        skeleton TEXT NOT NULL,
        last_seen_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO identities_v1 SELECT email, skeleton, last_seen_ms FROM identities;
    DROP TABLE identities;
    ALTER TABLE identities_v1 RENAME TO identities;
    CREATE INDEX identities_by_skeleton ON identities (skeleton);";

/// The pragmas, then the tables and indexes, made or migrated to [`SCHEMA_VERSION`]. A
/// file of a newer version is left as it is.
pub(super) fn prepare(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // As the users store: in WAL mode a crash loses at most the last commits, never
    // corrupts, and a commit needs no fsync (a claim lost to a power cut is made anew).
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -PAGE_CACHE_KIB)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version < 1 {
        tx.execute_batch(VERSION_0)?;
        tx.execute_batch(TO_VERSION_1)?;
    }
    if version < SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |row| row.get(0)).unwrap()
    }

    #[test]
    fn a_version_0_file_keeps_its_claims_in_tables_without_rowids() {
        let dir = tempfile::TempDir::new().unwrap();
        let mut conn = Connection::open(dir.path().join("claims.sqlite3")).unwrap();
        conn.execute_batch(VERSION_0).unwrap();
        conn.execute_batch(
            "INSERT INTO claim_devices VALUES ('ada@example.com', 'dev1', 1, 2);
             INSERT INTO identities VALUES ('ada@example.com', 'ada@exarnple.corn', 2);",
        )
        .unwrap();
        prepare(&mut conn).unwrap();
        prepare(&mut conn).unwrap();
        let tables = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND sql LIKE '%WITHOUT ROWID%'";
        let indexes =
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%last_%'";
        assert_eq!(count(&conn, tables), 2);
        assert_eq!(count(&conn, indexes), 0);
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM claim_devices WHERE last_used_ms = 2"
            ),
            1
        );
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM identities WHERE skeleton = 'ada@exarnple.corn'"
            ),
            1
        );
        assert_eq!(count(&conn, "PRAGMA user_version"), SCHEMA_VERSION);
    }
}
