//! Live map: N users in one room, each moving every period (spread evenly over it); the
//! latency from a move to its arrival at every other measured client, and the moves that
//! never arrived. A step mode raises N until p99 passes the bar.

use super::{Context, instant_at, setup_counts, wait_go};
use crate::clock::now_us;
use crate::conn::{self, Ramp, Target, Ws};
use crate::procstat;
use crate::report::{Counts, Row, new_histogram, with_latency};
use crate::wire;
use crate::workers::{Down, Pool, Share, Up, split};
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use shared::ServerMessage;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
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

/// The settings of one live-map run.
#[derive(Debug, Clone, Copy)]
pub struct LiveSettings {
    pub moves: u32,
    pub period_ms: u64,
    pub sample: usize,
    pub grace_ms: u64,
}

pub(super) async fn worker(
    share: &Share,
    job: LiveJob,
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
        |_| wire::encode_move(0, 0),
    )
    .await;
    let _ = up
        .send(Up::Ready(setup_counts(parked.len(), &errors)))
        .await;
    let Some((start_us, absent)) = wait_go(&mut down).await else {
        return Counts::default();
    };
    let _ = release.send(true);
    let (sockets, dropped) = conn::unpark(parked).await;
    let absent: Arc<HashSet<usize>> = Arc::new(absent.into_iter().collect());
    let job = Arc::new(job);
    let mut clients = JoinSet::new();
    for (index, socket) in sockets {
        clients.spawn(client(
            index,
            socket,
            start_us,
            Arc::clone(&job),
            Arc::clone(&absent),
        ));
    }
    let mut counts = Counts {
        dropped: dropped as u64,
        first_us: start_us,
        ..Counts::default()
    };
    let mut latency = new_histogram();
    while let Some(outcome) = clients.join_next().await {
        let Ok((outcome, histogram)) = outcome else {
            counts.error("a client task panicked");
            continue;
        };
        if let Some(histogram) = histogram {
            let _ = latency.add(&histogram);
        }
        counts.merge(outcome);
    }
    counts.set_latency(&latency);
    counts
}

/// One user: moves on schedule, reads everything, and if measured decodes it.
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

/// A measured client's view: which moves of each sender arrived, and their latency.
struct Probe {
    /// Bit `seq` set when move `seq` of that sender arrived.
    arrived: Vec<u64>,
    latency: Histogram<u64>,
}

impl Probe {
    fn new(total: usize) -> Self {
        Self {
            arrived: vec![0; total],
            latency: new_histogram(),
        }
    }

    fn read(&mut self, me: usize, text: &str, moves: u32) {
        let now = now_us();
        let Ok(message) = serde_json::from_str::<ServerMessage>(text) else {
            return;
        };
        let mut arrive = |email: &str, latitude: Option<f64>, longitude: Option<f64>| {
            let (Some(latitude), Some(longitude), Some(sender)) =
                (latitude, longitude, wire::index_of(email))
            else {
                return;
            };
            let (seq, sent) = wire::decode_move(latitude, longitude);
            if sender == me || seq == 0 || seq > moves {
                return;
            }
            let Some(mask) = self.arrived.get_mut(sender) else {
                return;
            };
            if *mask & (1 << seq) == 0 {
                *mask |= 1 << seq;
                let _ = self.latency.record(wire::latency_us(sent, now).max(1));
            }
        };
        match message {
            ServerMessage::Presence(delta) => {
                for moved in delta.moved {
                    arrive(&moved.email, Some(moved.latitude), Some(moved.longitude));
                }
                for user in delta.joined {
                    arrive(&user.email, user.latitude, user.longitude);
                }
            }
            ServerMessage::UpdateUsers { users } => {
                for user in users {
                    arrive(&user.email, user.latitude, user.longitude);
                }
            }
            _ => {}
        }
    }

    /// Counts what was due (every move of every other registered user), what arrived,
    /// what a later move of the same user replaced, and what was lost.
    fn settle(
        self,
        me: usize,
        moves: u32,
        absent: &HashSet<usize>,
        counts: &mut Counts,
    ) -> Histogram<u64> {
        for (sender, mask) in self.arrived.iter().enumerate() {
            if sender == me || absent.contains(&sender) {
                continue;
            }
            for seq in 1..=moves {
                counts.due += 1;
                if mask & (1 << seq) != 0 {
                    counts.received += 1;
                } else if mask >> (seq + 1) != 0 {
                    counts.superseded += 1;
                } else {
                    counts.lost += 1;
                }
            }
        }
        self.latency
    }
}

/// Runs the live map with `clients` users; one row and the merged counts.
pub async fn run(ctx: &Context, clients: usize, settings: LiveSettings) -> (Row, Counts) {
    let moves = settings.moves.clamp(1, MAX_MOVES);
    let mut row = Row {
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
    let shares = split(clients, ctx.workers_for(clients))
        .into_iter()
        .enumerate()
        .map(|(worker, (first, count))| Share {
            worker,
            first,
            count,
            job: super::Job::Live(job.clone()),
        })
        .collect();
    let mut pool = match Pool::start(shares, ctx.in_process) {
        Ok(pool) => pool,
        Err(error) => return (super::idle::failed(row, error), Counts::default()),
    };
    let setup = match pool
        .ready(super::idle::setup_limit(clients, ctx.ramp))
        .await
    {
        Ok(setup) => setup,
        Err(error) => return (super::idle::failed(row, error), Counts::default()),
    };
    // The joins of the last clients go out at the next tick; start after them.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = ctx.server_pid.and_then(procstat::sample);
    let start_us = now_us() + 500_000;
    pool.go(start_us, setup.failed_clients.clone()).await;
    let run_time = settings.period_ms * u64::from(moves) + settings.grace_ms;
    let limit = Duration::from_millis(run_time) + Duration::from_secs(60);
    let mut counts = match pool.finish(limit).await {
        Ok(counts) => counts,
        Err(error) => return (super::idle::failed(row, error), Counts::default()),
    };
    let after = ctx.server_pid.and_then(procstat::sample);
    counts.clients = setup.clients;
    counts.connect_errors = setup.connect_errors;
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
    row.cpu_us_per_msg = procstat::cpu_between(before, after)
        .filter(|_| delivered > 0.0)
        .map(|cpu| cpu as f64 / delivered);
    row.result = format!(
        "{:.0} moves delivered/s",
        delivered / (run_time as f64 / 1000.0)
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
    if let Some(first) = counts.errors.first() {
        row.notes += &format!("; first error: {first}");
    }
    (row, counts)
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
