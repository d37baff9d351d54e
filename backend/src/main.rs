//! The backend binary: flags and environment to a config, logging, the stores (users,
//! claims, chat), the listener, then [`backend::run`] until SIGINT or SIGTERM.

use backend::Args;
use backend::store::StoreError;
use clap::Parser;
use std::process::ExitCode;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    backend::memory::use_one_arena();
    ignore_file_size_signal();
    let args = Args::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if args.service.worker_threads > 0 {
        runtime.worker_threads(usize::from(args.service.worker_threads));
    }
    let runtime = match runtime.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    // On a worker, not this thread: each accepted connection's task is then spawned onto
    // the accepting worker's own queue, instead of the runtime's shared one with another
    // thread woken for it.
    runtime.block_on(async { tokio::spawn(serve(args)).await.unwrap_or(ExitCode::FAILURE) })
}

async fn serve(args: Args) -> ExitCode {
    if args.service.print_config {
        println!("{}", args.printed());
        return ExitCode::SUCCESS;
    }
    backend::logging::init(args.service.log_format);
    if let Some(command) = &args.command {
        return backend::operator::run_command(&args, command).await;
    }
    let mut config = args.server_config();
    let pool = match backend::operator::postgres_pool(&args) {
        Ok(pool) => pool,
        Err(error) => {
            log::error!(
                "cannot set up the database {}: {error}",
                args.database.shown()
            );
            return ExitCode::FAILURE;
        }
    };
    warn_of_files_per_node(&config, pool.is_some());
    let store = match open_users(&args, &config, pool.as_ref()).await {
        Ok(store) => store,
        Err(code) => return code,
    };
    let claims = match backend::operator::open_claims(&args, pool.as_ref()) {
        Ok(claims) => claims,
        Err(error) => {
            log::error!("cannot open the claims: {error}");
            return ExitCode::FAILURE;
        }
    };
    let chat = match open_chat(&args, pool.as_ref()).await {
        Ok(chat) => chat,
        Err(error) => {
            log::error!("cannot open the chat store: {error}");
            return ExitCode::FAILURE;
        }
    };
    config.admission.session_key = match args.session_key() {
        Ok(key) => key,
        Err(error) => {
            log::error!("cannot set up session tokens: {error}");
            return ExitCode::FAILURE;
        }
    };
    config.admission.turn = match args.turn.config() {
        Ok(turn) => turn,
        Err(error) => {
            log::error!("cannot set up TURN: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(turn) = &config.admission.turn {
        log::info!("TURN: {turn:?}");
    }
    if config.admission.access_code.is_some() {
        log::info!("registering needs the access code");
    }
    let listener = match TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            log::error!("cannot listen on {}: {error}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let linked = config.backplane.as_ref().map(|b| b.linked.clone());
    let admin = match start_admin(&args, &store, linked).await {
        Ok(admin) => admin,
        Err(code) => return code,
    };
    let shutdown = shutdown_signal();
    let address = listener.local_addr().unwrap_or(args.listen);
    let workers = tokio::runtime::Handle::current().metrics().num_workers();
    log::info!("serving on {workers} worker thread(s) (--worker-threads)");
    log::info!("listening on ws://{address}");
    backend::run(listener, config, store, claims, chat, shutdown).await;
    admin.cancel();
    ExitCode::SUCCESS
}

/// A node of a cluster (`--redis`) whose claims and chat history are in files of its own
/// (no PostgreSQL `--database`) works, but does not share them: says so at start.
fn warn_of_files_per_node(config: &backend::ServerConfig, shared_database: bool) {
    if config.backplane.is_some() && !shared_database {
        log::warn!(
            "cluster: this node's claims and chat history are in files of its own: an email \
             claimed here is not claimed on the other nodes, and each node keeps its own \
             history; give every node one --database postgres://…"
        );
    }
}

/// Opens the chat store: in PostgreSQL behind `pool` when `--database` is a URL, else in
/// its SQLite file.
async fn open_chat(
    args: &Args,
    pool: Option<&backend::store::postgres::Pool>,
) -> Result<backend::store::chat::ChatStore, backend::store::chat::ChatStoreError> {
    use backend::store::chat::ChatStore;
    if let Some(pool) = pool {
        log::info!("chat store: postgres {}", args.database.shown());
        return ChatStore::open_postgres(pool.clone(), args.chat_config()).await;
    }
    let chat_file = args.chat_database();
    let chat = ChatStore::open(&chat_file, args.chat_config())?;
    log::info!("chat store: sqlite file {}", chat_file.display());
    Ok(chat)
}

/// Opens the users store `args` name: the remote API, PostgreSQL behind `pool` (as this
/// node: `--node-id`, or `local`), or the SQLite file.
async fn open_users(
    args: &Args,
    config: &backend::ServerConfig,
    pool: Option<&backend::store::postgres::Pool>,
) -> Result<backend::store::WriteBehind, ExitCode> {
    let retention = config.store.retention;
    let (store, users) = match (args.store.remote_config(), pool) {
        (Some(remote), _) => {
            let users = format!("remote API at {}", remote.base);
            (backend::open_remote_store(remote).await, users)
        }
        (None, Some(pool)) => {
            let node = config.backplane.as_ref().map(|b| b.node.as_str());
            let node = node.or(args.backplane.node_id.as_ref().map(|id| id.as_str()));
            let node = node.unwrap_or(backend::store::postgres::LOCAL_NODE);
            if args.backplane.node_id.is_none() && config.backplane.is_some() {
                log::warn!(
                    "users store: node id {node} is new at each start; give each node its \
                     --node-id, or users it held before a crash stay connected in the database"
                );
            }
            let store = backend::open_postgres_store(pool.clone(), node, retention).await;
            (
                Ok(store),
                format!("{} as node {node}", args.database.shown()),
            )
        }
        (None, None) => match args.users_file() {
            Some(file) => {
                let store = backend::open_sqlite_store_retaining(file, retention).await;
                (store, args.database.shown())
            }
            None => (
                Err(StoreError("no users store named".into())),
                String::new(),
            ),
        },
    };
    let store = store.map_err(|error| {
        log::error!("cannot open the users store ({users}): {error}");
        ExitCode::FAILURE
    })?;
    log::info!("users store: {users}");
    Ok(store)
}

/// Starts the admin listener if `--admin-listen` asks for one (with the metrics'
/// recorder); the token stops it.
async fn start_admin(
    args: &Args,
    store: &backend::store::WriteBehind,
    backplane: Option<backend::BackplaneLink>,
) -> Result<CancellationToken, ExitCode> {
    let stop = CancellationToken::new();
    let Some(address) = args.service.admin_listen else {
        return Ok(stop);
    };
    let listener = TcpListener::bind(address).await.map_err(|error| {
        log::error!("cannot listen on {address} (admin): {error}");
        ExitCode::FAILURE
    })?;
    if !address.ip().is_loopback() {
        log::warn!("the admin listener on {address} is reachable from other hosts");
    }
    let metrics = backend::telemetry::install()
        .inspect_err(|error| log::warn!("no metrics: {error}"))
        .ok();
    let readiness = backend::admin::Readiness {
        users: store.clone(),
        backplane,
    };
    let admin = backend::admin::Admin { readiness, metrics };
    let bound = listener.local_addr().unwrap_or(address);
    log::info!("admin listening on http://{bound}");
    tokio::spawn(backend::admin::serve(listener, admin, stop.clone()));
    Ok(stop)
}

/// A write past the file-size limit (`ulimit -f`) fails with an error the users store
/// retries, instead of SIGXFSZ killing the process with every change still pending.
fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler code; called
    // before any other thread exists.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Listens for Ctrl-C and SIGTERM from now on, so that a signal that comes before the server
/// awaits it is not lost (its default action would kill the process); resolves on the first.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind: SignalKind, name: &str| match signal(kind) {
            Ok(signal) => Some(signal),
            Err(error) => {
                log::warn!("cannot listen for {name}: {error}");
                None
            }
        };
        let mut terminate = listen(SignalKind::terminate(), "SIGTERM");
        let mut interrupt = listen(SignalKind::interrupt(), "SIGINT");
        async move {
            tokio::select! {
                _ = received(terminate.as_mut()) => {}
                _ = received(interrupt.as_mut()) => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Resolves when `signal` comes; never without one.
#[cfg(unix)]
async fn received(signal: Option<&mut tokio::signal::unix::Signal>) {
    match signal {
        Some(signal) => drop(signal.recv().await),
        None => std::future::pending().await,
    }
}
