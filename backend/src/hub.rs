//! The hub: the one shared state of the server (connections, rooms, online users) behind
//! one mutex, and every routing decision: who is online where, deliver to a user, broadcast
//! to a room. A pub/sub backplane for several servers slots in behind these methods.

use crate::admission::Admitted;
pub use crate::outbox::Outbox;
use crate::room::Room;
use crate::store::{UserRecord, WriteBehind};
use shared::{ErrorCode, Profile, ProtocolError, User};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// A connection's number, given at accept and unique for the server's run; it appears in
/// every log line about the connection.
pub type ConnId = u64;

/// A room name or an email held in several places (the room's key, each connection, the
/// member): one shared allocation instead of a copy in each.
pub type Name = Arc<str>;

pub use crate::frame::Frame;

/// Cloneable handle on the shared state. Every method is synchronous: no lock is ever held
/// across an `.await`, and nothing here waits on a socket or the store.
#[derive(Clone)]
pub struct Hub {
    state: Arc<Mutex<State>>,
    store: WriteBehind,
}

pub(crate) struct State {
    pub connections: HashMap<ConnId, Connection>,
    pub rooms: HashMap<Name, Room>,
    /// Rooms with presence changes not yet sent, so that a tick skips idle rooms.
    pub dirty_rooms: HashSet<Name>,
    /// Open registered connections per email, over all rooms: a user is stored as
    /// disconnected only when the last one closes.
    pub connections_per_email: HashMap<Name, usize>,
    pub next_chat_id: u64,
    /// Set at shutdown: a connection that completes its handshake now is closed at once.
    pub shutting_down: bool,
    /// Seed clients get the room's lists only once registered (the server has an access
    /// code: nobody sees a position before being let in).
    pub lists_after_registering: bool,
}

pub(crate) struct Connection {
    pub outbox: Arc<Outbox>,
    pub room: Name,
    /// Set by the first `add-user`/`update-user` and never changed after.
    pub email: Option<Name>,
    pub wants_deltas: bool,
}

impl Hub {
    pub fn new(store: WriteBehind) -> Self {
        let state = State {
            connections: HashMap::new(),
            rooms: HashMap::new(),
            dirty_rooms: HashSet::new(),
            connections_per_email: HashMap::new(),
            next_chat_id: 1,
            shutting_down: false,
            lists_after_registering: false,
        };
        Self {
            state: Arc::new(Mutex::new(state)),
            store,
        }
    }

    /// The hub where seed clients see a room's lists only once registered.
    pub(crate) fn with_lists_after_registering(self, gated: bool) -> Self {
        self.lock().lists_after_registering = gated;
        self
    }

    /// Whether `email` has an open registered connection, in any room.
    pub fn is_online(&self, email: &str) -> bool {
        self.lock().connections_per_email.contains_key(email)
    }

    /// The state, even if a thread panicked while holding the lock: every method leaves it
    /// consistent before it can panic, so the data is still good.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a connection to a room. A client without the delta subprotocol gets the room's
    /// `update-users` list at once, as the seed did.
    pub fn connect(&self, id: ConnId, room: String, wants_deltas: bool, outbox: Arc<Outbox>) {
        let mut state = self.lock();
        if state.shutting_down {
            outbox.close(crate::outbox::Closed::ServerShutdown);
        }
        // The room's shared name: `join_room` finds the same one, with nothing to allocate.
        let (name, _) = state.room_entry(&room);
        let connection = Connection {
            outbox,
            room: name,
            email: None,
            wants_deltas,
        };
        state.connections.insert(id, connection);
        state.join_room(id, &room);
    }

