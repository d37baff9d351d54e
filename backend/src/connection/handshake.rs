//! The WebSocket handshake: who gets in (the page's origin, the connection caps), the
//! room named in the query string, the presence subprotocol, and the socket's limits.
//!
//! Refusals are HTTP answers written before any WebSocket data: `403` for an origin not
//! allowed, `503` with `Retry-After` when a connection cap is reached (at accept, or for
//! a trusted proxy's connection once its `X-Forwarded-For` names the client), `400` for a
//! bad room. Beyond the handshake timeout, tungstenite bounds the request itself: at most
//! 64 KiB and 124 header lines, read in at most 512 reads; past any of them it drops the
//! connection without an answer.

use super::config::ConnectionConfig;
use super::context::Context;
use super::stream::LeanStream;
use super::writer::SocketWriter;
use crate::admission::{self, Cap, Ticket};
use crate::telemetry;
use shared::{DEFAULT_ROOM, DELTA_SUBPROTOCOL, ROOM_QUERY_PARAMETER, normalize_room};
use std::net::IpAddr;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// The path of the echo route (with `ConnectionConfig::echo_route` only).
pub(crate) const ECHO_PATH: &str = "/__echo";

/// Seconds a client refused for a full server is told to wait.
const RETRY_AFTER_SECONDS: &str = "5";

/// tungstenite's read buffer, kept by every connection, and the most it takes per read
/// call; a frame's length grows it while the frame is read. Its reads are served from
/// memory (see [`LeanStream`]), so small steps cost no system calls: a larger buffer
/// measured no faster and costs every idle connection (`docs/BENCHMARKS.md`).
const READ_BUFFER_BYTES: usize = 64;

/// The largest frame tungstenite writes itself: a pong or a close frame, a 2-byte header
/// and at most 125 bytes of payload (a server's frames are not masked).
const MAX_CONTROL_FRAME_BYTES: usize = 2 + 125;

/// The most tungstenite may hold unwritten: one control frame and the rest of one it could
/// not finish writing. A client that sends pings and never reads makes a pong per ping;
/// past this bound tungstenite keeps only the latest pong, and the peer, which waits for
/// each pong to go out before it reads on, closes the client as too slow.
const MAX_WRITE_BUFFER_BYTES: usize = 2 * MAX_CONTROL_FRAME_BYTES;

/// A connection that completed the handshake.
pub(crate) struct Accepted {
    pub socket: SocketWriter,
    pub room: String,
    /// The client chose the delta subprotocol.
    pub wants_deltas: bool,
    /// The client asked for the echo route (enabled by the config).
    pub echo: bool,
    /// Who it is: its peer's address, or the client a trusted proxy forwards for.
    pub client: IpAddr,
}

/// Why a connection did not complete its handshake (a refusal is one: its HTTP answer was
/// written).
#[derive(Debug)]
pub(crate) enum HandshakeError {
    /// Refused, or not a WebSocket upgrade, or the client went away; the client it was
    /// for, once its request was read.
    Failed(WsError, Option<IpAddr>),
    /// Not completed within the handshake timeout.
    TimedOut,
    /// Completed without the request having been seen (tungstenite shows it to the
    /// callback before it answers, so this is never expected).
    NoRequest,
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Failed(error, None) => write!(f, "handshake failed: {error}"),
            Self::Failed(error, Some(client)) => {
                write!(f, "handshake for {client} failed: {error}")
            }
            Self::TimedOut => f.write_str("handshake timed out"),
            Self::NoRequest => f.write_str("handshake ended without a request"),
        }
    }
}

/// What the client asked for in its upgrade request.
struct Requested {
    room: String,
    wants_deltas: bool,
    echo: bool,
    client: IpAddr,
}

/// Completes the handshake within the configured time, or says why not. A connection
/// from `peer` whose `ticket` is over a cap (at accept, or as the client a trusted proxy
/// names) is refused with `503` once its request is read (reading it first lets the
/// client see the answer rather than a reset).
// The callback's error type is tungstenite's `ErrorResponse`, an HTTP response.
#[allow(clippy::result_large_err)]
pub(crate) async fn accept(
    stream: TcpStream,
    context: &Context,
    ticket: &mut Ticket,
    peer: IpAddr,
) -> Result<Accepted, HandshakeError> {
    let mut requested = None;
    let mut seen = None;
    let callback = |request: &Request, response: Response| {
        check_origin(request, context)?;
        let client = client_of(request, peer, context);
        seen = Some(client);
        if let Err(cap) = ticket.count_as(client) {
            return Err(full(cap));
        }
        let (response, asked) = answer(request, response, context, client)?;
        requested = Some(asked);
        Ok(response)
    };
    let limits = socket_config(&context.config);
    let stream = LeanStream::new(stream);
    let handshake = tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(limits));
    let socket = match tokio::time::timeout(context.config.handshake_timeout, handshake).await {
        Ok(Ok(socket)) => socket,
        Ok(Err(error)) => return Err(HandshakeError::Failed(error, seen)),
        Err(_) => return Err(HandshakeError::TimedOut),
    };
    let Requested {
        room,
        wants_deltas,
        echo,
        client,
    } = requested.ok_or(HandshakeError::NoRequest)?;
    Ok(Accepted {
        socket: SocketWriter::new(socket),
        room,
        wants_deltas,
        echo,
        client,
    })
}

