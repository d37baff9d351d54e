//! The chat tables on PostgreSQL: migration steps recorded in `meetmap_schema` under the
//! part `'chat'`, each run in one transaction holding the deployment's migration lock, so
//! that nodes starting together run each step once.

use deadpool_postgres::Pool;

use super::super::model::ChatStoreError;
use super::sql::PATIENCE;

/// The advisory lock every part's migrations take (one key for the whole schema).
pub(super) const MIGRATION_LOCK: i64 = 0x6d65_6574_6d61_7073; // "meetmaps"

/// This part's name in `meetmap_schema`.
const PART: &str = "chat";

/// The steps, in order; step `n` (from 1) brings the part to version `n`. A step once
/// released is never changed: a change to the schema is a new step.
const MIGRATIONS: &[&str] = &[
    // 1: ids from a sequence; the messages' current state (a change's id is `changed`),
    // conversations, members, markers. The indexes serve the history page (room,
    // conversation, id), the changes after a cursor (room, changed), the dedupe (sender,
    // client id) and the conversation list (room, low / high).
    "CREATE SEQUENCE chat_ids;
    CREATE TABLE chat_messages (
        id BIGINT PRIMARY KEY,
        room TEXT NOT NULL,
        conversation TEXT NOT NULL,
        sender TEXT NOT NULL,
        name TEXT NOT NULL,
        recipient TEXT,
        text TEXT NOT NULL,
        sent_at BIGINT NOT NULL,
        client_id TEXT,
        edited_at BIGINT,
        deleted BOOLEAN NOT NULL DEFAULT false,
        changed BIGINT NOT NULL
    );
    CREATE INDEX chat_messages_by_conversation ON chat_messages (room, conversation, id);
    CREATE INDEX chat_messages_by_change ON chat_messages (room, changed);
    CREATE UNIQUE INDEX chat_messages_by_client_id
        ON chat_messages (sender, client_id) WHERE client_id IS NOT NULL;
    CREATE TABLE chat_conversations (
        room TEXT NOT NULL,
        conversation TEXT NOT NULL,
        low TEXT,
        high TEXT,
        last_id BIGINT NOT NULL,
        last_at BIGINT NOT NULL,
        PRIMARY KEY (room, conversation)
    );
    CREATE INDEX chat_conversations_by_low ON chat_conversations (room, low);
    CREATE INDEX chat_conversations_by_high ON chat_conversations (room, high);
    CREATE TABLE room_members (
        room TEXT NOT NULL,
        email TEXT NOT NULL,
        name TEXT NOT NULL,
        last_seen BIGINT NOT NULL,
        PRIMARY KEY (room, email)
    );
    CREATE INDEX room_members_by_last_seen ON room_members (last_seen);
    CREATE TABLE chat_read_markers (
        room TEXT NOT NULL,
        conversation TEXT NOT NULL,
        reader TEXT NOT NULL,
        up_to BIGINT NOT NULL,
        receipts BOOLEAN NOT NULL,
        PRIMARY KEY (room, conversation, reader)
    );
    CREATE TABLE chat_delivered (
        room TEXT NOT NULL,
        conversation TEXT NOT NULL,
        recipient TEXT NOT NULL,
        up_to BIGINT NOT NULL,
        PRIMARY KEY (room, conversation, recipient)
    );",
];

/// The version this code writes.
pub(super) fn schema_version() -> i32 {
    i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX)
}

/// Brings the database to [`schema_version`]: the steps not yet applied, in one
/// transaction under [`MIGRATION_LOCK`].
pub(super) async fn migrate(pool: &Pool) -> Result<(), ChatStoreError> {
    let fail = |e: &dyn std::fmt::Display| ChatStoreError::Database(e.to_string());
    let mut client = tokio::time::timeout(PATIENCE, pool.get())
        .await
        .map_err(|e| fail(&e))?
        .map_err(|e| fail(&e))?;
    let tx = client.transaction().await.map_err(|e| fail(&e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| fail(&e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS meetmap_schema (part TEXT PRIMARY KEY, version INT NOT NULL)",
    )
    .await
    .map_err(|e| fail(&e))?;
    let found: i32 = tx
        .query_opt(
            "SELECT version FROM meetmap_schema WHERE part = $1",
            &[&PART],
        )
        .await
        .map_err(|e| fail(&e))?
        .map_or(Ok(0), |row| row.try_get(0))
        .map_err(|e| fail(&e))?;
    let known = schema_version();
    if found > known {
        let (found, known) = (i64::from(found), i64::from(known));
        return Err(ChatStoreError::NewerSchema { found, known });
    }
    for step in MIGRATIONS.iter().skip(usize::try_from(found).unwrap_or(0)) {
        tx.batch_execute(step).await.map_err(|e| fail(&e))?;
    }
    tx.execute(
        "INSERT INTO meetmap_schema (part, version) VALUES ($1, $2)
         ON CONFLICT (part) DO UPDATE SET version = excluded.version",
        &[&PART, &known],
    )
    .await
    .map_err(|e| fail(&e))?;
    tx.commit().await.map_err(|e| fail(&e))
}
