//! The WebSocket handshake: the room named in the query string, the presence subprotocol,
//! and the socket's limits.

use crate::config::ServerConfig;
use shared::{DEFAULT_ROOM, DELTA_SUBPROTOCOL, ROOM_QUERY_PARAMETER, normalize_room};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// A connection that completed the handshake.
pub(crate) struct Accepted {
    pub socket: WebSocketStream<TcpStream>,
    pub room: String,
    /// The client chose the delta subprotocol.
    pub wants_deltas: bool,
}

/// What the client asked for in its upgrade request.
struct Requested {
    room: String,
    wants_deltas: bool,
}

/// Completes the handshake within the configured time, or says why not.
// The callback's error type is tungstenite's `ErrorResponse`, an HTTP response.
#[allow(clippy::result_large_err)]
pub(crate) async fn accept(stream: TcpStream, config: &ServerConfig) -> Result<Accepted, String> {
    let mut requested = None;
    let callback = |request: &Request, mut response: Response| {
        let room = room_of(request).map_err(|message| refuse(StatusCode::BAD_REQUEST, message))?;
        let wants_deltas = offers_delta_subprotocol(request);
        if wants_deltas {
            response.headers_mut().insert(
                header::SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_static(DELTA_SUBPROTOCOL),
            );
        }
        requested = Some(Requested { room, wants_deltas });
        Ok(response)
    };
    let limits = socket_config(config);
    let handshake = tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(limits));
    let socket = match tokio::time::timeout(config.handshake_timeout, handshake).await {
        Ok(Ok(socket)) => socket,
        Ok(Err(error)) => return Err(format!("handshake failed: {error}")),
        Err(_) => return Err("handshake timed out".into()),
    };
    let Requested { room, wants_deltas } =
        requested.ok_or_else(|| "handshake ended without a request".to_string())?;
    Ok(Accepted {
        socket,
        room,
        wants_deltas,
    })
}

/// The frame and buffer limits of every connection.
pub(crate) fn socket_config(config: &ServerConfig) -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(config.max_message_bytes))
        .max_frame_size(Some(config.max_message_bytes))
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
