//! The `loadgen` binary: flags to a scenario (or the whole suite), the table on stdout,
//! and optionally JSON; `loadgen worker` is one worker process of a run.

use clap::{Args, Parser, Subcommand};
use loadgen::report::{Row, table};
use loadgen::scenario::{Context, churn, idle, live, relay};
use loadgen::suite::{self, Plan};
use loadgen::{Ramp, Target};
use std::path::PathBuf;
use std::process::ExitCode;

// Defaults that a scenario's own command and the suite share.
const RELAY_PAIRS: usize = 100;
const RELAY_SECONDS: u64 = 10;
const RELAY_WINDOW: u64 = 16;
const CHURN_SECONDS: u64 = 5;
const CHURN_CONCURRENCY: usize = 512;

/// The server `--url` names unless told: the backend's default port on loopback.
fn default_url() -> String {
    format!("ws://127.0.0.1:{}", shared::DEFAULT_BACKEND_PORT)
}

#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    about = "Load generator and benchmarks for the meetmap backend"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct Common {
    /// The server, `ws://host:port` (loopback only).
    #[arg(long, global = true, default_value_t = default_url())]
    url: String,
    /// The server's process id, to read its CPU time and RSS from /proc.
    #[arg(long, global = true)]
    server_pid: Option<u32>,
    /// Speak only the seed's protocol (no subprotocol, full `update-users` lists).
    #[arg(long, global = true)]
    legacy: bool,
    /// Worker processes; 0 = one per 10,000 clients.
    #[arg(long, global = true, default_value_t = 0)]
    processes: usize,
    /// New connections per second while setting up.
    #[arg(long, global = true, default_value_t = Ramp::DEFAULT.rate)]
    connect_rate: u32,
    /// Connections in their handshake at once while setting up.
    #[arg(long, global = true, default_value_t = Ramp::DEFAULT.concurrency)]
    connect_concurrency: usize,
    /// Also write the rows as JSON to this file.
    #[arg(long, global = true)]
    json: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// N registered connections in one room; server RSS per connection.
    Idle {
        #[arg(long, default_value_t = 5_000)]
        clients: usize,
    },
    /// N users moving in one room; move-to-arrival latency and losses.
    Live {
        #[arg(long, default_value_t = 1_000)]
        clients: usize,
        /// Raise N through these (comma-separated) until p99 passes 1 s or a move is lost.
        #[arg(long, value_delimiter = ',')]
        steps: Vec<usize>,
        #[command(flatten)]
        settings: LiveFlags,
    },
    /// P pairs exchanging addressed signaling frames as fast as the server takes them.
    Relay {
        #[arg(long, default_value_t = RELAY_PAIRS)]
        pairs: usize,
        #[arg(long, default_value_t = RELAY_SECONDS)]
        seconds: u64,
        /// Frames in flight each way per pair.
        #[arg(long, default_value_t = RELAY_WINDOW)]
        window: u64,
    },
    /// Connect, register and close at a set rate; the rate held and the ghosts left.
    Churn {
        #[arg(long, default_value_t = 2_000)]
        rate: u32,
        #[arg(long, default_value_t = CHURN_SECONDS)]
        seconds: u64,
        /// Cycles in progress at once.
        #[arg(long, default_value_t = CHURN_CONCURRENCY)]
        concurrency: usize,
    },
    /// Start a backend per scenario, run the default suite, write docs/BENCHMARKS.md.
    Suite(SuiteFlags),
    /// One worker process (started by the others; speaks JSON lines on stdin/stdout).
    #[command(hide = true)]
    Worker,
}

#[derive(Debug, Args)]
struct LiveFlags {
    /// Moves per user.
    #[arg(long, default_value_t = 1)]
    moves: u32,
    /// Milliseconds between two moves of one user.
    #[arg(long, default_value_t = 20_000)]
    period_ms: u64,
    /// Receivers that decode everything (the rest only drain).
    #[arg(long, default_value_t = 200)]
    sample: usize,
    /// Milliseconds after the last move for it to arrive.
    #[arg(long, default_value_t = 3_000)]
    grace_ms: u64,
}

impl LiveFlags {
    fn settings(&self) -> live::LiveSettings {
        live::LiveSettings {
            moves: self.moves,
            period_ms: self.period_ms,
            sample: self.sample,
            grace_ms: self.grace_ms,
        }
    }
}

