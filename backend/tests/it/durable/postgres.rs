//! Two servers sharing one chat store on a real PostgreSQL (each with its own users'
//! file, no backplane): a room message and a direct message sent through one server are
//! in a client's history on the other, under the same ids, and the catch-up after a
//! cursor brings both.

use super::{history, member, number, roomy_config, texts};
use crate::it::harness::{Client, PATIENCE, TestServer};
use crate::it::postgres::Postgres;
use backend::store::chat::{ChatConfig, ChatStore};
use serde_json::{Value, json};
use tokio::time::Instant;

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";

/// A server whose chat store is the PostgreSQL database at `url`.
async fn node(url: &str) -> (TestServer, tempfile::TempDir) {
    let mut config = deadpool_postgres::Config::new();
    config.url = Some(url.to_owned());
    let pool = config
        .create_pool(
            Some(deadpool_postgres::Runtime::Tokio1),
            tokio_postgres::NoTls,
        )
        .expect("pool");
    let chat = ChatStore::open_postgres(pool, ChatConfig::default())
        .await
        .expect("chat store on postgres");
    let folder = tempfile::tempdir().expect("temp dir");
    let database = folder.path().join("users.sqlite3");
    let server = TestServer::start_with_chat(database, roomy_config(), chat).await;
    (server, folder)
}

/// Sends `text` with a fresh `clientId` until it is acked (the recipient's membership,
/// written by the other node, may not be committed yet); the ack.
async fn acked(client: &mut Client, text: &str, to: Option<&str>) -> Value {
    let deadline = Instant::now() + PATIENCE;
    for attempt in 0.. {
        let client_id = format!("c-{attempt}");
        client.send_json(super::chat(text, to, &client_id)).await;
        let answer = client
            .recv_until(|f| {
                f["clientId"] == client_id && (f["type"] == "chat-ack" || f["type"] == "error")
            })
            .await;
        if answer["type"] == "chat-ack" {
            return answer;
        }
        assert!(Instant::now() < deadline, "never acked: {answer}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    unreachable!()
}

#[tokio::test]
async fn a_room_and_a_direct_message_sent_on_one_node_are_in_the_history_on_the_other() {
    let postgres = Postgres::start().await;
    let url = postgres.database("chat");
    let (a, _a_files) = node(&url).await;
    let (b, _b_files) = node(&url).await;
    let mut bob = member(&b, BOB, "Bob").await;
    let mut alice = member(&a, ALICE, "Alice").await;
    let room = number(&acked(&mut alice, "hello from a", None).await, "id");
    let direct = number(&acked(&mut alice, "psst, bob", Some(BOB)).await, "id");
    assert!(direct > room);

    let page = history(&mut bob, json!({"conversation": "room"})).await;
    assert_eq!(texts(&page), ["hello from a"], "{page}");
    assert_eq!(page["messages"][0]["id"], json!(room), "{page}");
    let dms = history(&mut bob, json!({"conversation": ALICE})).await;
    assert_eq!(texts(&dms), ["psst, bob"], "{dms}");
    assert_eq!(dms["messages"][0]["id"], json!(direct), "{dms}");
    let caught_up = history(&mut bob, json!({"after": 0})).await;
    assert_eq!(
        texts(&caught_up),
        ["hello from a", "psst, bob"],
        "{caught_up}"
    );
}
