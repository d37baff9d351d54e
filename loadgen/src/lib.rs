//! meetmap's load generator: many WebSocket clients speaking the server's protocol (or only
//! the seed's), spread over worker processes, measuring delivery latency at the receivers,
//! losses, and the server's CPU time and memory from `/proc`.
//!
//! Codemap: `scenario/` holds the six scenarios (idle, live map, relay, churn, chat with
//! storage, chat history), each with a worker side (a `workers::Job`) and a parent side;
//! `scenario/setup.rs` is what they share (a one-room job's worker side, `serve_in_room`);
//! `workers/` starts workers (processes or tasks) and merges their results, knowing no
//! scenario; `worker_entry` is `loadgen worker`, which picks the scenario a worker process
//! was given; `conn` opens and registers clients; `wire` builds frames, carries send times
//! and sequence numbers in them, and reads the chat frames' few fields it needs; `report`
//! is the merged counts and the table; `procstat` reads the server's `/proc`; `floor` is the
//! churn row's reference server (`loadgen floor`); `suite/` is
//! `just bench`: a backend of its own per scenario (its chat seeded for the history row),
//! the default runs, and the block in `docs/BENCHMARKS.md`.

pub mod clock;
pub mod conn;
pub mod floor;
pub mod procstat;
pub mod report;
pub mod scenario;
pub mod suite;
pub mod wire;
pub mod worker_entry;
pub mod workers;

pub use conn::{Ramp, Target};
pub use report::Row;
pub use scenario::Context;
