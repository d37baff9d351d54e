//! The hub: the one shared state of the server (connections, rooms, online users) behind
//! one mutex, and every routing decision: who is online where, deliver to a user, broadcast
//! to a room. [`Hub`] is its whole API (chat's in `chat.rs`, with the store's answers
//! turned into frames by `chat_wire.rs`); its state (`state.rs`) and rooms (`room.rs`) are
//! private to it. The backplane (`--redis`, several servers as one) is handed this node's
//! changes at each tick and forwarded frames (`state/remote.rs`), and feeds the other
//! nodes' in through `apply_remote`.

mod chat;
mod chat_batch;
mod chat_wire;
mod connections;
mod names;
mod room;
mod small_map;
mod state;

pub use crate::outbox::Outbox;
pub(crate) use chat_wire::{
    conversations_frame, history_frame, refusal_error, store_conversation, store_id,
};
pub use names::ConnId;

use crate::admission::Admitted;
use crate::admission::budget::FanOut;
use crate::backplane::{Backplane, Inbound};
use crate::store::WriteBehind;
use chat_batch::ChatBatches;
use shared::{Profile, ProtocolError, RawSignal, User};
use state::State;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::time::Instant;

/// Cloneable handle on the shared state. Every method is synchronous: no lock is ever held
/// across an `.await`, and nothing here waits on a socket or the store.
#[derive(Clone)]
pub struct Hub {
    state: Arc<Mutex<State>>,
    store: WriteBehind,
    /// What the chat store's writer thread gathers while it answers a batch (only that
    /// thread takes this lock), sent by `flush_chat` under one hub lock.
    chat_batches: Arc<Mutex<ChatBatches>>,
}

impl Hub {
    pub fn new(store: WriteBehind) -> Self {
        Self {
            state: Arc::new(Mutex::new(State::new())),
            store,
            chat_batches: Arc::default(),
        }
    }

    /// The hub where seed clients see a room's lists only once registered.
    pub(crate) fn with_lists_after_registering(self, gated: bool) -> Self {
        self.lock().set_lists_after_registering(gated);
        self
    }

    /// The hub whose rooms of more than `users` send their presence every few ticks
    /// (see [`crate::config::PresenceConfig::room_users_per_tick`]).
    pub(crate) fn with_room_users_per_tick(self, users: usize) -> Self {
        self.lock().set_room_users_per_tick(users);
        self
    }

    /// The hub joined to other nodes through `backplane` (`--redis`): its members'
    /// changes go out once per tick, frames for members elsewhere are forwarded.
    pub(crate) fn with_backplane(self, backplane: Backplane) -> Self {
        self.lock().set_backplane(backplane);
        self
    }

    /// Applies what another node sent: its presence merged into the rooms' next tick, a
    /// frame it forwarded queued to its recipients here.
    pub(crate) fn apply_remote(&self, inbound: Inbound) {
        self.lock().apply_remote(inbound);
    }

    /// The state, even if a thread panicked while holding the lock: every method leaves it
    /// consistent before it can panic, so the data is still good.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether `email` has an open registered connection, in any room; with
    /// `across_nodes`, on any node of the cluster.
    pub fn is_online(&self, email: &str, across_nodes: bool) -> bool {
        self.lock().is_online(email, across_nodes)
    }

    /// Adds a connection to a room. A client without the delta subprotocol gets the room's
    /// `update-users` list at once, as the seed did.
    pub fn connect(&self, id: ConnId, room: String, wants_deltas: bool, outbox: Arc<Outbox>) {
        self.lock().connect(id, &room, wants_deltas, outbox);
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
        let record = state.register(id, profile, admitted)?;
        // Under the lock: the store takes a user's changes in the order the hub made them.
        self.store.record(record);
        Ok(())
    }

    /// Removes a connection. When it was its user's last one in the room, the user leaves.
    pub fn disconnect(&self, id: ConnId) {
        let mut state = self.lock();
        if let Some(record) = state.disconnect(id) {
            self.store.record(record);
        }
    }

    /// Relays a signaling or call-control message to `to`, or without one to the rest of
    /// the room, charged to `fan_out` (at `now`) before anything is queued.
    pub(crate) fn relay(
        &self,
        id: ConnId,
        signal: &RawSignal<'_>,
        fan_out: &mut FanOut,
        now: Instant,
    ) -> Result<(), ProtocolError> {
        self.lock().relay(id, signal, fan_out, now)
    }

    /// Sends every room's pending presence changes: one full list for the seed's clients
    /// and one delta for the others, each serialised once. A user's move broadcast less
    /// than `move_interval` ago stays pending (the latest position wins) and its room dirty.
    /// Returns whether it sent anything.
    pub fn flush_presence(&self, move_interval: Duration) -> bool {
        let now = Instant::now();
        self.lock().flush_presence(now, move_interval)
    }

    /// The ping tick: every connection pings its client and closes it if it went silent.
    /// One timer for the whole server instead of one per connection.
    pub fn ping_all(&self) {
        self.lock().ping_all();
    }

    /// Closes every registered connection of `email` but `keep`: its user signed their
    /// other devices out. Their tokens no longer work, so they cannot come back; tabs of
    /// the device that stays reconnect with its token.
    pub fn close_others_of(&self, email: &str, keep: ConnId) -> usize {
        self.lock().close_others_of(email, keep)
    }

    /// Shutdown: every connection, and any that connects from now on, closes with 1001.
    pub fn close_all(&self) {
        self.lock().close_all();
    }

    /// The users online in a room, sorted by name.
    pub fn online_users(&self, room: &str) -> Vec<User> {
        self.lock().online_users(room)
    }

    /// How many rooms the hub holds state for (rooms with someone in them, or with
    /// changes not yet sent).
    pub fn room_count(&self) -> usize {
        self.lock().room_count()
    }

    /// How many connections are open.
    pub fn connection_count(&self) -> usize {
        self.lock().connection_count()
    }

    /// Who is online, for the metrics: the `largest` rooms by users online, the others
    /// summed.
    pub fn census(&self, largest: usize) -> crate::telemetry::Census {
        self.lock().census(largest)
    }
}

#[cfg(test)]
mod tests;
