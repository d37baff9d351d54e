//! Client → server messages.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Everything a client may send. Decode with [`crate::decode_client_message`], which also
/// validates and normalises the fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ClientMessage {
    /// Register this connection as a user, or update the user's name and position. The first
    /// one binds the connection to its email for good.
    AddUser(Profile),
    /// The seed's position update; the same fields and effect as `add-user`.
    UpdateUser(Profile),
    /// A chat message to the room, or to one member with `to`.
    Chat(ChatRequest),
    /// The seed's signaling types: relayed to `to`, or without it to the rest of the room.
    Offer(Signal),
    Answer(Signal),
    SdpOffer(Signal),
    SdpAnswer(Signal),
    NewIceCandidate(Signal),
    /// Call control: each needs `to`, and is relayed like the signaling types.
    CallInvite(Signal),
    CallRinging(Signal),
    CallAccept(Signal),
    CallDecline(Signal),
    CallBusy(Signal),
    HangUp(Signal),
    /// From a signed-in device: asks for a one-time code that lets another device sign in
    /// as the same user (`linkCode` in its `add-user`).
    LinkDevice,
    /// Signs this device out (its token stops working, here and everywhere), or with
    /// `others` every other device of the user.
    SignOut(SignOutRequest),
}

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
pub struct ChatRequest {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
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
    /// The `type` tag, for logs and error frames.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::AddUser(_) => "add-user",
            Self::UpdateUser(_) => "update-user",
            Self::Chat(_) => "chat",
            Self::Offer(_) => "offer",
            Self::Answer(_) => "answer",
            Self::SdpOffer(_) => "sdp-offer",
            Self::SdpAnswer(_) => "sdp-answer",
            Self::NewIceCandidate(_) => "new-ice-candidate",
            Self::CallInvite(_) => "call-invite",
            Self::CallRinging(_) => "call-ringing",
            Self::CallAccept(_) => "call-accept",
            Self::CallDecline(_) => "call-decline",
            Self::CallBusy(_) => "call-busy",
            Self::HangUp(_) => "hang-up",
            Self::LinkDevice => "link-device",
            Self::SignOut(_) => "sign-out",
        }
    }

    /// Every `type` a client may send, for telling an unknown type from a malformed one.
    pub const TYPE_NAMES: [&'static str; 16] = [
        "add-user",
        "update-user",
        "chat",
        "offer",
        "answer",
        "sdp-offer",
        "sdp-answer",
        "new-ice-candidate",
        "call-invite",
        "call-ringing",
        "call-accept",
        "call-decline",
        "call-busy",
        "hang-up",
        "link-device",
        "sign-out",
    ];

    /// The signaling part of a relayed message, if it is one.
    pub fn signal(&self) -> Option<&Signal> {
        match self {
            Self::Offer(s)
            | Self::Answer(s)
            | Self::SdpOffer(s)
            | Self::SdpAnswer(s)
            | Self::NewIceCandidate(s)
            | Self::CallInvite(s)
            | Self::CallRinging(s)
            | Self::CallAccept(s)
            | Self::CallDecline(s)
            | Self::CallBusy(s)
            | Self::HangUp(s) => Some(s),
            _ => None,
        }
    }

    /// Whether the type needs a `to`: call control always does; the seed's signaling types
    /// may go to the whole room.
    pub fn requires_target(&self) -> bool {
        matches!(
            self,
            Self::CallInvite(_)
                | Self::CallRinging(_)
                | Self::CallAccept(_)
                | Self::CallDecline(_)
                | Self::CallBusy(_)
                | Self::HangUp(_)
        )
    }
}
