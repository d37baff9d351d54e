//! One connection's task: a single loop over the outbox (which also carries the hub's ping
//! tick and shutdown) and the socket ([`SocketWriter`]), the socket's ready frames first
//! up to a batch, the outbox first after a wait ([`next_event`]). Frames from the client
//! become hub calls, within the connection's [`Budget`]; the hub's frames go out through
//! the writer; the cleanup runs once, in [`serve`], whichever way the loop ends.

mod chat;
mod deadline;
mod ending;
mod refused;
mod relay;
mod sign_in;

use deadline::within;
use ending::{Ending, ending_of};
use refused::Refused;

use super::context::Context;
use super::writer::{Departure, SocketError, SocketWriter};
use crate::admission::budget::{Budget, BudgetConfig};
use crate::frame::Frame;
use crate::hub::{ConnId, Outbox};
use crate::logging;
use crate::telemetry;
use shared::{
    ClientMessage, ErrorCode, ErrorFrame, ProtocolError, ServerMessage, decode_client_message,
    decode_signal, refused_client_id,
};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

/// Frames written by one system call at most (a vectored write).
const WRITE_BATCH: usize = 256;

/// Frames read in a row, while the socket has them ready, before what they queued is
/// written.
const READ_BATCH: usize = 64;

/// What woke a connection's loop.
enum Event {
    /// The outbox: frames, a ping tick or a reason to close.
    Queued,
    Incoming(Option<Result<Message, SocketError>>),
}

/// The loop's next event: the socket's next message or the outbox's wake, whichever is
/// ready, the socket first if `socket_first`; `waited` is set if neither was at first.
///
/// Once it has waited, the outbox goes first: what others queued meanwhile is written
/// before the socket is read, so that write carries the TCP acknowledgement of the bytes
/// waiting to be read, and the read need not send one of its own.
fn next_event<'a>(
    socket: &'a mut SocketWriter,
    outbox: &'a Outbox,
    socket_first: bool,
    waited: &'a mut bool,
) -> impl Future<Output = Event> + 'a {
    std::future::poll_fn(move |cx| {
        let socket_first = socket_first && !*waited;
        if socket_first && let Poll::Ready(incoming) = socket.poll_next(cx) {
            return Poll::Ready(Event::Incoming(incoming));
        }
        if outbox.poll_woken(cx).is_ready() {
            return Poll::Ready(Event::Queued);
        }
        if !socket_first && let Poll::Ready(incoming) = socket.poll_next(cx) {
            return Poll::Ready(Event::Incoming(incoming));
        }
        *waited = true;
        Poll::Pending
    })
}

/// Adds a connection that completed its handshake to the hub, ready to [`serve`].
///
/// Boxed, and built outside any future: a future keeps its arguments for its whole life,
/// so passing the socket to an `async fn` would size every connection's task for it twice.
pub(crate) struct Opening {
    pub id: ConnId,
    pub socket: SocketWriter,
    pub room: String,
    pub wants_deltas: bool,
    /// The client's network (`admission::network_of`), for the delays after failed
    /// sign-ins.
    pub network: IpAddr,
    pub context: Arc<Context>,
}

pub(crate) fn open(opening: Opening) -> Box<Peer> {
    let Opening {
        id,
        socket,
        room,
        wants_deltas,
        network,
        context,
    } = opening;
    let config = &context.config;
    let outbox = Arc::new(Outbox::new(config.outbox_capacity, config.outbox_bytes));
    context
        .hub
        .connect(id, room.clone(), wants_deltas, Arc::clone(&outbox));
    // At debug: a sign-in's line names the room (one line less per connection at info).
    log::debug!("conn={id} joined room={room} deltas={wants_deltas}");
    Box::new(Peer {
        id,
        socket,
        outbox,
        context,
        budget: None,
        presence_seen: false,
        network,
        wants_deltas,
        registered: None,
        renew_ice_at: None,
        opened_at: Instant::now(),
        last_heard: Instant::now(),
    })
}

