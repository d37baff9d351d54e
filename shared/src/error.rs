//! Error codes: what an `error` frame tells a client about the frame it refused.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The machine-readable reason in an `error` frame. Clients branch on it; the message next
/// to it is for people and may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// The frame is not JSON, or not a JSON object.
    InvalidJson,
    /// The object has no string `type`.
    MissingType,
    /// `type` names no message of the protocol.
    UnknownType,
    /// A field is missing, of the wrong type, or out of range; `field` names it when known.
    InvalidField,
    /// Chat and signaling need the connection to have registered with `add-user` first.
    NotRegistered,
    /// The frame claims an email other than the one this connection registered with.
    EmailMismatch,
    /// The frame names a room other than the one this connection is in.
    RoomMismatch,
    /// The message needs a `to` and has none.
    MissingTarget,
    /// `to` names nobody online in the sender's room.
    TargetOffline,
    /// A binary frame; the protocol is JSON text only.
    BinaryNotSupported,
    /// Over a rate limit (presence updates, chat, signaling) or a fan-out budget; the frame
    /// was dropped. Keeping on closes the connection with 1008.
    RateLimited,
    /// Registering needs the deployment's access code, and it was missing or wrong.
    AccessDenied,
    /// The email is online on another connection; registering again needs its session token.
    EmailInUse,
    /// The session token is malformed, forged, expired, or for another email or room.
    InvalidToken,
    /// The email belongs to someone who signed in with a device: registering as it needs
    /// one of that user's session tokens, or a link code from one of their devices.
    EmailClaimed,
    /// The email looks like another user's (same skeleton, Unicode's confusables), so it
    /// is refused.
    EmailConfusable,
    /// The link code is unknown, used, expired, or for another email.
    InvalidLinkCode,
    /// Too many failed registrations from this network: wait before trying again.
    TooManyAttempts,
    /// The request needs a signed-in device (a connection registered with a session
    /// token); seed clients and servers with shared emails have none.
    NoDevice,
    /// The server failed; the frame may be sent again.
    Internal,
    /// The frame is larger than its kind may be (a signal without `to` goes to the whole
    /// room, so it is capped well below the message limit); it was dropped.
    PayloadTooLarge,
    /// A direct message's `to` is nobody known in the sender's room.
    UnknownRecipient,
    /// `conversation` is neither `"room"` nor an email known in the room.
    UnknownConversation,
    /// The id is no message (of that conversation), or one deleted.
    UnknownMessage,
    /// Only its sender may edit or delete a message.
    NotYourMessage,
    /// The message is older than the edit window: it can no longer be edited or deleted.
    EditWindowClosed,
    /// The sender already stored another message under this `clientId`.
    ClientIdReused,
    /// The chat store could not take it now; the frame may be sent again.
    StoreUnavailable,
}

impl ErrorCode {
    /// The code as it appears on the wire, for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid-json",
            Self::MissingType => "missing-type",
            Self::UnknownType => "unknown-type",
            Self::InvalidField => "invalid-field",
            Self::NotRegistered => "not-registered",
            Self::EmailMismatch => "email-mismatch",
            Self::RoomMismatch => "room-mismatch",
            Self::MissingTarget => "missing-target",
            Self::TargetOffline => "target-offline",
            Self::BinaryNotSupported => "binary-not-supported",
            Self::RateLimited => "rate-limited",
            Self::AccessDenied => "access-denied",
            Self::EmailInUse => "email-in-use",
            Self::InvalidToken => "invalid-token",
            Self::EmailClaimed => "email-claimed",
            Self::EmailConfusable => "email-confusable",
            Self::InvalidLinkCode => "invalid-link-code",
            Self::TooManyAttempts => "too-many-attempts",
            Self::NoDevice => "no-device",
            Self::Internal => "internal",
            Self::PayloadTooLarge => "payload-too-large",
            Self::UnknownRecipient => "unknown-recipient",
            Self::UnknownConversation => "unknown-conversation",
            Self::UnknownMessage => "unknown-message",
            Self::NotYourMessage => "not-your-message",
            Self::EditWindowClosed => "edit-window-closed",
            Self::ClientIdReused => "client-id-reused",
            Self::StoreUnavailable => "store-unavailable",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a client's frame was refused: becomes an `error` frame, and the connection goes on.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolError {
    pub code: ErrorCode,
    pub message: String,
    /// The offending field, where one is to blame.
    pub field: Option<&'static str>,
}

impl ProtocolError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// The same refusal under another code (a field error that is not `invalid-field`).
    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = code;
        self
    }

    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::InvalidField,
            message: message.into(),
            field: Some(field),
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ProtocolError {}
