//! Which database a [`super::ChatStore`] writes to: its SQLite file (a writer thread and a
//! reader thread) or a PostgreSQL database shared by every node (`postgres/`). The
//! handle and retention ask this, never a backend directly; the choice costs one match
//! per call and nothing in the SQLite writer.

use super::conversations::conversations;
use super::history::history;
use super::job::Job;
use super::model::{ChatRefusal, ConversationSummary, HistoryPage, HistoryQuery};
use super::postgres::PgChat;
use super::purge::over_the_bound;
use super::reader::Reader;
use super::writer::Writer;

/// A chat store's two ends (the writer's queue and the queries), on one database.
#[derive(Clone)]
pub(super) enum Backend {
    Sqlite { writer: Writer, reader: Reader },
    Postgres(PgChat),
}

impl Backend {
    /// Queues `job`; false (the job dropped, never answered) when the queue is full.
    pub fn try_submit(&self, job: Job) -> bool {
        match self {
            Backend::Sqlite { writer, .. } => writer.try_submit(job),
            Backend::Postgres(pg) => pg.try_submit(job),
        }
    }

    /// Queues `job`, waiting for room in the queue; false when the writer is gone.
    pub async fn submit_waiting(&self, job: Job) -> bool {
        match self {
            Backend::Sqlite { writer, .. } => writer.submit_waiting(job).await,
            Backend::Postgres(pg) => pg.submit_waiting(job).await,
        }
    }

    /// A page of history.
    pub async fn history(&self, query: HistoryQuery) -> Result<HistoryPage, ChatRefusal> {
        match self {
            Backend::Sqlite { reader, .. } => reader.query(move |conn| history(conn, &query)).await,
            Backend::Postgres(pg) => pg.history(query).await,
        }
    }

    /// `email`'s conversations in `room`.
    pub async fn conversations(
        &self,
        room: String,
        email: String,
    ) -> Result<Vec<ConversationSummary>, ChatRefusal> {
        match self {
            Backend::Sqlite { reader, .. } => {
                let listed = move |conn: &_| Ok(conversations(conn, &room, &email)?);
                reader.query(listed).await
            }
            Backend::Postgres(pg) => pg.conversations(room, email).await,
        }
    }

    /// The conversations past `max` messages: (room, key, the id older ones are below).
    pub async fn over_the_bound(
        &self,
        max: u64,
    ) -> Result<Vec<(String, String, i64)>, ChatRefusal> {
        match self {
            Backend::Sqlite { reader, .. } => {
                reader
                    .query(move |conn| Ok(over_the_bound(conn, max)?))
                    .await
            }
            Backend::Postgres(pg) => pg.over_the_bound(max).await,
        }
    }
}
