//! What one connection may cost the server: token buckets for presence updates, chat,
//! typing hints, heartbeats, signaling and ICE candidates, a cap on ICE candidates per call target, a size cap on
//! signals without `to`, the fan-out budget (bytes delivered on its behalf), and the strike
//! windows past which a connection is closed (too many rate-limited frames, too many
//! refused frames).
//!
//! Each connection's task owns its `Budget`: nothing here is shared or locked. The hub
//! charges the fan-out budget ([`FanOut`]) together with a budget it keeps itself, the
//! room's broadcasts or a recipient's inbound bytes ([`Level`]). Time is tokio's, so that
//! tests may pause it.

mod config;
mod fan_out;

pub use super::bucket::Rate;
pub use config::{BudgetConfig, StrikeLimit};
pub(crate) use fan_out::{FanOut, Passes};

use super::bucket::TokenBucket;
use shared::{ClientMessage, ErrorCode, ProtocolError, SignalKind};
use std::collections::{HashMap, VecDeque};
use tokio::time::Instant;

/// Distinct ICE targets counted at once; past it the counts start over. A group call has at
/// most 6 people, so only a client sending to made-up or passing targets reaches it.
const ICE_TARGETS_MAX: usize = 64;

/// Why a connection has used up its budget and is closed with 1008.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overrun {
    /// Kept sending over a rate limit.
    RateLimited,
    /// Kept sending frames the server refused.
    BadFrames,
}

/// One connection's rates and strikes.
pub(crate) struct Budget {
    presence: TokenBucket,
    chat: TokenBucket,
    typing: TokenBucket,
    heartbeat: TokenBucket,
    signaling: TokenBucket,
    ice: TokenBucket,
    /// ICE candidates relayed per target ("" for the whole room) since the last
    /// `sdp-offer`, `offer` or `call-invite` to it.
    ice_per_target: HashMap<String, u32>,
    ice_cap: u32,
    broadcast_signal_max_bytes: usize,
    fan_out: FanOut,
    rate_limited: Strikes,
    refused: Strikes,
}

impl Budget {
    pub fn new(config: &BudgetConfig, now: Instant) -> Self {
        Self {
            presence: TokenBucket::new(config.presence_rate, now),
            chat: TokenBucket::new(config.chat_rate, now),
            typing: TokenBucket::new(config.typing_rate, now),
            heartbeat: TokenBucket::new(config.heartbeat_rate, now),
            signaling: TokenBucket::new(config.signaling_rate, now),
            ice: TokenBucket::new(config.ice_rate, now),
            ice_per_target: HashMap::new(),
            ice_cap: config.ice_per_target,
            broadcast_signal_max_bytes: config.broadcast_signal_max_bytes,
            fan_out: FanOut::new(config, now),
            rate_limited: Strikes::new(config.rate_limited_strikes),
            refused: Strikes::new(config.bad_frame_strikes),
        }
    }

    /// Whether a decoded message, `bytes` long as sent, is within its rate and size; a
    /// refusal (`rate-limited`, `payload-too-large`) means the frame is dropped.
    pub fn admit(
        &mut self,
        message: &ClientMessage,
        bytes: usize,
        now: Instant,
    ) -> Result<(), ProtocolError> {
        if let Some((kind, signal)) = message.as_signal() {
            return self.admit_signal(kind, signal.to.as_deref(), bytes, now);
        }
        match message {
            ClientMessage::AddUser(_) | ClientMessage::UpdateUser(_) => {
                take(&mut self.presence, now, "add-user and update-user")
            }
            ClientMessage::Chat(_)
            | ClientMessage::ChatHistory(_)
            | ClientMessage::ChatEdit(_)
            | ClientMessage::ChatDelete(_)
            | ClientMessage::ChatRead(_)
            | ClientMessage::ChatConversations => take(&mut self.chat, now, "chat"),
            ClientMessage::Typing(_) => take(&mut self.typing, now, "typing"),
            ClientMessage::Ping => take(&mut self.heartbeat, now, "ping"),
            // Linking a device and signing out count as signaling.
            _ => take(&mut self.signaling, now, "signaling"),
        }
    }

