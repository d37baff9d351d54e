//! One client connection: open it (with or without the delta subprotocol), register, and
//! close it politely; and opening many at a bounded rate and concurrency.

use crate::wire;
use futures_util::{SinkExt, StreamExt, stream};
use serde::{Deserialize, Serialize};
use shared::{DELTA_SUBPROTOCOL, ServerMessage};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Time for a connection to open, and separately to be welcomed after `add-user`.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the clients go and which protocol they speak.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    /// `ws://host:port`, without a path.
    pub url: String,
    /// Speak only the seed's protocol: no subprotocol, `update-users` lists.
    pub legacy: bool,
}

impl Target {
    pub fn room_url(&self, room: &str) -> String {
        let base = self.url.trim_end_matches('/');
        format!("{base}/?room={room}")
    }
}

/// What a connection reads at most per system call: small by default, since the generator
/// holds thousands of connections.
pub const SMALL_READS: usize = 4096;

/// Opens a connection into `room`. Buffers start small: the generator holds thousands.
pub async fn open(target: &Target, room: &str) -> Result<Ws, String> {
    open_reading(target, room, SMALL_READS).await
}

/// Opens a connection into `room` that reads up to `read_buffer` bytes per system call.
pub async fn open_reading(target: &Target, room: &str, read_buffer: usize) -> Result<Ws, String> {
    let subprotocol = (!target.legacy).then_some(DELTA_SUBPROTOCOL);
    open_url_reading(&target.room_url(room), subprotocol, read_buffer).await
}

/// Opens a connection to `url` (asking for `subprotocol` if given), with small buffers.
pub async fn open_url(url: &str, subprotocol: Option<&'static str>) -> Result<Ws, String> {
    open_url_reading(url, subprotocol, SMALL_READS).await
}

async fn open_url_reading(
    url: &str,
    subprotocol: Option<&'static str>,
    read_buffer: usize,
) -> Result<Ws, String> {
    let mut request = url
        .into_client_request()
        .map_err(|error| format!("bad url: {error}"))?;
    if let Some(subprotocol) = subprotocol {
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(subprotocol),
        );
    }
    let config = WebSocketConfig::default()
        .read_buffer_size(read_buffer)
        .write_buffer_size(0);
    let connect = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
    match tokio::time::timeout(SETUP_TIMEOUT, connect).await {
        Ok(Ok((socket, _response))) => Ok(socket),
        Ok(Err(error)) => Err(format!("connect: {error}")),
        Err(_) => Err("connect: timed out".into()),
    }
}

/// Sends `add-user` and waits until the server shows the user registered: the `welcome`
/// (delta clients) or an `update-users` list naming the email (the seed's clients).
pub async fn register(
    socket: &mut Ws,
    email: &str,
    position: (f64, f64),
    legacy: bool,
) -> Result<ServerMessage, String> {
    let frame = wire::profile_frame_as(email, position, true);
    socket
        .send(Message::Text(frame.into()))
        .await
        .map_err(|error| format!("send add-user: {error}"))?;
    let wait = async {
        while let Some(message) = socket.next().await {
            let text = match message {
                Ok(Message::Text(text)) => text,
                Ok(Message::Close(_)) => return Err("closed before welcome".to_string()),
                Ok(_) => continue,
                Err(error) => return Err(format!("read: {error}")),
            };
            match serde_json::from_str::<ServerMessage>(&text) {
                Ok(welcome @ ServerMessage::Welcome(_)) if !legacy => return Ok(welcome),
                Ok(ServerMessage::UpdateUsers { users })
                    if legacy && users.iter().any(|user| user.email == email) =>
                {
                    return Ok(ServerMessage::UpdateUsers { users });
                }
                Ok(ServerMessage::Error(error)) => {
                    return Err(format!("refused: {}: {}", error.code, error.message));
                }
                _ => {}
            }
        }
        Err("closed before welcome".to_string())
    };
    tokio::time::timeout(SETUP_TIMEOUT, wait)
        .await
        .unwrap_or_else(|_| Err("no welcome in time".into()))
}

