//! `/readyz`: the users store answers a cheap probe (SQLite: a query; the remote users
//! API: a lookup), within a deadline.

use crate::store::WriteBehind;
use std::time::Duration;

/// How long a probe may take before the server counts as not ready.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The stores `/readyz` probes.
pub struct Readiness {
    pub users: WriteBehind,
}

impl Readiness {
    /// `Ok` when every store answered; else what failed, for the operator.
    pub async fn check(&self) -> Result<(), String> {
        match tokio::time::timeout(PROBE_TIMEOUT, self.users.probe()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(format!("users store: {error}")),
            Err(_) => Err(format!("users store: no answer within {PROBE_TIMEOUT:?}")),
        }
    }
}
