//! meetmap's WebSocket server: who is online where, on a map, and the relay for their chat
//! and call signaling.
//!
//! Codemap: [`run`] (here) accepts connections and owns shutdown; `admission` counts
//! connections against the caps and checks origins; `handshake` refuses or upgrades, and
//! reads the room and subprotocol of each upgrade (`echo` is a test-only route); `peer`
//! is one task per connection; `hub` holds the one shared state and `routing` its chat
//! and signaling paths, with `room` for one room's presence; `store` keeps users in SQLite or a remote users API, behind a
//! write-behind queue.

mod admission;
pub mod config;
mod connection;
mod frame;
mod hub;
mod membership;
pub mod memory;
pub mod operator;
mod outbox;
mod room;
mod routing;
pub mod store;

pub use admission::budget::{Rate, StrikeLimit};
pub use admission::claims;
pub use admission::{MissingOrigin, Secret, SecretError, SessionKey};
pub use config::{Args, ServerConfig};
pub use hub::Hub;

use connection::{echo, handshake, peer};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use store::{RemoteConfig, RemoteStore, RetryPolicy, SqliteStore, StoreError, WriteBehind};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Serves WebSocket clients on `listener` until `shutdown` resolves; then closes every
/// connection with 1001, waits for them within the grace period and flushes the store.
pub async fn run(
    listener: TcpListener,
    config: ServerConfig,
    store: WriteBehind,
    claims: claims::ClaimStore,
    shutdown: impl Future,
) {
    let access = Arc::new(admission::Access::new(&config, claims));
    let hub = Hub::new(store.clone()).with_lists_after_registering(access.gates_rooms());
    let stop = CancellationToken::new();
    let tasks = TaskTracker::new();
    tasks.spawn(tick_presence(
        hub.clone(),
        config.presence_interval,
        config.move_interval,
        stop.clone(),
    ));
    tasks.spawn(tick_pings(hub.clone(), config.ping_interval, stop.clone()));
    tasks.spawn(claims::purge_periodically(
        access.claims.clone(),
        config.retention,
        stop.clone(),
    ));
    tokio::pin!(shutdown);
    let max_connections = admission::within_descriptor_limit(config.max_connections);
    let admission = admission::Admission::new(max_connections, config.max_connections_per_ip);
    // One copy for every connection's task.
    let shared_config = Arc::new(config.clone());
    let mut next_id = 1;
    loop {
        let (stream, address) = tokio::select! {
            _ = &mut shutdown => break,
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
        let Some(ticket) = admission.admit(address.ip()) else {
            log::debug!("conn={id} from {address}: dropped, too many refusals at once");
            continue;
        };
        let (hub, config, stop) = (hub.clone(), Arc::clone(&shared_config), stop.clone());
        let access = Arc::clone(&access);
        tasks.spawn(async move {
            let _ = stream.set_nodelay(true);
            // Boxed, both: a task's future is sized for its largest state, so the handshake
            // and what follows it each live in their own allocation, only while they run.
            let handshake = Box::pin(handshake::accept(stream, &config, ticket.refused()));
            let connection = match handshake.await {
                Ok(accepted) => {
                    let client = admission::client_of(
                        address.ip(),
                        &accepted.forwarded_for,
                        &config.trusted_proxies,
                    );
                    let network = admission::network_of(client);
                    let peer = Peer {
                        id,
                        network,
                        hub,
                        access,
                        config,
                    };
                    Some(start(accepted, peer, stop))
                }
                Err(reason) => {
                    log::debug!("conn={id} from {address}: {reason}");
                    None
                }
            };
            if let Some(connection) = connection {
                connection.await;
            }
            // The connection's place is given back only now that its socket is closed.
            drop(ticket);
        });
    }
    log::info!(
        "shutting down: closing {} connections",
        hub.connection_count()
    );
    stop.cancel();
    hub.close_all();
    tasks.close();
    if tokio::time::timeout(config.shutdown_grace, tasks.wait())
        .await
        .is_err()
    {
        log::warn!(
            "some connections did not close within {:?}",
            config.shutdown_grace
        );
    }
    shut_store(&store, config.store_shutdown_timeout).await;
    if !access.claims.flush().await {
        log::error!(
            "claims: some claims kept in memory could not be written (the file is unavailable); their devices sign in anew"
        );
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
    let writer = WriteBehind::spawn(Arc::clone(&store), RetryPolicy::default());
    if let Some(keep) = retention {
        store::spawn_retention(store, keep, writer.clone());
    }
    Ok(writer)
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

async fn tick_presence(
    hub: Hub,
    interval: Duration,
    move_interval: Duration,
    stop: CancellationToken,
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut trimmer = memory::Trimmer::default();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => {
                let busy = hub.flush_presence(move_interval);
                trimmer.tick(busy);
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

/// What a connection's peer is made of, besides its socket.
struct Peer {
    id: u64,
    network: std::net::IpAddr,
    hub: Hub,
    access: Arc<admission::Access>,
    config: Arc<ServerConfig>,
}

/// The life of a connection after its handshake: the peer, or the echo route.
fn start(
    accepted: handshake::Accepted,
    peer: Peer,
    stop: CancellationToken,
) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    let handshake::Accepted {
        socket,
        room,
        wants_deltas,
        echo,
        ..
    } = accepted;
    if echo {
        return Box::pin(echo::serve(peer.id, socket, stop));
    }
    Box::pin(peer::serve(peer::open(peer::Opening {
        id: peer.id,
        socket,
        room,
        wants_deltas,
        network: peer.network,
        hub: peer.hub,
        access: peer.access,
        config: peer.config,
    })))
}
