//! The fan-out budget: the bytes one connection may cause to be delivered, charged by the
//! hub together with the budget of the room's broadcasts or of the recipient.

use super::config::BudgetConfig;
use crate::admission::bucket::{Level, LevelSlot, Rate};
use shared::{ErrorCode, ProtocolError};
use tokio::time::Instant;

/// The bytes one connection may cause to be delivered: each frame's size times its
/// recipients. The hub charges it once it knows the recipients, before it queues anything,
/// together with the budget every such frame also passes through ([`Passes`]); a refusal
/// is `rate-limited` and says which budget is used up.
pub(crate) struct FanOut {
    level: Level,
    per_connection: Rate,
    /// The rates of the hub's own budgets: the same for every connection, carried here so
    /// that the hub needs no configuration of its own.
    room_broadcast: Rate,
    directed: Rate,
}

/// The budget besides the sender's that a frame passes through, kept by the hub.
pub(crate) enum Passes<'a> {
    /// A room chat or a signal without `to`: the room's broadcast bytes, which every member
    /// receives, whoever sends them.
    RoomBroadcast(&'a mut LevelSlot),
    /// A direct chat or an addressed signal: the bytes the target receives from others.
    DirectedTo(&'a str, &'a mut LevelSlot),
    /// A direct chat to a member who is not online: stored for them, sent now only to
    /// the sender's own connections, so no one else's budget is spent.
    NobodyElse,
}

impl FanOut {
    pub(super) fn new(config: &BudgetConfig, now: Instant) -> Self {
        Self {
            level: Level::full(config.fan_out_rate, now),
            per_connection: config.fan_out_rate,
            room_broadcast: config.room_broadcast_rate,
            directed: config.directed_rate,
        }
    }

    /// Charges a frame of `bytes` for `recipients`: `bytes × recipients` to the sender and
    /// `bytes` to the budget it passes, both or neither.
    pub fn charge(
        &mut self,
        bytes: usize,
        recipients: usize,
        passes: Passes<'_>,
        now: Instant,
    ) -> Result<(), ProtocolError> {
        if recipients == 0 {
            return Ok(());
        }
        let cost = (bytes * recipients) as f64;
        self.level.refill(self.per_connection, now);
        if !self.level.allows(self.per_connection, cost) {
            return Err(over_budget(format!(
                "this connection's fan-out budget ({} bytes a second, frame size × recipients) is used up: {bytes} bytes to {recipients} connections",
                self.per_connection.per_second
            )));
        }
        let (shared, rate, target) = match passes {
            Passes::NobodyElse => {
                self.level.spend(cost);
                return Ok(());
            }
            Passes::RoomBroadcast(slot) => (slot, self.room_broadcast, None),
            Passes::DirectedTo(target, slot) => (slot, self.directed, Some(target)),
        };
        let shared = Level::of(shared, rate, now);
        if !shared.allows(rate, bytes as f64) {
            // Worded only when refused: a charge that passes allocates nothing.
            let whose = match target {
                None => "the room's broadcast budget".to_owned(),
                Some(target) => format!("the budget of bytes sent to {target}"),
            };
            return Err(over_budget(format!(
                "{whose} ({} bytes a second) is used up",
                rate.per_second
            )));
        }
        shared.spend(bytes as f64);
        self.level.spend(cost);
        Ok(())
    }
}

fn over_budget(why: String) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::RateLimited,
        format!("{why}: this frame was dropped"),
    )
}
