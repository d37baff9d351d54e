//! The failover's worker side: the victim node's users opened and parked, then the
//! survivor's users, each watching from its welcome on; `Ready` once every observer has
//! been shown every victim; the kill's time from `Go`; what the observers saw, tallied.

use super::observer::{Watch, Watched, observe};
use crate::conn::{self, Ramp, SETUP_TIMEOUT, Target};
use crate::report::{Counts, new_histogram};
use crate::scenario::setup::{setup_counts, wait_go};
use crate::wire;
use crate::workers::{Down, Job, Share, Up};
use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Where every user of the run registers on the map.
const POSITION: (f64, f64) = (1.0, 1.0);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FailoverJob {
    pub survivor: Target,
    pub victim: Target,
    pub room: String,
    pub ramp: Ramp,
    /// Users per node: the share's first `per_node` on the victim, the rest on the
    /// survivor.
    pub per_node: usize,
    /// How long after the kill the survivor's users wait for the victims to go.
    pub patience_ms: u64,
}

impl Job for FailoverJob {
    const NAME: &'static str = "Failover";

    async fn work(
        share: Share<Self>,
        up: &mpsc::Sender<Up>,
        mut down: mpsc::Receiver<Down>,
    ) -> Counts {
        let job = &share.job;
        let split_at = share.first + job.per_node.min(share.count);
        let (release, released) = watch::channel(false);
        let open_victim =
            |index| conn::open_registered(&job.victim, job.room.clone(), index, POSITION);
        let (parked, mut errors) = conn::open_many(
            (share.first..split_at).collect(),
            job.ramp,
            &released,
            open_victim,
        )
        .await;
        let victims: Arc<HashSet<usize>> = Arc::new(parked.iter().map(|(i, _)| *i).collect());
        let observers = (split_at..share.first + share.count).collect::<Vec<_>>();
        let (kill_tx, kill) = watch::channel(None);
        let (seen_all, mut seen) = mpsc::channel(observers.len().max(1));
        let watch = || Watch {
            victims: Arc::clone(&victims),
            kill: kill.clone(),
            seen_all: seen_all.clone(),
            patience_us: job.patience_ms * 1000,
        };
        let (watching, observer_errors) = open_observers(job, observers, watch).await;
        errors.extend(observer_errors);
        let mut counts = setup_counts(parked.len() + watching.len(), &errors);
        for shown in 0..watching.len() {
            if tokio::time::timeout(SETUP_TIMEOUT, seen.recv())
                .await
                .is_err()
            {
                let missing = watching.len() - shown;
                counts.error(format!(
                    "{missing} observers not shown every victim in time"
                ));
                break;
            }
        }
        let _ = up.send(Up::Ready(counts)).await;
        let Some((kill_us, _)) = wait_go(&mut down).await else {
            return Counts::default();
        };
        let _ = kill_tx.send(Some(kill_us));
        let counts = tally(watching, kill_us, victims.len()).await;
        // The victims' connections ended with their node; their parking tasks with them.
        let _ = release.send(true);
        let _ = conn::unpark(parked).await;
        counts
    }
}

/// Opens the survivor's users and starts each one's watch as soon as it is welcomed:
/// their tasks, and the errors of those that could not register.
async fn open_observers(
    job: &FailoverJob,
    indices: Vec<usize>,
    watch: impl Fn() -> Watch,
) -> (Vec<JoinHandle<Watched>>, Vec<(usize, String)>) {
    let watch = &watch;
    let open = |index| async move {
        let mut socket = conn::open(&job.survivor, &job.room).await?;
        let email = wire::email(index);
        let welcome = conn::register(&mut socket, &email, POSITION, job.survivor.legacy).await?;
        Ok::<_, String>(tokio::spawn(observe(socket, welcome, watch())))
    };
    let opens = indices
        .into_iter()
        .map(|index| async move { (index, open(index).await) });
    let opened: Vec<_> = stream::iter(opens)
        .buffer_unordered(job.ramp.concurrency.max(1))
        .collect()
        .await;
    let mut tasks = Vec::new();
    let mut errors = Vec::new();
    for (index, result) in opened {
        match result {
            Ok(task) => tasks.push(task),
            Err(error) => errors.push((index, error)),
        }
    }
    (tasks, errors)
}

/// The observers' results as counts: leaves due and seen, ghosts (as lost), the time of
/// the last victim gone (`last_us`), each observer's kill-to-all-gone in the histogram.
async fn tally(watching: Vec<JoinHandle<Watched>>, kill_us: u64, victims: usize) -> Counts {
    let mut counts = Counts {
        first_us: kill_us,
        last_us: kill_us,
        ..Counts::default()
    };
    let mut latency = new_histogram();
    for task in watching {
        let Ok(watched) = task.await else {
            counts.error("an observer's task panicked");
            continue;
        };
        counts.due += victims as u64;
        counts.received += watched.leaves;
        counts.lost += watched.ghosts;
        if let Some(gone_us) = watched.gone_us {
            counts.last_us = counts.last_us.max(gone_us);
            let _ = latency.record(gone_us.saturating_sub(kill_us).max(1));
        }
        if watched.before_kill > 0 {
            counts.error(format!(
                "{} victims left before the kill or were never shown",
                watched.before_kill
            ));
        }
        if let Some(error) = watched.error {
            counts.dropped += 1;
            counts.error(error);
        }
    }
    counts.set_latency(&latency);
    counts
}
