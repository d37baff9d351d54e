//! The flags of the users store: the remote API if any, how long users are kept, the time
//! given at shutdown and PostgreSQL's pool, into a [`StoreConfig`] and a [`RemoteConfig`].

use super::units::millis;
use crate::store::postgres::DEFAULT_POOL_SIZE;
use crate::store::remote::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT};
use crate::store::{DEFAULT_RETENTION_DAYS, RemoteConfig, StoreConfig, retention_of_days};
use reqwest::Url;
use std::time::Duration;

/// The users store's settings, from the command line.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// Base URL of a remote users API to keep users in instead of SQLite, like
    /// http://localhost:4000/api/users (see docs/USERS-API.md).
    #[arg(long, env = "MEETMAP_USERS_API", value_name = "URL")]
    pub users_api: Option<Url>,
    /// Milliseconds to connect to the users API.
    #[arg(
        long,
        env = "MEETMAP_USERS_API_CONNECT_TIMEOUT_MS",
        default_value_t = millis(DEFAULT_CONNECT_TIMEOUT)
    )]
    pub users_api_connect_timeout_ms: u64,
    /// Milliseconds for one call to the users API, answer included.
    #[arg(long, env = "MEETMAP_USERS_API_TIMEOUT_MS", default_value_t = millis(DEFAULT_REQUEST_TIMEOUT))]
    pub users_api_timeout_ms: u64,
    /// Days a user who is not connected is kept in the SQLite file after they were last
    /// seen; 0 keeps everyone forever. The users API has no delete: there it only bounds
    /// what the backend keeps.
    #[arg(long, env = "MEETMAP_RETENTION_DAYS", default_value_t = DEFAULT_RETENTION_DAYS)]
    pub retention_days: u64,
    /// Seconds the users store is given at shutdown to take the changes still pending
    /// (retried meanwhile), after the connections have closed.
    #[arg(
        long,
        env = "MEETMAP_STORE_SHUTDOWN_TIMEOUT_SECS",
        default_value_t = StoreConfig::default().shutdown_timeout.as_secs()
    )]
    pub store_shutdown_timeout_secs: u64,
    /// Connections to PostgreSQL at most, shared by users, claims and link codes (with a
    /// postgres:// --database).
    #[arg(long, env = "MEETMAP_DATABASE_POOL_SIZE", default_value_t = DEFAULT_POOL_SIZE)]
    pub database_pool_size: usize,
    /// The CA certificate (PEM) that PostgreSQL's certificate must chain to, for a
    /// postgres:// --database with sslmode=require (TLS); without it, the system's roots.
    #[arg(long, env = "MEETMAP_DATABASE_CA_FILE", value_name = "PATH")]
    pub database_ca_file: Option<std::path::PathBuf>,
}

impl StoreArgs {
    pub fn config(&self) -> StoreConfig {
        StoreConfig {
            retention: retention_of_days(self.retention_days),
            shutdown_timeout: Duration::from_secs(self.store_shutdown_timeout_secs),
        }
    }

    /// The remote users store's settings, when `--users-api` is given.
    pub fn remote_config(&self) -> Option<RemoteConfig> {
        let base = self.users_api.clone()?;
        Some(RemoteConfig {
            connect_timeout: Duration::from_millis(self.users_api_connect_timeout_ms.max(1)),
            request_timeout: Duration::from_millis(self.users_api_timeout_ms.max(1)),
            ..RemoteConfig::new(base)
        })
    }
}
