//! The scenario on the real binary: A, B and C chat, the backend is restarted on
//! the same data folder (SIGTERM, and separately kill -9), they reconnect, and A's X, Y
//! and Z reach everyone exactly once, in order, with ids greater than before; and kill -9
//! while 50 clients send loses no acked message.

use super::{ack_of, chat, delivered, joined, number, received_texts, send};
use crate::it::binary::{Backend, Launch};
use crate::it::harness::{Client, PATIENCE};
use std::path::Path;
use tempfile::TempDir;

const PEOPLE: [(&str, &str); 3] = [
    ("a@example.com", "A"),
    ("b@example.com", "B"),
    ("c@example.com", "C"),
];

/// The real binary on `database`, emails shared (the clients reconnect without tokens),
/// chat rates out of the way.
async fn launch(database: &Path) -> Backend {
    Launch::new()
        .database(database)
        .args([
            "--allow-shared-emails",
            "--chat-rate",
            "10000",
            "--chat-burst",
            "10000",
        ])
        .args([
            "--fan-out-bytes-rate",
            "1e9",
            "--fan-out-bytes-burst",
            "1000000000",
        ])
        .args(["--room-broadcast-bytes-rate", "1e9"])
        .args(["--room-broadcast-bytes-burst", "1000000000"])
        .start()
        .await
}

async fn everyone(url: &str) -> Vec<Client> {
    let mut clients = Vec::new();
    for (email, name) in PEOPLE {
        clients.push(joined(url, email, name).await);
    }
    clients
}

/// Sends `text` from `clients[0]` and waits until every client has it; returns its id.
async fn said(clients: &mut [Client], text: &str, client_id: &str) -> u64 {
    let ack = send(&mut clients[0], text, None, client_id).await;
    for client in clients.iter_mut() {
        delivered(client, text).await;
    }
    number(&ack, "id")
}

async fn restart_and_send_x_y_z(kill: bool) {
    let folder = TempDir::new().expect("temp dir");
    let database = folder.path().join("users.sqlite3");
    let mut backend = launch(&database).await;
    let mut clients = everyone(&backend.url).await;
    said(&mut clients, "hello", "a-1").await;
    let before = said(&mut clients, "still there?", "a-2").await;

    if kill {
        backend.kill_9();
    } else {
        backend.terminate();
        let status = backend.wait_exit().await;
        assert!(status.success(), "{status:?}: {:?}", backend.log_lines());
    }
    for client in &mut clients {
        client.closed().await;
    }
    let restarted = launch(&database).await;
    let mut clients = everyone(&restarted.url).await;
    // A sends without waiting for acks, as a page sends what its outbox holds.
    for (text, client_id) in [("X", "a-3"), ("Y", "a-4"), ("Z", "a-5")] {
        clients[0].send_json(chat(text, None, client_id)).await;
    }
    let mut ids = Vec::new();
    for client_id in ["a-3", "a-4", "a-5"] {
        ids.push(number(&ack_of(&mut clients[0], client_id).await, "id"));
    }
    for client in &mut clients {
        delivered(client, "Z").await;
        // Whatever else was queued for it has come once its own barrier is back.
        client
            .barrier(&format!("barrier of {}", client.email))
            .await;
        let xyz: Vec<String> = received_texts(client)
            .into_iter()
            .filter(|text| ["X", "Y", "Z"].contains(&text.as_str()))
            .collect();
        assert_eq!(xyz, ["X", "Y", "Z"], "{} got {xyz:?}", client.email);
    }
    assert!(
        before < ids[0] && ids[0] < ids[1] && ids[1] < ids[2],
        "ids after the restart {ids:?} not past {before}"
    );
    restarted.terminate();
    let how = if kill { "kill -9" } else { "SIGTERM" };
    println!("{how}: last id before {before}, X Y Z stored as {ids:?}, each delivered once");
}

#[tokio::test]
async fn after_a_sigterm_restart_x_y_z_reach_everyone_once_in_order_with_later_ids() {
    restart_and_send_x_y_z(false).await;
}

#[tokio::test]
async fn after_a_kill_9_restart_x_y_z_reach_everyone_once_in_order_with_later_ids() {
    restart_and_send_x_y_z(true).await;
}

/// Connects `sender{i}` and sends numbered messages, up to `WINDOW` unanswered, until the
/// connection ends; returns the acked client ids with their ids.
async fn keep_sending(url: String, i: usize) -> Vec<(String, u64)> {
    const WINDOW: usize = 8;
    let email = format!("sender{i}@example.com");
    let mut client = joined(&format!("{url}?room=r{}", i % 5), &email, "Sender").await;
    let mut acked = Vec::new();
    let (mut sent, mut refused) = (0, 0);
    loop {
        while sent < acked.len() + refused + WINDOW {
            let client_id = format!("s{i}-{sent}");
            let text = format!("message {sent} of sender {i}");
            if !client.try_send_json(chat(&text, None, &client_id)).await {
                return acked;
            }
            sent += 1;
        }
        let Some(frame) = client.try_recv().await else {
            return acked;
        };
        if frame["type"] == "chat-ack" {
            let client_id = frame["clientId"].as_str().unwrap_or_default().to_owned();
            acked.push((client_id, number(&frame, "id")));
        } else if frame["type"] == "error" {
            refused += 1;
        }
    }
}

#[tokio::test]
async fn kill_9_while_50_clients_send_loses_no_acked_message() {
    let folder = TempDir::new().expect("temp dir");
    let database = folder.path().join("users.sqlite3");
    let mut backend = launch(&database).await;
    let senders: Vec<_> = (0..50)
        .map(|i| tokio::spawn(keep_sending(backend.url.clone(), i)))
        .collect();
    // Under way once the file holds a few hundred messages.
    let chat = super::chat_file(&database);
    let deadline = tokio::time::Instant::now() + PATIENCE * 4;
    while count(&chat) < 500 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "messages are not being stored"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    backend.kill_9();
    let mut acked = Vec::new();
    for sender in senders {
        let ended = tokio::time::timeout(PATIENCE, sender).await;
        acked.extend(
            ended
                .expect("the sender notices the crash")
                .expect("no panic"),
        );
    }
    drop(chat);

    let restarted = launch(&database).await;
    let chat = super::chat_file(&database);
    let integrity: String = chat
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity check");
    assert_eq!(integrity, "ok");
    let mut lost = Vec::new();
    for (client_id, id) in &acked {
        let stored: Option<i64> = chat
            .query_row(
                "SELECT id FROM chat_messages WHERE client_id = ?1",
                [client_id],
                |row| row.get(0),
            )
            .ok();
        if stored != i64::try_from(*id).ok() {
            lost.push(client_id.clone());
        }
    }
    assert!(lost.is_empty(), "acked but not stored as acked: {lost:?}");
    println!(
        "kill -9 under 50 senders: {} acked, {} stored, 0 acked lost, integrity ok",
        acked.len(),
        count(&chat)
    );
    drop(restarted);
}

fn count(chat: &rusqlite::Connection) -> i64 {
    chat.query_row("SELECT count(*) FROM chat_messages", [], |row| row.get(0))
        .unwrap_or(0)
}
