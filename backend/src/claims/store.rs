//! The claims tables, in SQLite: each claimed email's devices, and every email seen with
//! its skeleton (for lookalike checks). Its own connection to the file, so that a claim
//! check never waits behind the users store's writes (WAL lets readers and one writer
//! share the file).

use super::{ClaimError, Claimed, DeviceId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a claim query waits for a lock held by another writer before it fails (and
/// the registration is refused with `internal`, to be tried again).
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS claim_devices (
        email TEXT NOT NULL,
        device TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        last_used_ms INTEGER NOT NULL,
        PRIMARY KEY (email, device)
    );
    CREATE INDEX IF NOT EXISTS claim_devices_by_last_used ON claim_devices (last_used_ms);
    CREATE TABLE IF NOT EXISTS identities (
        email TEXT PRIMARY KEY,
        skeleton TEXT NOT NULL,
        last_seen_ms INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS identities_by_skeleton ON identities (skeleton);
    CREATE INDEX IF NOT EXISTS identities_by_last_seen ON identities (last_seen_ms);";

/// The claims of one deployment. Cheap to clone.
#[derive(Clone)]
pub struct ClaimStore {
    /// Locked only inside `spawn_blocking`, never across an `.await`.
    conn: Arc<Mutex<Connection>>,
    /// A device unused for longer no longer holds its email's claim (its token has
    /// expired too: every registration renews both).
    device_ttl_ms: i64,
}

impl ClaimStore {
    /// Opens (or creates) the claims tables in the SQLite file at `path`. Blocks: call it
    /// at start.
    pub fn open(path: &Path, device_ttl: Duration) -> Result<Self, ClaimError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| fail(path, &e))?;
        }
        let conn = Connection::open(path).map_err(|e| fail(path, &e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| fail(path, &e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| fail(path, &e))?;
        conn.execute_batch(SCHEMA).map_err(|e| fail(path, &e))?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            device_ttl_ms: i64::try_from(device_ttl.as_millis()).unwrap_or(i64::MAX),
        })
    }

    /// Whether a live device holds `email`.
    pub async fn is_claimed(&self, email: &str, now_ms: u64) -> Result<bool, ClaimError> {
        let (email, cutoff) = (email.to_owned(), self.cutoff(now_ms));
        self.run(move |conn| live_device_exists(conn, &email, cutoff))
            .await
    }

    /// Whether `device` is a live device of `email`; if it is, it is marked used now.
    pub async fn touch_device(
        &self,
        email: &str,
        device: &str,
        now_ms: u64,
    ) -> Result<bool, ClaimError> {
        let (email, device) = (email.to_owned(), device.to_owned());
        let (cutoff, now) = (self.cutoff(now_ms), ms(now_ms));
        self.run(move |conn| {
            let changed = conn.execute(
                "UPDATE claim_devices SET last_used_ms = ?3
                 WHERE email = ?1 AND device = ?2 AND last_used_ms > ?4",
                params![email, device, now, cutoff],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    /// Claims `email` for a new device if no live device holds it and no other known
    /// email has its `skeleton`; one transaction, so two claimants cannot both win.
    pub async fn claim(
        &self,
        email: &str,
        skeleton: &str,
        now_ms: u64,
    ) -> Result<Claimed, ClaimError> {
        let (email, skeleton) = (email.to_owned(), skeleton.to_owned());
        let (cutoff, now) = (self.cutoff(now_ms), ms(now_ms));
        let device = new_device_id()?;
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if live_device_exists(&tx, &email, cutoff)? {
                return Ok(Claimed::Taken);
            }
            if let Some(existing) = lookalike(&tx, &email, &skeleton)? {
                return Ok(Claimed::Confusable { existing });
            }
            insert_device(&tx, &email, &device, now)?;
            upsert_identity(&tx, &email, &skeleton, now)?;
            tx.commit()?;
            Ok(Claimed::New(device))
        })
        .await
    }

    /// Adds a device to `email` (the holder of a link code from one of its devices).
    pub async fn add_device(
        &self,
        email: &str,
        skeleton: &str,
        now_ms: u64,
    ) -> Result<DeviceId, ClaimError> {
        let (email, skeleton) = (email.to_owned(), skeleton.to_owned());
        let now = ms(now_ms);
        let device = new_device_id()?;
        self.run(move |conn| {
            let tx = conn.transaction()?;
            insert_device(&tx, &email, &device, now)?;
            upsert_identity(&tx, &email, &skeleton, now)?;
            tx.commit()?;
            Ok(device)
        })
        .await
    }

    /// Records that `email` (unclaimed, a seed client's) was used now, unless another
    /// known email has its skeleton: then that email is returned and nothing is recorded.
    pub async fn note_identity(
        &self,
        email: &str,
        skeleton: &str,
        now_ms: u64,
    ) -> Result<Option<String>, ClaimError> {
        let (email, skeleton) = (email.to_owned(), skeleton.to_owned());
        let now = ms(now_ms);
        self.run(move |conn| {
            if let Some(existing) = lookalike(conn, &email, &skeleton)? {
                return Ok(Some(existing));
            }
            upsert_identity(conn, &email, &skeleton, now)?;
            Ok(None)
        })
        .await
    }

    /// Signs one device out: its token no longer works.
    pub async fn revoke(&self, email: &str, device: &str) -> Result<(), ClaimError> {
        let (email, device) = (email.to_owned(), device.to_owned());
        self.run(move |conn| {
            conn.execute(
                "DELETE FROM claim_devices WHERE email = ?1 AND device = ?2",
                params![email, device],
            )
            .map(drop)
        })
        .await
    }

    /// Signs every device of `email` but `keep` out; returns how many.
    pub async fn revoke_others(&self, email: &str, keep: &str) -> Result<usize, ClaimError> {
        let (email, keep) = (email.to_owned(), keep.to_owned());
        self.run(move |conn| {
            conn.execute(
                "DELETE FROM claim_devices WHERE email = ?1 AND device <> ?2",
                params![email, keep],
            )
        })
        .await
    }

    /// Releases a claim (the operator's command): every device of `email` is signed out
    /// and the email is free for the next to register. Returns the devices removed.
    pub async fn release(&self, email: &str) -> Result<usize, ClaimError> {
        let email = email.to_owned();
        self.run(move |conn| conn.execute("DELETE FROM claim_devices WHERE email = ?1", [email]))
            .await
    }

    /// The devices of `email`, as `(device, last used ms)`, most recent first.
    pub async fn devices(&self, email: &str) -> Result<Vec<(DeviceId, u64)>, ClaimError> {
        let email = email.to_owned();
        self.run(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT device, last_used_ms FROM claim_devices WHERE email = ?1
                 ORDER BY last_used_ms DESC",
            )?;
            let rows = stmt.query_map([email], |row| {
                Ok((
                    row.get(0)?,
                    u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
                ))
            })?;
            rows.collect()
        })
        .await
    }

    /// Forgets devices past their life and emails not seen since `seen_cutoff_ms`.
    /// Returns how many rows went.
    pub async fn purge(&self, now_ms: u64, seen_cutoff_ms: u64) -> Result<usize, ClaimError> {
        let (cutoff, seen) = (self.cutoff(now_ms), ms(seen_cutoff_ms));
        self.run(move |conn| {
            let devices = conn.execute(
                "DELETE FROM claim_devices WHERE last_used_ms <= ?1",
                [cutoff],
            )?;
            let identities = conn.execute(
                "DELETE FROM identities WHERE last_seen_ms < ?1
                 AND email NOT IN (SELECT email FROM claim_devices)",
                [seen],
            )?;
            Ok(devices + identities)
        })
        .await
    }

    fn cutoff(&self, now_ms: u64) -> i64 {
        ms(now_ms).saturating_sub(self.device_ttl_ms)
    }

    async fn run<T, F>(&self, work: F) -> Result<T, ClaimError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let joined = tokio::task::spawn_blocking(move || {
            // Only ever locked here; a poisoned lock still guards a sound connection.
            let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            work(&mut conn).map_err(|e| ClaimError(e.to_string()))
        })
        .await;
        joined.map_err(|e| ClaimError(format!("task failed: {e}")))?
    }
}

