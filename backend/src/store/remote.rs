//! The remote users store: the seed's REST users API, called with reqwest.
//!
//! Only the write-behind task calls it, so the API is never on the path of a live message.
//! Per user online it remembers what the API holds, which turns a write into the fewest
//! calls of the contract: a user it does not know is looked up once (`GET /email/{email}`)
//! and created (`POST`) or updated (`PUT /{email}`); a move is one `PUT`; a leave is one
//! `PUT /disconnect/{email}` (after a `PUT` of the whole record if that changed too), and
//! the user is then forgotten; a record the API already holds is not sent again, so a
//! retried batch costs nothing (a `GET` for a user who left) for the users it had already
//! written. See `docs/USERS-API.md`.

mod api;
mod config;
mod reset;
mod store;
mod user_json;

pub use config::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, RemoteConfig};
pub use reset::spawn_presence_reset;
pub use store::RemoteStore;
