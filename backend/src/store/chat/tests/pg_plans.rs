//! The query plans on PostgreSQL: with 40,000 messages and statistics, every read of the
//! messages and the conversation list searches the index made for it, never a scan.

use super::db::{Db, RUNTIME};

/// The plan's text of `sql` with `params` written in.
fn plan(db: &Db, sql: &str, params: &[&str]) -> String {
    let Db::Postgres { url, .. } = db else {
        unreachable!()
    };
    RUNTIME.block_on(async {
        let client = super::db::connect(url).await;
        let mut plan = String::new();
        let text = params
            .iter()
            .enumerate()
            .fold(sql.to_owned(), |sql, (i, value)| {
                sql.replace(&format!("${}", i + 1), value)
            });
        for row in client.query(&format!("EXPLAIN {text}"), &[]).await.unwrap() {
            plan.push_str(row.get::<_, &str>(0));
            plan.push('\n');
        }
        plan
    })
}

#[test]
fn every_read_of_the_messages_searches_an_index_on_postgres() {
    use super::super::history::{after_sql, page_sql};
    use super::super::messages::by_client_id_sql;
    use super::super::postgres::{LIST_SQL, UNREAD_SQL, dollars};
    let db = Db::postgres();
    drop(db.open_default());
    // 40,000 messages in 100 rooms, each with a few direct conversations, and statistics.
    db.execute(
        "INSERT INTO chat_messages (id, room, conversation, sender, name, recipient, text,
            sent_at, client_id, changed)
         SELECT i, 'room' || (i % 100), CASE WHEN i % 7 = 0 THEN 'a' || (i % 13) ELSE '' END,
            'u' || (i % 50), 'n', NULL, 'text', i, 'c' || i, i
         FROM generate_series(1, 40000) i;
         INSERT INTO chat_conversations (room, conversation, low, high, last_id, last_at)
         SELECT 'room' || (i % 100), 'u' || i || chr(10) || 'v' || i, 'u' || i, 'v' || i, i, i
         FROM generate_series(1, 5000) i;
         ANALYZE",
    );
    let (room, key, email) = ("'room7'", "''", "'u7'");
    // (what, its SQL, parameters, the index it must search).
    let queries: [(&str, String, Vec<&str>, &str); 6] = [
        (
            "a page",
            dollars(&page_sql()),
            vec![room, key, "100", "51"],
            "chat_messages_by_conversation",
        ),
        (
            "changes in a conversation",
            dollars(&after_sql(true)),
            vec![room, "7", key, "51"],
            "chat_messages_by_change",
        ),
        (
            "changes in a room",
            dollars(&after_sql(false)),
            vec![room, "7", email, "51"],
            "chat_messages_by_change",
        ),
        (
            "unread",
            UNREAD_SQL.to_owned(),
            vec![room, key, "7", email, "1000"],
            "chat_messages_by_conversation",
        ),
        (
            "dedupe",
            dollars(&by_client_id_sql()),
            vec![email, "'c-1'"],
            "chat_messages_by_client_id",
        ),
        (
            "conversations",
            LIST_SQL.to_owned(),
            vec![room, email],
            "chat_conversations_by_low",
        ),
    ];
    for (what, sql, params, index) in queries {
        let plan = plan(&db, &sql, &params);
        assert!(plan.contains(index), "{what}: {plan}");
        assert!(!plan.contains("Seq Scan"), "{what}: {plan}");
    }
    let conversations = plan(&db, LIST_SQL, &[room, email]);
    assert!(
        conversations.contains("chat_conversations_by_high"),
        "{conversations}"
    );
}
