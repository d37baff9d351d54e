//! A client that stops reading in a chatty room: its outbox is bounded in bytes, so it is
//! closed as soon as the bound is passed, and the server's memory does not grow with it.

use super::harness::{Client, PATIENCE, TestServer, configured, fast_config, profile};
use backend::Rate;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::TcpSocket;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

const SLOW: &str = "slow@example.com";

/// The resident memory of this process (the server runs in it), in KiB.
fn rss_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

// Two worker threads, so that the chatty clients and the server run side by side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_closed_and_costs_no_memory() {
    let outbox_bytes = 64 * 1024;
    let config = configured(fast_config(), |config| {
        config.connection.outbox_bytes = outbox_bytes;
        // The chatty clients send as fast as their echoes come back.
        config.budget.chat_rate = Rate::new(1_000_000.0, 1_000_000);
        // Nor by the fan-out budgets: the outbox bound is what is tested.
        config.budget.directed_rate = Rate::new(1e12, u32::MAX);
        config.budget.fan_out_rate = Rate::new(1e12, u32::MAX);
    });
    let send_timeout = config.connection.send_timeout;
    let server = TestServer::start_with(config).await;

    // The slow reader: a small receive window, so that the kernel holds little for it.
    let tcp = TcpSocket::new_v4().expect("socket");
    tcp.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = tcp.connect(server.address).await.expect("connect");
    let (mut slow, _) = tokio_tungstenite::client_async(server.url(""), stream)
        .await
        .expect("handshake");
    let add_user = profile("add-user", SLOW, "Slow", None).to_string();
    slow.send(Message::Text(add_user.into()))
        .await
        .expect("send");

    // The observer watches the room's lists without registering, so it gets no chat.
    let mut observer = Client::legacy(&server, "").await;
    observer.await_online(&[SLOW]).await;

    // Chatty members: each sends big direct chats to the slow reader, waiting for its own
    // copy of each, so that the senders never fall behind (nobody else gets their chats);
    // the slow reader gets every one. Once it is gone (chat to it is then stored for
    // later, not refused), the test tells them to stop.
    let text = "é".repeat(shared::CHAT_TEXT_MAX_CHARS - 20);
    let bytes_sent = Arc::new(AtomicUsize::new(0));
    let slow_gone = Arc::new(AtomicBool::new(false));
    let rss_before = rss_kib();
    let start = Instant::now();
    let mut chatty = Vec::new();
    for index in 0..3 {
        let mut client = Client::delta(&server, "").await;
        client
            .add_user(&format!("chatty{index}@example.com"), "Chatty", None)
            .await;
        client.recv_type("welcome").await;
        // The raw socket from here on: the harness keeps every frame, and this test
        // measures the server's memory, not its clients'.
        let mut socket = client.into_silent();
        let (text, bytes_sent) = (text.clone(), Arc::clone(&bytes_sent));
        let slow_gone = Arc::clone(&slow_gone);
        chatty.push(tokio::spawn(async move {
            for sent in 0.. {
                if slow_gone.load(Ordering::Relaxed) {
                    return;
                }
                let marker = format!("{index}-{sent} ");
                let chat = json!({"type": "chat", "to": SLOW, "text": format!("{marker}{text}")});
                socket
                    .send(Message::Text(chat.to_string().into()))
                    .await
                    .expect("send");
                let needle = format!(r#""text":"{marker}"#);
                loop {
                    let next = tokio::time::timeout(PATIENCE, socket.next()).await;
                    match next
                        .expect("answer in time")
                        .expect("a chatty client is never closed")
                        .expect("no error")
                    {
                        Message::Text(echo) if echo.contains(&needle) => {
                            bytes_sent.fetch_add(echo.len(), Ordering::Relaxed);
                            break;
                        }
                        _ => {}
                    }
                }
            }
        }));
    }

    observer
        .recv_until(|f| {
            f["type"] == "update-users"
                && !f["users"]
                    .as_array()
                    .is_some_and(|users| users.iter().any(|u| u["email"] == SLOW))
        })
        .await;
    let closed_after = start.elapsed();
    let rss_after = rss_kib();
    slow_gone.store(true, Ordering::Relaxed);
    for task in chatty {
        task.await
            .expect("each chatty client stops once the slow reader has left");
    }
    let growth_kib = rss_after.saturating_sub(rss_before);
    println!(
        "slow reader closed {closed_after:?} after the chat began ({} KiB of chat sent to it by then; outbox bound {} KiB); RSS {rss_before} KiB -> {rss_after} KiB (+{growth_kib} KiB)",
        bytes_sent.load(Ordering::Relaxed) / 1024,
        outbox_bytes / 1024,
    );
    // Closed by the byte bound, not by the write timeout that would close it anyway.
    assert!(
        closed_after < send_timeout,
        "closed after {closed_after:?}, not before the send timeout of {send_timeout:?}"
    );
    assert!(
        growth_kib < 20 * 1024,
        "the server grew by {growth_kib} KiB"
    );

    // The slow reader finally reads: what was queued, then the server's goodbye (or the
    // connection cut when the goodbye could not be written in time).
    let mut read = 0;
    let end = loop {
        match tokio::time::timeout(Duration::from_secs(5), slow.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame.map(|f| u16::from(f.code)),
            Ok(Some(Ok(_))) => read += 1,
            Ok(None | Some(Err(_))) | Err(_) => break None,
        }
    };
    println!("the slow reader then read {read} frames and the close {end:?}");
    assert!(matches!(end, None | Some(1008)), "{end:?}");
}
