//! The chat tables on PostgreSQL: migration steps recorded in `meetmap_schema` under the
//! part `'chat'`, run by `store::postgres::migrate` (one transaction holding the
//! deployment's migration lock, so that nodes starting together run each step once).

use deadpool_postgres::Pool;

use super::super::model::ChatStoreError;

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
    // 2: the dedupe index keyed by the client id first, as the SQLite file's step 3:
    // client ids that follow time (the browser's are UUIDv7) land at the index's end.
    "DROP INDEX chat_messages_by_client_id;
    CREATE UNIQUE INDEX chat_messages_by_client_id
        ON chat_messages (client_id, sender) WHERE client_id IS NOT NULL;",
];

/// Brings the chat part to its last step, with the other parts' runner (one lock, one
/// `meetmap_schema` for the whole deployment).
pub(super) async fn migrate(pool: &Pool) -> Result<(), ChatStoreError> {
    crate::store::postgres::migrate(pool, PART, MIGRATIONS)
        .await
        .map_err(|error| ChatStoreError::Database(error.to_string()))
}
