//! The store on PostgreSQL as several nodes see it: two handles on one database are two
//! nodes (what one stores, the other reads, under the same ids), concurrent posts from
//! both, a reader following a room's cursor that never misses a message, the server
//! stopped and started (nothing acknowledged lost, posts refused meanwhile, then
//! accepted again), a server that hangs, and retention (the plans: `pg_plans.rs`).

use super::db::{Db, RUNTIME, open_on};
use super::markers::{direct, read};
use super::*;
use std::time::Instant;

/// The texts of alice's latest page of the room.
fn texts_of(store: &ChatStore) -> Vec<String> {
    let page = history_of(store, latest("alice@x.com", None));
    page.messages.into_iter().map(|m| m.message.text).collect()
}

fn history_of(store: &ChatStore, query: HistoryQuery) -> HistoryPage {
    block_on(store.history(query)).unwrap()
}

#[test]
fn what_one_node_stores_the_other_reads_with_the_same_ids_and_markers() {
    let db = Db::postgres();
    let (a, b) = (db.open_default(), db.open_default());
    remember(&a, &["alice@x.com", "bob@x.com"]);
    let room = posted(&a, "alice@x.com", "hello from a");
    let dm = post(&a, direct("alice@x.com", "bob@x.com", "psst"))
        .unwrap()
        .message;
    let seen = history_of(&b, latest("bob@x.com", None));
    assert_eq!(seen.messages.len(), 1);
    assert_eq!(seen.messages[0].message, room);
    let bob = Some(Conversation::Direct("alice@x.com".into()));
    let seen = history_of(&b, latest("bob@x.com", bob.clone()));
    assert_eq!(seen.messages[0].message, dm);
    let listed = block_on(b.conversations(ROOM, "bob@x.com")).unwrap();
    assert_eq!(listed.len(), 2, "the room and the direct one: {listed:?}");
    assert_eq!((listed[1].last_id, listed[1].unread), (dm.id, 1));
    // Receipts marked through b are what a tells alice.
    let delivered = wait(|done| b.mark_delivered(ROOM, "bob@x.com", vec![dm.id], done));
    assert_eq!(delivered, vec![("alice@x.com".to_owned(), dm.id)]);
    read(&b, "bob@x.com", alice(), dm.id, true).unwrap();
    let alices = block_on(a.conversations(ROOM, "alice@x.com")).unwrap();
    assert_eq!(alices[1].peer_read_up_to, Some(dm.id));
    assert_eq!(alices[1].peer_delivered_up_to, Some(dm.id));
    let page = history_of(
        &a,
        latest(
            "alice@x.com",
            Some(Conversation::Direct("bob@x.com".into())),
        ),
    );
    assert!(page.messages[0].read && page.messages[0].delivered);
    // A resend through the other node is the same message, not a second one.
    let sent = post(&a, message("alice@x.com", None, "once", Some("c-1"))).unwrap();
    let again = post(&b, message("alice@x.com", None, "once", Some("c-1"))).unwrap();
    assert!(again.duplicate);
    assert_eq!(again.message, sent.message);
}

fn alice() -> Conversation {
    Conversation::Direct("alice@x.com".into())
}

#[test]
fn concurrent_posts_of_two_nodes_get_distinct_increasing_ids_and_a_cursor_misses_none() {
    let db = Db::postgres();
    let (a, b) = (db.open_default(), db.open_default());
    let count = 300;
    let started = Instant::now();
    let senders: Vec<_> = [("a@x.com", a.clone()), ("b@x.com", b.clone())]
        .into_iter()
        .map(|(from, store)| {
            std::thread::spawn(move || {
                let (done, ids) = std::sync::mpsc::channel();
                for i in 0..count {
                    let done = done.clone();
                    let text = format!("{from} {i}");
                    let sent = store.post(message(from, None, &text, None), move |posted| {
                        drop(done.send(posted.map(|p| p.message.id)));
                    });
                    if sent.is_err() {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                }
                drop(done);
                ids.iter().map(Result::unwrap).collect::<Vec<i64>>()
            })
        })
        .collect();
    // Meanwhile a client follows the room on node b, cursor after cursor.
    let mut followed = std::collections::BTreeSet::new();
    let mut cursor = 0;
    let deadline = Instant::now() + ANSWER * 6;
    while followed.len() < 2 * count && Instant::now() < deadline {
        let mut query = latest("c@x.com", None);
        query.range = HistoryRange::After(cursor);
        let page = history_of(&b, query);
        followed.extend(page.messages.iter().map(|m| m.message.id));
        cursor = page.cursor;
    }
    let mut all = Vec::new();
    for sender in senders {
        let ids = sender.join().unwrap();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "in submit order");
        all.extend(ids);
    }
    let took = started.elapsed();
    let rate = all.len() as f64 / took.as_secs_f64();
    println!(
        "postgres chat: {} posts from two nodes in {took:?}: {rate:.0}/s",
        all.len()
    );
    let distinct: std::collections::BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "no id given twice");
    assert_eq!(all.len(), 2 * count);
    assert_eq!(followed, distinct, "the cursor passed no message");
}

