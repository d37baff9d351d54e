//! [`DeviceLinks`]: the link codes where the claims are: in memory beside a SQLite file
//! (one node), in PostgreSQL beside its claims (any node redeems a code made on another).

use super::link_codes::LinkCodes;
use super::model::ClaimError;
use super::postgres::PgLinkCodes;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

pub enum DeviceLinks {
    Memory(LinkCodes),
    Postgres(PgLinkCodes),
}

impl DeviceLinks {
    /// A fresh code for `email`, good for five minutes and one use; `None` only if the
    /// system has no random bytes.
    pub async fn create(&self, email: &str) -> Result<Option<String>, ClaimError> {
        match self {
            DeviceLinks::Memory(codes) => Ok(codes.create(email, Instant::now())),
            DeviceLinks::Postgres(codes) => codes.create(email, wall_ms()).await,
        }
    }

    /// Uses up `typed` if it is a live code for `email`: true once, then never again.
    pub async fn redeem(&self, typed: &str, email: &str) -> Result<bool, ClaimError> {
        match self {
            DeviceLinks::Memory(codes) => Ok(codes.redeem(typed, email, Instant::now())),
            DeviceLinks::Postgres(codes) => codes.redeem(typed, email, wall_ms()).await,
        }
    }
}

fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
