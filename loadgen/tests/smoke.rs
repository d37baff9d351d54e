//! The benchmark suite's smoke run: a real server (in this process, on port 0) and small
//! loads of every scenario, checking correctness only: nothing lost, no ghosts, no client
//! refused. Never a timing.

use backend::store::chat::{ChatConfig, ChatStore, SeedPlan};
use backend::{ServerConfig, open_sqlite_store};
use loadgen::scenario::{Context, chat, churn, history, idle, live, relay};
use loadgen::suite::Plan;
use loadgen::{Ramp, Row, Target};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

async fn start_server(folder: &std::path::Path) -> (String, oneshot::Sender<()>) {
    let database = folder.join("users.sqlite3");
    let store = open_sqlite_store(&database).await.expect("open store");
    let config = bench_config();
    let claims_file = backend::config::claims_file_beside(&database);
    let claims = backend::claims::ClaimStore::open(&claims_file, config.admission.session_ttl)
        .expect("claims");
    let chat = open_seeded_chat(&database);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    tokio::spawn(backend::run(
        listener, config, store, claims, chat, shutdown,
    ));
    (format!("ws://{address}"), stop)
}

/// The chat file beside `database`, its history room filled first as `backend chat-seed`
/// fills it for the suite's history row.
fn open_seeded_chat(database: &std::path::Path) -> ChatStore {
    let chat_file = backend::config::chat_file_beside(database);
    let history = &Plan::smoke().history[0];
    let fill = SeedPlan::ending_now(&history.room, history.messages, 10);
    backend::store::chat::seed(&chat_file, &fill).expect("seed the history room");
    ChatStore::open(&chat_file, ChatConfig::default()).expect("chat")
}

/// The defaults, without the per-client abuse limits the relay would hit: the smoke run
/// checks delivery, as `just bench` measures capacity.
fn bench_config() -> ServerConfig {
    let unlimited = backend::Rate::new(1e6, 1_000_000);
    let mut config = ServerConfig::default();
    let budget = &mut config.budget;
    budget.chat_rate = unlimited;
    budget.signaling_rate = unlimited;
    budget.ice_rate = unlimited;
    budget.presence_rate = unlimited;
    budget.fan_out_rate = unlimited;
    budget.room_broadcast_rate = unlimited;
    budget.directed_rate = unlimited;
    config.admission.max_connections = 0;
    config.admission.max_connections_per_ip = 0;
    // Every scenario runs on this one server and names its clients alike, without the
    // tokens of the ones before (`just bench` starts a fresh server per scenario).
    config.admission.allow_shared_emails = true;
    config
}

fn context(url: String, legacy: bool) -> Context {
    Context {
        target: Target { url, legacy },
        server_pid: Some(std::process::id()),
        processes: 1,
        in_process: true,
        ramp: Ramp {
            rate: 500,
            concurrency: 32,
        },
    }
}

fn assert_correct(rows: &[Row]) {
    for row in rows {
        assert!(
            row.correct,
            "{} ({}) was not correct: {row:?}",
            row.scenario, row.load
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_loses_nothing_and_leaves_no_ghosts() {
    let folder = tempfile::tempdir().expect("temp dir");
    let (url, stop) = start_server(folder.path()).await;
    let ctx = context(url, false);
    let plan = Plan::smoke();
    let mut rows = vec![
        idle::run(&ctx, plan.idle[0], idle::Rooms::One).await,
        idle::run(&ctx, plan.idle[0], idle::Rooms::Each).await,
    ];
    let (live_row, counts) = live::run(&ctx, plan.live[0], plan.live_settings).await;
    assert!(
        counts.due > 0 && counts.received == counts.due,
        "{counts:?}"
    );
    rows.push(live_row);
    rows.push(
        relay::run(
            &ctx,
            plan.relay_pairs[0],
            plan.relay_seconds,
            plan.relay_window,
        )
        .await,
    );
    let churned = churn::run(&ctx, plan.churn_rates[0], plan.churn_seconds, 8).await;
    assert_eq!(churned.ghosts, Some(0), "{churned:?}");
    rows.push(churned);
    let chatted = chat::run(&ctx, plan.chat[0]).await;
    assert_eq!(chatted.lost, Some(0), "{chatted:?}");
    rows.push(chatted);
    rows.push(history::run(&ctx, &plan.history[0]).await);
    assert_correct(&rows);
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_protocol_loses_nothing_either() {
    let folder = tempfile::tempdir().expect("temp dir");
    let (url, stop) = start_server(folder.path()).await;
    let ctx = context(url, true);
    let settings = live::LiveSettings {
        moves: 2,
        ..Plan::smoke().live_settings
    };
    let (live_row, counts) = live::run(&ctx, 20, settings).await;
    assert!(
        counts.due > 0 && counts.received == counts.due,
        "{counts:?}"
    );
    let relayed = relay::run(&ctx, 3, 1, 4).await;
    let churned = churn::run(&ctx, 10, 1, 4).await;
    assert_correct(&[live_row, relayed, churned]);
    let _ = stop.send(());
}

/// A small run with two worker processes ends well within this: its workers exit once they
/// have given their results, rather than when the pool's wait for each (10 s) runs out.
const SMALL_RUN: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs the `loadgen` binary against `url` with `args` (its workers are processes); the
/// rows it wrote as JSON.
async fn rows_of_binary(url: &str, folder: &std::path::Path, args: &[&str]) -> Vec<Row> {
    let json = folder.join(format!("{}.json", args[0]));
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args)
        .args(["--url", url, "--processes", "2", "--connect-rate", "500"])
        .arg("--json")
        .arg(&json)
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .status();
    let began = std::time::Instant::now();
    let status = tokio::time::timeout(std::time::Duration::from_secs(120), run)
        .await
        .expect("loadgen finishes in time")
        .expect("loadgen runs");
    assert!(status.success(), "loadgen {args:?}: {status}");
    let took = began.elapsed();
    eprintln!("loadgen {args:?} took {took:?} with two worker processes");
    assert!(took < SMALL_RUN, "loadgen {args:?} took {took:?}");
    let text = std::fs::read_to_string(&json).expect("the JSON rows");
    serde_json::from_str(&text).expect("rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_in_worker_processes_too() {
    let folder = tempfile::tempdir().expect("temp dir");
    let (url, stop) = start_server(folder.path()).await;
    let runs: [&[&str]; 6] = [
        &["idle", "--clients", "20"],
        &[
            "live",
            "--clients",
            "10",
            "--moves",
            "2",
            "--period-ms",
            "500",
            "--grace-ms",
            "1000",
        ],
        &["relay", "--pairs", "3", "--seconds", "1", "--window", "4"],
        &[
            "churn",
            "--rate",
            "10",
            "--seconds",
            "1",
            "--concurrency",
            "4",
        ],
        &[
            "chat",
            "--rate",
            "200",
            "--chat-users",
            "6",
            "--chat-senders",
            "3",
            "--chat-seconds",
            "1",
            "--chat-window",
            "4",
        ],
        &[
            "history",
            "--clients",
            "2",
            "--seconds",
            "1",
            "--messages",
            "500",
        ],
    ];
    let mut rows = Vec::new();
    for args in runs {
        rows.extend(rows_of_binary(&url, folder.path(), args).await);
    }
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert_correct(&rows);
    let _ = stop.send(());
}
