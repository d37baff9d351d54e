//! Each connection's outbound queue as the hub sees it: bounded in frames and in bytes, and
//! a client that cannot keep up is kicked, never waited for.

use crate::hub::{ConnId, Frame, State};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::CancellationToken;

/// What a connection leaves in the hub: how to reach it and who it is.
pub struct Outbox {
    /// Bounded: a connection that cannot keep up is kicked, never waited for.
    pub sender: mpsc::Sender<Frame>,
    /// Cancelled by the hub to close a connection whose outbox is full.
    pub kick: CancellationToken,
    /// Bytes queued and not yet written, shared with the connection's task: the hub adds
    /// what it queues, the task subtracts what it wrote. Frames count and bytes count
    /// both bound the queue.
    pub queued_bytes: Arc<AtomicUsize>,
    /// Past this many queued bytes the connection is kicked. One frame is always let
    /// into an empty queue, whatever its size.
    pub max_bytes: usize,
}

impl State {
    /// Queues a frame for one connection. A full outbox (in frames or in bytes) means the
    /// client stopped reading: it is kicked rather than waited for or allowed to grow.
    pub fn send(&self, id: ConnId, frame: Frame) {
        self.queue(id, frame, true);
    }

    pub fn send_to_all(&self, ids: &[ConnId], frame: Frame) {
        for id in ids {
            self.send(*id, frame.clone());
        }
    }

    /// Queues a new member's snapshot. Its size is the room's, not the client's doing, so
    /// only the frame count bounds it, not the byte bound.
    pub(crate) fn send_snapshot(&self, id: ConnId, frames: Vec<String>) {
        for frame in frames {
            self.queue(id, Frame::from(frame), false);
        }
    }

    fn queue(&self, id: ConnId, frame: Frame, byte_bound: bool) {
        let Some(connection) = self.connections.get(&id) else {
            return;
        };
        let outbox = &connection.outbox;
        if outbox.kick.is_cancelled() {
            return;
        }
        let size = frame.len();
        let queued = outbox.queued_bytes.fetch_add(size, Ordering::Relaxed);
        let sent = if byte_bound && queued > 0 && queued + size > outbox.max_bytes {
            Err(TrySendError::Full(frame))
        } else {
            outbox.sender.try_send(frame)
        };
        if let Err(error) = sent {
            outbox.queued_bytes.fetch_sub(size, Ordering::Relaxed);
            if let TrySendError::Full(_) = error {
                log::warn!(
                    "conn={id} outbox full ({queued} bytes queued): closing a client that does not read"
                );
                outbox.kick.cancel();
            }
        }
    }
}
