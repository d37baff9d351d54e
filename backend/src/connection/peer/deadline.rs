//! A write to the socket within the send timeout, cut short by a kick or shutdown.

use super::ending::{Ending, ending_of};
use crate::connection::writer::SocketError;
use crate::hub::Outbox;
use std::future::Future;
use std::time::Duration;

/// Runs a write within `timeout`; a kick (the outbox over its bound) or shutdown cuts it
/// short, so that a client that stopped reading is closed at once.
pub(super) async fn within(
    timeout: Duration,
    outbox: &Outbox,
    write: impl Future<Output = Result<(), SocketError>>,
) -> Result<(), Ending> {
    let write = tokio::time::timeout(timeout, write);
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
                Ok(written) => written.map_err(Ending::from),
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
