//! A backend of the suite's own: started on a free loopback port with a data folder of
//! its own and the limits on abuse lifted, stopped after its scenario; and its chat file
//! seeded beforehand with `backend chat-seed`.

use super::process;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// The backend's flags for a load run: its limits on abuse are for one person's client,
/// not for a generator measuring capacity.
const UNLIMITED: &[(&str, &str)] = &[
    // Every load client comes from 127.0.0.1: the per-address cap would refuse them.
    ("--max-connections", "0"),
    ("--max-connections-per-ip", "0"),
    // The relay measures capacity, not the per-client abuse limits.
    ("--chat-rate", "1000000"),
    ("--chat-burst", "1000000"),
    ("--signaling-rate", "1000000"),
    ("--signaling-burst", "1000000"),
    ("--ice-rate", "1000000"),
    ("--ice-burst", "1000000"),
    // Nor the fan-out budgets (the relay's pairs are one room, or one room each for the
    // seed's clients) or the presence rate.
    ("--fan-out-bytes-rate", "1e12"),
    ("--fan-out-bytes-burst", "4000000000"),
    ("--room-broadcast-bytes-rate", "1e12"),
    ("--room-broadcast-bytes-burst", "4000000000"),
    ("--directed-bytes-rate", "1e12"),
    ("--directed-bytes-burst", "4000000000"),
    ("--presence-rate", "1000000"),
    ("--presence-burst", "1000000"),
];

/// The users' SQLite file in a backend's data folder (the chat's is beside it).
const DATABASE_FILE: &str = "bench.sqlite3";
/// The backend's stderr, in its data folder.
pub const LOG_FILE: &str = "backend.log";
/// Time for a backend to listen, and to stop once asked.
const START_TIMEOUT: Duration = Duration::from_secs(10);
const STOP_GRACE: Duration = Duration::from_secs(20);
/// Time for `backend chat-seed` to fill a room (a million messages take seconds).
const SEED_TIMEOUT: Duration = Duration::from_secs(600);

/// The flags the chat-related budgets are lifted with, for a row's notes.
pub fn chat_budget_flags() -> String {
    UNLIMITED
        .iter()
        .filter(|(flag, _)| flag.starts_with("--chat") || flag.starts_with("--room-broadcast"))
        .map(|(flag, value)| format!("{flag} {value}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fills room `room` of the chat file in `folder` with `messages` messages, by the
/// backend's own operator command, before a backend is started there.
pub async fn seed_chat(
    binary: &Path,
    folder: &Path,
    room: &str,
    messages: u64,
) -> Result<(), String> {
    let log_path = folder.join("seed.log");
    let log = std::fs::File::create(&log_path).map_err(|error| format!("seed log: {error}"))?;
    let seeding = Command::new(binary)
        .arg("--database")
        .arg(folder.join(DATABASE_FILE))
        .args([
            "chat-seed",
            "--room",
            room,
            "--messages",
            &messages.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .status();
    let status = match tokio::time::timeout(SEED_TIMEOUT, seeding).await {
        Ok(Ok(status)) => status,
        Ok(Err(error)) => return Err(format!("start {} chat-seed: {error}", binary.display())),
        Err(_) => return Err(format!("chat-seed did not finish within {SEED_TIMEOUT:?}")),
    };
    if status.success() {
        return Ok(());
    }
    let said = std::fs::read_to_string(&log_path).unwrap_or_default();
    let last = said.lines().last().unwrap_or("").to_owned();
    Err(format!("chat-seed failed ({status}): {last}"))
}

/// A backend started for one scenario.
pub struct Backend {
    child: Child,
    pub url: String,
    pub pid: u32,
}

impl Backend {
    /// Starts `binary` on a free loopback port with a database in `folder`, and waits
    /// until it accepts connections.
    pub async fn start(
        binary: &Path,
        folder: &Path,
        log_level: &str,
        extra: &[&str],
    ) -> Result<Self, String> {
        Self::start_with(binary, folder, log_level, extra, &[]).await
    }

    /// [`Self::start`] with environment variables `env` too (a secret kept off the
    /// command line).
    pub async fn start_with(
        binary: &Path,
        folder: &Path,
        log_level: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Self, String> {
        let address = process::free_address()?;
        let log = std::fs::File::create(folder.join(LOG_FILE))
            .map_err(|error| format!("backend log: {error}"))?;
        let child = Command::new(binary)
            .args(["--listen", &address, "--database"])
            .arg(folder.join(DATABASE_FILE))
            .args(UNLIMITED.iter().flat_map(|&(flag, value)| [flag, value]))
            .args(extra)
            .env("RUST_LOG", log_level)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| format!("start {}: {error}", binary.display()))?;
        let pid = child.id().ok_or("the backend exited at once")?;
        if !process::listening_within(&address, START_TIMEOUT).await {
            return Err(format!(
                "the backend did not listen on {address} within {START_TIMEOUT:?}"
            ));
        }
        Ok(Self {
            child,
            url: format!("ws://{address}"),
            pid,
        })
    }

    /// SIGTERM, then a bounded wait; killed if it does not stop.
    pub async fn stop(self) {
        process::stop(self.child, self.pid, STOP_GRACE).await;
    }
}
