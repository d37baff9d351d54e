//! The PeerJS server (npm `peer`, pinned in `loadgen/package.json`) for the side-by-side
//! relay row: started with Node.js on a free loopback port, read from `/proc` like the
//! backend, stopped after its row; or the reason it cannot run.

use super::process;
use crate::Target;
use crate::report::Row;
use crate::scenario::Context;
use crate::scenario::relay::{self, Server};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// Where `npm ci --prefix loadgen` puts the package, from the workspace's root.
pub const DEFAULT_PACKAGE: &str = "loadgen/node_modules/peer";
/// The package's command-line server, inside it.
const CLI: &str = "dist/bin/peerjs.js";
/// Time for Node.js to load the server and listen, and for it to stop once asked.
const START_TIMEOUT: Duration = Duration::from_secs(20);
const STOP_GRACE: Duration = Duration::from_secs(10);

/// A PeerJS server started for one row.
pub struct PeerJs {
    child: Child,
    /// `ws://127.0.0.1:PORT`, where `/peerjs?key=…` is its WebSocket.
    pub url: String,
    pub pid: u32,
    /// The package's version, read from its `package.json`.
    pub version: String,
}

impl PeerJs {
    /// Starts the server of the `peer` package at `package` with `node`, its output in
    /// `folder`, and waits until it accepts connections. The error says why it cannot
    /// (no Node.js, no package, no listening).
    pub async fn start(package: &Path, folder: &Path) -> Result<Self, String> {
        Self::start_with(package, folder, &[]).await
    }

    /// [`Self::start`] with `extra` flags for the server (e.g. `--alive_timeout MS`).
    pub async fn start_with(package: &Path, folder: &Path, extra: &[&str]) -> Result<Self, String> {
        let version = version_of(package)?;
        let cli = package.join(CLI);
        if !cli.is_file() {
            return Err(format!("no {} (npm ci --prefix loadgen)", cli.display()));
        }
        let address = process::free_address()?;
        let (host, port) = address.split_once(':').unwrap_or((&address, "0"));
        let log = std::fs::File::create(folder.join("peerjs.log"))
            .map_err(|error| format!("PeerJS log: {error}"))?;
        let errors = log
            .try_clone()
            .map_err(|error| format!("PeerJS log: {error}"))?;
        let child = Command::new("node")
            .arg(&cli)
            .args(["--host", host, "--port", port])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(errors)
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| format!("start node: {error}"))?;
        let pid = child.id().ok_or("node exited at once")?;
        if !process::listening_within(&address, START_TIMEOUT).await {
            return Err(format!(
                "the PeerJS server did not listen on {address} within {START_TIMEOUT:?}"
            ));
        }
        Ok(Self {
            child,
            url: format!("ws://{address}"),
            pid,
            version,
        })
    }

    /// SIGTERM (it closes its HTTP server and exits), then a bounded wait; killed if it
    /// does not stop.
    pub async fn stop(self) {
        process::stop(self.child, self.pid, STOP_GRACE).await;
    }
}

/// The `version` in `package`'s `package.json`.
fn version_of(package: &Path) -> Result<String, String> {
    let manifest: PathBuf = package.join("package.json");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|_| format!("no {} (npm ci --prefix loadgen)", manifest.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|error| format!("{}: {error}", manifest.display()))?;
    value["version"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{}: no version", manifest.display()))
}

/// The relay's sizes, for the PeerJS row as for meetmap's.
#[derive(Debug, Clone, Copy)]
pub struct RelaySize {
    pub pairs: usize,
    pub seconds: u64,
    pub window: u64,
}

/// The relay row against a PeerJS server of its own (folder `dir`), beside `meetmap`'s
/// row of the same size, the ratio of the two in its notes; "skipped: …" when the server
/// cannot run.
pub async fn relay_row(
    package: &Path,
    dir: &Path,
    template: &Context,
    size: RelaySize,
    meetmap: &Row,
) -> Row {
    let RelaySize {
        pairs,
        seconds,
        window,
    } = size;
    let peer = match PeerJs::start(package, dir).await {
        Ok(peer) => peer,
        Err(why) => {
            return Row {
                scenario: "relay, PeerJS server".into(),
                load: format!("{pairs} pairs, window {window} each way, {seconds} s"),
                notes: format!("skipped: {why}"),
                ..Row::default()
            };
        }
    };
    let ctx = Context {
        target: Target {
            url: peer.url.clone(),
            legacy: false,
        },
        server_pid: Some(peer.pid),
        ..template.clone()
    };
    let mut row = relay::run_against(&ctx, Server::PeerJs, pairs, seconds, window).await;
    row.scenario = format!("relay, PeerJS server {}", peer.version);
    peer.stop().await;
    row.notes += &ratio(meetmap, &row);
    row
}

/// "; meetmap relay: 1.5× the rate, 0.5× the CPU per message": meetmap's row against
/// PeerJS's, where both measured it.
fn ratio(meetmap: &Row, peerjs: &Row) -> String {
    let rate = |row: &Row| {
        let number = row.result.split_whitespace().next()?;
        number.parse::<f64>().ok().filter(|rate| *rate > 0.0)
    };
    let mut parts = Vec::new();
    if let (Some(ours), Some(theirs)) = (rate(meetmap), rate(peerjs)) {
        parts.push(format!("{:.2}× the rate", ours / theirs));
    }
    if let (Some(ours), Some(theirs)) = (meetmap.cpu_us_per_msg, peerjs.cpu_us_per_msg)
        && theirs > 0.0
    {
        parts.push(format!("{:.2}× the CPU per message", ours / theirs));
    }
    if let (Some(ours), Some(theirs)) = (meetmap.p99_ms, peerjs.p99_ms)
        && theirs > 0.0
    {
        parts.push(format!("{:.2}× the p99", ours / theirs));
    }
    if parts.is_empty() {
        return String::new();
    }
    format!("; meetmap relay beside it: {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::{PeerJs, ratio};
    use crate::report::Row;
    use std::path::Path;

    #[tokio::test]
    async fn without_the_package_it_says_how_to_install_it() {
        let folder = std::env::temp_dir();
        let Err(why) = PeerJs::start(Path::new("/nonexistent/peer"), &folder).await else {
            panic!("started without a package");
        };
        assert!(why.contains("npm ci --prefix loadgen"), "{why}");
    }

    #[test]
    fn the_ratio_is_meetmaps_row_over_peerjss() {
        let row = |rate: &str, cpu, p99| Row {
            result: format!("{rate} msg/s"),
            cpu_us_per_msg: Some(cpu),
            p99_ms: Some(p99),
            ..Row::default()
        };
        let notes = ratio(&row("250000", 2.9, 15.0), &row("125000", 5.8, 30.0));
        assert_eq!(
            notes,
            "; meetmap relay beside it: 2.00× the rate, 0.50× the CPU per message, 0.50× the p99"
        );
        assert_eq!(ratio(&Row::default(), &Row::default()), "");
    }
}
