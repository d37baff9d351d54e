//! Idle: N registered connections that only read, all in one room or each in a room of
//! its own (small private rooms, the common case); the server's RSS per connection above
//! its baseline before they came.

use super::context::Context;
use super::setup::{failed, open_and_report, setup_limit, shares, start_ready, wait_go};
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
    pub rooms: Rooms,
    pub ramp: Ramp,
}

/// Where the idle connections register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rooms {
    /// All in one room.
    One,
    /// Each in a room of its own.
    Each,
}

impl Rooms {
    fn room_of(self, index: usize) -> String {
        match self {
            Self::One => "idle".into(),
            Self::Each => format!("idle-{index}"),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::One => "one room",
            Self::Each => "a room each",
        }
    }
}

impl Job for IdleJob {
    const NAME: &'static str = "Idle";

    async fn work(
        share: Share<Self>,
        up: &mpsc::Sender<Up>,
        mut down: mpsc::Receiver<Down>,
    ) -> Counts {
        let job = &share.job;
        let indices = (share.first..share.first + share.count).collect();
        let rooms = job.rooms;
        let room = move |index| rooms.room_of(index);
        let opened =
            open_and_report(&job.target, room, indices, job.ramp, |_| (0.0, 0.0), up).await;
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

/// Runs the idle scenario with `clients` connections in `rooms`; one row.
pub async fn run(ctx: &Context, clients: usize, rooms: Rooms) -> Row {
    let mut row = Row {
        scenario: "idle".into(),
        load: format!("{clients} registered connections, {}", rooms.describe()),
        ..Row::default()
    };
    let baseline = ctx.server_pid.and_then(procstat::sample);
    let job = IdleJob {
        target: ctx.target.clone(),
        rooms,
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
