//! The bytes on the wire: a burst of frames much larger than the server's read buffers in
//! one write, and the server's frames (written from shared, pre-framed bytes) read back by
//! a strict client. (A client may not send frames before the `101`, RFC 6455 4.1; tungstenite
//! refuses a request with bytes after it, "Junk after client request".)

use super::harness::{PATIENCE, TestServer, as_chats, configured, fast_config, profile};
use backend::Rate;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// A masked client text frame, as a browser sends it.
fn masked_text(text: &str) -> Vec<u8> {
    let mut frame = Frame::message(text.to_owned(), OpCode::Data(Data::Text), true);
    frame.header_mut().mask = Some([0x37, 0xfa, 0x21, 0x3d]);
    let mut bytes = Vec::new();
    frame.format(&mut bytes).expect("format");
    bytes
}

/// Opens a TCP connection, upgrades it, then writes all of `frames` in one write; returns
/// the client WebSocket.
async fn upgrade_with(server: &TestServer, frames: &[Vec<u8>]) -> WebSocketStream<TcpStream> {
    let mut tcp = TcpStream::connect(server.address).await.expect("connect");
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: meetmap.v1\r\n\r\n",
        server.address
    )
    .into_bytes();
    tcp.write_all(&request).await.expect("write");
    // The answer's head, a byte at a time, so nothing after it is read here.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = tokio::time::timeout(PATIENCE, tcp.read_u8())
            .await
            .expect("an answer in time")
            .expect("read");
        head.push(byte);
        assert!(head.len() < 4096, "an answer head that never ends");
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let burst: Vec<u8> = frames.concat();
    tcp.write_all(&burst).await.expect("write");
    WebSocketStream::from_raw_socket(tcp, Role::Client, None).await
}

async fn next_json(socket: &mut WebSocketStream<TcpStream>) -> Value {
    loop {
        let message = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("a valid frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("json");
        }
    }
}

#[tokio::test]
async fn a_burst_larger_than_the_read_buffers_arrives_whole_and_in_order() {
    let config = configured(fast_config(), |config| {
        config.budget.chat_rate = Rate::new(1_000_000.0, 1_000_000);
        // About 300 KiB of room chat at once: past the room's broadcast budget.
        config.budget.room_broadcast_rate = Rate::new(1e12, u32::MAX);
    });
    let server = TestServer::start_with(config).await;
    let add_user = profile("add-user", "burst@example.com", "Burst", None).to_string();
    let mut frames = vec![masked_text(&add_user)];
    // About 300 KiB in one write: several times the server's 64 KiB read scratch, and each
    // frame far larger than tungstenite's 64-byte read buffer.
    let count = 1_000;
    let padding = "x".repeat(300);
    for n in 0..count {
        let chat = json!({"type": "chat", "text": format!("{n} {padding}")});
        frames.push(masked_text(&chat.to_string()));
    }
    let mut socket = upgrade_with(&server, &frames).await;
    let mut next = 0;
    while next < count {
        // A commit's messages may come as one `chats` frame: read as its `chat`s.
        for frame in as_chats(next_json(&mut socket).await) {
            if frame["type"] != "chat" {
                continue;
            }
            let text = frame["text"].as_str().expect("text");
            assert_eq!(
                text,
                format!("{next} {padding}"),
                "chat {next} whole and in order"
            );
            next += 1;
        }
    }
}
