//! Durable chat's vocabulary, both directions: the conversation a frame names, the requests
//! a client sends (history, edit, delete, read, typing) and the answers the server sends
//! (acks, history pages, receipts, read markers, typing hints, the conversations' list).
//! A leaf: it names nothing else of the crate.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The room's conversation on the wire; any other value is the other person's email.
pub const ROOM_CONVERSATION: &str = "room";

/// A conversation of the sender's room: the room itself, or a direct one with the member
/// of that email. On the wire a string, `"room"` or the email (which holds an `@`, so the
/// two never meet).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Conversation {
    #[default]
    Room,
    Direct(String),
}

impl Conversation {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Room => ROOM_CONVERSATION,
            Self::Direct(email) => email,
        }
    }

    /// The other person's email of a direct conversation.
    pub fn peer(&self) -> Option<&str> {
        match self {
            Self::Room => None,
            Self::Direct(email) => Some(email),
        }
    }

    /// The conversation a message with this `to` belongs to, seen by its sender.
    pub fn of_target(to: Option<&str>) -> Self {
        to.map_or(Self::Room, |email| Self::Direct(email.to_owned()))
    }
}

impl Serialize for Conversation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Conversation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(if text == ROOM_CONVERSATION {
            Self::Room
        } else {
            Self::Direct(text)
        })
    }
}

/// The page size of `chat-history` when the request gives no `limit`.
pub const HISTORY_PAGE_DEFAULT: u64 = 50;
/// The largest `limit` a `chat-history` may ask for.
pub const HISTORY_PAGE_MAX: u64 = 200;
/// The longest `clientId` (1 to this many of `A-Z a-z 0-9 _ -`).
pub const CLIENT_ID_MAX_CHARS: usize = 64;

/// `chat-history`: a page of one conversation (`before` a message id, or the latest), or
/// every change since a cursor (`after`) in one conversation or all of the room's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<Conversation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

impl HistoryRequest {
    /// How many messages the page holds at most.
    pub fn page_size(&self) -> u64 {
        self.limit.unwrap_or(HISTORY_PAGE_DEFAULT)
    }

    /// The conversation asked for, the room when none is named.
    pub fn conversation_or_room(&self) -> Conversation {
        self.conversation.clone().unwrap_or_default()
    }
}

/// `chat-edit`: new text for one's own message, within the edit window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditRequest {
    pub id: u64,
    pub text: String,
}

/// `chat-delete`: one's own message, within the edit window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeleteRequest {
    pub id: u64,
}

/// `chat-read` from a client: it has seen everything up to `upTo` in `conversation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadRequest {
    pub conversation: Conversation,
    pub up_to: u64,
    /// Whether the other person of a direct conversation learns it (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<bool>,
}

impl ReadRequest {
    pub fn sends_receipt(&self) -> bool {
        self.receipt.unwrap_or(true)
    }
}

/// `typing` from a client: in the room, or in the direct conversation with `to`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypingRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// `chat-ack`: the sender's message is stored, under `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatAck {
    pub client_id: String,
    pub id: u64,
    pub sent_at: u64,
    /// The `clientId` was stored before: this is that message, delivered to nobody again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
}

/// What a delivered or read receipt says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptState {
    Delivered,
    Read,
}

/// `chat-receipt`: the sender's direct messages to `conversation` up to `upTo` reached the
/// recipient, or were read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatReceipt {
    pub conversation: Conversation,
    pub state: ReceiptState,
    pub up_to: u64,
}

/// `chat-read` from the server: the user's read marker moved (on another of its
/// connections), so unread counts follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadMarker {
    pub conversation: Conversation,
    pub up_to: u64,
}

/// `typing` from the server: who is typing, and `to` in a direct conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypingNotice {
    pub from: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// One conversation in `chat-conversations`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    pub conversation: Conversation,
    /// The other person's last name, for a direct conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The latest message's id and time; absent while the conversation has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_at: Option<u64>,
    /// Messages from others after `readUpTo`.
    pub unread: u64,
    pub read_up_to: u64,
    /// Direct only: how far the other person has read (only when they send receipts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_read_up_to: Option<u64>,
    /// Direct only: how far the user's messages have reached the other person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_delivered_up_to: Option<u64>,
}
