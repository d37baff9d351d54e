//! The writer's statements on messages: posting (with its dedupe on the sender's client
//! id and the recipient check), editing and deleting (each change a row of the log); and loading
//! a message's current state, which the reader uses too.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::ids::Ids;
use super::model::{ChatRefusal, NewMessage, Posted, ROOM_KEY, StoredMessage, direct_key};

/// Why a job did not complete: refused by the rules, or failed in SQLite or PostgreSQL (its
/// savepoint is rolled back and its caller told `StoreUnavailable`).
#[derive(Debug)]
pub(super) enum JobError {
    Refused(ChatRefusal),
    Sql(rusqlite::Error),
    Postgres(tokio_postgres::Error),
}

impl JobError {
    /// What the caller is told; a failure in SQLite is logged here.
    pub(super) fn into_refusal(self) -> ChatRefusal {
        match self {
            JobError::Refused(refusal) => refusal,
            JobError::Sql(error) => {
                log::warn!("chat store: a statement failed: {error}");
                ChatRefusal::StoreUnavailable
            }
            JobError::Postgres(error) => {
                log::warn!("chat store: a statement failed: {error}");
                ChatRefusal::StoreUnavailable
            }
        }
    }
}

impl From<rusqlite::Error> for JobError {
    fn from(error: rusqlite::Error) -> Self {
        JobError::Sql(error)
    }
}

impl From<tokio_postgres::Error> for JobError {
    fn from(error: tokio_postgres::Error) -> Self {
        JobError::Postgres(error)
    }
}

impl From<ChatRefusal> for JobError {
    fn from(refusal: ChatRefusal) -> Self {
        JobError::Refused(refusal)
    }
}

/// What a log row records (0, a new message, was written by the first schema only).
#[derive(Debug, Clone, Copy)]
enum RowKind {
    Edit = 1,
    Delete = 2,
}

/// An edit (with its new text) or a delete of `by`'s message `id`.
#[derive(Debug)]
pub(super) struct Change {
    pub room: String,
    pub by: String,
    pub id: i64,
    /// The new text; `None` deletes.
    pub text: Option<String>,
}

/// The columns [`from_row`] reads, in its order.
pub(super) const COLUMNS: &str = "id, room, sender, name, recipient, text, sent_at, client_id, \
     edited_at, deleted";

pub(super) fn from_row(row: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    Ok(StoredMessage {
        id: row.get(0)?,
        room: row.get(1)?,
        from: row.get(2)?,
        name: row.get(3)?,
        to: row.get(4)?,
        text: row.get(5)?,
        sent_at: row.get(6)?,
        client_id: row.get(7)?,
        edited_at: row.get(8)?,
        deleted: row.get(9)?,
    })
}

/// Stores `post` at `now` under the next of `ids`, unless its client id was used before
/// (the insert's conflict on the unique index tells, with no lookup first). Every refusal
/// comes before the first write: a refused job leaves nothing to undo (the writer relies
/// on it). The conversation's last message is the batch's to record (`touch_conversation`).
pub(super) fn post(
    conn: &Connection,
    post: &NewMessage,
    now: i64,
    ids: &mut Ids,
) -> Result<Posted, JobError> {
    if let Some(to) = &post.to
        && !post.to_online
        && !is_member(conn, &post.room, to)?
    {
        // A resend of a stored message is acked even if its recipient was forgotten since.
        if let Some(stored) = stored_under_client_id(conn, post)? {
            return repeat_of(stored, post);
        }
        return Err(ChatRefusal::UnknownRecipient.into());
    }
    let id = ids.take();
    let key = conversation_of(&post.from, post.to.as_deref());
    let inserted = conn
        .prepare_cached(
            "INSERT INTO chat_messages (id, room, conversation, sender, name, recipient, text,
                sent_at, client_id, changed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?1)
             ON CONFLICT (client_id, sender) WHERE client_id IS NOT NULL DO NOTHING",
        )?
        .execute(params![
            id,
            post.room,
            key,
            post.from,
            post.name,
            post.to,
            post.text,
            now,
            post.client_id
        ])?;
    if inserted == 0 {
        let stored = stored_under_client_id(conn, post)?;
        return repeat_of(stored.ok_or(rusqlite::Error::QueryReturnedNoRows)?, post);
    }
    Ok(newly_stored(post, id, now))
}

/// `post`, just stored under `id` at `now` (the PostgreSQL store's too).
pub(super) fn newly_stored(post: &NewMessage, id: i64, now: i64) -> Posted {
    let message = StoredMessage {
        id,
        room: post.room.clone(),
        from: post.from.clone(),
        name: post.name.clone(),
        to: post.to.clone(),
        text: post.text.clone(),
        sent_at: now,
        client_id: post.client_id.clone(),
        edited_at: None,
        deleted: false,
    };
    Posted {
        message,
        duplicate: false,
    }
}

/// `message` with `change` applied at `now` (the PostgreSQL store's too).
pub(super) fn changed_by(mut message: StoredMessage, change: &Change, now: i64) -> StoredMessage {
    match &change.text {
        Some(text) => {
            message.text.clone_from(text);
            message.edited_at = Some(now);
        }
        None => {
            message.text.clear();
            message.deleted = true;
        }
    }
    message
}

