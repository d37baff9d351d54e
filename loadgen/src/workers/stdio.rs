//! A worker process's end (`loadgen worker`): its share from the first line of stdin, the
//! parent's `Go` from the lines after it, its `Ready` and `Done` as JSON lines on stdout.

use super::protocol::{self, Assignment, Down, Job, WorkerError};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines, Stdin};
use tokio::sync::mpsc;

/// Stdin after the first line, and the share that line gave.
pub struct WorkerStdio {
    lines: Lines<BufReader<Stdin>>,
    assignment: Assignment,
}

impl WorkerStdio {
    /// Reads the share from the first line of stdin.
    pub async fn open() -> Result<Self, WorkerError> {
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        let first = lines
            .next_line()
            .await
            .map_err(WorkerError::Io)?
            .ok_or(WorkerError::NoShare)?;
        let assignment = Assignment::parse(&first)?;
        Ok(Self { lines, assignment })
    }

    /// The name of the scenario the share is for ([`Job::NAME`]).
    pub fn scenario(&self) -> &str {
        self.assignment.scenario()
    }

    /// Runs the share as a `J` job until it is done, bridging stdin and stdout to it.
    pub async fn serve<J: Job>(self) -> Result<(), WorkerError> {
        let share = self.assignment.share::<J>()?;
        let mut lines = self.lines;
        let (up_tx, mut up_rx) = mpsc::channel(4);
        let (down_tx, down_rx) = mpsc::channel(4);
        let worker = tokio::spawn(protocol::run(share, up_tx, down_rx));
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
            let line = serde_json::to_string(&message).map_err(WorkerError::Encode)? + "\n";
            stdout
                .write_all(line.as_bytes())
                .await
                .map_err(WorkerError::Io)?;
            stdout.flush().await.map_err(WorkerError::Io)?;
        }
        let _ = worker.await;
        Ok(())
    }
}