fn live_device_exists(conn: &Connection, email: &str, cutoff: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT 1 FROM claim_devices WHERE email = ?1 AND last_used_ms > ?2 LIMIT 1",
    )?
    .query_row(params![email, cutoff], |_| Ok(()))
    .optional()
    .map(|found| found.is_some())
}

fn lookalike(conn: &Connection, email: &str, skeleton: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT email FROM identities WHERE skeleton = ?1 AND email <> ?2 LIMIT 1")?
        .query_row([skeleton, email], |row| row.get(0))
        .optional()
}

fn insert_device(conn: &Connection, email: &str, device: &str, now: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO claim_devices (email, device, created_ms, last_used_ms)
         VALUES (?1, ?2, ?3, ?3)",
        params![email, device, now],
    )
    .map(drop)
}

fn upsert_identity(
    conn: &Connection,
    email: &str,
    skeleton: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO identities (email, skeleton, last_seen_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT(email) DO UPDATE SET last_seen_ms = excluded.last_seen_ms",
        params![email, skeleton, now],
    )
    .map(drop)
}

/// 96 random bits, base64url: 16 characters.
fn new_device_id() -> Result<DeviceId, ClaimError> {
    let mut bytes = [0u8; 12];
    getrandom::getrandom(&mut bytes).map_err(|e| ClaimError(format!("no random bytes: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn fail(path: &Path, error: &dyn std::fmt::Display) -> ClaimError {
    ClaimError(format!("{}: {error}", path.display()))
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
