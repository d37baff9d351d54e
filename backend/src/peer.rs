//! One connection's task: a single `select!` loop over the outbox (which also carries the
//! hub's ping tick and shutdown) and the socket. Frames from the client become hub calls,
//! within the connection's [`Budget`]; the hub's frames go out in vectored writes; the
//! cleanup runs once, in [`serve`], whichever way the loop ends.

use crate::access::Access;
use crate::budget::{Budget, Overrun};
use crate::config::ServerConfig;
use crate::frame::Frame;
use crate::handshake::Socket;
use crate::hub::{ConnId, Hub, Outbox};
use crate::outbox::Closed;
use crate::stream::LeanStream;
use futures_util::{SinkExt, StreamExt};
use shared::{
    ClientMessage, ErrorCode, Profile, ProtocolError, ServerMessage, decode_client_message,
};
use std::io::{self, IoSlice};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// Frames written by one system call at most (a vectored write).
const WRITE_BATCH: usize = 256;

/// Why the loop ended, for the log and the close frame.
enum Ending {
    ClientClosed,
    Idle,
    TooSlow,
    TooBig,
    /// Used up its budget: kept sending over a rate, or kept sending refused frames.
    Abuse(Overrun),
    ServerShutdown,
    /// Did not register within the registration deadline.
    NotRegistered,
    /// Signed its device out.
    SignedOut,
    /// Its user signed the other devices out from another one.
    SignedOutElsewhere,
    Transport(String),
}

/// Adds a connection that completed its handshake to the hub, ready to [`serve`].
///
/// Boxed, and built outside any future: a future keeps its arguments for its whole life,
/// so passing the socket to an `async fn` would size every connection's task for it twice.
pub(crate) struct Opening {
    pub id: ConnId,
    pub socket: Socket,
    pub room: String,
    pub wants_deltas: bool,
    /// The client's network (`admission::network_of`), for the delays after failed sign-ins.
    pub network: IpAddr,
    pub hub: Hub,
    pub access: Arc<Access>,
    pub config: Arc<ServerConfig>,
}

pub(crate) fn open(opening: Opening) -> Box<Peer> {
    let Opening {
        id,
        socket,
        room,
        wants_deltas,
        network,
        hub,
        access,
        config,
    } = opening;
    let outbox = Arc::new(Outbox::new(config.outbox_capacity, config.outbox_bytes));
    hub.connect(id, room.clone(), wants_deltas, Arc::clone(&outbox));
    log::info!("conn={id} joined room={room} deltas={wants_deltas}");
    Box::new(Peer {
        id,
        socket,
        outbox,
        hub,
        budget: None,
        presence_seen: false,
        config,
        access,
        network,
        wants_deltas,
        registered: None,
        opened_at: Instant::now(),
        last_heard: Instant::now(),
        torn: false,
        closing: false,
    })
}

/// Runs a connection from its first frame to its last, then takes it out of the hub.
pub(crate) async fn serve(mut peer: Box<Peer>) {
    let ending = peer.run().await;
    peer.hub.disconnect(peer.id);
    // Boxed: the goodbye's state exists only while it runs, not in every idle task.
    Box::pin(peer.close(&ending)).await;
    log::info!("conn={} closed: {ending}", peer.id);
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
            Self::NotRegistered => f.write_str("did not register in time"),
            Self::SignedOut => f.write_str("signed out"),
            Self::SignedOutElsewhere => f.write_str("signed out from another device"),
            Self::Transport(error) => write!(f, "transport error: {error}"),
        }
    }
}

/// The identity a connection registered with: its email, and its device if it proved one.
struct Registered {
    email: String,
    device: Option<String>,
}

pub(crate) struct Peer {
    id: ConnId,
    socket: Socket,
    outbox: Arc<Outbox>,
    hub: Hub,
    /// Made at the first frame that a rate or a strike applies to, the registration
    /// aside: a client that only registers (most of an idle crowd) never needs one.
    budget: Option<Box<Budget>>,
    /// A presence frame came: the next ones are counted against the budget's rate.
    presence_seen: bool,
    config: Arc<ServerConfig>,
    access: Arc<Access>,
    network: IpAddr,
    wants_deltas: bool,
    /// Who the connection registered as, once it has.
    registered: Option<Registered>,
    /// An unregistered connection is closed once the registration deadline has passed.
    opened_at: Instant,
    /// When the client last sent anything; checked at each ping tick.
    last_heard: Instant,
    /// A write was cut short in the middle of a frame: the stream can carry nothing more.
    torn: bool,
    /// The client sent its close frame: nothing more is written after tungstenite's reply.
    closing: bool,
}

impl Peer {
    async fn run(&mut self) -> Ending {
        let outbox = Arc::clone(&self.outbox);
        loop {
            // The outbox comes before the socket: what the room queued goes out first.
            let step = tokio::select! {
                biased;
                _ = outbox.woken() => self.write_queued().await,
                incoming = self.socket.next() => match incoming {
                    None => return Ending::ClientClosed,
                    Some(Err(WsError::Capacity(_))) => return Ending::TooBig,
                    Some(Err(error)) => return Ending::Transport(error.to_string()),
                    Some(Ok(message)) => {
                        self.last_heard = Instant::now();
                        self.on_message(message).await
                    }
                },
            };
            if let Err(ending) = step {
                return ending;
            }
        }
    }

