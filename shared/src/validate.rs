//! Field rules for what clients send: lengths, ranges, characters, and the normal form of
//! room names. Emails and names, the fields that say who a user is, are `identity.rs`'s.

use crate::chat::{
    CLIENT_ID_MAX_CHARS, Conversation, HISTORY_PAGE_MAX, HistoryRequest, ReadRequest,
};
use crate::client::{ChatRequest, ClientMessage, Profile, Signal};
use crate::error::{ErrorCode, ProtocolError};
use crate::identity::{is_refused, normalize_email, normalize_name};

pub const CHAT_TEXT_MAX_CHARS: usize = 2000;
pub const ROOM_MAX_CHARS: usize = 64;
/// The room of clients that name none, such as the seed's.
pub const DEFAULT_ROOM: &str = "default";

/// Trims and lower-cases a room name: 1 to [`ROOM_MAX_CHARS`] letters, digits, `-`, `_`
/// or `.`. The Hangul fillers count as letters in Unicode, and are refused like the other
/// invisible characters (which are no letters or digits).
pub fn normalize_room(raw: &str) -> Result<String, ProtocolError> {
    let room = raw.trim().to_lowercase();
    let allowed = |c: char| (c.is_alphanumeric() && !is_refused(c)) || matches!(c, '-' | '_' | '.');
    if room.is_empty() || room.chars().count() > ROOM_MAX_CHARS || !room.chars().all(allowed) {
        return Err(ProtocolError::field(
            "room",
            format!("room must be 1 to {ROOM_MAX_CHARS} letters, digits, '-', '_' or '.'"),
        ));
    }
    Ok(room)
}