/// Sends a close frame and waits (briefly) for the server's, so the server sees a clean
/// close rather than a reset.
pub async fn close(mut socket: Ws) {
    let goodbye = async {
        if socket.close(None).await.is_ok() {
            while let Some(Ok(_)) = socket.next().await {}
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), goodbye).await;
}

/// Sends one text frame.
pub async fn send_text(socket: &mut Ws, text: String) -> Result<(), String> {
    socket
        .send(Message::Text(Utf8Bytes::from(text)))
        .await
        .map_err(|error| format!("send: {error}"))
}

/// How to open many clients: at most `rate` new connections a second, `concurrency` of
/// them in the handshake-and-register phase at once.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Ramp {
    pub rate: u32,
    pub concurrency: usize,
}

impl Ramp {
    /// The ramp of a run not told otherwise (`--connect-rate`, `--connect-concurrency`).
    pub const DEFAULT: Self = Self {
        rate: 2_000,
        concurrency: 256,
    };
}

/// A registered client read by a task of its own until it is released, so that the
/// server never finds it not reading (and closes it as too slow) while others connect.
pub type Parked = tokio::task::JoinHandle<Option<Ws>>;

/// Reads and drops frames until `release` turns true; gives the socket back then, or
/// `None` if the connection ended first.
pub fn park(mut socket: Ws, mut release: watch::Receiver<bool>) -> Parked {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                released = release.wait_for(|go| *go) => {
                    return released.is_ok().then_some(socket);
                }
                message = socket.next() => match message {
                    Some(Ok(_)) => {}
                    _ => return None,
                },
            }
        }
    })
}

/// Opens client `index` into `room` and registers it at `position`.
pub async fn open_registered(
    target: &Target,
    room: String,
    index: usize,
    position: (f64, f64),
) -> Result<Ws, String> {
    open_registered_reading(target, room, index, position, SMALL_READS).await
}

/// [`open_registered`], reading up to `read_buffer` bytes per system call.
pub async fn open_registered_reading(
    target: &Target,
    room: String,
    index: usize,
    position: (f64, f64),
    read_buffer: usize,
) -> Result<Ws, String> {
    let mut socket = open_reading(target, &room, read_buffer).await?;
    register(&mut socket, &wire::email(index), position, target.legacy).await?;
    Ok(socket)
}

/// Opens the clients numbered `indices` by `setup` (a connection and its registration) at
/// the ramp's rate, each parked as soon as it is set up. Returns the parked clients with
/// their numbers, and the errors of the rest.
pub async fn open_many<F, R>(
    indices: Vec<usize>,
    ramp: Ramp,
    release: &watch::Receiver<bool>,
    setup: F,
) -> (Vec<(usize, Parked)>, Vec<(usize, String)>)
where
    F: Fn(usize) -> R,
    R: Future<Output = Result<Ws, String>>,
{
    let spacing = Duration::from_secs_f64(1.0 / f64::from(ramp.rate.max(1)));
    let start = tokio::time::Instant::now();
    let setup = &setup;
    let attempts = indices.into_iter().enumerate().map(|(n, index)| {
        let at = start + spacing.mul_f64(n as f64);
        let release = release.clone();
        async move {
            tokio::time::sleep_until(at).await;
            match setup(index).await {
                Ok(socket) => Ok((index, park(socket, release))),
                Err(error) => Err((index, error)),
            }
        }
    });
    let results: Vec<Result<(usize, Parked), (usize, String)>> = stream::iter(attempts)
        .buffer_unordered(ramp.concurrency.max(1))
        .collect()
        .await;
    let mut opened = Vec::new();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(parked) => opened.push(parked),
            Err(error) => errors.push(error),
        }
    }
    (opened, errors)
}

/// Takes parked clients back (after their release was sent): the sockets still open, and
/// how many ended while parked.
pub async fn unpark(parked: Vec<(usize, Parked)>) -> (Vec<(usize, Ws)>, usize) {
    let mut sockets = Vec::with_capacity(parked.len());
    let mut ended = 0;
    for (index, handle) in parked {
        match handle.await {
            Ok(Some(socket)) => sockets.push((index, socket)),
            _ => ended += 1,
        }
    }
    (sockets, ended)
}
