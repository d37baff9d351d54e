//! `loadgen floor`: the least a WebSocket server on tokio and tokio-tungstenite does for a
//! churn cycle, as a reference row beside meetmap's: accept, the handshake (the asked-for
//! subprotocol echoed), one fixed `welcome` for each text frame, the close answered. No
//! store, no hub, no checks: what a cycle costs the stack itself on this machine.

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::header::SEC_WEBSOCKET_PROTOCOL;

/// What every registration is answered with: a `welcome` to nobody in particular, with no
/// one else online (so churn's probe counts no ghosts).
const WELCOME: &str = r#"{"type":"welcome","you":{"name":"floor","email":"floor@load.test","latitude":null,"longitude":null,"isConnected":true},"room":"churn","users":[],"token":"v2.floor"}"#;

/// Serves until the process is stopped; one task per connection, as meetmap's backend.
pub async fn serve(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream));
            }
            Err(error) => {
                log::warn!("floor: accept failed: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

/// The response with the subprotocol the client asked for, if it asked.
// tungstenite's callback type: its error is a whole HTTP response.
#[allow(clippy::result_large_err)]
fn echo_subprotocol(request: &Request, mut response: Response) -> Result<Response, ErrorResponse> {
    if let Some(protocol) = request.headers().get(SEC_WEBSOCKET_PROTOCOL) {
        response
            .headers_mut()
            .insert(SEC_WEBSOCKET_PROTOCOL, protocol.clone());
    }
    Ok(response)
}

async fn connection(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(stream, echo_subprotocol).await else {
        return;
    };
    while let Some(Ok(message)) = socket.next().await {
        if message.is_text() && socket.send(Message::text(WELCOME)).await.is_err() {
            return;
        }
    }
}
