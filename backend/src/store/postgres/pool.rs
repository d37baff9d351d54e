//! The pool every PostgreSQL part shares, and the calls they all make on it: a
//! connection, the probe, the driver's errors as the store's.

use super::tls;
use super::url::PostgresUrl;
use crate::store::StoreError;
use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod, Runtime, Timeouts};
use std::path::Path;
use std::time::Duration;
use tokio_postgres::config::SslMode;

/// The connection pool every PostgreSQL part shares (cheap to clone).
pub type Pool = deadpool_postgres::Pool;
/// A connection taken from the [`Pool`].
pub type Connection = deadpool_postgres::Object;

/// Connections in the pool unless `--database-pool-size` says otherwise.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// The longest wait for a connection: one made (a database unreachable fails within it),
/// or a free one of a busy pool.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A pool of at most `size` connections to `url`; connects nothing yet. Over TLS when the
/// URL says `sslmode=require`: the server's certificate must chain to `ca_file` (PEM) if
/// given, else to the system's roots, and name the URL's host. Any other `sslmode` (the
/// driver's default is `prefer`) is plain TCP, and a `ca_file` with it is refused.
pub fn connect(url: &PostgresUrl, size: usize, ca_file: Option<&Path>) -> Result<Pool, StoreError> {
    let config = url.config().map_err(StoreError)?;
    let recycling = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match (config.get_ssl_mode(), ca_file) {
        (SslMode::Require, _) => Manager::from_config(config, tls::connector(ca_file)?, recycling),
        (_, Some(_)) => {
            return Err(StoreError(
                "--database-ca-file is for a TLS connection: add sslmode=require to the URL".into(),
            ));
        }
        (_, None) => Manager::from_config(config, tokio_postgres::NoTls, recycling),
    };
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