#[test]
fn every_done_runs_after_its_commit_the_other_node_sees_it_then() {
    let db = Db::postgres();
    let (a, b) = (db.open_default(), db.open_default());
    let (done, answers) = std::sync::mpsc::channel();
    for i in 0..100 {
        let done = done.clone();
        let text = format!("m{i}");
        a.post(message("alice@x.com", None, &text, None), move |posted| {
            let _ = done.send((i, posted.unwrap().message.id));
        })
        .unwrap();
    }
    for expected in 0..100 {
        let (i, id) = answers.recv_timeout(ANSWER).unwrap();
        assert_eq!(i, expected, "in submit order");
        let mut query = latest("bob@x.com", None);
        query.range = HistoryRange::After(id - 1);
        let page = history_of(&b, query);
        assert_eq!(page.messages.first().map(|m| m.message.id), Some(id));
    }
}

/// Posts `text` until one is stored, for at most `patience`; the refusals met first.
fn post_until_stored(store: &ChatStore, text: &str, patience: Duration) -> Vec<ChatRefusal> {
    let deadline = Instant::now() + patience;
    let mut refused = Vec::new();
    loop {
        match post(store, message("alice@x.com", None, text, Some(text))) {
            Ok(_) => return refused,
            Err(refusal) if Instant::now() < deadline => refused.push(refusal),
            Err(refusal) => panic!("never stored: {refusal}, after {refused:?}"),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_server_stopped_and_started_loses_nothing_acked_and_refuses_meanwhile() {
    let Db::Postgres { mut server, url } = Db::postgres() else {
        unreachable!()
    };
    let store = open_on(&url, ChatConfig::default());
    let acked: Vec<StoredMessage> = (0..20)
        .map(|i| posted(&store, "alice@x.com", &format!("before {i}")))
        .collect();
    server.stop();
    let refused = post(&store, message("alice@x.com", None, "down", Some("down")));
    assert_eq!(refused, Err(ChatRefusal::StoreUnavailable));
    let query = block_on(store.history(latest("alice@x.com", None)));
    assert_eq!(query, Err(ChatRefusal::StoreUnavailable));
    assert!(RUNTIME.block_on(server.restart()), "{}", server.log());
    let refusals = post_until_stored(&store, "after", ANSWER);
    assert!(
        refusals.iter().all(|r| *r == ChatRefusal::StoreUnavailable),
        "{refusals:?}"
    );
    let texts = texts_of(&store);
    let mut expected: Vec<String> = acked.iter().map(|m| m.text.clone()).collect();
    expected.push("after".into());
    assert_eq!(
        texts, expected,
        "every acked message, once; the refused one never"
    );
}

#[test]
fn retention_deletes_old_messages_and_those_beyond_the_bound_on_postgres() {
    let db = Db::postgres();
    let config = ChatConfig {
        max_per_conversation: Some(3),
        ..ChatConfig::default()
    };
    let store = db.open(config);
    let sent: Vec<StoredMessage> = (0..6)
        .map(|i| posted(&store, "alice@x.com", &format!("m{i}")))
        .collect();
    remember(&store, &["gone@x.com"]);
    let year = 400 * 24 * 3_600_000_i64;
    db.execute(&format!(
        "UPDATE chat_messages SET sent_at = sent_at - {year} WHERE id = {};
         UPDATE room_members SET last_seen = last_seen - {year}",
        sent[0].id
    ));
    let purged = block_on(store.purge_now());
    assert_eq!(
        purged,
        Purged {
            old: 1,
            beyond: 2,
            members: 1
        }
    );
    let page = history_of(&store, latest("alice@x.com", None));
    let ids: Vec<i64> = page.messages.iter().map(|m| m.message.id).collect();
    assert_eq!(ids, sent[3..].iter().map(|m| m.id).collect::<Vec<_>>());
    assert_eq!(
        block_on(store.purge_now()),
        Purged::default(),
        "nothing left to do"
    );
}

#[test]
fn a_server_that_hangs_refuses_within_the_bound_stores_nothing_refused_and_recovers() {
    let db = Db::postgres();
    let store = db.open_default();
    let before = posted(&store, "alice@x.com", "before");
    let Db::Postgres { url, .. } = &db else {
        unreachable!()
    };
    // Another session holds the table: every write and read of the store waits on it.
    let locker = RUNTIME.block_on(async {
        let locker = super::db::connect(url).await;
        locker
            .batch_execute("BEGIN; LOCK TABLE chat_messages IN ACCESS EXCLUSIVE MODE")
            .await
            .unwrap();
        locker
    });
    let started = Instant::now();
    let refused = post(&store, message("alice@x.com", None, "held", Some("held")));
    assert_eq!(refused, Err(ChatRefusal::StoreUnavailable));
    let waited = started.elapsed();
    // Given up after the store's patience (5 s), well before the test's.
    assert!(waited < ANSWER, "refused after {waited:?}");
    let query = block_on(store.history(latest("alice@x.com", None)));
    assert_eq!(query, Err(ChatRefusal::StoreUnavailable));
    RUNTIME.block_on(async { locker.batch_execute("ROLLBACK").await.unwrap() });
    post_until_stored(&store, "after", ANSWER);
    let texts = texts_of(&store);
    assert_eq!(
        texts,
        vec![before.text, "after".to_owned()],
        "the refused one never stored"
    );
}
