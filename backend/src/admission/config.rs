//! Admission's settings: the caps, the Origin allow-list, the trusted proxies, and the
//! rules of registering (access code, session tokens, shared emails).

use super::origin::MissingOrigin;
use super::session::{Secret, SessionKey};
use super::turn::TurnConfig;
use std::net::IpAddr;
use std::time::Duration;

/// The frontend's own origins on its default port: the default allow-list.
pub const DEFAULT_ALLOWED_ORIGINS: &str = "http://127.0.0.1:3000,http://localhost:3000";

/// Connections open at once unless configured.
pub const DEFAULT_MAX_CONNECTIONS: usize = 20_000;

/// Connections open at once from one network unless configured.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 200;

/// How long a token is good for unless configured, and how long a device left unused
/// keeps its claim on an email (each registration renews both).
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Who may connect, and who may register as whom.
#[derive(Debug, Clone)]
pub struct AdmissionConfig {
    /// Origins whose pages may connect (`scheme://host[:port]`), `*` for any: a page of
    /// another site must not open a socket with its visitors' cookies (cross-site
    /// WebSocket hijacking). Others get `403` at the handshake.
    pub allowed_origins: Vec<String>,
    /// Requests without `Origin`: not from a browser page, so not a hijacking.
    pub missing_origin: MissingOrigin,
    /// Connections open at once, handshakes included; past it `503`. 0 is no cap.
    pub max_connections: usize,
    /// Connections open at once from one IP address; past it `503`. 0 is no cap.
    pub max_connections_per_ip: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client: a connection from one of
    /// them counts, for the delays after failed sign-ins and the per-address cap, as the
    /// client it names.
    pub trusted_proxies: Vec<IpAddr>,
    /// The deployment's access code: registering needs it when set.
    pub access_code: Option<Secret>,
    /// Signs session tokens; a random one per run unless configured (see `session`).
    pub session_key: SessionKey,
    /// How long a session token is good for.
    pub session_ttl: Duration,
    /// A connection may register as an email online elsewhere without its session token,
    /// as with the seed (whose clients get no token), and emails are never claimed: for
    /// trusted networks only.
    pub allow_shared_emails: bool,
    /// The TURN servers whose short-lived credentials each delta client's `welcome`
    /// carries; none unless configured (calls then connect directly only).
    pub turn: Option<TurnConfig>,
}

impl Default for AdmissionConfig {
    fn default() -> Self {
        Self {
            allowed_origins: DEFAULT_ALLOWED_ORIGINS
                .split(',')
                .map(str::to_owned)
                .collect(),
            missing_origin: MissingOrigin::Allow,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            trusted_proxies: Vec::new(),
            access_code: None,
            session_key: SessionKey::random(),
            session_ttl: DEFAULT_SESSION_TTL,
            allow_shared_emails: false,
            turn: None,
        }
    }
}
