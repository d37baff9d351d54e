//! Chat's routing, for messages the store has taken: who may send (checked and charged
//! before the store is asked), and who gets a stored message, a receipt, a read marker or
//! a typing hint: the conversation's online connections in the sender's room only.

use super::State;
use super::routing::{Sender, not_registered, passes};
use crate::admission::budget::{FanOut, Passes};
use crate::backplane::Audience;
use crate::frame::Frame;
use crate::hub::names::{ChatSender, ConnId, Name};
use crate::hub::room::Room;
use shared::{ChatRequest, ProtocolError, ServerMessage, TypingNotice};
use tokio::time::Instant;

/// A `chat` frame's bytes besides its text, emails, name and client id: what the fan-out
/// budget is charged before the frame exists (its id and time are the store's).
const CHAT_FRAME_OVERHEAD: usize = 112;

impl State {
    /// Checks that the connection may send `request` now and charges its fan-out (the
    /// frame's size, estimated, times its recipients online) and the room's or the
    /// recipient's budget. A direct message's recipient need not be online.
    pub fn check_chat(
        &mut self,
        id: ConnId,
        request: &ChatRequest,
        fan_out: &mut FanOut,
    ) -> Result<ChatSender, ProtocolError> {
        let Sender { email, room } = self.registered_sender(id)?;
        let members = self.rooms.get_mut(&room).ok_or_else(not_registered)?;
        let name = members.name_of(&email).unwrap_or_default().to_owned();
        let own = members.connections_of(&email).map_or(0, <[ConnId]>::len);
        let target = request.to.as_deref();
        let online = target
            .and_then(|to| members.connections_of(to))
            .map(<[ConnId]>::len);
        let recipients = match (target, online) {
            (None, _) => members.registered_connections().count(),
            (Some(to), Some(theirs)) if to != &*email => own + theirs,
            (Some(_), _) => own,
        };
        let bytes = CHAT_FRAME_OVERHEAD
            + request.text.len()
            + 2 * email.len()
            + name.len()
            + request.client_id.as_deref().map_or(0, str::len);
        let passes = match (target, online) {
            (Some(_), None) => Passes::NobodyElse,
            _ => passes(members, target)?,
        };
        fan_out.charge(bytes, recipients, passes, Instant::now())?;
        Ok(ChatSender {
            room,
            email,
            name,
            to_online: online.is_some(),
        })
    }

    /// Queues `frame` to the online connections of a conversation in `room`: the room's
    /// registered connections, or with `to` those of `from` and `to`. Returns how many
    /// of `to`'s connections it reached.
    pub fn send_to_conversation(
        &self,
        room: &str,
        from: &str,
        to: Option<&str>,
        frame: &Frame,
    ) -> usize {
        let Some(members) = self.rooms.get(room) else {
            return 0;
        };
        let Some(to) = to else {
            self.send_to_room_chat(room, frame);
            return 0;
        };
        let theirs = members.connections_of(to).unwrap_or_default();
        self.connections.send_to_all(theirs.iter().copied(), frame);
        if from != to {
            let own = members.connections_of(from).unwrap_or_default();
            self.connections.send_to_all(own.iter().copied(), frame);
        }
        if self.backplane.is_some() {
            let people = match from == to {
                true => vec![to.to_owned()],
                false => vec![to.to_owned(), from.to_owned()],
            };
            self.forward(room, Audience::Members(people), frame);
        }
        theirs.len()
    }

    /// Queues `frame` to every registered connection of `room`: the room's conversation.
    pub fn send_to_room_chat(&self, room: &str, frame: &Frame) {
        if let Some(members) = self.rooms.get(room) {
            let everyone = members.registered_connections().map(|(_, c)| c);
            self.connections.send_to_all(everyone, frame);
            self.forward(room, Audience::RoomExcept(None), frame);
        }
    }

    /// Queues `frame` to `email`'s connections in `room`, but `except`.
    pub fn send_to_member(&self, room: &str, email: &str, frame: &Frame, except: Option<ConnId>) {
        let Some(connections) = self.rooms.get(room).and_then(|r| r.connections_of(email)) else {
            return;
        };
        let others = connections.iter().copied().filter(|c| Some(*c) != except);
        self.connections.send_to_all(others, frame);
    }

    /// Queues one frame for one connection.
    pub fn send_to_connection(&self, id: ConnId, frame: Frame) {
        self.connections.send(id, frame);
    }

    /// Relays "typing" to the conversation's online members, the sender's own connections
    /// aside; nothing when the recipient of a direct one is offline.
    pub fn typing(
        &mut self,
        id: ConnId,
        to: Option<String>,
        fan_out: &mut FanOut,
    ) -> Result<(), ProtocolError> {
        let Sender { email, room } = self.registered_sender(id)?;
        let members = self.rooms.get_mut(&room).ok_or_else(not_registered)?;
        let recipients = typing_recipients(members, &email, to.as_deref());
        if recipients.is_empty() {
            return Ok(());
        }
        let notice = TypingNotice {
            from: email.to_string(),
            name: members.name_of(&email).unwrap_or_default().to_owned(),
            to: to.clone(),
        };
        let frame = Frame::message(&ServerMessage::Typing(notice));
        let passes = passes(members, to.as_deref())?;
        fan_out.charge(frame.len(), recipients.len(), passes, Instant::now())?;
        self.connections.send_to_all(recipients, &frame);
        Ok(())
    }

    /// The room, email and name a registered connection is known by.
    pub fn member_of(&self, id: ConnId) -> Option<(Name, Name, String)> {
        let Sender { email, room } = self.registered_sender(id).ok()?;
        let name = self.rooms.get(&room)?.name_of(&email)?.to_owned();
        Some((room, email, name))
    }
}

fn typing_recipients(room: &Room, sender: &str, to: Option<&str>) -> Vec<ConnId> {
    match to {
        Some(to) if to != sender => room.connections_of(to).unwrap_or_default().to_vec(),
        Some(_) => Vec::new(),
        None => room
            .registered_connections()
            .filter(|(email, _)| *email != sender)
            .map(|(_, c)| c)
            .collect(),
    }
}
