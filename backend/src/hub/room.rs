//! One room's presence: who is online, which connections listen, what changed since the
//! last presence tick (each user's changes broadcast at most once per presence interval),
//! and the room's budgets: its broadcast bytes and each member's inbound bytes.

use super::names::{ConnId, Name};
use super::small_map::SmallMap;
use crate::admission::bucket::LevelSlot;
use crate::admission::budget::Passes;
use crate::backplane::NodeId;
use crate::frame::Frame;
use foldhash::HashMap;
use shared::{Move, PresenceDelta, Profile, ServerMessage, User};
use smallvec::SmallVec;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

mod remote;
mod snapshot;
pub(super) use snapshot::Snapshot;

/// The state of one room. Owned by the hub's `State`; never locked on its own.
#[derive(Debug, Default)]
pub(super) struct Room {
    /// Online users by email, each with its open connections in this room (one per tab).
    /// Boxed: the table keeps room for twice its entries, so an entry is kept small. A
    /// room of one (most rooms are private) holds its member inline, and its listener.
    members: SmallMap<Name, Box<Member>>,
    /// Connections that receive the seed's full `update-users` lists, registered or not.
    list_listeners: SmallMap<ConnId, ()>,
    /// Registered connections that receive `presence` deltas.
    delta_listeners: SmallMap<ConnId, ()>,
    /// Users whose presence changed since the last tick, and the largest change. Whether
    /// they are still online is read at the tick. A change other than a join or a leave
    /// stays here until its user's presence interval has passed. Boxed, and only while
    /// something is pending: an idle room holds a pointer.
    pending: Option<Box<HashMap<Name, Change>>>,
    /// Everyone online, as a new member's welcome lists them; built at most once between
    /// two ticks that send a delta, whoever joins meanwhile.
    snapshot: Option<Arc<Snapshot>>,
    /// Bytes of room chat and signals without `to` the room may still carry: every member
    /// receives them, whoever sends them (charged by `FanOut::charge`).
    pub broadcast_budget: LevelSlot,
}

/// What changed about a user since the last tick; a larger change takes in a smaller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    /// Only the position: a `moved` entry.
    Position,
    /// The name or the call state: a `joined` entry with the whole user.
    Profile,
    /// Joined the room (or left it): never delayed.
    Membership,
}

/// A member: their user record but the email, which is the member's key in the room.
#[derive(Debug)]
struct Member {
    name: String,
    position: Option<(f64, f64)>,
    in_call: bool,
    /// One per tab: the first inline.
    connections: SmallVec<[ConnId; 1]>,
    /// When this user's last change (the join included) was sent, so that a client
    /// sending moves, renames or call states as fast as it can costs the room one
    /// broadcast per presence interval.
    changed_at: Option<Instant>,
    /// Bytes of direct chat and addressed signals this user may still receive from others
    /// (charged by `FanOut::charge`).
    inbound_budget: LevelSlot,
    /// Whether anyone may have been told of this user being here: a snapshot, a full list
    /// or a delta listed them. A user who leaves unseen (in and out within one tick, say)
    /// is dropped from the next delta rather than sent as `left` to everyone.
    seen: bool,
    /// The other nodes holding this user in the room (the backplane); `None` on a node
    /// alone, and for members only this node holds.
    /// (A boxed slice: two words, changed only when another node joins or leaves.)
    remote: Option<Box<[NodeId]>>,
}

impl Member {
    /// A member with no connection here yet, no change sent, seen by nobody.
    fn new(name: String, position: Option<(f64, f64)>, in_call: bool) -> Self {
        Self {
            name,
            position,
            in_call,
            connections: SmallVec::new(),
            changed_at: None,
            inbound_budget: None,
            seen: false,
            remote: None,
        }
    }

    /// The member's user record, registered as `email`.
    fn user(&self, email: &str) -> User {
        User {
            name: self.name.clone(),
            email: email.to_owned(),
            latitude: self.position.map(|(latitude, _)| latitude),
            longitude: self.position.map(|(_, longitude)| longitude),
            is_connected: true,
            in_call: self.in_call,
        }
    }
}

/// What a presence tick sends: each frame is serialised once for all its recipients.
pub(super) struct PresenceFrames {
    pub full_list: Option<Frame>,
    /// The tick's delta, in one frame: a client gets one `presence` frame per tick,
    /// however many changed. (Frames are written from shared bytes, so a large one costs no
    /// connection a buffer; only a welcome is paged, so that its pages can be shared.)
    pub delta: Option<Frame>,
}

