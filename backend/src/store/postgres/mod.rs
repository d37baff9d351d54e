//! PostgreSQL (`--database postgres://…`): one pool for the whole backend, the migrations
//! every part runs at its first use, and the probe `/readyz` asks.
//!
//! Nothing here connects at start: a database that is unreachable then only makes the
//! first queries fail (the users store writes behind and retries; claims are refused
//! until it answers), so the backend starts and serves whatever the database does.

mod migrate;
mod pool;
mod tls;
mod url;
mod users;

pub use migrate::{Migrations, migrate};
pub use pool::{
    CONNECT_TIMEOUT, Connection, DEFAULT_POOL_SIZE, Pool, connect, connection, pg, probe,
};
pub use url::PostgresUrl;
pub use users::{LOCAL_NODE, PgUserStore};
