//! Transactions and savepoints through cached statements: rusqlite's own `Transaction` and
//! `Savepoint` parse their `BEGIN`, `COMMIT` or `RELEASE` again each time, which costs a
//! small write as much as the write itself.

use rusqlite::Connection;

/// Runs one cached statement that takes no parameters.
pub(crate) fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

/// Runs `work` in a transaction (`begin` is its `BEGIN …` statement): committed when it
/// returns `Ok`, rolled back when it or the commit fails.
pub(crate) fn in_transaction<T>(
    conn: &Connection,
    begin: &str,
    work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    run_cached(conn, begin)?;
    let done = work(conn).and_then(|value| run_cached(conn, "COMMIT").map(|()| value));
    if done.is_err() && !conn.is_autocommit() {
        let _ = run_cached(conn, "ROLLBACK");
    }
    done
}

/// Runs `work` in a savepoint: its changes are kept when it returns `Ok`, undone when it
/// fails, so that one query of a group commit cannot leave half its writes in the
/// others' transaction.
pub(crate) fn in_savepoint<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    run_cached(conn, "SAVEPOINT job")?;
    match work(conn) {
        Ok(value) => run_cached(conn, "RELEASE job").map(|()| value),
        Err(error) => {
            let _ = run_cached(conn, "ROLLBACK TO job");
            let _ = run_cached(conn, "RELEASE job");
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Connection {
        let conn = Connection::open_in_memory().expect("memory");
        conn.execute_batch("CREATE TABLE t (x INTEGER UNIQUE)")
            .expect("table");
        conn
    }

    fn count(conn: &Connection) -> i64 {
        conn.query_row("SELECT count(*) FROM t", [], |row| row.get(0))
            .expect("count")
    }

    #[test]
    fn a_failed_savepoint_undoes_only_its_own_writes() {
        let conn = table();
        let kept = in_transaction(&conn, "BEGIN IMMEDIATE", |conn| {
            in_savepoint(conn, |c| c.execute("INSERT INTO t VALUES (1)", []))?;
            let failed = in_savepoint(conn, |c| {
                c.execute("INSERT INTO t VALUES (2)", [])?;
                c.execute("INSERT INTO t VALUES (1)", [])
            });
            assert!(failed.is_err(), "the duplicate is refused");
            Ok(())
        });
        assert!(kept.is_ok());
        assert_eq!(count(&conn), 1, "2 was undone with its savepoint, 1 kept");
        assert!(conn.is_autocommit());
    }

    #[test]
    fn a_failed_transaction_is_rolled_back() {
        let conn = table();
        let failed = in_transaction(&conn, "BEGIN", |c| {
            c.execute("INSERT INTO t VALUES (1)", [])?;
            c.execute("INSERT INTO t VALUES (1)", [])
        });
        assert!(failed.is_err());
        assert_eq!(count(&conn), 0);
        assert!(conn.is_autocommit(), "no transaction left open");
    }
}