#[derive(Debug, Args)]
struct SuiteFlags {
    /// The backend binary to start.
    #[arg(long, default_value = "target/release/backend")]
    backend: PathBuf,
    /// A tiny run that checks correctness only (0 lost, 0 ghosts); writes no file.
    #[arg(long)]
    smoke: bool,
    /// Where to write the table (between the bench markers).
    #[arg(long, default_value = "docs/BENCHMARKS.md")]
    write: PathBuf,
    /// How the run was asked for, recorded in the file (e.g. `just bench`).
    #[arg(long)]
    command: Option<String>,
    /// The backend's RUST_LOG (its per-connection lines are at info).
    #[arg(long, default_value = "warn")]
    server_log: String,
    /// Idle connections, one run per size (the target: ≤ 3 KB RSS each at 10,000).
    #[arg(long, value_delimiter = ',', default_value = "10000")]
    idle: Vec<usize>,
    /// Live-map room sizes, raised in step mode (the target: 15,000 at p99 ≤ 1 s).
    #[arg(long, value_delimiter = ',', default_value = "5000,10000,15000")]
    live: Vec<usize>,
    #[command(flatten)]
    live_settings: LiveFlags,
    #[arg(long, value_delimiter = ',', default_values_t = [RELAY_PAIRS])]
    relay_pairs: Vec<usize>,
    #[arg(long, default_value_t = RELAY_SECONDS)]
    relay_seconds: u64,
    #[arg(long, default_value_t = RELAY_WINDOW)]
    relay_window: u64,
    #[arg(long, value_delimiter = ',', default_value = "2000,5000")]
    churn: Vec<u32>,
    #[arg(long, default_value_t = CHURN_SECONDS)]
    churn_seconds: u64,
    #[arg(long, default_value_t = CHURN_CONCURRENCY)]
    churn_concurrency: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    loadgen::clock::raise_fd_limit();
    let common = &cli.common;
    let ctx = Context {
        target: Target {
            url: common.url.clone(),
            legacy: common.legacy,
        },
        server_pid: common.server_pid,
        processes: common.processes,
        in_process: false,
        ramp: Ramp {
            rate: common.connect_rate,
            concurrency: common.connect_concurrency,
        },
    };
    let rows = match &cli.command {
        Command::Worker => {
            return match loadgen::worker_entry::serve_stdio().await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("loadgen worker: {error}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Idle { clients } => vec![idle::run(&ctx, *clients).await],
        Command::Live {
            clients,
            steps,
            settings,
        } if steps.is_empty() => vec![live::run(&ctx, *clients, settings.settings()).await.0],
        Command::Live {
            steps, settings, ..
        } => live::run_steps(&ctx, steps, settings.settings()).await,
        Command::Relay {
            pairs,
            seconds,
            window,
        } => vec![relay::run(&ctx, *pairs, *seconds, *window).await],
        Command::Churn {
            rate,
            seconds,
            concurrency,
        } => vec![churn::run(&ctx, *rate, *seconds, *concurrency).await],
        Command::Suite(flags) => return run_suite(flags, &ctx, common).await,
    };
    finish(&rows, common.json.as_ref(), false)
}

async fn run_suite(flags: &SuiteFlags, ctx: &Context, common: &Common) -> ExitCode {
    let plan = if flags.smoke {
        Plan::smoke()
    } else {
        Plan {
            idle: flags.idle.clone(),
            live: flags.live.clone(),
            live_settings: flags.live_settings.settings(),
            relay_pairs: flags.relay_pairs.clone(),
            relay_seconds: flags.relay_seconds,
            relay_window: flags.relay_window,
            churn_rates: flags.churn.clone(),
            churn_seconds: flags.churn_seconds,
            churn_concurrency: flags.churn_concurrency,
        }
    };
    let folder = std::env::temp_dir().join(format!("loadgen-{}", std::process::id()));
    if let Err(error) = std::fs::create_dir_all(&folder) {
        eprintln!("loadgen: cannot create {}: {error}", folder.display());
        return ExitCode::FAILURE;
    }
    let rows = suite::run(&plan, &flags.backend, &folder, ctx, &flags.server_log).await;
    let _ = std::fs::remove_dir_all(&folder);
    if !flags.smoke {
        let args: Vec<String> = std::env::args().collect();
        // Quoted where a shell would need it, so the line can be pasted back.
        let exact = args
            .iter()
            .map(|arg| match arg.contains(' ') {
                true => format!("'{arg}'"),
                false => arg.clone(),
            })
            .collect::<Vec<_>>()
            .join(" ");
        let command = match &flags.command {
            Some(asked) => format!("{asked}` → `{exact}"),
            None => exact,
        };
        let block = suite::block(&rows, &command);
        match suite::write_block(&flags.write, &block) {
            Ok(()) => eprintln!("loadgen: wrote {}", flags.write.display()),
            Err(error) => eprintln!("loadgen: cannot write {}: {error}", flags.write.display()),
        }
    }
    finish(&rows, common.json.as_ref(), flags.smoke)
}

/// Prints the table, writes the JSON; in smoke mode fails unless every row is correct.
fn finish(rows: &[Row], json: Option<&PathBuf>, smoke: bool) -> ExitCode {
    println!("{}", table(rows));
    if let Some(path) = json {
        let written = serde_json::to_string_pretty(rows)
            .map_err(|error| error.to_string())
            .and_then(|text| std::fs::write(path, text).map_err(|error| error.to_string()));
        if let Err(error) = written {
            eprintln!("loadgen: cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if smoke && !rows.iter().all(|row| row.correct) {
        eprintln!("loadgen: smoke run found losses, ghosts or failed clients");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
