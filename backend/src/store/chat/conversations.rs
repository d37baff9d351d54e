//! The list of a user's conversations in a room, on the reader: the room and each direct
//! conversation holding messages, with the last message, the unread count and the
//! markers.

use rusqlite::{Connection, OptionalExtension, params};

use super::markers::{peer_markers, read_marker};
use super::model::{Conversation, ConversationSummary, MAX_UNREAD, ROOM_KEY};

/// A user's conversations in a room, the room first: (room, email).
pub(super) const LIST_SQL: &str = "SELECT conversation, low, high, last_id, last_at FROM (
        SELECT * FROM chat_conversations WHERE room = ?1 AND conversation = ''
        UNION ALL SELECT * FROM chat_conversations INDEXED BY chat_conversations_by_low
            WHERE room = ?1 AND low = ?2
        UNION ALL SELECT * FROM chat_conversations INDEXED BY chat_conversations_by_high
            WHERE room = ?1 AND high = ?2 AND low <> ?2)
     ORDER BY conversation <> '', last_id DESC";

/// Messages from others after a marker, not deleted, at most a cap: (room, key, read up
/// to, email, cap).
pub(super) const UNREAD_SQL: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM chat_messages
     WHERE room = ?1 AND conversation = ?2 AND id > ?3 AND sender <> ?4 AND deleted = 0
     LIMIT ?5)";

/// `email`'s conversations in `room`: the room first, then the direct ones, most recent
/// first. Each part of the query reads only the user's rows (`INDEXED BY`: without
/// statistics SQLite would read every conversation of the room).
pub(super) fn conversations(
    conn: &Connection,
    room: &str,
    email: &str,
) -> rusqlite::Result<Vec<ConversationSummary>> {
    let mut listed = conn.prepare_cached(LIST_SQL)?;
    let rows = listed.query_map([room, email], |row| {
        let peer = peer_of(email, row.get(1)?, row.get(2)?);
        Ok((row.get::<_, String>(0)?, peer, row.get(3)?, row.get(4)?))
    })?;
    let mut summaries = Vec::new();
    for row in rows {
        let (key, peer, last_id, last_at): (String, Option<String>, i64, i64) = row?;
        summaries.push(summary(conn, room, email, &key, peer, (last_id, last_at))?);
    }
    if summaries
        .first()
        .is_none_or(|s| s.conversation != Conversation::Room)
    {
        let empty_room = summary(conn, room, email, ROOM_KEY, None, (0, 0))?;
        summaries.insert(0, empty_room);
    }
    Ok(summaries)
}

fn summary(
    conn: &Connection,
    room: &str,
    email: &str,
    key: &str,
    peer: Option<String>,
    (last_id, last_at): (i64, i64),
) -> rusqlite::Result<ConversationSummary> {
    let read_up_to = read_marker(conn, room, key, email)?.map_or(0, |(up_to, _)| up_to);
    let unread = unread(conn, room, key, email, read_up_to)?;
    let (conversation, name, peer_read_up_to, peer_delivered_up_to) = match peer {
        None => (Conversation::Room, None, None, None),
        Some(peer) => {
            let (delivered, read) = peer_markers(conn, room, email, &peer)?;
            let name = member_name(conn, room, &peer)?;
            (Conversation::Direct(peer), name, read, Some(delivered))
        }
    };
    Ok(ConversationSummary {
        conversation,
        name,
        last_id,
        last_at,
        unread,
        read_up_to,
        peer_read_up_to,
        peer_delivered_up_to,
    })
}

/// Messages from others after `read_up_to`, not deleted, counted up to [`MAX_UNREAD`].
fn unread(
    conn: &Connection,
    room: &str,
    key: &str,
    email: &str,
    read_up_to: i64,
) -> rusqlite::Result<u64> {
    let cap = i64::try_from(MAX_UNREAD).unwrap_or(i64::MAX);
    let count: i64 = conn
        .prepare_cached(UNREAD_SQL)?
        .query_row(params![room, key, read_up_to, email, cap], |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

fn member_name(conn: &Connection, room: &str, email: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT name FROM room_members WHERE room = ?1 AND email = ?2")?
        .query_row([room, email], |row| row.get(0))
        .optional()
}

/// The other person of a direct conversation whose two emails are `low` and `high`
/// (`None` for the room's).
pub(super) fn peer_of(email: &str, low: Option<String>, high: Option<String>) -> Option<String> {
    if low.as_deref() == Some(email) {
        high
    } else {
        low
    }
}
