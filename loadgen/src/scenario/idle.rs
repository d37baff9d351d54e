//! Idle: N registered connections in one room that only read; the server's RSS per
//! connection above its baseline before they came.

use super::{Context, setup_counts, wait_go};
use crate::conn::{self, Ramp, Target};
use crate::procstat;
use crate::report::{Counts, Row};
use crate::workers::{Down, Pool, Share, Up, split};
use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The target: at most this many bytes of server RSS per registered connection.
pub const TARGET_BYTES_PER_CONNECTION: f64 = 3_000.0;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdleJob {
    pub target: Target,
    pub room: String,
    pub ramp: Ramp,
}

pub(super) async fn worker(
    share: &Share,
    job: IdleJob,
    up: &mpsc::Sender<Up>,
    mut down: mpsc::Receiver<Down>,
) -> Counts {
    let (release, released) = watch::channel(false);
    let indices = (share.first..share.first + share.count).collect();
    let room = job.room.clone();
    let (parked, errors) = conn::open_many(
        &job.target,
        |_| room.clone(),
        indices,
        job.ramp,
        &released,
        |_| (0.0, 0.0),
    )
    .await;
    let _ = up
        .send(Up::Ready(setup_counts(parked.len(), &errors)))
        .await;
    let _ = wait_go(&mut down).await;
    let _ = release.send(true);
    let (sockets, dropped) = conn::unpark(parked).await;
    close_all(sockets.into_iter().map(|(_, socket)| socket).collect()).await;
    Counts {
        dropped: dropped as u64,
        ..Counts::default()
    }
}

/// Closes sockets, a few hundred at a time.
pub async fn close_all(sockets: Vec<conn::Ws>) {
    stream::iter(sockets)
        .for_each_concurrent(256, conn::close)
        .await;
}

/// Runs the idle scenario with `clients` connections; one row.
pub async fn run(ctx: &Context, clients: usize) -> Row {
    let mut row = Row {
        scenario: "idle".into(),
        load: format!("{clients} registered connections, one room"),
        ..Row::default()
    };
    let baseline = ctx.server_pid.and_then(procstat::sample);
    let job = IdleJob {
        target: ctx.target.clone(),
        room: "idle".into(),
        ramp: ctx.ramp,
    };
    let shares = split(clients, ctx.workers_for(clients))
        .into_iter()
        .enumerate()
        .map(|(worker, (first, count))| Share {
            worker,
            first,
            count,
            job: super::Job::Idle(job.clone()),
        })
        .collect();
    let mut pool = match Pool::start(shares, ctx.in_process) {
        Ok(pool) => pool,
        Err(error) => return failed(row, error),
    };
    let setup = match pool.ready(setup_limit(clients, ctx.ramp)).await {
        Ok(setup) => setup,
        Err(error) => return failed(row, error),
    };
    // Let the last presence ticks go out before reading the server's memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let loaded = ctx.server_pid.and_then(procstat::sample);
    pool.go(crate::clock::now_us(), Vec::new()).await;
    let done = pool.finish(Duration::from_secs(120)).await;
    let registered = setup.clients.max(1) as f64;
    match (baseline, loaded) {
        (Some(before), Some(after)) => {
            let per_connection =
                after.rss_kib.saturating_sub(before.rss_kib) as f64 * 1024.0 / registered;
            row.result = format!("{per_connection:.0} B RSS/conn");
            row.held = per_connection <= TARGET_BYTES_PER_CONNECTION;
            row.notes = format!(
                "server RSS {} MiB → {} MiB",
                before.rss_kib / 1024,
                after.rss_kib / 1024
            );
        }
        _ => {
            row.result = "RSS not read (no --server-pid)".into();
            row.held = true;
        }
    }
    let dropped = done.map(|counts| counts.dropped).unwrap_or(0);
    row.correct = setup.connect_errors == 0 && dropped == 0;
    if !row.correct {
        row.held = false;
        row.notes += &format!(
            "; {} failed to register, {dropped} dropped: {}",
            setup.connect_errors,
            setup.errors.join("; ")
        );
    }
    row
}

/// Time allowed to set up `clients` connections at the ramp's rate, with slack.
pub fn setup_limit(clients: usize, ramp: Ramp) -> Duration {
    Duration::from_secs(60 + 2 * clients as u64 / u64::from(ramp.rate.max(1)))
}

pub fn failed(mut row: Row, error: String) -> Row {
    row.held = false;
    row.result = "failed".into();
    row.notes = error;
    row
}
