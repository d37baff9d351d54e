//! Offline direct messages and receipts: a message to a member who is offline is stored,
//! reaches them through their next catch-up, and its sender learns `delivered` then
//! `read`; with `receipt:false` no read receipt reaches the sender.

use super::{delivered, history, member, number, send, texts};
use crate::it::harness::TestServer;
use serde_json::json;

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";

#[tokio::test]
async fn an_offline_direct_message_is_delivered_at_the_next_login_then_read() {
    let server = TestServer::start().await;
    let mut alice = member(&server, ALICE, "Alice").await;
    let bob = member(&server, BOB, "Bob").await;
    super::await_joined(&mut alice, BOB).await;
    bob.close().await;
    super::await_left(&mut alice, BOB).await;

    let ack = send(&mut alice, "while you were out", Some(BOB), "dm-1").await;
    let id = number(&ack, "id");
    let mine = delivered(&mut alice, "while you were out").await;
    assert_eq!(mine["to"], BOB, "the sender's tabs get it too");

    let mut bob = member(&server, BOB, "Bob").await;
    let caught_up = history(&mut bob, json!({"after": 0})).await;
    assert_eq!(texts(&caught_up), ["while you were out"], "{caught_up}");
    let receipt = alice.recv_type("chat-receipt").await;
    assert_eq!(
        (
            receipt["state"].clone(),
            receipt["conversation"].clone(),
            receipt["upTo"].clone()
        ),
        (json!("delivered"), json!(BOB), json!(id)),
        "{receipt}"
    );

    bob.send_json(json!({"type": "chat-read", "conversation": ALICE, "upTo": id}))
        .await;
    let read = alice.recv_type("chat-receipt").await;
    assert_eq!(
        (read["state"].clone(), read["upTo"].clone()),
        (json!("read"), json!(id))
    );

    let own = history(&mut alice, json!({"conversation": BOB})).await;
    let message = &own["messages"][0];
    assert_eq!(
        (message["delivered"].clone(), message["read"].clone()),
        (json!(true), json!(true)),
        "{own}"
    );
}

#[tokio::test]
async fn with_receipts_off_the_sender_learns_delivered_but_never_read() {
    let server = TestServer::start().await;
    let mut alice = member(&server, ALICE, "Alice").await;
    let mut bob = member(&server, BOB, "Bob").await;
    let mut bob_phone = member(&server, BOB, "Bob").await;

    let id = number(
        &send(&mut alice, "quiet please", Some(BOB), "dm-2").await,
        "id",
    );
    delivered(&mut bob, "quiet please").await;
    let receipt = alice.recv_type("chat-receipt").await;
    assert_eq!(
        receipt["state"], "delivered",
        "live delivery counts: {receipt}"
    );

    let read = json!({"type": "chat-read", "conversation": ALICE, "upTo": id, "receipt": false});
    bob.send_json(read).await;
    let marker = bob_phone.recv_type("chat-read").await;
    assert_eq!(
        (marker["conversation"].clone(), marker["upTo"].clone()),
        (json!(ALICE), json!(id))
    );
    // Bob's read is stored before his next message, so a read receipt would come first.
    bob.chat("barrier from bob").await;
    delivered(&mut alice, "barrier from bob").await;
    let reads = alice
        .received_of("chat-receipt")
        .into_iter()
        .filter(|r| r["state"] == "read")
        .count();
    assert_eq!(reads, 0, "a read receipt despite receipt:false");
}

#[tokio::test]
async fn a_direct_message_to_someone_never_in_the_room_is_unknown_recipient() {
    let server = TestServer::start().await;
    let mut alice = member(&server, ALICE, "Alice").await;
    let refused = alice
        .refused(super::chat("hi?", Some("ghost@example.com"), "dm-3"))
        .await;
    assert_eq!(refused["code"], "unknown-recipient", "{refused}");
    assert_eq!(refused["clientId"], "dm-3", "{refused}");
    assert_eq!(super::stored_with_client_id(&server.database, "dm-3"), 0);
}
