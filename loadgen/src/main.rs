//! The `loadgen` binary: flags to a scenario (or the whole suite), the table on stdout,
//! and optionally JSON; `loadgen worker` is one worker process of a run.

mod flags;

use clap::Parser;
use flags::{Cli, Command, Common, SuiteFlags};
use loadgen::report::{Row, table};
use loadgen::scenario::{Context, Node, chat, churn, failover, history, idle, live, relay};
use loadgen::suite;
use loadgen::{Ramp, Target};
use std::path::PathBuf;
use std::process::ExitCode;

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
        Command::Floor { listen } => return serve_floor(listen).await,
        Command::Idle { clients, room_each } => {
            let rooms = if *room_each {
                idle::Rooms::Each
            } else {
                idle::Rooms::One
            };
            vec![idle::run(&ctx, *clients, rooms).await]
        }
        Command::Live {
            clients,
            steps,
            settings,
            nodes,
            node_pids,
        } if steps.is_empty() => {
            let mut cluster = vec![ctx.node()];
            cluster.extend(nodes.iter().enumerate().map(|(n, url)| Node {
                target: Target {
                    url: url.clone(),
                    legacy: common.legacy,
                },
                pid: node_pids.get(n).copied(),
            }));
            let settings = settings.settings();
            vec![live::run_on(&ctx, &cluster, *clients, settings).await.0]
        }
        Command::Live {
            steps, settings, ..
        } => live::run_steps(&ctx, steps, settings.settings()).await,
        Command::Failover(flags) => {
            let victim = ctx.node_at(&flags.victim_url, flags.victim_pid);
            let settings = flags.settings();
            let ran = failover::run_once(&ctx, &ctx.node(), &victim, settings, 0).await;
            vec![failover::row(settings, vec![ran])]
        }
        Command::Relay {
            pairs,
            seconds,
            window,
            peerjs,
        } => {
            let server = match peerjs {
                true => relay::Server::PeerJs,
                false => relay::Server::Meetmap,
            };
            vec![relay::run_against(&ctx, server, *pairs, *seconds, *window).await]
        }
        Command::Churn {
            rate,
            seconds,
            concurrency,
        } => vec![churn::run(&ctx, *rate, *seconds, *concurrency).await],
        Command::Chat(flags) => vec![chat::run(&ctx, flags.sizes.settings(flags.rate)).await],
        Command::History(flags) => vec![history::run(&ctx, &flags.settings()).await],
        Command::Suite(flags) => return run_suite(flags, &ctx, common).await,
    };
    finish(&rows, common.json.as_ref(), false)
}

/// `loadgen floor`: serves on `listen` until the process is stopped.
async fn serve_floor(listen: &str) -> ExitCode {
    match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => {
            if let Ok(address) = listener.local_addr() {
                eprintln!("loadgen floor: listening on ws://{address}");
            }
            loadgen::floor::serve(listener).await;
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("loadgen floor: cannot listen on {listen}: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run_suite(flags: &SuiteFlags, ctx: &Context, common: &Common) -> ExitCode {
    let plan = flags.plan();
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
