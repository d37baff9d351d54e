//! [`ChatStore`], the handle: it queues writes to the writer and queries to the reader of
//! its backend (an SQLite file or a PostgreSQL database, `backend.rs`), and never blocks
//! its caller (a full queue is refused at once).

use crate::store::checkpointer::Checkpointer;
use std::path::Path;
use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::backend::Backend;
use super::config::ChatConfig;
use super::markers::Delivery;
use super::messages::Change;
use super::model::{
    ChatRefusal, ChatStoreError, ConversationSummary, Delete, Edit, HistoryPage, HistoryQuery,
    NewMessage, Posted, ReadMarker, ReadMoved, StoredMessage,
};
use super::postgres::PgChat;
use super::reader::Reader;
use super::retention::{Purged, purge_once, purge_periodically};
use super::schema::{open_reader, open_writer};
use super::writer::{BatchEnd, Job, Writer, WriterSettings};

/// The chat messages of one deployment, in their own SQLite file or in a PostgreSQL
/// database that every node shares. Cheap to clone.
///
/// Writes (`post`, `edit`, `delete`, the markers, `remember_member`) are queued to one
/// writer (a thread on SQLite, a task on PostgreSQL), which commits what is queued at once
/// in one transaction and then calls each `done`, on the writer, in submit order. Queries
/// are answered by a reader thread with its own connection (SQLite) or on the pool's
/// connections (PostgreSQL).
#[derive(Clone)]
pub struct ChatStore {
    backend: Backend,
    batch_end: BatchEnd,
    /// The settings, for retention.
    config: Arc<ChatConfig>,
}

impl ChatStore {
    /// Opens (or creates) the chat file at `path` and starts its threads. Blocks: call it
    /// at start.
    pub fn open(path: &Path, config: ChatConfig) -> Result<Self, ChatStoreError> {
        let writing = open_writer(path)?;
        let reader = Reader::spawn(open_reader(path)?).map_err(ChatStoreError::Thread)?;
        let batch_end = BatchEnd::default();
        let settings = settings_of(&config, &batch_end);
        // The writer never stops for a checkpoint's fsync: an ack waits for a commit only.
        let checkpointer = match Checkpointer::spawn(path, "chat") {
            Ok(checkpointer) => checkpointer
                .leave_to_it(&writing)
                .ok()
                .map(|()| checkpointer),
            Err(error) => {
                log::warn!("chat store: no checkpoint thread ({error}); commits checkpoint");
                None
            }
        };
        let capacity = config.queue_capacity.max(1);
        let writer = Writer::spawn(writing, capacity, settings, checkpointer)
            .map_err(ChatStoreError::Thread)?;
        Ok(Self {
            backend: Backend::Sqlite { writer, reader },
            batch_end,
            config: Arc::new(config),
        })
    }

    /// The chat store in the PostgreSQL database of `pool`, shared with the other nodes:
    /// its tables made or migrated, its writer task started on the current runtime, where
    /// its queries run too. Call it at start, on the server's runtime.
    pub async fn open_postgres(pool: Pool, config: ChatConfig) -> Result<Self, ChatStoreError> {
        let batch_end = BatchEnd::default();
        let settings = settings_of(&config, &batch_end);
        let pg = PgChat::open(pool, config.queue_capacity.max(1), settings).await?;
        Ok(Self {
            backend: Backend::Postgres(pg),
            batch_end,
            config: Arc::new(config),
        })
    }

    /// Runs `then` on the writer thread after each batch, once every `done` of its jobs
    /// was called; it replaces what an earlier call set.
    pub fn after_each_batch(&self, then: impl Fn() + Send + 'static) {
        let mut batch_end = self.batch_end.lock().unwrap_or_else(|p| p.into_inner());
        *batch_end = Some(Box::new(then));
    }

    /// Remembers that `email` is in `room` under `name`, now (fire and forget: a full
    /// queue drops it, logged).
    pub fn remember_member(&self, room: &str, email: &str, name: &str) {
        let job = Job::Remember(room.to_owned(), email.to_owned(), name.to_owned());
        if !self.backend.try_submit(job) {
            log::warn!("chat store: busy, {email} not remembered in its room");
        }
    }

