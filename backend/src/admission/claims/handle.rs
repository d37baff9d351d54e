//! [`ClaimStore`]: the claims of a deployment, in one of two places: a SQLite file of this
//! node's own (`store.rs`, the default), or PostgreSQL shared by the cluster
//! (`postgres/`). Both answer the same calls with the same rules.

use super::device_links::DeviceLinks;
use super::link_codes::LinkCodes;
use super::model::{ClaimError, Claimed, DeviceId};
use super::postgres::{PgClaims, PgLinkCodes};
use super::store::SqliteClaims;
use crate::store::postgres::Pool;
use std::path::Path;
use std::time::Duration;

/// The claims of one deployment. Cheap to clone.
#[derive(Clone)]
pub enum ClaimStore {
    Sqlite(SqliteClaims),
    Postgres(PgClaims),
}

/// The same call on whichever store holds the claims.
macro_rules! on_store {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            ClaimStore::Sqlite($store) => $call,
            ClaimStore::Postgres($store) => $call,
        }
    };
}

impl ClaimStore {
    /// The claims in the SQLite file at `path` (see [`SqliteClaims::open`]).
    pub fn open(path: &Path, device_ttl: Duration) -> Result<Self, ClaimError> {
        SqliteClaims::open(path, device_ttl).map(ClaimStore::Sqlite)
    }

    /// The claims in PostgreSQL behind `pool`; connects nothing yet.
    pub fn postgres(pool: Pool, device_ttl: Duration) -> Self {
        ClaimStore::Postgres(PgClaims::new(pool, device_ttl))
    }

    /// Whether every node reads and writes these claims (PostgreSQL), not only this one.
    pub fn is_shared(&self) -> bool {
        matches!(self, ClaimStore::Postgres(_))
    }

    /// The link codes that go with these claims.
    pub fn links(&self) -> DeviceLinks {
        match self {
            ClaimStore::Sqlite(_) => DeviceLinks::Memory(LinkCodes::default()),
            ClaimStore::Postgres(claims) => DeviceLinks::Postgres(PgLinkCodes::new(claims.clone())),
        }
    }

    /// Whether a live device holds `email`.
    pub async fn is_claimed(&self, email: &str, now_ms: u64) -> Result<bool, ClaimError> {
        on_store!(self, s => s.is_claimed(email, now_ms).await)
    }

    /// Whether `device` is a live device of `email` (marked used now if it is).
    pub async fn touch_device(
        &self,
        email: &str,
        device: &str,
        now_ms: u64,
    ) -> Result<bool, ClaimError> {
        on_store!(self, s => s.touch_device(email, device, now_ms).await)
    }

    /// Claims `email` for a new device if no live device holds it and no other known
    /// email has its `skeleton`.
    pub async fn claim(
        &self,
        email: &str,
        skeleton: &str,
        now_ms: u64,
    ) -> Result<Claimed, ClaimError> {
        on_store!(self, s => s.claim(email, skeleton, now_ms).await)
    }

    /// Adds a device to `email` (the holder of a link code from one of its devices).
    pub async fn add_device(
        &self,
        email: &str,
        skeleton: &str,
        now_ms: u64,
    ) -> Result<DeviceId, ClaimError> {
        on_store!(self, s => s.add_device(email, skeleton, now_ms).await)
    }

    /// Notes a seed client's `email`, unless another known email has its skeleton (then
    /// returned).
    pub async fn note_identity(
        &self,
        email: &str,
        skeleton: &str,
        now_ms: u64,
    ) -> Result<Option<String>, ClaimError> {
        on_store!(self, s => s.note_identity(email, skeleton, now_ms).await)
    }

    /// Signs one device out: its token no longer works.
    pub async fn revoke(&self, email: &str, device: &str) -> Result<(), ClaimError> {
        on_store!(self, s => s.revoke(email, device).await)
    }

    /// Signs every device of `email` but `keep` out; returns how many.
    pub async fn revoke_others(&self, email: &str, keep: &str) -> Result<usize, ClaimError> {
        on_store!(self, s => s.revoke_others(email, keep).await)
    }

    /// Releases a claim (the operator's command); returns the devices removed.
    pub async fn release(&self, email: &str) -> Result<usize, ClaimError> {
        on_store!(self, s => s.release(email).await)
    }

    /// The devices of `email`, as `(device, last used ms)`, most recent first.
    pub async fn devices(&self, email: &str) -> Result<Vec<(DeviceId, u64)>, ClaimError> {
        on_store!(self, s => s.devices(email).await)
    }

    /// Forgets what lapsed; returns how many rows went.
    pub async fn purge(&self, now_ms: u64, seen_cutoff_ms: u64) -> Result<usize, ClaimError> {
        on_store!(self, s => s.purge(now_ms, seen_cutoff_ms).await)
    }

    /// Writes what is kept in memory (SQLite only); true once nothing is left there.
    pub async fn flush(&self) -> bool {
        match self {
            ClaimStore::Sqlite(claims) => claims.flush().await,
            ClaimStore::Postgres(claims) => claims.flush(),
        }
    }
}
