//! meetmap's WebSocket server: who is online where, on a map, and the relay for their chat
//! and call signaling.
//!
//! Codemap: [`run`] (here) accepts connections and owns shutdown; `admission` counts
//! connections against the caps and checks origins; `handshake` refuses or upgrades, and
//! reads the room and subprotocol of each upgrade (`echo` is a test-only route); `peer`
//! is one task per connection; `hub` holds the one shared state and `routing` its chat
//! and signaling paths, with `room` for one room's presence; `store` keeps users in SQLite or a remote users API, behind a
//! write-behind queue.

mod access;
mod admission;
mod bucket;
mod budget;
pub mod config;
mod echo;
mod frame;
mod handshake;
mod hub;
mod membership;
pub mod memory;
mod outbox;
mod peer;
mod room;
mod routing;
mod session;
pub mod store;
mod stream;

pub use admission::MissingOrigin;
pub use budget::{Rate, StrikeLimit};
pub use config::{Args, ServerConfig};
pub use hub::Hub;
pub use session::{Secret, SecretError, SessionKey};

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use store::{
    RemoteConfig, RemoteStore, RetryPolicy, SqliteStore, StoreError, UserStore, WriteBehind,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Serves WebSocket clients on `listener` until `shutdown` resolves; then closes every
/// connection with 1001, waits for them within the grace period and flushes the store.
pub async fn run(
    listener: TcpListener,
    config: ServerConfig,
    store: WriteBehind,
    shutdown: impl Future,
) {
    let hub = Hub::new(store.clone()).with_access(access::Access::of(&config));
    let stop = CancellationToken::new();
    let tasks = TaskTracker::new();
    tasks.spawn(tick_presence(
        hub.clone(),
        config.presence_interval,
        config.move_interval,
        stop.clone(),
    ));
    tasks.spawn(tick_pings(hub.clone(), config.ping_interval, stop.clone()));
    tokio::pin!(shutdown);
    let admission =
        admission::Admission::new(config.max_connections, config.max_connections_per_ip);
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
        tasks.spawn(async move {
            let _ = stream.set_nodelay(true);
            // Boxed, both: a task's future is sized for its largest state, so the handshake
            // and what follows it each live in their own allocation, only while they run.
            let handshake = Box::pin(handshake::accept(stream, &config, ticket.refused()));
            let connection = match handshake.await {
                Ok(accepted) => Some(start(id, accepted, hub, config, stop)),
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
    if !store.shutdown(config.shutdown_grace).await {
        log::warn!("the users store did not take every change before shutdown");
    }
}

/// Opens the embedded users store, marks everyone in it offline (nobody is connected to a
/// server that is only starting) and starts its writer.
pub async fn open_sqlite_store(path: &Path) -> Result<WriteBehind, StoreError> {
    let store = SqliteStore::open(path)?;
    store.reset_presence().await?;
    Ok(WriteBehind::spawn(Arc::new(store), RetryPolicy::default()))
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

/// The life of a connection after its handshake: the peer, or the echo route.
fn start(
    id: u64,
    accepted: handshake::Accepted,
    hub: Hub,
    config: Arc<ServerConfig>,
    stop: CancellationToken,
) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    let handshake::Accepted {
        socket,
        room,
        wants_deltas,
        echo,
    } = accepted;
    if echo {
        Box::pin(echo::serve(id, socket, stop))
    } else {
        Box::pin(peer::serve(peer::open(
            id,
            socket,
            room,
            wants_deltas,
            hub,
            config,
        )))
    }
}
