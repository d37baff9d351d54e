//! Every open connection the hub knows: its room, the email it registered, and its outbox,
//! through which the hub queues frames, pings and closes it.

use super::names::{ConnId, Name};
use crate::frame::Frame;
use crate::outbox::{Closed, Outbox, Pushed};
use foldhash::HashMap;
use std::sync::Arc;

/// The open connections by number.
#[derive(Default)]
pub(super) struct Connections(HashMap<ConnId, Connection>);

/// One open connection.
pub(super) struct Connection {
    outbox: Arc<Outbox>,
    room: Name,
    /// Set by the first `add-user`/`update-user` and never changed after.
    email: Option<Name>,
    wants_deltas: bool,
}

impl Connection {
    pub fn room(&self) -> &Name {
        &self.room
    }

    /// The email it registered, once it has.
    pub fn email(&self) -> Option<&Name> {
        self.email.as_ref()
    }

    /// Whether it gets presence as a welcome and deltas (the subprotocol), not as lists.
    pub fn wants_deltas(&self) -> bool {
        self.wants_deltas
    }
}

impl Connections {
    pub fn open(&mut self, id: ConnId, room: Name, wants_deltas: bool, outbox: Arc<Outbox>) {
        let connection = Connection {
            outbox,
            room,
            email: None,
            wants_deltas,
        };
        self.0.insert(id, connection);
    }

    pub fn get(&self, id: ConnId) -> Option<&Connection> {
        self.0.get(&id)
    }

    pub fn remove(&mut self, id: ConnId) -> Option<Connection> {
        self.0.remove(&id)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Moves the connection to the room named `room`.
    pub fn move_to(&mut self, id: ConnId, room: Name) {
        if let Some(connection) = self.0.get_mut(&id) {
            connection.room = room;
        }
    }

    /// Binds the connection to `email`; returns whether it wants deltas, or `None` if the
    /// connection is gone.
    pub fn register(&mut self, id: ConnId, email: &Name) -> Option<bool> {
        let connection = self.0.get_mut(&id)?;
        connection.email = Some(Name::clone(email));
        Some(connection.wants_deltas)
    }

    /// Queues a frame for one connection. A full outbox (in frames or in bytes) means the
    /// client stopped reading: it is kicked rather than waited for or allowed to grow.
    pub fn send(&self, id: ConnId, frame: Frame) {
        self.queue(id, |outbox| outbox.push(frame, true));
    }

    pub fn send_to_all(&self, ids: impl IntoIterator<Item = ConnId>, frame: &Frame) {
        for id in ids {
            self.send(id, frame.clone());
        }
    }

    /// Queues a new member's snapshot: its welcome, then the room's pages shared with
    /// every other new member. Its size is the room's, not the client's doing, so only the
    /// frame count bounds it, not the byte bound.
    pub fn send_snapshot(&self, id: ConnId, welcome: Frame, pages: Arc<[Frame]>) {
        self.queue(id, |outbox| outbox.push(welcome, false));
        self.queue(id, |outbox| outbox.push_shared(pages));
    }

    fn queue(&self, id: ConnId, push: impl FnOnce(&Outbox) -> Pushed) {
        let Some(connection) = self.0.get(&id) else {
            return;
        };
        if let Pushed::Kicked { queued_bytes } = push(&connection.outbox) {
            log::warn!(
                "conn={id} outbox full ({queued_bytes} bytes queued): closing a client that does not read"
            );
        }
    }

    /// The ping tick: every connection pings its client and closes it if it went silent.
    pub fn ping_all(&self) {
        for connection in self.0.values() {
            connection.outbox.ping();
        }
    }

    /// Closes every connection for `reason`.
    pub fn close_all(&self, reason: Closed) {
        for connection in self.0.values() {
            connection.outbox.close(reason);
        }
    }

    /// Closes every connection registered as `email` but `keep`; returns how many.
    pub fn close_others_of(&self, email: &str, keep: ConnId, reason: Closed) -> usize {
        let others = self
            .0
            .iter()
            .filter(|(id, connection)| **id != keep && connection.email.as_deref() == Some(email));
        others
            .map(|(_, connection)| connection.outbox.close(reason))
            .count()
    }
}
