//! Users and claims on a real PostgreSQL (`--database postgres://…`, issue 15 stage 2):
//! `users.rs` the users store with two node ids and a database down at start;
//! `claims.rs` claimants on two pools at once; `cluster.rs` two nodes on one database (tokens, claims, lookalikes, link codes,
//! sign-out and the operator's release across nodes); `migrations.rs` two backends
//! migrating an empty database at once; `tls.rs` a server that takes TLS only.

mod claims;
mod cluster;
mod migrations;
mod tls;
mod users;

use super::postgres::Postgres;
use backend::store::postgres::{Pool, PostgresUrl, connect};

/// A pool on `url` (a database of a test's [`Postgres`]).
fn pool(url: &str) -> Pool {
    let url = PostgresUrl::parse(url).expect("a PostgreSQL URL");
    connect(&url, 4, None).expect("a pool")
}

/// A server with one fresh database, and its URL.
async fn database(name: &str) -> (Postgres, String) {
    let server = Postgres::start().await;
    let url = server.database(name);
    (server, url)
}
