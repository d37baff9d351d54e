//! The hub's chat API: a sender checked and charged before its message goes to the store,
//! and what the store's writer thread hands back after each commit (a stored message, an
//! edit, a receipt, a read marker) queued to the conversation's online connections. Each
//! method takes the one lock once; frames are serialised before it, once for everyone.

use super::Hub;
use super::chat_batch::ChatBatches;
use super::chat_wire::{delivery, refusal_frame, wire_id};
use super::names::{ChatSender, ConnId};
use crate::admission::budget::FanOut;
use crate::frame::Frame;
use crate::store::chat::{Posted, ReadMoved, StoredMessage};
use shared::{
    ChatAck, ChatReceipt, ChatRequest, Conversation, ProtocolError, ReadMarker, ReceiptState,
    ServerMessage,
};
use std::sync::{Arc, MutexGuard};

impl Hub {
    /// Whether the connection may send `request` now (registered, within its budgets; a
    /// direct message's recipient need not be online), and who it sends as.
    pub(crate) fn check_chat(
        &self,
        id: ConnId,
        request: &ChatRequest,
        fan_out: &mut FanOut,
    ) -> Result<ChatSender, ProtocolError> {
        self.lock().check_chat(id, request, fan_out)
    }

    /// After the commit: a new message to its conversation's online connections (the
    /// sender's tabs included; a duplicate to nobody), and its ack to `sender` when it has
    /// a `clientId`. A direct message and its ack are queued at once; a room message and
    /// its ack wait for [`Hub::flush_chat`], which the store runs once the batch is
    /// answered, so that a commit's room messages are one frame. Returns how many of a
    /// direct message's recipient's connections it reached.
    pub(crate) fn deliver_chat(&self, sender: ConnId, posted: &Posted) -> usize {
        let message = &posted.message;
        let ack = message.client_id.as_ref().map(|client_id| {
            Frame::message(&ServerMessage::ChatAck(ChatAck {
                client_id: client_id.clone(),
                id: wire_id(message.id),
                sent_at: wire_id(message.sent_at),
                duplicate: posted.duplicate,
            }))
        });
        let Some(to) = message.to.as_deref() else {
            let mut batches = self.chat_batches();
            if !posted.duplicate {
                batches.add_message(&message.room, &delivery(message));
            }
            if let Some(ack) = ack {
                batches.add_ack(sender, ack);
            }
            return 0;
        };
        let frame = (!posted.duplicate).then(|| chat_frame(message));
        let state = self.lock();
        let reached = frame.map_or(0, |frame| {
            state.send_to_conversation(&message.room, &message.from, Some(to), &frame)
        });
        if let Some(ack) = ack {
            state.send_to_connection(sender, ack);
        }
        reached
    }

    /// Sends what [`Hub::deliver_chat`] gathered: each room's messages as one frame (or a
    /// few, under the frame bound) to its registered connections, and the acks, under one
    /// lock.
    pub fn flush_chat(&self) {
        let outgoing = {
            let mut batches = self.chat_batches();
            if batches.is_empty() {
                return;
            }
            batches.take()
        };
        let state = self.lock();
        for (room, frame) in &outgoing.to_rooms {
            state.send_to_room_chat(room, frame);
        }
        for (sender, ack) in outgoing.acks {
            state.send_to_connection(sender, ack);
        }
    }

    fn chat_batches(&self) -> MutexGuard<'_, ChatBatches> {
        self.chat_batches
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// After the commit: an edited or deleted message to its conversation's online
    /// connections.
    pub(crate) fn deliver_change(&self, message: &StoredMessage) {
        let frame = chat_frame(message);
        let to = message.to.as_deref();
        self.lock()
            .send_to_conversation(&message.room, &message.from, to, &frame);
    }

    /// A refusal the store gave after the frame was read: an `error` to the connection
    /// that sent it, naming a `chat` by its `clientId`.
    pub(crate) fn refuse(&self, id: ConnId, error: ProtocolError, client_id: Option<&str>) {
        let frame = Frame::message(&refusal_frame(error, client_id));
        self.lock().send_to_connection(id, frame);
    }

    /// `recipient`'s direct messages from each sender up to its id reached `recipient`:
    /// a `chat-receipt` `delivered` to each sender's connections in `room`.
    pub(crate) fn send_delivered(&self, room: &str, recipient: &str, receipts: &[(String, i64)]) {
        let frames: Vec<(&str, Frame)> = receipts
            .iter()
            .map(|(sender, up_to)| {
                let receipt = receipt(recipient, ReceiptState::Delivered, *up_to);
                (sender.as_str(), receipt)
            })
            .collect();
        let state = self.lock();
        for (sender, frame) in &frames {
            state.send_to_member(room, sender, frame, None);
        }
    }

    /// `reader`'s marker in `conversation` moved: its other connections (`reader_id`
    /// aside) learn it, and with a receipt the other person of a direct conversation.
    pub(crate) fn read_moved(
        &self,
        reader_id: ConnId,
        room: &str,
        reader: &str,
        conversation: Conversation,
        moved: &ReadMoved,
    ) {
        if !moved.moved {
            return;
        }
        let receipt = moved
            .receipt_to
            .as_deref()
            .map(|peer| (peer, receipt(reader, ReceiptState::Read, moved.up_to)));
        let marker = Frame::message(&ServerMessage::ChatRead(ReadMarker {
            conversation,
            up_to: wire_id(moved.up_to),
        }));
        let state = self.lock();
        state.send_to_member(room, reader, &marker, Some(reader_id));
        if let Some((peer, frame)) = &receipt {
            state.send_to_member(room, peer, frame, None);
        }
    }

    /// Relays "typing" to the conversation's online members, charged to `fan_out`.
    pub(crate) fn typing(
        &self,
        id: ConnId,
        to: Option<String>,
        fan_out: &mut FanOut,
    ) -> Result<(), ProtocolError> {
        self.lock().typing(id, to, fan_out)
    }

    /// The room (shared with the hub's own spelling), and the name, of the registered
    /// connection `id`.
    pub(crate) fn member_of(&self, id: ConnId) -> Option<(Arc<str>, String)> {
        let (room, _, name) = self.lock().member_of(id)?;
        Some((room, name))
    }
}

fn chat_frame(message: &StoredMessage) -> Frame {
    Frame::message(&ServerMessage::Chat(delivery(message)))
}

/// A `chat-receipt` about the direct conversation with `with`, as its other person sees it.
fn receipt(with: &str, state: ReceiptState, up_to: i64) -> Frame {
    Frame::message(&ServerMessage::ChatReceipt(ChatReceipt {
        conversation: Conversation::Direct(with.to_owned()),
        state,
        up_to: wire_id(up_to),
    }))
}
