//! The test harness: a server on a free port with its own SQLite file, and clients that
//! keep every frame they received so a test can check what never arrived.

use backend::store::chat::{ChatConfig, ChatStore};
use backend::{ServerConfig, open_sqlite_store};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use super::frames::{delta_has, emails, left_count, lists_exactly, profile, view};

/// How long a test waits for a frame that must come.
pub const PATIENCE: Duration = Duration::from_secs(5);

pub struct TestServer {
    pub address: SocketAddr,
    pub database: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _folder: Option<TempDir>,
}

/// Timings short enough for tests: presence ticks every 10 ms. Tabs of one user need no
/// session token here, as with the seed; `access.rs` tests the default, which needs one.
pub fn fast_config() -> ServerConfig {
    configured(ServerConfig::default(), |config| {
        config.presence.interval = Duration::from_millis(10);
        config.admission.allow_shared_emails = true;
    })
}

/// `base` with the changes `change` makes: each module's config is a field of its own.
pub fn configured(mut base: ServerConfig, change: impl FnOnce(&mut ServerConfig)) -> ServerConfig {
    change(&mut base);
    base
}

/// The claims tables in the SQLite file at `path`, as the backend opens them.
pub fn open_claims(path: &std::path::Path) -> backend::claims::ClaimStore {
    backend::claims::ClaimStore::open(path, backend::ServerConfig::default().admission.session_ttl)
        .expect("open claims")
}

/// The chat store beside the users' file `database`, as the backend opens it.
pub fn open_chat(database: &std::path::Path, config: ChatConfig) -> ChatStore {
    backend::open_chat_store_beside(database, config).expect("open chat")
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(fast_config()).await
    }

    pub async fn start_with(config: ServerConfig) -> Self {
        let folder = TempDir::new().expect("temp dir");
        let database = folder.path().join("data").join("users.sqlite3");
        let mut server = Self::start_on(database, config).await;
        server._folder = Some(folder);
        server
    }

    /// A server on an existing database file, as after a restart.
    pub async fn start_on(database: PathBuf, config: ServerConfig) -> Self {
        Self::start_chatting(database, config, ChatConfig::default()).await
    }

    /// A server on an existing database file, its chat store (beside it) set up as `chat`.
    pub async fn start_chatting(database: PathBuf, config: ServerConfig, chat: ChatConfig) -> Self {
        let chat = open_chat(&database, chat);
        Self::start_with_chat(database, config, chat).await
    }

    /// A server on the users' file `database` and the opened `chat` store (one on
    /// PostgreSQL, shared with other servers).
    pub async fn start_with_chat(database: PathBuf, config: ServerConfig, chat: ChatStore) -> Self {
        let store = open_sqlite_store(&database).await.expect("open store");
        let claims = open_claims(&backend::config::claims_file_beside(&database));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(backend::run(
            listener,
            config,
            store,
            claims,
            chat,
            async move {
                let _ = stop.await;
            },
        ));
        Self {
            address,
            database,
            shutdown: Some(shutdown),
            task: Some(task),
            _folder: None,
        }
    }

    pub fn url(&self, query: &str) -> String {
        format!("ws://{}/{query}", self.address)
    }

    /// Graceful shutdown, waiting for the server to finish (store flushed).
    pub async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(PATIENCE * 2, task)
                .await
                .expect("server stops")
                .expect("no panic");
        }
    }
}

pub struct Client {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every text frame received so far, in order (a `chats` frame as its `chat`s).
    pub received: Vec<Value>,
    /// The `chat`s of a `chats` frame not yet returned.
    unread: VecDeque<Value>,
    /// Text frames read off the socket (a `chats` counts once).
    pub text_frames: usize,
    pub email: String,
}

impl Client {
    /// A client of the seed's protocol (no subprotocol), in the room of `query`.
    pub async fn legacy(server: &TestServer, query: &str) -> Self {
        Self::connect(&server.url(query), None).await
    }

    /// A client of the delta subprotocol.
    pub async fn delta(server: &TestServer, query: &str) -> Self {
        Self::connect(&server.url(query), Some(shared::DELTA_SUBPROTOCOL)).await
    }

