//! The list of a user's conversations in a room, on PostgreSQL: the room and each direct
//! conversation holding messages, with the last message, the unread count and the
//! markers, as the SQLite store lists them.

use deadpool_postgres::Transaction;

use super::super::conversations::peer_of;
use super::super::model::{Conversation, ConversationSummary, MAX_UNREAD, ROOM_KEY};
use super::markers::{peer_markers, read_marker};
use super::sql::{row, rows};

/// A user's conversations in a room, the room first: ($1 room, $2 email). Each part reads
/// only the user's rows through its index.
pub(crate) const LIST_SQL: &str = "SELECT conversation, low, high, last_id, last_at FROM (
        SELECT * FROM chat_conversations WHERE room = $1 AND conversation = ''
        UNION ALL SELECT * FROM chat_conversations WHERE room = $1 AND low = $2
        UNION ALL SELECT * FROM chat_conversations WHERE room = $1 AND high = $2 AND low <> $2
     ) listed
     ORDER BY conversation <> '', last_id DESC";

/// Messages from others after a marker, not deleted, at most a cap: ($1 room, $2 key,
/// $3 read up to, $4 email, $5 cap).
pub(crate) const UNREAD_SQL: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM chat_messages
     WHERE room = $1 AND conversation = $2 AND id > $3 AND sender <> $4 AND NOT deleted
     LIMIT $5) unread";

/// `email`'s conversations in `room`: the room first, then the direct ones, most recent
/// first.
pub(super) async fn conversations(
    tx: &Transaction<'_>,
    room: &str,
    email: &str,
) -> Result<Vec<ConversationSummary>, tokio_postgres::Error> {
    let mut summaries = Vec::new();
    for found in rows(tx, LIST_SQL, &[&room, &email]).await? {
        let key: String = found.try_get(0)?;
        let peer = peer_of(email, found.try_get(1)?, found.try_get(2)?);
        let last = (found.try_get(3)?, found.try_get(4)?);
        summaries.push(summary(tx, (room, email), &key, peer, last).await?);
    }
    if summaries
        .first()
        .is_none_or(|s| s.conversation != Conversation::Room)
    {
        let empty_room = summary(tx, (room, email), ROOM_KEY, None, (0, 0)).await?;
        summaries.insert(0, empty_room);
    }
    Ok(summaries)
}

async fn summary(
    tx: &Transaction<'_>,
    (room, email): (&str, &str),
    key: &str,
    peer: Option<String>,
    (last_id, last_at): (i64, i64),
) -> Result<ConversationSummary, tokio_postgres::Error> {
    let read_up_to = read_marker(tx, room, key, email)
        .await?
        .map_or(0, |(up_to, _)| up_to);
    let cap = i64::try_from(MAX_UNREAD).unwrap_or(i64::MAX);
    let counted = row(tx, UNREAD_SQL, &[&room, &key, &read_up_to, &email, &cap]).await?;
    let unread: i64 = counted.map_or(Ok(0), |r| r.try_get(0))?;
    let (conversation, name, peer_read_up_to, peer_delivered_up_to) = match peer {
        None => (Conversation::Room, None, None, None),
        Some(peer) => {
            let (delivered, read) = peer_markers(tx, room, email, &peer).await?;
            let sql = "SELECT name FROM room_members WHERE room = $1 AND email = $2";
            let name = row(tx, sql, &[&room, &peer]).await?;
            let name = name.map(|r| r.try_get(0)).transpose()?;
            (Conversation::Direct(peer), name, read, Some(delivered))
        }
    };
    Ok(ConversationSummary {
        conversation,
        name,
        last_id,
        last_at,
        unread: u64::try_from(unread).unwrap_or(0),
        read_up_to,
        peer_read_up_to,
        peer_delivered_up_to,
    })
}
