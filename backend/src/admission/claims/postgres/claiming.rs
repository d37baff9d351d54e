//! Claiming emails in PostgreSQL: the first device of a free email (or its lookalike
//! refused), a further device from a link code, and the identities of seed clients. A
//! claim (one call of the `meetmap_claim` function, one round trip) and a seed client's
//! identity each run in one transaction holding the skeleton's advisory lock, so that of
//! two nodes claiming an email (or two lookalikes) at once, one wins.

use super::schema::{ADD_DEVICE, CLAIM, LOCK_SKELETON, NOTE_IDENTITY};
use super::store::{PgClaims, failed};
use crate::admission::claims::model::{ClaimError, Claimed, DeviceId};
use crate::admission::claims::sql::{ms, new_device_id};

impl PgClaims {
    /// Claims `email` for a new device if no live device holds it and no other known
    /// email has its `skeleton`.
    pub async fn claim(
        &self,
        email: &str,
        skeleton: &str,
        now_ms: u64,
    ) -> Result<Claimed, ClaimError> {
        let (cutoff, now) = (self.cutoff(now_ms), ms(now_ms));
        let device = new_device_id()?;
        let conn = self.conn().await?;
        let claim = conn.prepare_cached(CLAIM).await.map_err(failed)?;
        let row = conn
            .query_one(&claim, &[&email, &skeleton, &device, &now, &cutoff])
            .await
            .map_err(failed)?;
        let outcome: String = row.try_get(0).map_err(failed)?;
        match outcome.as_str() {
            "new" => Ok(Claimed::New(device)),
            "taken" => Ok(Claimed::Taken),
            _ => match row.try_get::<_, Option<String>>(1).map_err(failed)? {
                Some(existing) => Ok(Claimed::Confusable { existing }),
                None => Err(ClaimError(format!("postgres: a claim answered {outcome}"))),
            },
        }
    }

    /// Adds a device to `email` (the holder of a link code from one of its devices).
    pub async fn add_device(
        &self,
        email: &str,
        skeleton: &str,
        now_ms: u64,
    ) -> Result<DeviceId, ClaimError> {
        let (device, now) = (new_device_id()?, ms(now_ms));
        let conn = self.conn().await?;
        let add = conn.prepare_cached(ADD_DEVICE).await.map_err(failed)?;
        conn.execute(&add, &[&email, &device, &skeleton, &now])
            .await
            .map_err(failed)?;
        Ok(device)
    }

    /// Records that `email` (unclaimed, a seed client's) was used now, unless another
    /// known email has its skeleton: then that email is returned and nothing is recorded.
    pub async fn note_identity(
        &self,
        email: &str,
        skeleton: &str,
        now_ms: u64,
    ) -> Result<Option<String>, ClaimError> {
        let now = ms(now_ms);
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await.map_err(failed)?;
        let lock = tx.prepare_cached(LOCK_SKELETON).await.map_err(failed)?;
        tx.execute(&lock, &[&skeleton]).await.map_err(failed)?;
        let existing = tx
            .query_opt(
                "SELECT email FROM identities WHERE skeleton = $1 AND email <> $2 LIMIT 1",
                &[&skeleton, &email],
            )
            .await
            .map_err(failed)?;
        if let Some(row) = existing {
            return Ok(Some(row.try_get(0).map_err(failed)?));
        }
        let note = tx.prepare_cached(NOTE_IDENTITY).await.map_err(failed)?;
        tx.execute(&note, &[&email, &skeleton, &now])
            .await
            .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
        Ok(None)
    }
}
