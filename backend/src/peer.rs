//! One connection's task: a single `select!` loop over the socket, the outbox, the ping
//! timer and shutdown. Frames from the client become hub calls, within the connection's
//! [`Budget`]; the cleanup runs once, in [`serve`], whichever way the loop ends.

use crate::budget::{Budget, Overrun};
use crate::config::ServerConfig;
use crate::hub::{ConnId, Frame, Hub, Outbox};
use futures_util::{SinkExt, StreamExt};
use shared::{ClientMessage, ErrorCode, ProtocolError, ServerMessage, decode_client_message};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

type Socket = WebSocketStream<TcpStream>;

/// Frames written to the socket before one flush, so a burst costs one system call.
const WRITE_BATCH: usize = 64;

/// Why the loop ended, for the log and the close frame.
enum Ending {
    ClientClosed,
    Idle,
    TooSlow,
    TooBig,
    /// Used up its budget: kept sending over a rate, or kept sending refused frames.
    Abuse(Overrun),
    ServerShutdown,
    Transport(String),
}

/// Runs a connection from its first frame to its last, then takes it out of the hub.
pub(crate) async fn serve(
    id: ConnId,
    socket: Socket,
    room: String,
    wants_deltas: bool,
    hub: Hub,
    config: ServerConfig,
    shutdown: CancellationToken,
) {
    let (sender, outbox) = mpsc::channel(config.outbox_capacity);
    let kick = CancellationToken::new();
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    hub.connect(
        id,
        room.clone(),
        wants_deltas,
        Outbox {
            sender,
            kick: kick.clone(),
            queued_bytes: Arc::clone(&queued_bytes),
            max_bytes: config.outbox_bytes,
        },
    );
    log::info!("conn={id} joined room={room} deltas={wants_deltas}");
    let mut peer = Peer {
        id,
        socket,
        outbox,
        queued_bytes,
        kick,
        shutdown,
        hub: hub.clone(),
        budget: Budget::new(&config, Instant::now()),
        config,
    };
    let ending = peer.run().await;
    hub.disconnect(id);
    peer.close(&ending).await;
    log::info!("conn={id} closed: {ending}");
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ClientClosed => f.write_str("client closed"),
            Self::Idle => f.write_str("no answer to pings"),
            Self::TooSlow => f.write_str("client too slow to read"),
            Self::TooBig => f.write_str("message over the size limit"),
            Self::Abuse(Overrun::RateLimited) => f.write_str("too many rate-limited frames"),
            Self::Abuse(Overrun::BadFrames) => f.write_str("too many bad frames"),
            Self::ServerShutdown => f.write_str("server shutdown"),
            Self::Transport(error) => write!(f, "transport error: {error}"),
        }
    }
}

struct Peer {
    id: ConnId,
    socket: Socket,
    outbox: mpsc::Receiver<Frame>,
    /// The bytes of the outbox, shared with the hub's `Outbox`: subtracted once written.
    queued_bytes: Arc<AtomicUsize>,
    /// Cancelled by the hub when the outbox is full; it also cuts a write short.
    kick: CancellationToken,
    shutdown: CancellationToken,
    hub: Hub,
    budget: Budget,
    config: ServerConfig,
}

