//! Claiming emails: the first device of a free email (or its lookalike refused), a
//! further device from a link code, and the identities of seed clients noted for the
//! lookalike checks. Each is one savepoint on the claims thread, kept in memory when the
//! file cannot take it yet.

use super::model::{ClaimError, Claimed, DeviceId};
use super::sql::{
    insert_device, live_device_exists, lookalike, ms, new_device_id, upsert_identity,
};
use super::store::SqliteClaims;
use crate::store::statements::in_savepoint;

impl SqliteClaims {
    /// Claims `email` for a new device if no live device holds it and no other known
    /// email has its `skeleton`; one savepoint on the one claims thread, so two claimants
    /// cannot both win. When
    /// the file cannot take it, the claim is checked against what the file and memory
    /// hold and kept in memory until it can.
    pub async fn claim(
        &self,
        email: &str,
        skeleton: &str,
        now_ms: u64,
    ) -> Result<Claimed, ClaimError> {
        let (cutoff, now) = (self.cutoff(now_ms), ms(now_ms));
        if self.deferred.holds(email, cutoff) {
            return Ok(Claimed::Taken);
        }
        if let Some(existing) = self.deferred.lookalike(email, skeleton) {
            return Ok(Claimed::Confusable { existing });
        }
        let device = new_device_id()?;
        let (owned_email, owned_skeleton, owned_device) =
            (email.to_owned(), skeleton.to_owned(), device.clone());
        let claimed = self
            .write(move |conn| {
                in_savepoint(conn, |tx| {
                    if live_device_exists(tx, &owned_email, cutoff)? {
                        return Ok(Claimed::Taken);
                    }
                    if let Some(existing) = lookalike(tx, &owned_email, &owned_skeleton)? {
                        return Ok(Claimed::Confusable { existing });
                    }
                    insert_device(tx, &owned_email, &owned_device, now)?;
                    upsert_identity(tx, &owned_email, &owned_skeleton, now)?;
                    Ok(Claimed::New(owned_device))
                })
            })
            .await;
        match claimed {
            Ok(claimed) => Ok(claimed),
            Err(error) => {
                self.claim_deferred(email, skeleton, device, now, error)
                    .await
            }
        }
    }

    /// A claim of a new `device` the file refused with `error`: checked against what the
    /// file can still be read for and what memory holds, then kept in memory.
    async fn claim_deferred(
        &self,
        email: &str,
        skeleton: &str,
        device: DeviceId,
        now: i64,
        error: ClaimError,
    ) -> Result<Claimed, ClaimError> {
        let (owned_email, owned_skeleton, cutoff) =
            (email.to_owned(), skeleton.to_owned(), self.cutoff_at(now));
        let known = self
            .read(move |conn| {
                if live_device_exists(conn, &owned_email, cutoff)? {
                    return Ok(Some(Claimed::Taken));
                }
                let existing = lookalike(conn, &owned_email, &owned_skeleton)?;
                Ok(existing.map(|existing| Claimed::Confusable { existing }))
            })
            .await?;
        if let Some(known) = known {
            return Ok(known);
        }
        if !self.deferred.add_device(email, &device, skeleton, now) {
            return Err(error);
        }
        log::warn!(
            "claims: the file is unavailable ({error}); the claim of {email} is kept in memory"
        );
        Ok(Claimed::New(device))
    }

    /// Adds a device to `email` (the holder of a link code from one of its devices).
    pub async fn add_device(
        &self,
        email: &str,
        skeleton: &str,
        now_ms: u64,
    ) -> Result<DeviceId, ClaimError> {
        let now = ms(now_ms);
        let device = new_device_id()?;
        let (owned_email, owned_skeleton, owned_device) =
            (email.to_owned(), skeleton.to_owned(), device.clone());
        let added = self
            .write(move |conn| {
                in_savepoint(conn, |tx| {
                    insert_device(tx, &owned_email, &owned_device, now)?;
                    upsert_identity(tx, &owned_email, &owned_skeleton, now)
                })
            })
            .await;
        match added {
            Ok(()) => Ok(device),
            Err(_) if self.deferred.add_device(email, &device, skeleton, now) => Ok(device),
            Err(error) => Err(error),
        }
    }

    /// Records that `email` (unclaimed, a seed client's) was used now, unless another
    /// known email has its skeleton: then that email is returned and nothing is recorded.
    pub async fn note_identity(
        &self,
        email: &str,
        skeleton: &str,
        now_ms: u64,
    ) -> Result<Option<String>, ClaimError> {
        if let Some(existing) = self.deferred.lookalike(email, skeleton) {
            return Ok(Some(existing));
        }
        let (owned_email, owned_skeleton) = (email.to_owned(), skeleton.to_owned());
        let existing = self
            .read(move |conn| lookalike(conn, &owned_email, &owned_skeleton))
            .await?;
        if existing.is_some() {
            return Ok(existing);
        }
        let now = ms(now_ms);
        let (owned_email, owned_skeleton) = (email.to_owned(), skeleton.to_owned());
        let noted = self
            .write(move |conn| upsert_identity(conn, &owned_email, &owned_skeleton, now))
            .await;
        if noted.is_err() {
            self.deferred.add_identity(email, skeleton, now);
        }
        Ok(None)
    }
}