impl Room {
    /// Nobody is in the room: no member, no listener.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.list_listeners.is_empty() && self.delta_listeners.is_empty()
    }

    /// Nothing is kept for the room: nobody is in it and no change waits for a tick.
    pub fn is_unused(&self) -> bool {
        self.is_empty() && !self.has_pending()
    }

    /// Makes the connection a listener of the room's full `update-users` lists.
    pub fn listen_to_lists(&mut self, id: ConnId) {
        self.list_listeners.insert(id, ());
    }

    /// Makes the connection a listener of the room's `presence` deltas.
    pub fn listen_to_deltas(&mut self, id: ConnId) {
        self.delta_listeners.insert(id, ());
    }

    /// The connections that receive the full lists.
    pub fn list_listeners(&self) -> impl Iterator<Item = ConnId> {
        self.list_listeners.keys().copied()
    }

    /// The connections that receive the deltas.
    pub fn delta_listeners(&self) -> impl Iterator<Item = ConnId> {
        self.delta_listeners.keys().copied()
    }

    /// The seed's full list of the room, as a frame.
    pub fn full_list(&mut self) -> Frame {
        Frame::message(&ServerMessage::UpdateUsers {
            users: self.users_seen(),
        })
    }

    /// Takes a connection out of the room, registered as `email` or not; returns the user
    /// if that was their last connection here (they left, which the next tick says,
    /// unless another node holds them too).
    pub fn remove_connection(&mut self, id: ConnId, email: Option<&Name>) -> Option<User> {
        self.list_listeners.remove(&id);
        self.delta_listeners.remove(&id);
        let email = email?;
        let member = self.members.get_mut(email)?;
        member.connections.retain(|c| *c != id);
        if !member.connections.is_empty() {
            return None;
        }
        if member.remote.is_some() {
            // The user left this node but another holds them: they stay in the room.
            return Some(member.user(email));
        }
        let left = self.members.remove(email)?;
        self.mark_left(email, left.seen);
        Some(left.user(email))
    }

    /// The name of the member registered as `email`.
    pub fn name_of(&self, email: &str) -> Option<&str> {
        self.members.get(email).map(|member| member.name.as_str())
    }

    /// The connections of the member registered as `email`, if they are in the room.
    pub fn connections_of(&self, email: &str) -> Option<&[ConnId]> {
        self.members
            .get(email)
            .map(|member| member.connections.as_slice())
    }

    /// The budget a frame to `target`, or without one to the whole room, passes through;
    /// `None` if `target` is not in the room.
    pub fn passes<'a>(&'a mut self, target: Option<&'a str>) -> Option<Passes<'a>> {
        match target {
            Some(target) => {
                let member = self.members.get_mut(target)?;
                Some(Passes::DirectedTo(target, &mut member.inbound_budget))
            }
            None => Some(Passes::RoomBroadcast(&mut self.broadcast_budget)),
        }
    }

    /// Adds the connection to its user, creating the user, and applies the profile's name,
    /// call state and position (a profile without a position keeps the last one).
    pub fn upsert_member(&mut self, id: ConnId, email: &Name, profile: &Profile) -> User {
        let joins = !self.members.contains_key(email);
        // A change of this email still pending (a leave, say) was seen by whoever will
        // receive it: a rejoin within the tick is then seen too.
        let seen = self.pending.as_ref().is_some_and(|p| p.contains_key(email));
        let member = self.members.get_or_insert_with(Name::clone(email), || {
            Box::new(Member {
                seen,
                ..Member::new(String::new(), None, false)
            })
        });
        if !member.connections.contains(&id) {
            member.connections.push(id);
        }
        let in_call = profile.in_call.unwrap_or(member.in_call);
        let profile_changed = member.name != profile.name || member.in_call != in_call;
        member.name.clone_from(&profile.name);
        member.in_call = in_call;
        if let Some(position) = profile.latitude.zip(profile.longitude) {
            member.position = Some(position);
        }
        let user = member.user(email);
        let change = match (joins, profile_changed) {
            (true, _) => Change::Membership,
            (false, true) => Change::Profile,
            (false, false) => Change::Position,
        };
        self.mark(email, change);
        user
    }

    /// Marks a user's presence as changed; `profile` is true for a leave or a rename (a
    /// user who is gone at the tick is sent as `left` at once).
    fn mark_changed(&mut self, email: &Name, profile: bool) {
        let change = if profile {
            Change::Profile
        } else {
            Change::Position
        };
        self.mark(email, change);
    }

    /// A member left: the next tick says so if anyone was told of them.
    fn mark_left(&mut self, email: &Name, seen: bool) {
        if seen {
            self.mark_changed(email, true);
        } else {
            // Nobody was told of the join: nobody needs to hear of the leave.
            self.forget_pending(email);
        }
    }

    fn mark(&mut self, email: &Name, change: Change) {
        let pending = self.pending.get_or_insert_default();
        let entry = pending.entry(Name::clone(email)).or_insert(change);
        *entry = (*entry).max(change);
    }

    /// Drops `email`'s pending change, and the table once it is empty.
    fn forget_pending(&mut self, email: &str) {
        if let Some(pending) = &mut self.pending {
            pending.remove(email);
            if pending.is_empty() {
                self.pending = None;
            }
        }
    }

    pub fn has_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Everyone online, paged for a welcome (see [`Snapshot`]).
    pub fn snapshot(&mut self) -> Arc<Snapshot> {
        if let Some(snapshot) = &self.snapshot {
            return Arc::clone(snapshot);
        }
        let snapshot = Arc::new(Snapshot::of(self.users_seen()));
        self.snapshot = Some(Arc::clone(&snapshot));
        snapshot
    }

    /// How many users are online in the room.
    pub fn user_count(&self) -> usize {
        self.members.len()
    }

    /// Every online user, sorted by name then email so that lists are stable.
    pub fn users(&self) -> Vec<User> {
        sorted_users(&self.members)
    }

    /// [`Room::users`], for a list sent to clients: each of them is then seen.
    fn users_seen(&mut self) -> Vec<User> {
        for member in self.members.values_mut() {
            member.seen = true;
        }
        self.users()
    }

    /// Every registered connection in the room, with the email it registered.
    pub fn registered_connections(&self) -> impl Iterator<Item = (&str, ConnId)> {
        self.members
            .iter()
            .flat_map(|(email, member)| member.connections.iter().map(move |c| (&**email, *c)))
    }

    /// Drains the pending changes due at `now` into the frames of this tick. Joins and
    /// leaves are always due; any other change of a user (a move, a rename, the call
    /// state) only once `interval` has passed since the user's last change was sent (their
    /// join included), and until then it stays pending: the latest state is read when it
    /// is sent.
    pub fn take_presence_frames(&mut self, now: Instant, interval: Duration) -> PresenceFrames {
        let members = &mut self.members;
        let Some(waiting) = &mut self.pending else {
            return PresenceFrames {
                full_list: None,
                delta: None,
            };
        };
        let pending: HashMap<Name, Change> = waiting
            .extract_if(|email, change| {
                let Some(member) = members.get_mut(email) else {
                    return true;
                };
                let held = member
                    .changed_at
                    .is_some_and(|sent| now.saturating_duration_since(sent) < interval);
                if held && *change != Change::Membership {
                    return false;
                }
                member.changed_at = Some(now);
                member.seen = true;
                true
            })
            .collect();
        if waiting.is_empty() {
            // Drained: an idle room holds no table.
            self.pending = None;
        }
        if pending.is_empty() {
            return PresenceFrames {
                full_list: None,
                delta: None,
            };
        }
        // Whoever joins after this tick no longer gets these changes as a delta.
        self.snapshot = None;
        let full_list = (!self.list_listeners.is_empty()).then(|| self.full_list());
        let delta = (!self.delta_listeners.is_empty())
            .then(|| Frame::message(&ServerMessage::Presence(self.delta_of(pending))));
        PresenceFrames { full_list, delta }
    }

    fn delta_of(&self, pending: HashMap<Name, Change>) -> PresenceDelta {
        let mut delta = PresenceDelta::default();
        for (email, change) in pending {
            match self.members.get(&email) {
                None => delta.left.push(email.to_string()),
                Some(member) => match (change, member.position) {
                    (Change::Position, Some((latitude, longitude))) => delta.moved.push(Move {
                        email: email.to_string(),
                        latitude,
                        longitude,
                    }),
                    _ => delta.joined.push(member.user(&email)),
                },
            }
        }
        delta
    }
}

/// The users of `members`, sorted by name then email.
fn sorted_users(members: &SmallMap<Name, Box<Member>>) -> Vec<User> {
    let mut users: Vec<User> = members.iter().map(|(email, m)| m.user(email)).collect();
    users.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.email.cmp(&b.email)));
    users
}

#[cfg(test)]
#[path = "room_tests.rs"]
mod tests;
