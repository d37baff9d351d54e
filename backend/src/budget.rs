//! What one connection may cost the server: token buckets for chat, signaling and ICE
//! candidates, a cap on ICE candidates per call target, and the strike windows past which a
//! connection is closed (too many rate-limited frames, too many refused frames).
//!
//! Each connection's task owns its `Budget`: nothing here is shared or locked. Time is
//! tokio's, so that tests may pause it.

use crate::config::ServerConfig;
use shared::{ClientMessage, ErrorCode, ProtocolError};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use tokio::time::Instant;

/// A sustained rate with a burst allowance: a token bucket of `burst` tokens refilled at
/// `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

impl Rate {
    pub const fn new(per_second: f64, burst: u32) -> Self {
        Self { per_second, burst }
    }
}

/// How many strikes (frames refused for some reason) a connection may earn within a
/// window before it is closed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StrikeLimit {
    pub max: usize,
    pub window: Duration,
}

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
    chat: TokenBucket,
    signaling: TokenBucket,
    ice: TokenBucket,
    /// ICE candidates relayed per target ("" for the whole room) since the last
    /// `sdp-offer`, `offer` or `call-invite` to it.
    ice_per_target: HashMap<String, u32>,
    ice_cap: u32,
    rate_limited: Strikes,
    refused: Strikes,
}

impl Budget {
    pub fn new(config: &ServerConfig, now: Instant) -> Self {
        Self {
            chat: TokenBucket::new(config.chat_rate, now),
            signaling: TokenBucket::new(config.signaling_rate, now),
            ice: TokenBucket::new(config.ice_rate, now),
            ice_per_target: HashMap::new(),
            ice_cap: config.ice_per_target,
            rate_limited: Strikes::new(config.rate_limited_strikes),
            refused: Strikes::new(config.bad_frame_strikes),
        }
    }

    /// Whether a decoded message is within its rate; a refusal (`rate-limited`) means the
    /// frame is dropped. Presence updates are not counted here: the room coalesces them.
    pub fn admit(&mut self, message: &ClientMessage, now: Instant) -> Result<(), ProtocolError> {
        match message {
            ClientMessage::AddUser(_) | ClientMessage::UpdateUser(_) => Ok(()),
            ClientMessage::Chat(_) => take(&mut self.chat, now, "chat"),
            ClientMessage::NewIceCandidate(signal) => {
                take(&mut self.ice, now, "ice candidates")?;
                let target = signal.to.as_deref().unwrap_or("");
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
                if count == 0 && self.ice_per_target.len() >= ICE_TARGETS_MAX {
                    self.ice_per_target.clear();
                }
                self.ice_per_target.insert(target.to_owned(), count + 1);
                Ok(())
            }
            signaling => {
                take(&mut self.signaling, now, "signaling")?;
                if let ClientMessage::SdpOffer(signal)
                | ClientMessage::Offer(signal)
                | ClientMessage::CallInvite(signal) = signaling
                {
                    self.ice_per_target
                        .remove(signal.to.as_deref().unwrap_or(""));
                }
                Ok(())
            }
        }
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

/// A token bucket: `burst` tokens at most, refilled continuously at `per_second`.
struct TokenBucket {
    rate: Rate,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(rate: Rate, now: Instant) -> Self {
        Self {
            rate,
            tokens: f64::from(rate.burst),
            last: now,
        }
    }

    fn try_take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens =
            (self.tokens + elapsed * self.rate.per_second).min(f64::from(self.rate.burst));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
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
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(Rate::new(5.0, 10), start);
        assert_eq!((0..12).filter(|_| bucket.try_take(start)).count(), 10);
        assert!(!bucket.try_take(start + Duration::from_millis(150)));
        assert!(bucket.try_take(start + Duration::from_millis(250)));
        let later = start + Duration::from_secs(60);
        assert_eq!((0..12).filter(|_| bucket.try_take(later)).count(), 10);
    }

    #[test]
    fn strikes_count_within_their_window_only() {
        let start = Instant::now();
        let mut strikes = Strikes::new(StrikeLimit {
            max: 3,
            window: Duration::from_secs(10),
        });
        for i in 0..3 {
            assert!(!strikes.strike(start + Duration::from_secs(i)));
        }
        assert!(
            !strikes.strike(start + Duration::from_secs(10)),
            "the first expired"
        );
        assert!(strikes.strike(start + Duration::from_millis(10_500)));
    }
}
