//! The migrations in code: each part of the backend (users, claims, chat) has its list of
//! steps, and `meetmap_schema` the version each part is at. A part migrates in one
//! transaction under an advisory lock, so nodes starting together never race.

use super::pool::{Pool, connection, pg};
use crate::store::StoreError;
use tokio::sync::OnceCell;

/// The advisory lock every migration takes (one key for all parts: migrations are rare).
const MIGRATION_LOCK: i64 = 0x6d65_6574_6d61_7000;

const SCHEMA_TABLE: &str = "CREATE TABLE IF NOT EXISTS meetmap_schema (
    part text PRIMARY KEY,
    version int NOT NULL
)";

/// Brings `part` to `steps.len()`: the steps past its recorded version run in order, in
/// one transaction with the version. A database already past this code's steps is left
/// as it is (an error: this code is older than the database).
pub async fn migrate(pool: &Pool, part: &str, steps: &[&str]) -> Result<(), StoreError> {
    let mut conn = connection(pool).await?;
    let tx = conn.transaction().await.map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg)?;
    tx.batch_execute(SCHEMA_TABLE).await.map_err(pg)?;
    let row = tx
        .query_opt(
            "SELECT version FROM meetmap_schema WHERE part = $1",
            &[&part],
        )
        .await
        .map_err(pg)?;
    let version = match row {
        Some(row) => row.try_get::<_, i32>(0).map_err(pg)?,
        None => 0,
    };
    let wanted = i32::try_from(steps.len()).unwrap_or(i32::MAX);
    if version > wanted {
        return Err(StoreError(format!(
            "postgres: the {part} tables are at version {version}, newer than this backend's {wanted}"
        )));
    }
    let done = usize::try_from(version).unwrap_or(0);
    for step in &steps[done..] {
        tx.batch_execute(step).await.map_err(pg)?;
    }
    tx.execute(
        "INSERT INTO meetmap_schema (part, version) VALUES ($1, $2)
         ON CONFLICT (part) DO UPDATE SET version = excluded.version",
        &[&part, &wanted],
    )
    .await
    .map_err(pg)?;
    tx.commit().await.map_err(pg)?;
    if done < steps.len() {
        log::info!("postgres: the {part} tables migrated from version {version} to {wanted}");
    }
    Ok(())
}

/// One part's migrations, run before its first query that gets through (and never again
/// once done): a database unreachable at start is migrated when it comes.
pub struct Migrations {
    part: &'static str,
    steps: &'static [&'static str],
    done: OnceCell<()>,
}

impl Migrations {
    pub fn new(part: &'static str, steps: &'static [&'static str]) -> Self {
        Self {
            part,
            steps,
            done: OnceCell::new(),
        }
    }

    /// Migrates the part unless that is done already.
    pub async fn ensure(&self, pool: &Pool) -> Result<(), StoreError> {
        self.done
            .get_or_try_init(|| migrate(pool, self.part, self.steps))
            .await
            .map(drop)
    }
}
