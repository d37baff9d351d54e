//! Churn: connect, register and close at a set rate; the rate held, and the users still
//! shown online afterwards (ghosts, which must be 0).

use super::context::Context;
use super::setup::{cpu_per, failed, note_first_error, shares, start_ready, wait_go};
use crate::clock::{instant_at, now_us};
use crate::conn::{self, Target};
use crate::procstat;
use crate::report::{Counts, Row, new_histogram, with_latency};
use crate::workers::{Down, Job, Share, Up, split};
use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use shared::ServerMessage;
use std::time::Duration;
use tokio::sync::mpsc;

/// The target rate, in cycles per second.
pub const TARGET_RATE: f64 = 5_000.0;
/// The share of the target that counts as held: a run paced at exactly the target measures
/// a little under it, by the jitter of its timers.
const HELD_SHARE: f64 = 0.99;
const ROOM: &str = "churn";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChurnJob {
    pub target: Target,
    /// This worker's cycles per second.
    pub rate: f64,
    /// Cycles in progress at once, at most.
    pub concurrency: usize,
}

impl Job for ChurnJob {
    const NAME: &'static str = "Churn";

    async fn work(
        share: Share<Self>,
        up: &mpsc::Sender<Up>,
        mut down: mpsc::Receiver<Down>,
    ) -> Counts {
        let job = &share.job;
        let _ = up.send(Up::Ready(Counts::default())).await;
        let Some((start_us, _)) = wait_go(&mut down).await else {
            return Counts::default();
        };
        let spacing_us = 1e6 / job.rate.max(1.0);
        let target = &job.target;
        let cycles = (0..share.count).map(|n| {
            let at_us = start_us + (n as f64 * spacing_us) as u64;
            let email = format!("c{}@load.test", share.first + n);
            async move {
                tokio::time::sleep_until(instant_at(at_us)).await;
                let began = now_us();
                let mut socket = conn::open(target, ROOM).await?;
                conn::register(&mut socket, &email, (1.0, 1.0), target.legacy).await?;
                conn::close(socket).await;
                Ok::<_, String>((began, now_us()))
            }
        });
        let results: Vec<Result<(u64, u64), String>> = stream::iter(cycles)
            .buffer_unordered(job.concurrency.max(1))
            .collect()
            .await;
        let mut counts = Counts {
            sent: share.count as u64,
            first_us: start_us,
            ..Counts::default()
        };
        let mut latency = new_histogram();
        // first_us..last_us: from the first cycle's start to the last one's.
        counts.first_us = u64::MAX;
        for result in results {
            match result {
                Ok((began, ended)) => {
                    counts.received += 1;
                    counts.first_us = counts.first_us.min(began);
                    counts.last_us = counts.last_us.max(began);
                    let _ = latency.record(ended.saturating_sub(began).max(1));
                }
                Err(error) => counts.error(error),
            }
        }
        if counts.first_us == u64::MAX {
            counts.first_us = 0;
        }
        counts.set_latency(&latency);
        counts
    }
}

/// Runs `rate` cycles a second for `seconds`, then counts ghosts; one row.
pub async fn run(ctx: &Context, rate: u32, seconds: u64, concurrency: usize) -> Row {
    let cycles = rate as usize * seconds as usize;
    let mut row = Row {
        scenario: "churn".into(),
        load: format!("{rate} connect-register-close/s for {seconds} s"),
        ..Row::default()
    };
    // One process opens a few hundred sockets at a time: enough unless told otherwise.
    let ranges = split(cycles, ctx.processes.max(1));
    let parts = ranges.len() as f64;
    let job = ChurnJob {
        target: ctx.target.clone(),
        rate: f64::from(rate) / parts,
        concurrency: (concurrency / parts as usize).max(1),
    };
    let (pool, _) = match start_ready(
        shares(ranges, &job),
        ctx.in_process,
        Duration::from_secs(30),
    )
    .await
    {
        Ok(started) => started,
        Err(error) => return failed(row, error),
    };
    let before = ctx.server_pid.and_then(procstat::sample);
    pool.go(now_us() + 300_000, Vec::new()).await;
    let counts = match pool.finish(Duration::from_secs(seconds * 4 + 120)).await {
        Ok(counts) => counts,
        Err(error) => return failed(row, error),
    };
    let after = ctx.server_pid.and_then(procstat::sample);
    // The pace at which cycles started, the last one a cycle after the first: a generator
    // held back by its concurrency bound (cycles taking too long) starts them late.
    let elapsed_s = counts.last_us.saturating_sub(counts.first_us) as f64 / 1e6;
    let held_rate = if elapsed_s > 0.0 {
        counts.received.saturating_sub(1) as f64 / elapsed_s
    } else {
        0.0
    };
    row.result = format!("{held_rate:.0} cycles/s held");
    row = with_latency(row, counts.latency().as_ref());
    row.cpu_us_per_msg = cpu_per(before, after, counts.received as f64);
    // Presence is flushed every tick: a second is many ticks for the last leaves to land.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let ghosts = count_ghosts(&ctx.target).await;
    let failed = counts.sent - counts.received;
    row.lost = Some(failed);
    row.ghosts = ghosts.as_ref().ok().copied();
    row.correct = failed == 0 && ghosts == Ok(0);
    row.held = row.correct && held_rate >= TARGET_RATE * HELD_SHARE;
    row.notes = format!(
        "{} cycles, {failed} failed; latency = one whole cycle; CPU per cycle",
        counts.sent
    );
    if let Err(error) = ghosts {
        row.notes += &format!("; ghost check failed: {error}");
    }
    note_first_error(&mut row, counts.errors.first());
    row
}

/// Registers a checker in the churn room and counts the other users the server shows
/// online there: after the churn, everyone has closed, so each one is a ghost.
pub async fn count_ghosts(target: &Target) -> Result<u64, String> {
    let mut socket = conn::open(target, ROOM).await?;
    let email = "checker@load.test";
    let shown = conn::register(&mut socket, email, (0.0, 0.0), target.legacy).await?;
    conn::close(socket).await;
    let users = match shown {
        ServerMessage::Welcome(welcome) => welcome.users,
        ServerMessage::UpdateUsers { users } => users,
        _ => Vec::new(),
    };
    Ok(users.iter().filter(|user| user.email != email).count() as u64)
}
