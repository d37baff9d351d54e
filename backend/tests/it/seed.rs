//! The seed's recorded exchange (legacy-protocol.md), replayed with two seed clients.

use super::harness::{Client, TestServer, lists_exactly};
use serde_json::json;

#[tokio::test]
async fn seed_exchange_replays_without_the_seed_bugs() {
    let server = TestServer::start().await;
    let mut alice = Client::legacy(&server, "").await;
    assert!(
        lists_exactly(&alice.recv().await, &[]),
        "an empty list on connect"
    );
    let mut bob = Client::legacy(&server, "").await;
    assert!(lists_exactly(&bob.recv().await, &[]));

    alice
        .add_user("alice@example.com", "Alice", Some((48.85, 2.35)))
        .await;
    let expected = json!({"type": "update-users", "users": [
        {"name": "Alice", "email": "alice@example.com", "latitude": 48.85, "longitude": 2.35, "isConnected": true}
    ]});
    assert_eq!(alice.recv().await, expected);
    assert_eq!(bob.recv().await, expected);

    bob.add_user("bob@example.com", "Bob", Some((45.75, 4.85)))
        .await;
    for client in [&mut alice, &mut bob] {
        client
            .recv_until(|f| lists_exactly(f, &["alice@example.com", "bob@example.com"]))
            .await;
    }

    alice
        .send_json(
            json!({"type": "update-user", "email": "alice@example.com", "name": "Alice",
            "latitude": 48.86, "longitude": 2.36, "isConnected": true}),
        )
        .await;
    let moved = bob.recv_type("update-users").await;
    assert_eq!(
        moved["users"][0]["latitude"], 48.86,
        "Alice sorts first and has moved"
    );

    alice
        .send_json(json!({"type": "offer", "sdp": "v=0...", "email": "alice@example.com"}))
        .await;
    let offer = bob.recv_type("offer").await;
    assert_eq!(
        offer,
        json!({"type": "offer", "from": "alice@example.com", "sdp": "v=0...", "email": "alice@example.com"})
    );

    alice.send_text("not json").await;
    let error = alice.recv_type("error").await;
    assert_eq!(
        error["code"], "invalid-json",
        "the first error is for the bad frame, none for the relay"
    );
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));

    for client in [&alice, &bob] {
        assert!(
            client.received_of("users-list").is_empty(),
            "no address list"
        );
        assert!(
            !client
                .received
                .iter()
                .any(|f| f.to_string().contains("127.0.0.1")),
            "no address"
        );
    }
    drop(bob);
    alice
        .recv_until(|f| lists_exactly(f, &["alice@example.com"]))
        .await;
}
