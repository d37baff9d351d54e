//! Admission: who gets to the hub, and what a connection may cost once there.
//!
//! Before the handshake: the connection caps and the page's Origin (`caps`, `origin`).
//! At the first registration: the access code, session tokens and the claims on emails
//! (`access`, `session`, `claims`, `attempts`). For the connection's life: its budget of
//! rates, strikes and fan-out (`budget`, on the token buckets of `bucket`). Admission
//! imports nothing from the hub or the connection: both call into it.

mod access;
mod attempts;
pub mod bucket;
pub mod budget;
mod caps;
pub mod claims;
mod session;

pub(crate) use access::{Access, Admitted};
pub use caps::MissingOrigin;
pub(crate) use caps::{
    Admission, Cap, client_of, network_of, origin_allowed, within_descriptor_limit,
};
pub use session::{DEFAULT_SESSION_TTL, Secret, SecretError, SessionKey};
