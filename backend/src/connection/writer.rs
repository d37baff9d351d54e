//! The client's socket, owned by one writer for the life of the connection: reads go
//! through the thread's shared scratch buffer ([`LeanStream`]), and writes put whole
//! frames on the wire in an order that never interleaves them.
//!
//! Two writers share the socket underneath: tungstenite, which frames only its own
//! replies (a pong, the close reply), and [`SocketWriter::write_frames`], which writes
//! frames framed once elsewhere ([`Frame`]) straight to the stream in vectored writes.
//! tungstenite's output is flushed before any of ours, the socket is not read while ours
//! is written (the caller awaits it), and after a ping the caller awaits its pong
//! ([`SocketWriter::flush`]) before it reads on. A write cut short in the middle of a
//! frame tears the stream: nothing is written after it, not even a close frame.

use super::stream::LeanStream;
use crate::frame::Frame;
use futures_util::{SinkExt, StreamExt};
use smallvec::SmallVec;
use std::fmt;
use std::io::{self, IoSlice};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// A client's WebSocket, over a stream that holds no read buffer while idle.
pub(crate) type Socket = WebSocketStream<LeanStream>;

/// The one writer of a client's socket, and its reader.
pub(crate) struct SocketWriter {
    socket: Socket,
    /// A write was cut short in the middle of a frame: the stream can carry nothing more.
    torn: bool,
    /// The client sent its close frame: nothing is written after tungstenite's reply.
    closing: bool,
}

/// Why the socket could not be read or written.
#[derive(Debug)]
pub(crate) enum SocketError {
    /// The client left: it closed, reset the connection or broke the protocol.
    Left(Departure),
    /// A message or frame over the size limit.
    TooBig,
    /// The socket failed otherwise.
    Failed(String),
}

/// How a client left on its own.
#[derive(Debug)]
pub(crate) enum Departure {
    /// It closed the connection (after a close frame, or at a frame boundary).
    Closed,
    /// It reset the connection, or it went away in the middle of a frame.
    Reset,
    /// It sent something that is not WebSocket (RFC 6455).
    BrokeProtocol(ProtocolError),
    /// It sent a text message that is not UTF-8.
    NotUtf8,
}

impl SocketWriter {
    pub fn new(socket: Socket) -> Self {
        Self {
            socket,
            torn: false,
            closing: false,
        }
    }

    /// The client's next message; `None` once it has closed. Pings are answered by
    /// tungstenite, whose pong [`SocketWriter::flush`] writes.
    pub async fn next(&mut self) -> Option<Result<Message, SocketError>> {
        std::future::poll_fn(|cx| self.poll_next(cx)).await
    }

    /// [`SocketWriter::next`], polled.
    pub fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, SocketError>>> {
        let Some(message) = ready!(self.socket.poll_next_unpin(cx)) else {
            return Poll::Ready(None);
        };
        if let Ok(Message::Close(_)) = message {
            self.closing = true;
        }
        Poll::Ready(Some(message.map_err(SocketError::from)))
    }

    /// Writes whole frames straight to the socket, as few system calls as the kernel
    /// allows, after whatever tungstenite has left to write. Nothing once the client has
    /// sent its close frame. A write dropped or failed before its end tears the stream.
    pub async fn write_frames(&mut self, frames: &[Frame]) -> Result<(), SocketError> {
        if self.closing {
            return Ok(());
        }
        self.socket.flush().await?;
        self.torn = true;
        write_all(self.socket.get_mut(), frames).await?;
        self.torn = false;
        Ok(())
    }

    /// Writes what tungstenite has queued (a pong, or the reply to a close frame).
    pub async fn flush(&mut self) -> Result<(), SocketError> {
        if self.closing {
            return Ok(());
        }
        Ok(self.socket.flush().await?)
    }

    /// Says goodbye with a close frame where the client can still read one, then reads
    /// until the client closes too (within `grace`), so that it is not lost to a reset.
    pub async fn close(&mut self, code: CloseCode, reason: &'static str, grace: Duration) {
        if self.torn {
            // Half a frame went out: a close frame now would be read as its rest.
            return;
        }
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let socket = &mut self.socket;
        let goodbye = async move {
            if socket.close(Some(frame)).await.is_ok() {
                while let Some(Ok(_)) = socket.next().await {}
            }
        };
        let _ = tokio::time::timeout(grace, goodbye).await;
    }
}

/// Writes every byte of `frames`, as few system calls as the kernel allows.
async fn write_all(stream: &mut LeanStream, frames: &[Frame]) -> io::Result<()> {
    // Inline for the few frames of most wakes: no allocation per write.
    let mut slices: SmallVec<[IoSlice<'_>; 8]> =
        frames.iter().map(|f| IoSlice::new(f.as_bytes())).collect();
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

impl From<WsError> for SocketError {
    fn from(error: WsError) -> Self {
        match error {
            WsError::ConnectionClosed | WsError::AlreadyClosed => Self::Left(Departure::Closed),
            WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
                Self::Left(Departure::Reset)
            }
            WsError::Protocol(error) => Self::Left(Departure::BrokeProtocol(error)),
            WsError::Utf8(_) => Self::Left(Departure::NotUtf8),
            WsError::Capacity(_) => Self::TooBig,
            WsError::Io(error) => error.into(),
            error => Self::Failed(error.to_string()),
        }
    }
}

impl From<io::Error> for SocketError {
    fn from(error: io::Error) -> Self {
        use io::ErrorKind::*;
        match error.kind() {
            ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => {
                Self::Left(Departure::Reset)
            }
            _ => Self::Failed(error.to_string()),
        }
    }
}

impl fmt::Display for Departure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("closed"),
            Self::Reset => f.write_str("reset by peer"),
            Self::BrokeProtocol(error) => write!(f, "protocol error: {error}"),
            Self::NotUtf8 => f.write_str("protocol error: text that is not UTF-8"),
        }
    }
}

impl fmt::Display for SocketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Left(departure) => write!(f, "left: {departure}"),
            Self::TooBig => f.write_str("message over the size limit"),
            Self::Failed(error) => write!(f, "transport error: {error}"),
        }
    }
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
