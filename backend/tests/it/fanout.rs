//! Amplification: senders within every frame rate, in a room of about 200, cannot make the
//! server push more at a member than a modest reader (10 Mbit/s) takes. The fan-out
//! budgets refuse what would: the sender's bytes times its recipients, the room's
//! broadcasts, and the size of a signal without `to`.

use super::harness::{Client, TestServer, configured, fast_config};
use backend::{BudgetConfig, ServerConfig};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const ROOM: &str = "?room=fanout";
/// Sorted first by name, so that a welcome's first page lists it while it is online.
const BYSTANDER: &str = "aaa-bystander@example.com";
/// The bystander's reading speed: 10 Mbit/s.
const READ_BYTES_PER_SECOND: usize = 1_250_000;
/// How long the senders keep on.
const ATTACK: Duration = Duration::from_secs(8);

/// The default limits, but any number of connections from this address.
fn config() -> ServerConfig {
    configured(fast_config(), |config| {
        config.admission.max_connections = 0;
        config.admission.max_connections_per_ip = 0;
    })
}

/// Members that register and then drain their sockets without decoding (cheap readers, so
/// that their outboxes never fill); aborted when dropped.
struct Crowd(Vec<JoinHandle<()>>);

impl Drop for Crowd {
    fn drop(&mut self) {
        self.0.iter().for_each(JoinHandle::abort);
    }
}

async fn crowd(server: &TestServer, count: usize) -> Crowd {
    let mut readers = Vec::new();
    for index in 0..count {
        let mut client = Client::delta(server, ROOM).await;
        client
            .add_user(&format!("reader{index}@example.com"), "Reader", None)
            .await;
        client.recv_type("welcome").await;
        let mut socket = client.into_silent();
        readers.push(tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = socket.get_mut() else {
                return;
            };
            let mut buffer = vec![0; 64 * 1024];
            while matches!(tcp.read(&mut buffer).await, Ok(read) if read > 0) {}
        }));
    }
    Crowd(readers)
}

/// The bystander: a raw socket with a small receive buffer, registered, then read at
/// [`READ_BYTES_PER_SECOND`] (pacing by time: this is the reader's speed, not a wait).
struct Bystander {
    socket: WebSocketStream<TcpStream>,
}

/// What the bystander read while the senders sent.
struct Reading {
    bytes: usize,
    /// When the server closed the connection, if it did.
    closed_after: Option<Duration>,
}

impl Bystander {
    async fn join(server: &TestServer) -> Self {
        let tcp = TcpSocket::new_v4().expect("socket");
        tcp.set_recv_buffer_size(16 * 1024).expect("SO_RCVBUF");
        let stream = tcp.connect(server.address).await.expect("connect");
        let mut request = server.url(ROOM).into_client_request().expect("request");
        let protocol = HeaderValue::from_static(shared::DELTA_SUBPROTOCOL);
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocol);
        let (mut socket, _) = tokio_tungstenite::client_async(request, stream)
            .await
            .expect("handshake");
        let add_user = json!({"type": "add-user", "email": BYSTANDER, "name": "Aaa Bystander"});
        socket
            .send(Message::Text(add_user.to_string().into()))
            .await
            .expect("send");
        while let Some(Ok(message)) = socket.next().await {
            if message
                .to_text()
                .is_ok_and(|t| t.contains(r#""type":"welcome""#))
            {
                return Self { socket };
            }
        }
        panic!("the bystander got no welcome");
    }

    async fn read_for(&mut self, duration: Duration) -> Reading {
        let per_tick = READ_BYTES_PER_SECOND / 100;
        let mut buffer = vec![0; per_tick];
        let mut pace = tokio::time::interval(Duration::from_millis(10));
        let start = Instant::now();
        let mut bytes = 0;
        while start.elapsed() < duration {
            pace.tick().await;
            let mut allowance = per_tick;
            while allowance > 0 {
                match self.socket.get_mut().try_read(&mut buffer[..allowance]) {
                    Ok(0) => {
                        return Reading {
                            bytes,
                            closed_after: Some(start.elapsed()),
                        };
                    }
                    Ok(read) => {
                        bytes += read;
                        allowance -= read;
                    }
                    Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(_) => {
                        return Reading {
                            bytes,
                            closed_after: Some(start.elapsed()),
                        };
                    }
                }
            }
        }
        Reading {
            bytes,
            closed_after: None,
        }
    }
}

/// What one sender saw.
#[derive(Debug, Default)]
struct Sent {
    frames: usize,
    bytes: usize,
    refused: usize,
    /// The server closed the connection before the sender was done.
    closed: bool,
}

/// `text` as a client's final text frame, masked with a zero key (which leaves the payload
/// as it is): framed once, written as raw bytes as often as needed.
fn client_frame(text: &str) -> Vec<u8> {
    let length = text.len();
    let mut frame = vec![0x81];
    match length {
        0..=125 => frame.push(0x80 | length as u8),
        126..=0xffff => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(length as u16).to_be_bytes());
        }
        _ => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(length as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&[0; 4]);
    frame.extend_from_slice(text.as_bytes());
    frame
}

