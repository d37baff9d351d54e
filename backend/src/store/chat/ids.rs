//! The id sequence that messages and their changes share (a change's id is the cursor of
//! `chat-history` `after`): one row, `chat_ids`, read when a batch begins and written once
//! before it commits, so a message costs no row of its own in the log. Ids only grow,
//! even after the newest messages are deleted.

use rusqlite::Connection;

/// The ids a transaction hands out.
#[derive(Debug)]
pub(super) struct Ids {
    last: i64,
    saved: i64,
}

impl Ids {
    /// The sequence as stored; call it inside the transaction that takes from it.
    pub fn read(conn: &Connection) -> rusqlite::Result<Ids> {
        let last = last_id(conn)?;
        Ok(Ids { last, saved: last })
    }

    /// The next id.
    pub fn take(&mut self) -> i64 {
        self.last += 1;
        self.last
    }

    /// Writes the ids taken since [`Ids::read`] (nothing when none were).
    pub fn save(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        if self.last != self.saved {
            conn.prepare_cached("UPDATE chat_ids SET last = ?1")?
                .execute([self.last])?;
            self.saved = self.last;
        }
        Ok(())
    }
}

/// The last id handed out (0 in a new file).
pub(super) fn last_id(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT last FROM chat_ids")?
        .query_row([], |row| row.get(0))
}
