//! Two nodes (a real Redis, one `--session-secret`) on ONE PostgreSQL database: the email
//! rules hold across them.

use super::database;
use crate::it::cluster::Node;
use crate::it::cluster::redis::Redis;
use crate::it::frames::profile;
use crate::it::harness::Client;
use crate::it::postgres::Postgres;
use serde_json::{Value, json};
use std::process::Command;

const ALICE: &str = "alice@example.com";
/// ALICE with a Cyrillic "а": the same skeleton.
const LOOKALIKE: &str = "\u{0430}lice@example.com";

struct Cluster {
    _server: Postgres,
    _redis: Redis,
    url: String,
    one: Node,
    two: Node,
}

/// Redis, a database, and two nodes on both.
async fn cluster(name: &str) -> Cluster {
    let (server, url) = database(name).await;
    let redis = Redis::start().await;
    let one = Node::start_storing(&redis, "node-1", Some(&url)).await;
    let two = Node::start_storing(&redis, "node-2", Some(&url)).await;
    Cluster {
        _server: server,
        _redis: redis,
        url,
        one,
        two,
    }
}

/// An `add-user` of `email` with an optional token and link code.
fn add_user(email: &str, token: Option<&str>, link: Option<&str>) -> Value {
    let mut frame = profile("add-user", email, "Someone", Some((48.85, 2.35)));
    for (field, value) in [("token", token), ("linkCode", link)] {
        if let Some(value) = value {
            frame[field] = json!(value);
        }
    }
    frame
}

async fn delta(node: &Node) -> Client {
    let url = format!("{}?room=lobby", node.backend.url);
    Client::connect(&url, Some(shared::DELTA_SUBPROTOCOL)).await
}

/// A delta client on `node` signed in with `frame`; returns it and its token.
async fn signed_in(node: &Node, frame: Value) -> (Client, String) {
    let mut client = delta(node).await;
    client.send_json(frame).await;
    let welcome = client
        .recv_until(|f| f["type"] == "welcome" || f["type"] == "error")
        .await;
    assert_eq!(welcome["type"], "welcome", "signed in: {welcome}");
    let token = welcome["token"].as_str().expect("a token").to_owned();
    (client, token)
}

