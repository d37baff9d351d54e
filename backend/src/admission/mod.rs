//! Admission: who gets to the hub, and what a connection may cost once there.
//!
//! Before the handshake: the connection caps and the page's Origin (`caps`, `origin`).
//! At the first registration: the access code, session tokens and the claims on emails
//! (`access`, `session`, `claims`, `attempts`), and the TURN credentials a delta client
//! is handed (`turn`). For the connection's life: its budget of
//! rates, strikes and fan-out (`budget`, on the token buckets of `bucket`). The settings
//! are [`AdmissionConfig`] and [`budget::BudgetConfig`]. Admission imports nothing from
//! the hub or the connection: both call into it.

mod access;
mod attempts;
pub mod bucket;
pub mod budget;
mod caps;
pub mod claims;
mod config;
mod origin;
mod session;
mod turn;

pub(crate) use access::{Access, Admitted};
pub(crate) use caps::{Admission, Cap, Ticket, within_descriptor_limit};
pub use config::{
    AdmissionConfig, DEFAULT_ALLOWED_ORIGINS, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_CONNECTIONS_PER_IP, DEFAULT_SESSION_TTL,
};
pub use origin::MissingOrigin;
pub(crate) use origin::{client_of, network_of, origin_allowed};
pub use session::{Secret, SecretError, SessionKey};
pub use turn::{DEFAULT_TURN_TTL, TurnConfig, TurnError};
