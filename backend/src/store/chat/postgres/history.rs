//! History pages on PostgreSQL, in the reader's snapshot: the SQLite store's queries and
//! page rules (`trim`, `entries`), with the cursor of the asked room: the last change
//! committed in it (ids in a room commit in increasing order, see `ids.rs`).

use std::sync::LazyLock;

use deadpool_postgres::Transaction;
use tokio_postgres::Row;

use super::super::history::{
    PeerMarkers, after_sql, entries, fetch_of, own_direct_peer, page_sql, trim,
};
use super::super::messages::JobError;
use super::super::model::{
    ChatRefusal, Conversation, HistoryPage, HistoryQuery, HistoryRange, StoredMessage,
};
use super::markers::{conversation_key, peer_markers};
use super::messages::from_row;
use super::sql::{dollars, row, rows};

static PAGE: LazyLock<String> = LazyLock::new(|| dollars(&page_sql()));
static AFTER_IN_CONVERSATION: LazyLock<String> = LazyLock::new(|| dollars(&after_sql(true)));
static AFTER_IN_ROOM: LazyLock<String> = LazyLock::new(|| dollars(&after_sql(false)));

/// Answers `query`.
pub(super) async fn history(
    tx: &Transaction<'_>,
    query: &HistoryQuery,
) -> Result<HistoryPage, JobError> {
    let (room, email) = (&query.room, &query.email);
    let fetch = fetch_of(query);
    let sql = "SELECT COALESCE(MAX(changed), 0) FROM chat_messages WHERE room = $1";
    let latest_row: i64 = match row(tx, sql, &[room]).await? {
        Some(found) => found.try_get(0)?,
        None => 0,
    };
    let found = match (query.range, &query.conversation) {
        (HistoryRange::After(cursor), Some(conversation)) => {
            let key = conversation_key(tx, room, email, conversation).await?;
            rows(tx, &AFTER_IN_CONVERSATION, &[room, &cursor, &key, &fetch]).await?
        }
        (HistoryRange::After(cursor), None) => {
            rows(tx, &AFTER_IN_ROOM, &[room, &cursor, email, &fetch]).await?
        }
        (HistoryRange::Latest | HistoryRange::Before(_), conversation) => {
            let conversation = conversation.as_ref().unwrap_or(&Conversation::Room);
            let key = conversation_key(tx, room, email, conversation).await?;
            let before = before_of(tx, query, &key).await?;
            rows(tx, &PAGE, &[room, &key, &before, &fetch]).await?
        }
    };
    let mut found = found
        .iter()
        .map(with_change)
        .collect::<Result<Vec<_>, _>>()?;
    let (more, cursor) = trim(query, &mut found, latest_row);
    let mut markers = PeerMarkers::new();
    for (message, _) in &found {
        if let Some(peer) = own_direct_peer(message, email)
            && !markers.iter().any(|(known, ..)| known == peer)
        {
            let (delivered, read) = peer_markers(tx, room, email, peer).await?;
            markers.push((peer.to_owned(), delivered, read));
        }
    }
    Ok(HistoryPage {
        messages: entries(email, found, &markers),
        more,
        cursor,
    })
}

/// The id a page ends before: a message of the conversation for `Before` (refused when
/// it is not one), past every id for `Latest`.
async fn before_of(tx: &Transaction<'_>, query: &HistoryQuery, key: &str) -> Result<i64, JobError> {
    let HistoryRange::Before(id) = query.range else {
        return Ok(i64::MAX);
    };
    let sql = "SELECT 1 FROM chat_messages WHERE id = $1 AND room = $2 AND conversation = $3";
    match row(tx, sql, &[&id, &query.room, &key]).await? {
        Some(_) => Ok(id),
        None => Err(ChatRefusal::UnknownMessage.into()),
    }
}

fn with_change(row: &Row) -> Result<(StoredMessage, i64), tokio_postgres::Error> {
    Ok((from_row(row)?, row.try_get(10)?))
}
