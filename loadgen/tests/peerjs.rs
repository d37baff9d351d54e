//! The relay against the real PeerJS server (npm `peer`, pinned in `loadgen/package.json`)
//! as the suite starts it: a tiny run loses nothing. Skipped, saying why, without Node.js
//! or the package (`npm ci --prefix loadgen`).

use loadgen::scenario::Context;
use loadgen::scenario::relay::{self, Server};
use loadgen::suite::PeerJs;
use loadgen::{Ramp, Target};
use std::path::Path;

/// Why the PeerJS server cannot run here, if it cannot.
fn missing(package: &Path) -> Option<String> {
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|out| out.status.success()) {
        return Some("no `node` on PATH".into());
    }
    let manifest = package.join("package.json");
    (!manifest.is_file()).then(|| format!("no {} (npm ci --prefix loadgen)", manifest.display()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_relay_through_the_peerjs_server_loses_nothing() {
    let package = Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/peer");
    if let Some(why) = missing(&package) {
        eprintln!("skipped: {why}");
        return;
    }
    let folder = tempfile::tempdir().expect("temp dir");
    let peer = PeerJs::start(&package, folder.path())
        .await
        .expect("the PeerJS server starts");
    assert_eq!(peer.version, "1.0.2", "the pinned version");
    let ctx = Context {
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
    };
    let row = relay::run_against(&ctx, Server::PeerJs, 2, 1, 4).await;
    peer.stop().await;
    assert!(row.correct, "{row:?}");
    assert_eq!(row.lost, Some(0), "{row:?}");
    assert!(row.cpu_us_per_msg.is_some(), "CPU read from /proc: {row:?}");
    assert!(row.scenario.contains("PeerJS"), "{row:?}");
}
