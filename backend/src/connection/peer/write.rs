//! Writing to the socket: whole frames in vectored writes, within the send timeout, cut
//! short by a kick or shutdown.

use super::{Ending, ending_of};
use crate::connection::ConnectionConfig;
use crate::connection::stream::LeanStream;
use crate::frame::Frame;
use crate::hub::Outbox;
use std::io::{self, IoSlice};
use tokio::io::AsyncWriteExt;

/// Writes every byte of `frames`, as few system calls as the kernel allows.
pub(super) async fn write_all(stream: &mut LeanStream, frames: &[Frame]) -> io::Result<()> {
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
pub(super) async fn within(
    config: &ConnectionConfig,
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
