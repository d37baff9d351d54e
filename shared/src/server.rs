//! Server → client messages.

use crate::chat::{
    ChatAck, ChatReceipt, Conversation, ConversationSummary, ReadMarker, TypingNotice,
};
use crate::client::{ClientMessage, SignalMessage};
use crate::error::{ErrorCode, ProtocolError};
use crate::signal::{SignalKind, with_signal_kinds};
use crate::user::User;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Builds [`ServerMessage`] from its own variants and the relayed types of
/// [`with_signal_kinds!`], each carrying a [`RelayedSignal`].
macro_rules! server_message {
    ({ $($own:tt)* }
     may_broadcast: [$($broadcast:ident = $broadcast_tag:literal,)*]
     needs_target: [$($targeted:ident = $targeted_tag:literal,)*]) => {
        /// Everything the server sends.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type", rename_all = "kebab-case")]
        pub enum ServerMessage {
            $($own)*
            $(
                /// Relayed signaling, with the sender stamped in `from`.
                #[serde(rename = $broadcast_tag)]
                $broadcast(RelayedSignal),
            )*
            $(
                /// Relayed call control, with the sender stamped in `from`.
                #[serde(rename = $targeted_tag)]
                $targeted(RelayedSignal),
            )*
        }

        impl ServerMessage {
            /// The message of `kind` that delivers `signal`.
            fn signal(kind: SignalKind, signal: RelayedSignal) -> Self {
                match kind {
                    $(SignalKind::$broadcast => Self::$broadcast(signal),)*
                    $(SignalKind::$targeted => Self::$targeted(signal),)*
                }
            }
        }
    };
}

with_signal_kinds!(server_message! {
    /// The seed's presence: every online user of the room. Sent to clients without the
    /// delta subprotocol on connect and after changes, at most once per presence tick.
    UpdateUsers {
        users: Vec<User>,
    },
    /// To a delta client when it registers: who it is and everyone online in its room.
    /// Deltas that follow apply on top of it.
    Welcome(Welcome),
    /// To delta clients, at most once per presence tick: what changed in the room.
    Presence(PresenceDelta),
    /// A chat message, stamped by the server once stored: new, edited or deleted (one
    /// shape; clients upsert by `id`).
    Chat(ChatDelivery),
    /// Several new room messages stored in one commit, in the store's order: each exactly
    /// as a `chat` would carry it. Sent instead of a run of `chat` frames to the same
    /// connections, so a busy room costs one frame per commit, not one per message.
    Chats(ChatBatch),
    /// To the sending connection: its message (by `clientId`) is stored.
    ChatAck(ChatAck),
    /// The answer to `chat-history`.
    ChatHistory(ChatHistory),
    /// To a sender: its direct messages reached the recipient, or were read.
    ChatReceipt(ChatReceipt),
    /// To the user's other connections: its read marker in a conversation moved.
    ChatRead(ReadMarker),
    /// Someone in the conversation is typing.
    Typing(TypingNotice),
    /// The answer to `chat-conversations`.
    ChatConversations {
        conversations: Vec<ConversationSummary>,
    },
    /// The frame the client sent was refused; the connection goes on.
    Error(ErrorFrame),
    /// The answer to `link-device`: a one-time code another device of the user's signs in
    /// with, until it expires.
    DeviceLink(DeviceLink),
    /// To a delta client whose `welcome` carried `iceServers`: fresh TURN credentials,
    /// sent before the previous ones expire; they replace them for calls set up after.
    IceServers(IceServers),
    /// The answer to `sign-out`: the devices signed out no longer work. For this device,
    /// the server closes the connection next.
    SignedOut(SignedOut),
    /// The answer to the client's `ping`: the connection is alive both ways.
    Pong,
});

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedOut {
    /// How many devices were signed out (1 for this one).
    pub devices: usize,
    /// Whether they were the user's other devices (this one stays signed in).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub others: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceLink {
    /// Shown to the user, typed (or pasted) into the other device's login form.
    pub code: String,
    /// Milliseconds since the Unix epoch after which the code no longer works.
    pub expires_at: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Welcome {
    /// The user as registered (email normalised).
    pub you: User,
    pub room: String,
    /// Everyone online in the room, the new user included.
    pub users: Vec<User>,
    /// A fresh session token for this email and room: sent in a later `add-user` (another
    /// tab, a reconnect), it proves the connection is this user's.
    pub token: String,
    /// TURN servers with this connection's own short-lived credentials, when the server
    /// has a TURN secret; absent otherwise. Renewed by `ice-servers` before they expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ice_servers: Option<Vec<IceServer>>,
}

/// One entry of an `RTCPeerConnection`'s `iceServers`, in the browser's own shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    /// `turn:` and `turns:` URLs of one server.
    pub urls: Vec<String>,
    /// The TURN REST API's `expiry:id` (draft-uberti-behave-turn-rest-00).
    pub username: String,
    /// base64(HMAC-SHA1(secret, username)): valid until the expiry in `username`.
    pub credential: String,
}

/// A connection's renewed TURN servers (`ice-servers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IceServers {
    pub ice_servers: Vec<IceServer>,
}

/// Changes since the previous tick. `joined` adds or replaces a user (also a rename),
/// `moved` sets a position (each a [`Move`], sent as `[email, latitude, longitude]`),
/// `left` removes; each is idempotent, so a delta that overlaps a `welcome` snapshot is
/// harmless. Empty lists are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PresenceDelta {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joined: Vec<User>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<Move>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left: Vec<String>,
}

