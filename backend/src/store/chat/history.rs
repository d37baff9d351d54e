//! History pages, on the reader: the latest page of a conversation or the one before a
//! message of it, or every change after a cursor; each message in its current state, and
//! the asker's own direct messages with how far they got (delivered, read).

use rusqlite::{Connection, OptionalExtension, params};

use super::ids::last_id;
use super::markers::{conversation_key, peer_markers};
use super::messages::{COLUMNS, JobError, from_row};
use super::model::{
    ChatRefusal, Conversation, HistoryEntry, HistoryPage, HistoryQuery, HistoryRange, MAX_PAGE,
    StoredMessage,
};

/// Answers `query` (inside the reader's snapshot).
pub(super) fn history(conn: &Connection, query: &HistoryQuery) -> Result<HistoryPage, JobError> {
    let fetch = fetch_of(query);
    let latest_row = last_id(conn)?;
    let mut found = match query.range {
        HistoryRange::After(cursor) => after(conn, query, cursor, fetch)?,
        HistoryRange::Latest | HistoryRange::Before(_) => {
            let conversation = query.conversation.as_ref().unwrap_or(&Conversation::Room);
            let key = conversation_key(conn, &query.room, &query.email, conversation)?;
            page(conn, query, &key, fetch)?
        }
    };
    let (more, cursor) = trim(query, &mut found, latest_row);
    let messages = with_receipts(conn, &query.email, found)?;
    Ok(HistoryPage {
        messages,
        more,
        cursor,
    })
}

/// Bounds `found` (fetched one past the page, newest first unless `After`) to the page in
/// ascending order; whether there is more, and the cursor to ask `After` next time.
pub(super) fn trim(
    query: &HistoryQuery,
    found: &mut Vec<(StoredMessage, i64)>,
    latest_row: i64,
) -> (bool, i64) {
    let limit = query.limit.clamp(1, MAX_PAGE);
    let more = found.len() > limit;
    found.truncate(limit);
    let cursor = match (query.range, found.last()) {
        (HistoryRange::After(_), Some(&(_, changed))) if more => changed,
        _ => latest_row,
    };
    if !matches!(query.range, HistoryRange::After(_)) {
        found.reverse();
    }
    (more, cursor)
}

/// What the reader fetches past a page: one message, to know whether there is more.
pub(super) fn fetch_of(query: &HistoryQuery) -> i64 {
    i64::try_from(query.limit.clamp(1, MAX_PAGE) + 1).unwrap_or(i64::MAX)
}

/// The newest `fetch` messages of a conversation, or those before a message of it; newest
/// first.
fn page(
    conn: &Connection,
    query: &HistoryQuery,
    key: &str,
    fetch: i64,
) -> Result<Vec<(StoredMessage, i64)>, JobError> {
    let before = match query.range {
        HistoryRange::Before(id) => {
            let known = conn
                .prepare_cached(
                    "SELECT 1 FROM chat_messages WHERE id = ?1 AND room = ?2 AND conversation = ?3",
                )?
                .query_row(params![id, query.room, key], |_| Ok(()))
                .optional()?;
            if known.is_none() {
                return Err(ChatRefusal::UnknownMessage.into());
            }
            id
        }
        _ => i64::MAX,
    };
    let mut statement = conn.prepare_cached(&page_sql())?;
    let rows = statement.query_map(params![query.room, key, before, fetch], with_change)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The changes after `cursor` in one conversation, or in every conversation of the room
/// the asker is part of; oldest first.
fn after(
    conn: &Connection,
    query: &HistoryQuery,
    cursor: i64,
    fetch: i64,
) -> Result<Vec<(StoredMessage, i64)>, JobError> {
    let (room, email) = (&query.room, &query.email);
    let (sql, asker_or_key) = match &query.conversation {
        Some(conversation) => (
            after_sql(true),
            conversation_key(conn, room, email, conversation)?,
        ),
        None => (after_sql(false), email.clone()),
    };
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(params![room, cursor, asker_or_key, fetch], with_change)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The changes after a cursor, oldest first: (room, cursor, key, limit) in one conversation,
/// or (room, cursor, asker, limit) in every conversation of the room the asker is part of.
pub(super) fn after_sql(in_conversation: bool) -> String {
    let which = if in_conversation {
        "conversation = ?3"
    } else {
        "(recipient IS NULL OR sender = ?3 OR recipient = ?3)"
    };
    format!(
        "SELECT {COLUMNS}, changed FROM chat_messages
         WHERE room = ?1 AND changed > ?2 AND {which}
         ORDER BY changed LIMIT ?4"
    )
}

/// A page of a conversation before an id, newest first: (room, key, before, limit).
pub(super) fn page_sql() -> String {
    format!(
        "SELECT {COLUMNS}, changed FROM chat_messages
         WHERE room = ?1 AND conversation = ?2 AND id < ?3 ORDER BY id DESC LIMIT ?4"
    )
}

fn with_change(row: &rusqlite::Row<'_>) -> rusqlite::Result<(StoredMessage, i64)> {
    Ok((from_row(row)?, row.get(10)?))
}

/// Each message, and for `email`'s own direct messages whether the peer got and read it.
fn with_receipts(
    conn: &Connection,
    email: &str,
    found: Vec<(StoredMessage, i64)>,
) -> rusqlite::Result<Vec<HistoryEntry>> {
    let mut markers = PeerMarkers::new();
    for (message, _) in &found {
        if let Some(peer) = own_direct_peer(message, email)
            && !markers.iter().any(|(known, ..)| known == peer)
        {
            let (delivered, read) = peer_markers(conn, &message.room, email, peer)?;
            markers.push((peer.to_owned(), delivered, read));
        }
    }
    Ok(entries(email, found, &markers))
}

/// (peer, delivered up to, read up to if shared) of each direct conversation of a page.
pub(super) type PeerMarkers = Vec<(String, i64, Option<i64>)>;

/// The peer of `message` when it is one of `email`'s own direct messages.
pub(super) fn own_direct_peer<'a>(message: &'a StoredMessage, email: &str) -> Option<&'a str> {
    message.to.as_deref().filter(|_| message.from == email)
}

/// The page's entries: `email`'s own direct messages with how far they got, by `markers`.
pub(super) fn entries(
    email: &str,
    found: Vec<(StoredMessage, i64)>,
    markers: &PeerMarkers,
) -> Vec<HistoryEntry> {
    let entry = |(message, _): (StoredMessage, i64)| {
        let known = own_direct_peer(&message, email)
            .and_then(|peer| markers.iter().find(|(known, ..)| known == peer));
        let (delivered, read) = match known {
            Some(&(_, delivered_up_to, read_up_to)) => {
                let read = read_up_to.is_some_and(|up_to| message.id <= up_to);
                (read || message.id <= delivered_up_to, read)
            }
            None => (false, false),
        };
        HistoryEntry {
            message,
            delivered,
            read,
        }
    };
    found.into_iter().map(entry).collect()
}
