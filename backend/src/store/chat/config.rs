//! [`ChatConfig`]: how long the chat store keeps messages, how many per conversation, the
//! edit window and the writer's queue; each default written once, here.

use std::time::Duration;

use crate::store::retention::{DEFAULT_RETENTION_DAYS, retention_of_days};

/// Days a chat message is kept (`--chat-retention-days`).
pub const DEFAULT_CHAT_RETENTION_DAYS: u64 = 365;

/// Messages kept per conversation (`--chat-max-per-room`).
pub const DEFAULT_MAX_PER_CONVERSATION: u64 = 100_000;

/// How long after sending its sender may edit or delete a message.
pub const DEFAULT_EDIT_WINDOW: Duration = Duration::from_secs(600);

/// Jobs waiting for the writer at most; past it a post is refused at once (`StoreBusy`).
/// At 20,000 messages/s this is about half a second of work.
pub const DEFAULT_QUEUE_CAPACITY: usize = 10_000;

/// The chat store's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatConfig {
    /// Messages older than this are deleted (`None`: kept for ever).
    pub retention: Option<Duration>,
    /// Messages kept per conversation, the newest (`None`: no bound).
    pub max_per_conversation: Option<u64>,
    /// Edits and deletes are refused this long after a message was sent.
    pub edit_window: Duration,
    /// Room members not seen for this long are forgotten (`None`: kept for ever); the
    /// users store's retention, so that nobody it forgot can still be messaged.
    pub member_retention: Option<Duration>,
    /// Jobs the writer's queue holds at most.
    pub queue_capacity: usize,
}

impl Default for ChatConfig {
    fn default() -> Self {
        Self {
            retention: retention_of_days(DEFAULT_CHAT_RETENTION_DAYS),
            max_per_conversation: Some(DEFAULT_MAX_PER_CONVERSATION),
            edit_window: DEFAULT_EDIT_WINDOW,
            member_retention: retention_of_days(DEFAULT_RETENTION_DAYS),
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
        }
    }
}

/// `--chat-max-per-room`'s value as a bound: `None` for 0.
pub fn max_of(count: u64) -> Option<u64> {
    (count > 0).then_some(count)
}
