//! Two servers sharing one chat store on a real PostgreSQL (each with its own users'
//! file): a room message and a direct message sent through one server are in a client's
//! history on the other, under the same ids, and the catch-up after a cursor brings both;
//! with a real Redis as their backplane too, the direct message reaches the recipient on
//! the other node live, under the id its history gives.

use super::{history, member, number, roomy_config, texts};
use crate::it::cluster::redis::Redis;
use crate::it::harness::{Client, PATIENCE, TestServer};
use crate::it::postgres::Postgres;
use backend::ServerConfig;
use backend::store::chat::{ChatConfig, ChatStore};
use clap::Parser;
use serde_json::{Value, json};
use tokio::time::Instant;

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";

/// A server whose chat store is the PostgreSQL database at `url`.
async fn node(url: &str) -> (TestServer, tempfile::TempDir) {
    node_with(url, roomy_config()).await
}

/// [`node`] with `config`.
async fn node_with(url: &str, config: ServerConfig) -> (TestServer, tempfile::TempDir) {
    let mut pool_config = deadpool_postgres::Config::new();
    pool_config.url = Some(url.to_owned());
    let pool = pool_config
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
    let server = TestServer::start_with_chat(database, config, chat).await;
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

/// [`node`] on the backplane of `redis` as node `id`.
async fn clustered(url: &str, redis: &Redis, id: &str) -> (TestServer, tempfile::TempDir) {
    let flags = ["backend", "--redis", &redis.url(), "--node-id", id];
    let args = backend::config::Args::try_parse_from(flags).expect("flags");
    let mut config = roomy_config();
    config.backplane = args.server_config().backplane;
    assert!(config.backplane.is_some());
    node_with(url, config).await
}

#[tokio::test]
async fn with_a_backplane_a_direct_message_reaches_the_other_node_live_under_its_stored_id() {
    let (postgres, redis) = (Postgres::start().await, Redis::start().await);
    let url = postgres.database("chat");
    let (a, _a_files) = clustered(&url, &redis, "node-a").await;
    let (b, _b_files) = clustered(&url, &redis, "node-b").await;
    let mut bob = member(&b, BOB, "Bob").await;
    let mut alice = member(&a, ALICE, "Alice").await;
    super::await_joined(&mut alice, BOB).await;
    let direct = number(&acked(&mut alice, "live, bob", Some(BOB)).await, "id");
    let live = super::delivered(&mut bob, "live, bob").await;
    assert_eq!(
        (live["id"].clone(), live["from"].clone()),
        (json!(direct), json!(ALICE)),
        "{live}"
    );
    let dms = history(&mut bob, json!({"conversation": ALICE})).await;
    assert_eq!(dms["messages"][0]["id"], json!(direct), "{dms}");
}
