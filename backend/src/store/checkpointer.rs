//! Checkpoints of a SQLite file in WAL mode, from a thread of their own: the thread that
//! writes the file never stops for one (a checkpoint copies the log into the file and
//! fsyncs it, which here takes milliseconds to tens of them), but when the log has grown
//! past [`RESTART_AFTER_FRAMES`], writers wait for the rest of one so that it starts over.

use rusqlite::Connection;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// How often the log is copied into the file; between two, the log grows by what was
/// written in the meantime.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// The log's length, in pages, past which a checkpoint also restarts it (16 MiB of 4 KiB
/// pages). A passive checkpoint copies only what was in the log when it began: under a
/// writer that never pauses, the log is never copied whole, so it never starts over and
/// grows without end (200 MB in 10 s of churn, `docs/BENCHMARKS.md`).
pub const RESTART_AFTER_FRAMES: i64 = 4096;

/// The checkpointing thread of one file; it stops when this is dropped.
pub struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing `path` every [`CHECKPOINT_EVERY`] on its own connection.
    /// Passive checkpoints: they never wait for, nor hold up, readers and writers, but
    /// for the restart of a log past [`RESTART_AFTER_FRAMES`] (see [`checkpoint`]). The
    /// writer's connection should then turn its own automatic checkpoints off
    /// ([`Checkpointer::leave_to_it`]).
    pub fn spawn(path: &Path, name: &str) -> Result<Checkpointer, String> {
        let conn = Connection::open(path).map_err(|e| e.to_string())?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name(format!("{name}-checkpoint"))
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
                    if let Err(error) = checkpoint(&conn, RESTART_AFTER_FRAMES) {
                        log::debug!("checkpoint failed: {error}");
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(Checkpointer { _stop: stop })
    }

    /// Turns off `writer`'s automatic checkpoints, which would otherwise run inside one of
    /// its commits.
    pub fn leave_to_it(&self, writer: &Connection) -> rusqlite::Result<()> {
        writer.pragma_update(None, "wal_autocheckpoint", 0)
    }
}

/// A passive checkpoint; then, if the log held more than `restart_after` pages, a
/// restarting one: it waits (within the connection's busy timeout) for the writer's
/// transaction to end, copies the few pages written since the passive one while writers
/// wait, and leaves the log to start over at the next write. Returns the log's length
/// the passive checkpoint saw.
fn checkpoint(conn: &Connection, restart_after: i64) -> rusqlite::Result<i64> {
    let log_pages = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1))?;
    if log_pages > restart_after {
        conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))?;
    }
    Ok(log_pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    /// A writer that commits row after row without pausing, until told to stop, counting
    /// its commits in `commits`.
    fn busy_writer(
        path: &Path,
        stop: Arc<AtomicBool>,
        commits: Arc<AtomicU64>,
    ) -> std::thread::JoinHandle<()> {
        let writer = Connection::open(path).unwrap();
        writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                writer
                    .execute("INSERT INTO t VALUES (zeroblob(3000))", [])
                    .unwrap();
                commits.fetch_add(1, Ordering::Relaxed);
            }
        })
    }

    #[test]
    fn under_a_writer_that_never_pauses_a_long_log_starts_over() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("data.sqlite3");
        let setup = Connection::open(&path).unwrap();
        setup.pragma_update(None, "journal_mode", "WAL").unwrap();
        setup.execute_batch("CREATE TABLE t (x BLOB)").unwrap();
        let (stop, commits) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
        );
        let writer = busy_writer(&path, stop.clone(), commits.clone());
        let checkpointer = Connection::open(&path).unwrap();
        let mut seen = Vec::new();
        while seen.len() < 10 {
            // A round once the writer has written past the limit since the last one.
            let from = commits.load(Ordering::Relaxed);
            while commits.load(Ordering::Relaxed) < from + 200 {
                std::thread::yield_now();
            }
            seen.push(checkpoint(&checkpointer, 100).unwrap());
        }
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
        // Passive checkpoints alone: the log only grows, each round seeing it longer.
        assert!(
            seen.windows(2).any(|pair| pair[1] < pair[0]),
            "the log never started over: {seen:?}"
        );
    }

    #[test]
    fn the_log_is_copied_into_the_file_by_the_checkpointer() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("data.sqlite3");
        let writer = Connection::open(&path).unwrap();
        writer.pragma_update(None, "journal_mode", "WAL").unwrap();
        let checkpointer = Checkpointer::spawn(&path, "test").unwrap();
        checkpointer.leave_to_it(&writer).unwrap();
        writer
            .execute_batch("CREATE TABLE t (x BLOB); INSERT INTO t VALUES (zeroblob(100000));")
            .unwrap();
        let file_len = || std::fs::metadata(&path).unwrap().len();
        assert!(file_len() < 100_000, "written to the log only");
        let deadline = std::time::Instant::now() + 10 * CHECKPOINT_EVERY;
        while file_len() < 100_000 && std::time::Instant::now() < deadline {
            std::thread::sleep(CHECKPOINT_EVERY / 10);
        }
        assert!(file_len() >= 100_000, "checkpointed into the file");
    }
}
