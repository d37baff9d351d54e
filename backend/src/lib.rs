//! meetmap's WebSocket server: who is online where, on a map, and the relay for their chat
//! and call signaling.
//!
//! Codemap: [`run`] (here) accepts connections and owns shutdown; `config` turns flags
//! into each module's config; `admission` decides who gets in (caps, Origin, access code,
//! session tokens, claims), what it is handed (TURN credentials) and what a connection
//! may cost (its budget); `connection` is one task per connection (the handshake, the
//! peer's select loop, the socket); `hub`
//! holds the one shared state (its rooms, chat and signaling routing, the presence tick),
//! queueing `frame`s on each connection's `outbox`; `store` keeps users in SQLite, PostgreSQL or
//! a remote users API, behind a write-behind queue, and chat messages in their own SQLite
//! file (`store::chat`).

pub mod admin;
mod admission;
mod backplane;
pub mod config;
mod connection;
mod frame;
mod hub;
pub mod logging;
pub mod memory;
pub mod operator;
mod outbox;
pub mod store;
pub mod telemetry;

pub use admission::budget::{BudgetConfig, Rate, StrikeLimit};
pub use admission::claims;
pub use admission::{
    AdmissionConfig, DEFAULT_TURN_TTL, MissingOrigin, Secret, SecretError, SessionKey, TurnConfig,
    TurnError,
};
pub use backplane::Linked as BackplaneLink;
pub use config::{Args, PresenceConfig, ServerConfig};
pub use connection::ConnectionConfig;
pub use hub::Hub;
pub use store::StoreConfig;

use admission::claims::ClaimStore;
use admission::{Access, Admission};
use connection::Context;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use store::chat::{ChatConfig, ChatStore, ChatStoreError};
use store::{RemoteConfig, RemoteStore, RetryPolicy, SqliteStore, StoreError, WriteBehind};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Serves WebSocket clients on `listener` until `shutdown` resolves; then closes every
/// connection with 1001, waits for them within the grace period and flushes the stores.
/// The stores are opened by the caller (`main.rs`); `chat`'s retention runs here.
pub async fn run(
    listener: TcpListener,
    config: ServerConfig,
    store: WriteBehind,
    claims: ClaimStore,
    chat: ChatStore,
    shutdown: impl Future,
) {
    let access = Access::new(&config.admission, claims);
    let mut hub = Hub::new(store.clone())
        .with_lists_after_registering(access.gates_rooms())
        .with_room_users_per_tick(config.presence.room_users_per_tick);
    let stop = CancellationToken::new();
    let tasks = TaskTracker::new();
    if let Some(backplane) = config.backplane.clone() {
        hub = join_backplane(hub, backplane, &tasks, &stop);
    }
    let sends_chat = hub.clone();
    chat.after_each_batch(move || sends_chat.flush_chat());
    let ticked = (hub.clone(), store.clone());
    tasks.spawn(tick_presence(ticked, config.presence, stop.clone()));
    let ping_interval = config.connection.ping_interval;
    tasks.spawn(tick_pings(hub.clone(), ping_interval, stop.clone()));
    let purged = access.claims().clone();
    let retention = config.store.retention;
    tasks.spawn(claims::purge_periodically(purged, retention, stop.clone()));
    tasks.spawn(chat.clone().purge_periodically(stop.clone()));
    let max_connections = admission::within_descriptor_limit(config.admission.max_connections);
    let per_address = config.admission.max_connections_per_ip;
    let trusted = &config.admission.trusted_proxies;
    let caps = Admission::new(max_connections, per_address, trusted);
    let context = Arc::new(Context {
        config: config.connection,
        admission: config.admission,
        budget: config.budget,
        access,
        hub,
        chat,
    });
    accept_until(&listener, shutdown, &caps, &context, &tasks, &stop).await;
    close_connections(&context, &tasks, &stop).await;
    // Every acked message is committed already; this takes what was queued after.
    context.chat.flush().await;
    log::info!("chat store: everything queued is written");
    shut_store(&store, config.store.shutdown_timeout).await;
    if !context.access.claims().flush().await {
        log::error!(
            "claims: some claims kept in memory could not be written (the file is unavailable); their devices sign in anew"
        );
    }
}

/// Starts the backplane's task (in `tasks`, until `stop`) and the one feeding what other
/// nodes send to the hub; the hub joined to it. A URL the client refuses (checked at
/// start already) leaves the node alone, saying so.
fn join_backplane(
    hub: Hub,
    config: backplane::BackplaneConfig,
    tasks: &TaskTracker,
    stop: &CancellationToken,
) -> Hub {
    let (node, url) = (config.node.clone(), config.url.clone());
    let started = match backplane::start(config, stop.clone()) {
        Ok(started) => started,
        Err(error) => {
            log::error!("backplane: cannot use Redis at {url} ({error}); this node stands alone");
            return hub;
        }
    };
    log::info!("backplane: node {node} joins the others on Redis at {url}");
    tasks.spawn(started.task);
    let hub = hub.with_backplane(started.backplane);
    let (fed, mut inbound, stop) = (hub.clone(), started.inbound, stop.clone());
    tasks.spawn(async move {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                Some(message) = inbound.recv() => fed.apply_remote(message),
                else => return,
            }
        }
    });
    hub
}

