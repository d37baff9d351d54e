//! A commit's room messages and acks, gathered on the chat store's writer thread while it
//! answers a batch, and sent once the batch is answered: the messages of one room as one
//! `chats` frame (a lone one as a `chat`), cut at [`CHATS_FRAME_BYTES`], and every ack
//! under the same lock. A room of 100 then costs 100 queued frames per commit, not per
//! message. A leaf of the hub: frames and names only.

use super::names::ConnId;
use crate::frame::{Frame, FrameKind, Own};
use shared::ChatDelivery;

/// The most JSON one `chats` frame carries; a commit's messages beyond it go in the next
/// frame. Well under every client's frame limit and the outbox's byte bound.
pub const CHATS_FRAME_BYTES: usize = 64 * 1024;

/// What the writer thread gathered since the last batch ended.
#[derive(Default)]
pub struct ChatBatches {
    /// Each room's messages, as `chat` bodies, in the order the store gave them.
    rooms: Vec<RoomMessages>,
    acks: Vec<(ConnId, Frame)>,
}

struct RoomMessages {
    room: String,
    bodies: Vec<Vec<u8>>,
}

/// A batch's frames, ready for the hub's lock.
pub struct Outgoing {
    pub to_rooms: Vec<(String, Frame)>,
    pub acks: Vec<(ConnId, Frame)>,
}

impl ChatBatches {
    /// Adds a stored room message of `room`, serialised here (off the hub's lock).
    pub fn add_message(&mut self, room: &str, message: &ChatDelivery) {
        let Ok(body) = serde_json::to_vec(message) else {
            return;
        };
        match self.rooms.iter_mut().find(|pending| pending.room == room) {
            Some(pending) => pending.bodies.push(body),
            None => self.rooms.push(RoomMessages {
                room: room.to_owned(),
                bodies: vec![body],
            }),
        }
    }

    /// Adds an ack for connection `to`.
    pub fn add_ack(&mut self, to: ConnId, ack: Frame) {
        self.acks.push((to, ack));
    }

    /// Everything gathered, as frames; the batches are empty afterwards.
    pub fn take(&mut self) -> Outgoing {
        let mut to_rooms = Vec::new();
        for RoomMessages { room, bodies } in self.rooms.drain(..) {
            for frame in frames_of(&bodies) {
                to_rooms.push((room.clone(), frame));
            }
        }
        Outgoing {
            to_rooms,
            acks: std::mem::take(&mut self.acks),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rooms.is_empty() && self.acks.is_empty()
    }
}

/// `bodies` (each a `chat`'s JSON object without its `type`) as frames of at most
/// [`CHATS_FRAME_BYTES`] (a larger body alone in its own).
fn frames_of(bodies: &[Vec<u8>]) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut start = 0;
    while start < bodies.len() {
        let mut end = start + 1;
        let mut bytes = bodies[start].len();
        while end < bodies.len() && bytes + 1 + bodies[end].len() <= CHATS_FRAME_BYTES {
            bytes += 1 + bodies[end].len();
            end += 1;
        }
        frames.push(frame_of(&bodies[start..end]));
        start = end;
    }
    frames
}

/// One body as a `chat` (the tag first, as `ServerMessage` writes it), several as `chats`.
fn frame_of(bodies: &[Vec<u8>]) -> Frame {
    let kind = match bodies {
        [_] => Own::Chat,
        _ => Own::Chats,
    };
    Frame::written(FrameKind::Own(kind), |out| match bodies {
        [one] => {
            out.extend_from_slice(br#"{"type":"chat","#);
            out.extend_from_slice(one.get(1..).unwrap_or_default());
        }
        many => {
            out.extend_from_slice(br#"{"type":"chats","messages":["#);
            for (index, body) in many.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(body);
            }
            out.extend_from_slice(b"]}");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::{ChatBatch, ServerMessage};

    fn message(id: u64, text: &str) -> ChatDelivery {
        ChatDelivery {
            id,
            from: "alice@example.com".into(),
            name: "Alice".into(),
            text: text.into(),
            sent_at: 1_764_060_000_000 + id,
            ..ChatDelivery::default()
        }
    }

    fn decoded(frame: &Frame) -> ServerMessage {
        let bytes = frame.as_bytes();
        let header = if bytes[1] & 0x7f == 126 { 4 } else { 2 };
        serde_json::from_slice(&bytes[header..]).expect("the frame is a server message")
    }

    #[test]
    fn a_lone_message_is_a_chat_frame_as_the_typed_form_writes_it() {
        let mut batches = ChatBatches::default();
        batches.add_message("lobby", &message(1, "hi"));
        let out = batches.take();
        assert_eq!(out.to_rooms.len(), 1);
        let typed = Frame::message(&ServerMessage::Chat(message(1, "hi")));
        assert_eq!(out.to_rooms[0], ("lobby".to_owned(), typed));
        assert!(batches.is_empty());
    }

    #[test]
    fn a_rooms_messages_are_one_chats_frame_in_order_and_rooms_stay_apart() {
        let mut batches = ChatBatches::default();
        batches.add_message("a", &message(1, "one"));
        batches.add_message("b", &message(2, "two"));
        batches.add_message("a", &message(3, "three"));
        let out = batches.take();
        let rooms: Vec<&str> = out.to_rooms.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(rooms, ["a", "b"]);
        let expected = ChatBatch {
            messages: vec![message(1, "one"), message(3, "three")],
        };
        assert_eq!(decoded(&out.to_rooms[0].1), ServerMessage::Chats(expected));
        assert_eq!(
            decoded(&out.to_rooms[1].1),
            ServerMessage::Chat(message(2, "two"))
        );
    }

    #[test]
    fn a_large_commit_is_cut_into_frames_under_the_bound_keeping_every_message() {
        let mut batches = ChatBatches::default();
        let text = "x".repeat(4000);
        for id in 0..100 {
            batches.add_message("a", &message(id, &text));
        }
        let out = batches.take();
        assert!(out.to_rooms.len() > 1);
        let mut ids = Vec::new();
        for (_, frame) in &out.to_rooms {
            assert!(frame.len() <= CHATS_FRAME_BYTES + 4);
            match decoded(frame) {
                ServerMessage::Chats(batch) => ids.extend(batch.messages.iter().map(|m| m.id)),
                ServerMessage::Chat(one) => ids.push(one.id),
                other => panic!("not chat: {other:?}"),
            }
        }
        assert_eq!(ids, (0..100).collect::<Vec<_>>());
    }
}
