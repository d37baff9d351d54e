//! Signaling routing: from a registered sender to one member of its room, or to the rest
//! of the room, stamped with the sender's identity, within the fan-out budgets: the
//! sender's (bytes times recipients), and the room's broadcasts or the target's inbound
//! bytes. Who a sender is, for chat too (`chat.rs`).

use super::remote::forward_through;
use super::{State, mismatch};
use crate::admission::budget::{FanOut, Passes};
use crate::backplane::Audience;
use crate::frame::{Frame, FrameKind};
use crate::hub::connections::Connections;
use crate::hub::names::{ConnId, Name};
use crate::hub::room::Room;
use shared::{ErrorCode, ProtocolError, RawSignal};
use smallvec::SmallVec;
use tokio::time::Instant;

/// Who sent a frame, as the hub knows it: never as the frame claims.
pub(super) struct Sender {
    pub email: Name,
    pub room: Name,
}

impl State {
    /// Relays a signaling or call-control frame. With `to`, only that member's connections
    /// in the room receive it; without, every other member's. The payload is not parsed,
    /// only checked for a claimed identity that is not the sender's; the frame relayed is
    /// the sender's bytes with the stamp spliced in. Charged to `fan_out` before anything
    /// is queued.
    pub fn relay(
        &mut self,
        id: ConnId,
        signal: &RawSignal<'_>,
        fan_out: &mut FanOut,
        now: Instant,
    ) -> Result<(), ProtocolError> {
        // The sender's names borrowed from its connection, beside the room borrowed
        // mutably: nothing is cloned per relayed frame.
        let Self {
            connections,
            rooms,
            backplane,
            ..
        } = self;
        let (email, room_name) = names_of_sender(connections, id)?;
        if claims_another_identity(signal, email) {
            return Err(mismatch(email));
        }
        let target = signal.to();
        let room = rooms.get_mut(room_name).ok_or_else(not_registered)?;
        // Inline for a call's few tabs: no allocation per relayed frame.
        let recipients: SmallVec<[ConnId; 4]> = match target {
            Some(target) => room
                .connections_of(target)
                .map(|connections| connections.iter().copied().filter(|c| *c != id).collect())
                .ok_or_else(|| offline(target))?,
            None => room
                .registered_connections()
                .filter(|(member, _)| **member != **email)
                .map(|(_, c)| c)
                .collect(),
        };
        // Other nodes holding the target (or anyone, without one): one copy to each.
        let remote = backplane.as_ref().map(|backplane| match target {
            Some(target) => (
                backplane,
                room.remote_nodes_of(&[target]),
                Audience::Members(vec![target.to_owned()]),
            ),
            None => (
                backplane,
                room.remote_nodes(),
                Audience::RoomExcept(Some(email.to_string())),
            ),
        });
        let remote_nodes = remote.as_ref().map_or(0, |(_, nodes, _)| nodes.len());
        let kind = FrameKind::Relayed(signal.kind());
        let frame = Frame::written(kind, |out| signal.write_relayed(email, out));
        let passes = passes(room, target)?;
        fan_out.charge(frame.len(), recipients.len() + remote_nodes, passes, now)?;
        connections.send_to_all(recipients, &frame);
        if let Some((backplane, nodes, audience)) = remote {
            forward_through(backplane, nodes, room_name, audience, &frame);
        }
        Ok(())
    }

    pub(super) fn registered_sender(&self, id: ConnId) -> Result<Sender, ProtocolError> {
        let (email, room) = names_of_sender(&self.connections, id)?;
        Ok(Sender {
            email: Name::clone(email),
            room: Name::clone(room),
        })
    }
}

/// The email and the room of a registered connection, borrowed.
fn names_of_sender(connections: &Connections, id: ConnId) -> Result<(&Name, &Name), ProtocolError> {
    let connection = connections.get(id).ok_or_else(not_registered)?;
    let email = connection.email().ok_or_else(not_registered)?;
    Ok((email, connection.room()))
}

/// Whether the payload claims an identity other than `sender`'s: any of the identity
/// fields ([`shared::IDENTITY_FIELDS`]), each time it is written, of whatever JSON type, that
/// is not exactly the sender's email is refused rather than relayed.
fn claims_another_identity(signal: &RawSignal<'_>, sender: &str) -> bool {
    signal
        .claimed_identities()
        .any(|claim| claim.is_none_or(|claimed| claimed.trim().to_lowercase() != sender))
}

/// The room's budget a frame to `target` (or, without one, to the room) passes through.
pub(super) fn passes<'a>(
    room: &'a mut Room,
    target: Option<&'a str>,
) -> Result<Passes<'a>, ProtocolError> {
    room.passes(target)
        .ok_or_else(|| offline(target.unwrap_or_default()))
}

pub(super) fn not_registered() -> ProtocolError {
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