    /// Registers the connection as a user (first call, `admitted` by the access rules) or
    /// updates the user's name and position. Everyone in the room learns of it at the next
    /// presence tick.
    pub(crate) fn register(
        &self,
        id: ConnId,
        profile: Profile,
        admitted: Option<&Admitted>,
    ) -> Result<(), ProtocolError> {
        let mut state = self.lock();
        let connection = state.connections.get(&id).ok_or_else(gone)?;
        let first = connection.email.is_none();
        if let Some(email) = &connection.email
            && **email != profile.email
        {
            return Err(mismatch(email));
        }
        let room = match (&profile.room, first) {
            (Some(room), true) => room.clone(),
            (Some(room), false) if **room != *connection.room => {
                return Err(ProtocolError::new(
                    ErrorCode::RoomMismatch,
                    format!("this connection is in room '{}'", connection.room),
                ));
            }
            _ => connection.room.to_string(),
        };
        let wants_deltas = connection.wants_deltas;
        let token = match (first, admitted) {
            (false, _) => None,
            (true, None) => return Err(ProtocolError::new(ErrorCode::Internal, "not admitted")),
            (true, Some(admitted)) => {
                // Checked again under the lock: another connection may have registered as
                // this email while the claims were looked up. Refused before anything
                // changes: no presence, nothing stored.
                let online = state
                    .connections_per_email
                    .contains_key(profile.email.as_str());
                if online && !admitted.may_join_online {
                    return Err(ProtocolError::new(
                        ErrorCode::EmailInUse,
                        format!("{} is online on another connection", profile.email),
                    ));
                }
                admitted.token.clone()
            }
        };
        if first && *room != *connection.room {
            state.leave_room(id);
            state.join_room(id, &room);
        }
        let email = state.email_name(&profile.email);
        let user = state.upsert_member(id, &room, &email, &profile);
        if first {
            *state.connections_per_email.entry(email).or_default() += 1;
            if !wants_deltas && state.lists_after_registering {
                state.listen_to_lists(id, &room);
            }
        }
        self.store.record(record_of(&user, true));
        if let Some(token) = token {
            state.welcome(id, &room, user, token);
        }
        Ok(())
    }

    /// Removes a connection. When it was its user's last one in the room, the user leaves.
    pub fn disconnect(&self, id: ConnId) {
        let mut state = self.lock();
        let left = state.leave_room(id);
        let Some(connection) = state.connections.remove(&id) else {
            return;
        };
        let Some(email) = connection.email else {
            return;
        };
        let still_open = match state.connections_per_email.get_mut(&email) {
            Some(count) if *count > 1 => {
                *count -= 1;
                true
            }
            _ => {
                state.connections_per_email.remove(&email);
                false
            }
        };
        if let Some(user) = left {
            self.store.record(record_of(&user, still_open));
        }
    }

    /// Sends every room's pending presence changes: one full list for the seed's clients
    /// and one delta for the others, each serialised once. A user's move broadcast less
    /// than `move_interval` ago stays pending (the latest position wins) and its room dirty.
    /// Returns whether it sent anything.
    pub fn flush_presence(&self, move_interval: Duration) -> bool {
        let now = Instant::now();
        let mut state = self.lock();
        let mut still_dirty = Vec::new();
        let mut sent = false;
        for room_name in std::mem::take(&mut state.dirty_rooms) {
            let Some(room) = state.rooms.get_mut(&room_name) else {
                continue;
            };
            let frames = room.take_presence_frames(now, move_interval);
            if room.has_pending() {
                still_dirty.push(room_name.clone());
            }
            let list_listeners: Vec<ConnId> = room.list_listeners.iter().copied().collect();
            let delta_listeners: Vec<ConnId> = room.delta_listeners.iter().copied().collect();
            sent |= frames.full_list.is_some() || frames.delta.is_some();
            if let Some(list) = frames.full_list {
                state.send_to_all(&list_listeners, list);
            }
            if let Some(delta) = frames.delta {
                state.send_to_all(&delta_listeners, delta);
            }
            // Rooms are named by clients: one nobody is in must not outlive its last tick.
            if state.rooms.get(&room_name).is_some_and(Room::is_empty) {
                state.rooms.remove(&room_name);
            }
        }
        state.dirty_rooms.extend(still_dirty);
        sent
    }

    /// The users online in a room, sorted by name.
    pub fn online_users(&self, room: &str) -> Vec<User> {
        self.lock()
            .rooms
            .get(room)
            .map(Room::users)
            .unwrap_or_default()
    }

    /// How many rooms the hub holds state for (rooms with someone in them, or with
    /// changes not yet sent).
    pub fn room_count(&self) -> usize {
        self.lock().rooms.len()
    }

    /// How many connections are open.
    pub fn connection_count(&self) -> usize {
        self.lock().connections.len()
    }
}

fn record_of(user: &User, is_connected: bool) -> UserRecord {
    UserRecord {
        email: user.email.clone(),
        name: user.name.clone(),
        latitude: user.latitude,
        longitude: user.longitude,
        is_connected,
        last_seen_ms: now_ms(),
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn gone() -> ProtocolError {
    ProtocolError::new(ErrorCode::Internal, "this connection is closing")
}

pub(crate) fn mismatch(registered: &str) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::EmailMismatch,
        format!("this connection is registered as {registered}"),
    )
}

#[cfg(test)]
#[path = "hub_tests.rs"]
mod tests;
