//! What the backplane carries: the hub's side (what it hands the backplane task, what the
//! task hands it back) and the JSON the nodes publish to each other on Redis. A leaf: it
//! knows users (`shared::User`) and node ids, never the hub.

use super::config::NodeId;
use serde::{Deserialize, Serialize};
use shared::User;
use std::borrow::Cow;

/// One room's presence changes on one node since its last tick: members this node now
/// holds (their latest state) and members it no longer holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomChange {
    pub room: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upserts: Vec<User>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leaves: Vec<String>,
}

/// Everyone one node holds in one room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomState {
    pub room: String,
    pub users: Vec<User>,
}

/// Who on the receiving node gets a forwarded frame, in its room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Audience {
    /// These members' connections (a signal's target; a direct message's two people).
    Members(Vec<String>),
    /// Every registered connection but those of this email, if any (room chat, a signal
    /// to the whole room).
    RoomExcept(Option<String>),
}

/// From the hub to the backplane task.
#[derive(Debug)]
pub enum Outbound {
    /// The tick's changes of this node's members, one entry per room.
    Presence(Vec<RoomChange>),
    /// Everyone this node holds (after a reconnect, or when changes were dropped).
    Snapshot(Vec<RoomState>),
    /// A frame (its JSON text, stamped by this node, and its kind's label for the
    /// metrics) for other nodes' connections.
    Forward {
        nodes: Vec<NodeId>,
        room: String,
        audience: Audience,
        kind: &'static str,
        text: String,
    },
}

/// From the backplane task to the hub.
#[derive(Debug)]
pub enum Inbound {
    /// Another node's tick of changes.
    Presence {
        node: NodeId,
        changes: Vec<RoomChange>,
    },
    /// Everything `node` holds now, replacing what was known of it (empty: it restarted
    /// clean or stopped).
    Replace { node: NodeId, rooms: Vec<RoomState> },
    /// `node`'s lease expired: its users are gone.
    NodeGone { node: NodeId },
    /// A frame another node addressed to connections here.
    Deliver {
        room: String,
        audience: Audience,
        kind: String,
        text: String,
    },
}

/// What one node publishes on the shared presence channel (borrowed when written, so
/// that a write that fails still has its changes; owned when read).
#[derive(Debug, Serialize, Deserialize)]
pub struct PresenceEnvelope<'a> {
    pub node: String,
    #[serde(flatten)]
    pub body: PresenceBody<'a>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PresenceBody<'a> {
    Changes { changes: Cow<'a, [RoomChange]> },
    Replace { rooms: Cow<'a, [RoomState]> },
}

/// What one node publishes on another's own channel.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeliverEnvelope {
    pub room: String,
    pub audience: Audience,
    pub kind: String,
    pub text: String,
}

/// A member as kept in a node's hash in Redis (its room beside the user).
#[derive(Debug, Serialize, Deserialize)]
pub struct StoredMember {
    pub room: String,
    pub user: User,
}
