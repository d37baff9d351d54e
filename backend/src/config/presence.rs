//! The presence tick's timings (the hub takes them as values) and their flags.

use super::units::millis;
use std::time::Duration;

/// When presence changes are sent: the hub batches them and `run`'s ticker flushes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceConfig {
    /// Presence changes are batched and sent at most once per interval.
    pub interval: Duration,
    /// The presence interval per user: a user's changes (moves, renames, call state) are
    /// broadcast at most once per interval after their join (the latest state wins); joins
    /// and leaves are never delayed.
    pub move_interval: Duration,
    /// The users a room's presence frame may go to at each tick: a larger room sends its
    /// frame every few ticks (one of 10,000 or 15,000 users every 2nd tick at 7,500), so
    /// that the frames a room costs a second stay bounded however large it grows. 0: every
    /// tick.
    pub room_users_per_tick: usize,
}

impl Default for PresenceConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_millis(100),
            move_interval: Duration::from_secs(1),
            room_users_per_tick: 7_500,
        }
    }
}

/// The presence timings, from the command line.
#[derive(Debug, clap::Args)]
pub struct PresenceArgs {
    /// Milliseconds between presence broadcasts (changes are batched in between).
    #[arg(long, env = "MEETMAP_PRESENCE_INTERVAL_MS", default_value_t = millis(PresenceConfig::default().interval))]
    pub presence_interval_ms: u64,
    /// Milliseconds between two broadcasts of one user's presence changes (moves, renames,
    /// call state; the latest wins). Joins and leaves are never delayed.
    #[arg(long, env = "MEETMAP_MOVE_INTERVAL_MS", default_value_t = millis(PresenceConfig::default().move_interval))]
    pub move_interval_ms: u64,
    /// A room of more users than this sends its presence frame every few ticks instead of
    /// at each (every 2nd tick up to twice as many, and so on); 0 sends at every tick.
    #[arg(long, env = "MEETMAP_ROOM_USERS_PER_TICK", default_value_t = PresenceConfig::default().room_users_per_tick)]
    pub room_users_per_tick: usize,
}

impl PresenceArgs {
    pub fn config(&self) -> PresenceConfig {
        PresenceConfig {
            interval: Duration::from_millis(self.presence_interval_ms.max(1)),
            move_interval: Duration::from_millis(self.move_interval_ms),
            room_users_per_tick: self.room_users_per_tick,
        }
    }
}
