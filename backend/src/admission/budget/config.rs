//! A connection's allowances: the rates of its frames, its strike windows and the fan-out
//! budgets, with their defaults (docs/SECURITY.md, "What one client can cost").

use crate::admission::bucket::Rate;
use std::time::Duration;

/// How many strikes (frames refused for some reason) a connection may earn within a
/// window before it is closed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StrikeLimit {
    pub max: usize,
    pub window: Duration,
}

/// What one connection may send and cause to be delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetConfig {
    /// `add-user` and `update-user` frames one connection may send.
    pub presence_rate: Rate,
    /// Chat messages one connection may send (see `docs/SECURITY.md`).
    pub chat_rate: Rate,
    /// `typing` hints one connection may send; over it they are dropped without an answer.
    pub typing_rate: Rate,
    /// Signaling and call-control frames one connection may send, ICE candidates aside.
    pub signaling_rate: Rate,
    /// The client's heartbeats (`ping`) one connection may send.
    pub heartbeat_rate: Rate,
    /// ICE candidates one connection may send.
    pub ice_rate: Rate,
    /// ICE candidates relayed from one connection to one target until the next
    /// `sdp-offer`, `offer` or `call-invite` to it.
    pub ice_per_target: u32,
    /// Rate-limited frames past which a connection is closed (1008).
    pub rate_limited_strikes: StrikeLimit,
    /// Refused frames (any error code) past which a connection is closed (1008).
    pub bad_frame_strikes: StrikeLimit,
    /// Bytes one connection may cause to be delivered: each frame's size times its
    /// recipients.
    pub fan_out_rate: Rate,
    /// Bytes of room chat and signals without `to` one room may carry, whoever sends
    /// them: what every member receives of them.
    pub room_broadcast_rate: Rate,
    /// Bytes of direct chat and addressed signals one user may receive from others.
    pub directed_rate: Rate,
    /// Largest signal without `to`, as sent (it goes to the whole room).
    pub broadcast_signal_max_bytes: usize,
}

impl Default for BudgetConfig {
    /// The fan-out budgets' sum, what a member can be sent within the limits, is worked
    /// out in docs/SECURITY.md: well under what a 10 Mbit/s reader takes.
    fn default() -> Self {
        Self {
            presence_rate: Rate::new(10.0, 20),
            chat_rate: Rate::new(5.0, 10),
            // The app sends one at most every 3 s while the input changes.
            typing_rate: Rate::new(1.0, 3),
            signaling_rate: Rate::new(20.0, 40),
            // The app sends one every 2 s; a few more pass after a stall (a frozen tab).
            heartbeat_rate: Rate::new(1.0, 5),
            ice_rate: Rate::new(50.0, 200),
            ice_per_target: 200,
            rate_limited_strikes: StrikeLimit {
                max: 20,
                window: Duration::from_secs(10),
            },
            bad_frame_strikes: StrikeLimit {
                max: 50,
                window: Duration::from_secs(10),
            },
            fan_out_rate: Rate::new(512.0 * 1024.0, 1024 * 1024),
            room_broadcast_rate: Rate::new(256.0 * 1024.0, 256 * 1024),
            directed_rate: Rate::new(128.0 * 1024.0, 256 * 1024),
            // A video call's SDP fits.
            broadcast_signal_max_bytes: 16 * 1024,
        }
    }
}
