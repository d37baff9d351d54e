//! Client → server messages.

use crate::chat::{DeleteRequest, EditRequest, HistoryRequest, ReadRequest, TypingRequest};
use crate::signal::{SignalKind, with_signal_kinds};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// Builds [`ClientMessage`] from its own variants, each `Variant(Payload) = "type"`, and the
/// relayed types of [`with_signal_kinds!`], each carrying a [`Signal`].
macro_rules! client_message {
    ({ $($(#[$doc:meta])* $variant:ident $(($payload:ty))? = $tag:literal,)* }
     may_broadcast: [$($broadcast:ident = $broadcast_tag:literal,)*]
     needs_target: [$($targeted:ident = $targeted_tag:literal,)*]) => {
        /// Everything a client may send. Decode with [`crate::decode_client_message`], which
        /// also validates and normalises the fields.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type")]
        pub enum ClientMessage {
            $($(#[$doc])* #[serde(rename = $tag)] $variant $(($payload))?,)*
            $(
                /// Signaling, relayed to `to` or without it to the rest of the room.
                #[serde(rename = $broadcast_tag)]
                $broadcast(Signal),
            )*
            $(
                /// Call control, relayed to `to`, which it needs.
                #[serde(rename = $targeted_tag)]
                $targeted(Signal),
            )*
        }

        impl ClientMessage {
            /// Every `type` a client may send, for telling an unknown type from a malformed one.
            pub const TYPE_NAMES: [&'static str; [$($tag,)* $($broadcast_tag,)* $($targeted_tag,)*].len()] =
                [$($tag,)* $($broadcast_tag,)* $($targeted_tag,)*];

            /// The `type` tag, for logs and error frames.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => $tag,)*
                    $(Self::$broadcast(_) => $broadcast_tag,)*
                    $(Self::$targeted(_) => $targeted_tag,)*
                }
            }

            /// The kind and the signal of a relayed message, if it is one.
            pub fn as_signal(&self) -> Option<(SignalKind, &Signal)> {
                match self {
                    $(Self::$broadcast(signal) => Some((SignalKind::$broadcast, signal)),)*
                    $(Self::$targeted(signal) => Some((SignalKind::$targeted, signal)),)*
                    $(Self::$variant { .. } => None,)*
                }
            }

            pub(crate) fn as_signal_mut(&mut self) -> Option<(SignalKind, &mut Signal)> {
                match self {
                    $(Self::$broadcast(signal) => Some((SignalKind::$broadcast, signal)),)*
                    $(Self::$targeted(signal) => Some((SignalKind::$targeted, signal)),)*
                    $(Self::$variant { .. } => None,)*
                }
            }

            /// The message as a signal to relay, or itself if it is none.
            // Handed back as it is: moving it costs less than boxing it would.
            #[allow(clippy::result_large_err)]
            pub fn into_signal(self) -> Result<SignalMessage, Self> {
                match self {
                    $(Self::$broadcast(signal) => Ok(SignalMessage { kind: SignalKind::$broadcast, signal }),)*
                    $(Self::$targeted(signal) => Ok(SignalMessage { kind: SignalKind::$targeted, signal }),)*
                    other => Err(other),
                }
            }

            /// Reads the fields of the message tagged `tag` from `fields` and drops them:
            /// the decoder's error path, to learn which field serde refuses. `None` for a
            /// `type` no message has.
            pub(crate) fn read_fields<'de, D: Deserializer<'de>>(
                tag: &str,
                fields: D,
            ) -> Option<Result<(), D::Error>> {
                match tag {
                    $($tag => Some(<payload_or_nothing!($($payload)?)>::deserialize(fields).map(drop)),)*
                    $($broadcast_tag)|* | $($targeted_tag)|* => Some(Signal::deserialize(fields).map(drop)),
                    _ => None,
                }
            }
        }
    };
}

/// The type a variant carries, or for one that carries nothing, whatever its fields are.
macro_rules! payload_or_nothing {
    () => {
        serde::de::IgnoredAny
    };
    ($payload:ty) => {
        $payload
    };
}

with_signal_kinds!(client_message! {
    /// Register this connection as a user, or update the user's name and position. The first
    /// one binds the connection to its email for good.
    AddUser(Profile) = "add-user",
    /// The seed's position update; the same fields and effect as `add-user`.
    UpdateUser(Profile) = "update-user",
    /// A chat message to the room, or to one member of the room (online or not) with `to`;
    /// with a `clientId`, acknowledged once stored.
    Chat(ChatRequest) = "chat",
    /// A page of a conversation's history, or every change since a cursor.
    ChatHistory(HistoryRequest) = "chat-history",
    /// New text for one's own message, within the edit window.
    ChatEdit(EditRequest) = "chat-edit",
    /// Deletes one's own message, within the edit window.
    ChatDelete(DeleteRequest) = "chat-delete",
    /// The reader has seen a conversation up to a message.
    ChatRead(ReadRequest) = "chat-read",
    /// "I am typing", relayed to the conversation's online members, never stored.
    Typing(TypingRequest) = "typing",
    /// Asks for the list of the user's conversations in the room.
    ChatConversations = "chat-conversations",
    /// From a signed-in device: asks for a one-time code that lets another device sign in
    /// as the same user (`linkCode` in its `add-user`).
    LinkDevice = "link-device",
    /// Signs this device out (its token stops working, here and everywhere), or with
    /// `others` every other device of the user.
    SignOut(SignOutRequest) = "sign-out",
    /// The client's heartbeat: the server answers `pong` at once. Browsers cannot send
    /// WebSocket pings, nor see the server's, so the app proves the link alive with this.
    Ping = "ping",
});

/// Who the sender is and where. `isConnected` is accepted for the seed's sake and ignored:
/// presence follows open connections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_connected: Option<bool>,
    /// Whether the user is in a call now; left out, it stays as it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_call: Option<bool>,
    /// The room to join; only before the connection has registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// The deployment's access code, when it has one; read only when registering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_code: Option<String>,
    /// The session token of an earlier `welcome`: needed to register while the email is
    /// online on another connection; read only when registering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// A one-time code from a signed-in device of this email (`device-link`): adds this
    /// device to the user's; read only when registering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_code: Option<String>,
}

/// Which devices `sign-out` signs out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SignOutRequest {
    /// Every other device of the user (a lost phone), keeping this one; by default only
    /// this one.
    #[serde(default)]
    pub others: bool,
}

/// A chat message as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatRequest {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The sender's own id for the message: a repeat of it is acked, not stored again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// A signaling or call-control frame: an optional target and an opaque payload (SDP, ICE
/// candidate, call id...) that the server relays without reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(flatten)]
    pub payload: Map<String, Value>,
}

impl ClientMessage {
    /// The signaling part of a relayed message, if it is one.
    pub fn signal(&self) -> Option<&Signal> {
        self.as_signal().map(|(_, signal)| signal)
    }

    /// Whether the type needs a `to` ([`SignalKind::requires_target`]).
    pub fn requires_target(&self) -> bool {
        self.as_signal()
            .is_some_and(|(kind, _)| kind.requires_target())
    }
}

/// A signaling or call-control message: what the relay takes, so that it can be handed
/// nothing else.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalMessage {
    pub kind: SignalKind,
    pub signal: Signal,
}

impl Signal {
    /// The fields of a signal besides its payload: serde reads a struct with a flattened
    /// map as a map, without naming its fields.
    pub(crate) const FIELDS: &'static [&'static str] = &["to"];
}
