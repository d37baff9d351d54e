//! Idle: N registered connections in one room that only read; the server's RSS per
//! connection above its baseline before they came.

use super::context::Context;
use super::setup::{failed, open_share_in_room, setup_limit, shares, start_ready, wait_go};
use crate::conn::{self, Ramp, Target};
use crate::procstat;
use crate::report::{Counts, Row};
use crate::workers::{Down, Job, Share, Up, split};
use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::mpsc;

/// The target: at most this many bytes of server RSS per registered connection.
pub const TARGET_BYTES_PER_CONNECTION: f64 = 3_000.0;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdleJob {
    pub target: Target,
    pub room: String,
    pub ramp: Ramp,
}

impl Job for IdleJob {
    const NAME: &'static str = "Idle";

    async fn work(
        share: Share<Self>,
        up: &mpsc::Sender<Up>,
        mut down: mpsc::Receiver<Down>,
    ) -> Counts {
        let job = &share.job;
        let opened =
            open_share_in_room(&share, &job.target, &job.room, job.ramp, |_| (0.0, 0.0), up).await;
        let _ = wait_go(&mut down).await;
        let (sockets, dropped) = opened.release().await;
        close_all(sockets.into_iter().map(|(_, socket)| socket).collect()).await;
        Counts {
            dropped: dropped as u64,
            ..Counts::default()
        }
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
    let shares = shares(split(clients, ctx.workers_for(clients)), &job);
    let (pool, setup) =
        match start_ready(shares, ctx.in_process, setup_limit(clients, ctx.ramp)).await {
            Ok(started) => started,
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
