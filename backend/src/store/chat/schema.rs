//! The chat file's pragmas, its schema as a list of migration steps (`PRAGMA
//! user_version` counts the steps applied), and its two connections: the writer's and the
//! reader's (`query_only`).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use super::model::ChatStoreError;

/// How long a statement waits for a lock another process holds (an operator's
/// `chat-seed`, a backup) before the batch fails with `StoreUnavailable`.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(1);

/// How long opening the file waits for a lock another process holds (a backup, `sqlite3`
/// left in a transaction): the server starts once it is let go, rather than exiting.
pub(super) const OPEN_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// SQLite's page cache of the writer, in KiB: the index pages every write reads stay in
/// memory. Small, as the users store's: it fills as members and messages are written.
const WRITER_CACHE_KIB: i64 = 1024;

/// The reader's page cache, in KiB: the pages of history that people page through (a
/// bound, not a share of the file: the rest comes from the system's file cache).
const READER_CACHE_KIB: i64 = 8 * 1024;

/// Prepared statements each connection keeps (every statement of the store fits).
const STATEMENT_CACHE: usize = 64;

/// The steps, in order; step `n` (from 1) brings the file to `user_version = n`. A step
/// once released is never changed: a change to the schema is a new step.
const MIGRATIONS: &[&str] = &[
    // 1: the log of changes, the messages' current state, conversations, members, markers.
    "CREATE TABLE chat_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        message INTEGER,
        kind INTEGER NOT NULL,
        at_ms INTEGER NOT NULL
    );
    CREATE INDEX chat_log_by_message ON chat_log (message) WHERE message IS NOT NULL;
    CREATE TABLE chat_messages (
        id INTEGER PRIMARY KEY,
        room TEXT NOT NULL,
        conversation TEXT NOT NULL,
        sender TEXT NOT NULL,
        name TEXT NOT NULL,
        recipient TEXT,
        text TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        client_id TEXT,
        edited_at INTEGER,
        deleted INTEGER NOT NULL DEFAULT 0,
        changed INTEGER NOT NULL
    );
    CREATE INDEX chat_messages_by_conversation
        ON chat_messages (room, conversation, id, sender, deleted);
    CREATE INDEX chat_messages_by_change ON chat_messages (room, changed);
    CREATE UNIQUE INDEX chat_messages_by_client_id
        ON chat_messages (sender, client_id) WHERE client_id IS NOT NULL;
    CREATE TABLE chat_conversations (
        room TEXT NOT NULL,
        conversation TEXT NOT NULL,
        low TEXT,
        high TEXT,
        last_id INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        PRIMARY KEY (room, conversation)
    ) WITHOUT ROWID;
    CREATE INDEX chat_conversations_by_low ON chat_conversations (room, low);
    CREATE INDEX chat_conversations_by_high ON chat_conversations (room, high);
    CREATE TABLE room_members (
        room TEXT NOT NULL,
        email TEXT NOT NULL,
        name TEXT NOT NULL,
        last_seen INTEGER NOT NULL,
        PRIMARY KEY (room, email)
    ) WITHOUT ROWID;
    CREATE INDEX room_members_by_last_seen ON room_members (last_seen);
    CREATE TABLE chat_read_markers (
        room TEXT NOT NULL,
        conversation TEXT NOT NULL,
        reader TEXT NOT NULL,
        up_to INTEGER NOT NULL,
        receipts INTEGER NOT NULL,
        PRIMARY KEY (room, conversation, reader)
    ) WITHOUT ROWID;
    CREATE TABLE chat_delivered (
        room TEXT NOT NULL,
        conversation TEXT NOT NULL,
        recipient TEXT NOT NULL,
        up_to INTEGER NOT NULL,
        PRIMARY KEY (room, conversation, recipient)
    ) WITHOUT ROWID;",
    // 2: ids from one row (`ids.rs`) instead of a log row per new message (a change keeps
    // its row), starting past every id handed out so far.
    "CREATE TABLE chat_ids (last INTEGER NOT NULL);
    INSERT INTO chat_ids (last) SELECT MAX(
        COALESCE((SELECT MAX(id) FROM chat_log), 0),
        COALESCE((SELECT MAX(id) FROM chat_messages), 0),
        COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'chat_log'), 0));",
    // 3: the dedupe index keyed by the client id first. Client ids that follow time (the
    // browser's are UUIDv7) then land together at the index's end, and a commit dirties a
    // page or two of it instead of one per sender: half the cost of a stored message.
    "DROP INDEX chat_messages_by_client_id;
    CREATE UNIQUE INDEX chat_messages_by_client_id
        ON chat_messages (client_id, sender) WHERE client_id IS NOT NULL;",
];

/// The first step alone: a file as the first release wrote it, for the migration's tests.
#[cfg(test)]
pub(super) fn first_schema() -> &'static str {
    MIGRATIONS[0]
}

/// The schema version this code writes.
pub(super) fn schema_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// Opens the writer's connection: the folder made if missing, the pragmas set, the
/// migrations not yet applied run in one transaction.
pub(super) fn open_writer(path: &Path) -> Result<Connection, ChatStoreError> {
    let fail = |e: &dyn std::fmt::Display| file_error(path, e);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| fail(&e))?;
    }
    let mut conn = open(path, WRITER_CACHE_KIB)?;
    conn.busy_timeout(OPEN_BUSY_TIMEOUT).map_err(|e| fail(&e))?;
    // WAL with synchronous=NORMAL: a commit is in the WAL file when COMMIT returns, so it
    // survives the process being killed (kill -9); only a power cut or an OS crash can
    // lose the last commits, never corrupt the file.
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(|e| fail(&e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        log::warn!("chat store: sqlite refused WAL mode, using {mode}");
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| fail(&e))?;
    migrate(&mut conn, path)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| fail(&e))?;
    Ok(conn)
}

/// Opens the reader's connection, which can only read (WAL: it never waits for the
/// writer).
pub(super) fn open_reader(path: &Path) -> Result<Connection, ChatStoreError> {
    let conn = open(path, READER_CACHE_KIB)?;
    conn.pragma_update(None, "query_only", true)
        .map_err(|e| file_error(path, &e))?;
    Ok(conn)
}

fn open(path: &Path, cache_kib: i64) -> Result<Connection, ChatStoreError> {
    let fail = |e: &dyn std::fmt::Display| file_error(path, e);
    let conn = Connection::open(path).map_err(|e| fail(&e))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| fail(&e))?;
    // A negative cache size is in KiB.
    conn.pragma_update(None, "cache_size", -cache_kib)
        .map_err(|e| fail(&e))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Runs the steps the file has not had, in one immediate transaction (two servers
/// opening one new file cannot both run them).
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), ChatStoreError> {
    let fail = |e: &dyn std::fmt::Display| file_error(path, e);
    let known = schema_version();
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| fail(&e))?;
    let found: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| fail(&e))?;
    if found > known {
        return Err(ChatStoreError::NewerSchema { found, known });
    }
    let done = usize::try_from(found).unwrap_or(0);
    for step in MIGRATIONS.iter().skip(done) {
        tx.execute_batch(step).map_err(|e| fail(&e))?;
    }
    if found < known {
        tx.pragma_update(None, "user_version", known)
            .map_err(|e| fail(&e))?;
    }
    tx.commit().map_err(|e| fail(&e))
}

pub(super) fn file_error(path: &Path, reason: &dyn std::fmt::Display) -> ChatStoreError {
    ChatStoreError::File {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}
