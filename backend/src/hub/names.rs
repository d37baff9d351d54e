//! The names the hub's parts share: a connection's number, and the shared spelling of a
//! room name or an email.

use std::sync::Arc;

/// A connection's number, given at accept and unique for the server's run; it appears in
/// every log line about the connection.
pub type ConnId = u64;

/// A room name or an email held in several places (the room's key, each connection, the
/// member): one shared allocation instead of a copy in each.
pub type Name = Arc<str>;