    async fn on_message(&mut self, message: Message) -> Result<(), Ending> {
        let refusal = match message {
            Message::Text(text) => self.on_text(&text).await?,
            Message::Binary(_) => Some(ProtocolError::new(
                ErrorCode::BinaryNotSupported,
                "frames must be JSON text",
            )),
            Message::Close(_) => {
                self.closing = true;
                return Ok(());
            }
            // tungstenite queued a pong: it goes out before the socket is read again.
            Message::Ping(_) => return self.flush_pong().await,
            Message::Pong(_) | Message::Frame(_) => None,
        };
        let Some(error) = refusal else {
            return Ok(());
        };
        log::debug!("conn={} refused a frame: {error}", self.id);
        let overrun = self.budget().refused(error.code, Instant::now());
        let frame = Frame::message(&ServerMessage::Error(error.into()));
        self.write_frames(&[frame]).await?;
        match overrun {
            None => Ok(()),
            Some(overrun) => Err(Ending::Abuse(overrun)),
        }
    }

    /// Decodes one frame and hands it to the hub; returns the refusal to send back.
    async fn on_text(&mut self, text: &str) -> Result<Option<ProtocolError>, Ending> {
        let message = match decode_client_message(text) {
            Ok(message) => message,
            Err(error) => return Ok(Some(error)),
        };
        log::trace!("conn={} {}", self.id, message.type_name());
        let is_presence = matches!(
            message,
            ClientMessage::AddUser(_) | ClientMessage::UpdateUser(_)
        );
        // The first presence frame (the registration) is free: a client that only
        // registers never needs a budget.
        let free = is_presence && !std::mem::replace(&mut self.presence_seen, true);
        if !free && let Err(error) = self.budget().admit(&message, text.len(), Instant::now()) {
            return Ok(Some(error));
        }
        let outcome = match message {
            ClientMessage::AddUser(profile) | ClientMessage::UpdateUser(profile) => {
                match self.registered {
                    None => self.register(profile).await,
                    Some(_) => self.hub.register(self.id, profile, None),
                }
            }
            ClientMessage::LinkDevice => self.link_device().await?,
            ClientMessage::SignOut(request) => return self.sign_out(request.others).await,
            ClientMessage::Chat(request) => {
                let fan_out = budget_of(&mut self.budget, &self.config).fan_out();
                self.hub.chat(self.id, request, fan_out)
            }
            signaling => {
                let fan_out = budget_of(&mut self.budget, &self.config).fan_out();
                self.hub.relay(self.id, signaling, fan_out)
            }
        };
        Ok(outcome.err())
    }

    /// The first registration: the access rules (which may ask the claims store), then
    /// the hub.
    async fn register(&mut self, profile: Profile) -> Result<(), ProtocolError> {
        let online = self.hub.is_online(&profile.email);
        let access = Arc::clone(&self.access);
        let admitted = access
            .admit(&profile, self.wants_deltas, self.network, online)
            .await;
        // The claims may have kept this task from reading for a while (a locked file): the
        // client was not silent, the server was busy.
        self.last_heard = Instant::now();
        let admitted = admitted?;
        let email = profile.email.clone();
        if let Err(error) = self.hub.register(self.id, profile, Some(&admitted)) {
            access.undo(&email, &admitted).await;
            return Err(error);
        }
        log::info!(
            "conn={} registered as {email}{}",
            self.id,
            if admitted.device.is_some() {
                " (device)"
            } else {
                ""
            }
        );
        self.registered = Some(Registered {
            email,
            device: admitted.device,
        });
        Ok(())
    }

    /// Answers `link-device` with a one-time code for another device of this user's.
    async fn link_device(&mut self) -> Result<Result<(), ProtocolError>, Ending> {
        let Some(registered) = &self.registered else {
            return Ok(Err(not_registered()));
        };
        let link = match self
            .access
            .link_code(&registered.email, registered.device.as_deref())
        {
            Ok(link) => link,
            Err(error) => return Ok(Err(error)),
        };
        log::info!("conn={} asked for a device link code", self.id);
        let frame = Frame::message(&ServerMessage::DeviceLink(link));
        self.write_frames(&[frame]).await?;
        Ok(Ok(()))
    }

    /// Signs this device out for good, says so, and ends the connection; or with
    /// `others`, signs the user's other devices out and closes their connections.
    async fn sign_out(&mut self, others: bool) -> Result<Option<ProtocolError>, Ending> {
        let Some(registered) = &self.registered else {
            return Ok(Some(not_registered()));
        };
        let access = Arc::clone(&self.access);
        let device = registered.device.as_deref();
        let devices = match access.sign_out(&registered.email, device, others).await {
            Ok(devices) => devices,
            Err(error) => return Ok(Some(error)),
        };
        let closed = match others {
            true => self.hub.close_others_of(&registered.email, self.id),
            false => 0,
        };
        log::info!(
            "conn={} signed out {devices} devices (others: {others}, {closed} connections closed)",
            self.id
        );
        let answer = shared::SignedOut { devices, others };
        let frame = Frame::message(&ServerMessage::SignedOut(answer));
        self.write_frames(&[frame]).await?;
        match others {
            true => Ok(None),
            false => Err(Ending::SignedOut),
        }
    }

