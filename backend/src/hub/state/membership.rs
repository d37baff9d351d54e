//! Who is in which room: a connection joining its room, registering as a user (a member of
//! the room, welcomed with the room's snapshot), and leaving; and the names (`Arc<str>`)
//! the room, its connections and its members share.

use super::{State, mismatch, record_of};
use crate::admission::Admitted;
use crate::hub::names::{ConnId, Name};
use crate::hub::room::Room;
use crate::outbox::{Closed, Outbox};
use crate::store::UserRecord;
use shared::{ErrorCode, IceServer, Profile, ProtocolError, User, Welcome};
use std::sync::Arc;

impl State {
    /// Adds a connection to a room. A client without the delta subprotocol gets the room's
    /// `update-users` list at once, as the seed did.
    pub fn connect(&mut self, id: ConnId, room: &str, wants_deltas: bool, outbox: Arc<Outbox>) {
        if self.shutting_down {
            outbox.close(Closed::ServerShutdown);
        }
        // The room's shared name: `join_room` finds the same one, with nothing to allocate.
        let (name, _) = self.room_entry(room);
        self.connections.open(id, name, wants_deltas, outbox);
        self.join_room(id, room);
    }

    /// Registers the connection as a user (first call, `admitted` by the access rules) or
    /// updates the user's name and position; returns what the store keeps of the user.
    /// Everyone in the room learns of it at the next presence tick.
    pub fn register(
        &mut self,
        id: ConnId,
        profile: Profile,
        admitted: Option<&Admitted>,
    ) -> Result<UserRecord, ProtocolError> {
        let Registration {
            first,
            room,
            token,
            ice_servers,
        } = self.registration(id, &profile, admitted)?;
        let Some(connection) = self.connections.get(id) else {
            return Err(gone());
        };
        let wants_deltas = connection.wants_deltas();
        if first && *room != **connection.room() {
            self.leave_room(id);
            self.join_room(id, &room);
        }
        let email = self.email_name(&profile.email);
        let user = self.upsert_member(id, &room, &email, &profile);
        if first {
            *self.connections_per_email.entry(email).or_default() += 1;
            if !wants_deltas
                && self.lists_after_registering
                && let Some(room) = self.rooms.get_mut(room.as_str())
            {
                // The tick this registration triggers sends it the first list.
                room.listen_to_lists(id);
            }
        }
        let record = record_of(&user, true);
        if let Some(token) = token {
            self.welcome(id, &room, user, token, ice_servers);
        }
        Ok(record)
    }

    /// Whether the connection may register as `profile` says, and where; refused before
    /// anything changes: no presence, nothing stored.
    fn registration(
        &self,
        id: ConnId,
        profile: &Profile,
        admitted: Option<&Admitted>,
    ) -> Result<Registration, ProtocolError> {
        let connection = self.connections.get(id).ok_or_else(gone)?;
        let first = connection.email().is_none();
        if let Some(email) = connection.email()
            && **email != profile.email
        {
            return Err(mismatch(email));
        }
        let room = match (&profile.room, first) {
            (Some(room), true) => room.clone(),
            (Some(room), false) if **room != **connection.room() => {
                return Err(ProtocolError::new(
                    ErrorCode::RoomMismatch,
                    format!("this connection is in room '{}'", connection.room()),
                ));
            }
            _ => connection.room().to_string(),
        };
        let ice_servers = admitted.and_then(|admitted| admitted.ice_servers.clone());
        let token = match (first, admitted) {
            (false, _) => None,
            (true, None) => return Err(ProtocolError::new(ErrorCode::Internal, "not admitted")),
            (true, Some(admitted)) => {
                // Checked again under the lock: another connection may have registered as
                // this email while the claims were looked up.
                // Only a seed client gets here (`may_join_online` is false): its email is
                // one connection cluster-wide.
                let online = self.is_online(&profile.email, true);
                if online && !admitted.may_join_online {
                    return Err(ProtocolError::new(
                        ErrorCode::EmailInUse,
                        format!("{} is online on another connection", profile.email),
                    ));
                }
                admitted.token.clone()
            }
        };
        Ok(Registration {
            first,
            room,
            token,
            ice_servers,
        })
    }

