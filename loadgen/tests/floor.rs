//! `loadgen floor`, the churn row's reference server: churned in process and through the
//! binary (on port 0, its address read from what it prints), it welcomes every cycle and
//! leaves no ghost.

use loadgen::scenario::{Context, churn};
use loadgen::{Ramp, Target};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;

fn context(url: String, server_pid: u32) -> Context {
    Context {
        target: Target { url, legacy: false },
        server_pid: Some(server_pid),
        processes: 1,
        in_process: true,
        ramp: Ramp {
            rate: 500,
            concurrency: 32,
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_churn_cycle_against_the_floor_is_welcomed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let server = tokio::spawn(loadgen::floor::serve(listener));
    let ctx = context(format!("ws://{address}"), std::process::id());
    let row = churn::run(&ctx, 50, 1, 8).await;
    assert!(row.correct, "{row:?}");
    assert_eq!(row.ghosts, Some(0), "{row:?}");
    assert!(row.result.contains("cycles/s"), "{row:?}");
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_floor_command_says_where_it_listens_and_serves_there() {
    let mut floor = tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(["floor", "--listen", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("loadgen floor starts");
    let stderr = floor.stderr.take().expect("its stderr");
    let mut lines = BufReader::new(stderr).lines();
    let line = lines.next_line().await.expect("read").expect("a line");
    let url = line
        .strip_prefix("loadgen floor: listening on ")
        .unwrap_or_else(|| panic!("not the address: {line}"))
        .to_owned();
    let pid = floor.id().expect("pid");
    let row = churn::run(&context(url, pid), 20, 1, 4).await;
    assert!(row.correct, "{row:?}");
    assert!(row.cpu_us_per_msg.is_some(), "its CPU read: {row:?}");
    let _ = floor.kill().await;
}
