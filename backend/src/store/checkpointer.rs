//! Checkpoints of a SQLite file in WAL mode, from a thread of their own: the thread that
//! writes the file never stops for one (a checkpoint copies the log into the file and
//! fsyncs it, which here takes milliseconds to tens of them).

use rusqlite::Connection;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// How often the log is copied into the file; between two, the log grows by what was
/// written in the meantime.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// The checkpointing thread of one file; it stops when this is dropped.
pub struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing `path` every [`CHECKPOINT_EVERY`] on its own connection.
    /// Passive checkpoints: they never wait for, nor hold up, readers and writers. The
    /// writer's connection should then turn its own automatic checkpoints off
    /// ([`Checkpointer::leave_to_it`]).
    pub fn spawn(path: &Path, name: &str) -> Result<Checkpointer, String> {
        let conn = Connection::open(path).map_err(|e| e.to_string())?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name(format!("{name}-checkpoint"))
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
                    if let Err(error) =
                        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
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

#[cfg(test)]
mod tests {
    use super::*;

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