/// The most users a `welcome` lists, and each `presence` page of a large room's snapshot
/// after it: the pages are shared by everyone who joins within a tick, so only the first,
/// which names the new member, is serialised for each. A tick's delta is one frame.
pub const PRESENCE_FRAME_MAX_ENTRIES: usize = 64;

impl PresenceDelta {
    pub fn is_empty(&self) -> bool {
        self.joined.is_empty() && self.moved.is_empty() && self.left.is_empty()
    }

    /// Splits the delta into frames of at most `max` entries each (at least one frame if
    /// the delta is not empty), in the order joined, moved, left.
    pub fn into_chunks(self, max: usize) -> Vec<PresenceDelta> {
        let max = max.max(1);
        let mut chunks = Vec::new();
        let mut current = PresenceDelta::default();
        let mut room_left = max;
        let mut push = |current: &mut PresenceDelta, room_left: &mut usize| {
            *room_left -= 1;
            if *room_left == 0 {
                chunks.push(std::mem::take(current));
                *room_left = max;
            }
        };
        for user in self.joined {
            current.joined.push(user);
            push(&mut current, &mut room_left);
        }
        for moved in self.moved {
            current.moved.push(moved);
            push(&mut current, &mut room_left);
        }
        for email in self.left {
            current.left.push(email);
            push(&mut current, &mut room_left);
        }
        if !current.is_empty() {
            chunks.push(current);
        }
        chunks
    }
}

/// A user's new position. On the wire it is the array `[email, latitude, longitude]`, not
/// an object: every member of a room learns every move, so these bytes grow with the square
/// of the room, and the array is far smaller than the object with its three keys.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "(String, f64, f64)")]
pub struct Move {
    pub email: String,
    pub latitude: f64,
    pub longitude: f64,
}

impl From<(String, f64, f64)> for Move {
    fn from((email, latitude, longitude): (String, f64, f64)) -> Self {
        Self {
            email,
            latitude,
            longitude,
        }
    }
}

/// By reference, so that serialising a tick's moves copies no email.
impl Serialize for Move {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (&self.email, self.latitude, self.longitude).serialize(serializer)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatDelivery {
    /// The store's id: unique for good, increasing; clients order and upsert by it.
    pub id: u64,
    pub from: String,
    /// The sender's name when it was sent.
    pub name: String,
    pub text: String,
    /// Set on a direct message: the one recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Milliseconds since the Unix epoch, by the server's clock.
    pub sent_at: u64,
    /// The sender's own id for it, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// When it was last edited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<u64>,
    /// Deleted by its sender: `text` is empty.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// In history, on the reader's own direct messages: it reached the recipient.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delivered: bool,
    /// In history, on the reader's own direct messages: the recipient read it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read: bool,
}

/// The messages of a [`ServerMessage::Chats`], in the order they were stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatBatch {
    pub messages: Vec<ChatDelivery>,
}

/// A page of history: messages in ascending `id` order (for `after`, in the order of their
/// changes), and the cursor to pass as `after` next time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatHistory {
    /// The request's conversation; absent for an `after` query over all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<Conversation>,
    pub messages: Vec<ChatDelivery>,
    /// The page was full (`after`) or older messages exist (`before`, latest).
    pub more: bool,
    pub cursor: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorFrame {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The refused frame's `clientId`: a `chat` the app must mark failed.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "clientId")]
    pub client_id: Option<String>,
}

impl From<ProtocolError> for ErrorFrame {
    fn from(error: ProtocolError) -> Self {
        Self {
            code: error.code,
            message: error.message,
            field: error.field.map(str::to_owned),
            client_id: None,
        }
    }
}

impl ErrorFrame {
    /// The same refusal, naming the `chat` it refuses by its `clientId`.
    pub fn for_client_id(mut self, client_id: Option<&str>) -> Self {
        self.client_id = client_id.map(str::to_owned);
        self
    }
}

/// A signaling frame as delivered: the sender's payload, untouched, with `from` set by the
/// server from the sender's registered email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayedSignal {
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(flatten)]
    pub payload: Map<String, Value>,
}

impl ServerMessage {
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Error(ErrorFrame {
            code,
            message: message.into(),
            field: None,
            client_id: None,
        })
    }

    /// The relayed form of a signal, stamped with its sender: a `from` in the payload is
    /// replaced.
    pub fn relay(message: SignalMessage, from: &str) -> Self {
        let SignalMessage { kind, mut signal } = message;
        // The stamp replaces whatever the sender claimed; a copy would be sent twice.
        signal.payload.remove("from");
        let relayed = RelayedSignal {
            from: from.to_owned(),
            to: signal.to,
            payload: signal.payload,
        };
        Self::signal(kind, relayed)
    }

    /// [`ServerMessage::relay`] of a client's message; `None` for one that is not a signal.
    pub fn relayed(message: ClientMessage, from: &str) -> Option<Self> {
        let signal = message.into_signal().ok()?;
        Some(Self::relay(signal, from))
    }

    /// The JSON text of the message. Serialising these types cannot fail: they hold only
    /// strings, finite numbers and JSON values.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"type":"error","code":"internal","message":"could not encode a message"}"#.into()
        })
    }
}
