//! Chat and signaling routing: from a registered sender to one member of its room, or to
//! the rest of the room, stamped with the sender's identity, within the fan-out budgets:
//! the sender's (bytes times recipients), and the room's broadcasts or the target's
//! inbound bytes.

use crate::admission::budget::{FanOut, Passes};
use crate::hub::{ConnId, Frame, Hub, Name, State, mismatch, now_ms};
use crate::room::Room;
use serde_json::Value;
use shared::{ChatDelivery, ChatRequest, ClientMessage, ErrorCode, ProtocolError, ServerMessage};
use tokio::time::Instant;

/// Who sent a frame, as the hub knows it: never as the frame claims.
struct Sender {
    email: Name,
    room: Name,
}

impl Hub {
    /// Delivers a chat message to the room, or with `to` to that member only; either way
    /// the sender's own tabs get it too, stamped with its id and time. Charged to
    /// `fan_out` before anything is queued.
    pub(crate) fn chat(
        &self,
        id: ConnId,
        request: ChatRequest,
        fan_out: &mut FanOut,
    ) -> Result<(), ProtocolError> {
        let mut state = self.lock();
        let sender = state.registered_sender(id)?;
        let State {
            rooms,
            next_chat_id,
            ..
        } = &mut *state;
        let room = rooms.get_mut(&sender.room).ok_or_else(not_registered)?;
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
        let recipients = dedup(recipients);
        let target = request.to.clone();
        let delivery = ChatDelivery {
            id: *next_chat_id,
            from: sender.email.to_string(),
            name,
            text: request.text,
            to: request.to,
            sent_at: now_ms(),
        };
        let frame = Frame::message(&ServerMessage::Chat(delivery));
        let passes = passes(room, target.as_deref())?;
        fan_out.charge(frame.len(), recipients.len(), passes, Instant::now())?;
        *next_chat_id += 1;
        state.send_to_all(&recipients, frame);
        Ok(())
    }

    /// Relays a signaling or call-control frame. With `to`, only that member's connections
    /// in the room receive it; without, every other member's. The payload is not parsed,
    /// only checked for a claimed identity that is not the sender's. Charged to `fan_out`
    /// before anything is queued.
    pub(crate) fn relay(
        &self,
        id: ConnId,
        message: ClientMessage,
        fan_out: &mut FanOut,
    ) -> Result<(), ProtocolError> {
        let mut state = self.lock();
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
        let target = signal.to.clone();
        let room = state
            .rooms
            .get_mut(&sender.room)
            .ok_or_else(not_registered)?;
        let recipients: Vec<ConnId> = match &target {
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
        let frame = Frame::message(&relayed);
        let passes = passes(room, target.as_deref())?;
        fan_out.charge(frame.len(), recipients.len(), passes, Instant::now())?;
        state.send_to_all(&recipients, frame);
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

/// The room's budget a frame to `target` (or, without one, to the room) passes through.
fn passes<'a>(room: &'a mut Room, target: Option<&'a str>) -> Result<Passes<'a>, ProtocolError> {
    match target {
        Some(target) => match room.members.get_mut(target) {
            Some(member) => Ok(Passes::DirectedTo(target, &mut member.inbound_budget)),
            None => Err(offline(target)),
        },
        None => Ok(Passes::RoomBroadcast(&mut room.broadcast_budget)),
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