/// Accepts connections until `shutdown` resolves, each a task of `tasks` once it has a
/// place under the caps.
async fn accept_until(
    listener: &TcpListener,
    shutdown: impl Future,
    caps: &Admission,
    context: &Arc<Context>,
    tasks: &TaskTracker,
    stop: &CancellationToken,
) {
    tokio::pin!(shutdown);
    let mut next_id = 1;
    loop {
        let (stream, address) = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, usually: wait instead of spinning.
                    log::warn!("accept failed: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let id = next_id;
        next_id += 1;
        // Taken before the handshake, so half-open handshakes count against the caps.
        let Some(ticket) = caps.admit(address.ip()) else {
            log::debug!("conn={id} from {address}: dropped, too many refusals at once");
            telemetry::handshake_refused("dropped");
            continue;
        };
        let context = Arc::clone(context);
        let connection = connection::serve(stream, address, id, ticket, context, stop.clone());
        tasks.spawn(connection);
    }
}

/// Tells every connection and ticker to stop (1001 to each client), and waits for the
/// connections within the shutdown grace.
async fn close_connections(context: &Context, tasks: &TaskTracker, stop: &CancellationToken) {
    let hub = &context.hub;
    log::info!(
        "shutting down: closing {} connections",
        hub.connection_count()
    );
    stop.cancel();
    hub.close_all();
    tasks.close();
    let grace = context.config.shutdown_grace;
    if tokio::time::timeout(grace, tasks.wait()).await.is_err() {
        log::warn!("some connections did not close within {grace:?}");
    }
}

/// The most emails named in the log when changes are lost at shutdown.
const LOST_EMAILS_LOGGED: usize = 20;

/// Lets the store take what is pending, retrying, for up to `timeout`; logs what it is
/// waiting for and then that everything was written, or which changes were lost.
async fn shut_store(store: &WriteBehind, timeout: Duration) {
    let pending = store.pending();
    log::info!(
        "shutting down: waiting up to {}s for the users store to take {pending} pending changes",
        timeout.as_secs_f64()
    );
    let lost = store.shutdown(timeout).await;
    if lost.is_empty() {
        log::info!("users store: every change written");
        return;
    }
    let named = lost[..lost.len().min(LOST_EMAILS_LOGGED)].join(", ");
    let more = match lost.len().saturating_sub(LOST_EMAILS_LOGGED) {
        0 => String::new(),
        more => format!(" and {more} more"),
    };
    log::error!(
        "users store: the latest changes of {} users were lost (not written within {}s): {named}{more}",
        lost.len(),
        timeout.as_secs_f64()
    );
}

/// Opens the chat store in its file beside the users' SQLite file `database`, as `main`
/// does without `--chat-database`.
pub fn open_chat_store_beside(
    database: &Path,
    config: ChatConfig,
) -> Result<ChatStore, ChatStoreError> {
    ChatStore::open(&config::chat_file_beside(database), config)
}

/// [`open_sqlite_store_retaining`] with the default retention period.
pub async fn open_sqlite_store(path: &Path) -> Result<WriteBehind, StoreError> {
    let retention = store::retention_of_days(store::DEFAULT_RETENTION_DAYS);
    open_sqlite_store_retaining(path, retention).await
}

/// Opens the embedded users store, marks everyone in it offline (nobody is connected to a
/// server that is only starting), starts its writer and, unless `retention` is `None`
/// (keep forever), the hourly purge of users not seen for that long. A file locked by
/// another process is no error: it is prepared, and everyone marked offline, before the
/// first write; one that is not a database, or has a newer schema, is.
pub async fn open_sqlite_store_retaining(
    path: &Path,
    retention: Option<Duration>,
) -> Result<WriteBehind, StoreError> {
    let store = Arc::new(SqliteStore::open(path)?);
    store.reset_presence_at_start().await;
    Ok(written_behind(store, retention))
}

/// The writer of `store` and, unless `retention` is `None`, its hourly purge.
fn written_behind<S: store::UserStore>(store: Arc<S>, retention: Option<Duration>) -> WriteBehind {
    let writer = WriteBehind::spawn(Arc::clone(&store), RetryPolicy::default());
    if let Some(keep) = retention {
        store::spawn_retention(store, keep, writer.clone());
    }
    writer
}

/// Starts the writer of the users in PostgreSQL behind `pool`, as node `node` of the
/// cluster: this node's presence rows are cleared first (other nodes' stay), and unless
/// `retention` is `None`, the hourly purge runs. A database unreachable at start is no
/// error: the server serves, and writes behind once it answers.
pub async fn open_postgres_store(
    pool: store::postgres::Pool,
    node: &str,
    retention: Option<Duration>,
) -> WriteBehind {
    let store = Arc::new(store::postgres::PgUserStore::new(pool, node));
    store.reset_presence_at_start().await;
    written_behind(store, retention)
}

/// Starts the writer of the remote users API at `config.base` without calling it: the
/// server starts even when the API is down. Users the API still shows online are marked
/// offline in the background, once it answers.
pub async fn open_remote_store(config: RemoteConfig) -> Result<WriteBehind, StoreError> {
    let store = Arc::new(RemoteStore::new(&config)?);
    let writer = WriteBehind::spawn(Arc::clone(&store), config.retry);
    store::remote::spawn_presence_reset(store, writer.clone(), config.retry);
    Ok(writer)
}

/// How often the gauges of who is online are set.
const CENSUS_INTERVAL: Duration = Duration::from_millis(500);

async fn tick_presence(
    (hub, store): (Hub, WriteBehind),
    presence: PresenceConfig,
    stop: CancellationToken,
) {
    let mut ticks = tokio::time::interval(presence.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut trimmer = memory::Trimmer::default();
    let mut census = telemetry::CensusTaker::new(CENSUS_INTERVAL);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => {
                let started = std::time::Instant::now();
                let busy = hub.flush_presence(presence.move_interval);
                telemetry::presence_tick(started.elapsed());
                trimmer.tick(busy);
                census.tick(|| (hub.census(telemetry::LARGEST_ROOMS), store.pending()));
            }
        }
    }
}

async fn tick_pings(hub: Hub, interval: Duration, stop: CancellationToken) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => hub.ping_all(),
        }
    }
}
