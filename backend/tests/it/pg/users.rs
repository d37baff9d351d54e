//! The users store on PostgreSQL: batched upserts, presence per node, the purge, and a
//! database that is down when the backend starts.

use super::{Postgres, database, pool};
use crate::it::binary::Launch;
use crate::it::harness::{Client, PATIENCE};
use backend::store::postgres::PgUserStore;
use backend::store::{UserRecord, UserStore};
use tokio::time::Instant;

fn user(email: &str, connected: bool, seen: u64, position: Option<(f64, f64)>) -> UserRecord {
    UserRecord {
        email: email.into(),
        name: email.split('@').next().unwrap_or(email).into(),
        latitude: position.map(|(lat, _)| lat),
        longitude: position.map(|(_, lon)| lon),
        is_connected: connected,
        last_seen_ms: seen,
    }
}

async fn connected(store: &PgUserStore, email: &str) -> bool {
    let record = store.get(email).await.expect("get").expect("known");
    record.is_connected
}

#[tokio::test]
async fn a_batch_is_upserted_and_a_missing_position_keeps_the_stored_one() {
    let (_server, url) = database("users_upsert").await;
    let store = PgUserStore::new(pool(&url), "node-a");
    let batch: Vec<UserRecord> = (0..500)
        .map(|i| user(&format!("u{i}@example.com"), true, 1_000, Some((1.0, 2.0))))
        .collect();
    store.write(batch).await.expect("the first batch");
    store
        .write(vec![user("u7@example.com", false, 2_000, None)])
        .await
        .expect("an update");
    let got = store.get("u7@example.com").await.unwrap().expect("known");
    assert_eq!(got.position(), Some((1.0, 2.0)), "{got:?}");
    assert_eq!((got.is_connected, got.last_seen_ms), (false, 2_000));
    assert!(connected(&store, "u8@example.com").await);
    assert_eq!(store.get("nobody@example.com").await.unwrap(), None);
}

#[tokio::test]
async fn a_nodes_reset_leaves_the_other_nodes_users_connected() {
    let (_server, url) = database("users_nodes").await;
    let (a, b) = (
        PgUserStore::new(pool(&url), "node-a"),
        PgUserStore::new(pool(&url), "node-b"),
    );
    a.write(vec![user("ada@example.com", true, 1, None)])
        .await
        .unwrap();
    b.write(vec![user("bob@example.com", true, 1, None)])
        .await
        .unwrap();
    // Two tabs of one user on two nodes: connected while either holds them.
    a.write(vec![user("two@example.com", true, 1, None)])
        .await
        .unwrap();
    b.write(vec![user("two@example.com", true, 1, None)])
        .await
        .unwrap();
    a.write(vec![user("two@example.com", false, 2, None)])
        .await
        .unwrap();
    assert!(
        connected(&a, "two@example.com").await,
        "node-b still holds them"
    );

    a.reset_presence().await.expect("node-a restarts");
    assert!(!connected(&a, "ada@example.com").await);
    assert!(connected(&a, "bob@example.com").await, "node-b's user kept");
    assert!(connected(&a, "two@example.com").await);

    let purged = a.purge_not_seen_since(10).await.expect("purge");
    assert_eq!(purged, 1, "ada alone: bob and two are connected on node-b");
    assert_eq!(a.get("ada@example.com").await.unwrap(), None);
    b.reset_presence().await.unwrap();
    assert_eq!(a.purge_not_seen_since(10).await.unwrap(), 2);
}

#[tokio::test]
async fn a_database_down_at_start_is_written_once_it_comes() {
    let port = Postgres::free_port();
    let url = format!("postgres://meetmap@127.0.0.1:{port}/postgres");
    let folder = tempfile::tempdir().expect("temporary folder");
    let mut backend = Launch::new()
        .args(["--database", &url, "--allow-shared-emails"])
        .arg("--data-dir")
        .arg(folder.path())
        .start()
        .await;
    backend
        .logged(PATIENCE, |line| line.contains("PostgreSQL is unavailable"))
        .await;
    let url_ws = format!("{}?room=lobby", backend.url);
    let mut client = Client::connect(&url_ws, Some(shared::DELTA_SUBPROTOCOL)).await;
    client
        .add_user("early@example.com", "Early", Some((48.85, 2.35)))
        .await;
    client.recv_type("welcome").await;

    let _server = Postgres::start_on(port).await;
    let store = PgUserStore::new(pool(&url), "reader");
    let deadline = Instant::now() + PATIENCE * 4;
    let written = loop {
        if let Ok(Some(record)) = store.get("early@example.com").await {
            break record;
        }
        assert!(Instant::now() < deadline, "never written");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(written.is_connected, "{written:?}");
    assert_eq!(written.position(), Some((48.85, 2.35)));
    assert!(backend.is_running());
}