    /// A delta client whose socket comes from `source` (an address of the loopback range),
    /// as a client of another network would.
    pub async fn delta_from(server: &TestServer, source: std::net::IpAddr) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind(std::net::SocketAddr::new(source, 0))
            .expect("bind the source address");
        let stream = socket.connect(server.address).await.expect("connect");
        let mut request = server.url("").into_client_request().expect("request");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static(shared::DELTA_SUBPROTOCOL),
        );
        let (socket, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
            .await
            .expect("handshake");
        Self {
            socket,
            received: Vec::new(),
            unread: VecDeque::new(),
            text_frames: 0,
            email: String::new(),
        }
    }

    pub async fn connect(url: &str, subprotocol: Option<&str>) -> Self {
        Self::try_connect(url, subprotocol).await.expect("connect")
    }

    /// Connects, or returns why the handshake failed: a refused upgrade is an
    /// `Error::Http` carrying the server's response.
    pub async fn try_connect(
        url: &str,
        subprotocol: Option<&str>,
    ) -> Result<Self, tungstenite::Error> {
        let mut request = url.into_client_request()?;
        if let Some(protocol) = subprotocol {
            let value = HeaderValue::from_str(protocol).expect("header");
            request
                .headers_mut()
                .insert("sec-websocket-protocol", value);
        }
        let (socket, response) =
            tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(request))
                .await
                .expect("handshake in time")?;
        if let Some(protocol) = subprotocol {
            let chosen = response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok());
            assert_eq!(chosen, Some(protocol), "server chose the subprotocol");
        }
        Ok(Self {
            socket,
            received: Vec::new(),
            unread: VecDeque::new(),
            text_frames: 0,
            email: String::new(),
        })
    }

    /// Sends one fragment of a text message: the first is a text frame, the others
    /// continuation frames; `last` sets FIN.
    pub async fn send_fragment(&mut self, payload: &[u8], first: bool, last: bool) {
        use tokio_tungstenite::tungstenite::protocol::frame::Frame;
        use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
        let kind = if first { Data::Text } else { Data::Continue };
        let frame = Frame::message(payload.to_vec(), OpCode::Data(kind), last);
        // The server may close mid-stream (1009): later sends can fail, which is the point.
        let _ = self.socket.send(Message::Frame(frame)).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::Text(text.into()))
            .await
            .expect("send");
    }

    pub async fn send_json(&mut self, value: Value) {
        self.send_text(&value.to_string()).await;
    }

    /// Sends `values` in one flush, as a client pipelining them does.
    pub async fn send_all_json(&mut self, values: Vec<Value>) {
        for value in values {
            let text = value.to_string();
            self.socket
                .feed(Message::Text(text.into()))
                .await
                .expect("send");
        }
        self.socket.flush().await.expect("send");
    }

    pub async fn send_binary(&mut self, bytes: &[u8]) {
        self.socket
            .send(Message::Binary(bytes.to_vec().into()))
            .await
            .expect("send");
    }

    /// Registers with `add-user`, as the seed's client does.
    pub async fn add_user(&mut self, email: &str, name: &str, position: Option<(f64, f64)>) {
        self.email = email.trim().to_lowercase();
        self.send_json(profile("add-user", email, name, position))
            .await;
    }

    /// Registers with `add-user` naming the room to join.
    pub async fn add_user_in(&mut self, room: &str, email: &str, name: &str) {
        self.email = email.trim().to_lowercase();
        let mut frame = profile("add-user", email, name, None);
        frame["room"] = json!(room);
        self.send_json(frame).await;
    }

    /// Sends a chat to the room.
    pub async fn chat(&mut self, text: &str) {
        self.send_json(json!({"type": "chat", "text": text})).await;
    }

    /// Sends a direct chat to `to`.
    pub async fn chat_to(&mut self, to: &str, text: &str) {
        self.send_json(json!({"type": "chat", "text": text, "to": to}))
            .await;
    }

    /// Sends `frame`; false once the connection is gone.
    pub async fn try_send_json(&mut self, frame: Value) -> bool {
        let text = frame.to_string();
        self.socket.send(Message::Text(text.into())).await.is_ok()
    }

    /// The next text frame (not kept in `received`), or `None` once the connection has
    /// ended or nothing came within [`PATIENCE`].
    pub async fn try_recv(&mut self) -> Option<Value> {
        loop {
            if let Some(chat) = self.unread.pop_front() {
                return Some(chat);
            }
            match tokio::time::timeout(PATIENCE, self.socket.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    let value: Value = serde_json::from_str(&text).ok()?;
                    self.unread.extend(as_chats(value));
                }
                Ok(Some(Ok(_))) => {}
                _ => return None,
            }
        }
    }

    /// Sends `frame` and returns the error frame it earns.
    pub async fn refused(&mut self, frame: Value) -> Value {
        self.send_json(frame).await;
        self.recv_type("error").await
    }

    /// The next text frame; fails the test if none comes in time or the socket closes.
    pub async fn recv(&mut self) -> Value {
        self.recv_by(Instant::now() + PATIENCE).await
    }

    /// The next text frame before `deadline`. The deadline covers the whole wait: the
    /// server's pings must not extend it.
    async fn recv_by(&mut self, deadline: Instant) -> Value {
        loop {
            if let Some(chat) = self.unread.pop_front() {
                self.received.push(chat.clone());
                return chat;
            }
            let Ok(next) = tokio::time::timeout_at(deadline, self.socket.next()).await else {
                let last: Vec<&Value> = self.received.iter().rev().take(3).collect();
                panic!(
                    "{}: no awaited frame in time; the last ones: {last:?}",
                    self.email
                );
            };
            let message = next.expect("socket open").expect("no transport error");
            if let Message::Text(text) = message {
                let value: Value = serde_json::from_str(&text).expect("server sends JSON");
                self.text_frames += 1;
                self.unread.extend(as_chats(value));
            }
        }
    }

    /// Reads frames until one satisfies `wanted`, and returns it.
    pub async fn recv_until(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let value = self.recv_by(deadline).await;
            if wanted(&value) {
                return value;
            }
        }
    }

    /// Reads frames until one of type `kind`.
    pub async fn recv_type(&mut self, kind: &str) -> Value {
        self.recv_until(|value| value["type"] == kind).await
    }

    /// Sends a room chat `marker` and reads until it comes back: everything the server
    /// queued for this client before has then been received. Presence is queued at ticks,
    /// not in order with chat: to prove a presence change never came, wait instead for a
    /// later one (a fresh user joining) with [`Client::await_shown`].
    pub async fn barrier(&mut self, marker: &str) {
        self.send_json(json!({"type": "chat", "text": marker}))
            .await;
        self.recv_until(|value| value["type"] == "chat" && value["text"] == marker)
            .await;
    }

    /// Who is online as this client sees it, by email (see [`view`]).
    pub fn view(&self) -> BTreeMap<String, Value> {
        view(&self.received)
    }

    /// The emails online as this client sees them, sorted.
    pub fn online(&self) -> Vec<String> {
        self.view().into_keys().collect()
    }

    /// Reads until exactly these emails are online as this client sees them.
    pub async fn await_online(&mut self, expected: &[&str]) {
        let mut expected: Vec<String> = expected.iter().map(|e| e.to_string()).collect();
        expected.sort();
        let deadline = Instant::now() + PATIENCE;
        while self.online() != expected {
            self.recv_by(deadline).await;
        }
    }

    /// Reads until a presence frame (list or delta) shows `email` online; every presence
    /// change the server made before that user joined has then been received.
    pub async fn await_shown(&mut self, email: &str) {
        self.recv_until(|frame| match frame["type"].as_str() {
            Some("update-users" | "welcome") => emails(&frame["users"]).iter().any(|e| e == email),
            Some("presence") => delta_has(frame, "joined", email),
            _ => false,
        })
        .await;
    }

    /// Frames received so far of type `kind`.
    pub fn received_of(&self, kind: &str) -> Vec<&Value> {
        self.received
            .iter()
            .filter(|value| value["type"] == kind)
            .collect()
    }

    /// Waits for the server to close the connection and answers its close frame, so the
    /// server is not left waiting; returns the close code, if any.
    pub async fn closed(&mut self) -> Option<u16> {
        let mut code = None;
        self.received.extend(self.unread.drain(..));
        let deadline = Instant::now() + PATIENCE;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .expect("closed in time");
            match next {
                None | Some(Err(_)) => return code,
                Some(Ok(Message::Close(frame))) => code = frame.map(|f| u16::from(f.code)),
                Some(Ok(Message::Text(text))) => {
                    let value = serde_json::from_str(&text).expect("server sends JSON");
                    self.received.extend(as_chats(value));
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Closes cleanly with a close frame; returns once the server has dropped the
    /// connection, which it does after taking it out of the hub.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
        let deadline = Instant::now() + PATIENCE;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => panic!(
                    "{}: the server kept the connection after our close",
                    self.email
                ),
                Ok(Some(Ok(_))) => {}
                Ok(None | Some(Err(_))) => return,
            }
        }
    }

    /// Drops the TCP connection without a close frame, as a crashed browser does.
    pub fn drop_abruptly(self) {
        drop(self.socket);
    }

    /// The socket, left unpolled: the client stops answering pings.
    pub fn into_silent(self) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
        self.socket
    }
}

/// A registered observer of each kind (the seed's full lists, and deltas), returned once
/// both see each other online.
pub async fn observers(server: &TestServer) -> (Client, Client) {
    let mut legacy = Client::legacy(server, "").await;
    let mut delta = Client::delta(server, "").await;
    legacy.add_user("legacy@example.com", "Legacy", None).await;
    delta.add_user("delta@example.com", "Delta", None).await;
    let both = ["delta@example.com", "legacy@example.com"];
    legacy.await_online(&both).await;
    delta.await_online(&both).await;
    (legacy, delta)
}

/// A frame as the frames it stands for: a `chats` (a commit's room messages) as one `chat`
/// per message, in order; any other frame as itself.
pub fn as_chats(frame: Value) -> Vec<Value> {
    if frame["type"] != "chats" {
        return vec![frame];
    }
    let Some(messages) = frame["messages"].as_array() else {
        panic!("a chats frame without messages: {frame}");
    };
    assert!(messages.len() > 1, "a chats frame of one message: {frame}");
    messages
        .iter()
        .map(|message| {
            let mut chat = json!({"type": "chat"});
            for (key, value) in message.as_object().expect("a message is an object") {
                chat[key] = value.clone();
            }
            chat
        })
        .collect()
}