impl Peer {
    async fn run(&mut self) -> Ending {
        let (kick, shutdown) = (self.kick.clone(), self.shutdown.clone());
        let mut ping = tokio::time::interval(self.config.ping_interval);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
        loop {
            let step = tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Ending::ServerShutdown,
                _ = kick.cancelled() => return Ending::TooSlow,
                incoming = self.socket.next() => match incoming {
                    None => return Ending::ClientClosed,
                    Some(Err(WsError::Capacity(_))) => return Ending::TooBig,
                    Some(Err(error)) => return Ending::Transport(error.to_string()),
                    Some(Ok(message)) => {
                        last_heard = Instant::now();
                        self.on_message(message).await
                    }
                },
                Some(frame) = self.outbox.recv() => self.write_outbox(frame).await,
                _ = ping.tick() => {
                    if last_heard.elapsed() > self.config.idle_timeout {
                        return Ending::Idle;
                    }
                    self.write(Message::Ping(Default::default())).await
                }
            };
            if let Err(ending) = step {
                return ending;
            }
        }
    }

    async fn on_message(&mut self, message: Message) -> Result<(), Ending> {
        let refusal = match message {
            Message::Text(text) => self.on_text(&text),
            Message::Binary(_) => Some(ProtocolError::new(
                ErrorCode::BinaryNotSupported,
                "frames must be JSON text",
            )),
            Message::Close(_) => return Ok(()),
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => None,
        };
        let Some(error) = refusal else {
            return Ok(());
        };
        log::debug!("conn={} refused a frame: {error}", self.id);
        let overrun = self.budget.refused(error.code, Instant::now());
        let frame = ServerMessage::Error(error.into()).to_json();
        self.write(Message::Text(frame.into())).await?;
        match overrun {
            None => Ok(()),
            Some(overrun) => Err(Ending::Abuse(overrun)),
        }
    }

    /// Decodes one frame and hands it to the hub; returns the refusal to send back.
    fn on_text(&mut self, text: &str) -> Option<ProtocolError> {
        let message = match decode_client_message(text) {
            Ok(message) => message,
            Err(error) => return Some(error),
        };
        log::trace!("conn={} {}", self.id, message.type_name());
        if let Err(error) = self.budget.admit(&message, Instant::now()) {
            return Some(error);
        }
        let outcome = match message {
            ClientMessage::AddUser(profile) | ClientMessage::UpdateUser(profile) => {
                self.hub.register(self.id, profile)
            }
            ClientMessage::Chat(request) => self.hub.chat(self.id, request),
            signaling => self.hub.relay(self.id, signaling),
        };
        outcome.err()
    }

    /// Writes a frame and whatever else is already queued, then flushes once.
    async fn write_outbox(&mut self, first: Frame) -> Result<(), Ending> {
        let mut bytes = first.len();
        let mut batch = vec![Message::Text(first)];
        while batch.len() < WRITE_BATCH {
            match self.outbox.try_recv() {
                Ok(frame) => {
                    bytes += frame.len();
                    batch.push(Message::Text(frame));
                }
                Err(_) => break,
            }
        }
        let socket = &mut self.socket;
        let write_all = async move {
            for message in batch {
                socket.feed(message).await?;
            }
            socket.flush().await
        };
        within(&self.config, &self.kick, &self.shutdown, write_all).await?;
        self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
        Ok(())
    }

    async fn write(&mut self, message: Message) -> Result<(), Ending> {
        let send = self.socket.send(message);
        within(&self.config, &self.kick, &self.shutdown, send).await
    }

    /// Says goodbye with a close frame where the client can still hear one, then reads
    /// until the client closes too, so that the close frame is not lost to a reset.
    async fn close(&mut self, ending: &Ending) {
        let (code, reason) = match ending {
            Ending::ServerShutdown => (CloseCode::Away, "server shutting down"),
            Ending::TooSlow => (CloseCode::Policy, "too slow: outbound queue full"),
            Ending::TooBig => (CloseCode::Size, "message too big"),
            Ending::Abuse(Overrun::RateLimited) => {
                (CloseCode::Policy, "too many rate-limited frames")
            }
            Ending::Abuse(Overrun::BadFrames) => (CloseCode::Policy, "too many bad frames"),
            Ending::Idle => (CloseCode::Away, "no answer to pings"),
            Ending::ClientClosed | Ending::Transport(_) => return,
        };
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let grace = self.config.send_timeout.min(Duration::from_secs(2));
        let socket = &mut self.socket;
        let goodbye = async move {
            if socket.close(Some(frame)).await.is_ok() {
                while let Some(Ok(_)) = socket.next().await {}
            }
        };
        let _ = tokio::time::timeout(grace, goodbye).await;
    }
}

/// Runs a write within the send timeout; a kick (the outbox over its bound) or shutdown
/// cuts it short, so that a client that stopped reading is closed at once.
async fn within<E: std::fmt::Display>(
    config: &ServerConfig,
    kick: &CancellationToken,
    shutdown: &CancellationToken,
    write: impl std::future::Future<Output = Result<(), E>>,
) -> Result<(), Ending> {
    tokio::select! {
        biased;
        _ = shutdown.cancelled() => Err(Ending::ServerShutdown),
        _ = kick.cancelled() => Err(Ending::TooSlow),
        written = tokio::time::timeout(config.send_timeout, write) => match written {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(Ending::Transport(error.to_string())),
            Err(_) => Err(Ending::TooSlow),
        },
    }
}
