//! Chat and signaling routing: from a registered sender to one member of its room, or to
//! the rest of the room, stamped with the sender's identity.

use crate::hub::{ConnId, Frame, Hub, Name, State, mismatch, now_ms};
use serde_json::Value;
use shared::{ChatDelivery, ChatRequest, ClientMessage, ErrorCode, ProtocolError, ServerMessage};

/// Who sent a frame, as the hub knows it: never as the frame claims.
struct Sender {
    email: Name,
    room: Name,
}

impl Hub {
    /// Delivers a chat message to the room, or with `to` to that member only; either way
    /// the sender's own tabs get it too, stamped with its id and time.
    pub fn chat(&self, id: ConnId, request: ChatRequest) -> Result<(), ProtocolError> {
        let mut state = self.lock();
        let sender = state.registered_sender(id)?;
        let room = state.rooms.get(&sender.room).ok_or_else(not_registered)?;
        let name = room
            .members
            .get(&sender.email)
            .map(|m| m.user.name.clone())
            .unwrap_or_default();
        let recipients: Vec<ConnId> = match &request.to {
            Some(target) => {
                let target_connections = room
                    .members
                    .get(target.as_str())
                    .map(|m| m.connections.clone())
                    .ok_or_else(|| offline(target))?;
                let own = room
                    .members
                    .get(&sender.email)
                    .map(|m| m.connections.clone());
                target_connections
                    .into_iter()
                    .chain(own.into_iter().flatten())
                    .collect()
            }
            None => room.registered_connections().map(|(_, c)| c).collect(),
        };
        let delivery = ChatDelivery {
            id: state.next_chat_id,
            from: sender.email.to_string(),
            name,
            text: request.text,
            to: request.to,
            sent_at: now_ms(),
        };
        state.next_chat_id += 1;
        let frame = Frame::message(&ServerMessage::Chat(delivery));
        state.send_to_all(&dedup(recipients), frame);
        Ok(())
    }

    /// Relays a signaling or call-control frame. With `to`, only that member's connections
    /// in the room receive it; without, every other member's. The payload is not parsed,
    /// only checked for a claimed identity that is not the sender's.
    pub fn relay(&self, id: ConnId, message: ClientMessage) -> Result<(), ProtocolError> {
        let state = self.lock();
        let sender = state.registered_sender(id)?;
        let Some(signal) = message.signal() else {
            return Err(ProtocolError::new(
                ErrorCode::Internal,
                "not a signaling message",
            ));
        };
        if claims_another_identity(&signal.payload, &sender.email) {
            return Err(mismatch(&sender.email));
        }
        let room = state.rooms.get(&sender.room).ok_or_else(not_registered)?;
        let recipients: Vec<ConnId> = match &signal.to {
            Some(target) => room
                .members
                .get(target.as_str())
                .map(|m| m.connections.iter().copied().filter(|c| *c != id).collect())
                .ok_or_else(|| offline(target))?,
            None => room
                .registered_connections()
                .filter(|(email, _)| **email != *sender.email)
                .map(|(_, c)| c)
                .collect(),
        };
        let Some(relayed) = ServerMessage::relayed(message, &sender.email) else {
            return Err(ProtocolError::new(
                ErrorCode::Internal,
                "not a signaling message",
            ));
        };
        state.send_to_all(&recipients, Frame::message(&relayed));
        Ok(())
    }
}

/// Payload fields a client could read as the sender's identity. The server stamps `from`
/// itself; any of these that is not exactly the sender's email, of whatever JSON type (an
/// array, an object, a number), is refused rather than relayed.
const IDENTITY_FIELDS: [&str; 9] = [
    "from",
    "email",
    "sender",
    "senderEmail",
    "fromEmail",
    "user",
    "userEmail",
    "author",
    "identity",
];

/// Whether the payload claims an identity other than `sender`'s.
fn claims_another_identity(payload: &serde_json::Map<String, Value>, sender: &str) -> bool {
    IDENTITY_FIELDS
        .iter()
        .any(|field| match payload.get(*field) {
            None => false,
            Some(Value::String(claimed)) => claimed.trim().to_lowercase() != sender,
            Some(_) => true,
        })
}

impl State {
    fn registered_sender(&self, id: ConnId) -> Result<Sender, ProtocolError> {
        let connection = self.connections.get(&id).ok_or_else(not_registered)?;
        let email = connection.email.clone().ok_or_else(not_registered)?;
        Ok(Sender {
            email,
            room: Name::clone(&connection.room),
        })
    }
}

fn dedup(mut ids: Vec<ConnId>) -> Vec<ConnId> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn not_registered() -> ProtocolError {
    ProtocolError::new(
        ErrorCode::NotRegistered,
        "send add-user before chat or signaling",
    )
}

fn offline(target: &str) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::TargetOffline,
        format!("{target} is not online in this room"),
    )
}
