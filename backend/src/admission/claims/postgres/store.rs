//! [`PgClaims`]: the handle, and the claims' queries that need no transaction (the
//! proofs of a device, sign-outs, the operator's, the purge).

use super::schema;
use crate::admission::claims::model::{ClaimError, DeviceId, TOUCH_EVERY_MS};
use crate::admission::claims::sql::ms;
use crate::store::StoreError;
use crate::store::postgres::{Connection, Migrations, Pool, connection};
use std::sync::Arc;
use std::time::Duration;

/// The claims of a cluster, in PostgreSQL. Cheap to clone.
#[derive(Clone)]
pub struct PgClaims {
    pool: Pool,
    /// A device unused for longer no longer holds its email's claim.
    device_ttl_ms: i64,
    /// The tables, made before the first query that gets through.
    migrations: Arc<Migrations>,
}

impl PgClaims {
    pub fn new(pool: Pool, device_ttl: Duration) -> Self {
        Self {
            pool,
            device_ttl_ms: i64::try_from(device_ttl.as_millis()).unwrap_or(i64::MAX),
            migrations: Arc::new(Migrations::new("claims", schema::STEPS)),
        }
    }

    pub async fn is_claimed(&self, email: &str, now_ms: u64) -> Result<bool, ClaimError> {
        let conn = self.conn().await?;
        let cutoff = self.cutoff(now_ms);
        let row = conn
            .query_opt(
                "SELECT 1 FROM claim_devices WHERE email = $1 AND last_used_ms > $2 LIMIT 1",
                &[&email, &cutoff],
            )
            .await
            .map_err(failed)?;
        Ok(row.is_some())
    }

    /// Whether `device` is a live device of `email`; marked used now if its last use is
    /// older than an hour.
    pub async fn touch_device(
        &self,
        email: &str,
        device: &str,
        now_ms: u64,
    ) -> Result<bool, ClaimError> {
        let conn = self.conn().await?;
        let (cutoff, now) = (self.cutoff(now_ms), ms(now_ms));
        let stale_before = now.saturating_sub(TOUCH_EVERY_MS);
        let touch = conn.prepare_cached(schema::TOUCH).await.map_err(failed)?;
        let row = conn
            .query_one(&touch, &[&email, &device, &cutoff, &now, &stale_before])
            .await
            .map_err(failed)?;
        Ok(row.try_get::<_, i64>(0).map_err(failed)? > 0)
    }

    pub async fn revoke(&self, email: &str, device: &str) -> Result<(), ClaimError> {
        let sql = "DELETE FROM claim_devices WHERE email = $1 AND device = $2";
        self.execute(sql, &[&email, &device]).await.map(drop)
    }

    pub async fn revoke_others(&self, email: &str, keep: &str) -> Result<usize, ClaimError> {
        let sql = "DELETE FROM claim_devices WHERE email = $1 AND device <> $2";
        self.execute(sql, &[&email, &keep]).await
    }

    pub async fn release(&self, email: &str) -> Result<usize, ClaimError> {
        let sql = "DELETE FROM claim_devices WHERE email = $1";
        self.execute(sql, &[&email]).await
    }

    /// The devices of `email`, as `(device, last used ms)`, most recent first.
    pub async fn devices(&self, email: &str) -> Result<Vec<(DeviceId, u64)>, ClaimError> {
        let conn = self.conn().await?;
        let rows = conn
            .query(
                "SELECT device, last_used_ms FROM claim_devices WHERE email = $1
                 ORDER BY last_used_ms DESC",
                &[&email],
            )
            .await
            .map_err(failed)?;
        rows.iter()
            .map(|row| {
                let used: i64 = row.try_get(1)?;
                Ok((row.try_get(0)?, u64::try_from(used).unwrap_or(0)))
            })
            .collect::<Result<_, tokio_postgres::Error>>()
            .map_err(failed)
    }

    /// Forgets devices past their life, emails not seen since `seen_cutoff_ms` and link
    /// codes expired. Returns how many rows went.
    pub async fn purge(&self, now_ms: u64, seen_cutoff_ms: u64) -> Result<usize, ClaimError> {
        let (cutoff, seen, now) = (self.cutoff(now_ms), ms(seen_cutoff_ms), ms(now_ms));
        let devices = "DELETE FROM claim_devices WHERE last_used_ms <= $1";
        let identities = "DELETE FROM identities WHERE last_seen_ms < $1
            AND NOT EXISTS (SELECT 1 FROM claim_devices d WHERE d.email = identities.email)";
        let codes = "DELETE FROM link_codes WHERE expires_ms <= $1";
        let mut purged = self.execute(devices, &[&cutoff]).await?;
        purged += self.execute(identities, &[&seen]).await?;
        purged += self.execute(codes, &[&now]).await?;
        Ok(purged)
    }

    /// Nothing is kept in memory: every claim is in the database once answered.
    pub fn flush(&self) -> bool {
        true
    }

    pub(super) fn cutoff(&self, now_ms: u64) -> i64 {
        ms(now_ms).saturating_sub(self.device_ttl_ms)
    }

    /// A connection, the tables made first if that is still to do.
    pub(super) async fn conn(&self) -> Result<Connection, ClaimError> {
        self.migrations
            .ensure(&self.pool)
            .await
            .map_err(unavailable)?;
        connection(&self.pool).await.map_err(unavailable)
    }

    async fn execute(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<usize, ClaimError> {
        let conn = self.conn().await?;
        let statement = conn.prepare_cached(sql).await.map_err(failed)?;
        let done = conn.execute(&statement, params).await.map_err(failed)?;
        Ok(usize::try_from(done).unwrap_or(usize::MAX))
    }
}

fn unavailable(error: StoreError) -> ClaimError {
    ClaimError(error.0)
}

pub(super) fn failed(error: tokio_postgres::Error) -> ClaimError {
    ClaimError(format!("postgres: {error}"))
}
