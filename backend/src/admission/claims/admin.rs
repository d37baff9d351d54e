//! What a user's other devices and the operator do to claims: signing the other devices
//! out, releasing an email, listing its devices, and the purge of what lapsed.

use super::model::{ClaimError, DeviceId};
use super::sql::ms;
use super::store::SqliteClaims;
use rusqlite::params;

impl SqliteClaims {
    /// Signs every device of `email` but `keep` out; returns how many.
    pub async fn revoke_others(&self, email: &str, keep: &str) -> Result<usize, ClaimError> {
        let in_memory = self.deferred.remove_devices(email, |id| id != keep);
        let (email, keep) = (email.to_owned(), keep.to_owned());
        let revoked = self
            .run(move |conn| {
                conn.execute(
                    "DELETE FROM claim_devices WHERE email = ?1 AND device <> ?2",
                    params![email, keep],
                )
            })
            .await?;
        Ok(revoked + in_memory)
    }

    /// Releases a claim (the operator's command): every device of `email` is signed out
    /// and the email is free for the next to register. Returns the devices removed.
    pub async fn release(&self, email: &str) -> Result<usize, ClaimError> {
        let in_memory = self.deferred.remove_devices(email, |_| true);
        let email = email.to_owned();
        let released = self
            .run(move |conn| conn.execute("DELETE FROM claim_devices WHERE email = ?1", [email]))
            .await?;
        Ok(released + in_memory)
    }

    /// The devices of `email`, as `(device, last used ms)`, most recent first.
    pub async fn devices(&self, email: &str) -> Result<Vec<(DeviceId, u64)>, ClaimError> {
        let deferred = self.deferred.devices_of(email);
        let email = email.to_owned();
        let mut devices: Vec<(DeviceId, u64)> = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT device, last_used_ms FROM claim_devices WHERE email = ?1",
                )?;
                let rows = stmt.query_map([email], |row| Ok((row.get(0)?, row.get(1)?)))?;
                rows.collect::<rusqlite::Result<Vec<(DeviceId, i64)>>>()
            })
            .await?
            .into_iter()
            .chain(deferred)
            .map(|(device, used)| (device, u64::try_from(used).unwrap_or(0)))
            .collect();
        devices.sort_by_key(|(_, used)| std::cmp::Reverse(*used));
        Ok(devices)
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
}
