//! The queries' side on PostgreSQL: each query on a connection of the pool, in one
//! read-only repeatable-read transaction (a page and its cursor from one snapshot),
//! bounded in number and in time, and run on the store's runtime whatever runtime asks.

use std::sync::Arc;

use deadpool_postgres::{Object, Pool, Transaction};
use futures_util::future::BoxFuture;
use tokio::runtime::Handle;
use tokio::sync::Semaphore;
use tokio_postgres::IsolationLevel;

use super::super::messages::JobError;
use super::super::model::ChatRefusal;
use super::sql::PATIENCE;

/// Queries running or waiting at most; past it a query is refused (`StoreBusy`), as the
/// SQLite reader's queue refuses.
const READ_QUEUE: usize = 1_024;

/// A query: what it runs in the snapshot, given its arguments.
pub(super) type Work<A, T> =
    for<'a> fn(&'a Transaction<'a>, &'a A) -> BoxFuture<'a, Result<T, JobError>>;

/// The handles' way to the pool for queries.
#[derive(Clone)]
pub(super) struct Reader {
    pool: Pool,
    runtime: Handle,
    permits: Arc<Semaphore>,
}

impl Reader {
    /// A reader on `pool`, its queries run on the current runtime.
    pub fn new(pool: Pool) -> Reader {
        Reader {
            pool,
            runtime: Handle::current(),
            permits: Arc::new(Semaphore::new(READ_QUEUE)),
        }
    }

    /// Runs `work` with `args` in one snapshot.
    pub async fn query<A, T>(&self, args: A, work: Work<A, T>) -> Result<T, ChatRefusal>
    where
        A: Send + Sync + 'static,
        T: Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .try_acquire_owned()
            .map_err(|_| ChatRefusal::StoreBusy)?;
        let pool = self.pool.clone();
        let task = self.runtime.spawn(async move {
            let _permit = permit;
            in_snapshot(&pool, &args, work).await
        });
        task.await.unwrap_or(Err(ChatRefusal::StoreUnavailable))
    }
}

async fn in_snapshot<A, T>(pool: &Pool, args: &A, work: Work<A, T>) -> Result<T, ChatRefusal> {
    let mut client = connect(pool).await?;
    let ran = tokio::time::timeout(PATIENCE, async {
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let outcome = work(&tx, args).await;
        tx.commit().await?;
        Ok::<_, tokio_postgres::Error>(outcome)
    })
    .await;
    match ran {
        Ok(Ok(Ok(answer))) => Ok(answer),
        Ok(Ok(Err(JobError::Refused(refusal)))) => Err(refusal),
        Ok(Ok(Err(failure))) => {
            drop(Object::take(client));
            Err(failure.into_refusal())
        }
        Ok(Err(error)) => {
            log::warn!("chat store: a query failed: {error}");
            drop(Object::take(client));
            Err(ChatRefusal::StoreUnavailable)
        }
        Err(_) => {
            log::warn!("chat store: a query took longer than {PATIENCE:?}; given up");
            drop(Object::take(client));
            Err(ChatRefusal::StoreUnavailable)
        }
    }
}

/// A connection of the pool within [`PATIENCE`].
pub(super) async fn connect(pool: &Pool) -> Result<Object, ChatRefusal> {
    match tokio::time::timeout(PATIENCE, pool.get()).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(error)) => {
            log::warn!("chat store: no connection to the database: {error}");
            Err(ChatRefusal::StoreUnavailable)
        }
        Err(_) => {
            log::warn!("chat store: no connection to the database within {PATIENCE:?}");
            Err(ChatRefusal::StoreUnavailable)
        }
    }
}
