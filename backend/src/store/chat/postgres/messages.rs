//! The writer's statements on messages, on PostgreSQL: posting (the dedupe on the sender's
//! client id by `ON CONFLICT DO NOTHING`, the recipient check), editing and deleting (each
//! change a new id, the message's `changed`), members, and a message's current state.
//! The rules are the SQLite store's, in the same order: every refusal comes before the
//! first write.

use std::sync::LazyLock;

use deadpool_postgres::Transaction;
use tokio_postgres::Row;

use super::super::messages::conversation_of;
use super::super::messages::{
    COLUMNS, Change, JobError, by_client_id_sql, changeable, changed_by, newly_stored, repeat_of,
};
use super::super::model::{ChatRefusal, NewMessage, Posted, StoredMessage};
use super::ids::Ids;
use super::sql::{dollars, execute, row};

static BY_CLIENT_ID: LazyLock<String> = LazyLock::new(|| dollars(&by_client_id_sql()));
static BY_ID: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {COLUMNS} FROM chat_messages WHERE id = $1"));

/// A message from a row of [`COLUMNS`].
pub(super) fn from_row(row: &Row) -> Result<StoredMessage, tokio_postgres::Error> {
    Ok(StoredMessage {
        id: row.try_get(0)?,
        room: row.try_get(1)?,
        from: row.try_get(2)?,
        name: row.try_get(3)?,
        to: row.try_get(4)?,
        text: row.try_get(5)?,
        sent_at: row.try_get(6)?,
        client_id: row.try_get(7)?,
        edited_at: row.try_get(8)?,
        deleted: row.try_get(9)?,
    })
}

/// Stores `post` at `now` under the next of `ids`, unless its client id was used before.
pub(super) async fn post(
    tx: &Transaction<'_>,
    post: &NewMessage,
    now: i64,
    ids: &mut Ids,
) -> Result<Posted, JobError> {
    if let Some(to) = &post.to
        && !post.to_online
        && !is_member(tx, &post.room, to).await?
    {
        if let Some(stored) = stored_under_client_id(tx, post).await? {
            return repeat_of(stored, post);
        }
        return Err(ChatRefusal::UnknownRecipient.into());
    }
    let id = ids.take()?;
    let key = conversation_of(&post.from, post.to.as_deref());
    let inserted = execute(
        tx,
        "INSERT INTO chat_messages (id, room, conversation, sender, name, recipient, text,
            sent_at, client_id, changed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $1)
         ON CONFLICT (client_id, sender) WHERE client_id IS NOT NULL DO NOTHING",
        &[
            &id,
            &post.room,
            &key,
            &post.from,
            &post.name,
            &post.to,
            &post.text,
            &now,
            &post.client_id,
        ],
    )
    .await?;
    if inserted == 0 {
        let stored = stored_under_client_id(tx, post).await?;
        return repeat_of(stored.ok_or(ChatRefusal::StoreUnavailable)?, post);
    }
    Ok(newly_stored(post, id, now))
}

async fn stored_under_client_id(
    tx: &Transaction<'_>,
    post: &NewMessage,
) -> Result<Option<StoredMessage>, JobError> {
    let Some(client_id) = &post.client_id else {
        return Ok(None);
    };
    let found = row(tx, &BY_CLIENT_ID, &[&post.from, client_id]).await?;
    Ok(found.as_ref().map(from_row).transpose()?)
}

/// Applies `change` at `now`, within `window_ms` of the message's sending.
pub(super) async fn change(
    tx: &Transaction<'_>,
    change: &Change,
    (now, window_ms): (i64, i64),
    ids: &mut Ids,
) -> Result<StoredMessage, JobError> {
    let message = changeable(load(tx, change.id).await?, change, (now, window_ms))?;
    let changed = ids.take()?;
    match &change.text {
        Some(text) => {
            let sql = "UPDATE chat_messages SET text = $2, edited_at = $3, changed = $4
                       WHERE id = $1";
            execute(tx, sql, &[&message.id, text, &now, &changed]).await?;
        }
        None => {
            let sql = "UPDATE chat_messages SET text = '', deleted = true, changed = $2
                       WHERE id = $1";
            execute(tx, sql, &[&message.id, &changed]).await?;
        }
    }
    Ok(changed_by(message, change, now))
}

/// The current state of message `id`.
pub(super) async fn load(
    tx: &Transaction<'_>,
    id: i64,
) -> Result<Option<StoredMessage>, tokio_postgres::Error> {
    row(tx, &BY_ID, &[&id])
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Whether `email` is known in `room`.
pub(super) async fn is_member(
    tx: &Transaction<'_>,
    room: &str,
    email: &str,
) -> Result<bool, tokio_postgres::Error> {
    let sql = "SELECT 1 FROM room_members WHERE room = $1 AND email = $2";
    Ok(row(tx, sql, &[&room, &email]).await?.is_some())
}

/// Remembers `email` in `room` under `name`, seen at `now`.
pub(super) async fn remember(
    tx: &Transaction<'_>,
    (room, email, name): (&str, &str, &str),
    now: i64,
) -> Result<(), tokio_postgres::Error> {
    let sql = "INSERT INTO room_members (room, email, name, last_seen) VALUES ($1, $2, $3, $4)
         ON CONFLICT (room, email) DO UPDATE SET
            name = excluded.name, last_seen = excluded.last_seen";
    execute(tx, sql, &[&room, &email, &name, &now])
        .await
        .map(drop)
}

/// Records `id` as the last message of a conversation (never moving it back: another
/// node's batch may have stored a later one).
pub(super) async fn touch_conversation(
    tx: &Transaction<'_>,
    (room, key): (&str, &str),
    id: i64,
    at: i64,
) -> Result<(), tokio_postgres::Error> {
    let (low, high) = key.split_once('\n').unzip();
    let sql = "INSERT INTO chat_conversations (room, conversation, low, high, last_id, last_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (room, conversation) DO UPDATE SET
            last_id = GREATEST(chat_conversations.last_id, excluded.last_id),
            last_at = GREATEST(chat_conversations.last_at, excluded.last_at)";
    execute(tx, sql, &[&room, &key, &low, &high, &id, &at])
        .await
        .map(drop)
}
