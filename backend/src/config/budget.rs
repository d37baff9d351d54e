//! The flags of a connection's allowances, into a [`BudgetConfig`].

use super::units::{millis, rate};
use crate::admission::budget::{BudgetConfig, StrikeLimit};
use std::time::Duration;

/// A connection's rates, strikes and fan-out budgets, from the command line.
#[derive(Debug, clap::Args)]
pub struct BudgetArgs {
    /// Chat messages per second one connection may send, sustained.
    #[arg(long, env = "MEETMAP_CHAT_RATE", default_value_t = BudgetConfig::default().chat_rate.per_second)]
    pub chat_rate: f64,
    /// Chat messages one connection may send in a burst.
    #[arg(long, env = "MEETMAP_CHAT_BURST", default_value_t = BudgetConfig::default().chat_rate.burst)]
    pub chat_burst: u32,
    /// Signaling and call-control frames per second (ICE candidates aside), sustained.
    #[arg(long, env = "MEETMAP_SIGNALING_RATE", default_value_t = BudgetConfig::default().signaling_rate.per_second)]
    pub signaling_rate: f64,
    /// Signaling and call-control frames in a burst.
    #[arg(long, env = "MEETMAP_SIGNALING_BURST", default_value_t = BudgetConfig::default().signaling_rate.burst)]
    pub signaling_burst: u32,
    /// ICE candidates per second one connection may send, sustained.
    #[arg(long, env = "MEETMAP_ICE_RATE", default_value_t = BudgetConfig::default().ice_rate.per_second)]
    pub ice_rate: f64,
    /// ICE candidates one connection may send in a burst.
    #[arg(long, env = "MEETMAP_ICE_BURST", default_value_t = BudgetConfig::default().ice_rate.burst)]
    pub ice_burst: u32,
    /// ICE candidates to one target until the next sdp-offer, offer or call-invite to it.
    #[arg(long, env = "MEETMAP_ICE_PER_TARGET", default_value_t = BudgetConfig::default().ice_per_target)]
    pub ice_per_target: u32,
    /// Rate-limited frames within --strike-window-ms past which a connection is closed.
    #[arg(long, env = "MEETMAP_RATE_LIMITED_MAX", default_value_t = BudgetConfig::default().rate_limited_strikes.max)]
    pub rate_limited_max: usize,
    /// Refused frames (any error) within --strike-window-ms past which a connection is
    /// closed.
    #[arg(long, env = "MEETMAP_BAD_FRAMES_MAX", default_value_t = BudgetConfig::default().bad_frame_strikes.max)]
    pub bad_frames_max: usize,
    /// Milliseconds over which rate-limited and refused frames are counted.
    #[arg(long, env = "MEETMAP_STRIKE_WINDOW_MS", default_value_t = millis(BudgetConfig::default().rate_limited_strikes.window))]
    pub strike_window_ms: u64,
    /// Bytes per second one connection may cause to be delivered (frame size × recipients),
    /// sustained.
    #[arg(long, env = "MEETMAP_FAN_OUT_BYTES_RATE", default_value_t = BudgetConfig::default().fan_out_rate.per_second)]
    pub fan_out_bytes_rate: f64,
    /// Bytes one connection may cause to be delivered in a burst (a larger frame passes a
    /// full budget and leaves it in debt).
    #[arg(long, env = "MEETMAP_FAN_OUT_BYTES_BURST", default_value_t = BudgetConfig::default().fan_out_rate.burst)]
    pub fan_out_bytes_burst: u32,
    /// Bytes per second of room chat and signals without `to` one room may carry (what each
    /// member receives of them), sustained.
    #[arg(long, env = "MEETMAP_ROOM_BROADCAST_BYTES_RATE", default_value_t = BudgetConfig::default().room_broadcast_rate.per_second)]
    pub room_broadcast_bytes_rate: f64,
    /// Bytes of room chat and signals without `to` one room may carry in a burst.
    #[arg(long, env = "MEETMAP_ROOM_BROADCAST_BYTES_BURST", default_value_t = BudgetConfig::default().room_broadcast_rate.burst)]
    pub room_broadcast_bytes_burst: u32,
    /// Bytes per second of direct chat and addressed signals one user may receive from
    /// others, sustained.
    #[arg(long, env = "MEETMAP_DIRECTED_BYTES_RATE", default_value_t = BudgetConfig::default().directed_rate.per_second)]
    pub directed_bytes_rate: f64,
    /// Bytes of direct chat and addressed signals one user may receive in a burst.
    #[arg(long, env = "MEETMAP_DIRECTED_BYTES_BURST", default_value_t = BudgetConfig::default().directed_rate.burst)]
    pub directed_bytes_burst: u32,
    /// Largest signal without `to` (offer, answer, ICE candidate to the whole room), in
    /// bytes as sent; larger ones are refused (payload-too-large).
    #[arg(long, env = "MEETMAP_BROADCAST_SIGNAL_MAX_BYTES", default_value_t = BudgetConfig::default().broadcast_signal_max_bytes)]
    pub broadcast_signal_max_bytes: usize,
    /// add-user and update-user frames per second one connection may send, sustained.
    #[arg(long, env = "MEETMAP_PRESENCE_RATE", default_value_t = BudgetConfig::default().presence_rate.per_second)]
    pub presence_rate: f64,
    /// add-user and update-user frames one connection may send in a burst.
    #[arg(long, env = "MEETMAP_PRESENCE_BURST", default_value_t = BudgetConfig::default().presence_rate.burst)]
    pub presence_burst: u32,
}

impl BudgetArgs {
    /// The config these flags give: every rate at least one token, every cap at least 1.
    pub fn config(&self) -> BudgetConfig {
        let window = Duration::from_millis(self.strike_window_ms.max(1));
        BudgetConfig {
            presence_rate: rate(self.presence_rate, self.presence_burst),
            chat_rate: rate(self.chat_rate, self.chat_burst),
            typing_rate: BudgetConfig::default().typing_rate,
            heartbeat_rate: BudgetConfig::default().heartbeat_rate,
            signaling_rate: rate(self.signaling_rate, self.signaling_burst),
            ice_rate: rate(self.ice_rate, self.ice_burst),
            ice_per_target: self.ice_per_target.max(1),
            rate_limited_strikes: StrikeLimit {
                max: self.rate_limited_max.max(1),
                window,
            },
            bad_frame_strikes: StrikeLimit {
                max: self.bad_frames_max.max(1),
                window,
            },
            fan_out_rate: rate(self.fan_out_bytes_rate, self.fan_out_bytes_burst),
            room_broadcast_rate: rate(
                self.room_broadcast_bytes_rate,
                self.room_broadcast_bytes_burst,
            ),
            directed_rate: rate(self.directed_bytes_rate, self.directed_bytes_burst),
            broadcast_signal_max_bytes: self.broadcast_signal_max_bytes.max(1),
        }
    }
}
