//! The flags of the TURN servers calls are relayed through, into a [`TurnConfig`].

use super::secret_file::read_secret_file;
use crate::admission::{DEFAULT_TURN_TTL, Secret, TurnConfig, TurnError};
use std::path::PathBuf;
use std::time::Duration;

/// The TURN servers and the secret shared with them (coturn's `static-auth-secret`).
#[derive(Debug, clap::Args)]
pub struct TurnArgs {
    /// TURN URLs, comma-separated (`turn:host:3478?transport=udp`,
    /// `turns:host:443?transport=tcp`): each delta client's welcome lists them with
    /// short-lived credentials of its own. No TURN by default (calls connect directly).
    #[arg(long, env = "MEETMAP_TURN_URLS", value_delimiter = ',')]
    pub turn_urls: Vec<String>,
    /// The secret shared with the TURN server (coturn's static-auth-secret). Prefer
    /// --turn-secret-file: a flag is visible in `ps`.
    #[arg(long, env = "MEETMAP_TURN_SECRET", hide_env_values = true)]
    pub turn_secret: Option<Secret>,
    /// File holding the TURN secret (one line; a trailing newline is dropped), read once
    /// at start.
    #[arg(long, env = "MEETMAP_TURN_SECRET_FILE", conflicts_with = "turn_secret")]
    pub turn_secret_file: Option<PathBuf>,
    /// Seconds TURN credentials are good for; each connection gets fresh ones after four
    /// fifths of it.
    #[arg(long, env = "MEETMAP_TURN_TTL_SECS", default_value_t = DEFAULT_TURN_TTL.as_secs())]
    pub turn_ttl_secs: u64,
}

impl TurnArgs {
    /// The TURN settings, `None` without TURN; the secret's file is read here. A secret
    /// without URLs, or URLs without a secret, is refused.
    pub fn config(&self) -> Result<Option<TurnConfig>, TurnError> {
        let urls: Vec<String> = (self.turn_urls.iter())
            .map(|url| url.trim().to_owned())
            .filter(|url| !url.is_empty())
            .collect();
        let secret = match (&self.turn_secret_file, &self.turn_secret) {
            (Some(path), _) => Some(
                read_secret_file(path).map_err(|error| TurnError::Unreadable(error.to_string()))?,
            ),
            (None, secret) => secret.clone(),
        };
        let ttl = Duration::from_secs(self.turn_ttl_secs);
        match (secret, urls.is_empty()) {
            (None, true) => Ok(None),
            (None, false) => Err(TurnError::Incomplete("--turn-secret-file")),
            (Some(secret), _) => TurnConfig::new(secret, urls, ttl).map(Some),
        }
    }
}
