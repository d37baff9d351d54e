//! [`RemoteConfig`]: where the users API is and how patient to be with it.

use std::time::Duration;

use reqwest::Url;

use super::super::RetryPolicy;

/// Where the users API is and how patient to be with it.
#[derive(Debug, Clone)]
pub struct RemoteConfig {
    /// The base URL of the contract, like the seed's `http://localhost:4000/api/users`.
    pub base: Url,
    /// Time to open a connection to the API.
    pub connect_timeout: Duration,
    /// Time for a whole call, answer included.
    pub request_timeout: Duration,
    /// Backoff between retries of failed writes and of the presence reset at start.
    pub retry: RetryPolicy,
}

/// Time to connect to the API unless configured.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Time for one call to the API unless configured.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

impl RemoteConfig {
    /// The defaults: the default timeouts and backoff.
    pub fn new(base: Url) -> RemoteConfig {
        RemoteConfig {
            base,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
        }
    }
}
