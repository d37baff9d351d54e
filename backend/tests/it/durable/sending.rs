//! Exactly-once sending: a resend of a stored `clientId` after a reconnect is acked as a
//! duplicate and delivered to nobody; the same `clientId` with other text is refused;
//! nothing is stored twice. A seed client's chat (no `clientId`) is stored and delivered
//! without an ack; chat over the rate is refused naming its `clientId`.

use super::{chat, delivered, history, member, received_texts, send};
use super::{stored_with_client_id, texts};
use crate::it::harness::{Client, TestServer, fast_config};
use serde_json::json;

#[tokio::test]
async fn a_resent_client_id_is_acked_as_a_duplicate_and_delivered_to_nobody() {
    let server = TestServer::start().await;
    let mut alice = member(&server, "alice@example.com", "Alice").await;
    let mut bob = member(&server, "bob@example.com", "Bob").await;
    let first = send(&mut alice, "hello", None, "k3J9-aa01").await;
    assert_eq!(first.get("duplicate"), None, "{first}");
    delivered(&mut bob, "hello").await;

    // The page reloads before it saw the ack, and sends its outbox again.
    alice.close().await;
    let mut alice = member(&server, "alice@example.com", "Alice").await;
    let again = send(&mut alice, "hello", None, "k3J9-aa01").await;
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(
        (again["id"].clone(), again["sentAt"].clone()),
        (first["id"].clone(), first["sentAt"].clone())
    );
    let reused = alice
        .refused(chat("something else", None, "k3J9-aa01"))
        .await;
    assert_eq!(reused["code"], "client-id-reused", "{reused}");
    assert_eq!(reused["clientId"], "k3J9-aa01", "{reused}");

    for client in [&mut alice, &mut bob] {
        client.barrier("after the resend").await;
        let hellos = received_texts(client)
            .iter()
            .filter(|t| *t == "hello")
            .count();
        let expected = usize::from(client.email == "bob@example.com");
        assert_eq!(hellos, expected, "{} got the resend", client.email);
        assert!(!received_texts(client).contains(&"something else".to_owned()));
    }
    let page = history(&mut bob, json!({})).await;
    let stored = texts(&page).iter().filter(|t| *t == "hello").count();
    assert_eq!(stored, 1, "{page}");
    assert_eq!(stored_with_client_id(&server.database, "k3J9-aa01"), 1);
}

#[tokio::test]
async fn a_seed_client_chat_is_stored_and_delivered_without_an_ack() {
    let server = TestServer::start().await;
    let mut seed = Client::legacy(&server, "").await;
    seed.add_user("old@example.com", "Old", None).await;
    seed.recv_type("update-users").await;
    let mut bob = member(&server, "bob@example.com", "Bob").await;
    seed.chat("from the seed").await;
    let got = delivered(&mut bob, "from the seed").await;
    assert!(got.get("clientId").is_none(), "{got}");
    seed.barrier("seed barrier").await;
    assert!(
        seed.received_of("chat-ack").is_empty(),
        "a seed client got an ack"
    );
    let page = history(&mut bob, json!({"conversation": "room"})).await;
    assert!(texts(&page).contains(&"from the seed".to_owned()), "{page}");
}

#[tokio::test]
async fn chat_over_the_rate_is_refused_naming_its_client_id_and_the_rest_is_acked() {
    let server = TestServer::start_with(fast_config()).await;
    let mut alice = member(&server, "alice@example.com", "Alice").await;
    let burst = backend::BudgetConfig::default().chat_rate.burst as usize;
    let count = burst + 5;
    for n in 0..count {
        alice
            .send_json(chat(&format!("quick {n}"), None, &format!("q-{n}")))
            .await;
    }
    let (mut acked, mut limited) = (Vec::new(), Vec::new());
    while acked.len() + limited.len() < count {
        let frame = alice
            .recv_until(|f| f["type"] == "chat-ack" || f["type"] == "error")
            .await;
        let client_id = frame["clientId"]
            .as_str()
            .expect("names its message")
            .to_owned();
        if frame["type"] == "error" {
            assert_eq!(frame["code"], "rate-limited", "{frame}");
            limited.push(client_id);
        } else {
            acked.push(client_id);
        }
    }
    assert!(!limited.is_empty(), "{count} at once were all let through");
    let mut answered: Vec<String> = acked.iter().chain(&limited).cloned().collect();
    answered.sort();
    answered.dedup();
    assert_eq!(answered.len(), count, "each message answered exactly once");
    for client_id in &limited {
        assert_eq!(stored_with_client_id(&server.database, client_id), 0);
    }
    for client_id in &acked {
        assert_eq!(stored_with_client_id(&server.database, client_id), 1);
    }
    println!(
        "rate: {} acked, {} refused as rate-limited with their clientId",
        acked.len(),
        limited.len()
    );
}

#[tokio::test]
async fn a_pipelined_burst_reaches_the_room_in_fewer_frames_each_message_once_in_order() {
    let server = TestServer::start_with(super::roomy_config()).await;
    let mut alice = member(&server, "alice@example.com", "Alice").await;
    let mut bob = member(&server, "bob@example.com", "Bob").await;
    const BURST: usize = 200;
    let frames: Vec<_> = (0..BURST)
        .map(|n| chat(&format!("burst {n}"), None, &format!("b-{n}")))
        .collect();
    alice.send_all_json(frames).await;
    let before = bob.text_frames;
    delivered(&mut bob, &format!("burst {}", BURST - 1)).await;
    let read = bob.text_frames - before;
    let burst: Vec<String> = received_texts(&bob)
        .into_iter()
        .filter(|text| text.starts_with("burst "))
        .collect();
    let expected: Vec<String> = (0..BURST).map(|n| format!("burst {n}")).collect();
    assert_eq!(burst, expected);
    for n in 0..BURST {
        super::ack_of(&mut alice, &format!("b-{n}")).await;
    }
    println!("a burst of {BURST} room messages reached Bob in {read} frames");
    // One commit takes what was queued while the one before it ran: a burst sent in one
    // flush is never one commit, and so one frame, per message.
    assert!(read < BURST, "{read} frames for {BURST} messages");
}
