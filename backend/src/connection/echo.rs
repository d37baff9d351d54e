//! The echo route, for conformance tests only (`ConnectionConfig::echo_route`, off by
//! default and never set by a flag): every text and binary message comes back as it was.
//! It runs behind the production handshake and socket limits and answers through the
//! production writer ([`SocketWriter`], frames built by [`Frame`]), so the Autobahn
//! testsuite checks the code real clients meet.

use super::writer::{SocketError, SocketWriter};
use crate::frame::Frame;
use std::future::Future;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_util::sync::CancellationToken;

/// Echoes messages until the client closes, the protocol breaks or the server stops;
/// each write within `send_timeout`.
pub(crate) async fn serve(
    id: u64,
    mut socket: SocketWriter,
    send_timeout: Duration,
    stop: CancellationToken,
) {
    let ending = tokio::select! {
        ending = echo(&mut socket, send_timeout) => ending,
        _ = stop.cancelled() => {
            socket.close(CloseCode::Away, "server shutting down", send_timeout).await;
            Ok(())
        }
    };
    match ending {
        Ok(()) => log::debug!("conn={id} echo closed"),
        Err(error) => log::debug!("conn={id} echo ended: {error}"),
    }
}

async fn echo(socket: &mut SocketWriter, send_timeout: Duration) -> Result<(), SocketError> {
    while let Some(message) = socket.next().await {
        let frame = match message? {
            Message::Text(text) => Frame::text(&text),
            Message::Binary(bytes) => Frame::binary(&bytes),
            // tungstenite queued a pong: out before the socket is read again, as a peer's.
            Message::Ping(_) => {
                within(send_timeout, socket.flush()).await?;
                continue;
            }
            // tungstenite queued its reply to a close frame: the next read writes it.
            Message::Close(_) | Message::Pong(_) | Message::Frame(_) => continue,
        };
        within(send_timeout, socket.write_frames(&[frame])).await?;
    }
    Ok(())
}

/// A write within `timeout`: past it the echo ends, as a peer too slow to read would.
async fn within(
    timeout: Duration,
    write: impl Future<Output = Result<(), SocketError>>,
) -> Result<(), SocketError> {
    match tokio::time::timeout(timeout, write).await {
        Ok(written) => written,
        Err(_) => Err(SocketError::Failed("too slow to read".into())),
    }
}
