//! Read and delivered markers: a reader's "seen up to" per conversation (only moving
//! forward, with whether its receipts are shared) and, for direct messages, how far they
//! reached one of the recipient's connections.

use rusqlite::{Connection, OptionalExtension, params};

use super::messages::{JobError, is_member};
use super::model::{ChatRefusal, Conversation, ReadMarker, ReadMoved, direct_key, key_of};

/// Direct messages `ids` reached one of `recipient`'s connections in `room`.
#[derive(Debug)]
pub(super) struct Delivery {
    pub room: String,
    pub recipient: String,
    pub ids: Vec<i64>,
}

/// Moves `marker`'s reader forward in its conversation, bounded by the conversation's
/// last message.
pub(super) fn mark_read(conn: &Connection, marker: &ReadMarker) -> Result<ReadMoved, JobError> {
    let key = conversation_key(conn, &marker.room, &marker.reader, &marker.conversation)?;
    let last = last_id(conn, &marker.room, &key)?;
    let up_to = marker.up_to.min(last.unwrap_or(0));
    let before = read_marker(conn, &marker.room, &key, &marker.reader)?.map_or(0, |(at, _)| at);
    conn.prepare_cached(
        "INSERT INTO chat_read_markers (room, conversation, reader, up_to, receipts)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (room, conversation, reader) DO UPDATE SET
            up_to = MAX(up_to, excluded.up_to), receipts = excluded.receipts",
    )?
    .execute(params![
        marker.room,
        key,
        marker.reader,
        up_to,
        marker.receipt
    ])?;
    Ok(moved_by(marker, up_to, before))
}

/// What moving `marker` from `before` to `up_to` did (the PostgreSQL store's too).
pub(super) fn moved_by(marker: &ReadMarker, up_to: i64, before: i64) -> ReadMoved {
    let moved = up_to > before;
    let receipt_to = match &marker.conversation {
        Conversation::Direct(peer) if moved && marker.receipt => Some(peer.clone()),
        _ => None,
    };
    ReadMoved {
        moved,
        up_to: up_to.max(before),
        receipt_to,
    }
}

/// Records `delivery`; per sender, the highest id newly delivered.
pub(super) fn mark_delivered(
    conn: &Connection,
    delivery: &Delivery,
) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut highest: Vec<(String, String, i64)> = Vec::new();
    let mut direct = conn.prepare_cached(
        "SELECT sender, conversation FROM chat_messages
         WHERE id = ?1 AND room = ?2 AND recipient = ?3",
    )?;
    for &id in &delivery.ids {
        let found = direct
            .query_row(params![id, delivery.room, delivery.recipient], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .optional()?;
        let Some((sender, key)) = found else { continue };
        keep_highest(&mut highest, (sender, key, id));
    }
    let mut moved = Vec::with_capacity(highest.len());
    for (sender, key, id) in highest {
        let before = delivered_marker(conn, &delivery.room, &key, &delivery.recipient)?;
        if before.is_some_and(|at| at >= id) {
            continue;
        }
        conn.prepare_cached(
            "INSERT INTO chat_delivered (room, conversation, recipient, up_to)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (room, conversation, recipient) DO UPDATE SET
                up_to = MAX(up_to, excluded.up_to)",
        )?
        .execute(params![delivery.room, key, delivery.recipient, id])?;
        moved.push((sender, id));
    }
    Ok(moved)
}

/// Records `id`, delivered from `sender` in conversation `key`, in `highest` (per
/// conversation: its sender and highest id; the PostgreSQL store's too).
pub(super) fn keep_highest(highest: &mut Vec<(String, String, i64)>, found: (String, String, i64)) {
    let (sender, key, id) = found;
    match highest.iter_mut().find(|(_, known, _)| *known == key) {
        Some(entry) => entry.2 = entry.2.max(id),
        None => highest.push((sender, key, id)),
    }
}

/// The key of `email`'s `conversation` in `room`: a direct one must be with someone known
/// in the room, or one that holds messages.
pub(super) fn conversation_key(
    conn: &Connection,
    room: &str,
    email: &str,
    conversation: &Conversation,
) -> Result<String, JobError> {
    let key = key_of(conversation, email);
    if let Conversation::Direct(peer) = conversation
        && last_id(conn, room, &key)?.is_none()
        && !is_member(conn, room, peer)?
    {
        return Err(ChatRefusal::UnknownConversation.into());
    }
    Ok(key)
}

/// The last message of a conversation, if it has one.
pub(super) fn last_id(conn: &Connection, room: &str, key: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT last_id FROM chat_conversations WHERE room = ?1 AND conversation = ?2",
    )?
    .query_row([room, key], |row| row.get(0))
    .optional()
}

/// `reader`'s read marker in a conversation, and whether it shares receipts.
pub(super) fn read_marker(
    conn: &Connection,
    room: &str,
    key: &str,
    reader: &str,
) -> rusqlite::Result<Option<(i64, bool)>> {
    conn.prepare_cached(
        "SELECT up_to, receipts FROM chat_read_markers
         WHERE room = ?1 AND conversation = ?2 AND reader = ?3",
    )?
    .query_row([room, key, reader], |row| Ok((row.get(0)?, row.get(1)?)))
    .optional()
}

/// How far `recipient` got the direct messages of a conversation.
pub(super) fn delivered_marker(
    conn: &Connection,
    room: &str,
    key: &str,
    recipient: &str,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT up_to FROM chat_delivered WHERE room = ?1 AND conversation = ?2 AND recipient = ?3",
    )?
    .query_row([room, key, recipient], |row| row.get(0))
    .optional()
}

/// How far `peer` got `email`'s direct messages, and read them when `peer` shares
/// receipts.
pub(super) fn peer_markers(
    conn: &Connection,
    room: &str,
    email: &str,
    peer: &str,
) -> rusqlite::Result<(i64, Option<i64>)> {
    let key = direct_key(email, peer);
    let delivered = delivered_marker(conn, room, &key, peer)?.unwrap_or(0);
    let read = read_marker(conn, room, &key, peer)?
        .filter(|&(_, shared)| shared)
        .map(|(up_to, _)| up_to);
    Ok((delivered, read))
}