fn check_chat_text(text: &str) -> Result<(), ProtocolError> {
    if text.trim().is_empty() || text.chars().count() > CHAT_TEXT_MAX_CHARS {
        return Err(ProtocolError::field(
            "text",
            format!("text must be 1 to {CHAT_TEXT_MAX_CHARS} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ProtocolError::field(
            "text",
            "text contains control characters",
        ));
    }
    Ok(())
}

fn check_coordinate(field: &'static str, value: f64, bound: f64) -> Result<(), ProtocolError> {
    if !value.is_finite() || value.abs() > bound {
        return Err(ProtocolError::field(
            field,
            format!("{field} must be between -{bound} and {bound}"),
        ));
    }
    Ok(())
}

/// Rounds a coordinate to 6 decimal places: 1e-6 degree is about 11 cm, finer than any
/// browser's position, and the shortest JSON numbers keep every relayed move small. A
/// value that rounds to zero is `0.0`, never `-0.0`.
fn round_coordinate(value: f64) -> f64 {
    (value * 1e6).round() / 1e6 + 0.0
}

fn normalize_profile(profile: &mut Profile) -> Result<(), ProtocolError> {
    profile.email = normalize_email(&profile.email)?;
    profile.name = normalize_name(&profile.name)?;
    match (profile.latitude, profile.longitude) {
        (Some(latitude), Some(longitude)) => {
            check_coordinate("latitude", latitude, 90.0)?;
            check_coordinate("longitude", longitude, 180.0)?;
            profile.latitude = Some(round_coordinate(latitude));
            profile.longitude = Some(round_coordinate(longitude));
        }
        (None, None) => {}
        (Some(_), None) => return Err(ProtocolError::field("longitude", "longitude is missing")),
        (None, Some(_)) => return Err(ProtocolError::field("latitude", "latitude is missing")),
    }
    if let Some(room) = &profile.room {
        profile.room = Some(normalize_room(room)?);
    }
    check_length(
        "accessCode",
        profile.access_code.as_deref(),
        SECRET_MAX_CHARS,
    )?;
    check_length("token", profile.token.as_deref(), SECRET_MAX_CHARS)?;
    check_length(
        "linkCode",
        profile.link_code.as_deref(),
        LINK_CODE_MAX_CHARS,
    )?;
    Ok(())
}

/// The longest link code a client may send (codes are `XXXX-XXXX`; some room for typing).
pub const LINK_CODE_MAX_CHARS: usize = 64;

/// The longest access code or session token a client may send.
pub const SECRET_MAX_CHARS: usize = 512;

/// Credentials are compared as sent, never shown: only their length is checked here.
fn check_length(field: &'static str, value: Option<&str>, max: usize) -> Result<(), ProtocolError> {
    match value {
        Some(value) if value.chars().count() > max => Err(ProtocolError::field(
            field,
            format!("{field} is longer than {max} characters"),
        )),
        _ => Ok(()),
    }
}

fn normalize_target(to: &mut Option<String>) -> Result<(), ProtocolError> {
    if let Some(target) = to {
        *target = normalize_email(target).map_err(|mut error| {
            error.field = Some("to");
            error.message = error.message.replacen("email", "to", 1);
            error
        })?;
    }
    Ok(())
}

fn normalize_signal(signal: &mut Signal, requires_target: bool) -> Result<(), ProtocolError> {
    normalize_target(&mut signal.to)?;
    if requires_target && signal.to.is_none() {
        return Err(ProtocolError::new(
            ErrorCode::MissingTarget,
            "this message needs a 'to' email",
        ));
    }
    Ok(())
}

/// Whether `id` is a valid `clientId`: 1 to [`CLIENT_ID_MAX_CHARS`] of `A-Z a-z 0-9 _ -`.
pub(crate) fn is_client_id(id: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-');
    !id.is_empty() && id.len() <= CLIENT_ID_MAX_CHARS && id.chars().all(allowed)
}

fn check_client_id(client_id: Option<&str>) -> Result<(), ProtocolError> {
    match client_id {
        Some(id) if !is_client_id(id) => Err(ProtocolError::field(
            "clientId",
            format!("clientId must be 1 to {CLIENT_ID_MAX_CHARS} of A-Z a-z 0-9 _ -"),
        )),
        _ => Ok(()),
    }
}

/// `"room"`, or an email in normal form; anything else names no conversation.
fn normalize_conversation(conversation: &mut Conversation) -> Result<(), ProtocolError> {
    if let Conversation::Direct(email) = conversation {
        *email = normalize_email(email).map_err(|_| ProtocolError {
            code: ErrorCode::UnknownConversation,
            message: "conversation must be \"room\" or an email of the room".into(),
            field: Some("conversation"),
        })?;
    }
    Ok(())
}

fn normalize_history(request: &mut HistoryRequest) -> Result<(), ProtocolError> {
    if let Some(conversation) = &mut request.conversation {
        normalize_conversation(conversation)?;
    }
    if request.after.is_some() && request.before.is_some() {
        return Err(ProtocolError::field(
            "before",
            "'after' and 'before' cannot be asked together",
        ));
    }
    if request.before.is_some() && request.conversation.is_none() {
        return Err(ProtocolError::field(
            "conversation",
            "'before' needs the 'conversation' it pages",
        ));
    }
    if request
        .limit
        .is_some_and(|limit| !(1..=HISTORY_PAGE_MAX).contains(&limit))
    {
        return Err(ProtocolError::field(
            "limit",
            format!("limit must be 1 to {HISTORY_PAGE_MAX}"),
        ));
    }
    Ok(())
}

fn normalize_chat(request: &mut ChatRequest) -> Result<(), ProtocolError> {
    check_chat_text(&request.text)?;
    normalize_target(&mut request.to)?;
    check_client_id(request.client_id.as_deref())
}

impl ClientMessage {
    /// The `clientId` of a `chat`, for naming it in a refusal.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            Self::Chat(request) => request.client_id.as_deref(),
            _ => None,
        }
    }

    /// Checks every field against the rules above and puts emails and rooms in normal form.
    pub fn normalize(&mut self) -> Result<(), ProtocolError> {
        if let Some((kind, signal)) = self.as_signal_mut() {
            return normalize_signal(signal, kind.requires_target());
        }
        match self {
            Self::AddUser(profile) | Self::UpdateUser(profile) => normalize_profile(profile),
            Self::Chat(request) => normalize_chat(request),
            Self::ChatHistory(request) => normalize_history(request),
            Self::ChatEdit(edit) => check_chat_text(&edit.text),
            Self::ChatRead(ReadRequest { conversation, .. }) => {
                normalize_conversation(conversation)
            }
            Self::Typing(typing) => normalize_target(&mut typing.to),
            Self::LinkDevice
            | Self::Ping
            | Self::SignOut(_)
            | Self::ChatDelete(_)
            | Self::ChatConversations => Ok(()),
            // Normalised above.
            _signal => Ok(()),
        }
    }
}
