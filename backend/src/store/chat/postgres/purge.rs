//! Retention's statements on PostgreSQL: one bounded step at a time (at most
//! `PURGE_BATCH` rows), as the SQLite store runs them.

use deadpool_postgres::Transaction;

use super::super::purge::{PURGE_BATCH, Purge};
use super::sql::{execute, rows};

/// Runs one step; the rows it deleted.
pub(super) async fn purge_step(
    tx: &Transaction<'_>,
    purge: &Purge,
) -> Result<usize, tokio_postgres::Error> {
    let deleted = match purge {
        Purge::SentBefore(before) => {
            // Ids grow with time: the oldest messages are the lowest ids (primary key).
            let sql = "DELETE FROM chat_messages WHERE id IN (
                SELECT id FROM (SELECT id, sent_at FROM chat_messages ORDER BY id LIMIT $2) o
                WHERE sent_at < $1)";
            execute(tx, sql, &[before, &PURGE_BATCH]).await?
        }
        Purge::Beyond { room, key, below } => {
            let sql = "DELETE FROM chat_messages WHERE id IN (
                SELECT id FROM chat_messages WHERE room = $1 AND conversation = $2 AND id < $3
                ORDER BY id LIMIT $4)";
            execute(tx, sql, &[room, key, below, &PURGE_BATCH]).await?
        }
        Purge::MembersBefore(before) => {
            let sql = "DELETE FROM room_members WHERE (room, email) IN (
                SELECT room, email FROM room_members WHERE last_seen < $1 LIMIT $2)";
            execute(tx, sql, &[before, &PURGE_BATCH]).await?
        }
    };
    Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
}

/// The conversations holding more than `max` messages, with the id of the `max`-th
/// newest (older ones go): (room, key, below).
pub(super) async fn over_the_bound(
    tx: &Transaction<'_>,
    max: u64,
) -> Result<Vec<(String, String, i64)>, tokio_postgres::Error> {
    let offset = i64::try_from(max.saturating_sub(1)).unwrap_or(i64::MAX);
    let sql = "SELECT c.room, c.conversation, b.id FROM chat_conversations c
        CROSS JOIN LATERAL (SELECT id FROM chat_messages m
            WHERE m.room = c.room AND m.conversation = c.conversation
            ORDER BY id DESC LIMIT 1 OFFSET $1) b";
    let mut over = Vec::new();
    for found in rows(tx, sql, &[&offset]).await? {
        over.push((found.try_get(0)?, found.try_get(1)?, found.try_get(2)?));
    }
    Ok(over)
}
