//! One chat client of the room: sends its messages on schedule within its window, times
//! their acks, and reads every delivery (decoding them if it is measured) until it has
//! all it expects or the run's deadline passes.

use super::job::ChatJob;
use super::ledger::{Ack, Arrivals, Outbox};
use crate::clock::{instant_at, now_us};
use crate::conn::{self, Ws};
use crate::report::Counts;
use crate::scenario::setup::Start;
use crate::wire::{self, CHAT_DELIVERY_PREFIX, CHATS_DELIVERY_PREFIX, ChatProbe, ChatsProbe};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use memchr::memmem::Finder;
use std::collections::HashSet;
use std::sync::Arc;
use tokio_tungstenite::tungstenite::Message;

/// Text after each message's client id, to give it a chat message's usual size.
const FILLER: &str = "lunch at one? the usual place, I will book a table";

/// One client of the room, from the start until it is done; its counts and ack latency.
pub(super) async fn client(start: Start<ChatJob>) -> (Counts, Option<Histogram<u64>>) {
    let Start {
        index,
        mut socket,
        start_us,
        job,
        absent,
    } = start;
    let mut me = Client::new(index, &job, &absent);
    let first_us = start_us + job.interval_us * index as u64 / job.senders.max(1) as u64;
    let deadline = instant_at(start_us + job.deadline_ms * 1000);
    while !me.done() {
        let due_us = first_us + job.interval_us * me.outbox.sent();
        let can_send = me.outbox.can_send();
        tokio::select! {
            _ = tokio::time::sleep_until(instant_at(due_us)), if can_send => {
                if let Err(error) = me.send_due(&mut socket, first_us).await {
                    me.counts.error(format!("client {index}: {error}"));
                    me.counts.dropped += 1;
                    break;
                }
            }
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => me.read(&text),
                Some(Ok(_)) => {}
                Some(Err(error)) => {
                    me.counts.error(format!("client {index}: {error}"));
                    me.counts.dropped += 1;
                    break;
                }
                None => {
                    me.counts.error(format!("client {index}: closed by the server"));
                    me.counts.dropped += 1;
                    break;
                }
            },
            _ = tokio::time::sleep_until(deadline) => {
                me.counts.error(format!(
                    "client {index}: not done by the deadline ({} of {} sent)",
                    me.outbox.sent(),
                    me.sends
                ));
                break;
            }
        }
    }
    tokio::spawn(conn::close(socket));
    me.settle(&absent)
}

/// A client's state during the run.
struct Client {
    index: usize,
    job: Arc<ChatJob>,
    /// Messages this client sends (0 unless it is one of the senders).
    sends: u64,
    outbox: Outbox,
    /// The deliveries decoded, if this client is measured.
    arrivals: Option<Arrivals>,
    /// Deliveries from the other senders this client expects.
    due: u64,
    /// Deliveries from others counted without decoding them (a client not measured).
    drained: u64,
    /// `"from":"<own email>"`, to tell its own deliveries from others' without parsing
    /// (a SIMD substring search: the drained deliveries are most of the generator's work).
    own_from: Finder<'static>,
    counts: Counts,
}

