//! Spreading a scenario's clients over workers and merging their counts. The parent's
//! [`Pool`] starts one worker per [`Share`]: a process of this binary (`loadgen worker`,
//! whose end is [`WorkerStdio`]) or a task of this process. A worker is told its share,
//! answers `Ready` once its clients are set up, waits for `Go` (a start time on the shared
//! clock) and answers `Done` with its counts. A scenario's worker side is a [`Job`]; this
//! module knows no scenario.

mod pool;
mod protocol;
mod stdio;

pub use pool::Pool;
pub use protocol::{Down, Job, Share, Up, WorkerError, split};
pub use stdio::WorkerStdio;
