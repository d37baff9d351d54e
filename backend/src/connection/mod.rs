//! The connection: from an accepted TCP stream to its close.

pub(crate) mod echo;
pub(crate) mod handshake;
pub(crate) mod peer;
mod stream;
