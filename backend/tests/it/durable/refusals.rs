//! Bad chat input, each with its code, and the connection stays open: an unknown
//! conversation, `before` an id that is no message of it, page sizes of 0, 201 and far
//! more, `after` with `before`, and a malformed `clientId`.

use super::{history, member};
use crate::it::harness::TestServer;
use serde_json::{Value, json};

#[tokio::test]
async fn bad_history_and_chat_requests_get_their_codes_and_the_connection_stays_open() {
    let server = TestServer::start().await;
    let mut alice = member(&server, "alice@example.com", "Alice").await;
    super::send(&mut alice, "one", None, "b-1").await;
    let cases: [(Value, &str, Option<&str>); 9] = [
        (
            json!({"type": "chat-history", "conversation": "nobody@example.com"}),
            "unknown-conversation",
            None,
        ),
        (
            json!({"type": "chat-history", "conversation": "general"}),
            "unknown-conversation",
            Some("conversation"),
        ),
        (
            json!({"type": "chat-history", "conversation": "room", "before": 987_654}),
            "unknown-message",
            None,
        ),
        (
            json!({"type": "chat-history", "limit": 0}),
            "invalid-field",
            Some("limit"),
        ),
        (
            json!({"type": "chat-history", "limit": 201}),
            "invalid-field",
            Some("limit"),
        ),
        (
            json!({"type": "chat-history", "limit": 1e30}),
            "invalid-field",
            Some("limit"),
        ),
        (
            json!({"type": "chat-history", "conversation": "room", "after": 1, "before": 2}),
            "invalid-field",
            Some("before"),
        ),
        (
            json!({"type": "chat", "text": "x", "clientId": "no spaces"}),
            "invalid-field",
            Some("clientId"),
        ),
        (
            json!({"type": "chat-read", "conversation": "nobody@example.com", "upTo": 1}),
            "unknown-conversation",
            None,
        ),
    ];
    for (frame, code, field) in cases {
        let error = alice.refused(frame.clone()).await;
        assert_eq!(error["code"], code, "{frame} -> {error}");
        assert_eq!(error["field"].as_str(), field, "{frame} -> {error}");
    }
    let page = history(&mut alice, json!({"conversation": "room", "limit": 200})).await;
    assert_eq!(
        super::texts(&page),
        ["one"],
        "still open and answering: {page}"
    );
}
