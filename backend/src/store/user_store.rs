//! The store's interface: [`UserStore`], the [`UserRecord`] it keeps and its [`StoreError`].

use std::fmt;
use std::future::Future;

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

impl UserRecord {
    /// The position, whole or not at all: half or non-finite ones count as missing.
    pub fn position(&self) -> Option<(f64, f64)> {
        match (self.latitude, self.longitude) {
            (Some(lat), Some(lon)) if lat.is_finite() && lon.is_finite() => Some((lat, lon)),
            _ => None,
        }
    }
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

    /// A cheap call that shows the store answers (for `/readyz`).
    fn probe(&self) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }

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