/// How often `needle` occurs in a byte stream read in pieces.
struct Counter {
    needle: &'static [u8],
    /// The end of the last piece, where a needle cut in two begins.
    carry: Vec<u8>,
    count: usize,
}

impl Counter {
    fn feed(&mut self, piece: &[u8]) {
        self.carry.extend_from_slice(piece);
        self.count += self
            .carry
            .windows(self.needle.len())
            .filter(|window| *window == self.needle)
            .count();
        let keep = self.carry.len().min(self.needle.len() - 1);
        self.carry.drain(..self.carry.len() - keep);
    }
}

/// Sends `text` `per_second` times a second until `until`, as raw bytes under the
/// client's WebSocket, and drains what comes back without decoding it (the error frames
/// counted), so that no sender falls behind what the room sends it.
fn send_until(client: Client, text: String, per_second: u32, until: Instant) -> JoinHandle<Sent> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = client.into_silent();
    let frame = client_frame(&text);
    tokio::spawn(async move {
        let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = socket.get_mut() else {
            return Sent::default();
        };
        let (mut reader, mut writer) = tcp.split();
        let mut errors = Counter {
            needle: br#""type":"error""#,
            carry: Vec::new(),
            count: 0,
        };
        let read = async {
            let mut buffer = vec![0; 64 * 1024];
            let grace = until + Duration::from_secs(1);
            loop {
                match tokio::time::timeout_at(grace, reader.read(&mut buffer)).await {
                    Err(_) => return false,
                    Ok(Ok(0) | Err(_)) => return true,
                    Ok(Ok(read)) => errors.feed(&buffer[..read]),
                }
            }
        };
        let write = async {
            let mut pace = tokio::time::interval(Duration::from_secs(1) / per_second);
            let (mut frames, mut bytes) = (0, 0);
            while Instant::now() < until {
                pace.tick().await;
                if writer.write_all(&frame).await.is_err() {
                    break;
                }
                frames += 1;
                bytes += text.len();
            }
            (frames, bytes)
        };
        let (closed, (frames, bytes)) = tokio::join!(read, write);
        Sent {
            frames,
            bytes,
            refused: errors.count,
            closed,
        }
    })
}

/// Registered senders in the room.
async fn senders(server: &TestServer, count: usize) -> Vec<Client> {
    let mut clients = Vec::new();
    for index in 0..count {
        let mut client = Client::delta(server, ROOM).await;
        client
            .add_user(&format!("sender{index}@example.com"), "Sender", None)
            .await;
        client.recv_type("welcome").await;
        clients.push(client);
    }
    clients
}

/// Whether the bystander is still online, as a fresh member's welcome shows it.
async fn still_online(server: &TestServer) -> bool {
    let mut checker = Client::delta(server, ROOM).await;
    checker
        .add_user("zzz-checker@example.com", "Zzz", None)
        .await;
    let welcome = checker.recv_type("welcome").await;
    let listed = welcome["users"].as_array().cloned().unwrap_or_default();
    listed.iter().any(|user| user["email"] == BYSTANDER)
}

/// What an attack did: what the senders sent and were refused, what the bystander read.
struct Outcome {
    reading: Reading,
    sent: Sent,
    /// Whether the bystander was still online after the attack.
    online: bool,
}

