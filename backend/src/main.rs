//! The backend binary: flags and environment to a config, logging, the store, the
//! listener, then [`backend::run`] until SIGINT or SIGTERM.

use backend::Args;
use clap::Parser;
use std::process::ExitCode;
use tokio::net::TcpListener;

fn main() -> ExitCode {
    backend::memory::use_one_arena();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve())
}

async fn serve() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let args = Args::parse();
    if let Some(command) = &args.command {
        return backend::operator::run_command(&args, command).await;
    }
    let (store, users) = match args.remote_config() {
        Some(remote) => {
            let users = format!("remote API at {}", remote.base);
            (backend::open_remote_store(remote).await, users)
        }
        None => {
            let users = format!("sqlite file {}", args.database.display());
            (backend::open_sqlite_store(&args.database).await, users)
        }
    };
    let store = match store {
        Ok(store) => store,
        Err(error) => {
            log::error!("cannot open the users store ({users}): {error}");
            return ExitCode::FAILURE;
        }
    };
    log::info!("users store: {users}");
    let claims = match backend::operator::open_claims(&args) {
        Ok(claims) => claims,
        Err(error) => {
            log::error!("cannot open the claims: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut config = args.server_config();
    config.session_key = match args.session_key() {
        Ok(key) => key,
        Err(error) => {
            log::error!("cannot set up session tokens: {error}");
            return ExitCode::FAILURE;
        }
    };
    if config.access_code.is_some() {
        log::info!("registering needs the access code");
    }
    let listener = match TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            log::error!("cannot listen on {}: {error}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let address = listener.local_addr().unwrap_or(args.listen);
    log::info!("listening on ws://{address}");
    backend::run(listener, config, store, claims, shutdown_signal()).await;
    ExitCode::SUCCESS
}

/// Resolves on Ctrl-C or SIGTERM, whichever comes first.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(error) => {
                    log::warn!("cannot listen for SIGTERM: {error}");
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
