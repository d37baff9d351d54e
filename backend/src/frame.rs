//! A server-to-client text frame, framed once and shared by all its recipients: the
//! WebSocket header and the JSON go out as one buffer, written to each socket as is.
//!
//! A server never masks its frames (RFC 6455, 5.1), so the bytes are the same for every
//! client: a broadcast to a room costs one serialisation, one framing and one reference
//! count per recipient, with no copy into a per-connection write buffer.

pub use kind::{FrameKind, Own};

use bytes::Bytes;
use shared::ServerMessage;
use std::cell::RefCell;
use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

mod kind;

/// A complete, unmasked, final text frame: header then payload, and what it is (for the
/// counters of frames out by type).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    bytes: Bytes,
    kind: FrameKind,
}

impl Frame {
    /// Frames `text` as one final text frame (the echo route's answer, a test's frame).
    pub fn text(text: &str) -> Self {
        Self::data(text_header(), text.as_bytes(), FrameKind::Own(Own::Echo))
    }

    /// Frames `payload` as one final binary frame (the echo route's answer to one).
    pub fn binary(payload: &[u8]) -> Self {
        let header = FrameHeader {
            opcode: OpCode::Data(Data::Binary),
            ..FrameHeader::default()
        };
        Self::data(header, payload, FrameKind::Own(Own::Echo))
    }

    fn data(header: FrameHeader, payload: &[u8], kind: FrameKind) -> Self {
        let length = payload.len() as u64;
        let mut bytes = Vec::with_capacity(header.len(length) + payload.len());
        // Formatting into a Vec cannot fail: the header only writes bytes.
        let _ = header.format(length, &mut bytes);
        bytes.extend_from_slice(payload);
        Self {
            bytes: Bytes::from(bytes),
            kind,
        }
    }

    /// Serialises `message` straight into its frame, behind room left for the header: one
    /// buffer and no copy per broadcast, however many recipients share it.
    pub fn message(message: &ServerMessage) -> Self {
        let kind = FrameKind::of(message);
        let mut failed = false;
        let write = |bytes: &mut Vec<u8>| failed = serde_json::to_writer(bytes, message).is_err();
        let frame = Self::written(kind, write);
        if failed {
            return Self::data(text_header(), message.to_json().as_bytes(), kind);
        }
        frame
    }

    /// Frames the JSON text of `kind` that `write` appends (a relayed signal spliced from
    /// its sender's bytes, say). It is written into the thread's scratch buffer, then
    /// copied behind its header into a buffer of its exact size: one allocation per frame,
    /// since `Bytes` over a `Vec` with room to spare needs a second one for its count.
    pub fn written(kind: FrameKind, write: impl FnOnce(&mut Vec<u8>)) -> Self {
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut payload) => {
                payload.clear();
                write(&mut payload);
                let frame = Self::data(text_header(), &payload, kind);
                if payload.capacity() > SCRATCH_KEPT_BYTES {
                    *payload = Vec::new();
                }
                frame
            }
            // Not reached (nothing written here frames another), but never a panic.
            Err(_) => {
                let mut payload = Vec::new();
                write(&mut payload);
                Self::data(text_header(), &payload, kind)
            }
        })
    }

    /// A ping with no payload, the keep-alive sent every ping interval.
    pub fn ping() -> Self {
        Self {
            bytes: Bytes::from_static(&[0x89, 0x00]),
            kind: FrameKind::Own(Own::Ping),
        }
    }

    /// The bytes on the wire, header included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// What the frame is.
    pub fn kind(&self) -> FrameKind {
        self.kind
    }

    /// The size on the wire, header included: what an outbox counts.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The text of the frame (tests read what the hub queued; the backplane forwards it).
    pub fn payload(&self) -> &str {
        let header = match self.bytes.get(1).map(|b| b & 0x7f) {
            Some(126) => 4,
            Some(127) => 10,
            _ => 2,
        };
        std::str::from_utf8(self.bytes.get(header..).unwrap_or_default()).unwrap_or_default()
    }
}

/// The most a thread's scratch buffer keeps between two frames: a larger frame (a room's
/// snapshot page, a long chat) leaves it empty.
const SCRATCH_KEPT_BYTES: usize = 4 * 1024;

thread_local! {
    /// Where [`Frame::written`] writes a frame's JSON before it is framed.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn text_header() -> FrameHeader {
    FrameHeader {
        opcode: OpCode::Data(Data::Text),
        ..FrameHeader::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn parsed(frame: &Frame) -> (FrameHeader, u64, usize) {
        let mut cursor = Cursor::new(frame.as_bytes());
        let (header, length) = FrameHeader::parse(&mut cursor)
            .expect("a valid header")
            .expect("a complete header");
        (header, length, cursor.position() as usize)
    }

    #[test]
    fn each_length_form_parses_back_to_the_same_text() {
        for size in [0, 1, 125, 126, 65_535, 65_536, 200_000] {
            let text = "x".repeat(size);
            let frame = Frame::text(&text);
            let (header, length, offset) = parsed(&frame);
            assert!(header.is_final);
            assert_eq!(header.opcode, OpCode::Data(Data::Text));
            assert_eq!(header.mask, None, "a server never masks");
            assert_eq!(length, size as u64);
            assert_eq!(&frame.as_bytes()[offset..], text.as_bytes());
            assert_eq!(frame.payload(), text);
            assert_eq!(frame.len(), offset + size);
        }
    }

    #[test]
    fn a_message_serialised_in_place_is_the_same_frame_as_its_json_framed() {
        for size in [0, 100, 200, 70_000] {
            let message = ServerMessage::Error(shared::ErrorFrame {
                code: shared::ErrorCode::InvalidJson,
                message: "x".repeat(size),
                field: None,
                client_id: None,
            });
            let frame = Frame::message(&message);
            assert_eq!(frame.as_bytes(), Frame::text(&message.to_json()).as_bytes());
            assert_eq!(frame.kind(), FrameKind::Own(Own::Error));
        }
    }

    #[test]
    fn frames_written_one_after_another_through_the_scratch_keep_only_their_own_bytes() {
        for text in [
            "x".repeat(SCRATCH_KEPT_BYTES * 2),
            "{}".to_owned(),
            "y".repeat(300),
        ] {
            let frame = Frame::written(FrameKind::Own(Own::Echo), |out| {
                out.extend_from_slice(text.as_bytes())
            });
            assert_eq!(frame.as_bytes(), Frame::text(&text).as_bytes());
        }
    }

    #[test]
    fn the_ping_is_a_final_ping_without_payload() {
        let (header, length, _) = parsed(&Frame::ping());
        assert_eq!(
            header.opcode,
            OpCode::Control(tokio_tungstenite::tungstenite::protocol::frame::coding::Control::Ping)
        );
        assert!(header.is_final);
        assert_eq!(length, 0);
    }
}
