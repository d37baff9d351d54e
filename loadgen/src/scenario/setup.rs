//! The setup the scenarios share: a worker's clients opened, parked and reported ready;
//! the parent's shares and pool brought to ready; client tasks tallied; row helpers.

use super::context::Context;
use crate::conn::{self, Parked, Ramp, Target, Ws};
use crate::procstat::{self, Sample};
use crate::report::{Counts, Row, new_histogram};
use crate::workers::{Down, Job, Pool, Share, Up, split};
use hdrhistogram::Histogram;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

/// A worker's clients, registered and parked until the parent's go.
pub struct Opened {
    release: watch::Sender<bool>,
    _released: watch::Receiver<bool>,
    parked: Vec<(usize, Parked)>,
}

/// Opens and registers the clients `indices` at the ramp's rate, parks them, and tells
/// the parent how many were set up (and the errors of the rest).
pub async fn open_and_report(
    target: &Target,
    room: impl Fn(usize) -> String,
    indices: Vec<usize>,
    ramp: Ramp,
    position: impl Fn(usize) -> (f64, f64),
    up: &mpsc::Sender<Up>,
) -> Opened {
    let setup = |index| conn::open_registered(target, room(index), index, position(index));
    open_with_and_report(indices, ramp, setup, up).await
}

/// [`open_and_report`] with any way of opening client `index` (`setup`): another
/// server's protocol.
pub async fn open_with_and_report<F, R>(
    indices: Vec<usize>,
    ramp: Ramp,
    setup: F,
    up: &mpsc::Sender<Up>,
) -> Opened
where
    F: Fn(usize) -> R,
    R: Future<Output = Result<Ws, String>>,
{
    let (release, released) = watch::channel(false);
    let (parked, errors) = conn::open_many(indices, ramp, &released, setup).await;
    let _ = up
        .send(Up::Ready(setup_counts(parked.len(), &errors)))
        .await;
    Opened {
        release,
        _released: released,
        parked,
    }
}

impl Opened {
    /// Lets the parked clients go: the sockets still open, and how many ended while parked.
    pub async fn release(self) -> (Vec<(usize, Ws)>, usize) {
        let _ = self.release.send(true);
        conn::unpark(self.parked).await
    }
}

/// A job whose clients go into a room (one for all unless [`RoomJob::seat`] says
/// otherwise) and each run a task of their own.
pub trait RoomJob: Job {
    /// The server, the room, and how fast to open the clients.
    fn place(&self) -> (&Target, &str, Ramp);
    /// Where client `index` registers on the map.
    fn position(&self, _index: usize) -> (f64, f64) {
        (0.0, 0.0)
    }
    /// The server and the room of client `index`: the job's one of each unless a job
    /// spreads its clients over nodes and rooms.
    fn seat(&self, _index: usize) -> (&Target, String) {
        let (target, room, _) = self.place();
        (target, room.to_owned())
    }
    /// What each client reads at most per system call.
    fn read_buffer(&self) -> usize {
        conn::SMALL_READS
    }
}

/// What one client's task of a [`RoomJob`] starts with.
pub struct Start<J> {
    pub index: usize,
    pub socket: Ws,
    /// The start of the measured phase, on the shared clock.
    pub start_us: u64,
    pub job: Arc<J>,
    /// Clients that failed to register anywhere: nothing is due from them.
    pub absent: Arc<HashSet<usize>>,
}

/// The worker side of a [`RoomJob`]: the share's clients opened in the room and parked,
/// the parent's go awaited, each client run as `client`, their counts tallied.
pub async fn serve_in_room<J, F, R, H>(
    share: Share<J>,
    up: &mpsc::Sender<Up>,
    mut down: mpsc::Receiver<Down>,
    client: F,
) -> Counts
where
    J: RoomJob,
    F: Fn(Start<J>) -> R,
    R: Future<Output = (Counts, H)> + Send + 'static,
    H: Into<Option<Histogram<u64>>> + Send + 'static,
{
    let job = &share.job;
    let (_, _, ramp) = job.place();
    let indices = (share.first..share.first + share.count).collect();
    let setup = |index| {
        let (target, room) = job.seat(index);
        conn::open_registered_reading(target, room, index, job.position(index), job.read_buffer())
    };
    let opened = open_with_and_report(indices, ramp, setup, up).await;
    let Some((start_us, absent)) = wait_go(&mut down).await else {
        return Counts::default();
    };
    let (sockets, dropped) = opened.release().await;
    let absent: Arc<HashSet<usize>> = Arc::new(absent.into_iter().collect());
    let job = Arc::new(share.job);
    let mut clients = JoinSet::new();
    for (index, socket) in sockets {
        clients.spawn(client(Start {
            index,
            socket,
            start_us,
            job: Arc::clone(&job),
            absent: Arc::clone(&absent),
        }));
    }
    let counts = Counts {
        dropped: dropped as u64,
        first_us: start_us,
        ..Counts::default()
    };
    tally(clients, counts, "a client task panicked").await
}

