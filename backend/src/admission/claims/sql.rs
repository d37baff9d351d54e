//! The claims' SQL: the schema, and the statements the store runs inside its blocking
//! tasks, each on a connection (or transaction) it is handed.

use super::deferred::{Deferred, Pending};
use super::model::{ClaimError, DeviceId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// How long a claim query waits for a lock held by another writer before it fails.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Writes the deferred claims in one transaction, without waiting for a lock; on failure
/// they stay for next time.
pub(super) fn write_deferred(conn: &mut Connection, deferred: &Deferred) {
    let pending = deferred.snapshot();
    let mut outcome = Ok(());
    without_waiting(conn, |conn| {
        outcome = write_pending(conn, &pending);
        outcome.is_ok()
    });
    match outcome {
        Ok(()) => {
            deferred.written(&pending);
            log::info!("claims: the file took the claims kept in memory");
        }
        Err(error) => log::debug!("claims: the file still refuses writes: {error}"),
    }
}

/// Runs `work` with no busy timeout (a locked file fails at once), then restores it.
pub(super) fn without_waiting(
    conn: &mut Connection,
    work: impl FnOnce(&mut Connection) -> bool,
) -> bool {
    let _ = conn.busy_timeout(Duration::ZERO);
    let done = work(conn);
    let _ = conn.busy_timeout(BUSY_TIMEOUT);
    done
}

pub(super) fn write_pending(conn: &mut Connection, pending: &Pending) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for ((email, device), made) in &pending.devices {
        insert_device(&tx, email, device, *made)?;
    }
    for (email, (skeleton, seen)) in &pending.identities {
        upsert_identity(&tx, email, skeleton, *seen)?;
    }
    tx.commit()
}

pub(super) fn last_used(
    conn: &Connection,
    email: &str,
    device: &str,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT last_used_ms FROM claim_devices WHERE email = ?1 AND device = ?2")?
        .query_row(params![email, device], |row| row.get(0))
        .optional()
}

pub(super) fn live_device_exists(
    conn: &Connection,
    email: &str,
    cutoff: i64,
) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT 1 FROM claim_devices WHERE email = ?1 AND last_used_ms > ?2 LIMIT 1",
    )?
    .query_row(params![email, cutoff], |_| Ok(()))
    .optional()
    .map(|found| found.is_some())
}

pub(super) fn lookalike(
    conn: &Connection,
    email: &str,
    skeleton: &str,
) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT email FROM identities WHERE skeleton = ?1 AND email <> ?2 LIMIT 1")?
        .query_row([skeleton, email], |row| row.get(0))
        .optional()
}

pub(super) fn insert_device(
    conn: &Connection,
    email: &str,
    device: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO claim_devices (email, device, created_ms, last_used_ms)
         VALUES (?1, ?2, ?3, ?3)",
    )?
    .execute(params![email, device, now])
    .map(drop)
}

pub(super) fn upsert_identity(
    conn: &Connection,
    email: &str,
    skeleton: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO identities (email, skeleton, last_seen_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT(email) DO UPDATE SET last_seen_ms = excluded.last_seen_ms",
    )?
    .execute(params![email, skeleton, now])
    .map(drop)
}

/// 96 random bits, base64url: 16 characters.
pub(super) fn new_device_id() -> Result<DeviceId, ClaimError> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| ClaimError(format!("no random bytes: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

pub(super) fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(super) fn fail(path: &Path, error: &dyn std::fmt::Display) -> ClaimError {
    ClaimError(format!("{}: {error}", path.display()))
}