    /// Removes a connection; returns what the store keeps of its user if that was their
    /// last connection in the room (the user left).
    pub fn disconnect(&mut self, id: ConnId) -> Option<UserRecord> {
        let left = self.leave_room(id);
        let connection = self.connections.remove(id)?;
        let email = connection.email()?;
        let still_open = match self.connections_per_email.get_mut(email) {
            Some(count) if *count > 1 => {
                *count -= 1;
                true
            }
            _ => {
                self.connections_per_email.remove(email);
                false
            }
        };
        left.map(|user| record_of(&user, still_open))
    }

    fn join_room(&mut self, id: ConnId, room_name: &str) {
        let Some(connection) = self.connections.get(id) else {
            return;
        };
        // With an access code, a seed client sees the room only once registered.
        let gated = self.lists_after_registering && connection.email().is_none();
        let lists = !connection.wants_deltas() && !gated;
        let (name, room) = self.room_entry(room_name);
        let list = lists.then(|| {
            room.listen_to_lists(id);
            room.full_list()
        });
        self.connections.move_to(id, name);
        if let Some(list) = list {
            self.connections.send(id, list);
        }
    }

    /// Takes a connection out of its room; returns the user if that was their last
    /// connection there (they left).
    fn leave_room(&mut self, id: ConnId) -> Option<User> {
        let connection = self.connections.get(id)?;
        let room_name = connection.room();
        let room = self.rooms.get_mut(room_name)?;
        let left = room.remove_connection(id, connection.email());
        if left.is_some() {
            self.dirty_rooms.insert(Name::clone(room_name));
        }
        if room.is_unused() {
            self.rooms.remove(room_name);
        }
        if let Some(email) = connection.email().filter(|_| self.backplane.is_some()) {
            let (room, email) = (Name::clone(room_name), Name::clone(email));
            self.note_local(&room, &email);
        }
        left
    }

    fn upsert_member(
        &mut self,
        id: ConnId,
        room_name: &str,
        email: &Name,
        profile: &Profile,
    ) -> User {
        let wants_deltas = self.connections.register(id, email).unwrap_or(false);
        let (name, room) = self.room_entry(room_name);
        if wants_deltas {
            room.listen_to_deltas(id);
        }
        let user = room.upsert_member(id, email, profile);
        self.note_local(&name, email);
        self.dirty_rooms.insert(name);
        user
    }

    /// The room's shared name, and the room, created if new.
    pub(super) fn room_entry(&mut self, room_name: &str) -> (Name, &mut Room) {
        let name = match self.rooms.get_key_value(room_name) {
            Some((name, _)) => Name::clone(name),
            None => Name::from(room_name),
        };
        let room = self.rooms.entry(Name::clone(&name)).or_default();
        (name, room)
    }

    /// The shared allocation of an email already online somewhere, or a new one.
    fn email_name(&self, email: &str) -> Name {
        match self.connections_per_email.get_key_value(email) {
            Some((name, _)) => Name::clone(name),
            None => Name::from(email),
        }
    }

    /// Queues a delta client's welcome: the room's snapshot, with the new member in it.
    fn welcome(
        &mut self,
        id: ConnId,
        room_name: &str,
        you: User,
        token: String,
        ice_servers: Option<Vec<IceServer>>,
    ) {
        let wants_deltas = self
            .connections
            .get(id)
            .is_some_and(|connection| connection.wants_deltas());
        let Some(room) = self.rooms.get_mut(room_name) else {
            return;
        };
        if !wants_deltas {
            return;
        }
        // A large room's snapshot comes in pieces: the welcome, then `joined` frames.
        let snapshot = room.snapshot();
        let welcome = snapshot.welcome(Welcome {
            you,
            room: room_name.to_owned(),
            users: Vec::new(),
            token,
            ice_servers,
        });
        self.connections
            .send_snapshot(id, welcome, Arc::clone(&snapshot.rest));
    }
}

/// What a registration is, once allowed: the first of its connection or not, in which
/// room, and with which session token and TURN credentials for the welcome.
struct Registration {
    first: bool,
    room: String,
    token: Option<String>,
    ice_servers: Option<Vec<IceServer>>,
}

fn gone() -> ProtocolError {
    ProtocolError::new(ErrorCode::Internal, "this connection is closing")
}
