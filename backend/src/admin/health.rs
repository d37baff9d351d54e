//! `/readyz`: the users store answers a cheap probe (SQLite: a query; the remote users
//! API: a lookup) within a deadline, and the backplane, when there is one, is linked to
//! Redis.

use crate::backplane::Linked;
use crate::store::WriteBehind;
use std::time::Duration;

/// How long a probe may take before the server counts as not ready.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What `/readyz` checks.
pub struct Readiness {
    pub users: WriteBehind,
    /// The backplane's link to Redis (`--redis`); `None` for a node on its own.
    pub backplane: Option<Linked>,
}

impl Readiness {
    /// `Ok` when every store answered and the backplane is linked; else what failed, for
    /// the operator. A node whose Redis is gone still serves its own clients, but a load
    /// balancer should send new ones to a node that sees the whole cluster.
    pub async fn check(&self) -> Result<(), String> {
        match tokio::time::timeout(PROBE_TIMEOUT, self.users.probe()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(format!("users store: {error}")),
            Err(_) => return Err(format!("users store: no answer within {PROBE_TIMEOUT:?}")),
        }
        match &self.backplane {
            Some(linked) if !linked.is_up() => {
                Err("backplane: not linked to Redis (this node serves its own clients only)".into())
            }
            _ => Ok(()),
        }
    }
}