    /// Queues `post`; `done` is called once it is stored (or refused). `StoreBusy` at once
    /// when the queue is full (then `done` is never called).
    pub fn post(
        &self,
        post: NewMessage,
        done: impl FnOnce(Result<Posted, ChatRefusal>) + Send + 'static,
    ) -> Result<(), ChatRefusal> {
        self.submit(Job::Post(post, Box::new(done)))
    }

    /// Queues an edit of one's own message, within the edit window.
    pub fn edit(
        &self,
        edit: Edit,
        done: impl FnOnce(Result<StoredMessage, ChatRefusal>) + Send + 'static,
    ) -> Result<(), ChatRefusal> {
        let Edit { room, by, id, text } = edit;
        let change = Change {
            room,
            by,
            id,
            text: Some(text),
        };
        self.submit(Job::Change(change, Box::new(done)))
    }

    /// Queues the deletion of one's own message, within the edit window.
    pub fn delete(
        &self,
        delete: Delete,
        done: impl FnOnce(Result<StoredMessage, ChatRefusal>) + Send + 'static,
    ) -> Result<(), ChatRefusal> {
        let Delete { room, by, id } = delete;
        let change = Change {
            room,
            by,
            id,
            text: None,
        };
        self.submit(Job::Change(change, Box::new(done)))
    }

    /// Queues a read marker (markers only move forward).
    pub fn mark_read(
        &self,
        marker: ReadMarker,
        done: impl FnOnce(Result<ReadMoved, ChatRefusal>) + Send + 'static,
    ) -> Result<(), ChatRefusal> {
        self.submit(Job::MarkRead(marker, Box::new(done)))
    }

    /// Records that direct messages `ids` reached one of `recipient`'s connections; `done`
    /// gets, per sender, the highest id newly delivered (nothing when the queue is full:
    /// the receipt is lost, not the message).
    pub fn mark_delivered(
        &self,
        room: &str,
        recipient: &str,
        ids: Vec<i64>,
        done: impl FnOnce(Vec<(String, i64)>) + Send + 'static,
    ) {
        let delivery = Delivery {
            room: room.to_owned(),
            recipient: recipient.to_owned(),
            ids,
        };
        if self
            .submit(Job::MarkDelivered(delivery, Box::new(done)))
            .is_err()
        {
            log::warn!("chat store: busy, a delivered receipt to {recipient} is dropped");
        }
    }

    /// A page of history (see [`HistoryQuery`]).
    pub async fn history(&self, query: HistoryQuery) -> Result<HistoryPage, ChatRefusal> {
        self.backend.history(query).await
    }

    /// `email`'s conversations in `room`: the room first, then the direct ones.
    pub async fn conversations(
        &self,
        room: &str,
        email: &str,
    ) -> Result<Vec<ConversationSummary>, ChatRefusal> {
        let (room, email) = (room.to_owned(), email.to_owned());
        self.backend.conversations(room, email).await
    }

    /// Resolves once everything queued before it is committed (at shutdown).
    pub async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.backend.submit_waiting(Job::Flush(done)).await {
            let _ = flushed.await;
        }
    }

    /// One pass of retention now (the periodic task runs the same).
    pub async fn purge_now(&self) -> Purged {
        purge_once(&self.backend, &self.config).await
    }

    /// Retention at once and then hourly, until `stop`: spawn it at start.
    pub async fn purge_periodically(self, stop: CancellationToken) {
        let config = ChatConfig::clone(&self.config);
        purge_periodically(self.backend, config, stop).await;
    }

    fn submit(&self, job: Job) -> Result<(), ChatRefusal> {
        match self.backend.try_submit(job) {
            true => Ok(()),
            false => Err(ChatRefusal::StoreBusy),
        }
    }
}

/// The writer's settings from the store's.
fn settings_of(config: &ChatConfig, batch_end: &BatchEnd) -> WriterSettings {
    WriterSettings {
        edit_window_ms: i64::try_from(config.edit_window.as_millis()).unwrap_or(i64::MAX),
        batch_end: Arc::clone(batch_end),
    }
}
