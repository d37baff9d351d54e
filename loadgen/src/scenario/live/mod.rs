//! Live map: N users in one room, each moving every period (spread evenly over it); the
//! latency from a move to its arrival at every other measured client, and the moves that
//! never arrived. A step mode raises N until p99 passes the bar. The users may be spread
//! over several nodes of a cluster (user `i` on node `i mod n`) and into rooms of a set
//! size (users `k·size..(k+1)·size`), so that every room spans the nodes (`layout.rs`).

mod layout;

use super::context::{Context, Node};
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
    /// The first node; users `i` with `i mod n = k > 0` go to `also[k - 1]` instead.
    pub target: Target,
    /// (Absent on the wire when empty or 0, as before clusters: a lone node's line.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Target>,
    /// The room, or with `room_size` the prefix of the rooms' names (`<room>-<k>`).
    pub room: String,
    /// Users per room; 0: all in one.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub room_size: usize,
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

fn is_zero(n: &usize) -> bool {
    *n == 0
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
    /// Users per room; 0: all in one room.
    pub room_size: usize,
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

    fn seat(&self, index: usize) -> (&Target, String) {
        let target = layout::node_of(index, self.also.len() + 1)
            .checked_sub(1)
            .and_then(|other| self.also.get(other))
            .unwrap_or(&self.target);
        (target, layout::room_of(&self.room, self.room_size, index))
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
        .then(|| Probe::new(layout::room_members(job.total, job.room_size, index)));
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

/// Runs the live map with `clients` users on the context's server; one row and the
/// merged counts.
pub async fn run(ctx: &Context, clients: usize, settings: LiveSettings) -> (Row, Counts) {
    run_on(ctx, &[ctx.node()], clients, settings).await
}

/// Runs the live map with `clients` users spread over `nodes` (the context's server is
/// not used unless it is one of them); the server CPU is the nodes' sum.
pub async fn run_on(
    ctx: &Context,
    nodes: &[Node],
    clients: usize,
    settings: LiveSettings,
) -> (Row, Counts) {
    let moves = settings.moves.clamp(1, MAX_MOVES);
    let row = Row {
        scenario: "live map".into(),
        load: layout::load(
            clients,
            moves,
            (settings.period_ms, settings.room_size),
            nodes.len(),
        ),
        ..Row::default()
    };
    let Some((first, others)) = nodes.split_first() else {
        return (failed(row, "no node to run on".into()), Counts::default());
    };
    let job = LiveJob {
        target: first.target.clone(),
        also: others.iter().map(|node| node.target.clone()).collect(),
        room: format!("live-{clients}"),
        room_size: settings.room_size,
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
    let pids: Option<Vec<u32>> = nodes.iter().map(|node| node.pid).collect();
    let cpu = || pids.as_deref().and_then(procstat::sample_sum);
    let before = cpu();
    let start_us = now_us() + 500_000;
    pool.go(start_us, setup.failed_clients.clone()).await;
    let limit = Duration::from_millis(job.run_time_ms()) + Duration::from_secs(60);
    let mut counts = match pool.finish(limit).await {
        Ok(counts) => counts,
        Err(error) => return (failed(row, error), Counts::default()),
    };
    let after = cpu();
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
    // Every user's moves reach every other user of its room: estimated from the sample.
    let histogram = counts.latency();
    row = with_latency(row, histogram.as_ref());
    row.lost = Some(counts.lost);
    let delivered = if counts.due > 0 {
        let all_due = layout::pairs(job.total, job.room_size) * f64::from(moves);
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
