//! One room's presence: who is online, which connections listen, and what changed since the
//! last presence tick.

use crate::hub::ConnId;
use shared::{Move, PresenceDelta, User};
use std::collections::{HashMap, HashSet};

/// The state of one room. Owned by the hub's `State`; never locked on its own.
#[derive(Debug, Default)]
pub(crate) struct Room {
    /// Online users by email, each with its open connections in this room (one per tab).
    pub members: HashMap<String, Member>,
    /// Connections that receive the seed's full `update-users` lists, registered or not.
    pub list_listeners: HashSet<ConnId>,
    /// Registered connections that receive `presence` deltas.
    pub delta_listeners: HashSet<ConnId>,
    /// Users whose presence changed since the last tick, and whether their profile (not
    /// only their position) did. Whether they are still online is read at the tick.
    pending: HashMap<String, bool>,
}

#[derive(Debug)]
pub(crate) struct Member {
    pub user: User,
    pub connections: Vec<ConnId>,
}

/// What a presence tick sends: each frame is serialised once for all its recipients.
pub(crate) struct PresenceFrames {
    pub full_list: Option<String>,
    pub delta: Option<String>,
}

impl Room {
    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.list_listeners.is_empty() && self.delta_listeners.is_empty()
    }

    /// Marks a user's presence as changed; `profile` is true for a join or a rename.
    pub fn mark_changed(&mut self, email: &str, profile: bool) {
        let entry = self.pending.entry(email.to_owned()).or_insert(false);
        *entry |= profile;
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Every online user, sorted by name then email so that lists are stable.
    pub fn users(&self) -> Vec<User> {
        let mut users: Vec<User> = self.members.values().map(|m| m.user.clone()).collect();
        users.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.email.cmp(&b.email)));
        users
    }

    /// Every registered connection in the room, with the email it registered.
    pub fn registered_connections(&self) -> impl Iterator<Item = (&str, ConnId)> {
        self.members.iter().flat_map(|(email, member)| {
            member.connections.iter().map(move |c| (email.as_str(), *c))
        })
    }

    /// Drains the pending changes into the frames of this tick.
    pub fn take_presence_frames(&mut self) -> PresenceFrames {
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return PresenceFrames {
                full_list: None,
                delta: None,
            };
        }
        let full_list = (!self.list_listeners.is_empty()).then(|| {
            shared::ServerMessage::UpdateUsers {
                users: self.users(),
            }
            .to_json()
        });
        let delta = (!self.delta_listeners.is_empty())
            .then(|| self.delta_of(pending))
            .filter(|delta| !delta.is_empty())
            .map(|delta| shared::ServerMessage::Presence(delta).to_json());
        PresenceFrames { full_list, delta }
    }

    fn delta_of(&self, pending: HashMap<String, bool>) -> PresenceDelta {
        let mut delta = PresenceDelta::default();
        for (email, profile_changed) in pending {
            match self.members.get(&email).map(|member| &member.user) {
                None => delta.left.push(email),
                Some(user) => match (profile_changed, user.latitude, user.longitude) {
                    (false, Some(latitude), Some(longitude)) => delta.moved.push(Move {
                        email,
                        latitude,
                        longitude,
                    }),
                    _ => delta.joined.push(user.clone()),
                },
            }
        }
        delta
    }
}
