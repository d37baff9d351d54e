//! [`PgUserStore`]: the users in PostgreSQL, shared by every node. Who is connected is
//! kept per node (`user_presence`: one row per user and node holding them), so a node's
//! start clears only its own users, and a user held by two nodes (two tabs) stays
//! connected until both let go.

use super::migrate::Migrations;
use super::pool::{Pool, connection, pg, probe};
use crate::store::{StoreError, UserRecord, UserStore};
use std::sync::atomic::{AtomicBool, Ordering};
use tokio_postgres::Row;

/// The node a backend is in the users' presence rows without `--node-id` (one backend
/// alone on its database).
pub const LOCAL_NODE: &str = "local";

/// The users' tables, one step per version.
const STEPS: &[&str] = &["
    CREATE TABLE users (
        email text PRIMARY KEY,
        name text NOT NULL,
        latitude float8,
        longitude float8,
        last_seen_ms int8 NOT NULL
    );
    CREATE TABLE user_presence (
        email text NOT NULL,
        node text NOT NULL,
        PRIMARY KEY (email, node)
    );
    CREATE INDEX user_presence_by_node ON user_presence (node);"];

/// One batch in one statement: the users upserted (a missing position keeps the stored
/// one), this node's presence rows added for the connected, removed for the others.
const WRITE: &str = "
    WITH input AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[],
                             $5::bool[], $6::int8[])
            AS t(email, name, latitude, longitude, connected, last_seen_ms)
    ), upserted AS (
        INSERT INTO users (email, name, latitude, longitude, last_seen_ms)
        SELECT email, name, latitude, longitude, last_seen_ms FROM input
        ON CONFLICT (email) DO UPDATE SET
            name = excluded.name,
            latitude = COALESCE(excluded.latitude, users.latitude),
            longitude = COALESCE(excluded.longitude, users.longitude),
            last_seen_ms = excluded.last_seen_ms
    ), joined AS (
        INSERT INTO user_presence (email, node)
        SELECT email, $7 FROM input WHERE connected
        ON CONFLICT DO NOTHING
    )
    DELETE FROM user_presence p USING input i
    WHERE p.email = i.email AND p.node = $7 AND NOT i.connected";

const GET: &str = "
    SELECT email, name, latitude, longitude,
           EXISTS (SELECT 1 FROM user_presence p WHERE p.email = u.email),
           last_seen_ms
    FROM users u WHERE email = $1";

/// Users not connected on any node and last seen before `$1`, at most `$2` of them.
const PURGE: &str = "
    DELETE FROM users WHERE email IN (
        SELECT email FROM users u WHERE last_seen_ms < $1
        AND NOT EXISTS (SELECT 1 FROM user_presence p WHERE p.email = u.email)
        LIMIT $2)";

/// Users deleted per statement by a purge, so the writer never waits long behind one.
const PURGE_CHUNK: i64 = 5_000;

/// The users store on a PostgreSQL database, as one node of a cluster.
pub struct PgUserStore {
    pool: Pool,
    /// The node writing (`--node-id`): its presence rows are its own to add and clear.
    node: String,
    migrations: Migrations,
    /// This node's presence rows are still to be cleared (asked for at start): done
    /// before the first write that gets through.
    reset_due: AtomicBool,
}

impl PgUserStore {
    pub fn new(pool: Pool, node: &str) -> Self {
        Self {
            pool,
            node: node.to_owned(),
            migrations: Migrations::new("users", STEPS),
            reset_due: AtomicBool::new(false),
        }
    }

    /// Clears this node's presence before anything else is written: at start, when nobody
    /// is connected to it yet. Done now if the database answers, else by the first write
    /// (and logged); never an error.
    pub async fn reset_presence_at_start(&self) {
        self.reset_due.store(true, Ordering::Release);
        if let Err(error) = self.prepared().await {
            log::warn!(
                "users store: PostgreSQL is unavailable ({error}); serving anyway, the \
                 changes are written behind once it answers"
            );
        }
    }

    /// The tables migrated and this node's presence cleared if that is due.
    async fn prepared(&self) -> Result<(), StoreError> {
        self.migrations.ensure(&self.pool).await?;
        if self.reset_due.swap(false, Ordering::AcqRel) {
            let cleared = self.clear_node().await;
            if cleared.is_err() {
                self.reset_due.store(true, Ordering::Release);
            }
            let cleared = cleared?;
            log::info!(
                "users store: {cleared} users of node {} marked offline",
                self.node
            );
        }
        Ok(())
    }

    async fn clear_node(&self) -> Result<u64, StoreError> {
        let conn = connection(&self.pool).await?;
        conn.execute("DELETE FROM user_presence WHERE node = $1", &[&self.node])
            .await
            .map_err(pg)
    }
}

impl UserStore for PgUserStore {
    async fn probe(&self) -> Result<(), StoreError> {
        probe(&self.pool).await
    }

    async fn write(&self, records: Vec<UserRecord>) -> Result<(), StoreError> {
        self.prepared().await?;
        let mut columns = Columns::default();
        for record in &records {
            columns.push(record);
        }
        let conn = connection(&self.pool).await?;
        let c = &columns;
        conn.execute(
            WRITE,
            &[
                &c.emails,
                &c.names,
                &c.lats,
                &c.lons,
                &c.connected,
                &c.seen,
                &self.node,
            ],
        )
        .await
        .map_err(pg)
        .map(drop)
    }

    async fn reset_presence(&self) -> Result<(), StoreError> {
        self.reset_due.store(true, Ordering::Release);
        self.prepared().await
    }

    async fn get(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        self.prepared().await?;
        let conn = connection(&self.pool).await?;
        let row = conn.query_opt(GET, &[&email]).await.map_err(pg)?;
        row.as_ref().map(from_row).transpose().map_err(pg)
    }

    async fn purge_not_seen_since(&self, cutoff_ms: u64) -> Result<usize, StoreError> {
        self.prepared().await?;
        let cutoff = i64::try_from(cutoff_ms).unwrap_or(i64::MAX);
        let conn = connection(&self.pool).await?;
        let mut purged = 0;
        loop {
            let deleted = conn
                .execute(PURGE, &[&cutoff, &PURGE_CHUNK])
                .await
                .map_err(pg)?;
            purged += usize::try_from(deleted).unwrap_or(usize::MAX);
            if deleted < PURGE_CHUNK.unsigned_abs() {
                return Ok(purged);
            }
        }
    }
}

/// A batch as the arrays `unnest` reads, one per column.
#[derive(Default)]
struct Columns {
    emails: Vec<String>,
    names: Vec<String>,
    lats: Vec<Option<f64>>,
    lons: Vec<Option<f64>>,
    connected: Vec<bool>,
    seen: Vec<i64>,
}

impl Columns {
    fn push(&mut self, record: &UserRecord) {
        let position = record.position();
        self.emails.push(record.email.clone());
        self.names.push(record.name.clone());
        self.lats.push(position.map(|(lat, _)| lat));
        self.lons.push(position.map(|(_, lon)| lon));
        self.connected.push(record.is_connected);
        self.seen
            .push(i64::try_from(record.last_seen_ms).unwrap_or(i64::MAX));
    }
}

fn from_row(row: &Row) -> Result<UserRecord, tokio_postgres::Error> {
    Ok(UserRecord {
        email: row.try_get(0)?,
        name: row.try_get(1)?,
        latitude: row.try_get(2)?,
        longitude: row.try_get(3)?,
        is_connected: row.try_get(4)?,
        last_seen_ms: u64::try_from(row.try_get::<_, i64>(5)?).unwrap_or(0),
    })
}
