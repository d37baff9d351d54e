//! The PostgreSQL side's few helpers: statements through the connection's cache, the
//! SQLite store's statements rewritten for PostgreSQL (`?1` → `$1`), and the bounds on
//! how long the store waits for the server.

use std::time::Duration;

use deadpool_postgres::Transaction;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

/// A statement's parameters.
pub(super) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// How long a batch or a query may take, connecting included, before it is given up
/// (answered `StoreUnavailable`) and its connection closed: a server that hangs is a
/// server that is down.
pub(super) const PATIENCE: Duration = Duration::from_secs(5);

/// The rows of `sql`, prepared once per connection.
pub(super) async fn rows(
    tx: &Transaction<'_>,
    sql: &str,
    params: Params<'_>,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let statement = tx.prepare_cached(sql).await?;
    tx.query(&statement, params).await
}

/// The row of `sql`, if there is one.
pub(super) async fn row(
    tx: &Transaction<'_>,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<Row>, tokio_postgres::Error> {
    let statement = tx.prepare_cached(sql).await?;
    tx.query_opt(&statement, params).await
}

/// Runs `sql`; the rows it changed.
pub(super) async fn execute(
    tx: &Transaction<'_>,
    sql: &str,
    params: Params<'_>,
) -> Result<u64, tokio_postgres::Error> {
    let statement = tx.prepare_cached(sql).await?;
    tx.execute(&statement, params).await
}

/// An SQLite statement of the store with PostgreSQL's placeholders: `?1` becomes `$1`.
pub(crate) fn dollars(sqlite: &str) -> String {
    let mut out = String::with_capacity(sqlite.len());
    let mut chars = sqlite.chars().peekable();
    while let Some(c) = chars.next() {
        let numbered = c == '?' && chars.peek().is_some_and(char::is_ascii_digit);
        out.push(if numbered { '$' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbered_placeholders_become_dollars_and_nothing_else_changes() {
        let sql = "SELECT a FROM t WHERE b = ?1 AND c = ?12 AND d = '?'";
        assert_eq!(
            super::dollars(sql),
            "SELECT a FROM t WHERE b = $1 AND c = $12 AND d = '?'"
        );
    }
}
