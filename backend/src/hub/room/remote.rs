//! A room's members held by other nodes (the backplane, `--redis`): upserted and removed
//! as those nodes' ticks say, dropped all at once when a node is gone. A member is in the
//! room while a connection here or another node holds them; the room's ticks, lists and
//! welcomes show them like everyone else. This node's own members, for the backplane.

use super::{Change, Member, Room};
use crate::backplane::NodeId;
use crate::hub::names::Name;
use shared::User;

impl Room {
    /// `node` holds `user` in this room now (their latest state); their email when no
    /// other node held them here before.
    pub fn upsert_remote(&mut self, node: &NodeId, user: User) -> Option<Name> {
        let email = Name::from(user.email.as_str());
        let joins = !self.members.contains_key(&email);
        let member = self.members.get_or_insert_with(Name::clone(&email), || {
            Box::new(Member::new(
                user.name.clone(),
                user.latitude.zip(user.longitude),
                user.in_call,
            ))
        });
        let newly_held = member.remote.is_none().then(|| Name::clone(&email));
        let held = member.remote.as_deref().unwrap_or_default();
        if !held.contains(node) {
            let mut nodes = held.to_vec();
            nodes.push(node.clone());
            member.remote = Some(nodes.into_boxed_slice());
        }
        let position = user.latitude.zip(user.longitude);
        let profile_changed = member.name != user.name || member.in_call != user.in_call;
        let moved = member.position != position;
        member.name = user.name;
        member.in_call = user.in_call;
        member.position = position;
        let change = match (joins, profile_changed, moved) {
            (true, _, _) => Change::Membership,
            (false, true, _) => Change::Profile,
            (false, false, true) => Change::Position,
            (false, false, false) => return newly_held,
        };
        self.mark(&email, change);
        newly_held
    }

    /// `node` no longer holds `email` here; the member leaves if nobody else holds them.
    /// True when `node` was the last other node holding them here.
    pub fn remove_remote(&mut self, node: &NodeId, email: &str) -> bool {
        let Some(member) = self.members.get_mut(email) else {
            return false;
        };
        let Some(held) = &member.remote else {
            return false;
        };
        let nodes: Vec<NodeId> = held.iter().filter(|n| *n != node).cloned().collect();
        member.remote = (!nodes.is_empty()).then(|| nodes.into_boxed_slice());
        let released = member.remote.is_none();
        if member.connections.is_empty() && released {
            let email = Name::from(email);
            if let Some(left) = self.members.remove(&email) {
                self.mark_left(&email, left.seen);
            }
        }
        released
    }

    /// Drops every member `node` held; returns those no other node holds here any more
    /// (empty when nobody's presence changed).
    pub fn drop_node(&mut self, node: &NodeId) -> Vec<Name> {
        let held: Vec<Name> = self
            .members
            .iter()
            .filter(|(_, member)| member.remote.as_ref().is_some_and(|n| n.contains(node)))
            .map(|(email, _)| Name::clone(email))
            .collect();
        held.into_iter()
            .filter(|email| self.remove_remote(node, email))
            .collect()
    }

    /// The other nodes holding any of `emails` here.
    pub fn remote_nodes_of(&self, emails: &[&str]) -> Vec<NodeId> {
        let mut nodes = Vec::new();
        for email in emails {
            let held = self.members.get(*email).and_then(|m| m.remote.as_deref());
            for node in held.into_iter().flatten() {
                if !nodes.contains(node) {
                    nodes.push(node.clone());
                }
            }
        }
        nodes
    }

    /// Every other node holding someone here.
    pub fn remote_nodes(&self) -> Vec<NodeId> {
        let mut nodes: Vec<NodeId> = Vec::new();
        for held in self.members.values().filter_map(|m| m.remote.as_deref()) {
            for node in held {
                if !nodes.contains(node) {
                    nodes.push(node.clone());
                }
            }
        }
        nodes
    }

    /// The user registered as `email` if a connection here holds them.
    pub fn local_user(&self, email: &str) -> Option<User> {
        let member = self.members.get(email)?;
        (!member.connections.is_empty()).then(|| member.user(email))
    }

    /// Everyone a connection here holds.
    pub fn local_users(&self) -> Vec<User> {
        self.members
            .iter()
            .filter(|(_, member)| !member.connections.is_empty())
            .map(|(email, member)| member.user(email))
            .collect()
    }
}
