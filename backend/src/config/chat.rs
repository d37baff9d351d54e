//! The flags of the chat store: its file, how long and how many messages it keeps, and the
//! edit window, into a [`ChatConfig`].

use crate::store::chat::{
    ChatConfig, DEFAULT_CHAT_RETENTION_DAYS, DEFAULT_EDIT_WINDOW, DEFAULT_MAX_PER_CONVERSATION,
    max_of,
};
use crate::store::retention_of_days;
use std::path::PathBuf;
use std::time::Duration;

/// The chat store's settings, from the command line.
#[derive(Debug, clap::Args)]
pub struct ChatArgs {
    /// SQLite file of the chat messages (created with its folder if missing); by default
    /// chat.sqlite3 beside --database, or in the data folder with --users-api.
    #[arg(long, env = "MEETMAP_CHAT_DATABASE")]
    pub chat_database: Option<PathBuf>,
    /// Days a chat message is kept; 0 keeps every message.
    #[arg(long, env = "MEETMAP_CHAT_RETENTION_DAYS", default_value_t = DEFAULT_CHAT_RETENTION_DAYS)]
    pub chat_retention_days: u64,
    /// Messages kept per conversation (the room, or two people), the newest; 0 keeps all.
    #[arg(long, env = "MEETMAP_CHAT_MAX_PER_ROOM", default_value_t = DEFAULT_MAX_PER_CONVERSATION)]
    pub chat_max_per_room: u64,
    /// Seconds after sending during which its sender may edit or delete a message.
    #[arg(
        long,
        env = "MEETMAP_CHAT_EDIT_WINDOW_SECS",
        default_value_t = DEFAULT_EDIT_WINDOW.as_secs()
    )]
    pub chat_edit_window_secs: u64,
}

impl ChatArgs {
    /// The chat store's config; members are forgotten after `member_retention`, the users
    /// store's (so nobody it forgot can still be messaged).
    pub fn config(&self, member_retention: Option<Duration>) -> ChatConfig {
        ChatConfig {
            retention: retention_of_days(self.chat_retention_days),
            max_per_conversation: max_of(self.chat_max_per_room),
            edit_window: Duration::from_secs(self.chat_edit_window_secs),
            member_retention,
            ..ChatConfig::default()
        }
    }
}
