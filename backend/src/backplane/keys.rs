//! The names of everything meetmap keeps in Redis, written once: the set of nodes, each
//! node's lease and members' hash, the shared presence channel and each node's own channel.

use super::config::NodeId;

/// Every node that joined and was not yet judged gone.
pub const NODES: &str = "meetmap:nodes";
/// Every node's presence changes, published once per tick per node.
pub const PRESENCE_CHANNEL: &str = "meetmap:presence";

/// A node's lease: set with a time to live, renewed while the node lives.
pub fn lease(node: &NodeId) -> String {
    format!("meetmap:lease:{node}")
}

/// A node's members: one hash field per member per room, so that a node's entries go in
/// one `DEL` (at its start, or when it is judged gone).
pub fn members(node: &NodeId) -> String {
    format!("meetmap:members:{node}")
}

/// The field of a member in its node's hash.
pub fn member_field(room: &str, email: &str) -> String {
    // A room holds no space (`shared::normalize_room`): the first one ends it.
    format!("{room} {email}")
}

/// A node's own channel: frames other nodes address to its connections.
pub fn node_channel(node: &NodeId) -> String {
    format!("meetmap:node:{node}")
}