/// Runs a connection from its first frame to its last, then takes it out of the hub.
///
/// An `async` block, not an `async fn`: an `async fn` keeps its argument twice (as the
/// argument and as the binding it is moved into), and this future lives as long as the
/// connection.
#[allow(clippy::manual_async_fn)]
pub(crate) fn serve(mut peer: Box<Peer>) -> impl std::future::Future<Output = ()> + Send {
    async move {
        let ending = peer.run().await;
        peer.context.hub.disconnect(peer.id);
        // Boxed: the goodbye's state exists only while it runs, not in every idle task.
        Box::pin(peer.close(&ending)).await;
        ending.log(peer.id);
        logging::forget(peer.id);
        telemetry::connection_closed(ending.label(), matches!(ending, Ending::TooSlow));
    }
}

/// The handling of a message that the fast path did not finish.
type Handling<'a> = Pin<Box<dyn Future<Output = Result<(), Ending>> + Send + 'a>>;

/// What the fast path did with a message.
enum FastPath {
    Relayed,
    Refused(Refused),
    /// Not a signal the fast path reads: the full decoder's.
    NotASignal(Message),
}

/// The identity a connection registered with: its email, its room, and its device if it
/// proved one.
struct Registered {
    email: String,
    /// The room's name as the hub spells it (shared, not copied).
    room: Arc<str>,
    device: Option<String>,
}

pub(crate) struct Peer {
    id: ConnId,
    socket: SocketWriter,
    outbox: Arc<Outbox>,
    /// The settings, the registering rules and the hub, shared by every connection.
    context: Arc<Context>,
    /// Made at the first frame that a rate or a strike applies to, the registration
    /// aside: a client that only registers (most of an idle crowd) never needs one.
    budget: Option<Box<Budget>>,
    /// A presence frame came: the next ones are counted against the budget's rate.
    presence_seen: bool,
    network: IpAddr,
    wants_deltas: bool,
    /// Who the connection registered as, once it has.
    registered: Option<Registered>,
    /// When the connection's TURN credentials are renewed (checked at each ping tick), if
    /// its welcome carried some.
    renew_ice_at: Option<Instant>,
    /// An unregistered connection is closed once the registration deadline has passed.
    opened_at: Instant,
    /// When the client last sent anything; checked at each ping tick.
    last_heard: Instant,
}

impl Peer {
    /// The loop of tokio's chat example: what the hub queued for the client, or what the
    /// client sent, one at a time, until one of them ends the connection.
    async fn run(&mut self) -> Ending {
        let outbox = Arc::clone(&self.outbox);
        // Frames read since the last write or wait: the socket is read first while it has
        // frames ready, up to a batch, so that what they queue goes out in one write.
        let mut streak = 0;
        loop {
            let socket_first = streak < READ_BATCH;
            let mut waited = false;
            let event = next_event(&mut self.socket, &outbox, socket_first, &mut waited).await;
            if waited {
                streak = 0;
            }
            let step = match event {
                Event::Queued => {
                    streak = 0;
                    Ok(true)
                }
                Event::Incoming(incoming) => match received(incoming) {
                    Ok(message) => {
                        streak += 1;
                        // One clock read per batch: frames read in a row share its time.
                        if streak % READ_BATCH == 1 {
                            self.last_heard = Instant::now();
                        }
                        match self.handle(message) {
                            None => Ok(false),
                            Some(handling) => handling.await.map(|()| false),
                        }
                    }
                    Err(ending) => Err(ending),
                },
            };
            // Written after the match, not in its arm: an arm's state sits beside the
            // event, and the task's future is sized for its largest state.
            let step = match step {
                Ok(true) => self.write_queued().await,
                other => other.map(drop),
            };
            if let Err(ending) = step {
                return ending;
            }
        }
    }