/// Runs an attack of `senders_count` senders, each sending `frame` `rate` times a second
/// for `duration`, against the bystander in a room of `crowd_size` readers, and prints
/// what it did.
async fn attack(
    label: &str,
    crowd_size: usize,
    senders_count: usize,
    (frame, rate): (Value, u32),
    duration: Duration,
) -> Outcome {
    let server = TestServer::start_with(config()).await;
    let _crowd = crowd(&server, crowd_size).await;
    let mut bystander = Bystander::join(&server).await;
    let senders = senders(&server, senders_count).await;
    let until = Instant::now() + duration;
    let senders: Vec<_> = senders
        .into_iter()
        .map(|client| send_until(client, frame.to_string(), rate, until))
        .collect();
    let reading = bystander.read_for(duration).await;
    let (mut sent, mut closed) = (Sent::default(), 0);
    for sender in senders {
        let one = sender.await.expect("sender");
        sent.frames += one.frames;
        sent.bytes += one.bytes;
        sent.refused += one.refused;
        closed += usize::from(one.closed);
    }
    let online = still_online(&server).await;
    let seconds = duration.as_secs_f64();
    println!(
        "{label}: room of {}, {senders_count} senders: {} frames of {} bytes sent ({:.0} KB/s), {} refused, {closed} senders closed; the bystander read {:.0} KB/s ({} bytes), closed {:?}, online after: {online}",
        crowd_size + senders_count + 1,
        sent.frames,
        frame.to_string().len(),
        sent.bytes as f64 / seconds / 1000.0,
        sent.refused,
        reading.bytes as f64 / seconds / 1000.0,
        reading.bytes,
        reading.closed_after,
    );
    Outcome {
        reading,
        sent,
        online,
    }
}

/// The bystander stayed, got something, and the senders were refused.
fn assert_spared(outcome: &Outcome) {
    assert_eq!(
        outcome.reading.closed_after, None,
        "the bystander was closed"
    );
    assert!(outcome.online, "the bystander was taken offline");
    assert!(outcome.sent.refused > 0, "the senders were never refused");
    assert!(
        outcome.reading.bytes > 0,
        "the bystander got nothing at all"
    );
}

/// An `offer` without `to` whose JSON is `bytes` long.
fn offer_of(bytes: usize) -> Value {
    let empty = json!({"type": "offer", "sdp": ""}).to_string().len();
    json!({"type": "offer", "sdp": "v".repeat(bytes - empty)})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_wide_offers_at_the_signaling_rate_do_not_close_a_slow_bystander() {
    let defaults = BudgetConfig::default();
    let largest = offer_of(defaults.broadcast_signal_max_bytes);
    let rate = defaults.signaling_rate.per_second as u32;
    let outcome = attack("offers without to", 197, 2, (largest, rate), ATTACK).await;
    assert_spared(&outcome);
}

/// The longest chat text allowed, in 4-byte characters: 8,000 bytes.
fn longest_text() -> String {
    "😀".repeat(shared::CHAT_TEXT_MAX_CHARS)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_chat_at_the_chat_rate_does_not_close_a_slow_bystander() {
    let chat = json!({"type": "chat", "text": longest_text()});
    let rate = BudgetConfig::default().chat_rate.per_second as u32;
    let outcome = attack("room chat", 120, 80, (chat, rate), ATTACK).await;
    assert_spared(&outcome);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_chats_from_many_senders_are_bounded_by_the_targets_budget() {
    let defaults = BudgetConfig::default();
    let chat = json!({"type": "chat", "to": BYSTANDER, "text": longest_text()});
    let rate = defaults.chat_rate.per_second as u32;
    let duration = Duration::from_secs(4);
    let outcome = attack("direct chat", 0, 20, (chat, rate), duration).await;
    assert_spared(&outcome);
    // The target's budget, and some room for presence (20 joins) and pings.
    let budget = defaults.directed_rate;
    let bound = f64::from(budget.burst) + budget.per_second * duration.as_secs_f64() + 32e3;
    assert!(
        (outcome.reading.bytes as f64) < bound,
        "{} bytes read, over the budget's {bound:.0}",
        outcome.reading.bytes
    );
}