/// The `403` for a request whose page's origin may not connect.
// The error is tungstenite's `ErrorResponse`, an HTTP response.
#[allow(clippy::result_large_err)]
fn check_origin(request: &Request, context: &Context) -> Result<(), ErrorResponse> {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .map(|value| value.to_str().unwrap_or("\u{fffd}"));
    let origins = &context.admission;
    if !admission::origin_allowed(origin, &origins.allowed_origins, origins.missing_origin) {
        let (message, reason) = match origin {
            Some(_) => ("origin not allowed", "origin"),
            None => ("an origin is required", "missing-origin"),
        };
        telemetry::handshake_refused(reason);
        return Err(refuse(StatusCode::FORBIDDEN, message.into()));
    }
    Ok(())
}

/// The answer to an upgrade request from an allowed origin under the caps: a refusal
/// (`400` for the room), or the upgrade and what the client asked for.
// The error is tungstenite's `ErrorResponse`, an HTTP response.
#[allow(clippy::result_large_err)]
fn answer(
    request: &Request,
    mut response: Response,
    context: &Context,
    client: IpAddr,
) -> Result<(Response, Requested), ErrorResponse> {
    if context.config.echo_route && request.uri().path() == ECHO_PATH {
        let echo = Requested {
            room: String::new(),
            wants_deltas: false,
            echo: true,
            client,
        };
        return Ok((response, echo));
    }
    let room = room_of(request).map_err(|message| {
        telemetry::handshake_refused("room");
        refuse(StatusCode::BAD_REQUEST, message)
    })?;
    let wants_deltas = offers_delta_subprotocol(request);
    if wants_deltas {
        response.headers_mut().insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(DELTA_SUBPROTOCOL),
        );
    }
    let requested = Requested {
        room,
        wants_deltas,
        echo: false,
        client,
    };
    Ok((response, requested))
}

/// The `503` for a connection over `cap`, with `Retry-After`.
fn full(cap: Cap) -> ErrorResponse {
    telemetry::handshake_refused("full");
    let mut refusal = refuse(StatusCode::SERVICE_UNAVAILABLE, cap.to_string());
    refusal.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(RETRY_AFTER_SECONDS),
    );
    refusal
}

/// Who the request is from: `peer`, or the client its trusted proxy forwards for.
fn client_of(request: &Request, peer: IpAddr, context: &Context) -> IpAddr {
    let trusted = &context.admission.trusted_proxies;
    admission::client_of(peer, &forwarded_for(request), trusted)
}

/// The frame and buffer limits of every connection.
fn socket_config(config: &ConnectionConfig) -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(config.max_message_bytes))
        .max_frame_size(Some(config.max_message_bytes))
        // An idle connection costs its buffers: tungstenite's default read buffer is 128 KiB,
        // allocated up front. Data frames bypass tungstenite's write buffer (see `writer`),
        // the echo route's too: it only ever holds a pong or a close frame, written at once,
        // and never more than `MAX_WRITE_BUFFER_BYTES` (unbounded by default).
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_WRITE_BUFFER_BYTES)
}

/// The room named by `?room=`, normalised, or the default room.
fn room_of(request: &Request) -> Result<String, String> {
    let query = request.uri().query().unwrap_or("");
    let named = form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == ROOM_QUERY_PARAMETER)
        .map(|(_, value)| value.into_owned());
    match named {
        Some(room) => normalize_room(&room).map_err(|error| error.message),
        None => Ok(DEFAULT_ROOM.to_owned()),
    }
}

/// Every address of the request's `X-Forwarded-For` headers, in order; none at all if any
/// entry is not an address (a header a proxy did not write cannot be trusted in part).
fn forwarded_for(request: &Request) -> Vec<IpAddr> {
    let entries = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .map(|value| value.to_str().unwrap_or("\u{fffd}"))
        .flat_map(|value| value.split(','))
        .map(|entry| entry.trim().parse::<IpAddr>());
    entries.collect::<Result<_, _>>().unwrap_or_default()
}

fn offers_delta_subprotocol(request: &Request) -> bool {
    request
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|offered| offered.trim() == DELTA_SUBPROTOCOL)
}

fn refuse(status: StatusCode, message: String) -> ErrorResponse {
    let mut response = ErrorResponse::new(Some(message));
    *response.status_mut() = status;
    response
}
