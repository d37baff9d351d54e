//! Message size limits: over the limit closes that connection with 1009, at the limit is
//! read, and nobody else is affected.

use super::harness::{Client, TestServer, configured, fast_config};
use serde_json::{Value, json};

/// A chat frame of exactly `size` bytes (its text is junk to the protocol: too long).
fn chat_frame_of(size: usize) -> String {
    let empty = json!({"type": "chat", "text": ""}).to_string();
    json!({"type": "chat", "text": "x".repeat(size - empty.len())}).to_string()
}

/// A server whose messages are limited to `limit` bytes, and a registered bystander who
/// must not be affected by what happens to others.
async fn limited_server_with_bystander(limit: usize) -> (TestServer, Client) {
    let server = TestServer::start_with(configured(fast_config(), |config| {
        config.connection.max_message_bytes = limit;
    }))
    .await;
    let mut bystander = Client::delta(&server, "").await;
    bystander.add_user("bob@example.com", "Bob", None).await;
    bystander.recv_type("welcome").await;
    (server, bystander)
}

#[tokio::test]
async fn a_message_over_the_limit_closes_with_1009_and_at_the_limit_is_answered() {
    let limit = 4096;
    let (server, mut bystander) = limited_server_with_bystander(limit).await;

    let mut client = Client::delta(&server, "").await;
    let at_limit = chat_frame_of(limit);
    assert_eq!(at_limit.len(), limit);
    client.send_text(&at_limit).await;
    let answer: Value = client.recv_type("error").await;
    assert_eq!(
        answer["code"], "invalid-field",
        "read and refused on its content, not its size"
    );

    client.send_text(&chat_frame_of(limit + 1)).await;
    assert_eq!(client.closed().await, Some(1009));

    bystander.barrier("still here").await;
}

#[tokio::test]
async fn small_continuation_frames_past_the_limit_close_with_1009() {
    let limit = 4096;
    let (server, mut bystander) = limited_server_with_bystander(limit).await;

    let mut client = Client::delta(&server, "").await;
    // 100-byte fragments, never final: each is small, the message they build is not.
    let fragment = [b'x'; 100];
    client.send_fragment(&fragment, true, false).await;
    for _ in 0..(limit / fragment.len() + 5) {
        client.send_fragment(&fragment, false, false).await;
    }
    assert_eq!(
        client.closed().await,
        Some(1009),
        "closed once the message passes the limit"
    );
    bystander.barrier("unaffected").await;
}
