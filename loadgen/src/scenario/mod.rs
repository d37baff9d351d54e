//! The scenarios: each has a worker side (its clients, in one process) and a parent side
//! (workers started, server read from `/proc`, one row of the table).

pub mod churn;
pub mod idle;
pub mod live;
mod probe;
pub mod relay;
pub mod setup;

use crate::conn::{Ramp, Target};
use crate::workers::{Down, Share, Up};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// Clients one worker process holds by default: a process may open 20,000 files here.
pub const CLIENTS_PER_PROCESS: usize = 10_000;

/// What every scenario needs to know about the run.
#[derive(Debug, Clone)]
pub struct Context {
    pub target: Target,
    /// The server's process, for CPU time and RSS; `None` skips those columns.
    pub server_pid: Option<u32>,
    /// Worker processes; 0 picks one per [`CLIENTS_PER_PROCESS`] clients.
    pub processes: usize,
    /// Run the workers as tasks of this process (tests) instead of processes.
    pub in_process: bool,
    pub ramp: Ramp,
}

impl Context {
    pub fn workers_for(&self, clients: usize) -> usize {
        if self.processes > 0 {
            self.processes
        } else {
            clients.div_ceil(CLIENTS_PER_PROCESS).max(1)
        }
    }
}

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

/// The tokio instant at which the shared clock reads `at_us`.
pub fn instant_at(at_us: u64) -> tokio::time::Instant {
    let now = crate::clock::now_us();
    tokio::time::Instant::now() + std::time::Duration::from_micros(at_us.saturating_sub(now))
}