    fn budget(&mut self) -> &mut Budget {
        budget_of(&mut self.budget, &self.config)
    }

    /// Writes a batch of what the hub queued. If more is queued, the next turn of the loop
    /// comes back here (after a look at the socket).
    async fn write_queued(&mut self) -> Result<(), Ending> {
        let mut batch = Vec::new();
        let taken = self
            .outbox
            .take(&mut batch, WRITE_BATCH)
            .map_err(ending_of)?;
        if taken.ping_due && self.last_heard.elapsed() > self.config.idle_timeout {
            return Err(Ending::Idle);
        }
        if taken.ping_due
            && self.registered.is_none()
            && self.opened_at.elapsed() > self.config.register_timeout
        {
            return Err(Ending::NotRegistered);
        }
        if batch.is_empty() {
            return Ok(());
        }
        self.write_frames(&batch).await?;
        self.outbox.written(taken.counted_bytes);
        Ok(())
    }

    /// Writes whole frames straight to the socket, in one vectored write where it can:
    /// tungstenite frames only its own replies (pongs, close), and those are flushed first
    /// so that frames never interleave.
    async fn write_frames(&mut self, frames: &[Frame]) -> Result<(), Ending> {
        if self.closing {
            return Ok(());
        }
        let (socket, torn) = (&mut self.socket, &mut self.torn);
        let write = async move {
            socket.flush().await.map_err(|error| error.to_string())?;
            *torn = true;
            write_all(socket.get_mut(), frames)
                .await
                .map_err(|error| error.to_string())?;
            *torn = false;
            Ok::<_, String>(())
        };
        // Boxed: a write's state exists only while it runs, not in every idle task.
        Box::pin(within(&self.config, &self.outbox, write)).await
    }

    /// Waits, within the send timeout, until tungstenite's pong is written: a client that
    /// sends pings and never reads is not read on, and is closed as too slow.
    async fn flush_pong(&mut self) -> Result<(), Ending> {
        if self.closing {
            return Ok(());
        }
        let socket = &mut self.socket;
        let flush = async move { socket.flush().await.map_err(|error| error.to_string()) };
        Box::pin(within(&self.config, &self.outbox, flush)).await
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
            Ending::NotRegistered => (CloseCode::Policy, "did not register in time"),
            Ending::SignedOut => (CloseCode::Normal, "signed out"),
            Ending::SignedOutElsewhere => (CloseCode::Policy, "signed out from another device"),
            Ending::ClientClosed | Ending::Transport(_) => return,
        };
        if self.torn {
            // Half a frame went out: a close frame now would be read as its rest.
            return;
        }
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

/// A connection's budget, made when first needed.
fn budget_of<'a>(budget: &'a mut Option<Box<Budget>>, config: &ServerConfig) -> &'a mut Budget {
    budget.get_or_insert_with(|| Box::new(Budget::new(config, Instant::now())))
}

/// Writes every byte of `frames`, as few system calls as the kernel allows.
async fn write_all(stream: &mut LeanStream, frames: &[Frame]) -> io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = frames.iter().map(|f| IoSlice::new(f.as_bytes())).collect();
    let mut remaining = &mut slices[..];
    while !remaining.is_empty() {
        let written = stream.write_vectored(remaining).await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut remaining, written);
    }
    Ok(())
}

/// Runs a write within the send timeout; a kick (the outbox over its bound) or shutdown
/// cuts it short, so that a client that stopped reading is closed at once.
async fn within(
    config: &ServerConfig,
    outbox: &Outbox,
    write: impl std::future::Future<Output = Result<(), String>>,
) -> Result<(), Ending> {
    let write = tokio::time::timeout(config.send_timeout, write);
    tokio::pin!(write);
    let mut woken = false;
    let result = loop {
        tokio::select! {
            biased;
            _ = outbox.woken() => match outbox.closed() {
                Some(reason) => break Err(ending_of(reason)),
                None => woken = true,
            },
            written = &mut write => break match written {
                Ok(Ok(())) => Ok(()),
                Ok(Err(error)) => Err(Ending::Transport(error)),
                Err(_) => Err(Ending::TooSlow),
            },
        }
    };
    if woken {
        // The wake was for frames or a ping queued meanwhile: kept for the loop's next turn.
        outbox.wake_again();
    }
    result
}

fn not_registered() -> ProtocolError {
    ProtocolError::new(ErrorCode::NotRegistered, "send add-user first")
}

fn ending_of(reason: Closed) -> Ending {
    match reason {
        Closed::Kicked => Ending::TooSlow,
        Closed::ServerShutdown => Ending::ServerShutdown,
        Closed::SignedOut => Ending::SignedOutElsewhere,
    }
}
