//! The pool every PostgreSQL part shares, and the calls they all make on it: a
//! connection, the probe, the driver's errors as the store's.

use super::url::PostgresUrl;
use crate::store::StoreError;
use deadpool_postgres::{ManagerConfig, RecyclingMethod, Runtime, Timeouts};
use std::time::Duration;

/// The connection pool every PostgreSQL part shares (cheap to clone).
pub type Pool = deadpool_postgres::Pool;
/// A connection taken from the [`Pool`].
pub type Connection = deadpool_postgres::Object;

/// Connections in the pool unless `--database-pool-size` says otherwise.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// The longest wait for a connection: one made (a database unreachable fails within it),
/// or a free one of a busy pool.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A pool of at most `size` connections to `url`; connects nothing yet.
pub fn connect(url: &PostgresUrl, size: usize) -> Result<Pool, StoreError> {
    let config = url.config().map_err(StoreError)?;
    let manager = deadpool_postgres::Manager::from_config(
        config,
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let timeouts = Timeouts {
        wait: Some(CONNECT_TIMEOUT),
        create: Some(CONNECT_TIMEOUT),
        recycle: Some(CONNECT_TIMEOUT),
    };
    Pool::builder(manager)
        .max_size(size.max(1))
        .timeouts(timeouts)
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|e| StoreError(format!("postgres pool: {e}")))
}

/// A connection from `pool`, or why there is none.
pub async fn connection(pool: &Pool) -> Result<Connection, StoreError> {
    pool.get()
        .await
        .map_err(|e| StoreError(format!("postgres: no connection: {e}")))
}

/// A cheap query that shows the database answers (for `/readyz`).
pub async fn probe(pool: &Pool) -> Result<(), StoreError> {
    connection(pool)
        .await?
        .simple_query("SELECT 1")
        .await
        .map_err(pg)?;
    Ok(())
}

/// A driver's error as the store's.
pub fn pg(error: tokio_postgres::Error) -> StoreError {
    StoreError(format!("postgres: {error}"))
}
