//! Live map: N users in one room, each moving every period (spread evenly over it); the
//! latency from a move to its arrival at every other measured client, and the moves that
//! never arrived. A step mode raises N until p99 passes the bar.

use super::context::Context;
use super::probe::Probe;
use super::setup::{RoomJob, cpu_per, failed, note_first_error, serve_in_room, start_clients};
use crate::clock::{instant_at, now_us};
use crate::conn::{self, Ramp, Target, Ws};
use crate::procstat::{self, Sample};
use crate::report::{Counts, Row, with_latency};
use crate::wire;
use crate::workers::{Down, Job, Share, Up};
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// The bar of a step: p99 at or under this, and nothing lost.
pub const P99_LIMIT_MS: f64 = 1_000.0;
/// Moves are sequence numbers 1..=moves in a 64-bit mask per sender.
pub const MAX_MOVES: u32 = 63;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveJob {
    pub target: Target,
    pub room: String,
    pub ramp: Ramp,
    /// Users in the room, over all workers.
    pub total: usize,
    pub moves: u32,
    pub period_ms: u64,
    /// Time after the last move for it to arrive.
    pub grace_ms: u64,
    /// Clients whose number is a multiple of this decode everything; the rest drain.
    pub sample_every: usize,
}

impl LiveJob {
    /// From the start to the end of the grace after the last move.
    fn run_time_ms(&self) -> u64 {
        self.period_ms * u64::from(self.moves) + self.grace_ms
    }
}

/// The settings of one live-map run.
#[derive(Debug, Clone, Copy)]
pub struct LiveSettings {
    pub moves: u32,
    pub period_ms: u64,
    pub sample: usize,
    pub grace_ms: u64,
}

impl Job for LiveJob {
    const NAME: &'static str = "Live";

    async fn work(share: Share<Self>, up: &mpsc::Sender<Up>, down: mpsc::Receiver<Down>) -> Counts {
        serve_in_room(share, up, down, |start| {
            client(
                start.index,
                start.socket,
                start.start_us,
                start.job,
                start.absent,
            )
        })
        .await
    }
}

impl RoomJob for LiveJob {
    fn place(&self) -> (&Target, &str, Ramp) {
        (&self.target, &self.room, self.ramp)
    }

    fn position(&self, _index: usize) -> (f64, f64) {
        wire::encode_move(0, 0)
    }
}

/// One user: moves on schedule, reads everything, and if measured decodes it.
/// (One select loop, the next move's timer against the next frame: read as one piece.)
async fn client(
    index: usize,
    mut socket: Ws,
    start_us: u64,
    job: Arc<LiveJob>,
    absent: Arc<HashSet<usize>>,
) -> (Counts, Option<Histogram<u64>>) {
    let period_us = job.period_ms * 1000;
    let first_move_us = start_us + period_us * index as u64 / job.total.max(1) as u64;
    let end_us = start_us + period_us * u64::from(job.moves) + job.grace_ms * 1000;
    let mut probe = index
        .is_multiple_of(job.sample_every.max(1))
        .then(|| Probe::new(job.total));
    let mut counts = Counts::default();
    let mut seq = 1;
    loop {
        let due_us = if seq <= job.moves {
            first_move_us + period_us * u64::from(seq - 1)
        } else {
            end_us
        };
        tokio::select! {
            _ = tokio::time::sleep_until(instant_at(due_us)) => {
                if seq > job.moves {
                    break;
                }
                let now = now_us();
                counts.send_lag_max_us = counts.send_lag_max_us.max(now.saturating_sub(due_us));
                let frame = wire::profile_frame(index, wire::encode_move(seq, now), false);
                if let Err(error) = conn::send_text(&mut socket, frame).await {
                    counts.error(format!("client {index}: {error}"));
                    counts.dropped += 1;
                    break;
                }
                counts.sent += 1;
                seq += 1;
            }
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    counts.frames += 1;
                    if let Some(probe) = &mut probe {
                        probe.read(index, &text, job.moves);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => {
                    counts.error(format!("client {index}: {error}"));
                    counts.dropped += 1;
                    break;
                }
                None => {
                    counts.error(format!("client {index}: closed by the server"));
                    counts.dropped += 1;
                    break;
                }
            }
        }
    }
    counts.last_us = now_us();
    tokio::spawn(conn::close(socket));
    let histogram = probe.map(|probe| probe.settle(index, job.moves, &absent, &mut counts));
    (counts, histogram)
}

