//! The query plans: every read of `chat_messages` the store makes is a search through an
//! index (a range or a point), never a scan, so that a page costs the same in a room of a
//! million messages as in a room of fifty. SQLite plans without statistics here as in the
//! server (nothing runs `ANALYZE`).

use super::super::conversations::{LIST_SQL, UNREAD_SQL};
use super::super::history::{after_sql, page_sql};
use super::super::messages::by_client_id_sql;
use super::*;

/// The plan's lines of `sql` run with `params`.
fn plan(conn: &rusqlite::Connection, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Vec<String> {
    conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap()
        .query_map(params, |row| row.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn every_read_of_the_messages_searches_an_index() {
    let dir = tempfile::tempdir().unwrap();
    drop(open_in(&dir));
    let conn = rusqlite::Connection::open(dir.path().join(CHAT_FILE_NAME)).unwrap();
    let (room, key, email) = (&ROOM as &dyn rusqlite::ToSql, &"", &"a@x.com");
    // (what, its SQL, parameters, the index and the range it must search).
    let queries: [(&str, String, Vec<&dyn rusqlite::ToSql>, &str); 5] = [
        (
            "a page",
            page_sql(),
            vec![room, key, &100, &51],
            "INDEX chat_messages_by_conversation (room=? AND conversation=? AND id<?)",
        ),
        (
            "changes in a conversation",
            after_sql(true),
            vec![room, &7, key, &51],
            "INDEX chat_messages_by_change (room=? AND changed>?)",
        ),
        (
            "changes in the room",
            after_sql(false),
            vec![room, &7, email, &51],
            "INDEX chat_messages_by_change (room=? AND changed>?)",
        ),
        (
            "a client id",
            by_client_id_sql(),
            vec![email, &"k-1"],
            "INDEX chat_messages_by_client_id (client_id=? AND sender=?)",
        ),
        (
            "the unread count",
            UNREAD_SQL.to_owned(),
            vec![room, key, &7, email, &1000],
            "INDEX chat_messages_by_conversation (room=? AND conversation=? AND id>?)",
        ),
    ];
    for (what, sql, params, search) in &queries {
        let lines = plan(&conn, sql, params);
        let messages: Vec<&String> = lines
            .iter()
            .filter(|line| line.contains("chat_messages"))
            .collect();
        assert!(!messages.is_empty(), "{what}: {lines:?}");
        for line in messages {
            assert!(
                line.starts_with("SEARCH chat_messages USING") && line.ends_with(search),
                "{what} must search {search}: {lines:?}"
            );
        }
        assert!(
            !lines.iter().any(|line| line.contains("TEMP B-TREE")),
            "{what} must come in the index's order: {lines:?}"
        );
    }
    let listed = plan(&conn, LIST_SQL, &[room, email]);
    assert!(
        listed
            .iter()
            .filter(|line| line.contains("chat_conversations"))
            .all(|line| line.starts_with("SEARCH")),
        "the conversations: {listed:?}"
    );
}
