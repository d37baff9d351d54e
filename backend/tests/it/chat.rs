//! Chat: to the whole room (sender included) or to one user's tabs and the sender's,
//! stamped by the server and delivered verbatim.

use super::harness::{Client, TestServer};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64
}

/// Registers each (email, name) on its own connection, alternating legacy and delta
/// clients, and waits until everyone sees everyone.
async fn room(server: &TestServer, users: &[(&str, &str)]) -> Vec<Client> {
    let mut clients = Vec::new();
    for (index, (email, name)) in users.iter().enumerate() {
        let mut client = if index % 2 == 0 {
            Client::legacy(server, "").await
        } else {
            Client::delta(server, "").await
        };
        client.add_user(email, name, None).await;
        clients.push(client);
    }
    let mut emails: Vec<&str> = users.iter().map(|(email, _)| *email).collect();
    emails.sort();
    emails.dedup();
    for client in &mut clients {
        client.await_online(&emails).await;
    }
    clients
}

fn chats_with_text<'a>(client: &'a Client, text: &str) -> Vec<&'a Value> {
    client
        .received_of("chat")
        .into_iter()
        .filter(|frame| frame["text"] == text)
        .collect()
}

#[tokio::test]
async fn room_chat_reaches_every_member_with_increasing_ids() {
    let server = TestServer::start().await;
    let users = [
        ("alice@example.com", "Alice"),
        ("alice@example.com", "Alice"),
        ("bob@example.com", "Bob"),
        ("carol@example.com", "Carol"),
    ];
    let mut clients = room(&server, &users).await;
    let before = now_ms();
    clients[0].chat("hello room").await;
    let mut first = Vec::new();
    for client in clients.iter_mut() {
        first.push(client.recv_type("chat").await);
    }
    let after = now_ms();
    let chat = &first[0];
    assert!(
        first.iter().all(|frame| frame == chat),
        "everyone gets the same frame: {first:?}"
    );
    assert_eq!(chat["from"], "alice@example.com");
    assert_eq!(chat["name"], "Alice");
    assert_eq!(chat["text"], "hello room");
    assert!(chat.get("to").is_none(), "a room chat has no 'to': {chat}");
    let sent_at = chat["sentAt"].as_u64().expect("sentAt in milliseconds");
    assert!(
        (before..=after).contains(&sent_at),
        "sentAt {sent_at} not in [{before}, {after}]"
    );

    // Later messages, from any member, get larger ids; a rename shows in the next one.
    clients[2].chat("from bob").await;
    clients[2]
        .recv_until(|f| f["type"] == "chat" && f["text"] == "from bob")
        .await;
    clients[0]
        .send_json(json!({"type": "update-user", "email": "alice@example.com", "name": "Alice L."}))
        .await;
    clients[0].chat("renamed").await;
    let mut ids = vec![chat["id"].as_u64().expect("numeric id")];
    for text in ["from bob", "renamed"] {
        let frame = clients[3]
            .recv_until(|f| f["type"] == "chat" && f["text"] == text)
            .await;
        ids.push(frame["id"].as_u64().expect("numeric id"));
        if text == "renamed" {
            assert_eq!(frame["name"], "Alice L.", "the sender's name when sent");
        } else {
            assert_eq!(
                (&frame["from"], &frame["name"]),
                (&json!("bob@example.com"), &json!("Bob"))
            );
        }
    }
    assert!(ids[0] < ids[1] && ids[1] < ids[2], "ids increase: {ids:?}");
}

#[tokio::test]
async fn direct_chat_reaches_the_target_and_sender_tabs_only() {
    let server = TestServer::start().await;
    let users = [
        ("alice@example.com", "Alice"),
        ("bob@example.com", "Bob"),
        ("alice@example.com", "Alice"),
        ("bob@example.com", "Bob"),
        ("carol@example.com", "Carol"),
    ];
    let mut clients = room(&server, &users).await;
    clients[0].chat_to(" Bob@EXAMPLE.com", "psst").await;
    let mut delivered = Vec::new();
    for client in &mut clients[..4] {
        delivered.push(
            client
                .recv_until(|f| f["type"] == "chat" && f["text"] == "psst")
                .await,
        );
    }
    for frame in &delivered {
        assert_eq!(frame["from"], "alice@example.com");
        assert_eq!(
            frame["to"], "bob@example.com",
            "a direct message names its recipient"
        );
        assert_eq!(frame["id"], delivered[0]["id"]);
    }
    for (index, client) in clients.iter_mut().enumerate() {
        client.barrier(&format!("barrier {index}")).await;
    }
    assert!(
        chats_with_text(&clients[4], "psst").is_empty(),
        "carol got a message for bob"
    );
    for (index, client) in clients[..4].iter().enumerate() {
        assert_eq!(
            chats_with_text(client, "psst").len(),
            1,
            "exactly once for tab {index}"
        );
    }

    // To oneself: one copy per own tab.
    clients[1].chat_to("bob@example.com", "note to self").await;
    for index in [1, 3] {
        clients[index]
            .recv_until(|f| f["type"] == "chat" && f["text"] == "note to self")
            .await;
    }
    for (index, client) in clients.iter_mut().enumerate() {
        client.barrier(&format!("second barrier {index}")).await;
    }
    for index in [0, 2, 4] {
        assert!(
            chats_with_text(&clients[index], "note to self").is_empty(),
            "client {index}"
        );
    }
    assert_eq!(chats_with_text(&clients[3], "note to self").len(), 1);
}

#[tokio::test]
async fn chat_text_is_delivered_verbatim() {
    let server = TestServer::start().await;
    let mut clients = room(
        &server,
        &[("alice@example.com", "Alice"), ("bob@example.com", "Bob")],
    )
    .await;
    let longest = "é".repeat(shared::CHAT_TEXT_MAX_CHARS);
    let texts = [
        "<img src=x onerror=alert(1)>",
        "<script>alert('x')</script> &amp; &lt;",
        "  padded, with a tab\tand\nnew line  ",
        "quotes \" and \\ backslash, emoji 🗺️ and RTL שלום",
        "{\"type\":\"chat\",\"text\":\"nested\"}",
        &longest,
    ];
    for text in texts {
        clients[0].chat(text).await;
        let received = clients[1].recv_type("chat").await;
        assert_eq!(
            received["text"].as_str(),
            Some(text),
            "text changed on the way"
        );
    }
}

#[tokio::test]
async fn direct_chat_to_someone_never_in_the_room_is_refused_and_not_delivered() {
    let server = TestServer::start().await;
    let mut clients = room(
        &server,
        &[("alice@example.com", "Alice"), ("bob@example.com", "Bob")],
    )
    .await;
    let error = clients[0]
        .refused(json!({"type": "chat", "text": "anyone?", "to": "ghost@example.com"}))
        .await;
    assert_eq!(error["code"], "unknown-recipient", "{error}");
    clients[1].barrier("bob's barrier").await;
    clients[0].barrier("alice's barrier").await;
    for client in &clients {
        assert!(
            chats_with_text(client, "anyone?").is_empty(),
            "a refused chat was delivered"
        );
    }
}
