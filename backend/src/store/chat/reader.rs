//! The reader thread: its own `query_only` connection to the file (WAL: it never waits for
//! the writer), answering history and conversation queries in turn, each in one read
//! transaction so that a page and its cursor come from the same snapshot.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::messages::JobError;
use super::model::ChatRefusal;

/// Queries waiting for the reader at most; past it a query is refused (`StoreBusy`).
const READ_QUEUE: usize = 1_024;

type Query = Box<dyn FnOnce(&Connection) + Send>;

/// The handles' end of the reader's queue.
#[derive(Clone)]
pub(super) struct Reader {
    queries: SyncSender<Query>,
}

impl Reader {
    /// Starts the thread owning `conn`; it ends when the last handle is dropped.
    pub fn spawn(conn: Connection) -> std::io::Result<Reader> {
        let (queries, queue) = sync_channel(READ_QUEUE);
        std::thread::Builder::new()
            .name("chat-reader".into())
            .spawn(move || read_loop(&conn, &queue))?;
        Ok(Reader { queries })
    }

    /// Runs `work` on the reader thread, in one read transaction.
    pub async fn query<T, F>(&self, work: F) -> Result<T, ChatRefusal>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, JobError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let query: Query = Box::new(move |conn| {
            let _ = answer.send(in_snapshot(conn, work));
        });
        self.queries
            .try_send(query)
            .map_err(|_| ChatRefusal::StoreBusy)?;
        answered.await.map_err(|_| ChatRefusal::StoreUnavailable)?
    }
}

fn read_loop(conn: &Connection, queue: &Receiver<Query>) {
    while let Ok(query) = queue.recv() {
        query(conn);
    }
}

/// Runs `work` between BEGIN and COMMIT: one snapshot of the file.
fn in_snapshot<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<T, JobError>,
) -> Result<T, ChatRefusal> {
    let exec = |sql: &str| {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute([]).map(drop))
    };
    if let Err(error) = exec("BEGIN") {
        log::warn!("chat store: the reader could not begin: {error}");
        return Err(ChatRefusal::StoreUnavailable);
    }
    let outcome = work(conn);
    if let Err(error) = exec("COMMIT") {
        log::warn!("chat store: the reader could not end its snapshot: {error}");
        let _ = exec("ROLLBACK");
    }
    outcome.map_err(JobError::into_refusal)
}
