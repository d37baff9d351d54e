//! Spreading clients over worker processes: each worker is this binary run as
//! `loadgen worker`, given its share as one JSON line on stdin. It answers `ready` once its
//! clients are set up, waits for `go` (a start time on the shared clock), and prints its
//! counts as one JSON line. The same exchange runs over channels for in-process workers
//! (tests).

use crate::report::Counts;
use crate::scenario;
use serde::{Deserialize, Serialize};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// One worker's share of a scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Share {
    /// Which of the workers this is, from 0.
    pub worker: usize,
    /// Client numbers `first..first + count` are this worker's.
    pub first: usize,
    pub count: usize,
    pub job: scenario::Job,
}

/// Worker to parent.
#[derive(Debug, Serialize, Deserialize)]
pub enum Up {
    /// Clients set up; the counts so far (connect errors).
    Ready(Counts),
    /// The scenario ran: everything measured.
    Done(Counts),
}

/// Parent to worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Down {
    /// Start the measured phase at this time (microseconds of the shared clock). Clients
    /// listed in `absent` failed to register anywhere: nothing is due from them.
    Go { start_us: u64, absent: Vec<usize> },
}

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
    pub fn start(shares: Vec<Share>, in_process: bool) -> Result<Self, String> {
        let mut links = Vec::with_capacity(shares.len());
        for share in shares {
            let (down_tx, down_rx) = mpsc::channel(4);
            let (up_tx, up_rx) = mpsc::channel(4);
            let child = if in_process {
                tokio::spawn(scenario::run_worker(share, up_tx, down_rx));
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
    pub async fn finish(mut self, limit: Duration) -> Result<Counts, String> {
        let mut merged = Counts::default();
        for link in &mut self.links {
            match tokio::time::timeout(limit, link.up.recv()).await {
                Ok(Some(Up::Done(counts))) => merged.merge(counts),
                Ok(Some(Up::Ready(_))) => return Err("a worker said ready twice".into()),
                Ok(None) => return Err("a worker ended without a result".into()),
                Err(_) => return Err("a worker gave no result in time".into()),
            }
            if let Some(child) = &mut link.child {
                let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
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
fn spawn_process(
    share: &Share,
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
    let first_line = serde_json::to_string(share).map_err(|error| error.to_string())? + "\n";
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

/// `loadgen worker`: reads its share from stdin, runs it, and speaks JSON lines.
pub async fn serve_stdio() -> Result<(), String> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let first = lines
        .next_line()
        .await
        .map_err(|error| error.to_string())?
        .ok_or("no share on stdin")?;
    let share: Share = serde_json::from_str(&first).map_err(|error| error.to_string())?;
    let (up_tx, mut up_rx) = mpsc::channel(4);
    let (down_tx, down_rx) = mpsc::channel(4);
    let worker = tokio::spawn(scenario::run_worker(share, up_tx, down_rx));
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Ok(message) = serde_json::from_str::<Down>(&line)
                && down_tx.send(message).await.is_err()
            {
                return;
            }
        }
    });
    let mut stdout = tokio::io::stdout();
    while let Some(message) = up_rx.recv().await {
        let line = serde_json::to_string(&message).map_err(|error| error.to_string())? + "\n";
        stdout
            .write_all(line.as_bytes())
            .await
            .map_err(|error| error.to_string())?;
        stdout.flush().await.map_err(|error| error.to_string())?;
    }
    let _ = worker.await;
    Ok(())
}

/// Splits `total` clients into `workers` consecutive ranges.
pub fn split(total: usize, workers: usize) -> Vec<(usize, usize)> {
    let workers = workers.clamp(1, total.max(1));
    (0..workers)
        .map(|w| {
            let first = total * w / workers;
            (first, total * (w + 1) / workers - first)
        })
        .collect()
}
