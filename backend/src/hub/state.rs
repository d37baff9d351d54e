//! The hub's one shared state: every open connection, every room, who is online where.
//! Its fields are private to this module and its children, which hold every method that
//! changes it: `membership` (connecting, registering, leaving), `routing` (signals),
//! `chat` (who may send, who gets a stored message, a receipt or a typing hint),
//! `presence` (the tick) and `remote` (the other nodes, through the backplane). Rooms are asked, never reached into.

mod chat;
mod membership;
mod presence;
mod remote;
mod routing;

use super::connections::Connections;
use super::names::{ConnId, Name};
use super::room::Room;
use crate::backplane::Backplane;
use crate::outbox::Closed;
use crate::store::UserRecord;
use crate::telemetry::Census;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use shared::{ErrorCode, ProtocolError, User};
use std::time::{SystemTime, UNIX_EPOCH};

/// Everything the hub knows, behind its one lock.
pub(super) struct State {
    connections: Connections,
    /// Boxed: most rooms are small and private, and the table keeps room for more
    /// entries than it holds, so an entry is kept to a pointer beside its name.
    rooms: HashMap<Name, Box<Room>>,
    /// Rooms with presence changes not yet sent, so that a tick skips idle rooms.
    dirty_rooms: HashSet<Name>,
    /// Rooms too large to send their presence at every tick, and how many ticks each
    /// still waits (`presence.rs`); only large rooms are ever here.
    paced_rooms: HashMap<Name, u32>,
    /// Past this many users a room is paced; 0: never.
    room_users_per_tick: usize,
    /// Open registered connections per email, over all rooms: a user is stored as
    /// disconnected only when the last one closes.
    connections_per_email: HashMap<Name, usize>,
    /// In how many rooms other nodes hold each email (the backplane): with the above, who
    /// is online anywhere in the cluster. Empty on a node alone.
    remote_emails: HashMap<Name, u32>,
    /// Set at shutdown: a connection that completes its handshake now is closed at once.
    shutting_down: bool,
    /// Seed clients get the room's lists only once registered (the server has an access
    /// code: nobody sees a position before being let in).
    lists_after_registering: bool,
    /// The backplane (`--redis`), and this node's members whose presence changed since
    /// the last tick, by room; both empty on a node alone.
    backplane: Option<Backplane>,
    local_changes: HashMap<Name, HashSet<Name>>,
}

impl State {
    pub fn new() -> Self {
        Self {
            connections: Connections::default(),
            rooms: HashMap::new(),
            dirty_rooms: HashSet::new(),
            paced_rooms: HashMap::new(),
            room_users_per_tick: 0,
            connections_per_email: HashMap::new(),
            remote_emails: HashMap::new(),
            shutting_down: false,
            lists_after_registering: false,
            backplane: None,
            local_changes: HashMap::new(),
        }
    }

    /// Joins this node to the others on the backplane.
    pub fn set_backplane(&mut self, backplane: Backplane) {
        self.backplane = Some(backplane);
    }

    /// Rooms of more than `users` send their presence every few ticks; 0: at every tick.
    pub fn set_room_users_per_tick(&mut self, users: usize) {
        self.room_users_per_tick = users;
    }

    /// Whether seed clients see a room's lists only once registered.
    pub fn set_lists_after_registering(&mut self, gated: bool) {
        self.lists_after_registering = gated;
    }

    /// Whether `email` has an open registered connection, in any room.
    /// `across_nodes`: or held by another node of the cluster.
    pub fn is_online(&self, email: &str, across_nodes: bool) -> bool {
        self.connections_per_email.contains_key(email)
            || (across_nodes && self.remote_emails.contains_key(email))
    }

    /// The users online in a room, sorted by name.
    pub fn online_users(&self, room: &str) -> Vec<User> {
        self.rooms
            .get(room)
            .map(|room| room.users())
            .unwrap_or_default()
    }

    /// How many rooms the hub holds state for (rooms with someone in them, or with
    /// changes not yet sent).
    pub fn room_count(&self) -> usize {
        self.rooms.len()
    }

    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// Who is online, for the metrics, with the `largest` rooms by users online.
    pub fn census(&self, largest: usize) -> Census {
        let mut rooms: Vec<(Name, usize)> = Vec::with_capacity(largest + 1);
        let mut total = 0;
        for (name, room) in &self.rooms {
            let users = room.user_count();
            total += users;
            if users == 0 || (rooms.len() == largest && rooms.last().is_some_and(|r| r.1 >= users))
            {
                continue;
            }
            let at = rooms.partition_point(|r| r.1 >= users);
            rooms.insert(at, (Name::clone(name), users));
            rooms.truncate(largest);
        }
        let listed: usize = rooms.iter().map(|r| r.1).sum();
        Census {
            connections: self.connections.len(),
            users: self.connections_per_email.len(),
            rooms: self.rooms.len(),
            largest: rooms,
            others: total - listed,
        }
    }

    /// The ping tick: every connection pings its client and closes it if it went silent.
    pub fn ping_all(&self) {
        self.connections.ping_all();
    }

    /// Closes every registered connection of `email` but `keep`: its user signed the other
    /// devices out. Returns how many.
    pub fn close_others_of(&self, email: &str, keep: ConnId) -> usize {
        self.connections
            .close_others_of(email, keep, Closed::SignedOut)
    }

    /// Shutdown: every connection, and any that connects from now on, closes with 1001.
    pub fn close_all(&mut self) {
        self.shutting_down = true;
        self.connections.close_all(Closed::ServerShutdown);
    }

    /// A room, for tests that look at what it would send.
    #[cfg(test)]
    pub fn room(&mut self, name: &str) -> Option<&mut Room> {
        self.rooms.get_mut(name).map(|room| &mut **room)
    }
}

/// What the store keeps of `user` now.
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

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn mismatch(registered: &str) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::EmailMismatch,
        format!("this connection is registered as {registered}"),
    )
}
