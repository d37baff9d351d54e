//! The echo route, for conformance tests only (`ServerConfig::echo_route`, off by
//! default and never set by a flag): every text and binary message comes back as it was.
//! It runs behind the production handshake and socket limits, so the Autobahn testsuite
//! checks the code real clients meet.

use super::handshake::Socket;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

/// Echoes messages until the client closes, the protocol breaks or the server stops.
pub(crate) async fn serve(id: u64, mut socket: Socket, stop: CancellationToken) {
    let ending = tokio::select! {
        ending = echo(&mut socket) => ending,
        _ = stop.cancelled() => socket.close(None).await,
    };
    match ending {
        Ok(()) | Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {
            log::debug!("conn={id} echo closed");
        }
        Err(error) => log::debug!("conn={id} echo ended: {error}"),
    }
}

async fn echo(socket: &mut Socket) -> Result<(), WsError> {
    while let Some(message) = socket.next().await {
        // Pings are answered and close frames echoed by tungstenite itself.
        if let message @ (Message::Text(_) | Message::Binary(_)) = message? {
            socket.send(message).await?;
        }
    }
    Ok(())
}