/// Runs the live map with `clients` users; one row and the merged counts.
pub async fn run(ctx: &Context, clients: usize, settings: LiveSettings) -> (Row, Counts) {
    let moves = settings.moves.clamp(1, MAX_MOVES);
    let row = Row {
        scenario: "live map".into(),
        load: format!(
            "{clients} users, 1 move/{} s each, {moves} rounds",
            settings.period_ms as f64 / 1000.0
        ),
        ..Row::default()
    };
    let job = LiveJob {
        target: ctx.target.clone(),
        room: format!("live-{clients}"),
        ramp: ctx.ramp,
        total: clients,
        moves,
        period_ms: settings.period_ms,
        grace_ms: settings.grace_ms,
        sample_every: (clients / settings.sample.max(1)).max(1),
    };
    let (pool, setup) = match start_clients(ctx, clients, &job).await {
        Ok(started) => started,
        Err(error) => return (failed(row, error), Counts::default()),
    };
    // The joins of the last clients go out at the next tick; start after them.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = ctx.server_pid.and_then(procstat::sample);
    let start_us = now_us() + 500_000;
    pool.go(start_us, setup.failed_clients.clone()).await;
    let limit = Duration::from_millis(job.run_time_ms()) + Duration::from_secs(60);
    let mut counts = match pool.finish(limit).await {
        Ok(counts) => counts,
        Err(error) => return (failed(row, error), Counts::default()),
    };
    let after = ctx.server_pid.and_then(procstat::sample);
    counts.clients = setup.clients;
    counts.connect_errors = setup.connect_errors;
    (judged(row, &counts, &job, (before, after)), counts)
}

/// The row of a run that ran: what the receivers measured, against the bar.
fn judged(
    mut row: Row,
    counts: &Counts,
    job: &LiveJob,
    server: (Option<Sample>, Option<Sample>),
) -> Row {
    let (clients, moves) = (job.total, job.moves);
    let histogram = counts.latency();
    row = with_latency(row, histogram.as_ref());
    row.lost = Some(counts.lost);
    // Every user's moves reach every other user: estimate the deliveries from the sample.
    let delivered = if counts.due > 0 {
        let all_due = (clients as f64) * (clients as f64 - 1.0) * f64::from(moves);
        all_due * counts.received as f64 / counts.due as f64
    } else {
        0.0
    };
    row.cpu_us_per_msg = cpu_per(server.0, server.1, delivered);
    row.result = format!(
        "{:.0} moves delivered/s",
        delivered / (job.run_time_ms() as f64 / 1000.0)
    );
    row.correct = counts.lost == 0
        && counts.connect_errors == 0
        && counts.dropped == 0
        && counts.received > 0;
    row.held = row.correct && row.p99_ms.is_some_and(|p99| p99 <= P99_LIMIT_MS);
    row.notes = format!(
        "{} measured receivers, {} due, {} superseded, {} dropped, {} failed to register; sender lag max {} ms",
        clients / job.sample_every,
        counts.due,
        counts.superseded,
        counts.dropped,
        counts.connect_errors,
        counts.send_lag_max_us / 1000
    );
    note_first_error(&mut row, counts.errors.first());
    row
}

/// Raises N through `steps` until a step fails its bar; the rows of every step tried and
/// a last row naming the largest N that held.
pub async fn run_steps(ctx: &Context, steps: &[usize], settings: LiveSettings) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut largest = None;
    for &clients in steps {
        let (row, _) = run(ctx, clients, settings).await;
        let held = row.held;
        rows.push(row);
        if !held {
            break;
        }
        largest = Some(clients);
        // Let the server close the last step's connections before the next.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    rows.push(Row {
        scenario: "live map, step".into(),
        load: format!("N in {steps:?}"),
        result: match largest {
            Some(n) => format!("largest N that held: {n}"),
            None => "no step held".into(),
        },
        held: largest.is_some(),
        correct: true,
        notes: format!("bar: p99 ≤ {P99_LIMIT_MS} ms and 0 lost"),
        ..Row::default()
    });
    rows
}
