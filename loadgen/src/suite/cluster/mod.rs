//! The cluster rows of `just bench` (issue 15), each on servers of its own: users in rooms
//! spread over several nodes (past what one process holds), one room over two nodes beside
//! the same room on one node (the backplane's cost in CPU), and failover (a node killed,
//! several runs). `servers.rs` starts Redis and the nodes. Without `redis-server` the
//! rows say "skipped: …" and count as correct.

mod servers;

pub use servers::{Cluster, ClusterNode, NODE_FLAGS, Redis, redis_binary};

use super::backend::Backend;
use crate::report::Row;
use crate::scenario::failover::{self, FailoverSettings};
use crate::scenario::live::{self, LiveSettings};
use crate::scenario::{CLIENTS_PER_PROCESS, Context, setup};
use std::path::Path;

/// The backplane's cost the one-room row is held to: the cluster's CPU per delivered
/// move at most this many times one node's.
pub const BACKPLANE_COST_LIMIT: f64 = 1.5;

/// The sizes of the cluster rows.
#[derive(Debug, Clone, Default)]
pub struct ClusterPlan {
    /// Users spread over `spread_nodes` nodes in rooms of `room_size`, a row each.
    pub spread: Vec<usize>,
    pub spread_nodes: usize,
    pub room_size: usize,
    /// Users of one room split over two nodes, each beside the same room on one node.
    pub one_room: Vec<usize>,
    pub failover: Option<FailoverSettings>,
}

/// Where the cluster rows' servers come from.
#[derive(Debug, Clone, Copy)]
pub struct Servers<'a> {
    pub binary: &'a Path,
    pub folder: &'a Path,
    pub log_level: &'a str,
}

/// Runs every cluster row of `plan` (the live map's timings from `live`); the rows.
pub async fn run(
    plan: &ClusterPlan,
    live: LiveSettings,
    at: Servers<'_>,
    ctx: &Context,
) -> Vec<Row> {
    let mut rows = Vec::new();
    for &users in &plan.spread {
        let settings = LiveSettings {
            room_size: plan.room_size,
            ..live
        };
        rows.push(spread_row(at, ctx, users, plan.spread_nodes, settings).await);
    }
    for &users in &plan.one_room {
        let settings = LiveSettings {
            room_size: 0,
            ..live
        };
        rows.extend(one_room_rows(at, ctx, users, settings).await);
    }
    if let Some(settings) = plan.failover {
        rows.push(failover_row(at, ctx, settings).await);
    }
    rows
}

/// The live map over a cluster of `nodes` started for it.
async fn spread_row(
    at: Servers<'_>,
    ctx: &Context,
    users: usize,
    nodes: usize,
    settings: LiveSettings,
) -> Row {
    let scenario = "live map, cluster";
    let dir = at.folder.join(format!("cluster-{users}"));
    let cluster = match Cluster::start(at.binary, &dir, at.log_level, nodes).await {
        Ok(cluster) => cluster,
        Err(error) => return not_run(scenario, error),
    };
    let (mut row, _) = live::run_on(ctx, &cluster.targets(ctx), users, settings).await;
    cluster.stop().await;
    row.scenario = scenario.into();
    row.notes += &cluster_notes(ctx, users, nodes);
    row
}

/// The same room on one lone node, then over two nodes: two rows, the second with the
/// ratio of their CPU per delivered move.
async fn one_room_rows(
    at: Servers<'_>,
    ctx: &Context,
    users: usize,
    settings: LiveSettings,
) -> Vec<Row> {
    let lone_dir = at.folder.join(format!("one-room-{users}-lone"));
    let _ = std::fs::create_dir_all(&lone_dir);
    let mut lone = match Backend::start(at.binary, &lone_dir, at.log_level, NODE_FLAGS).await {
        Ok(backend) => {
            let node = ctx.node_at(&backend.url, backend.pid);
            let (row, _) = live::run_on(ctx, &[node], users, settings).await;
            backend.stop().await;
            row
        }
        Err(error) => setup::failed(Row::default(), error),
    };
    lone.scenario = "live map, one room on 1 node".into();
    lone.notes += &format!(
        "; the baseline of the row below, no Redis; node flags: {}",
        NODE_FLAGS.join(" ")
    );
    let scenario = "live map, one room over 2 nodes";
    let dir = at.folder.join(format!("one-room-{users}-cluster"));
    let mut two = match Cluster::start(at.binary, &dir, at.log_level, 2).await {
        Ok(cluster) => {
            let (row, _) = live::run_on(ctx, &cluster.targets(ctx), users, settings).await;
            cluster.stop().await;
            row
        }
        Err(error) => return vec![lone, not_run(scenario, error)],
    };
    two.scenario = scenario.into();
    two.notes += &cluster_notes(ctx, users, 2);
    if let (Some(cluster), Some(one)) = (two.cpu_us_per_msg, lone.cpu_us_per_msg) {
        let ratio = cluster / one;
        two.notes += &format!(
            "; backplane cost: {ratio:.2}× the CPU per delivered move of the row above (both nodes' CPU summed; target ≤ {BACKPLANE_COST_LIMIT}×)"
        );
        two.held = two.held && ratio <= BACKPLANE_COST_LIMIT;
    }
    vec![lone, two]
}

/// Failover: a survivor node, then for each run a victim node started, its users and the
/// survivor's opened, the victim killed.
async fn failover_row(at: Servers<'_>, ctx: &Context, settings: FailoverSettings) -> Row {
    let dir = at.folder.join("failover");
    let cluster = match Cluster::start(at.binary, &dir, at.log_level, 1).await {
        Ok(cluster) => cluster,
        Err(error) => return not_run("failover", error),
    };
    let survivor = cluster.targets(ctx).remove(0);
    let mut runs = Vec::new();
    for run in 0..settings.runs {
        let id = format!("victim-{}", run + 1);
        let victim = match cluster.add(at.binary, &dir, at.log_level, &id).await {
            Ok(victim) => victim,
            Err(error) => {
                runs.push(Err(error));
                break;
            }
        };
        let ran = failover::run_once(ctx, &survivor, &victim.node(ctx), settings, run).await;
        // Reaps the killed process (or stops it, if the run failed before the kill).
        victim.backend.stop().await;
        runs.push(ran);
    }
    cluster.stop().await;
    let mut row = failover::row(settings, runs);
    row.notes += &format!(
        "; 2 nodes: node-1 survives, a fresh victim node per run; node flags: --redis … --node-id … {}",
        NODE_FLAGS.join(" ")
    );
    row
}

/// The notes every cluster row carries: nodes, users per node, generator, flags.
fn cluster_notes(ctx: &Context, users: usize, nodes: usize) -> String {
    format!(
        "; {nodes} nodes, {} users per node (user i on node i mod {nodes}); generator: {} worker processes of ≤ {CLIENTS_PER_PROCESS} sockets; node flags: --redis … --node-id node-k {}",
        users.div_ceil(nodes.max(1)),
        ctx.workers_for(users),
        NODE_FLAGS.join(" ")
    )
}

/// A row that could not run: "skipped: …" (correct, not held) without Redis, else failed.
fn not_run(scenario: &str, error: String) -> Row {
    let row = Row {
        scenario: scenario.into(),
        ..Row::default()
    };
    match error.starts_with("skipped") {
        true => Row {
            result: error,
            correct: true,
            ..row
        },
        false => setup::failed(row, error),
    }
}
