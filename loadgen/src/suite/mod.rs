//! `just bench`: starts a fresh backend for each scenario, runs the default (or smoke)
//! sizes, and writes the table into `docs/BENCHMARKS.md` with the machine, the date and
//! the command (`block`). `backend` starts, seeds and stops the backends; `peerjs` the
//! PeerJS server of the relay's side-by-side row; `process` is what the two share;
//! `cluster/` the cluster rows, on a `redis-server` and several backends of their own.

mod backend;
mod block;
pub mod cluster;
mod floor;
mod peerjs;
mod process;

pub use backend::Backend;
pub use block::{block, write_block};
use floor::ChurnSize;
pub use peerjs::{DEFAULT_PACKAGE as PEERJS_PACKAGE, PeerJs, RelaySize};

use crate::Target;
use crate::report::{Row, table};
use crate::scenario::chat::{self, ChatSettings};
use crate::scenario::failover::FailoverSettings;
use crate::scenario::history::{self, HistorySettings};
use crate::scenario::{Context, churn, idle, live, relay, setup};
use cluster::ClusterPlan;
use std::path::{Path, PathBuf};

/// The chat row's backend flags beyond the lifted budgets: a receiver of 20,000 messages
/// a second that the generator's 2 cores let fall 50 ms behind would fill the default
/// outbox (1,024 frames) and be closed as too slow.
const CHAT_FLAGS: &[&str] = &["--outbox-capacity", "16384", "--outbox-bytes", "16777216"];
/// The history row's backend flags: its room holds more than the default bound per room
/// (100,000), which the backend's retention would cut it down to.
const HISTORY_FLAGS: &[&str] = &["--chat-max-per-room", "0"];

/// The sizes of a suite run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub idle: Vec<usize>,
    pub live: Vec<usize>,
    pub live_settings: live::LiveSettings,
    pub relay_pairs: Vec<usize>,
    pub relay_seconds: u64,
    pub relay_window: u64,
    /// The `peer` npm package to run each relay size against too; `None`: meetmap only.
    pub relay_peerjs: Option<PathBuf>,
    pub churn_rates: Vec<u32>,
    pub churn_seconds: u64,
    pub churn_concurrency: usize,
    pub chat: Vec<ChatSettings>,
    /// Each run seeds its room first (`backend chat-seed`).
    pub history: Vec<HistorySettings>,
    /// The cluster rows (issue 15), on Redis and several nodes.
    pub cluster: ClusterPlan,
}

