//! One room's presence: who is online, which connections listen, and what changed since the
//! last presence tick.

use crate::frame::Frame;
use crate::hub::{ConnId, Name};
use shared::{Move, PRESENCE_FRAME_MAX_ENTRIES, PresenceDelta, Profile, ServerMessage, User};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The state of one room. Owned by the hub's `State`; never locked on its own.
#[derive(Debug, Default)]
pub(crate) struct Room {
    /// Online users by email, each with its open connections in this room (one per tab).
    /// Boxed: the table keeps room for twice its entries, so an entry is kept small.
    pub members: HashMap<Name, Box<Member>>,
    /// Connections that receive the seed's full `update-users` lists, registered or not.
    pub list_listeners: HashSet<ConnId>,
    /// Registered connections that receive `presence` deltas.
    pub delta_listeners: HashSet<ConnId>,
    /// Users whose presence changed since the last tick, and whether their profile (not
    /// only their position) did. Whether they are still online is read at the tick. A move
    /// stays here until its user's move interval has passed.
    pending: HashMap<Name, bool>,
    /// Everyone online, as a new member's welcome lists them; built at most once between
    /// two ticks that send a delta, whoever joins meanwhile.
    snapshot: Option<Snapshot>,
}

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

#[derive(Debug)]
pub(crate) struct Member {
    pub user: User,
    pub connections: Vec<ConnId>,
    /// When this user's last `moved` was sent, so that a client sending positions as
    /// fast as it can costs the room one broadcast per move interval.
    moved_at: Option<Instant>,
}

/// What a presence tick sends: each frame is serialised once for all its recipients.
pub(crate) struct PresenceFrames {
    pub full_list: Option<Frame>,
    /// The tick's delta, in one frame: a client gets one `presence` frame per tick,
    /// however many changed. (Frames are written from shared bytes, so a large one costs no
    /// connection a buffer; only a welcome is paged, so that its pages can be shared.)
    pub delta: Option<Frame>,
}

impl Room {
    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.list_listeners.is_empty() && self.delta_listeners.is_empty()
    }

    /// Adds the connection to its user, creating the user, and applies the profile's name,
    /// call state and position (a profile without a position keeps the last one).
    pub fn upsert_member(&mut self, id: ConnId, email: &Name, profile: &Profile) -> User {
        let member = self.members.entry(Name::clone(email)).or_insert_with(|| {
            Box::new(Member {
                user: User {
                    name: String::new(),
                    email: profile.email.clone(),
                    latitude: None,
                    longitude: None,
                    is_connected: true,
                    in_call: false,
                },
                connections: Vec::new(),
                moved_at: None,
            })
        });
        if !member.connections.contains(&id) {
            member.connections.push(id);
        }
        let in_call = profile.in_call.unwrap_or(member.user.in_call);
        let profile_changed = member.user.name != profile.name || member.user.in_call != in_call;
        member.user.name.clone_from(&profile.name);
        member.user.in_call = in_call;
        if let (Some(latitude), Some(longitude)) = (profile.latitude, profile.longitude) {
            member.user.latitude = Some(latitude);
            member.user.longitude = Some(longitude);
        }
        let user = member.user.clone();
        self.mark_changed(email, profile_changed);
        user
    }

    /// Marks a user's presence as changed; `profile` is true for a join or a rename.
    pub fn mark_changed(&mut self, email: &Name, profile: bool) {
        let entry = self.pending.entry(Name::clone(email)).or_insert(false);
        *entry |= profile;
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Everyone online, paged for a welcome (see [`Snapshot`]).
    pub fn snapshot(&mut self) -> Snapshot {
        if let Some(snapshot) = &self.snapshot {
            return snapshot.clone();
        }
        // The first page leaves room for the new member, added by the welcome if missing.
        let mut first_page = self.users();
        let rest = first_page.split_off(first_page.len().min(PRESENCE_FRAME_MAX_ENTRIES - 1));
        let rest = PresenceDelta {
            joined: rest,
            ..PresenceDelta::default()
        };
        let rest = rest
            .into_chunks(PRESENCE_FRAME_MAX_ENTRIES)
            .into_iter()
            .map(|chunk| Frame::message(&ServerMessage::Presence(chunk)))
            .collect();
        let snapshot = Snapshot { first_page, rest };
        self.snapshot = Some(snapshot.clone());
        snapshot
    }

    /// Every online user, sorted by name then email so that lists are stable.
    pub fn users(&self) -> Vec<User> {
        let mut users: Vec<User> = self.members.values().map(|m| m.user.clone()).collect();
        users.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.email.cmp(&b.email)));
        users
    }

    /// Every registered connection in the room, with the email it registered.
    pub fn registered_connections(&self) -> impl Iterator<Item = (&str, ConnId)> {
        self.members
            .iter()
            .flat_map(|(email, member)| member.connections.iter().map(move |c| (&**email, *c)))
    }

    /// Drains the pending changes due at `now` into the frames of this tick. Joins, renames
    /// and leaves are always due; a move only once `move_interval` has passed since the
    /// user's last one was sent, and until then it stays pending (the latest position is
    /// read when it is sent).
    pub fn take_presence_frames(
        &mut self,
        now: Instant,
        move_interval: Duration,
    ) -> PresenceFrames {
        let members = &mut self.members;
        let pending: HashMap<Name, bool> = self
            .pending
            .extract_if(|email, profile_changed| {
                let Some(member) = members.get_mut(email) else {
                    return true;
                };
                if *profile_changed || member.user.latitude.is_none() {
                    return true;
                }
                if member
                    .moved_at
                    .is_some_and(|sent| now.saturating_duration_since(sent) < move_interval)
                {
                    return false;
                }
                member.moved_at = Some(now);
                true
            })
            .collect();
        if pending.is_empty() {
            return PresenceFrames {
                full_list: None,
                delta: None,
            };
        }
        // Whoever joins after this tick no longer gets these changes as a delta.
        self.snapshot = None;
        let full_list = (!self.list_listeners.is_empty()).then(|| {
            Frame::message(&ServerMessage::UpdateUsers {
                users: self.users(),
            })
        });
        let delta = (!self.delta_listeners.is_empty())
            .then(|| Frame::message(&ServerMessage::Presence(self.delta_of(pending))));
        PresenceFrames { full_list, delta }
    }

    fn delta_of(&self, pending: HashMap<Name, bool>) -> PresenceDelta {
        let mut delta = PresenceDelta::default();
        for (email, profile_changed) in pending {
            match self.members.get(&email).map(|member| &member.user) {
                None => delta.left.push(email.to_string()),
                Some(user) => match (profile_changed, user.latitude, user.longitude) {
                    (false, Some(latitude), Some(longitude)) => delta.moved.push(Move {
                        email: email.to_string(),
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
