//! What every scenario is told about the run: where the server is, how to read it, and how
//! many worker processes to spread the clients over.

use crate::conn::{Ramp, Target};

/// Clients one worker process holds by default, well under the open-file limit a process
/// can raise itself to here (one socket is one file).
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

/// One server of a cluster: where its clients go, and its process (for its CPU time).
#[derive(Debug, Clone)]
pub struct Node {
    pub target: Target,
    pub pid: Option<u32>,
}

impl Context {
    /// The context's own server as a node.
    pub fn node(&self) -> Node {
        Node {
            target: self.target.clone(),
            pid: self.server_pid,
        }
    }

    /// The server at `url` (process `pid`) as a node, spoken to as this context's is.
    pub fn node_at(&self, url: &str, pid: u32) -> Node {
        Node {
            target: Target {
                url: url.to_owned(),
                legacy: self.target.legacy,
            },
            pid: Some(pid),
        }
    }

    /// The worker processes for a run of `clients` clients.
    pub fn workers_for(&self, clients: usize) -> usize {
        if self.processes > 0 {
            self.processes
        } else {
            clients.div_ceil(CLIENTS_PER_PROCESS).max(1)
        }
    }
}
