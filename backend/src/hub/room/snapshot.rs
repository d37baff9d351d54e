//! A room's members paged for a new member's welcome, built once and shared by everyone who
//! joins before the room's next delta.

use crate::frame::Frame;
use shared::{PRESENCE_FRAME_MAX_ENTRIES, PresenceDelta, ServerMessage, User};
use std::sync::Arc;

/// The room's members, paged for a welcome: the first page goes in the `welcome` itself
/// (it names the client, so it is serialised per client), the rest are `presence` frames
/// listing the others as `joined`, framed once for every new member.
///
/// A snapshot taken earlier in the same tick is as good as a fresh one: every change since
/// it was taken is pending, and the next tick sends it to the new member too (deltas are
/// idempotent). So in a ramp of hundreds of joins a second into a room of thousands, the
/// room is serialised ten times a second rather than once per join.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    pub first_page: Vec<User>,
    pub rest: Arc<[Frame]>,
}

impl Snapshot {
    /// Pages `users`, in the order given.
    pub fn of(mut users: Vec<User>) -> Self {
        // The first page leaves room for the new member, added by the welcome if missing.
        let rest = users.split_off(users.len().min(PRESENCE_FRAME_MAX_ENTRIES - 1));
        let rest = PresenceDelta {
            joined: rest,
            ..PresenceDelta::default()
        };
        let rest = rest
            .into_chunks(PRESENCE_FRAME_MAX_ENTRIES)
            .into_iter()
            .map(|chunk| Frame::message(&ServerMessage::Presence(chunk)))
            .collect();
        Self {
            first_page: users,
            rest,
        }
    }
}
