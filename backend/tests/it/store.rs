//! The SQLite users store: what a server leaves in its file, and a restart on that file.

use super::harness::{Client, TestServer, fast_config, lists_exactly};
use backend::store::{SqliteStore, UserStore};
use std::time::{SystemTime, UNIX_EPOCH};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}

#[tokio::test]
async fn users_are_kept_across_a_restart_and_shown_offline() {
    let started = now_ms();
    let mut first = TestServer::start().await;
    let mut alice = Client::legacy(&first, "").await;
    let mut bob = Client::delta(&first, "?room=elsewhere").await;
    alice
        .add_user("  Alice@Example.com", "Alice", Some((48.85, 2.35)))
        .await;
    bob.add_user("bob@example.com", "Bob", None).await;
    alice.await_online(&["alice@example.com"]).await;
    bob.await_online(&["bob@example.com"]).await;
    // Alice moves, then is renamed: the store keeps the latest state.
    alice
        .send_json(super::harness::profile(
            "update-user",
            "alice@example.com",
            "Alice B.",
            Some((48.86, 2.36)),
        ))
        .await;
    alice
        .recv_until(|f| f["type"] == "update-users" && f["users"][0]["name"] == "Alice B.")
        .await;

    // Both clients stay connected: the graceful stop closes them and flushes the store.
    let (_, alice_code, bob_code) = tokio::join!(first.stop(), alice.closed(), bob.closed());
    assert_eq!((alice_code, bob_code), (Some(1001), Some(1001)));
    let stopped = now_ms();

    let store = SqliteStore::open(&first.database).expect("open the file");
    let alice_record = store
        .get("alice@example.com")
        .await
        .expect("get")
        .expect("alice stored");
    assert_eq!(alice_record.name, "Alice B.");
    assert_eq!(
        (alice_record.latitude, alice_record.longitude),
        (Some(48.86), Some(2.36))
    );
    let bob_record = store
        .get("bob@example.com")
        .await
        .expect("get")
        .expect("bob stored");
    assert_eq!(bob_record.name, "Bob");
    assert_eq!((bob_record.latitude, bob_record.longitude), (None, None));
    for record in [&alice_record, &bob_record] {
        assert!(
            !record.is_connected,
            "{} stored as connected after shutdown",
            record.email
        );
        assert!(
            (started..=stopped).contains(&record.last_seen_ms),
            "last_seen {record:?} not in [{started}, {stopped}]"
        );
    }
    assert_eq!(
        store.count().await.expect("count"),
        2,
        "one record per user, under the normal email"
    );
    drop(store);

    // A new server on the same file: nobody is online until they come back.
    let mut second = TestServer::start_on(first.database.clone(), fast_config()).await;
    let mut fresh = Client::legacy(&second, "").await;
    assert!(
        lists_exactly(&fresh.recv().await, &[]),
        "a restarted server shows nobody online"
    );
    let mut elsewhere = Client::delta(&second, "?room=elsewhere").await;
    elsewhere.add_user("carol@example.com", "Carol", None).await;
    let welcome = elsewhere.recv_type("welcome").await;
    assert_eq!(
        super::harness::emails(&welcome["users"]),
        ["carol@example.com"],
        "bob is not online"
    );

    let mut alice = Client::delta(&second, "").await;
    alice
        .add_user("alice@example.com", "Alice again", None)
        .await;
    let welcome = alice.recv_type("welcome").await;
    assert_eq!(welcome["you"]["name"], "Alice again");
    fresh
        .recv_until(|f| lists_exactly(f, &["alice@example.com"]))
        .await;

    drop((fresh, elsewhere, alice));
    second.stop().await;
    let store = SqliteStore::open(&second.database).expect("reopen");
    let alice_record = store
        .get("alice@example.com")
        .await
        .expect("get")
        .expect("alice stored");
    assert_eq!(alice_record.name, "Alice again");
    assert_eq!(
        (alice_record.latitude, alice_record.longitude),
        (Some(48.86), Some(2.36)),
        "the last known position"
    );
    assert!(alice_record.last_seen_ms >= stopped);
    assert!(!alice_record.is_connected);
    assert_eq!(store.count().await.expect("count"), 3);
}
