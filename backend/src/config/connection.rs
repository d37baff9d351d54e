//! The flags of a connection's timings and bounds, into a [`ConnectionConfig`].

use super::units::millis;
use crate::connection::ConnectionConfig;
use std::time::Duration;

/// A connection's timings and bounds, from the command line.
#[derive(Debug, clap::Args)]
pub struct ConnectionArgs {
    /// Milliseconds between pings to each client.
    #[arg(long, env = "MEETMAP_PING_INTERVAL_MS", default_value_t = millis(ConnectionConfig::default().ping_interval))]
    pub ping_interval_ms: u64,
    /// Milliseconds of silence (no frame, no pong) after which a client is closed and shown
    /// offline: the silent-client bound.
    #[arg(long, env = "MEETMAP_IDLE_TIMEOUT_MS", default_value_t = millis(ConnectionConfig::default().idle_timeout))]
    pub idle_timeout_ms: u64,
    /// Frames queued for one client before it is closed as too slow.
    #[arg(long, env = "MEETMAP_OUTBOX_CAPACITY", default_value_t = ConnectionConfig::default().outbox_capacity)]
    pub outbox_capacity: usize,
    /// Largest message a client may send, in bytes.
    #[arg(long, env = "MEETMAP_MAX_MESSAGE_BYTES", default_value_t = ConnectionConfig::default().max_message_bytes)]
    pub max_message_bytes: usize,
    /// Bytes queued for one client before it is closed as too slow.
    #[arg(long, env = "MEETMAP_OUTBOX_BYTES", default_value_t = ConnectionConfig::default().outbox_bytes)]
    pub outbox_bytes: usize,
    /// Milliseconds a connection has to register (send add-user) after connecting; past
    /// it, checked at each ping, it is closed (1008).
    #[arg(long, env = "MEETMAP_REGISTER_TIMEOUT_MS", default_value_t = millis(ConnectionConfig::default().register_timeout))]
    pub register_timeout_ms: u64,
}

impl ConnectionArgs {
    /// The config these flags give: every timing at least a millisecond, the message limit
    /// at least 1 KiB and the outbox at least one message.
    pub fn config(&self) -> ConnectionConfig {
        let max_message_bytes = self.max_message_bytes.max(1024);
        ConnectionConfig {
            ping_interval: Duration::from_millis(self.ping_interval_ms.max(1)),
            idle_timeout: Duration::from_millis(self.idle_timeout_ms.max(1)),
            register_timeout: Duration::from_millis(self.register_timeout_ms.max(1)),
            max_message_bytes,
            outbox_capacity: self.outbox_capacity.max(1),
            outbox_bytes: self.outbox_bytes.max(max_message_bytes),
            ..ConnectionConfig::default()
        }
    }
}
