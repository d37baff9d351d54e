//! Retention, the schema's migrations, and the bulk fill.

use super::*;

fn file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join(CHAT_FILE_NAME)
}

fn count(dir: &tempfile::TempDir, sql: &str) -> i64 {
    rusqlite::Connection::open(file(dir))
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn retention_deletes_old_messages_and_those_beyond_the_bound_in_steps() {
    let dir = tempfile::tempdir().unwrap();
    // 2,500 messages sent two days ago: more than one step of the purge.
    let mut plan = SeedPlan::ending_now(ROOM, 2_500, 3);
    plan.first_at -= 2 * 24 * 3_600_000;
    seed(&file(&dir), &plan).unwrap();
    let config = ChatConfig {
        retention: Some(Duration::from_secs(24 * 3600)),
        max_per_conversation: Some(20),
        ..ChatConfig::default()
    };
    let store = open_with(&dir, config);
    let sent: Vec<i64> = (0..30)
        .map(|i| posted(&store, "alice@x.com", &format!("m{i}")).id)
        .collect();
    // Every message edited once: a log row each.
    for (i, &id) in sent.iter().enumerate() {
        edit(&store, "alice@x.com", id, &format!("m{i}, edited")).unwrap();
    }
    let purged = block_on(store.purge_now());
    assert_eq!((purged.old, purged.beyond), (2_500, 10));
    let page = block_on(store.history(latest("alice@x.com", None))).unwrap();
    let kept: Vec<i64> = page.messages.iter().map(|e| e.message.id).collect();
    assert_eq!(kept, sent[10..].to_vec(), "the newest 20");
    assert_eq!(
        count(&dir, "SELECT COUNT(*) FROM chat_log"),
        20,
        "their log rows went too"
    );
    // Ids are never reused, even after the newest ones were deleted.
    assert!(posted(&store, "alice@x.com", "next").id > sent[29]);
    assert_eq!(block_on(store.purge_now()).old, 0);
}

#[test]
fn zero_keeps_everything_and_members_not_seen_for_long_are_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = SeedPlan::ending_now(ROOM, 50, 2);
    plan.first_at = 0;
    seed(&file(&dir), &plan).unwrap();
    let keep_all = ChatConfig {
        retention: None,
        max_per_conversation: max_of(0),
        member_retention: Some(Duration::from_secs(3600)),
        ..ChatConfig::default()
    };
    let store = open_with(&dir, keep_all);
    remember(&store, &["bob@x.com"]);
    let conn = rusqlite::Connection::open(file(&dir)).unwrap();
    conn.execute(
        "UPDATE room_members SET last_seen = 0 WHERE email <> 'bob@x.com'",
        [],
    )
    .unwrap();
    let purged = block_on(store.purge_now());
    assert_eq!(
        purged,
        Purged {
            old: 0,
            beyond: 0,
            members: 2
        }
    );
    assert_eq!(count(&dir, "SELECT COUNT(*) FROM chat_messages"), 50);
    let to_seeded = post(
        &store,
        message("bob@x.com", Some(&seed_sender(0)), "hi", None),
    );
    assert_eq!(to_seeded, Err(ChatRefusal::UnknownRecipient), "forgotten");
}

#[test]
fn retention_runs_in_the_background_until_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = SeedPlan::ending_now(ROOM, 10, 1);
    plan.first_at = 0;
    seed(&file(&dir), &plan).unwrap();
    let store = open_in(&dir);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let stop = tokio_util::sync::CancellationToken::new();
        let task = tokio::spawn(store.clone().purge_periodically(stop.clone()));
        // The first pass runs at once: wait until the old messages are gone.
        let gone = async {
            while count(&dir, "SELECT COUNT(*) FROM chat_messages") > 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), gone)
            .await
            .unwrap();
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .unwrap()
            .unwrap();
    });
}

#[test]
fn the_schema_is_migrated_once_and_a_newer_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(open_in(&dir));
    assert_eq!(count(&dir, "PRAGMA user_version"), 3);
    drop(open_in(&dir));
    assert_eq!(count(&dir, "PRAGMA user_version"), 3);
    let journal: String = rusqlite::Connection::open(file(&dir))
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    rusqlite::Connection::open(file(&dir))
        .unwrap()
        .pragma_update(None, "user_version", 7)
        .unwrap();
    let newer = ChatStore::open(&file(&dir), ChatConfig::default());
    assert!(matches!(
        newer,
        Err(ChatStoreError::NewerSchema { found: 7, known: 3 })
    ));
}