/// The key of the conversation a message from `from` (to `to`, if direct) belongs to.
pub(super) fn conversation_of(from: &str, to: Option<&str>) -> String {
    match to {
        Some(to) => direct_key(from, to),
        None => ROOM_KEY.to_owned(),
    }
}

/// A repeat of a stored client id: the same message (room, recipient and text; a message
/// edited or deleted since matches on room and recipient) is a duplicate, anything else a
/// reuse.
pub(super) fn repeat_of(stored: StoredMessage, post: &NewMessage) -> Result<Posted, JobError> {
    let changed = stored.deleted || stored.edited_at.is_some();
    let same =
        stored.room == post.room && stored.to == post.to && (changed || stored.text == post.text);
    if !same {
        return Err(ChatRefusal::ClientIdReused.into());
    }
    Ok(Posted {
        message: stored,
        duplicate: true,
    })
}

/// The message `post`'s sender stored under its client id, if it has one.
fn stored_under_client_id(
    conn: &Connection,
    post: &NewMessage,
) -> rusqlite::Result<Option<StoredMessage>> {
    let Some(client_id) = &post.client_id else {
        return Ok(None);
    };
    conn.prepare_cached(&by_client_id_sql())?
        .query_row(params![post.from, client_id], from_row)
        .optional()
}

/// The message a sender stored under a client id: (sender, client id).
pub(super) fn by_client_id_sql() -> String {
    format!("SELECT {COLUMNS} FROM chat_messages WHERE sender = ?1 AND client_id = ?2")
}

/// Applies `change` at `now`, within `window_ms` of the message's sending.
pub(super) fn change(
    conn: &Connection,
    change: &Change,
    (now, window_ms): (i64, i64),
    ids: &mut Ids,
) -> Result<StoredMessage, JobError> {
    let message = changeable(load(conn, change.id)?, change, (now, window_ms))?;
    let kind = if change.text.is_some() {
        RowKind::Edit
    } else {
        RowKind::Delete
    };
    let row = ids.take();
    add_row(conn, row, message.id, kind, now)?;
    match &change.text {
        Some(text) => {
            conn.prepare_cached(
                "UPDATE chat_messages SET text = ?2, edited_at = ?3, changed = ?4 WHERE id = ?1",
            )?
            .execute(params![message.id, text, now, row])?;
        }
        None => {
            conn.prepare_cached(
                "UPDATE chat_messages SET text = '', deleted = 1, changed = ?2 WHERE id = ?1",
            )?
            .execute(params![message.id, row])?;
        }
    }
    Ok(changed_by(message, change, now))
}

/// `found`, if `change` may change it: a message of the room, not deleted, `change.by`'s,
/// sent within the window (the PostgreSQL store's too).
pub(super) fn changeable(
    found: Option<StoredMessage>,
    change: &Change,
    (now, window_ms): (i64, i64),
) -> Result<StoredMessage, ChatRefusal> {
    let found = found.filter(|m| m.room == change.room && !m.deleted);
    let Some(message) = found else {
        return Err(ChatRefusal::UnknownMessage);
    };
    if message.from != change.by {
        return Err(ChatRefusal::NotYourMessage);
    }
    if now.saturating_sub(message.sent_at) > window_ms {
        return Err(ChatRefusal::EditWindowClosed);
    }
    Ok(message)
}

/// The current state of message `id`.
pub(super) fn load(conn: &Connection, id: i64) -> rusqlite::Result<Option<StoredMessage>> {
    let sql = format!("SELECT {COLUMNS} FROM chat_messages WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()
}

/// Whether `email` is known in `room`.
pub(super) fn is_member(conn: &Connection, room: &str, email: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM room_members WHERE room = ?1 AND email = ?2")?
        .query_row([room, email], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

/// Remembers `email` in `room` under `name`, seen at `now`.
pub(super) fn remember(
    conn: &Connection,
    room: &str,
    email: &str,
    name: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO room_members (room, email, name, last_seen) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (room, email) DO UPDATE SET
            name = excluded.name, last_seen = excluded.last_seen",
    )?
    .execute(params![room, email, name, now])
    .map(drop)
}

/// Adds row `id` to the log: a change of `message`.
fn add_row(
    conn: &Connection,
    id: i64,
    message: i64,
    kind: RowKind,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO chat_log (id, message, kind, at_ms) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![id, message, kind as i64, now])
        .map(drop)
}

/// Records `id` as the last message of a conversation.
pub(super) fn touch_conversation(
    conn: &Connection,
    room: &str,
    key: &str,
    id: i64,
    now: i64,
) -> rusqlite::Result<()> {
    let (low, high) = key.split_once('\n').unzip();
    conn.prepare_cached(
        "INSERT INTO chat_conversations (room, conversation, low, high, last_id, last_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (room, conversation) DO UPDATE SET
            last_id = excluded.last_id, last_at = excluded.last_at",
    )?
    .execute(params![room, key, low, high, id, now])
    .map(drop)
}
