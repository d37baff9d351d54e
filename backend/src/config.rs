//! The server's settings: command-line flags with environment fallbacks, and the plain
//! `ServerConfig` the library runs with (tests build one directly).

use crate::store::RemoteConfig;
use clap::Parser;
use reqwest::Url;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Timings and bounds of a running server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// How often the server pings each client.
    pub ping_interval: Duration,
    /// A client heard from (any frame, pongs included) less recently than this is closed
    /// and shown offline.
    pub idle_timeout: Duration,
    /// Presence changes are batched and sent at most once per interval.
    pub presence_interval: Duration,
    /// Frames waiting for one client; past it the client is closed as too slow.
    pub outbox_capacity: usize,
    /// Largest message and frame a client may send.
    pub max_message_bytes: usize,
    /// Time for a client to complete the WebSocket handshake.
    pub handshake_timeout: Duration,
    /// Time for one write to a client; past it the client is closed as too slow.
    pub send_timeout: Duration,
    /// Time given to connections and the store to finish at shutdown.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(40),
            presence_interval: Duration::from_millis(100),
            outbox_capacity: 1024,
            max_message_bytes: 64 * 1024,
            handshake_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// The backend's command line. Every flag also reads an environment variable.
#[derive(Debug, Parser)]
#[command(
    name = "backend",
    version,
    about = "meetmap WebSocket server: presence, chat and call signaling"
)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, env = "MEETMAP_BACKEND_ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// SQLite file of the embedded users store (created with its folder if missing).
    #[arg(long, env = "MEETMAP_DATABASE", default_value = "data/meetmap.sqlite3")]
    pub database: PathBuf,
    /// Base URL of a remote users API to keep users in instead of SQLite, like
    /// http://localhost:4000/api/users (see docs/USERS-API.md).
    #[arg(long, env = "MEETMAP_USERS_API", value_name = "URL")]
    pub users_api: Option<Url>,
    /// Milliseconds to connect to the users API.
    #[arg(
        long,
        env = "MEETMAP_USERS_API_CONNECT_TIMEOUT_MS",
        default_value_t = 2_000
    )]
    pub users_api_connect_timeout_ms: u64,
    /// Milliseconds for one call to the users API, answer included.
    #[arg(long, env = "MEETMAP_USERS_API_TIMEOUT_MS", default_value_t = 5_000)]
    pub users_api_timeout_ms: u64,
    /// Milliseconds between pings to each client.
    #[arg(long, env = "MEETMAP_PING_INTERVAL_MS", default_value_t = 15_000)]
    pub ping_interval_ms: u64,
    /// Milliseconds of silence (no frame, no pong) after which a client is closed.
    #[arg(long, env = "MEETMAP_IDLE_TIMEOUT_MS", default_value_t = 40_000)]
    pub idle_timeout_ms: u64,
    /// Milliseconds between presence broadcasts (changes are batched in between).
    #[arg(long, env = "MEETMAP_PRESENCE_INTERVAL_MS", default_value_t = 100)]
    pub presence_interval_ms: u64,
    /// Frames queued for one client before it is closed as too slow.
    #[arg(long, env = "MEETMAP_OUTBOX_CAPACITY", default_value_t = 1024)]
    pub outbox_capacity: usize,
    /// Largest message a client may send, in bytes.
    #[arg(long, env = "MEETMAP_MAX_MESSAGE_BYTES", default_value_t = 64 * 1024)]
    pub max_message_bytes: usize,
}

impl Args {
    pub fn server_config(&self) -> ServerConfig {
        ServerConfig {
            ping_interval: Duration::from_millis(self.ping_interval_ms.max(1)),
            idle_timeout: Duration::from_millis(self.idle_timeout_ms.max(1)),
            presence_interval: Duration::from_millis(self.presence_interval_ms.max(1)),
            outbox_capacity: self.outbox_capacity.max(1),
            max_message_bytes: self.max_message_bytes.max(1024),
            ..ServerConfig::default()
        }
    }

    /// The remote users store's settings, when `--users-api` is given.
    pub fn remote_config(&self) -> Option<RemoteConfig> {
        let base = self.users_api.clone()?;
        Some(RemoteConfig {
            connect_timeout: Duration::from_millis(self.users_api_connect_timeout_ms.max(1)),
            request_timeout: Duration::from_millis(self.users_api_timeout_ms.max(1)),
            ..RemoteConfig::new(base)
        })
    }
}