#[test]
fn a_file_of_the_first_schema_keeps_its_messages_and_hands_out_ids_past_its_log() {
    let dir = tempfile::tempdir().unwrap();
    {
        let old = rusqlite::Connection::open(file(&dir)).unwrap();
        old.execute_batch(super::super::schema::first_schema())
            .unwrap();
        // Messages 1 and 2, an edit of 2 (row 3), then messages up to 5 deleted: the log's
        // sequence stands at 5, past every row left.
        old.execute_batch(
            "INSERT INTO chat_log (id, message, kind, at_ms) VALUES
                (1, NULL, 0, 1), (2, NULL, 0, 2), (3, 2, 1, 3), (4, NULL, 0, 4), (5, NULL, 0, 5);
             DELETE FROM chat_log WHERE id > 3;
             INSERT INTO chat_messages (id, room, conversation, sender, name, text, sent_at,
                changed) VALUES
                (1, 'lobby', '', 'a@x.com', 'A', 'one', 1, 1),
                (2, 'lobby', '', 'a@x.com', 'A', 'two, edited', 2, 3);
             UPDATE chat_messages SET client_id = 'c-1' WHERE id = 1;
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let store = open_in(&dir);
    assert_eq!(count(&dir, "PRAGMA user_version"), 3);
    let page = block_on(store.history(latest("x@x.com", None))).unwrap();
    let ids: Vec<i64> = page.messages.iter().map(|e| e.message.id).collect();
    assert_eq!((ids, page.cursor), (vec![1, 2], 5));
    let next = posted(&store, "alice@x.com", "after the migration");
    assert_eq!(next.id, 6, "past the sequence, not the rows left");
    let edited = edit(&store, "alice@x.com", next.id, "again").unwrap();
    let changes = HistoryQuery {
        range: HistoryRange::After(5),
        ..latest("x@x.com", None)
    };
    let after = block_on(store.history(changes)).unwrap();
    assert_eq!(after.messages.len(), 1);
    assert_eq!(after.messages[0].message, edited);
    assert_eq!(after.cursor, 7, "the edit's row");
    let first_key = "SELECT count(*) FROM pragma_index_info('chat_messages_by_client_id')
        WHERE seqno = 0 AND name = 'client_id'";
    assert_eq!(
        count(&dir, first_key),
        1,
        "the dedupe index is keyed by the client id first"
    );
    let resent = post(&store, message("a@x.com", None, "one", Some("c-1"))).unwrap();
    assert!(
        resent.duplicate,
        "a client id stored before the migration is still known"
    );
    assert_eq!(resent.message.id, 1);
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(file(&dir), vec![b'x'; 4096]).unwrap();
    let opened = ChatStore::open(&file(&dir), ChatConfig::default());
    assert!(
        matches!(opened, Err(ChatStoreError::File { .. })),
        "{:?}",
        opened.err()
    );
}

#[test]
fn a_seeded_room_reads_like_a_posted_one_and_stays_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = seed(&file(&dir), &SeedPlan::ending_now(ROOM, 1_000, 4)).unwrap();
    assert_eq!((seeded.first_id, seeded.last_id), (1, 1_000));
    let store = open_in(&dir);
    let page = block_on(store.history(latest("x@x.com", None))).unwrap();
    assert_eq!(page.messages.len(), 50);
    let last = &page.messages[49].message;
    assert_eq!(
        (last.id, last.from.as_str(), last.text.as_str()),
        (1_000, "seed-3@example.invalid", "seed message 999")
    );
    let listed = block_on(store.conversations(ROOM, "x@x.com")).unwrap();
    assert_eq!((listed[0].last_id, listed[0].unread), (1_000, MAX_UNREAD));
    assert!(posted(&store, "alice@x.com", "after the seed").id > 1_000);
    let check: String = rusqlite::Connection::open(file(&dir))
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
