//! Link codes in PostgreSQL, so that a code made on one node is redeemed on any: each
//! kept as its SHA-256 with its email and expiry, used up by one `DELETE … RETURNING`
//! (whichever node runs it first wins; a second redeem finds nothing).

use super::store::{PgClaims, failed};
use crate::admission::claims::link_codes::{
    CODES_PER_EMAIL, LINK_CODE_TTL, canonical, random_code,
};
use crate::admission::claims::model::ClaimError;
use crate::admission::claims::sql::ms;
use sha2::{Digest, Sha256};

/// A new code for `$1` (hashed `$2`, expiring at `$5`); the email's expired codes go, and
/// its oldest live ones past the newest `$4`.
const CREATE: &str = "
    WITH expired AS (
        DELETE FROM link_codes WHERE email = $1 AND expires_ms <= $3
    ), oldest AS (
        DELETE FROM link_codes WHERE code_hash IN (
            SELECT code_hash FROM link_codes WHERE email = $1 AND expires_ms > $3
            ORDER BY expires_ms DESC OFFSET $4)
    )
    INSERT INTO link_codes (code_hash, email, expires_ms) VALUES ($2, $1, $5)";

const REDEEM: &str = "
    DELETE FROM link_codes WHERE code_hash = $1 AND email = $2 AND expires_ms > $3
    RETURNING 1";

/// The link codes of a cluster.
#[derive(Clone)]
pub struct PgLinkCodes {
    claims: PgClaims,
}

impl PgLinkCodes {
    pub fn new(claims: PgClaims) -> Self {
        Self { claims }
    }

    /// A fresh code for `email`, good for [`LINK_CODE_TTL`] and one use on any node;
    /// `None` only if the system has no random bytes.
    pub async fn create(&self, email: &str, now_ms: u64) -> Result<Option<String>, ClaimError> {
        let Some(code) = random_code() else {
            return Ok(None);
        };
        let ttl = i64::try_from(LINK_CODE_TTL.as_millis()).unwrap_or(i64::MAX);
        let (now, keep) = (ms(now_ms), i64::try_from(CODES_PER_EMAIL - 1).unwrap_or(0));
        let hash = hashed(&code);
        let conn = self.claims.conn().await?;
        let create = conn.prepare_cached(CREATE).await.map_err(failed)?;
        conn.execute(
            &create,
            &[&email, &hash, &now, &keep, &now.saturating_add(ttl)],
        )
        .await
        .map_err(failed)?;
        Ok(Some(code))
    }

    /// Uses up `typed` if it is a live code for `email`: true once, on whichever node.
    pub async fn redeem(&self, typed: &str, email: &str, now_ms: u64) -> Result<bool, ClaimError> {
        let Some(code) = canonical(typed) else {
            return Ok(false);
        };
        let conn = self.claims.conn().await?;
        let redeem = conn.prepare_cached(REDEEM).await.map_err(failed)?;
        let used = conn
            .query_opt(&redeem, &[&hashed(&code), &email, &ms(now_ms)])
            .await
            .map_err(failed)?;
        Ok(used.is_some())
    }
}

/// The stored form of a code: its SHA-256, so the table holds no usable code.
fn hashed(code: &str) -> Vec<u8> {
    Sha256::digest(code.as_bytes()).to_vec()
}
