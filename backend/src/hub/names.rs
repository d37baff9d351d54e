//! The names the hub's parts share: a connection's number, the shared spelling of a
//! room name or an email, and a chat's checked sender.

use std::sync::Arc;

/// A connection's number, given at accept and unique for the server's run; it appears in
/// every log line about the connection.
pub type ConnId = u64;

/// A room name or an email held in several places (the room's key, each connection, the
/// member): one shared allocation instead of a copy in each.
pub type Name = Arc<str>;

/// A chat's sender as the hub checked it: registered, in its room, within its budgets.
pub struct ChatSender {
    pub room: Name,
    pub email: Name,
    /// The sender's name now, stored with the message.
    pub name: String,
    /// The direct message's recipient has a connection in the room (so is known there).
    pub to_online: bool,
}
