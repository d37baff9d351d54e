//! Durable chat through the real server: messages stored before they are acked, kept
//! across restarts (SIGTERM and kill -9 of the real binary), history pages and catch-up,
//! exactly-once resends, offline direct messages with their receipts, edits within the
//! window, and refusals that name the message they refuse.

mod editing;
mod history;
mod postgres;
mod receipts;
mod refusals;
mod restart;
mod sending;

use super::harness::{Client, TestServer, configured, fast_config};
use backend::{Rate, ServerConfig};
use serde_json::{Value, json};
use std::path::Path;

/// The test config with chat rates no test of ordering or history runs into.
pub fn roomy_config() -> ServerConfig {
    configured(fast_config(), |config| {
        config.budget.chat_rate = Rate::new(10_000.0, 10_000);
    })
}

/// A delta client registered as `email` on the server at `url`, once welcomed.
pub async fn joined(url: &str, email: &str, name: &str) -> Client {
    let mut client = Client::connect(url, Some(shared::DELTA_SUBPROTOCOL)).await;
    client.add_user(email, name, None).await;
    client.recv_type("welcome").await;
    client
}

/// [`joined`] on an in-process server's default room.
pub async fn member(server: &TestServer, email: &str, name: &str) -> Client {
    joined(&server.url(""), email, name).await
}

/// A `chat` frame with a `clientId`, to the room or with `to` to one member.
pub fn chat(text: &str, to: Option<&str>, client_id: &str) -> Value {
    let mut frame = json!({"type": "chat", "text": text, "clientId": client_id});
    if let Some(to) = to {
        frame["to"] = json!(to);
    }
    frame
}

/// Sends a chat with `client_id` and returns its ack.
pub async fn send(client: &mut Client, text: &str, to: Option<&str>, client_id: &str) -> Value {
    client.send_json(chat(text, to, client_id)).await;
    ack_of(client, client_id).await
}

/// Reads until the ack of `client_id`.
pub async fn ack_of(client: &mut Client, client_id: &str) -> Value {
    client
        .recv_until(|frame| frame["type"] == "chat-ack" && frame["clientId"] == client_id)
        .await
}

/// The `chat` frame with `text`: already received (while awaiting an ack, say), or the
/// next one.
pub async fn delivered(client: &mut Client, text: &str) -> Value {
    let is_it = |frame: &Value| frame["type"] == "chat" && frame["text"] == text;
    if let Some(frame) = client.received.iter().find(|frame| is_it(frame)) {
        return frame.clone();
    }
    client.recv_until(is_it).await
}

/// Reads until `watcher` is told that `email` joined (only then will it hear of a leave:
/// a member nobody was told of leaves without a delta).
pub async fn await_joined(watcher: &mut Client, email: &str) {
    watcher
        .recv_until(|frame| {
            frame["type"] == "presence"
                && frame["joined"]
                    .as_array()
                    .is_some_and(|joined| joined.iter().any(|user| user["email"] == email))
        })
        .await;
}

/// Reads until `watcher` is told that `email` left.
pub async fn await_left(watcher: &mut Client, email: &str) {
    watcher
        .recv_until(|frame| {
            frame["type"] == "presence"
                && frame["left"]
                    .as_array()
                    .is_some_and(|left| left.iter().any(|e| e == email))
        })
        .await;
}

/// Sends a `chat-history` request and returns its answer.
pub async fn history(client: &mut Client, request: Value) -> Value {
    let mut request = request;
    request["type"] = json!("chat-history");
    client.send_json(request).await;
    client.recv_type("chat-history").await
}

/// The texts of a history answer's messages, in its order.
pub fn texts(page: &Value) -> Vec<String> {
    page["messages"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .filter_map(|m| m["text"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The texts of every live `chat` frame the client has received, in order.
pub fn received_texts(client: &Client) -> Vec<String> {
    client
        .received_of("chat")
        .into_iter()
        .filter_map(|frame| frame["text"].as_str().map(str::to_owned))
        .collect()
}

/// A frame's number field.
pub fn number(frame: &Value, field: &str) -> u64 {
    frame[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no {field} in {frame}"))
}

/// The chat store's file of a users' file, opened as a plain SQLite connection.
pub fn chat_file(database: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(backend::config::chat_file_beside(database)).expect("open chat")
}

/// How many stored messages have `client_id`.
pub fn stored_with_client_id(database: &Path, client_id: &str) -> i64 {
    chat_file(database)
        .query_row(
            "SELECT count(*) FROM chat_messages WHERE client_id = ?1",
            [client_id],
            |row| row.get(0),
        )
        .expect("count")
}
