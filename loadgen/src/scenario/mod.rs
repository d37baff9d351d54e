//! The scenarios: each has a worker side (its job: its clients, in one worker) and a
//! parent side (workers started, server read from `/proc`, one row of the table). The live
//! map and failover also run over several nodes of a cluster.

pub mod chat;
pub mod churn;
mod context;
pub mod failover;
pub mod history;
pub mod idle;
pub mod live;
mod probe;
pub mod relay;
pub mod setup;

pub use context::{CLIENTS_PER_PROCESS, Context, Node};
