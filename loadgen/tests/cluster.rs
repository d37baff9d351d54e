//! The cluster rows' smoke run: a real `redis-server` and real `backend` processes (the
//! workspace's debug build) as nodes, tiny loads of each row — rooms spread over 2 nodes,
//! one room over 2 nodes beside 1, one failover — checking correctness only: nothing lost,
//! no ghost, no client refused. Never a timing.

use loadgen::scenario::Context;
use loadgen::suite::Plan;
use loadgen::suite::cluster::{self, Servers, redis_binary};
use loadgen::{Ramp, Target};
use std::path::PathBuf;

/// The backend binary beside this test's `loadgen` (`cargo test --workspace` builds it).
fn backend_binary() -> PathBuf {
    let loadgen = PathBuf::from(env!("CARGO_BIN_EXE_loadgen"));
    let backend = loadgen.with_file_name("backend");
    assert!(
        backend.is_file(),
        "{} is missing: `cargo build -p backend` first (`just test` does)",
        backend.display()
    );
    backend
}

fn context() -> Context {
    Context {
        // Each row starts its own nodes; the context's server is not used.
        target: Target {
            url: "ws://127.0.0.1:1".into(),
            legacy: false,
        },
        server_pid: None,
        processes: 1,
        in_process: true,
        ramp: Ramp {
            rate: 500,
            concurrency: 32,
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_rows_lose_nothing_and_leave_no_ghosts() {
    if let Err(skipped) = redis_binary() {
        eprintln!("{skipped}");
        return;
    }
    let folder = tempfile::tempdir().expect("temp dir");
    let binary = backend_binary();
    let servers = Servers {
        binary: &binary,
        folder: folder.path(),
        log_level: "warn",
    };
    let plan = Plan::smoke();
    let rows = cluster::run(&plan.cluster, plan.live_settings, servers, &context()).await;
    let names: Vec<&str> = rows.iter().map(|row| row.scenario.as_str()).collect();
    assert_eq!(
        names,
        [
            "live map, cluster",
            "live map, one room on 1 node",
            "live map, one room over 2 nodes",
            "failover"
        ]
    );
    for row in &rows {
        assert!(
            row.correct,
            "{} ({}) was not correct: {row:?}",
            row.scenario, row.load
        );
    }
    for live in &rows[..3] {
        assert_eq!(live.lost, Some(0), "{live:?}");
        assert!(
            live.cpu_us_per_msg.is_some(),
            "the nodes' CPU was read: {live:?}"
        );
    }
    let failover = &rows[3];
    assert_eq!(failover.ghosts, Some(0), "{failover:?}");
    assert!(failover.max_ms.is_some(), "every victim went: {failover:?}");
}
