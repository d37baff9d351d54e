//! Each connection's outbound queue: frames the hub queued and the connection's task has not
//! written yet, bounded in frames and in bytes. A client that cannot keep up is kicked,
//! never waited for. An empty queue holds no storage, so an idle connection costs little.
//!
//! It is also how the hub's timers reach a connection: the ping tick and the shutdown set a
//! flag here and wake the task, so that no connection needs a timer or a token of its own.

use crate::frame::Frame;
use futures_util::task::AtomicWaker;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

/// The queue shared by the hub (which pushes) and the connection's task (which takes).
#[derive(Debug)]
pub struct Outbox {
    pending: Mutex<Pending>,
    /// Wakes the connection's task: frames were queued, a ping is due, or it must close. A
    /// wake that comes while the task is busy is kept for its next wait.
    wake: Wake,
    max_frames: usize,
    /// Past this many queued bytes the connection is kicked. One frame is always let into
    /// an empty queue, whatever its size.
    max_bytes: usize,
}

#[derive(Debug, Default)]
struct Pending {
    frames: VecDeque<Queued>,
    /// Bytes of counted frames queued, or taken and not yet written.
    bytes: usize,
    /// Why the connection must close, once it must.
    closed: Option<Closed>,
    /// The ping tick came since the task last took frames.
    ping_due: bool,
}

/// One entry of the queue.
#[derive(Debug)]
enum Queued {
    /// A frame, and whether its bytes count against the byte bound.
    One(Frame, bool),
    /// Frames shared by every outbox they are queued on (a room's snapshot pages): one
    /// entry however many frames, never counted against the byte bound.
    Shared(Arc<[Frame]>),
}

/// Why the hub closes a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Its outbox was full: the client does not read.
    Kicked,
    ServerShutdown,
    /// Its user signed the other devices out from one of them.
    SignedOut,
}

/// What [`Outbox::take`] found besides frames.
#[derive(Debug, PartialEq, Eq)]
pub struct Taken {
    /// The ping tick came: the task checks the client is alive, and a ping leads the batch.
    pub ping_due: bool,
    /// The bytes of the batch that count against the byte bound: [`Outbox::written`]
    /// takes them once they are written.
    pub counted_bytes: usize,
}

/// What a push did.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    Queued,
    /// The queue was full: the connection is kicked by this push.
    Kicked {
        queued_bytes: usize,
    },
    /// The connection was kicked earlier; the frame is dropped.
    Dropped,
}

impl Outbox {
    pub fn new(max_frames: usize, max_bytes: usize) -> Self {
        Self {
            pending: Mutex::default(),
            wake: Wake::default(),
            max_frames: max_frames.max(1),
            max_bytes,
        }
    }

    fn pending(&self) -> MutexGuard<'_, Pending> {
        // Nothing here can panic while holding the lock; a poisoned one is still sound.
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues a frame, unless the queue is full: then the connection is kicked. With
    /// `byte_bound` false only the frame count bounds it and its bytes are not counted (a
    /// snapshot's size is the room's doing, not the client's: a large room's is far over
    /// the byte bound, and the deltas that follow it must not find the queue full).
    pub fn push(&self, frame: Frame, byte_bound: bool) -> Pushed {
        let counted = if byte_bound { frame.len() } else { 0 };
        self.enqueue(Queued::One(frame, byte_bound), counted)
    }

    /// Queues frames shared with other outboxes; only the frame count bounds them.
    pub fn push_shared(&self, frames: Arc<[Frame]>) -> Pushed {
        if frames.is_empty() {
            return Pushed::Queued;
        }
        self.enqueue(Queued::Shared(frames), 0)
    }

    fn enqueue(&self, entry: Queued, counted: usize) -> Pushed {
        let mut pending = self.pending();
        if pending.closed.is_some() {
            return Pushed::Dropped;
        }
        let over_bytes =
            counted > 0 && pending.bytes > 0 && pending.bytes + counted > self.max_bytes;
        if over_bytes || pending.frames.len() >= self.max_frames {
            pending.closed = Some(Closed::Kicked);
            let queued_bytes = pending.bytes;
            drop(pending);
            self.wake.wake();
            return Pushed::Kicked { queued_bytes };
        }
        pending.bytes += counted;
        pending.frames.push_back(entry);
        drop(pending);
        self.wake.wake();
        Pushed::Queued
    }

    /// Waits for frames, a ping tick or a reason to close. The wait holds nothing but the
    /// outbox's address (an idle connection's task waits here all its life).
    pub fn woken(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(|cx| self.poll_woken(cx))
    }

    /// [`Outbox::woken`], polled.
    pub fn poll_woken(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.wake.poll(cx)
    }

    /// Asks the task for a ping (and a check that the client still answers).
    pub fn ping(&self) {
        self.pending().ping_due = true;
        self.wake.wake();
    }

    /// Closes the connection for `reason`, unless it is closing already.
    pub fn close(&self, reason: Closed) {
        let mut pending = self.pending();
        if pending.closed.is_none() {
            pending.closed = Some(reason);
        }
        drop(pending);
        self.wake.wake();
    }

    /// Makes the next wait return at once (a wake was taken by someone else's wait).
    pub fn wake_again(&self) {
        self.wake.wake();
    }

    pub fn closed(&self) -> Option<Closed> {
        self.pending().closed
    }

    /// Moves about `max` frames into `batch` (a shared entry is taken whole), after a ping
    /// if one is due; `Err` once the connection must close. The queue's storage is freed when this empties it. If frames
    /// remain, the next wait returns at once.
    pub fn take(&self, batch: &mut Vec<Frame>, max: usize) -> Result<Taken, Closed> {
        let mut pending = self.pending();
        if let Some(reason) = pending.closed {
            return Err(reason);
        }
        let ping_due = std::mem::take(&mut pending.ping_due);
        if ping_due {
            batch.push(Frame::ping());
        }
        let mut counted_bytes = 0;
        batch.reserve(pending.frames.len().min(max));
        let limit = batch.len() + max;
        while batch.len() < limit {
            match pending.frames.pop_front() {
                None => break,
                Some(Queued::One(frame, counted)) => {
                    if counted {
                        counted_bytes += frame.len();
                    }
                    batch.push(frame);
                }
                Some(Queued::Shared(frames)) => batch.extend(frames.iter().cloned()),
            }
        }
        if pending.frames.is_empty() {
            pending.frames = VecDeque::new();
        } else {
            self.wake.wake();
        }
        Ok(Taken {
            ping_due,
            counted_bytes,
        })
    }

    /// Counts `bytes` (a batch's [`Taken::counted_bytes`]) as written.
    pub fn written(&self, bytes: usize) {
        let mut pending = self.pending();
        pending.bytes = pending.bytes.saturating_sub(bytes);
    }
}

/// One waiter's wake-up, kept until it is taken: what tokio's `Notify::notify_one` does
/// for a single waiter, without the storage its wait holds.
#[derive(Debug, Default)]
struct Wake {
    woken: AtomicBool,
    waker: AtomicWaker,
}

impl Wake {
    fn wake(&self) {
        if !self.woken.swap(true, Ordering::AcqRel) {
            self.waker.wake();
        }
    }

    /// Ready (and the wake taken) once woken since the last wait returned.
    fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.woken.swap(false, Ordering::AcqRel) {
            return Poll::Ready(());
        }
        self.waker.register(cx.waker());
        // A wake between the first look and the registration found no waker to wake.
        if self.woken.swap(false, Ordering::AcqRel) {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
