//! The chat store: every room and direct message, stored before it is acknowledged, in
//! its own SQLite file (`chat.sqlite3` beside the users' file), so that its writer never
//! waits on the users' or the claims' writers; or in a PostgreSQL database that every
//! node shares (`postgres/`, `ChatStore::open_postgres`).
//!
//! API: [`ChatStore`] (`open`, `post`, `edit`, `delete`, `mark_read`, `mark_delivered`,
//! `remember_member`, `history`, `conversations`, `flush`, retention), its vocabulary
//! ([`NewMessage`], [`StoredMessage`], [`ChatRefusal`], ...), [`ChatConfig`], and
//! [`seed`], a bulk fill for benchmarks (`backend chat-seed`). One writer thread commits the queued jobs in batches
//! (`writer.rs`); one reader thread answers queries (`reader.rs`); the schema and its
//! migrations are in `schema.rs`; `backend.rs` picks SQLite or PostgreSQL. Nothing outside
//! this folder sees its SQL.

mod backend;
mod config;
mod conversations;
mod handle;
mod history;
mod ids;
mod job;
mod markers;
mod messages;
mod model;
mod postgres;
mod purge;
mod reader;
mod retention;
mod schema;
mod seed;
mod writer;

pub use config::{
    ChatConfig, DEFAULT_CHAT_RETENTION_DAYS, DEFAULT_EDIT_WINDOW, DEFAULT_MAX_PER_CONVERSATION,
    DEFAULT_QUEUE_CAPACITY, max_of,
};
pub use handle::ChatStore;
pub use model::{
    ChatRefusal, ChatStoreError, Conversation, ConversationSummary, Delete, Edit, HistoryEntry,
    HistoryPage, HistoryQuery, HistoryRange, MAX_PAGE, MAX_UNREAD, NewMessage, Posted, ReadMarker,
    ReadMoved, StoredMessage,
};
pub use retention::Purged;
pub use seed::{SeedPlan, Seeded, seed, seed_sender};

/// The chat store's SQLite file name, beside the users' file.
pub const CHAT_FILE_NAME: &str = "chat.sqlite3";

#[cfg(test)]
mod tests;
