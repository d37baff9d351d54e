//! The socket writer as a client sees it: pongs owed while a large broadcast burst is being
//! written come back whole, in order, between whole frames; a client that resets or breaks
//! the protocol is logged as leaving.

use super::binary::Backend;
use super::harness::{PATIENCE, TestServer, as_chats, configured, fast_config, profile};
use backend::Rate;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// Chats in the burst, each the longest allowed (8 KB): 8 MB for a receiver with a 4 KiB
/// receive buffer, more than the kernel buffers between server and receiver hold.
const BURST: usize = 1_000;
/// Pings the receiver sends once the burst is queued for it, each with the largest payload.
const PINGS: usize = 500;

/// The payload of ping `n`: its number, padded to the 125 bytes a control frame may carry.
fn ping_payload(n: usize) -> String {
    format!("{n:0>125}")
}

/// The defaults, with nothing in the way of one sender's burst to one receiver.
fn burst_config() -> backend::ServerConfig {
    configured(fast_config(), |config| {
        let unlimited = Rate::new(1e12, u32::MAX);
        config.budget.chat_rate = unlimited;
        config.budget.fan_out_rate = unlimited;
        config.budget.room_broadcast_rate = unlimited;
        // The whole burst may wait in the receiver's outbox.
        config.connection.outbox_capacity = 4 * BURST;
        config.connection.outbox_bytes = 64 * 1024 * 1024;
    })
}

/// A registered delta client over a socket with a small receive buffer, so that the
/// server's writes of the burst block until it reads.
async fn slow_receiver(server: &TestServer, email: &str) -> WebSocketStream<TcpStream> {
    let tcp = TcpSocket::new_v4().expect("socket");
    tcp.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = tcp.connect(server.address).await.expect("connect");
    let mut request = server.url("").into_client_request().expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static(shared::DELTA_SUBPROTOCOL),
    );
    let (mut socket, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .expect("handshake");
    let add_user = profile("add-user", email, "Receiver", None).to_string();
    socket
        .send(Message::Text(add_user.into()))
        .await
        .expect("send");
    loop {
        if next_json(&mut socket)
            .await
            .map(|frame| frame["type"] == "welcome")
            == Some(true)
        {
            return socket;
        }
    }
}

