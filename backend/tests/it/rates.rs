//! Rates per connection: chat bursts then `rate-limited`, persistent abuse closed with 1008,
//! ICE candidates capped per target until a new offer, positions coalesced per user.

use super::frames::moves;
use super::harness::{Client, TestServer, fast_config, profile};
use backend::{Rate, ServerConfig};
use serde_json::{Value, json};
use tokio::time::Instant;

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";
const CAROL: &str = "carol@example.com";

/// Registers delta clients in the default room and waits until each sees all of them.
async fn members(server: &TestServer, emails: &[&str]) -> Vec<Client> {
    let mut clients = Vec::new();
    for email in emails {
        let mut client = Client::delta(server, "").await;
        client
            .add_user(email, &email[..1].to_uppercase(), None)
            .await;
        clients.push(client);
    }
    for client in &mut clients {
        client.await_online(emails).await;
    }
    clients
}

fn is_rate_limited(frame: &Value) -> bool {
    frame["type"] == "error" && frame["code"] == "rate-limited"
}

#[tokio::test]
async fn a_chat_burst_of_ten_is_delivered_and_the_rest_is_rate_limited() {
    let server = TestServer::start().await;
    let mut clients = members(&server, &[ALICE, BOB]).await;
    let sent = 20;
    let start = Instant::now();
    for index in 0..sent {
        clients[0].chat(&format!("burst {index}")).await;
    }
    // Error frames are written at once and chats through the outbox: count both, in any
    // order, until every frame has its outcome.
    let (mut delivered, mut limited) = (Vec::new(), 0);
    while delivered.len() + limited < sent {
        let frame = clients[0]
            .recv_until(|f| f["type"] == "chat" || is_rate_limited(f))
            .await;
        match frame["type"].as_str() {
            Some("chat") => delivered.push(frame["text"].as_str().unwrap_or("").to_owned()),
            _ => limited += 1,
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "chat burst: {} of {sent} delivered, {limited} rate-limited, in {:.1} ms",
        delivered.len(),
        elapsed * 1000.0
    );
    let first_ten: Vec<String> = (0..10).map(|i| format!("burst {i}")).collect();
    assert_eq!(
        delivered[..10],
        first_ten[..],
        "the burst of 10 goes through, in order"
    );
    // 5 tokens a second refill while the frames are sent: at most that many more pass.
    assert!(delivered.len() <= 10 + (elapsed * 5.0).ceil() as usize);
    assert!(limited >= 1, "a 20-frame burst is over a burst of 10");

    // Bob got what was delivered and nothing else; the connection is still open.
    clients[1].barrier("after the burst").await;
    let seen: Vec<&str> = clients[1]
        .received_of("chat")
        .iter()
        .filter(|f| f["from"] == ALICE)
        .filter_map(|f| f["text"].as_str())
        .collect();
    assert_eq!(seen, delivered);
}

#[tokio::test]
async fn persistent_chat_over_the_rate_is_closed_with_1008_and_spares_the_room() {
    let server = TestServer::start().await;
    let mut clients = members(&server, &[ALICE, BOB]).await;
    for index in 0..60 {
        clients[0].chat(&format!("flood {index}")).await;
    }
    assert_eq!(clients[0].closed().await, Some(1008));
    let limited = clients[0]
        .received
        .iter()
        .filter(|f| is_rate_limited(f))
        .count();
    // Closed on the 21st rate-limited frame, which is answered first.
    assert_eq!(limited, 21);

    // Bob got the burst and the connection is gone; he is not affected.
    clients[1].await_online(&[BOB]).await;
    clients[1].barrier("still open").await;
    let delivered = clients[1]
        .received_of("chat")
        .iter()
        .filter(|f| f["from"] == ALICE)
        .count();
    println!("chat flood of 60: {delivered} delivered, {limited} rate-limited, then 1008");
    assert!((10..60 - 21).contains(&delivered), "{delivered} delivered");
}

/// An ICE candidate frame numbered `index`.
fn candidate(to: &str, index: usize) -> Value {
    json!({"type": "new-ice-candidate", "to": to, "callId": "c-1",
        "candidate": {"candidate": format!("candidate:{index} 1 udp 1 192.0.2.1 {index} typ host"),
            "sdpMid": "0", "sdpMLineIndex": 0}})
}

fn candidate_numbers(client: &Client) -> Vec<u64> {
    client
        .received_of("new-ice-candidate")
        .iter()
        .filter_map(|f| f["candidate"]["candidate"].as_str())
        .filter_map(|c| {
            c.strip_prefix("candidate:")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[tokio::test]
async fn ice_candidates_are_capped_per_target_until_a_new_offer() {
    let cap = 5;
    let server = TestServer::start_with(ServerConfig {
        ice_per_target: cap,
        ice_rate: Rate::new(1000.0, 1000),
        ..fast_config()
    })
    .await;
    let mut clients = members(&server, &[ALICE, BOB, CAROL]).await;
    for index in 1..=cap as usize + 1 {
        clients[0].send_json(candidate(BOB, index)).await;
    }
    let refused = clients[0].recv_type("error").await;
    assert_eq!(refused["code"], "rate-limited", "{refused}");
    // Another target has its own count.
    for index in 1..=cap as usize {
        clients[0].send_json(candidate(CAROL, index)).await;
    }
    // A new offer to Bob starts his count over.
    clients[0]
        .send_json(json!({"type": "sdp-offer", "to": BOB, "callId": "c-1",
            "offer": {"type": "offer", "sdp": "v=0\r\n"}}))
        .await;
    clients[0].send_json(candidate(BOB, 100)).await;

    clients[1]
        .recv_until(|f| {
            f["candidate"]["candidate"]
                .as_str()
                .is_some_and(|c| c.starts_with("candidate:100 "))
        })
        .await;
    assert_eq!(candidate_numbers(&clients[1]), [1, 2, 3, 4, 5, 100]);
    assert_eq!(clients[1].received_of("sdp-offer").len(), 1);
    clients[2].barrier("carol's candidates came first").await;
    assert_eq!(candidate_numbers(&clients[2]), [1, 2, 3, 4, 5]);
    assert_eq!(
        clients[0]
            .received
            .iter()
            .filter(|f| f["type"] == "error")
            .count(),
        1,
        "only the candidate over the cap was refused"
    );
}

/// The positions a client was sent for `email` in `moved` deltas, in order.
fn moves_of(client: &Client, email: &str) -> Vec<(f64, f64)> {
    client
        .received_of("presence")
        .iter()
        .flat_map(|f| moves(f))
        .filter(|(moved, _, _)| moved == email)
        .map(|(_, latitude, longitude)| (latitude, longitude))
        .collect()
}

#[tokio::test]
async fn quick_moves_are_coalesced_to_one_broadcast_a_second_and_the_latest_wins() {
    let server = TestServer::start().await;
    let mut observer = Client::delta(&server, "").await;
    observer.add_user(ALICE, "Alice", None).await;
    let mut legacy = Client::legacy(&server, "").await;
    let mut mover = Client::delta(&server, "").await;
    mover.add_user(BOB, "Bob", Some((10.0, 10.0))).await;
    observer.await_online(&[ALICE, BOB]).await;
    legacy.await_online(&[ALICE, BOB]).await;

    let start = Instant::now();
    for step in 1..=10 {
        let position = (10.0 + f64::from(step), 20.0);
        mover
            .send_json(profile("update-user", BOB, "Bob", Some(position)))
            .await;
    }
    let latest = (20.0, 20.0);
    observer
        .recv_until(|f| {
            f["type"] == "presence"
                && moves(f)
                    .iter()
                    .any(|(email, latitude, _)| email == BOB && *latitude == latest.0)
        })
        .await;
    let latest_after = start.elapsed();
    // Nothing more is pending for Bob: a later join is shown after no other move of his.
    let mut carol = Client::delta(&server, "").await;
    carol.add_user(CAROL, "Carol", None).await;
    observer.await_shown(CAROL).await;
    legacy.await_shown(CAROL).await;

    let moves = moves_of(&observer, BOB);
    println!(
        "10 moves sent at once: {} moved broadcasts {moves:?}, the latest after {latest_after:?}",
        moves.len()
    );
    assert!(
        (1..=2).contains(&moves.len()),
        "at most one move now and the latest a second later: {moves:?}"
    );
    assert_eq!(moves.last(), Some(&latest));
    assert_eq!(legacy.view()[BOB]["latitude"], latest.0);
    assert_eq!(observer.view()[BOB]["latitude"], latest.0);
}

#[tokio::test]
async fn a_rename_is_not_delayed_by_a_held_move() {
    // A move held for a minute: a rename delayed with it would not come in the test's time.
    let server = TestServer::start_with(ServerConfig {
        move_interval: std::time::Duration::from_secs(60),
        ..fast_config()
    })
    .await;
    let mut observer = Client::delta(&server, "").await;
    observer.add_user(ALICE, "Alice", None).await;
    let mut mover = Client::delta(&server, "").await;
    mover.add_user(BOB, "Bob", Some((1.0, 1.0))).await;
    observer.await_online(&[ALICE, BOB]).await;
    mover
        .send_json(profile("update-user", BOB, "Bob", Some((2.0, 2.0))))
        .await;
    observer
        .recv_until(|f| f["type"] == "presence" && f["moved"][0][1] == 2.0)
        .await;
    // This move is held; the rename after it is not, and carries it.
    let start = Instant::now();
    mover
        .send_json(profile("update-user", BOB, "Bob", Some((3.0, 3.0))))
        .await;
    mover
        .send_json(profile("update-user", BOB, "Robert", Some((3.0, 3.0))))
        .await;
    let renamed = observer
        .recv_until(|f| f["type"] == "presence" && f["joined"][0]["name"] == "Robert")
        .await;
    println!(
        "a rename right after a held move shown after {:?}",
        start.elapsed()
    );
    assert_eq!(renamed["joined"][0]["latitude"], 3.0);
}