    /// What a message needs: `None` once a signal was relayed on the fast path, else its
    /// handling, boxed: that state (about 560 bytes) exists only while it runs, not in every
    /// idle connection's task, and the task keeps only a pointer to it (a sync function
    /// returns it, so that no `FastPath` or message sits beside the await).
    fn handle(&mut self, message: Message) -> Option<Handling<'_>> {
        match self.relay_at_once(message) {
            FastPath::Relayed => None,
            FastPath::Refused(refused) => Some(Box::pin(self.refuse(refused))),
            FastPath::NotASignal(message) => Some(Box::pin(self.on_message(message))),
        }
    }

    /// Relays a signaling frame, most of the frames of a call, on the fast path: read by
    /// `decode_signal`, relayed without awaiting anything, nothing boxed.
    fn relay_at_once(&mut self, message: Message) -> FastPath {
        let Message::Text(text) = &message else {
            return FastPath::NotASignal(message);
        };
        let Some(signal) = decode_signal(text) else {
            return FastPath::NotASignal(message);
        };
        telemetry::frame_in(signal.kind().as_str());
        match self.relay(&signal, text.len()) {
            Ok(()) => FastPath::Relayed,
            Err(error) => FastPath::Refused(Refused::from(error)),
        }
    }

    async fn on_message(&mut self, message: Message) -> Result<(), Ending> {
        let refusal = match message {
            Message::Text(text) => self.on_text(&text).await?,
            Message::Binary(_) => Some(Refused::from(ProtocolError::new(
                ErrorCode::BinaryNotSupported,
                "frames must be JSON text",
            ))),
            // tungstenite queued its reply; nothing is written after it.
            Message::Close(_) => return Ok(()),
            // tungstenite queued a pong: it goes out before the socket is read again.
            Message::Ping(_) => return self.flush_pong().await,
            Message::Pong(_) | Message::Frame(_) => None,
        };
        match refusal {
            Some(refused) => self.refuse(refused).await,
            None => Ok(()),
        }
    }

    /// Answers a refused frame with its error, and closes the connection once its
    /// refusals are past the strike bounds.
    async fn refuse(&mut self, refused: Refused) -> Result<(), Ending> {
        let Refused { error, client_id } = refused;
        log::debug!("conn={} refused a frame: {error}", self.id);
        telemetry::error_sent(error.code.as_str());
        if error.code == ErrorCode::RateLimited {
            telemetry::rate_limited();
        }
        let overrun = self.budget().refused(error.code, Instant::now());
        let error = ErrorFrame::from(error).for_client_id(client_id.as_deref());
        let frame = Frame::message(&ServerMessage::Error(error));
        self.write_frames(&[frame]).await?;
        match overrun {
            None => Ok(()),
            Some(overrun) => Err(Ending::Abuse(overrun)),
        }
    }

    /// Decodes one frame and hands it to the hub or the chat store; returns the refusal
    /// to send back.
    async fn on_text(&mut self, text: &str) -> Result<Option<Refused>, Ending> {
        // Signaling, most of the frames of a call, was relayed before (`relay_at_once`).
        let message = match decode_client_message(text) {
            Ok(message) => message,
            Err(error) => {
                telemetry::frame_in("invalid");
                return Ok(Some(Refused::chat(
                    error,
                    refused_client_id(text).as_deref(),
                )));
            }
        };
        log::trace!("conn={} {}", self.id, message.type_name());
        telemetry::frame_in(message.type_name());
        if message.signal().is_some() {
            return Ok(self
                .relay_decoded(&message, text.len())
                .err()
                .map(Refused::from));
        }
        let is_presence = matches!(
            message,
            ClientMessage::AddUser(_) | ClientMessage::UpdateUser(_)
        );
        // The first presence frame (the registration) is free: a client that only
        // registers never needs a budget.
        let free = is_presence && !std::mem::replace(&mut self.presence_seen, true);
        if !free && let Err(error) = self.budget().admit(&message, text.len(), Instant::now()) {
            // A typing hint over its rate is not worth an answer, nor a strike.
            if matches!(message, ClientMessage::Typing(_)) {
                telemetry::rate_limited();
                return Ok(None);
            }
            return Ok(Some(Refused::chat(error, message.client_id())));
        }
        let outcome = match message {
            ClientMessage::AddUser(profile) | ClientMessage::UpdateUser(profile) => {
                match self.registered {
                    // Boxed, as below: a future keeps its largest state inline, and the
                    // claims' lookups would size every idle connection's task for them.
                    None => Box::pin(self.register(profile)).await,
                    Some(_) => self.context.hub.register(self.id, profile, None),
                }
            }
            ClientMessage::LinkDevice => Box::pin(self.link_device()).await?,
            // The client's heartbeat: answered at once, registered or not.
            ClientMessage::Ping => {
                self.write_frames(&[Frame::message(&ServerMessage::Pong)])
                    .await?;
                Ok(())
            }
            ClientMessage::SignOut(request) => {
                let refusal = Box::pin(self.sign_out(request.others)).await?;
                return Ok(refusal.map(Refused::from));
            }
            ClientMessage::Chat(request) => return Ok(self.post_chat(request).err()),
            // Boxed: the store's answer is awaited, and an idle task keeps no room for it.
            query @ (ClientMessage::ChatHistory(_) | ClientMessage::ChatConversations) => {
                Box::pin(self.answer_chat_query(query)).await?
            }
            // Edits, deletes, read markers and typing: the chat's.
            change => self.on_chat_change(change),
        };
        Ok(outcome.err().map(Refused::from))
    }

    fn budget(&mut self) -> &mut Budget {
        budget_of(&mut self.budget, &self.context.budget)
    }

    /// Writes a batch of what the hub queued. If more is queued, the next turn of the loop
    /// comes back here (after a look at the socket).
    async fn write_queued(&mut self) -> Result<(), Ending> {
        let mut batch = Vec::new();
        let taken = self
            .outbox
            .take(&mut batch, WRITE_BATCH)
            .map_err(ending_of)?;
        if taken.ping_due && self.last_heard.elapsed() > self.context.config.idle_timeout {
            return Err(Ending::Idle);
        }
        if taken.ping_due
            && self.registered.is_none()
            && self.opened_at.elapsed() > self.context.config.register_timeout
        {
            return Err(Ending::NotRegistered);
        }
        if taken.ping_due {
            self.renew_ice_servers(&mut batch);
        }
        if batch.is_empty() {
            return Ok(());
        }
        self.write_frames(&batch).await?;
        self.outbox.written(taken.counted_bytes);
        Ok(())
    }

    /// Adds fresh TURN credentials to `batch` once the last ones are due for renewal.
    fn renew_ice_servers(&mut self, batch: &mut Vec<Frame>) {
        let now = Instant::now();
        let Some(turn) = self.context.access.turn() else {
            return;
        };
        if self.renew_ice_at.is_none_or(|at| at > now) {
            return;
        }
        let server = turn.issue();
        log::debug!(
            "conn={} renewed TURN credentials for {}",
            self.id,
            server.username
        );
        self.renew_ice_at = Some(now + turn.renew_after());
        let renewal = shared::IceServers {
            ice_servers: vec![server],
        };
        batch.push(Frame::message(&ServerMessage::IceServers(renewal)));
    }

    /// Writes whole frames to the socket (see [`SocketWriter::write_frames`]) within the
    /// send timeout.
    async fn write_frames(&mut self, frames: &[Frame]) -> Result<(), Ending> {
        let write = self.socket.write_frames(frames);
        // Boxed: a write's state exists only while it runs, not in every idle task.
        Box::pin(within(
            self.context.config.send_timeout,
            &self.outbox,
            write,
        ))
        .await?;
        telemetry::frames_out(frames.iter().map(Frame::kind));
        Ok(())
    }

    /// Waits, within the send timeout, until tungstenite's pong is written: a client that
    /// sends pings and never reads is not read on, and is closed as too slow.
    async fn flush_pong(&mut self) -> Result<(), Ending> {
        let flush = self.socket.flush();
        Box::pin(within(
            self.context.config.send_timeout,
            &self.outbox,
            flush,
        ))
        .await
    }

    /// Says goodbye with a close frame where the client can still hear one.
    async fn close(&mut self, ending: &Ending) {
        let Some((code, reason)) = ending.close_frame() else {
            return;
        };
        let grace = self.context.config.send_timeout.min(Duration::from_secs(2));
        self.socket.close(code, reason, grace).await;
    }
}

/// The message the socket gave, or why the connection ends: the client left (it closed, or
/// broke the protocol), or the socket failed.
fn received(incoming: Option<Result<Message, SocketError>>) -> Result<Message, Ending> {
    Ok(incoming.ok_or(Ending::Left(Departure::Closed))??)
}

/// A connection's budget, made when first needed.
fn budget_of<'a>(budget: &'a mut Option<Box<Budget>>, config: &BudgetConfig) -> &'a mut Budget {
    budget.get_or_insert_with(|| Box::new(Budget::new(config, Instant::now())))
}