/// Waits for the parent's go; `None` if the parent is gone.
pub async fn wait_go(down: &mut mpsc::Receiver<Down>) -> Option<(u64, Vec<usize>)> {
    let Down::Go { start_us, absent } = down.recv().await?;
    Some((start_us, absent))
}

/// Counts for the ready message: clients set up and the errors of the rest.
pub fn setup_counts(opened: usize, errors: &[(usize, String)]) -> Counts {
    let mut counts = Counts {
        clients: opened as u64,
        connect_errors: errors.len() as u64,
        failed_clients: errors.iter().map(|(index, _)| *index).collect(),
        ..Counts::default()
    };
    for (index, error) in errors {
        counts.error(format!("client {index}: {error}"));
    }
    counts
}

/// Waits for every client task and merges its counts and latency into `counts`; a task
/// that panicked is one error, `panicked`.
pub async fn tally<H>(mut tasks: JoinSet<(Counts, H)>, mut counts: Counts, panicked: &str) -> Counts
where
    H: Into<Option<Histogram<u64>>> + Send + 'static,
{
    let mut latency = new_histogram();
    while let Some(outcome) = tasks.join_next().await {
        let Ok((outcome, histogram)) = outcome else {
            counts.error(panicked);
            continue;
        };
        if let Some(histogram) = histogram.into() {
            let _ = latency.add(&histogram);
        }
        counts.merge(outcome);
    }
    counts.set_latency(&latency);
    counts
}

/// One share per worker range, each with the same job.
pub fn shares<J: Clone>(ranges: Vec<(usize, usize)>, job: &J) -> Vec<Share<J>> {
    ranges
        .into_iter()
        .enumerate()
        .map(|(worker, (first, count))| Share {
            worker,
            first,
            count,
            job: job.clone(),
        })
        .collect()
}

/// Starts the workers and waits up to `limit` for all to be ready: the pool and the
/// merged setup counts.
pub async fn start_ready<J: Job>(
    shares: Vec<Share<J>>,
    in_process: bool,
    limit: Duration,
) -> Result<(Pool, Counts), String> {
    let mut pool = Pool::start(shares, in_process)?;
    let setup = pool.ready(limit).await?;
    Ok((pool, setup))
}

/// Starts the workers of a run of `clients` clients, each worker with its share of them
/// and `job`, and waits for all to be ready: the pool and the merged setup counts.
pub async fn start_clients<J: Job>(
    ctx: &Context,
    clients: usize,
    job: &J,
) -> Result<(Pool, Counts), String> {
    let shares = shares(split(clients, ctx.workers_for(clients)), job);
    start_ready(shares, ctx.in_process, setup_limit(clients, ctx.ramp)).await
}

/// Time allowed to set up `clients` connections at the ramp's rate, with slack for a
/// machine shared with other work (10,000 joining one room took over 70 s at a load
/// average of 9 on 2 cores).
pub fn setup_limit(clients: usize, ramp: Ramp) -> Duration {
    Duration::from_secs(180 + 4 * clients as u64 / u64::from(ramp.rate.max(1)))
}

/// The row of a run that could not be done.
pub fn failed(mut row: Row, error: String) -> Row {
    row.held = false;
    row.result = "failed".into();
    row.notes = error;
    row
}

/// The server's CPU time per message between two samples, over `messages` (none if 0).
pub fn cpu_per(before: Option<Sample>, after: Option<Sample>, messages: f64) -> Option<f64> {
    procstat::cpu_between(before, after)
        .filter(|_| messages > 0.0)
        .map(|cpu| cpu as f64 / messages)
}

/// Adds the first error, if any, to the row's notes.
pub fn note_first_error(row: &mut Row, first: Option<&String>) {
    if let Some(first) = first {
        row.notes += &format!("; first error: {first}");
    }
}
