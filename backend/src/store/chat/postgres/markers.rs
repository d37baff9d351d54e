//! Read and delivered markers on PostgreSQL, as the SQLite store keeps them: a reader's
//! "seen up to" per conversation only moves forward (`GREATEST`, so two nodes moving one
//! marker never move it back), and how far direct messages reached their recipient.

use deadpool_postgres::Transaction;

use super::super::markers::{Delivery, keep_highest, moved_by};
use super::super::messages::JobError;
use super::super::model::{ChatRefusal, Conversation, ReadMarker, ReadMoved, direct_key, key_of};
use super::messages::is_member;
use super::sql::{execute, row, rows};

/// Moves `marker`'s reader forward in its conversation, bounded by its last message.
pub(super) async fn mark_read(
    tx: &Transaction<'_>,
    marker: &ReadMarker,
) -> Result<ReadMoved, JobError> {
    let (room, reader) = (&marker.room, &marker.reader);
    let key = conversation_key(tx, room, reader, &marker.conversation).await?;
    let last = last_id(tx, room, &key).await?;
    let up_to = marker.up_to.min(last.unwrap_or(0));
    let before = read_marker(tx, room, &key, reader)
        .await?
        .map_or(0, |(at, _)| at);
    let sql = "INSERT INTO chat_read_markers (room, conversation, reader, up_to, receipts)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (room, conversation, reader) DO UPDATE SET
            up_to = GREATEST(chat_read_markers.up_to, excluded.up_to),
            receipts = excluded.receipts";
    execute(tx, sql, &[room, &key, reader, &up_to, &marker.receipt]).await?;
    Ok(moved_by(marker, up_to, before))
}

/// Records `delivery`; per sender, the highest id newly delivered.
pub(super) async fn mark_delivered(
    tx: &Transaction<'_>,
    delivery: &Delivery,
) -> Result<Vec<(String, i64)>, tokio_postgres::Error> {
    let (room, recipient) = (&delivery.room, &delivery.recipient);
    let sql = "SELECT id, sender, conversation FROM chat_messages
         WHERE id = ANY($1) AND room = $2 AND recipient = $3";
    // (sender, key, highest id) per conversation.
    let mut highest: Vec<(String, String, i64)> = Vec::new();
    for found in rows(tx, sql, &[&delivery.ids, room, recipient]).await? {
        let (id, sender, key): (i64, String, String) =
            (found.try_get(0)?, found.try_get(1)?, found.try_get(2)?);
        keep_highest(&mut highest, (sender, key, id));
    }
    let mut moved = Vec::with_capacity(highest.len());
    for (sender, key, id) in highest {
        let before = delivered_marker(tx, room, &key, recipient).await?;
        if before.is_some_and(|at| at >= id) {
            continue;
        }
        let sql = "INSERT INTO chat_delivered (room, conversation, recipient, up_to)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (room, conversation, recipient) DO UPDATE SET
                up_to = GREATEST(chat_delivered.up_to, excluded.up_to)";
        execute(tx, sql, &[room, &key, recipient, &id]).await?;
        moved.push((sender, id));
    }
    Ok(moved)
}

/// The key of `email`'s `conversation` in `room`: a direct one must be with someone known
/// in the room, or one that holds messages.
pub(super) async fn conversation_key(
    tx: &Transaction<'_>,
    room: &str,
    email: &str,
    conversation: &Conversation,
) -> Result<String, JobError> {
    let key = key_of(conversation, email);
    if let Conversation::Direct(peer) = conversation
        && last_id(tx, room, &key).await?.is_none()
        && !is_member(tx, room, peer).await?
    {
        return Err(ChatRefusal::UnknownConversation.into());
    }
    Ok(key)
}

/// The last message of a conversation, if it has one.
pub(super) async fn last_id(
    tx: &Transaction<'_>,
    room: &str,
    key: &str,
) -> Result<Option<i64>, tokio_postgres::Error> {
    let sql = "SELECT last_id FROM chat_conversations WHERE room = $1 AND conversation = $2";
    row(tx, sql, &[&room, &key])
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

/// `reader`'s read marker in a conversation, and whether it shares receipts.
pub(super) async fn read_marker(
    tx: &Transaction<'_>,
    room: &str,
    key: &str,
    reader: &str,
) -> Result<Option<(i64, bool)>, tokio_postgres::Error> {
    let sql = "SELECT up_to, receipts FROM chat_read_markers
         WHERE room = $1 AND conversation = $2 AND reader = $3";
    let found = row(tx, sql, &[&room, &key, &reader]).await?;
    found
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .transpose()
}

async fn delivered_marker(
    tx: &Transaction<'_>,
    room: &str,
    key: &str,
    recipient: &str,
) -> Result<Option<i64>, tokio_postgres::Error> {
    let sql = "SELECT up_to FROM chat_delivered
         WHERE room = $1 AND conversation = $2 AND recipient = $3";
    let found = row(tx, sql, &[&room, &key, &recipient]).await?;
    found.map(|r| r.try_get(0)).transpose()
}

/// How far `peer` got `email`'s direct messages, and read them when `peer` shares them.
pub(super) async fn peer_markers(
    tx: &Transaction<'_>,
    room: &str,
    email: &str,
    peer: &str,
) -> Result<(i64, Option<i64>), tokio_postgres::Error> {
    let key = direct_key(email, peer);
    let delivered = delivered_marker(tx, room, &key, peer).await?.unwrap_or(0);
    let read = read_marker(tx, room, &key, peer)
        .await?
        .filter(|&(_, shared)| shared)
        .map(|(up_to, _)| up_to);
    Ok((delivered, read))
}
