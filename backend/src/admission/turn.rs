//! TURN credentials of the TURN REST API (draft-uberti-behave-turn-rest-00), the scheme
//! coturn checks with `use-auth-secret`: the username is `expiry:id` (Unix seconds, an
//! opaque random id), the password base64(HMAC-SHA1(shared secret, username)). Each
//! registered delta connection gets its own in its `welcome`, and fresh ones in an
//! `ice-servers` frame after [`TurnConfig::renew_after`]. See `docs/SECURITY.md` ("TURN").

use super::session::Secret;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use shared::IceServer;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long credentials are good for unless configured: a day, as the draft suggests;
/// they are renewed well before.
pub const DEFAULT_TURN_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Characters of the random id in a username: no user's email nor connection number in
/// the TURN server's logs (the password, not the id, is what proves the credentials).
const ID_CHARS: usize = 12;

/// The TURN servers and the secret shared with them.
#[derive(Clone)]
pub struct TurnConfig {
    secret: Secret,
    urls: Vec<String>,
    ttl: Duration,
}

/// Why a TURN setting was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnError {
    /// A secret, but no URLs (or the other way round).
    Incomplete(&'static str),
    EmptySecret,
    /// This URL is not a `turn:` or `turns:` one.
    NotTurn(String),
    ZeroTtl,
    /// The secret's file could not be read.
    Unreadable(String),
}

impl fmt::Display for TurnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Incomplete(missing) => write!(f, "TURN needs {missing} as well"),
            Self::EmptySecret => f.write_str("the TURN secret is empty"),
            Self::NotTurn(url) => write!(f, "{url:?} is not a turn: or turns: URL"),
            Self::ZeroTtl => f.write_str("TURN credentials need a lifetime of at least 1 s"),
            Self::Unreadable(error) => write!(f, "cannot read the TURN secret: {error}"),
        }
    }
}

impl std::error::Error for TurnError {}

impl TurnConfig {
    /// The servers at `urls` (`turn:host:port?transport=udp`, `turns:...`), sharing
    /// `secret`, handing out credentials good for `ttl`.
    pub fn new(secret: Secret, urls: Vec<String>, ttl: Duration) -> Result<Self, TurnError> {
        if secret.as_bytes().is_empty() {
            return Err(TurnError::EmptySecret);
        }
        if urls.is_empty() {
            return Err(TurnError::Incomplete("--turn-urls"));
        }
        if let Some(url) = urls.iter().find(|url| !is_turn_url(url)) {
            return Err(TurnError::NotTurn(url.clone()));
        }
        if ttl.as_secs() == 0 {
            return Err(TurnError::ZeroTtl);
        }
        Ok(Self { secret, urls, ttl })
    }

    /// Credentials good from `now` for the TTL, with a fresh id.
    pub fn issue_at(&self, now: SystemTime) -> IceServer {
        let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        let expiry = since_epoch.saturating_add(self.ttl).as_secs();
        let id: String = std::iter::repeat_with(fastrand::alphanumeric)
            .take(ID_CHARS)
            .collect();
        let username = format!("{expiry}:{id}");
        IceServer {
            urls: self.urls.clone(),
            credential: self.password(&username),
            username,
        }
    }

    /// Credentials good from now on.
    pub fn issue(&self) -> IceServer {
        self.issue_at(SystemTime::now())
    }

    /// When a connection's credentials are renewed: after four fifths of their life, so
    /// that a call set up late still has a fifth of it.
    pub fn renew_after(&self) -> Duration {
        self.ttl.mul_f64(0.8)
    }

    /// base64(HMAC-SHA1(secret, username)), coturn's check of a REST API username.
    fn password(&self, username: &str) -> String {
        // HMAC takes a key of any length: the error cannot happen.
        let mac = Hmac::<Sha1>::new_from_slice(self.secret.as_bytes());
        mac.map(|mut mac| {
            mac.update(username.as_bytes());
            STANDARD.encode(mac.finalize().into_bytes())
        })
        .unwrap_or_default()
    }
}

/// The secret is left out: `--print-config` and logs show the rest.
impl fmt::Debug for TurnConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnConfig")
            .field("secret", &self.secret)
            .field("urls", &self.urls)
            .field("ttl", &self.ttl)
            .finish()
    }
}

fn is_turn_url(url: &str) -> bool {
    (url.starts_with("turn:") || url.starts_with("turns:")) && !url.contains(char::is_whitespace)
}

#[cfg(test)]
#[path = "turn_tests.rs"]
mod tests;