    /// [`Budget::admit`] for a signal of `kind` to `to` (the whole room without one).
    pub fn admit_signal(
        &mut self,
        kind: SignalKind,
        to: Option<&str>,
        bytes: usize,
        now: Instant,
    ) -> Result<(), ProtocolError> {
        if to.is_none() && bytes > self.broadcast_signal_max_bytes {
            return Err(ProtocolError::new(
                ErrorCode::PayloadTooLarge,
                format!(
                    "`{kind}` without `to` goes to the whole room: at most {} bytes, this one has {bytes}",
                    self.broadcast_signal_max_bytes
                ),
            ));
        }
        let target = to.unwrap_or("");
        match kind {
            SignalKind::NewIceCandidate => {
                take(&mut self.ice, now, "ice candidates")?;
                self.count_ice(target)
            }
            _ => {
                take(&mut self.signaling, now, "signaling")?;
                let restarts_ice = matches!(
                    kind,
                    SignalKind::SdpOffer | SignalKind::Offer | SignalKind::CallInvite
                );
                if restarts_ice && !self.ice_per_target.is_empty() {
                    self.ice_per_target.remove(target);
                }
                Ok(())
            }
        }
    }

    /// Counts an ICE candidate to `target` against the cap per offer. The target is
    /// copied only the first time it is counted.
    fn count_ice(&mut self, target: &str) -> Result<(), ProtocolError> {
        let count = self.ice_per_target.get(target).copied().unwrap_or(0);
        if count >= self.ice_cap {
            return Err(ProtocolError::new(
                ErrorCode::RateLimited,
                format!(
                    "at most {} ice candidates per offer to one target",
                    self.ice_cap
                ),
            ));
        }
        match self.ice_per_target.get_mut(target) {
            Some(counted) => *counted += 1,
            None => {
                if self.ice_per_target.len() >= ICE_TARGETS_MAX {
                    self.ice_per_target.clear();
                }
                self.ice_per_target.insert(target.to_owned(), 1);
            }
        }
        Ok(())
    }

    /// The bytes this connection may still cause to be delivered, for the hub to charge.
    pub fn fan_out(&mut self) -> &mut FanOut {
        &mut self.fan_out
    }

    /// Counts a refused frame; says when the connection has used up its budget.
    pub fn refused(&mut self, code: ErrorCode, now: Instant) -> Option<Overrun> {
        if code == ErrorCode::RateLimited && self.rate_limited.strike(now) {
            return Some(Overrun::RateLimited);
        }
        self.refused.strike(now).then_some(Overrun::BadFrames)
    }
}

fn take(bucket: &mut TokenBucket, now: Instant, what: &str) -> Result<(), ProtocolError> {
    if bucket.try_take(now) {
        Ok(())
    } else {
        Err(ProtocolError::new(
            ErrorCode::RateLimited,
            format!("too many {what} messages: this one was dropped"),
        ))
    }
}

/// The times of the last strikes within a window: a sliding window, exact, that holds at
/// most `max + 1` instants and allocates nothing until the first strike.
struct Strikes {
    limit: StrikeLimit,
    times: VecDeque<Instant>,
}

impl Strikes {
    fn new(limit: StrikeLimit) -> Self {
        Self {
            limit,
            times: VecDeque::new(),
        }
    }

    /// Records a strike; true when there are now more than `max` within the window.
    fn strike(&mut self, now: Instant) -> bool {
        while self
            .times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.limit.window)
        {
            self.times.pop_front();
        }
        self.times.push_back(now);
        if self.times.len() > self.limit.max {
            self.times.pop_front();
            return true;
        }
        false
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
