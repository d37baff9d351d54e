//! The chat store on PostgreSQL (`ChatStore::open_postgres`): the same jobs, rules and
//! answers as the SQLite store, on a database every node shares. One writer task per
//! node commits its queued jobs in batches (`writer.rs`, `batch.rs`); queries run on the
//! pool's connections (`reader.rs`); ids come from a sequence, in commit order per room
//! (`ids.rs`); the schema is `schema.rs`. Nothing outside this folder sees its SQL.

mod batch;
mod conversations;
mod history;
mod ids;
mod markers;
mod messages;
mod purge;
mod reader;
mod schema;
mod sql;
mod writer;

use deadpool_postgres::{Pool, Transaction};
use futures_util::future::BoxFuture;

use super::job::{Job, WriterSettings};
use super::messages::JobError;
use super::model::{ChatRefusal, ChatStoreError, ConversationSummary, HistoryPage, HistoryQuery};
use super::purge::OverTheBound;
use reader::Reader;
use writer::Writer;

#[cfg(test)]
pub(super) use conversations::{LIST_SQL, UNREAD_SQL};
#[cfg(test)]
pub(super) use sql::dollars;

/// The PostgreSQL backend of a [`super::ChatStore`]. Cheap to clone.
#[derive(Clone)]
pub(super) struct PgChat {
    writer: Writer,
    reader: Reader,
}

impl PgChat {
    /// Brings the database's chat tables up to date, then starts the writer task (on the
    /// current runtime) with a queue of `capacity` jobs.
    pub async fn open(
        pool: Pool,
        capacity: usize,
        settings: WriterSettings,
    ) -> Result<PgChat, ChatStoreError> {
        // A database unreachable at start does not stop the node: the tables are made once
        // it answers, and until then every batch and query is refused as unavailable.
        if let Err(error) = schema::migrate(&pool).await {
            log::warn!("chat store: the database is not ready ({error}); migrated when it is");
            tokio::spawn(migrate_when_ready(pool.clone()));
        }
        Ok(PgChat {
            writer: Writer::spawn(pool.clone(), capacity, settings),
            reader: Reader::new(pool),
        })
    }

    /// Queues `job`; false when the queue is full.
    pub fn try_submit(&self, job: Job) -> bool {
        self.writer.try_submit(job)
    }

    /// Queues `job`, waiting for room; false when the writer is gone.
    pub async fn submit_waiting(&self, job: Job) -> bool {
        self.writer.submit_waiting(job).await
    }

    /// A page of history.
    pub async fn history(&self, query: HistoryQuery) -> Result<HistoryPage, ChatRefusal> {
        self.reader.query(query, history_of).await
    }

    /// `email`'s conversations in `room`.
    pub async fn conversations(
        &self,
        room: String,
        email: String,
    ) -> Result<Vec<ConversationSummary>, ChatRefusal> {
        self.reader.query((room, email), conversations_of).await
    }

    /// The conversations past `max` messages: (room, key, the id older ones are below).
    pub async fn over_the_bound(&self, max: u64) -> Result<OverTheBound, ChatRefusal> {
        self.reader.query(max, over_the_bound_of).await
    }
}

fn history_of<'a>(
    tx: &'a Transaction<'a>,
    query: &'a HistoryQuery,
) -> BoxFuture<'a, Result<HistoryPage, JobError>> {
    Box::pin(history::history(tx, query))
}

fn conversations_of<'a>(
    tx: &'a Transaction<'a>,
    (room, email): &'a (String, String),
) -> BoxFuture<'a, Result<Vec<ConversationSummary>, JobError>> {
    Box::pin(async move { Ok(conversations::conversations(tx, room, email).await?) })
}

fn over_the_bound_of<'a>(
    tx: &'a Transaction<'a>,
    max: &'a u64,
) -> BoxFuture<'a, Result<OverTheBound, JobError>> {
    Box::pin(async move { Ok(purge::over_the_bound(tx, *max).await?) })
}

/// Tries the migrations every [`MIGRATION_RETRY`] until they pass.
async fn migrate_when_ready(pool: Pool) {
    loop {
        tokio::time::sleep(MIGRATION_RETRY).await;
        match schema::migrate(&pool).await {
            Ok(()) => {
                log::info!("chat store: the database is ready");
                return;
            }
            Err(error) => log::debug!("chat store: still not ready: {error}"),
        }
    }
}

/// How often migrations are tried again while the database is not ready.
const MIGRATION_RETRY: std::time::Duration = std::time::Duration::from_secs(1);
