//! The defaults and flag groups that a scenario's own command and the suite share: the
//! live map's and the chat's sizes.

use clap::Args;
use loadgen::scenario::chat::{self, ChatSettings};
use loadgen::scenario::live;

// Defaults that a scenario's own command and the suite share.
pub const RELAY_PAIRS: usize = 100;
pub const RELAY_SECONDS: u64 = 10;
pub const RELAY_WINDOW: u64 = 16;
pub const CHURN_SECONDS: u64 = 5;
pub const CHURN_CONCURRENCY: usize = 512;
pub const CHAT_USERS: usize = 100;
/// The chat rate offered: the target and 2.5 % more. A finite run's rate, read from its
/// acks, falls short of the rate offered by the spread of the ack latencies (up to 1 % at
/// a p99 of 50 ms over 5 s), so a run offered exactly the target would be judged on noise.
pub const CHAT_RATE: u32 = (chat::TARGET_RATE * 1.025) as u32;
pub const CHAT_WINDOW: u64 = 32;
pub const CHAT_SECONDS: u64 = 5;
pub const CHAT_SAMPLE: usize = 10;
pub const HISTORY_CLIENTS: usize = 8;
pub const HISTORY_SECONDS: u64 = 5;
pub const HISTORY_MESSAGES: u64 = 1_000_000;
pub const HISTORY_ROOM: &str = "history";
pub const FAILOVER_PER_NODE: usize = 1_000;
pub const FAILOVER_PATIENCE_MS: u64 = 15_000;

#[derive(Debug, Args)]
pub struct LiveFlags {
    /// Moves per user.
    #[arg(long, default_value_t = 1)]
    moves: u32,
    /// Milliseconds between two moves of one user.
    #[arg(long, default_value_t = 20_000)]
    period_ms: u64,
    /// Receivers that decode everything (the rest only drain).
    #[arg(long, default_value_t = 200)]
    sample: usize,
    /// Milliseconds after the last move for it to arrive.
    #[arg(long, default_value_t = 3_000)]
    grace_ms: u64,
    /// Users per room (users `k·size..(k+1)·size` share one); 0: all in one room.
    #[arg(long, default_value_t = 0)]
    room_size: usize,
}

impl LiveFlags {
    pub fn settings(&self) -> live::LiveSettings {
        live::LiveSettings {
            moves: self.moves,
            room_size: self.room_size,
            period_ms: self.period_ms,
            sample: self.sample,
            grace_ms: self.grace_ms,
        }
    }
}

/// The chat scenario's sizes besides its rate, `--chat-…` in `loadgen chat` and the
/// suite alike.
#[derive(Debug, Args)]
pub struct ChatSizes {
    /// Clients in the room.
    #[arg(id = "chat_users", long = "chat-users", default_value_t = CHAT_USERS)]
    pub users: usize,
    /// How many of them send (0 = all).
    #[arg(id = "chat_senders", long = "chat-senders", default_value_t = 0)]
    pub senders: usize,
    /// Messages one sender may have unacked at once.
    #[arg(id = "chat_window", long = "chat-window", default_value_t = CHAT_WINDOW)]
    pub window: u64,
    #[arg(id = "chat_seconds", long = "chat-seconds", default_value_t = CHAT_SECONDS)]
    pub seconds: u64,
    /// Receivers that decode and check every delivery (the rest only count them).
    #[arg(id = "chat_sample", long = "chat-sample", default_value_t = CHAT_SAMPLE)]
    pub sample: usize,
}

impl ChatSizes {
    pub fn settings(&self, rate: u32) -> ChatSettings {
        let senders = if self.senders == 0 {
            self.users
        } else {
            self.senders
        };
        ChatSettings {
            clients: self.users,
            senders,
            rate,
            seconds: self.seconds,
            window: self.window,
            sample: self.sample,
        }
    }
}
