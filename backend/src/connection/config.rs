//! The connection's settings: its timings, its frame limit and its outbox's bounds.

use std::time::Duration;

/// How a connection is timed and bounded, from its handshake to its close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionConfig {
    /// How often the server pings each client.
    pub ping_interval: Duration,
    /// A client heard from (any frame, pongs included) less recently than this is closed
    /// and shown offline.
    pub idle_timeout: Duration,
    /// Time for a client to complete the WebSocket handshake.
    pub handshake_timeout: Duration,
    /// Time for one write to a client; past it the client is closed as too slow.
    pub send_timeout: Duration,
    /// Time given to connections to close at shutdown.
    pub shutdown_grace: Duration,
    /// A connection that has not registered this long after its handshake is closed
    /// (checked at each ping tick).
    pub register_timeout: Duration,
    /// Largest message and frame a client may send.
    pub max_message_bytes: usize,
    /// Frames waiting for one client; past it the client is closed as too slow.
    pub outbox_capacity: usize,
    /// Bytes queued for one client; past it the client is closed as too slow (1008).
    pub outbox_bytes: usize,
    /// Serves an echo of every message at `/__echo`, for the Autobahn conformance suite;
    /// never set by a flag.
    pub echo_route: bool,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(40),
            handshake_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
            register_timeout: Duration::from_secs(30),
            max_message_bytes: 64 * 1024,
            outbox_capacity: 1024,
            outbox_bytes: 1024 * 1024,
            echo_route: false,
        }
    }
}
