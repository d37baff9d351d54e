//! The users store: where each user's name, last position and last-seen time are kept.
//!
//! The hub never waits on the store. It hands each change to [`WriteBehind`], which keeps
//! only the latest state per user and writes it in batches from a background task,
//! retrying until the store takes it. Three stores implement [`UserStore`]: the embedded
//! SQLite file ([`SqliteStore`], the default), PostgreSQL shared by several nodes
//! ([`postgres::PgUserStore`], `--database postgres://…`) and the seed's REST users API
//! ([`RemoteStore`], chosen with `--users-api`). Users not seen for the retention period
//! are deleted ([`spawn_retention`]); the remote API has no delete, so there retention only
//! covers what the server keeps, which is nothing about users who left.

pub mod chat;
pub(crate) mod checkpointer;
mod config;
pub mod postgres;
pub mod remote;
mod retention;
mod sqlite;
pub(crate) mod statements;
mod user_store;
mod write_behind;

pub use config::StoreConfig;
pub use remote::{RemoteConfig, RemoteStore};
pub use retention::{DEFAULT_RETENTION_DAYS, PURGE_INTERVAL, retention_of_days, spawn_retention};
pub use sqlite::SqliteStore;
pub use user_store::{StoreError, UserRecord, UserStore};
pub use write_behind::{RetryPolicy, WriteBehind};
