//! Edit and delete of one's own message within the edit window (1 s here), shown to
//! everyone; refused for someone else's message, for an unknown one, and once the window
//! has passed by the clock.

use super::{delivered, member, number, send};
use crate::it::harness::{Client, TestServer};
use backend::store::chat::ChatConfig;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

async fn refused(client: &mut Client, frame: Value) -> String {
    let error = client.refused(frame).await;
    error["code"].as_str().unwrap_or_default().to_owned()
}

fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    u64::try_from(since.as_millis()).expect("ms fit")
}

#[tokio::test]
async fn own_messages_are_edited_and_deleted_within_the_window_and_refused_after_it() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let database = folder.path().join("users.sqlite3");
    let window = Duration::from_secs(1);
    let chat = ChatConfig {
        edit_window: window,
        ..ChatConfig::default()
    };
    let server = TestServer::start_chatting(database, super::roomy_config(), chat).await;
    let mut alice = member(&server, "alice@example.com", "Alice").await;
    let mut bob = member(&server, "bob@example.com", "Bob").await;
    let first = send(&mut alice, "Lunch?", None, "e-1").await;
    let second = send(&mut alice, "oops", None, "e-2").await;
    let (id, other) = (number(&first, "id"), number(&second, "id"));

    alice
        .send_json(json!({"type": "chat-edit", "id": id, "text": "Lunch at 1?"}))
        .await;
    let edited = delivered(&mut bob, "Lunch at 1?").await;
    assert_eq!(edited["id"], id);
    assert!(edited["editedAt"].is_u64(), "{edited}");
    alice
        .send_json(json!({"type": "chat-delete", "id": other}))
        .await;
    let deleted = bob
        .recv_until(|f| f["type"] == "chat" && f["id"] == other)
        .await;
    assert_eq!(
        (deleted["deleted"].clone(), deleted["text"].clone()),
        (json!(true), json!(""))
    );

    let bobs_try = json!({"type": "chat-edit", "id": id, "text": "Bob was here"});
    assert_eq!(refused(&mut bob, bobs_try).await, "not-your-message");
    let bobs_delete = json!({"type": "chat-delete", "id": id});
    assert_eq!(refused(&mut bob, bobs_delete).await, "not-your-message");
    let gone = json!({"type": "chat-edit", "id": other, "text": "back"});
    assert_eq!(refused(&mut alice, gone).await, "unknown-message");
    let unknown = json!({"type": "chat-delete", "id": 999_999});
    assert_eq!(refused(&mut alice, unknown).await, "unknown-message");

    // The window closes by the clock: the message's own time plus the window.
    let closes = number(&first, "sentAt") + 1_000 + 50;
    tokio::time::sleep(Duration::from_millis(closes.saturating_sub(now_ms()))).await;
    let late = json!({"type": "chat-edit", "id": id, "text": "too late"});
    assert_eq!(refused(&mut alice, late).await, "edit-window-closed");
    let late_delete = json!({"type": "chat-delete", "id": id});
    assert_eq!(refused(&mut alice, late_delete).await, "edit-window-closed");
}