/// The code of the refusal `node` answers `frame` with.
async fn refusal(node: &Node, frame: Value) -> String {
    let mut client = delta(node).await;
    let error = client.refused(frame).await;
    error["code"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_claim_made_on_one_node_holds_on_the_other() {
    let cluster = cluster("claims_across").await;
    let (alice, token) = signed_in(&cluster.one, add_user(ALICE, None, None)).await;
    alice.close().await;

    let taken = refusal(&cluster.two, add_user(ALICE, None, None)).await;
    assert_eq!(taken, "email-claimed", "node-2 knows node-1's claim");
    let lookalike = refusal(&cluster.two, add_user(LOOKALIKE, None, None)).await;
    assert_eq!(lookalike, "email-confusable");
    let forged = refusal(
        &cluster.two,
        add_user(ALICE, Some("v2.YWxpY2V8eHx4.AAAA"), None),
    )
    .await;
    assert_eq!(forged, "invalid-token");

    let (_alice, renewed) = signed_in(&cluster.two, add_user(ALICE, Some(&token), None)).await;
    assert!(!renewed.is_empty(), "node-1's token signs in on node-2");
}

#[tokio::test]
async fn a_seed_clients_email_online_on_one_node_is_in_use_for_a_delta_client_on_the_other() {
    let cluster = cluster("in_use_across").await;
    let mut seed = Client::connect(&cluster.one.backend.url, None).await;
    seed.recv_type("update-users").await;
    seed.add_user(ALICE, "Alice", Some((1.0, 2.0))).await;
    let mut watcher = cluster
        .two
        .member(shared::DEFAULT_ROOM, "ola@example.com")
        .await;
    watcher.await_shown(ALICE).await;

    let taken = refusal(&cluster.two, add_user(ALICE, None, None)).await;
    assert_eq!(
        taken, "email-in-use",
        "node-2 knows alice is online on node-1"
    );
    seed.close().await;
    watcher
        .recv_until(|frame| crate::it::frames::delta_has(frame, "left", ALICE))
        .await;
    let (_alice, token) = signed_in(&cluster.two, add_user(ALICE, None, None)).await;
    assert!(
        !token.is_empty(),
        "once she left, her email is free on node-2"
    );
}

#[tokio::test]
async fn a_link_code_from_one_node_is_redeemed_on_the_other_once() {
    let cluster = cluster("links_across").await;
    let (mut phone, phone_token) = signed_in(&cluster.one, add_user(ALICE, None, None)).await;
    phone.send_json(json!({"type": "link-device"})).await;
    let link = phone.recv_type("device-link").await;
    let code = link["code"].as_str().expect("a code").to_owned();

    let frame = add_user(ALICE, None, Some(&code));
    let (_laptop, laptop_token) = signed_in(&cluster.two, frame.clone()).await;
    assert_ne!(laptop_token, phone_token);
    assert_eq!(
        refusal(&cluster.two, frame.clone()).await,
        "invalid-link-code"
    );
    assert_eq!(refusal(&cluster.one, frame).await, "invalid-link-code");

    phone.send_json(json!({"type": "sign-out"})).await;
    phone.recv_type("signed-out").await;
    let revoked = refusal(&cluster.two, add_user(ALICE, Some(&phone_token), None)).await;
    assert_eq!(
        revoked, "invalid-token",
        "signed out on node-1, refused on node-2"
    );
    signed_in(&cluster.two, add_user(ALICE, Some(&laptop_token), None)).await;
}

#[tokio::test]
async fn the_operators_release_against_the_url_frees_the_email_on_every_node() {
    let cluster = cluster("release_across").await;
    // Bob, on node two, tells when node two has seen Alice come and go: until then
    // her email is in use there, whatever the claims say.
    let (mut bob, _) = signed_in(&cluster.two, add_user("bob@example.com", None, None)).await;
    let (alice, _token) = signed_in(&cluster.one, add_user(ALICE, None, None)).await;
    bob.await_online(&[ALICE, "bob@example.com"]).await;
    alice.close().await;
    bob.await_online(&["bob@example.com"]).await;
    assert_eq!(
        refusal(&cluster.two, add_user(ALICE, None, None)).await,
        "email-claimed"
    );

    let released = Command::new(env!("CARGO_BIN_EXE_backend"))
        .args(["--database", &cluster.url, "release-claim", ALICE])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run backend release-claim");
    let said = String::from_utf8_lossy(&released.stdout);
    assert!(
        released.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&released.stderr)
    );
    assert!(said.contains("1 devices signed out"), "{said}");
    signed_in(&cluster.two, add_user(ALICE, None, None)).await;
}

/// The ack of the chat `client_id`, or the error refusing it.
async fn answer_to(client: &mut Client, client_id: &str) -> Value {
    client
        .recv_until(|f| {
            f["clientId"] == client_id && (f["type"] == "chat-ack" || f["type"] == "error")
        })
        .await
}

#[tokio::test]
async fn a_room_chat_sent_on_one_node_has_one_id_live_and_in_the_history_on_the_other() {
    let cluster = cluster("chat_across").await;
    let (mut bob, _) = signed_in(&cluster.two, add_user("bob@example.com", None, None)).await;
    let (mut alice, _) = signed_in(&cluster.one, add_user(ALICE, None, None)).await;
    // Room chat goes to the nodes known to hold the room's members.
    alice.await_online(&[ALICE, "bob@example.com"]).await;
    let frame = json!({"type": "chat", "text": "hello across", "clientId": "c-1"});
    alice.send_json(frame).await;
    let ack = answer_to(&mut alice, "c-1").await;
    assert_eq!(ack["type"], "chat-ack", "{ack}");
    let id = ack["id"].clone();
    assert!(id.is_u64(), "{ack}");

    let live = bob
        .recv_until(|f| f["type"] == "chat" && f["text"] == "hello across")
        .await;
    assert_eq!(live["id"], id, "the same id on the other node: {live}");
    bob.send_json(json!({"type": "chat-history", "conversation": "room"}))
        .await;
    let page = bob.recv_type("chat-history").await;
    let stored: Vec<&Value> = page["messages"]
        .as_array()
        .map(|m| m.iter().filter(|m| m["id"] == id).collect())
        .unwrap_or_default();
    assert_eq!(
        stored.len(),
        1,
        "node-2's history holds node-1's message: {page}"
    );
    assert_eq!(stored[0]["text"], "hello across");
}
