//! The databases the store's tests run on: an SQLite file in a temporary folder, or a
//! real PostgreSQL server (the integration tests' `postgres.rs`: a server per test on a
//! free port, stopped when dropped) with a pool of the test's own. [`on_both!`] makes a
//! test of each.

use std::sync::LazyLock;
use std::time::Duration;

use deadpool_postgres::{Pool, PoolConfig, Runtime, Timeouts};
use tokio_postgres::NoTls;

use super::super::{CHAT_FILE_NAME, ChatConfig, ChatStore};

/// What the integration tests' server needs from their harness.
mod harness {
    pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);
}

#[allow(dead_code)]
#[path = "../../../../tests/it/postgres.rs"]
mod postgres;

pub(crate) use postgres::Postgres;

/// The runtime the PostgreSQL stores and servers of the tests run on (the tests
/// themselves are plain threads, as the SQLite store's callers may be).
pub(crate) static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
});

/// A database for one test.
pub(crate) enum Db {
    Sqlite(tempfile::TempDir),
    Postgres { server: Postgres, url: String },
}

impl Db {
    pub fn sqlite() -> Db {
        Db::Sqlite(tempfile::tempdir().unwrap())
    }

    /// A server of its own with an empty database `chat`.
    pub fn postgres() -> Db {
        let server = RUNTIME.block_on(Postgres::start());
        let url = server.database("chat");
        Db::Postgres { server, url }
    }

    /// A store on this database (another handle each call: another node on PostgreSQL).
    pub fn open(&self, config: ChatConfig) -> ChatStore {
        match self {
            Db::Sqlite(dir) => ChatStore::open(&dir.path().join(CHAT_FILE_NAME), config).unwrap(),
            Db::Postgres { url, .. } => open_on(url, config),
        }
    }

    pub fn open_default(&self) -> ChatStore {
        self.open(ChatConfig::default())
    }

    /// The first column of the first row of `sql` (a count), as an integer.
    pub fn count(&self, sql: &str) -> i64 {
        match self {
            Db::Sqlite(dir) => rusqlite::Connection::open(dir.path().join(CHAT_FILE_NAME))
                .unwrap()
                .query_row(sql, [], |row| row.get(0))
                .unwrap(),
            Db::Postgres { url, .. } => RUNTIME.block_on(async {
                let client = connect(url).await;
                client.query_one(sql, &[]).await.unwrap().get(0)
            }),
        }
    }

    /// Runs `sql` (the same text on both databases).
    pub fn execute(&self, sql: &str) {
        match self {
            Db::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(dir.path().join(CHAT_FILE_NAME)).unwrap();
                conn.busy_timeout(Duration::from_secs(10)).unwrap();
                conn.execute_batch(sql).unwrap();
            }
            Db::Postgres { url, .. } => RUNTIME.block_on(async {
                connect(url).await.batch_execute(sql).await.unwrap();
            }),
        }
    }
}

/// A store on the PostgreSQL database at `url`, with a pool of its own.
pub(crate) fn open_on(url: &str, config: ChatConfig) -> ChatStore {
    RUNTIME
        .block_on(ChatStore::open_postgres(pool_of(url), config))
        .unwrap()
}

/// A pool of the test's own on `url`, waiting at most a few seconds for a connection.
pub(crate) fn pool_of(url: &str) -> Pool {
    let mut config = deadpool_postgres::Config::new();
    config.url = Some(url.to_owned());
    let wait = Some(Duration::from_secs(5));
    config.pool = Some(PoolConfig {
        max_size: 8,
        timeouts: Timeouts {
            wait,
            create: wait,
            recycle: wait,
        },
        ..PoolConfig::default()
    });
    let _entered = RUNTIME.enter();
    config.create_pool(Some(Runtime::Tokio1), NoTls).unwrap()
}

/// A connection of its own, outside any store.
pub(crate) async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// Makes the test `$name` twice, in a module of that name: `sqlite` and `postgres`, each
/// with `$db` the [`Db`] it runs on.
macro_rules! on_both {
    ($(#[doc = $doc:literal])* fn $name:ident($db:ident) $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            use super::*;

            fn run($db: &Db) $body

            #[test]
            fn sqlite() {
                run(&Db::sqlite());
            }

            #[test]
            fn postgres() {
                run(&Db::postgres());
            }
        }
    };
}
pub(crate) use on_both;