impl Client {
    fn new(index: usize, job: &Arc<ChatJob>, absent: &HashSet<usize>) -> Self {
        let sends = if index < job.senders { job.messages } else { 0 };
        let others = (0..job.senders)
            .filter(|sender| *sender != index && !absent.contains(sender))
            .count() as u64;
        let measured = index.is_multiple_of(job.sample_every.max(1));
        Self {
            index,
            job: Arc::clone(job),
            sends,
            outbox: Outbox::new(sends, job.window),
            arrivals: measured.then(|| Arrivals::new(index, job.senders, job.messages)),
            due: others * job.messages,
            drained: 0,
            own_from: Finder::new(&format!(r#""from":"{}""#, wire::email(index))).into_owned(),
            counts: Counts::default(),
        }
    }

    /// Its messages all answered, and every delivery it expects read.
    fn done(&self) -> bool {
        let delivered = match &self.arrivals {
            Some(arrivals) => arrivals.received(),
            None => self.drained,
        };
        self.outbox.finished() && delivered >= self.due
    }

    /// Sends every message due by now that the window lets go, in one flush.
    async fn send_due(&mut self, socket: &mut Ws, first_us: u64) -> Result<(), String> {
        let now = now_us();
        let scheduled = first_us + self.job.interval_us * self.outbox.sent();
        self.counts.send_lag_max_us = self.counts.send_lag_max_us.max(now - now.min(scheduled));
        while self.outbox.can_send() && first_us + self.job.interval_us * self.outbox.sent() <= now
        {
            let seq = self.outbox.send(now);
            let client_id = wire::client_id(&self.job.tag, seq);
            let frame = wire::chat_frame(&format!("{client_id} {FILLER}"), &client_id);
            socket
                .feed(Message::Text(frame.into()))
                .await
                .map_err(|error| format!("send: {error}"))?;
        }
        socket
            .flush()
            .await
            .map_err(|error| format!("send: {error}"))
    }

    /// Takes in one frame: an ack, a delivery (one `chat` or a commit's `chats`), a
    /// refusal; anything else is skipped. A client not measured counts deliveries as the
    /// server writes them without parsing them (any other shape is parsed).
    fn read(&mut self, text: &str) {
        self.counts.frames += 1;
        if self.arrivals.is_none() && text.starts_with(CHAT_DELIVERY_PREFIX) {
            if self.own_from.find(text.as_bytes()).is_none() {
                self.drained += 1;
            }
            return;
        }
        if text.starts_with(CHATS_DELIVERY_PREFIX) {
            return self.read_chats(text);
        }
        let Ok(probe) = serde_json::from_str::<ChatProbe>(text) else {
            return;
        };
        let seq = probe
            .client_id
            .as_deref()
            .and_then(|client_id| wire::seq_of(&self.job.tag, client_id));
        match (probe.kind.as_ref(), seq) {
            ("chat", Some(seq)) => {
                if let Some(from) = probe.from.as_deref() {
                    self.delivered(from, seq, probe.id.unwrap_or(0));
                }
            }
            ("chat-ack", Some(seq)) => {
                let ack = self
                    .outbox
                    .ack(seq, probe.id.unwrap_or(0), probe.duplicate, now_us());
                if ack != Ack::Fresh {
                    self.counts
                        .error(format!("client {}: {ack:?} ack: {text}", self.index));
                }
            }
            ("error", seq) => {
                if let Some(seq) = seq {
                    self.outbox.refuse(seq);
                }
                self.counts
                    .error(format!("client {}: refused: {text}", self.index));
            }
            _ => {}
        }
    }

    /// A `chats` frame: counted by its messages (others' only) when not measured, else
    /// each message checked in turn.
    fn read_chats(&mut self, text: &str) {
        if self.arrivals.is_none() {
            let own = self.own_from.find_iter(text.as_bytes()).count();
            self.drained += wire::messages_in_chats(text).saturating_sub(own) as u64;
            return;
        }
        let Ok(batch) = serde_json::from_str::<ChatsProbe>(text) else {
            return self
                .counts
                .error(format!("client {}: unreadable chats: {text}", self.index));
        };
        for message in &batch.messages {
            let seq = message
                .client_id
                .as_deref()
                .and_then(|client_id| wire::seq_of(&self.job.tag, client_id));
            if let Some(seq) = seq {
                self.delivered(&message.from, seq, message.id);
            }
        }
    }

    /// Message `seq` of the sender `from`, stored as `id`, reached this client.
    fn delivered(&mut self, from: &str, seq: u64, id: u64) {
        let Some(sender) = wire::index_of(from) else {
            return;
        };
        match &mut self.arrivals {
            Some(arrivals) => arrivals.arrive(sender, seq, id),
            None if sender != self.index => self.drained += 1,
            None => {}
        }
    }

    /// Its counts (sent, acked; if measured, due, received, lost) and ack latency.
    fn settle(mut self, absent: &HashSet<usize>) -> (Counts, Option<Histogram<u64>>) {
        if let Some(arrivals) = self.arrivals.take() {
            arrivals.settle(absent, &mut self.counts);
        }
        let latency = self.outbox.settle(&mut self.counts);
        (self.counts, (self.sends > 0).then_some(latency))
    }
}
