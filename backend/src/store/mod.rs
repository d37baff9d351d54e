//! The users store: where each user's name, last position and last-seen time are kept.
//!
//! The hub never waits on the store. It hands each change to [`WriteBehind`], which keeps
//! only the latest state per user and writes it in batches from a background task,
//! retrying until the store takes it. Two stores implement [`UserStore`]: the embedded
//! SQLite file ([`SqliteStore`], the default) and the seed's REST users API
//! ([`RemoteStore`], chosen with `--users-api`). Users not seen for the retention period
//! are deleted ([`spawn_retention`]); the remote API has no delete, so there retention only
//! covers what the server keeps, which is nothing about users who left.

pub mod remote;
mod retention;
mod sqlite;
mod write_behind;

pub use remote::{RemoteConfig, RemoteStore};
pub use retention::{DEFAULT_RETENTION_DAYS, PURGE_INTERVAL, retention_of_days, spawn_retention};
pub use sqlite::SqliteStore;
pub use write_behind::{RetryPolicy, WriteBehind};

use std::fmt;
use std::future::Future;
use std::time::Duration;

/// How long the users store keeps users, and how long it is given at shutdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// Users not connected and not seen for this long are deleted (`None`: kept for ever),
    /// and the claims forget emails not used for as long.
    pub retention: Option<Duration>,
    /// Time the users store is given at shutdown to take the changes still pending
    /// (retried meanwhile), after the connections' grace.
    pub shutdown_timeout: Duration,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            retention: retention_of_days(DEFAULT_RETENTION_DAYS),
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// A user as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    /// Normalised (trimmed, lower-case); the key.
    pub email: String,
    pub name: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub is_connected: bool,
    /// Milliseconds since the Unix epoch when the server last heard from the user.
    pub last_seen_ms: u64,
}

/// Why a store call failed. The write-behind task retries on any of them.
#[derive(Debug)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

/// A place where users are kept. Implementations are called from the write-behind task
/// only, never from the path of a live message.
pub trait UserStore: Send + Sync + 'static {
    /// Writes the latest state of these users (one record per email), all or nothing.
    /// A record without a position keeps the position already stored.
    fn write(
        &self,
        records: Vec<UserRecord>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Marks every user disconnected: run at start, when nobody can be connected yet.
    fn reset_presence(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// One user, if the store knows the email.
    fn get(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Option<UserRecord>, StoreError>> + Send;

    /// Deletes the users last seen before `cutoff_ms` (milliseconds since the Unix epoch)
    /// and not connected, with everything kept about them; returns how many. A store that
    /// cannot delete (the remote API) deletes nothing.
    fn purge_not_seen_since(
        &self,
        cutoff_ms: u64,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}