impl Plan {
    /// A tiny run that checks correctness only (CI).
    pub fn smoke() -> Self {
        Self {
            idle: vec![50],
            live: vec![50],
            live_settings: live::LiveSettings {
                moves: 3,
                room_size: 0,
                period_ms: 1_000,
                sample: 50,
                grace_ms: 2_000,
            },
            relay_pairs: vec![5],
            relay_seconds: 1,
            relay_window: 4,
            relay_peerjs: None,
            churn_rates: vec![20],
            churn_seconds: 1,
            churn_concurrency: 8,
            chat: vec![ChatSettings {
                clients: 10,
                senders: 4,
                rate: 200,
                seconds: 1,
                window: 4,
                sample: 10,
            }],
            history: vec![HistorySettings {
                clients: 2,
                seconds: 1,
                room: "history".into(),
                messages: 500,
            }],
            cluster: ClusterPlan {
                spread: vec![100],
                spread_nodes: 2,
                room_size: 25,
                one_room: vec![100],
                failover: Some(FailoverSettings {
                    per_node: 50,
                    runs: 1,
                    patience_ms: 15_000,
                }),
            },
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
        for rooms in [idle::Rooms::One, idle::Rooms::Each] {
            let run = |ctx| async move { vec![idle::run(&ctx, clients, rooms).await] };
            rows.extend(fresh.run(&[], run).await);
        }
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
        let ours = fresh.run(&[], run).await;
        if let (Some(package), Some(meetmap)) = (&plan.relay_peerjs, ours.first()) {
            let size = RelaySize {
                pairs,
                seconds,
                window,
            };
            let theirs = fresh.run_peerjs(package, size, meetmap).await;
            rows.extend(ours);
            rows.push(theirs);
        } else {
            rows.extend(ours);
        }
        let one = move |ctx| async move { on_one_worker(run(ctx).await) };
        rows.extend(fresh.run(ONE_WORKER, one).await);
    }
    for &rate in &plan.churn_rates {
        let (seconds, concurrency) = (plan.churn_seconds, plan.churn_concurrency);
        let run = |ctx| async move { vec![churn::run(&ctx, rate, seconds, concurrency).await] };
        let ours = fresh.run(&[], run).await;
        let size = ChurnSize {
            rate,
            seconds,
            concurrency,
        };
        let floor = match ours.first() {
            Some(meetmap) => Some(fresh.run_floor(size, meetmap).await),
            None => None,
        };
        rows.extend(ours);
        rows.extend(floor);
        let one = move |ctx| async move { on_one_worker(run(ctx).await) };
        rows.extend(fresh.run(ONE_WORKER, one).await);
    }
    for &settings in &plan.chat {
        let run = |ctx| async move { vec![chat::run(&ctx, settings).await] };
        let flags = format!("{} {}", backend::chat_budget_flags(), CHAT_FLAGS.join(" "));
        rows.extend(noting_flags(fresh.run(CHAT_FLAGS, run).await, &flags));
    }
    for settings in &plan.history {
        let run = |ctx| async move { vec![history::run(&ctx, settings).await] };
        let seed = (settings.room.as_str(), settings.messages);
        let ran = fresh.run_seeded(HISTORY_FLAGS, Some(seed), run).await;
        rows.extend(noting_flags(ran, &HISTORY_FLAGS.join(" ")));
    }
    let servers = cluster::Servers {
        binary,
        folder,
        log_level,
    };
    let cluster_rows = cluster::run(&plan.cluster, plan.live_settings, servers, template).await;
    cluster_rows.iter().for_each(print_row);
    rows.extend(cluster_rows);
    rows
}

/// The backend's flags for the relay's and churn's second rows: the server on one worker
/// thread, the generator beside it having the machine's other cores.
const ONE_WORKER: &[&str] = &["--worker-threads", "1"];

/// `rows` run with [`ONE_WORKER`], named and noted so.
fn on_one_worker(mut rows: Vec<Row>) -> Vec<Row> {
    for row in &mut rows {
        row.scenario += ", 1 worker thread";
    }
    noting_flags(rows, &ONE_WORKER.join(" "))
}

/// `rows` with the backend flags they ran with, beyond every row's, in their notes.
fn noting_flags(mut rows: Vec<Row>, flags: &str) -> Vec<Row> {
    for row in &mut rows {
        row.notes += &format!("; backend flags: {flags}");
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
    /// The relay row of `size` against a PeerJS server of its own, beside `meetmap`'s.
    async fn run_peerjs(&mut self, package: &Path, size: RelaySize, meetmap: &Row) -> Row {
        let dir = self.next_dir();
        let row = peerjs::relay_row(package, &dir, self.template, size, meetmap).await;
        print_row(&row);
        row
    }

    /// The churn row of `size` against the floor server, beside `meetmap`'s.
    async fn run_floor(&mut self, size: ChurnSize, meetmap: &Row) -> Row {
        let dir = self.next_dir();
        let row = floor::churn_row(&dir, self.template, size, meetmap).await;
        print_row(&row);
        row
    }

    /// A folder of its own for the next server.
    fn next_dir(&mut self) -> PathBuf {
        self.started += 1;
        let dir = self.folder.join(format!("run-{}", self.started));
        let _ = std::fs::create_dir_all(&dir);
        dir
    }

    /// Runs `scenario` against a backend of its own (started with `extra` flags, stopped
    /// after it); its rows, each also printed to stderr as it comes.
    async fn run<F, R>(&mut self, extra: &[&str], scenario: F) -> Vec<Row>
    where
        F: FnOnce(Context) -> R,
        R: Future<Output = Vec<Row>>,
    {
        self.run_seeded(extra, None, scenario).await
    }

    /// [`Self::run`], with a room of the backend's chat filled first when `seed` names
    /// one and a number of messages.
    async fn run_seeded<F, R>(
        &mut self,
        extra: &[&str],
        seed: Option<(&str, u64)>,
        scenario: F,
    ) -> Vec<Row>
    where
        F: FnOnce(Context) -> R,
        R: Future<Output = Vec<Row>>,
    {
        let dir = self.next_dir();
        if let Some((room, messages)) = seed
            && let Err(error) = backend::seed_chat(self.binary, &dir, room, messages).await
        {
            let row = Row {
                scenario: format!("seeding {room} with {messages} messages"),
                ..Row::default()
            };
            return vec![setup::failed(row, error)];
        }
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
        rows.iter().for_each(print_row);
        rows
    }
}

/// Prints `row` to stderr as a line of the table, as it comes.
fn print_row(row: &Row) {
    let line = table(std::slice::from_ref(row));
    eprintln!("{}", line.lines().last().unwrap_or(""));
}