/// The next message, parsed strictly (tungstenite refuses a frame that is not one): the
/// JSON of a text frame, `None` for a control frame.
async fn next_json(socket: &mut WebSocketStream<TcpStream>) -> Option<Value> {
    let message = tokio::time::timeout(PATIENCE, socket.next())
        .await
        .expect("a frame in time")
        .expect("the socket open")
        .expect("a well-formed frame");
    match message {
        Message::Text(text) => Some(serde_json::from_str(&text).expect("whole JSON")),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_during_a_large_broadcast_burst_are_answered_in_order_between_whole_frames() {
    let server = TestServer::start_with(burst_config()).await;
    let mut receiver = slow_receiver(&server, "receiver@example.com").await;
    let mut sender = super::harness::Client::delta(&server, "").await;
    sender.add_user("sender@example.com", "Sender", None).await;
    let (mut to_server, mut from_server) = sender.into_silent().split();
    // The sender reads whatever comes back, so that only the receiver is ever slow; its
    // own last chat coming back says the whole burst is queued for the receiver too.
    let (queued, burst_queued) = tokio::sync::oneshot::channel();
    let drain = tokio::spawn(async move {
        let last = format!("{} ", BURST - 1);
        let mut queued = Some(queued);
        while let Some(Ok(message)) = from_server.next().await {
            if let Message::Text(text) = message
                && text.contains(&last)
                && let Some(queued) = queued.take()
            {
                let _ = queued.send(());
            }
        }
    });
    // 4-byte characters, as many as a chat may have after its number.
    let padding = "😀".repeat(shared::CHAT_TEXT_MAX_CHARS - 4);
    for n in 0..BURST {
        let chat = json!({"type": "chat", "text": format!("{n} {padding}")});
        let sent = to_server.send(Message::Text(chat.to_string().into())).await;
        sent.expect("the sender's chat");
    }
    tokio::time::timeout(PATIENCE, burst_queued)
        .await
        .expect("the burst queued in time")
        .expect("the sender's reader");

    // The server is now writing the burst to a receiver that has not read any of it: the
    // pings wait behind it, and each pong behind what the kernel still holds.
    for n in 0..PINGS {
        let ping = Message::Ping(ping_payload(n).into_bytes().into());
        receiver.feed(ping).await.expect("ping");
    }
    receiver.flush().await.expect("pings sent");
    let (mut chats, mut pongs) = (Vec::new(), Vec::new());
    let started = tokio::time::Instant::now();
    while chats.len() < BURST || pongs.len() < PINGS {
        let message = tokio::time::timeout(PATIENCE, receiver.next())
            .await
            .expect("a frame in time")
            .expect("the socket open")
            .expect("a well-formed frame");
        match message {
            Message::Pong(payload) => {
                pongs.push(String::from_utf8(payload.to_vec()).expect("the ping's payload"));
            }
            Message::Text(text) => {
                let frame: Value = serde_json::from_str(&text).expect("whole JSON");
                // A commit's messages may come as one `chats` frame: read as its `chat`s.
                for frame in as_chats(frame) {
                    if frame["type"] == "chat" && frame["from"] == "sender@example.com" {
                        let text = frame["text"].as_str().expect("text");
                        let n = text.split(' ').next().expect("a number");
                        chats.push(n.parse::<usize>().expect("the chat's number"));
                    }
                }
            }
            _ => {}
        }
    }
    println!(
        "{} chats (8 KB each) and {} pongs read in {:?} through a 4 KiB receive buffer",
        chats.len(),
        pongs.len(),
        started.elapsed()
    );
    drain.abort();
    assert_eq!(
        chats,
        (0..BURST).collect::<Vec<_>>(),
        "every chat, in order"
    );
    let expected: Vec<String> = (0..PINGS).map(ping_payload).collect();
    assert!(
        pongs == expected,
        "a pong for each ping, in order: {pongs:?}"
    );
}

/// Opens a WebSocket to the binary by hand and registers; returns the raw stream.
async fn raw_registered(backend: &Backend, email: &str) -> TcpStream {
    let mut stream = TcpStream::connect(backend.address).await.expect("connect");
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        backend.address
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.expect("the answer"));
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "upgraded");
    let add_user = profile("add-user", email, "Leaver", None).to_string();
    stream
        .write_all(&masked(0x1, add_user.as_bytes()))
        .await
        .expect("register");
    stream
}

/// A masked client frame of `opcode`, short payloads only.
fn masked(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x80 | opcode, 0x80 | 126];
    frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

#[tokio::test]
async fn a_client_that_resets_or_breaks_the_protocol_is_logged_as_leaving() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let mut backend = Backend::start(&folder.path().join("users.sqlite3")).await;
    let registered = |email: &'static str| {
        move |line: &str| line.contains("registered as") && line.contains(email)
    };

    let resetter = raw_registered(&backend, "resetter@example.com").await;
    let line = backend
        .await_log(PATIENCE, registered("resetter@example.com"))
        .await;
    let conn = line
        .split_whitespace()
        .find(|w| w.starts_with("conn="))
        .expect("conn=");
    let conn = conn.to_owned();
    resetter.set_zero_linger().expect("SO_LINGER 0");
    drop(resetter);
    let left = backend
        .await_log(PATIENCE, |line| {
            line.contains(&format!("{conn} ")) && line.contains("left:")
        })
        .await;

    let mut breaker = raw_registered(&backend, "breaker@example.com").await;
    backend
        .await_log(PATIENCE, registered("breaker@example.com"))
        .await;
    // An unmasked frame: a client's frames must be masked (RFC 6455, 5.1).
    breaker
        .write_all(&[0x81, 0x02, b'h', b'i'])
        .await
        .expect("send");
    let broke = backend
        .await_log(PATIENCE, |line| line.contains("left: protocol error"))
        .await;
    println!("a reset: {left}\na protocol error: {broke}");

    assert!(left.contains("left: reset by peer"), "{left}");
    for line in [&left, &broke] {
        assert!(line.contains(" INFO "), "logged as information: {line}");
    }
    let warnings: Vec<&String> = backend
        .log_lines()
        .iter()
        .filter(|line| line.contains(" WARN ") || line.contains(" ERROR "))
        .collect();
    assert!(
        warnings.is_empty(),
        "no warning for a client leaving: {warnings:#?}"
    );
    backend.terminate();
    assert!(backend.wait_exit().await.success());
}
