//! The parent's end of a scenario's workers: each is this binary run as `loadgen worker`
//! (its share as the first line on stdin, JSON lines both ways after it) or, for tests, a
//! task of this process over the same channels.

use super::protocol::{self, Down, Job, Share, Up};
use crate::report::Counts;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// Time for a worker process to exit once it has given its result.
const CHILD_EXIT: Duration = Duration::from_secs(10);

/// The parent's end of the workers of one scenario.
pub struct Pool {
    links: Vec<Link>,
}

struct Link {
    down: mpsc::Sender<Down>,
    up: mpsc::Receiver<Up>,
    child: Option<Child>,
}

impl Pool {
    /// Starts one worker per share: processes of this binary, or tasks of this process.
    pub fn start<J: Job>(shares: Vec<Share<J>>, in_process: bool) -> Result<Self, String> {
        let mut links = Vec::with_capacity(shares.len());
        for share in shares {
            let (down_tx, down_rx) = mpsc::channel(4);
            let (up_tx, up_rx) = mpsc::channel(4);
            let child = if in_process {
                tokio::spawn(protocol::run(share, up_tx, down_rx));
                None
            } else {
                Some(spawn_process(&share, up_tx, down_rx)?)
            };
            links.push(Link {
                down: down_tx,
                up: up_rx,
                child,
            });
        }
        Ok(Self { links })
    }

    /// Waits for every worker to be ready; their counts merged.
    pub async fn ready(&mut self, limit: Duration) -> Result<Counts, String> {
        let mut merged = Counts::default();
        for link in &mut self.links {
            match tokio::time::timeout(limit, link.up.recv()).await {
                Ok(Some(Up::Ready(counts))) => merged.merge(counts),
                Ok(Some(Up::Done(counts))) => return Err(failed(counts)),
                Ok(None) => return Err("a worker ended before it was ready".into()),
                Err(_) => return Err("a worker was not ready in time".into()),
            }
        }
        Ok(merged)
    }

    pub async fn go(&self, start_us: u64, absent: Vec<usize>) {
        for link in &self.links {
            let absent = absent.clone();
            let _ = link.down.send(Down::Go { start_us, absent }).await;
        }
    }

    /// Waits for every worker's result; merged.
    pub async fn finish(self, limit: Duration) -> Result<Counts, String> {
        let mut merged = Counts::default();
        for mut link in self.links {
            match tokio::time::timeout(limit, link.up.recv()).await {
                Ok(Some(Up::Done(counts))) => merged.merge(counts),
                Ok(Some(Up::Ready(_))) => return Err("a worker said ready twice".into()),
                Ok(None) => return Err("a worker ended without a result".into()),
                Err(_) => return Err("a worker gave no result in time".into()),
            }
            // Closing `down` ends the bridge, which closes the worker's stdin: a process
            // cannot exit while its runtime still has a blocking read of stdin pending.
            drop(link.down);
            if let Some(child) = &mut link.child {
                let _ = tokio::time::timeout(CHILD_EXIT, child.wait()).await;
            }
        }
        Ok(merged)
    }
}

fn failed(counts: Counts) -> String {
    format!(
        "a worker gave up during setup: {}",
        counts.errors.join("; ")
    )
}

/// Runs `loadgen worker` and bridges its stdin and stdout to the channels.
fn spawn_process<J: Job>(
    share: &Share<J>,
    up: mpsc::Sender<Up>,
    mut down: mpsc::Receiver<Down>,
) -> Result<Child, String> {
    let exe = std::env::current_exe().map_err(|error| format!("own path: {error}"))?;
    let mut child = Command::new(exe)
        .arg("worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| format!("start a worker: {error}"))?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err("a worker without pipes".into());
    };
    let first_line = share.first_line().map_err(|error| error.to_string())?;
    tokio::spawn(async move {
        if stdin.write_all(first_line.as_bytes()).await.is_err() {
            return;
        }
        while let Some(message) = down.recv().await {
            let line = serde_json::to_string(&message).unwrap_or_default() + "\n";
            if stdin.write_all(line.as_bytes()).await.is_err() {
                return;
            }
        }
    });
    tokio::spawn(async move {
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            match serde_json::from_str::<Up>(&line) {
                Ok(message) => {
                    if up.send(message).await.is_err() {
                        return;
                    }
                }
                Err(error) => log::warn!("worker said something unreadable: {error}"),
            }
        }
    });
    Ok(child)
}
