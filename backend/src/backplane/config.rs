//! The backplane's settings: where Redis is, this backend's node id, and the lease and
//! reconnect timings (each default written once, here).

use redis::IntoConnectionInfo;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a node's lease lives in Redis unless renewed: a node killed is judged gone
/// this long after its last renewal (plus one watch interval).
pub const LEASE_TTL: Duration = Duration::from_millis(3000);
/// How often a node renews its lease.
pub const LEASE_RENEWAL: Duration = Duration::from_secs(1);
/// How often a node looks at the others' leases.
pub const LEASE_WATCH: Duration = Duration::from_millis(250);
/// The first wait before connecting to Redis again, doubled up to [`RECONNECT_MAX`].
pub const RECONNECT_MIN: Duration = Duration::from_millis(100);
pub const RECONNECT_MAX: Duration = Duration::from_secs(5);
/// The longest a Redis command may take before it counts as failed.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);
/// Messages queued from the hub to the backplane, and from the backplane to the hub.
pub const QUEUE_FRAMES: usize = 4096;
/// The most member changes kept from failed writes for the next tick's; past it the
/// node's presence is sent whole instead (about as big as so many changes, and bounded).
pub const PENDING_MAX: usize = 8192;
/// How often kept changes are written again when no tick brings more.
pub const PENDING_RETRY: Duration = Duration::from_millis(500);

/// The backplane's settings.
#[derive(Debug, Clone)]
pub struct BackplaneConfig {
    pub url: RedisUrl,
    pub node: NodeId,
    pub lease_ttl: Duration,
    pub lease_renewal: Duration,
    pub lease_watch: Duration,
    /// Whether the backplane is linked to Redis now, set by its task (for `/readyz`).
    pub linked: Linked,
}

/// Whether a backplane is linked to Redis (subscribed, its lease renewed) at this moment:
/// its task sets it, whoever holds a copy reads it.
#[derive(Debug, Clone, Default)]
pub struct Linked(Arc<AtomicBool>);

impl Linked {
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    pub(super) fn set(&self, up: bool) {
        self.0.store(up, Ordering::Relaxed);
    }
}

impl BackplaneConfig {
    pub fn new(url: RedisUrl, node: NodeId) -> Self {
        Self {
            url,
            node,
            lease_ttl: LEASE_TTL,
            lease_renewal: LEASE_RENEWAL,
            lease_watch: LEASE_WATCH,
            linked: Linked::default(),
        }
    }
}

/// A Redis URL; shown (`Debug`, `Display`, logs, `--print-config`) without its password.
#[derive(Clone)]
pub struct RedisUrl(String);

impl RedisUrl {
    /// A URL the redis client can connect to, refused at start rather than at first use.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.into_connection_info() {
            Ok(_) => Ok(Self(raw.to_owned())),
            Err(error) => Err(format!("not a Redis URL: {error}")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `scheme://user:password@host`: everything between the scheme and `@` is hidden.
        match (self.0.split_once("://"), self.0.rfind('@')) {
            (Some((scheme, _)), Some(at)) => write!(f, "{scheme}://***{}", &self.0[at..]),
            _ => f.write_str(&self.0),
        }
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({self})")
    }
}

/// The longest node id.
pub const NODE_ID_MAX_CHARS: usize = 64;

/// A backend's name among those on one Redis (`--node-id`): letters, digits, `-`, `_`, `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(Arc<str>);

impl NodeId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if raw.is_empty() || raw.len() > NODE_ID_MAX_CHARS || !raw.chars().all(allowed) {
            return Err(format!(
                "a node id is 1 to {NODE_ID_MAX_CHARS} letters, digits, '-', '_' or '.'"
            ));
        }
        Ok(Self(Arc::from(raw)))
    }

    /// A fresh id for this start (the default): `node-` and 12 random hex digits.
    pub fn random() -> Self {
        Self(Arc::from(format!("node-{:012x}", fastrand::u64(..) >> 16)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
