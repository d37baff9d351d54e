//! `just bench`: starts a fresh backend for each scenario, runs the default (or smoke)
//! sizes, and writes the table into `docs/BENCHMARKS.md` with the machine, the date and
//! the command.

use crate::Target;
use crate::report::{Row, table};
use crate::scenario::{Context, churn, idle, live, relay, setup};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// The sizes of a suite run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub idle: Vec<usize>,
    pub live: Vec<usize>,
    pub live_settings: live::LiveSettings,
    pub relay_pairs: Vec<usize>,
    pub relay_seconds: u64,
    pub relay_window: u64,
    pub churn_rates: Vec<u32>,
    pub churn_seconds: u64,
    pub churn_concurrency: usize,
}

impl Plan {
    /// A tiny run that checks correctness only (CI).
    pub fn smoke() -> Self {
        Self {
            idle: vec![50],
            live: vec![50],
            live_settings: live::LiveSettings {
                moves: 3,
                period_ms: 1_000,
                sample: 50,
                grace_ms: 2_000,
            },
            relay_pairs: vec![5],
            relay_seconds: 1,
            relay_window: 4,
            churn_rates: vec![20],
            churn_seconds: 1,
            churn_concurrency: 8,
        }
    }
}

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
        // The port is picked here and freed for the backend: it logs the address it was
        // given, not the one it bound.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|error| format!("no free port: {error}"))?
            .port();
        let address = format!("127.0.0.1:{port}");
        let log = std::fs::File::create(folder.join("backend.log"))
            .map_err(|error| format!("backend log: {error}"))?;
        let child = Command::new(binary)
            .args(["--listen", &address, "--database"])
            .arg(folder.join("bench.sqlite3"))
            .args(UNLIMITED.iter().flat_map(|&(flag, value)| [flag, value]))
            .args(extra)
            .env("RUST_LOG", log_level)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| format!("start {}: {error}", binary.display()))?;
        let pid = child.id().ok_or("the backend exited at once")?;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(&address).await.is_ok() {
                return Ok(Self {
                    child,
                    url: format!("ws://{address}"),
                    pid,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "the backend did not listen on {address} within 10 s"
        ))
    }

    /// SIGTERM, then a bounded wait; killed if it does not stop.
    pub async fn stop(mut self) {
        if let Ok(pid) = i32::try_from(self.pid) {
            // SAFETY: kill only sends a signal to the child this struct started.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        if tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// Runs every scenario of `plan`, each on a fresh backend; the rows.
pub async fn run(
    plan: &Plan,
    binary: &Path,
    folder: &Path,
    template: &Context,
    log_level: &str,
) -> Vec<Row> {
    let mut fresh = Fresh {
        binary,
        folder,
        log_level,
        template,
        started: 0,
    };
    let mut rows = Vec::new();
    for &clients in &plan.idle {
        let run = |ctx| async move { vec![idle::run(&ctx, clients).await] };
        rows.extend(fresh.run(&[], run).await);
    }
    if !plan.live.is_empty() {
        let (steps, settings) = (&plan.live, plan.live_settings);
        // Each step reconnects the last step's users by email, without the tokens their
        // devices got: on a server with claims they would be refused (churn measures what
        // claims cost a registration).
        let run = |ctx| async move { live::run_steps(&ctx, steps, settings).await };
        rows.extend(fresh.run(&["--allow-shared-emails"], run).await);
    }
    for &pairs in &plan.relay_pairs {
        let (seconds, window) = (plan.relay_seconds, plan.relay_window);
        let run = |ctx| async move { vec![relay::run(&ctx, pairs, seconds, window).await] };
        rows.extend(fresh.run(&[], run).await);
    }
    for &rate in &plan.churn_rates {
        let (seconds, concurrency) = (plan.churn_seconds, plan.churn_concurrency);
        let run = |ctx| async move { vec![churn::run(&ctx, rate, seconds, concurrency).await] };
        rows.extend(fresh.run(&[], run).await);
    }
    rows
}

/// Where the suite's backends come from, and the context every scenario starts from.
struct Fresh<'a> {
    binary: &'a Path,
    folder: &'a Path,
    log_level: &'a str,
    template: &'a Context,
    started: usize,
}

impl Fresh<'_> {
    /// Runs `scenario` against a backend of its own (started with `extra` flags, stopped
    /// after it); its rows, each also printed to stderr as it comes.
    async fn run<F, R>(&mut self, extra: &[&str], scenario: F) -> Vec<Row>
    where
        F: FnOnce(Context) -> R,
        R: Future<Output = Vec<Row>>,
    {
        self.started += 1;
        let dir = self.folder.join(format!("run-{}", self.started));
        let _ = std::fs::create_dir_all(&dir);
        let backend = match Backend::start(self.binary, &dir, self.log_level, extra).await {
            Ok(backend) => backend,
            Err(error) => return vec![setup::failed(Row::default(), error)],
        };
        let ctx = Context {
            target: Target {
                url: backend.url.clone(),
                legacy: self.template.target.legacy,
            },
            server_pid: Some(backend.pid),
            ..self.template.clone()
        };
        let rows = scenario(ctx).await;
        backend.stop().await;
        for row in &rows {
            let line = table(std::slice::from_ref(row));
            eprintln!("{}", line.lines().last().unwrap_or(""));
        }
        rows
    }
}

/// The Markdown block written into the benchmarks file: machine, date, command, table.
pub fn block(rows: &[Row], command: &str) -> String {
    format!(
        "Measured {date} on {machine}.\n\nCommand: `{command}`\n\n{table}",
        date = date(),
        machine = machine(),
        table = table(rows)
    )
}

/// Replaces the part of `path` between the suite's markers with `block` (the rest of the
/// file, observations included, is kept); creates the file if needed.
pub fn write_block(path: &PathBuf, block: &str) -> std::io::Result<()> {
    const BEGIN: &str = "<!-- bench:begin -->";
    const END: &str = "<!-- bench:end -->";
    let old = std::fs::read_to_string(path).unwrap_or_else(|_| {
        format!("# Benchmarks\n\n`just bench` rewrites the block below.\n\n{BEGIN}\n{END}\n")
    });
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(begin), Some(end)) if begin < end => format!(
            "{}{BEGIN}\n{block}{END}{}",
            &old[..begin],
            &old[end + END.len()..]
        ),
        _ => format!("{old}\n{BEGIN}\n{block}{END}\n"),
    };
    std::fs::write(path, new)
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown CPU", |(_, name)| name.trim())
        .to_owned();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_gib = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse::<u64>().ok())
        .map_or(0.0, |kib| kib as f64 / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cores} cores ({model}), {memory_gib:.0} GiB, Linux {}",
        kernel.trim()
    )
}

fn date() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map_or_else(|| "an unknown date".into(), |date| date.trim().to_owned())
}
