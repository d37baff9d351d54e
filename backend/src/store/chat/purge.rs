//! Retention's statements: one bounded step at a time (at most [`PURGE_BATCH`] rows), so
//! the writer's batch that runs it is never held long.

use rusqlite::{Connection, params};

/// The conversations past their bound: (room, key, the id older messages are below).
pub(super) type OverTheBound = Vec<(String, String, i64)>;

/// Rows deleted per step at most.
pub(super) const PURGE_BATCH: i64 = 2_000;

/// One step of retention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Purge {
    /// Messages sent before this time (ms).
    SentBefore(i64),
    /// Messages of a conversation (room, key) older than message `below`.
    Beyond {
        room: String,
        key: String,
        below: i64,
    },
    /// Room members not seen since this time (ms).
    MembersBefore(i64),
}

/// Runs one step; the rows it deleted (fewer than [`PURGE_BATCH`]: the last step).
pub(super) fn purge_step(conn: &Connection, purge: &Purge) -> rusqlite::Result<usize> {
    match purge {
        Purge::SentBefore(before) => {
            // Ids grow with time: the oldest messages are the lowest ids, read in rowid
            // order without an index of their own (a clock set back only delays them).
            let mut old = conn.prepare_cached(
                "SELECT id FROM (SELECT id, sent_at FROM chat_messages ORDER BY id LIMIT ?2)
                 WHERE sent_at < ?1",
            )?;
            let ids = old.query_map(params![before, PURGE_BATCH], |row| row.get(0))?;
            delete_messages(conn, ids)
        }
        Purge::Beyond { room, key, below } => {
            let mut old = conn.prepare_cached(
                "SELECT id FROM chat_messages WHERE room = ?1 AND conversation = ?2 AND id < ?3
                 ORDER BY id LIMIT ?4",
            )?;
            let ids = old.query_map(params![room, key, below, PURGE_BATCH], |row| row.get(0))?;
            delete_messages(conn, ids)
        }
        Purge::MembersBefore(before) => conn
            .prepare_cached(
                "DELETE FROM room_members WHERE (room, email) IN (
                    SELECT room, email FROM room_members WHERE last_seen < ?1 LIMIT ?2)",
            )?
            .execute(params![before, PURGE_BATCH]),
    }
}

/// Deletes each message of `ids` and its rows in the log.
fn delete_messages(
    conn: &Connection,
    ids: impl Iterator<Item = rusqlite::Result<i64>>,
) -> rusqlite::Result<usize> {
    let ids: Vec<i64> = ids.collect::<rusqlite::Result<_>>()?;
    let mut message = conn.prepare_cached("DELETE FROM chat_messages WHERE id = ?1")?;
    let mut rows = conn.prepare_cached("DELETE FROM chat_log WHERE id = ?1 OR message = ?1")?;
    for id in &ids {
        message.execute([id])?;
        rows.execute([id])?;
    }
    Ok(ids.len())
}

/// The conversations holding more than `max` messages, with the id of the `max`-th
/// newest (older ones go): (room, key, below).
pub(super) fn over_the_bound(
    conn: &Connection,
    max: u64,
) -> rusqlite::Result<Vec<(String, String, i64)>> {
    let offset = i64::try_from(max.saturating_sub(1)).unwrap_or(i64::MAX);
    let mut all = conn.prepare_cached("SELECT room, conversation FROM chat_conversations")?;
    let mut boundary = conn.prepare_cached(
        "SELECT id FROM chat_messages WHERE room = ?1 AND conversation = ?2
         ORDER BY id DESC LIMIT 1 OFFSET ?3",
    )?;
    let mut over = Vec::new();
    let conversations = all.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    for conversation in conversations {
        let (room, key): (String, String) = conversation?;
        let mut found = boundary.query(params![room, key, offset])?;
        if let Some(row) = found.next()? {
            let below = row.get(0)?;
            over.push((room, key, below));
        }
    }
    Ok(over)
}
