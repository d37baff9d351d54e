//! Who is in which room, in the hub's state: a connection joining and leaving its room, a
//! registered connection becoming a member, the names shared by all of them, and the
//! welcome snapshot a new member gets.

use crate::frame::Frame;
use crate::hub::room::Room;
use crate::hub::{ConnId, Name, State};
use shared::{Profile, ServerMessage, User, Welcome};

impl State {
    pub(crate) fn join_room(&mut self, id: ConnId, room_name: &str) {
        let Some(connection) = self.connections.get(&id) else {
            return;
        };
        // With an access code, a seed client sees the room only once registered.
        let gated = self.lists_after_registering && connection.email.is_none();
        let lists = !connection.wants_deltas && !gated;
        let (name, room) = self.room_entry(room_name);
        let list = lists.then(|| {
            room.list_listeners.insert(id);
            Frame::message(&ServerMessage::UpdateUsers {
                users: room.users(),
            })
        });
        if let Some(connection) = self.connections.get_mut(&id) {
            connection.room = name;
        }
        if let Some(list) = list {
            self.send(id, list);
        }
    }

    /// Makes a registered seed client a listener of its room's lists: the tick its
    /// registration triggers sends it the first.
    pub(crate) fn listen_to_lists(&mut self, id: ConnId, room_name: &str) {
        if let Some(room) = self.rooms.get_mut(room_name) {
            room.list_listeners.insert(id);
        }
    }

    /// Takes a connection out of its room; returns the user if that was their last
    /// connection there (they left).
    pub(crate) fn leave_room(&mut self, id: ConnId) -> Option<User> {
        let connection = self.connections.get(&id)?;
        let room_name = Name::clone(&connection.room);
        let email = connection.email.clone();
        let room = self.rooms.get_mut(&room_name)?;
        room.list_listeners.remove(&id);
        room.delta_listeners.remove(&id);
        let mut left = None;
        if let Some(email) = email
            && let Some(member) = room.members.get_mut(&email)
        {
            member.connections.retain(|c| *c != id);
            if member.connections.is_empty() {
                left = room.members.remove(&email).map(|m| m.user);
                room.mark_changed(&email, true);
                self.dirty_rooms.insert(Name::clone(&room_name));
            }
        }
        if room.is_empty() && !room.has_pending() {
            self.rooms.remove(&room_name);
        }
        left
    }

    pub(crate) fn upsert_member(
        &mut self,
        id: ConnId,
        room_name: &str,
        email: &Name,
        profile: &Profile,
    ) -> User {
        let wants_deltas = match self.connections.get_mut(&id) {
            Some(connection) => {
                connection.email = Some(Name::clone(email));
                connection.wants_deltas
            }
            None => false,
        };
        let (name, room) = self.room_entry(room_name);
        if wants_deltas {
            room.delta_listeners.insert(id);
        }
        let user = room.upsert_member(id, email, profile);
        self.dirty_rooms.insert(name);
        user
    }

    /// The room's shared name, and the room, created if new.
    pub(crate) fn room_entry(&mut self, room_name: &str) -> (Name, &mut Room) {
        let name = match self.rooms.get_key_value(room_name) {
            Some((name, _)) => Name::clone(name),
            None => Name::from(room_name),
        };
        let room = self.rooms.entry(Name::clone(&name)).or_default();
        (name, room)
    }

    /// The shared allocation of an email already online somewhere, or a new one.
    pub(crate) fn email_name(&self, email: &str) -> Name {
        match self.connections_per_email.get_key_value(email) {
            Some((name, _)) => Name::clone(name),
            None => Name::from(email),
        }
    }

    pub(crate) fn welcome(&mut self, id: ConnId, room_name: &str, you: User, token: String) {
        let wants_deltas = self.connections.get(&id).is_some_and(|c| c.wants_deltas);
        let Some(room) = self.rooms.get_mut(room_name) else {
            return;
        };
        if !wants_deltas {
            return;
        }
        // A large room's snapshot comes in pieces: the welcome, then `joined` frames.
        let snapshot = room.snapshot();
        let mut users = snapshot.first_page;
        if !users.iter().any(|user| user.email == you.email) {
            // The snapshot predates this member (or lists them on a later page): the
            // welcome lists them anyway, in name order.
            let at =
                users.partition_point(|user| (&user.name, &user.email) < (&you.name, &you.email));
            users.insert(at, you.clone());
        }
        let welcome = Welcome {
            you,
            room: room_name.to_owned(),
            users,
            token,
        };
        let welcome = Frame::message(&ServerMessage::Welcome(welcome));
        self.send_snapshot(id, welcome, snapshot.rest);
    }
}
