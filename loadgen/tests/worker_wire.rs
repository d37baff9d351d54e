//! The line a parent sends a worker process, pinned to what it was before the scenarios
//! became `workers::Job`s, and the `loadgen worker` process refusing a share it cannot run.

use loadgen::scenario::{
    churn::ChurnJob,
    idle::{IdleJob, Rooms},
    live::LiveJob,
    relay::{RelayJob, Server},
};
use loadgen::workers::{Job, Share};
use loadgen::{Ramp, Target};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

const TARGET: &str = r#"{"target":{"url":"ws://127.0.0.1:1","legacy":false}"#;
const RAMP: &str = r#""ramp":{"rate":500,"concurrency":32}"#;

fn line<J: Job>(job: J) -> String {
    let share = Share {
        worker: 1,
        first: 2,
        count: 2,
        job,
    };
    share.first_line().expect("a share is JSON")
}

fn pinned(name: &str, fields: &str) -> String {
    format!(r#"{{"worker":1,"first":2,"count":2,"job":{{"{name}":{TARGET},{fields}}}}}"#) + "\n"
}

#[test]
fn every_scenario_s_share_goes_to_a_worker_process_as_it_did() {
    let target = Target {
        url: "ws://127.0.0.1:1".into(),
        legacy: false,
    };
    let ramp = Ramp {
        rate: 500,
        concurrency: 32,
    };
    let idle = IdleJob {
        target: target.clone(),
        rooms: Rooms::Each,
        ramp,
    };
    assert_eq!(
        line(idle),
        pinned("Idle", &format!(r#""rooms":"Each",{RAMP}}}"#))
    );
    let live = LiveJob {
        target: target.clone(),
        also: Vec::new(),
        room: "live-4".into(),
        room_size: 0,
        ramp,
        total: 4,
        moves: 2,
        period_ms: 1000,
        grace_ms: 2000,
        sample_every: 1,
    };
    let live_fields = format!(
        r#""room":"live-4",{RAMP},"total":4,"moves":2,"period_ms":1000,"grace_ms":2000,"sample_every":1}}"#
    );
    assert_eq!(line(live), pinned("Live", &live_fields));
    let relay = RelayJob {
        target: target.clone(),
        ramp,
        seconds: 1,
        window: 4,
        server: Server::PeerJs,
    };
    let relay_fields = format!(r#"{RAMP},"seconds":1,"window":4,"server":"PeerJs"}}"#);
    assert_eq!(line(relay), pinned("Relay", &relay_fields));
    let churn = ChurnJob {
        target,
        rate: 20.0,
        concurrency: 8,
    };
    assert_eq!(
        line(churn),
        pinned("Churn", r#""rate":20.0,"concurrency":8}"#)
    );
}

/// Runs `loadgen worker` with `first_line` on stdin; its exit success and stderr.
async fn worker_given(first_line: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .arg("worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start loadgen worker");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(first_line.as_bytes()).await.expect("write");
    drop(stdin);
    let mut stderr = String::new();
    let mut pipe = child.stderr.take().expect("stderr");
    let finished = async {
        pipe.read_to_string(&mut stderr).await.expect("read stderr");
        child.wait().await.expect("wait")
    };
    let status = tokio::time::timeout(Duration::from_secs(20), finished)
        .await
        .expect("the worker exits at once");
    (status.success(), stderr)
}

#[tokio::test]
async fn a_worker_process_refuses_a_share_it_cannot_run_with_a_clear_error() {
    let unknown = r#"{"worker":0,"first":0,"count":1,"job":{"Nope":{}}}"#.to_string() + "\n";
    let (ok, stderr) = worker_given(&unknown).await;
    assert!(
        !ok && stderr.contains("unknown scenario `Nope`"),
        "{stderr}"
    );
    let misfit = r#"{"worker":0,"first":0,"count":1,"job":{"Idle":{"room":1}}}"#.to_string() + "\n";
    let (ok, stderr) = worker_given(&misfit).await;
    assert!(!ok && stderr.contains("bad `Idle` job"), "{stderr}");
    let (ok, stderr) = worker_given("").await;
    assert!(!ok && stderr.contains("no share on stdin"), "{stderr}");
}
