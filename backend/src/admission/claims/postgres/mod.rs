//! [`PgClaims`]: the claims in PostgreSQL, shared by every node on the database, so the
//! email rules hold across the cluster: a device made on one node is proven on another,
//! a device signed out anywhere is refused everywhere.
//!
//! Nothing is kept in memory when the database cannot be reached (unlike the SQLite
//! file's deferred claims): a claim only one node knew of could be given out again by
//! another. A query that fails refuses the registration (`internal`, try again).

mod claiming;
mod links;
mod schema;
mod store;

pub use links::PgLinkCodes;
pub use store::PgClaims;
