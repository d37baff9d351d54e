//! The wire contract between the backend and every client: one message enum per direction,
//! the user record, error codes and the validation of what clients send.
//!
//! Every frame is a JSON text frame tagged by `type`; field names are camelCase, as in the
//! seed project. `docs/PROTOCOL.md` documents each message with examples, and
//! `tests/golden.rs` pins their exact JSON.

#![forbid(unsafe_code)]

mod chat;
mod client;
mod decode;
mod error;
mod identity;
mod raw_signal;
mod server;
mod signal;
mod user;
mod validate;

pub use chat::{
    CLIENT_ID_MAX_CHARS, ChatAck, ChatReceipt, Conversation, ConversationSummary, DeleteRequest,
    EditRequest, HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX, HistoryRequest, ROOM_CONVERSATION,
    ReadMarker, ReadRequest, ReceiptState, TypingNotice, TypingRequest,
};
pub use client::{ChatRequest, ClientMessage, Profile, SignOutRequest, Signal, SignalMessage};
pub use decode::{decode_client_message, refused_client_id};
pub use error::{ErrorCode, ProtocolError};
pub use identity::{
    COMBINING_MARKS_MAX_RUN, EMAIL_MAX_CHARS, NAME_MAX_CHARS, email_skeleton, normalize_email,
};
pub use raw_signal::{IDENTITY_FIELDS, RawSignal, decode_signal};
pub use server::{
    ChatBatch, ChatDelivery, ChatHistory, DeviceLink, ErrorFrame, IceServer, IceServers, Move,
    PRESENCE_FRAME_MAX_ENTRIES, PresenceDelta, RelayedSignal, ServerMessage, SignedOut, Welcome,
};
pub use signal::SignalKind;
pub use user::User;
pub use validate::{
    CHAT_TEXT_MAX_CHARS, DEFAULT_ROOM, ROOM_MAX_CHARS, SECRET_MAX_CHARS, normalize_room,
};

/// The WebSocket subprotocol a client offers to receive presence as a snapshot followed by
/// deltas. A client that offers none gets the seed's full `update-users` lists.
pub const DELTA_SUBPROTOCOL: &str = "meetmap.v1";

/// The query parameter that names a room at connection time: `ws://host:8080/?room=team`.
pub const ROOM_QUERY_PARAMETER: &str = "room";

/// The backend's WebSocket port when none is configured: the backend listens on it, and a
/// browser page given no WebSocket URL connects to it on the page's own host.
pub const DEFAULT_BACKEND_PORT: u16 = 8080;
