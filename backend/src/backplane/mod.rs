//! The backplane: several backends as one through Redis (`--redis`). Below the hub like
//! the outbox: it imports nothing of the hub. The hub hands its [`Backplane`] each tick's
//! presence changes of its own members and the frames addressed to members on other
//! nodes; the backplane task (`task.rs`, on the command connection) writes them to Redis,
//! the lease task (`lease.rs`, on a connection of its own) renews this node's lease and
//! watches the others', and both hand back, as [`Inbound`] messages the caller feeds to
//! the hub, what the other nodes published (`subscriber.rs`) and which nodes' leases
//! expired.
//!
//! In Redis (`keys.rs`): a set of nodes, a lease per node (`SET PX`, renewed every
//! second), a hash per node of its members (room and user), one presence channel every
//! node publishes its ticks on, and a channel per node for frames addressed to it.

mod commands;
mod config;
mod keys;
mod lease;
mod message;
mod pending;
mod subscriber;
mod task;

pub use config::{BackplaneConfig, Linked, NodeId, RedisUrl};
pub use message::{Audience, Inbound, Outbound, RoomChange, RoomState};

use config::{COMMAND_TIMEOUT, QUEUE_FRAMES};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// The hub's end of the backplane: a bounded queue to the backplane task. Nothing here
/// waits: a full queue drops the message and asks for a whole snapshot at the next tick.
#[derive(Debug, Clone)]
pub struct Backplane {
    out: mpsc::Sender<Outbound>,
    resync: Arc<AtomicBool>,
}

impl Backplane {
    /// Queues `message` for Redis, or drops it when the queue is full (then the next tick
    /// sends the node's presence whole).
    pub fn send(&self, message: Outbound) {
        if let Err(error) = self.out.try_send(message) {
            if matches!(error.into_inner(), Outbound::Forward { .. }) {
                log::warn!("backplane: the queue to Redis is full; a forwarded frame is dropped");
            }
            self.resync.store(true, Ordering::Relaxed);
        }
    }

    /// Whether the node's presence should be sent whole now (after a reconnect to Redis,
    /// or a dropped message); asking clears it.
    pub fn take_resync(&self) -> bool {
        self.resync.swap(false, Ordering::Relaxed)
    }
}

/// A backplane with no task behind it, and the receiving end of its queue (hub tests).
#[cfg(test)]
pub fn detached() -> (Backplane, mpsc::Receiver<Outbound>) {
    let (out, outbound) = mpsc::channel(QUEUE_FRAMES);
    let resync = Arc::new(AtomicBool::new(false));
    (Backplane { out, resync }, outbound)
}

/// The backplane started: the hub's end, what the other nodes send (feed it to the hub),
/// and the task to spawn, which runs until `stop` and then leaves the cluster.
pub struct Started {
    pub backplane: Backplane,
    pub inbound: mpsc::Receiver<Inbound>,
    pub task: std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
}

/// Starts the backplane on `config.url` without waiting for Redis: the node serves its
/// own clients until Redis answers. Fails only if the URL cannot be used.
pub fn start(config: BackplaneConfig, stop: CancellationToken) -> redis::RedisResult<Started> {
    let client = redis::Client::open(config.url.as_str())?;
    let conn = connection(&client)?;
    let (out, outbound) = mpsc::channel(QUEUE_FRAMES);
    let (to_hub, inbound) = mpsc::channel(QUEUE_FRAMES);
    let (links_tx, links) = mpsc::channel(16);
    let (subscription, subscribed) = watch::channel(lease::Subscription::default());
    let resync = Arc::new(AtomicBool::new(true));
    let lease = lease::Lease {
        config: config.clone(),
        conn: connection(&client)?,
        hub: to_hub.clone(),
        resync: Arc::clone(&resync),
        subscription: subscribed,
        watch_from: None,
        known: Default::default(),
        confirmed: None,
        next_value: 1,
    };
    let node = config.node.clone();
    let subscriber = subscriber::run(client, conn.clone(), node, to_hub, links_tx, stop.clone());
    let mut task = task::Task {
        config,
        conn,
        resync: Arc::clone(&resync),
        snapshot_due: false,
        pending: Default::default(),
        up_since: None,
        subscription,
    };
    let task = async move {
        let subscriber = tokio::spawn(subscriber);
        let lease = tokio::spawn(lease.run(stop.clone()));
        task.run(outbound, links, stop).await;
        // The lease stops first: leaving deletes it, and no renewal may set it again.
        let _ = lease.await;
        task.leave().await;
        let _ = subscriber.await;
    };
    Ok(Started {
        backplane: Backplane { out, resync },
        inbound,
        task: Box::pin(task),
    })
}

/// A connection manager of its own on `client` (connected at first use, 1 s timeouts).
fn connection(client: &redis::Client) -> redis::RedisResult<redis::aio::ConnectionManager> {
    let manager = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(COMMAND_TIMEOUT))
        .set_response_timeout(Some(COMMAND_TIMEOUT))
        .set_number_of_retries(1);
    client.get_connection_manager_lazy(manager)
}
