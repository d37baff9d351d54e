//! One room's presence: who is online, which connections listen, what changed since the
//! last presence tick (each user's changes broadcast at most once per presence interval),
//! and the room's budgets: its broadcast bytes and each member's inbound bytes.

use crate::admission::bucket::Level;
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
    /// Users whose presence changed since the last tick, and the largest change. Whether
    /// they are still online is read at the tick. A change other than a join or a leave
    /// stays here until its user's presence interval has passed.
    pending: HashMap<Name, Change>,
    /// Everyone online, as a new member's welcome lists them; built at most once between
    /// two ticks that send a delta, whoever joins meanwhile.
    snapshot: Option<Snapshot>,
    /// Bytes of room chat and signals without `to` the room may still carry: every member
    /// receives them, whoever sends them (charged by `FanOut::charge`).
    pub broadcast_budget: Option<Level>,
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
    /// When this user's last change (the join included) was sent, so that a client
    /// sending moves, renames or call states as fast as it can costs the room one
    /// broadcast per presence interval.
    changed_at: Option<Instant>,
    /// Bytes of direct chat and addressed signals this user may still receive from others
    /// (charged by `FanOut::charge`).
    pub inbound_budget: Option<Level>,
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
        let joins = !self.members.contains_key(email);
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
                changed_at: None,
                inbound_budget: None,
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
    pub fn mark_changed(&mut self, email: &Name, profile: bool) {
        let change = if profile {
            Change::Profile
        } else {
            Change::Position
        };
        self.mark(email, change);
    }

    fn mark(&mut self, email: &Name, change: Change) {
        let entry = self.pending.entry(Name::clone(email)).or_insert(change);
        *entry = (*entry).max(change);
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

    /// Drains the pending changes due at `now` into the frames of this tick. Joins and
    /// leaves are always due; any other change of a user (a move, a rename, the call
    /// state) only once `interval` has passed since the user's last change was sent (their
    /// join included), and until then it stays pending: the latest state is read when it
    /// is sent.
    pub fn take_presence_frames(&mut self, now: Instant, interval: Duration) -> PresenceFrames {
        let members = &mut self.members;
        let pending: HashMap<Name, Change> = self
            .pending
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

    fn delta_of(&self, pending: HashMap<Name, Change>) -> PresenceDelta {
        let mut delta = PresenceDelta::default();
        for (email, change) in pending {
            match self.members.get(&email).map(|member| &member.user) {
                None => delta.left.push(email.to_string()),
                Some(user) => match (change, user.latitude, user.longitude) {
                    (Change::Position, Some(latitude), Some(longitude)) => delta.moved.push(Move {
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

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_secs(1);

    fn profile(name: &str, in_call: bool, position: (f64, f64)) -> Profile {
        Profile {
            email: "bob@example.com".into(),
            name: name.into(),
            latitude: Some(position.0),
            longitude: Some(position.1),
            is_connected: None,
            in_call: Some(in_call),
            room: None,
            access_code: None,
            token: None,
            link_code: None,
        }
    }

    /// A room with one delta listener (connection 1) and Bob.
    fn room_with_bob(bob: &Name) -> Room {
        let mut room = Room::default();
        room.delta_listeners.insert(1);
        room.upsert_member(2, bob, &profile("Bob", false, (1.0, 1.0)));
        room
    }

    /// The delta sent at `now`, if any.
    fn delta_at(room: &mut Room, now: Instant) -> Option<serde_json::Value> {
        let frames = room.take_presence_frames(now, INTERVAL);
        let frame = frames.delta?;
        let bytes = frame.as_bytes();
        let header = match bytes.get(1)? & 0x7f {
            126 => 4,
            127 => 10,
            _ => 2,
        };
        serde_json::from_slice(&bytes[header..]).ok()
    }

    #[test]
    fn renames_call_states_and_moves_share_one_broadcast_per_interval_and_the_latest_wins() {
        let start = Instant::now();
        let bob = Name::from("bob@example.com");
        let mut room = room_with_bob(&bob);
        let joined = delta_at(&mut room, start).expect("the join at once");
        assert_eq!(joined["joined"][0]["name"], "Bob");
        // A rename, a call, a move: all held within the interval after the join.
        room.upsert_member(2, &bob, &profile("Robert", true, (2.0, 2.0)));
        room.upsert_member(2, &bob, &profile("Bob", false, (3.0, 3.0)));
        room.upsert_member(2, &bob, &profile("Bobby", true, (4.0, 4.0)));
        let tick = Duration::from_millis(100);
        for at in 1..10 {
            assert!(
                delta_at(&mut room, start + tick * at).is_none(),
                "held at {at}"
            );
        }
        let latest = delta_at(&mut room, start + INTERVAL).expect("due after the interval");
        assert_eq!(latest["joined"][0]["name"], "Bobby");
        assert_eq!(latest["joined"][0]["inCall"], true);
        assert_eq!(latest["joined"][0]["latitude"], 4.0);
        // A move alone is a `moved`, and waits for the next interval too.
        room.upsert_member(2, &bob, &profile("Bobby", true, (5.0, 5.0)));
        assert!(delta_at(&mut room, start + INTERVAL + tick).is_none());
        let moved = delta_at(&mut room, start + INTERVAL * 2).expect("the move");
        assert_eq!(moved["moved"][0][1], 5.0);
    }

    #[test]
    fn joins_and_leaves_are_never_held() {
        let start = Instant::now();
        let bob = Name::from("bob@example.com");
        let mut room = room_with_bob(&bob);
        delta_at(&mut room, start).expect("the join");
        room.upsert_member(2, &bob, &profile("Robert", false, (1.0, 1.0)));
        let carol = Name::from("carol@example.com");
        let mut carol_profile = profile("Carol", false, (1.0, 1.0));
        carol_profile.email = carol.to_string();
        room.upsert_member(3, &carol, &carol_profile);
        let soon = start + Duration::from_millis(100);
        let delta = delta_at(&mut room, soon).expect("carol's join at once");
        assert_eq!(delta["joined"].as_array().map(Vec::len), Some(1), "{delta}");
        assert_eq!(delta["joined"][0]["name"], "Carol");
        // Bob leaves while his rename is held: the leave goes at once.
        room.members.remove(&bob);
        room.mark_changed(&bob, true);
        let left = delta_at(&mut room, soon + Duration::from_millis(100)).expect("the leave");
        assert_eq!(left["left"][0], "bob@example.com");
    }
}
