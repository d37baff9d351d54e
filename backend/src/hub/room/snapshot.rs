//! A room's members paged for a new member's welcome, built once and shared by everyone who
//! joins before the room's next delta: the later pages as frames, the first page as JSON
//! that each welcome copies with its new member spliced in at their place.

use crate::frame::{Frame, FrameKind, Own};
use shared::{PRESENCE_FRAME_MAX_ENTRIES, PresenceDelta, ServerMessage, User, Welcome};
use std::sync::Arc;

/// The room's members, paged for a welcome: the first page goes in the `welcome` itself
/// (it names the client, so each welcome is its own frame), the rest are `presence` frames
/// listing the others as `joined`, framed once for every new member.
///
/// A snapshot taken earlier in the same tick is as good as a fresh one: every change since
/// it was taken is pending, and the next tick sends it to the new member too (deltas are
/// idempotent). So in a ramp of hundreds of joins a second into a room of thousands, the
/// room is serialised ten times a second rather than once per join, and a welcome costs a
/// copy of its first page rather than its serialisation.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub first_page: Vec<User>,
    /// The first page's users as JSON, one after the other with no separator.
    first_page_json: String,
    /// Where each of them ends in `first_page_json`.
    first_page_ends: Vec<usize>,
    pub rest: Arc<[Frame]>,
}

/// What splits a welcome serialised with no users, for the first page to go in between.
const EMPTY_USERS: &[u8] = br#""users":[]"#;

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
        let mut first_page_json = Vec::new();
        let mut first_page_ends = Vec::with_capacity(users.len());
        for user in &users {
            // Serialising a user into a Vec cannot fail: its fields are strings and numbers.
            let _ = serde_json::to_writer(&mut first_page_json, user);
            first_page_ends.push(first_page_json.len());
        }
        Self {
            first_page: users,
            first_page_json: String::from_utf8(first_page_json).unwrap_or_default(),
            first_page_ends,
            rest,
        }
    }

    /// The welcome frame of `welcome.you`, listing this snapshot's first page with them in
    /// it, in name order (`welcome.users` is ignored). The page is copied, not serialised.
    pub fn welcome(&self, welcome: Welcome) -> Frame {
        let you = &welcome.you;
        let listed = self.first_page.iter().any(|user| user.email == you.email);
        let at = self
            .first_page
            .partition_point(|user| (&user.name, &user.email) < (&you.name, &you.email));
        let mut you_json = Vec::new();
        if !listed {
            let _ = serde_json::to_writer(&mut you_json, you);
        }
        let head = ServerMessage::Welcome(Welcome {
            users: Vec::new(),
            ..welcome.clone()
        });
        let head = head.to_json();
        // The marker is there once: a JSON string cannot hold an unescaped quote.
        let Some(split) = find(head.as_bytes(), EMPTY_USERS) else {
            let mut users = self.first_page.clone();
            if !listed {
                users.insert(at, welcome.you.clone());
            }
            return Frame::message(&ServerMessage::Welcome(Welcome { users, ..welcome }));
        };
        let (before, after) = head.split_at(split + EMPTY_USERS.len() - 1);
        let page = self.first_page_ends.iter().scan(0, |start, &end| {
            let user = &self.first_page_json.as_bytes()[*start..end];
            *start = end;
            Some(user)
        });
        let mut users: Vec<&[u8]> = page.collect();
        if !listed {
            users.insert(at, &you_json);
        }
        let welcome_kind = FrameKind::Own(Own::Welcome);
        Frame::written(welcome_kind, |bytes| {
            bytes.extend_from_slice(before.as_bytes());
            for (index, user) in users.iter().enumerate() {
                if index > 0 {
                    bytes.push(b',');
                }
                bytes.extend_from_slice(user);
            }
            bytes.extend_from_slice(after.as_bytes());
        })
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
