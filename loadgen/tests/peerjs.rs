//! The relay against the real PeerJS server (npm `peer`, pinned in `loadgen/package.json`)
//! as the suite starts it: a tiny run loses nothing. Skipped, saying why, without Node.js
//! or the package (`npm ci --prefix loadgen`).

use loadgen::scenario::Context;
use loadgen::scenario::relay::{self, Server};
use loadgen::suite::PeerJs;
use loadgen::{Ramp, Target};
use std::path::{Path, PathBuf};

/// Why the PeerJS server cannot run here, if it cannot.
fn missing(package: &Path) -> Option<String> {
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|out| out.status.success()) {
        return Some("no `node` on PATH".into());
    }
    let manifest = package.join("package.json");
    (!manifest.is_file()).then(|| format!("no {} (npm ci --prefix loadgen)", manifest.display()))
}

/// The package, or `None` (the reason printed) when the test cannot run here.
fn package() -> Option<PathBuf> {
    let package = Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/peer");
    match missing(&package) {
        Some(why) => {
            eprintln!("skipped: {why}");
            None
        }
        None => Some(package),
    }
}

/// A run's context against `peer`: workers in process, a gentle ramp.
fn context(peer: &PeerJs) -> Context {
    Context {
        target: Target {
            url: peer.url.clone(),
            legacy: false,
        },
        server_pid: Some(peer.pid),
        processes: 1,
        in_process: true,
        ramp: Ramp {
            rate: 500,
            concurrency: 8,
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_relay_through_the_peerjs_server_loses_nothing() {
    let Some(package) = package() else { return };
    let folder = tempfile::tempdir().expect("temp dir");
    let peer = PeerJs::start(&package, folder.path())
        .await
        .expect("the PeerJS server starts");
    assert_eq!(peer.version, "1.0.2", "the pinned version");
    let row = relay::run_against(&context(&peer), Server::PeerJs, 2, 1, 4).await;
    peer.stop().await;
    assert!(row.correct, "{row:?}");
    assert_eq!(row.lost, Some(0), "{row:?}");
    assert!(row.cpu_us_per_msg.is_some(), "CPU read from /proc: {row:?}");
    assert!(row.scenario.contains("PeerJS"), "{row:?}");
}

/// The server drops a client that sent no heartbeat for its `alive_timeout`: at 6 s, a
/// 7 s run outlives it only by the relay's heartbeats (every 5 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relays_heartbeats_keep_its_clients_past_the_servers_alive_timeout() {
    let Some(package) = package() else { return };
    let folder = tempfile::tempdir().expect("temp dir");
    let peer = PeerJs::start_with(&package, folder.path(), &["--alive_timeout", "6000"])
        .await
        .expect("the PeerJS server starts");
    let row = relay::run_against(&context(&peer), Server::PeerJs, 1, 7, 2).await;
    peer.stop().await;
    assert!(row.correct, "{row:?}");
    assert_eq!(row.lost, Some(0), "{row:?}");
}
