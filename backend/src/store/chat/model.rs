//! The chat store's vocabulary: what callers hand it (a new message, an edit, a marker, a
//! history query), what it answers (stored messages, pages, summaries), and its refusals.
//! Ids and times are `i64` as SQLite keeps them: ids from 1, times in ms since the epoch.

use std::fmt;

/// A conversation of a room: the room itself, or a direct one with another member.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Conversation {
    Room,
    /// The other person's email.
    Direct(String),
}

/// A message to store, from a registered sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub room: String,
    pub from: String,
    /// The sender's name when sent.
    pub name: String,
    /// The recipient of a direct message; `None` for the room.
    pub to: Option<String>,
    pub text: String,
    /// The sender's own id of the message: a repeat is not stored twice.
    pub client_id: Option<String>,
    /// The recipient is online in the room now (so known there); when false, the writer
    /// checks `to` is a member of the room.
    pub to_online: bool,
}

/// A message as stored, in its current state: every field of a `chat` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// The store's id: unique for good, increasing (the log row of its creation).
    pub id: i64,
    pub room: String,
    pub from: String,
    pub name: String,
    pub to: Option<String>,
    /// The current text; empty once deleted.
    pub text: String,
    pub sent_at: i64,
    pub client_id: Option<String>,
    pub edited_at: Option<i64>,
    pub deleted: bool,
}

/// A post's outcome: the stored message, and whether it was stored before (a repeat of
/// its client id, to be delivered to nobody again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub message: StoredMessage,
    pub duplicate: bool,
}

/// A new text for one of `by`'s own messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub room: String,
    pub by: String,
    pub id: i64,
    pub text: String,
}

/// The deletion of one of `by`'s own messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delete {
    pub room: String,
    pub by: String,
    pub id: i64,
}

/// `reader` has seen `conversation` up to message `up_to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadMarker {
    pub room: String,
    pub reader: String,
    pub conversation: Conversation,
    pub up_to: i64,
    /// Whether the other person of a direct conversation may learn it.
    pub receipt: bool,
}

/// What a read marker did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadMoved {
    /// The marker moved forward (markers never move back).
    pub moved: bool,
    /// The marker now: the asked id, bounded by the conversation's last message.
    pub up_to: i64,
    /// The peer to send a `read` receipt to: set when a direct conversation's marker moved
    /// and the reader shares receipts.
    pub receipt_to: Option<String>,
}

/// Which page of history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryRange {
    /// The newest page of one conversation.
    Latest,
    /// The page just older than a message of the conversation.
    Before(i64),
    /// Every change after a cursor, oldest first.
    After(i64),
}

/// A history request of `email` in `room`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    pub room: String,
    pub email: String,
    /// `None`: the room for `Latest`/`Before`, all of the user's conversations for `After`.
    pub conversation: Option<Conversation>,
    pub range: HistoryRange,
    /// Messages per page, 1 to [`MAX_PAGE`] (bounded there).
    pub limit: usize,
}

/// Messages a history page holds at most, whatever is asked: the wire's bound.
pub const MAX_PAGE: usize = shared::HISTORY_PAGE_MAX as usize;

/// One message of a history page, with, for the asker's own direct messages, how far
/// they got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub message: StoredMessage,
    pub delivered: bool,
    pub read: bool,
}

/// A history answer: messages in ascending id (for `After`: ascending change) order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    pub messages: Vec<HistoryEntry>,
    /// A full page: more exist (older for `Before`/`Latest`, newer changes for `After`).
    pub more: bool,
    /// The row id to ask `After` next time.
    pub cursor: i64,
}

/// One conversation of a user in a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationSummary {
    pub conversation: Conversation,
    /// The other person's last known name (direct conversations).
    pub name: Option<String>,
    pub last_id: i64,
    pub last_at: i64,
    /// Messages from others after `read_up_to` (counted up to [`MAX_UNREAD`]).
    pub unread: u64,
    pub read_up_to: i64,
    /// The peer's read marker, when the peer shares receipts.
    pub peer_read_up_to: Option<i64>,
    /// How far the user's messages reached one of the peer's connections.
    pub peer_delivered_up_to: Option<i64>,
}

/// Unread messages are counted up to this many (the app shows "999+"), so a stale marker
/// in a busy room costs a bounded count.
pub const MAX_UNREAD: u64 = 1_000;

/// Why the store did not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatRefusal {
    /// The writer's queue is full: try again shortly.
    StoreBusy,
    /// The file could not take it (nothing was stored): the message may be sent again.
    StoreUnavailable,
    /// The sender stored another message under this client id.
    ClientIdReused,
    /// A direct message to an email not known in the room.
    UnknownRecipient,
    /// A conversation with an email not known in the room.
    UnknownConversation,
    /// No such message in this conversation (or it is deleted).
    UnknownMessage,
    /// Someone else's message.
    NotYourMessage,
    /// The message was sent longer ago than the edit window.
    EditWindowClosed,
}

impl fmt::Display for ChatRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChatRefusal::StoreBusy => "the chat store is busy; try again shortly",
            ChatRefusal::StoreUnavailable => "the chat store could not store it; send it again",
            ChatRefusal::ClientIdReused => "this clientId was used for another message",
            ChatRefusal::UnknownRecipient => "nobody with this email is known in the room",
            ChatRefusal::UnknownConversation => "no such conversation in this room",
            ChatRefusal::UnknownMessage => "no such message in this conversation",
            ChatRefusal::NotYourMessage => "only its sender may change a message",
            ChatRefusal::EditWindowClosed => "the time to edit or delete this message is over",
        })
    }
}

impl std::error::Error for ChatRefusal {}

/// Why the chat store could not be opened.
#[derive(Debug)]
pub enum ChatStoreError {
    /// The file or its folder could not be opened or prepared.
    File { path: String, reason: String },
    /// The file's schema is newer than this code's.
    NewerSchema { found: i64, known: i64 },
    /// A thread of the store could not be started.
    Thread(std::io::Error),
    /// The PostgreSQL database could not be reached or prepared.
    Database(String),
}

impl fmt::Display for ChatStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChatStoreError::File { path, reason } => write!(f, "chat store {path}: {reason}"),
            ChatStoreError::NewerSchema { found, known } => write!(
                f,
                "chat store schema version {found} is newer than this server's ({known})"
            ),
            ChatStoreError::Thread(error) => write!(f, "chat store thread: {error}"),
            ChatStoreError::Database(reason) => write!(f, "chat store database: {reason}"),
        }
    }
}

impl std::error::Error for ChatStoreError {}

/// The store's key of a direct conversation: the two emails sorted, joined by a newline.
/// The room's own conversation is the empty key.
pub(super) fn direct_key(a: &str, b: &str) -> String {
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    let mut key = String::with_capacity(low.len() + 1 + high.len());
    key.push_str(low);
    key.push('\n');
    key.push_str(high);
    key
}

/// The room conversation's key.
pub(super) const ROOM_KEY: &str = "";

/// The key of `conversation` as seen by `email`.
pub(super) fn key_of(conversation: &Conversation, email: &str) -> String {
    match conversation {
        Conversation::Room => ROOM_KEY.to_owned(),
        Conversation::Direct(peer) => direct_key(email, peer),
    }
}

/// Now, in ms since the epoch.
pub(super) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
