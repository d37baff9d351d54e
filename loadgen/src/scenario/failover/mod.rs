//! Failover: users in one room on two nodes of a cluster, one node killed with SIGKILL;
//! the time from the kill to the last of its users gone on every client of the surviving
//! node, and the ghosts (victims still shown when the patience ran out). One run is one
//! kill; the row is over several runs (min, median, max). `job.rs` is the worker side,
//! `observer.rs` one watching client.

mod job;
mod observer;

pub use job::FailoverJob;

use super::context::{Context, Node};
use super::setup::{failed, note_first_error, setup_limit, shares, start_ready};
use crate::clock::now_us;
use crate::report::{Counts, Row};
use crate::workers::split;
use std::time::Duration;

/// The bound: a dead node's users gone on the others within this.
pub const GONE_LIMIT_MS: f64 = 5_000.0;

/// The sizes of a failover row.
#[derive(Debug, Clone, Copy)]
pub struct FailoverSettings {
    /// Users on each of the two nodes.
    pub per_node: usize,
    pub runs: usize,
    /// How long after the kill the survivor's users wait for the victims to go.
    pub patience_ms: u64,
}

/// What one run measured: the kill to the last victim gone on every observer (if all
/// went), and the counts.
#[derive(Debug)]
pub struct Run {
    pub gone_ms: Option<f64>,
    pub counts: Counts,
}

/// One run (number `run`, which numbers its users apart from the other runs'): the
/// users opened on `survivor` and `victim`, then the victim killed.
pub async fn run_once(
    ctx: &Context,
    survivor: &Node,
    victim: &Node,
    settings: FailoverSettings,
    run: usize,
) -> Result<Run, String> {
    let victim_pid = victim
        .pid
        .ok_or("the victim's process id is needed to kill it")?;
    let users = 2 * settings.per_node;
    let job = FailoverJob {
        survivor: survivor.target.clone(),
        victim: victim.target.clone(),
        room: format!("failover-{run}"),
        ramp: ctx.ramp,
        per_node: settings.per_node,
        patience_ms: settings.patience_ms,
    };
    // One worker: its observers know which victims registered (a few thousand at most).
    let mut share = shares(split(users, 1), &job);
    share
        .iter_mut()
        .for_each(|share| share.first += run * users);
    let limit = setup_limit(users, ctx.ramp);
    let (pool, setup) = start_ready(share, ctx.in_process, limit).await?;
    kill(victim_pid)?;
    let kill_us = now_us();
    pool.go(kill_us, Vec::new()).await;
    let patience = Duration::from_millis(settings.patience_ms) + Duration::from_secs(30);
    let mut counts = pool.finish(patience).await?;
    counts.clients = setup.clients;
    counts.connect_errors = setup.connect_errors;
    counts.merge(Counts {
        errors: setup.errors,
        error_count: setup.error_count,
        ..Counts::default()
    });
    let all_gone = counts.lost == 0 && counts.received == counts.due && counts.due > 0;
    let gone_ms = all_gone.then(|| counts.last_us.saturating_sub(kill_us) as f64 / 1000.0);
    Ok(Run { gone_ms, counts })
}

/// SIGKILL to the victim node.
fn kill(pid: u32) -> Result<(), String> {
    let pid = i32::try_from(pid).map_err(|_| format!("bad process id {pid}"))?;
    // SAFETY: kill only sends a signal to the node the caller named.
    match unsafe { libc::kill(pid, libc::SIGKILL) } {
        0 => Ok(()),
        _ => Err(format!(
            "kill -9 {pid}: {}",
            std::io::Error::last_os_error()
        )),
    }
}

/// The row of `runs` (an error for a run that could not be done).
pub fn row(settings: FailoverSettings, runs: Vec<Result<Run, String>>) -> Row {
    let mut row = Row {
        scenario: "failover".into(),
        load: format!(
            "{} users per node on 2 nodes, one room; kill -9 of one, {} runs",
            settings.per_node,
            runs.len()
        ),
        ..Row::default()
    };
    let mut merged = Counts::default();
    let mut times = Vec::new();
    let mut failures = Vec::new();
    for run in runs {
        match run {
            Ok(run) => {
                times.extend(run.gone_ms);
                merged.merge(run.counts);
            }
            Err(error) => failures.push(error),
        }
    }
    if let Some(first) = failures.first().filter(|_| times.is_empty()) {
        return failed(row, first.clone());
    }
    judged(&mut row, &merged, &mut times, failures.len());
    row
}

fn judged(row: &mut Row, counts: &Counts, times: &mut [f64], failures: usize) {
    times.sort_by(f64::total_cmp);
    let (min, median, max) = match times {
        [] => (None, None, None),
        _ => (times.first(), times.get(times.len() / 2), times.last()),
    };
    row.p50_ms = median.copied();
    row.max_ms = max.copied();
    row.ghosts = Some(counts.lost);
    row.result = match (min, median, max) {
        (Some(min), Some(median), Some(max)) => format!(
            "kill → last ghost gone: min {min:.0} ms, median {median:.0} ms, max {max:.0} ms"
        ),
        _ => "no run saw every victim go".into(),
    };
    row.correct = failures == 0
        && counts.lost == 0
        && counts.connect_errors == 0
        && counts.dropped == 0
        && counts.error_count == 0
        && counts.due > 0
        && counts.received == counts.due;
    row.held = row.correct && max.is_some_and(|max| *max <= GONE_LIMIT_MS);
    let each: Vec<String> = times.iter().map(|ms| format!("{ms:.0}")).collect();
    row.notes = format!(
        "p50 = median run, max = slowest run; runs (ms, sorted): {}; {} leaves due at the survivor's users, {} seen, {} failed to register, {failures} runs failed",
        each.join(", "),
        counts.due,
        counts.received,
        counts.connect_errors
    );
    note_first_error(row, counts.errors.first());
}
