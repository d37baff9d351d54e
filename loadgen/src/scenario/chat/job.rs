//! What every worker of a chat run is told: the room, who sends, how much and how fast,
//! the window, who is measured, the deadline and the run's tag.

use crate::clock::now_us;
use crate::conn::{Ramp, Target};
use crate::scenario::setup::RoomJob;
use serde::{Deserialize, Serialize};

/// Time after the last message is due for the run to finish, beyond its sending time
/// (which counts twice more: a server slower than asked still finishes).
const GRACE_MS: u64 = 3_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChatJob {
    pub target: Target,
    pub room: String,
    pub ramp: Ramp,
    /// Clients `0..senders` send; every client reads.
    pub senders: usize,
    /// Messages each sender sends.
    pub messages: u64,
    /// Microseconds between two messages of one sender.
    pub interval_us: u64,
    /// Messages one sender may have unacked at once.
    pub window: u64,
    /// Clients whose number is a multiple of this decode and check every delivery.
    pub sample_every: usize,
    /// Milliseconds from the start after which every client stops.
    pub deadline_ms: u64,
    /// In every client id, so that a run never repeats an earlier run's ids.
    pub tag: String,
}

/// The settings of one chat run.
#[derive(Debug, Clone, Copy)]
pub struct ChatSettings {
    /// Clients in the room.
    pub clients: usize,
    /// How many of them send.
    pub senders: usize,
    /// Messages per second, over all senders.
    pub rate: u32,
    pub seconds: u64,
    pub window: u64,
    /// Receivers that decode and check every delivery (the rest only count them).
    pub sample: usize,
}

impl ChatJob {
    /// The job of a run with `settings` against `target` (always with the subprotocol:
    /// acks are for its clients).
    pub fn new(target: &Target, ramp: Ramp, settings: ChatSettings) -> Self {
        let clients = settings.clients.max(1);
        let senders = settings.senders.clamp(1, clients);
        let rate = u64::from(settings.rate.max(1));
        let messages = (rate * settings.seconds.max(1)).div_ceil(senders as u64);
        let interval_us = 1_000_000 * senders as u64 / rate;
        let sending_ms = messages * interval_us / 1000;
        Self {
            target: Target {
                url: target.url.clone(),
                legacy: false,
            },
            room: format!("chat-{clients}"),
            ramp,
            senders,
            messages,
            interval_us,
            window: settings.window.max(1),
            sample_every: (clients / settings.sample.max(1)).max(1),
            deadline_ms: 3 * sending_ms + GRACE_MS,
            tag: format!("{:x}", now_us()),
        }
    }
}

impl RoomJob for ChatJob {
    fn place(&self) -> (&Target, &str, Ramp) {
        (&self.target, &self.room, self.ramp)
    }
    /// A client receives a commit's messages as frames of up to 64 KiB: read in 4 KiB
    /// system calls they cost the generator a quarter more kernel time.
    fn read_buffer(&self) -> usize {
        64 * 1024
    }
}
