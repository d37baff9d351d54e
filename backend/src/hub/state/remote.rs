//! The hub's side of the backplane (`--redis`): this node's own presence changes gathered
//! between ticks and handed over once per tick (or whole when the backplane asks), frames
//! for members on other nodes forwarded, and what other nodes send applied: their ticks
//! merged into the rooms' next tick, their frames queued to the connections here. On a
//! node alone (`backplane` is `None`) every method returns at its first line.

use super::State;
use crate::backplane::{Audience, Backplane, Inbound, NodeId, Outbound, RoomChange, RoomState};
use crate::frame::{Frame, FrameKind, Own};
use crate::hub::names::{ConnId, Name};

impl State {
    /// Notes that `email`'s presence in `room` changed here, for the next tick's message.
    pub(super) fn note_local(&mut self, room: &Name, email: &Name) {
        if self.backplane.is_some() {
            let emails = self.local_changes.entry(Name::clone(room)).or_default();
            emails.insert(Name::clone(email));
        }
    }

    /// Whether no change waits for the backplane (always, on a node alone).
    #[cfg(test)]
    pub fn local_changes_are_empty(&self) -> bool {
        self.local_changes.is_empty()
    }

    /// Once per tick: this node's changes since the last, one entry per room, or its
    /// whole presence if the backplane asked for it.
    pub(super) fn publish_local(&mut self) {
        let Some(backplane) = &self.backplane else {
            return;
        };
        if backplane.take_resync() {
            self.local_changes.clear();
            let rooms = self
                .rooms
                .iter()
                .map(|(room, members)| RoomState {
                    room: room.to_string(),
                    users: members.local_users(),
                })
                .filter(|room| !room.users.is_empty())
                .collect();
            backplane.send(Outbound::Snapshot(rooms));
            return;
        }
        if self.local_changes.is_empty() {
            return;
        }
        let mut changes = Vec::with_capacity(self.local_changes.len());
        for (room, emails) in std::mem::take(&mut self.local_changes) {
            let held = self.rooms.get(&room);
            let mut change = RoomChange {
                room: room.to_string(),
                upserts: Vec::new(),
                leaves: Vec::new(),
            };
            for email in emails {
                match held.and_then(|members| members.local_user(&email)) {
                    Some(user) => change.upserts.push(user),
                    None => change.leaves.push(email.to_string()),
                }
            }
            changes.push(change);
        }
        backplane.send(Outbound::Presence(changes));
    }

    /// Forwards `frame` (stamped here) to the other nodes holding its `audience` in `room`.
    pub(super) fn forward(&self, room: &str, audience: Audience, frame: &Frame) {
        let Some(backplane) = &self.backplane else {
            return;
        };
        let nodes = self.remote_nodes_for(room, &audience);
        forward_through(backplane, nodes, room, audience, frame);
    }

    /// The other nodes holding `audience` in `room` (none on a node alone).
    pub(super) fn remote_nodes_for(&self, room: &str, audience: &Audience) -> Vec<NodeId> {
        let Some(members) = self.rooms.get(room).filter(|_| self.backplane.is_some()) else {
            return Vec::new();
        };
        match audience {
            Audience::Members(emails) => {
                let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
                members.remote_nodes_of(&emails)
            }
            Audience::RoomExcept(_) => members.remote_nodes(),
        }
    }

    /// Applies what another node sent.
    pub fn apply_remote(&mut self, inbound: Inbound) {
        match inbound {
            Inbound::Presence { node, changes } => {
                for change in changes {
                    self.apply_change(&node, change);
                }
            }
            Inbound::Replace { node, rooms } => {
                // In one lock: a member still held after the replacement never leaves.
                let _ = self.drop_node(&node);
                for room in rooms {
                    let change = RoomChange {
                        room: room.room,
                        upserts: room.users,
                        leaves: Vec::new(),
                    };
                    self.apply_change(&node, change);
                }
            }
            Inbound::NodeGone { node } => {
                let rooms = self.drop_node(&node);
                log::info!("backplane: node {node} is gone: its members left {rooms} rooms here");
            }
            Inbound::Deliver {
                room,
                audience,
                kind,
                text,
            } => self.deliver(&room, &audience, &kind, &text),
        }
    }

    fn apply_change(&mut self, node: &NodeId, change: RoomChange) {
        let (name, room) = self.room_entry(&change.room);
        let mut held = Vec::new();
        let mut released = Vec::new();
        for user in change.upserts {
            held.extend(room.upsert_remote(node, user));
        }
        for email in &change.leaves {
            if room.remove_remote(node, email) {
                released.push(Name::from(email.as_str()));
            }
        }
        if room.has_pending() {
            self.dirty_rooms.insert(name);
        } else if room.is_unused() {
            self.rooms.remove(&name);
        }
        for email in held {
            *self.remote_emails.entry(email).or_default() += 1;
        }
        self.release_remote(released);
    }

    /// Other nodes no longer hold each of `emails` in one room (once per room).
    fn release_remote(&mut self, emails: Vec<Name>) {
        for email in emails {
            if let Some(rooms) = self.remote_emails.get_mut(&email) {
                *rooms -= 1;
                if *rooms == 0 {
                    self.remote_emails.remove(&email);
                }
            }
        }
    }

    /// Drops every member `node` held; returns in how many rooms.
    fn drop_node(&mut self, node: &NodeId) -> usize {
        let mut changed = 0;
        let mut released = Vec::new();
        for (name, room) in &mut self.rooms {
            let gone = room.drop_node(node);
            if !gone.is_empty() {
                self.dirty_rooms.insert(Name::clone(name));
                changed += 1;
                released.extend(gone);
            }
        }
        self.release_remote(released);
        changed
    }

    /// Queues a frame another node forwarded to its audience's connections here.
    fn deliver(&self, room: &str, audience: &Audience, kind: &str, text: &str) {
        let Some(members) = self.rooms.get(room) else {
            return;
        };
        let recipients: Vec<ConnId> = match audience {
            Audience::Members(emails) => emails
                .iter()
                .filter_map(|email| members.connections_of(email))
                .flatten()
                .copied()
                .collect(),
            Audience::RoomExcept(except) => members
                .registered_connections()
                .filter(|(email, _)| Some(*email) != except.as_deref())
                .map(|(_, c)| c)
                .collect(),
        };
        if !recipients.is_empty() {
            // Counted by its own kind: the label the sender's node gave (a fixed set).
            let kind = FrameKind::all()
                .find(|known| known.label() == kind)
                .unwrap_or(FrameKind::Own(Own::Signal));
            let frame = Frame::written(kind, |out| out.extend_from_slice(text.as_bytes()));
            self.connections.send_to_all(recipients, &frame);
        }
    }
}

/// Sends `frame` to `nodes` through `backplane` (the relay's path, which holds the
/// backplane beside a room it borrows).
pub(super) fn forward_through(
    backplane: &Backplane,
    nodes: Vec<NodeId>,
    room: &str,
    audience: Audience,
    frame: &Frame,
) {
    if nodes.is_empty() {
        return;
    }
    backplane.send(Outbound::Forward {
        nodes,
        room: room.to_owned(),
        audience,
        kind: frame.kind().label(),
        text: frame.payload().to_owned(),
    });
}
