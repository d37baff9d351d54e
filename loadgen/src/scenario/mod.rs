//! The scenarios: each has a worker side (its clients, in one process) and a parent side
//! (workers started, server read from `/proc`, one row of the table).

pub mod churn;
mod context;
pub mod idle;
pub mod live;
mod probe;
pub mod relay;
pub mod setup;

pub use context::{CLIENTS_PER_PROCESS, Context};

use crate::workers::{Down, Share, Up};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// A worker's job: the scenario and its settings (the share says which clients).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    Idle(idle::IdleJob),
    Live(live::LiveJob),
    Relay(relay::RelayJob),
    Churn(churn::ChurnJob),
}

/// Runs one worker's share: set up, say ready, wait for go, run, report.
pub async fn run_worker(share: Share, up: mpsc::Sender<Up>, down: mpsc::Receiver<Down>) {
    crate::clock::raise_fd_limit();
    let counts = match share.job.clone() {
        Job::Idle(job) => idle::worker(&share, job, &up, down).await,
        Job::Live(job) => live::worker(&share, job, &up, down).await,
        Job::Relay(job) => relay::worker(&share, job, &up, down).await,
        Job::Churn(job) => churn::worker(&share, job, &up, down).await,
    };
    let _ = up.send(Up::Done(counts)).await;
}
