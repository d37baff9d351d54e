//! [`StoreConfig`]: how long the users store keeps users, and its time at shutdown.

use std::time::Duration;

use super::retention::{DEFAULT_RETENTION_DAYS, retention_of_days};

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
