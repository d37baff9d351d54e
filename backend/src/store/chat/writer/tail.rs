//! What a batch writes once, just before its commit, instead of once per job: the id
//! sequence's new end, and each conversation's last message (one upsert per conversation
//! the batch posted to, not one per message).

use std::collections::HashMap;

use rusqlite::Connection;

use super::super::ids::Ids;
use super::super::messages::{conversation_of, touch_conversation};
use super::super::model::StoredMessage;

/// A batch's ids and the conversations it posted to, written by [`Tail::write`].
pub(super) struct Tail {
    pub ids: Ids,
    last: LastPosted,
}

impl Tail {
    /// A tail for the transaction just begun on `conn`.
    pub fn begin(conn: &Connection) -> rusqlite::Result<Tail> {
        Ok(Tail {
            ids: Ids::read(conn)?,
            last: LastPosted::default(),
        })
    }

    /// Records `message`, newly stored, as its conversation's last so far.
    pub fn posted(&mut self, message: &StoredMessage) {
        self.last.posted(message);
    }

    /// Writes what the batch gathered, inside its transaction.
    pub fn write(mut self, conn: &Connection) -> rusqlite::Result<()> {
        self.ids.save(conn)?;
        for (room, key, id, at) in self.last.iter() {
            touch_conversation(conn, room, key, id, at)?;
        }
        Ok(())
    }
}

/// The last message a batch posted to each conversation (the PostgreSQL writer's too).
#[derive(Default)]
pub(crate) struct LastPosted {
    /// room → conversation key → (last id, its time).
    last: HashMap<String, HashMap<String, (i64, i64)>>,
}

impl LastPosted {
    /// Records `message`, newly stored, as its conversation's last so far.
    pub fn posted(&mut self, message: &StoredMessage) {
        let key = conversation_of(&message.from, message.to.as_deref());
        let room = match self.last.get_mut(message.room.as_str()) {
            Some(room) => room,
            None => self.last.entry(message.room.clone()).or_default(),
        };
        let last = room.entry(key).or_insert((message.id, message.sent_at));
        *last = (last.0.max(message.id), last.1.max(message.sent_at));
    }

    /// Each conversation posted to: (room, key, last id, its time).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, i64, i64)> {
        self.last.iter().flat_map(|(room, conversations)| {
            conversations
                .iter()
                .map(move |(key, &(id, at))| (room.as_str(), key.as_str(), id, at))
        })
    }
}
