//! The backplane task: owns the command connection (redis' connection manager, which
//! reconnects by itself) and writes the hub's ticks of changes and forwarded frames to
//! Redis; each time the subscriber is up again it asks for the node's members whole and
//! tells the lease task (`lease.rs`, on a connection of its own). A failed tick's changes
//! go with the next tick's (`pending.rs`), or on their own after a pause, up to a bound
//! past which the node's presence is sent whole. While Redis is away it drops what the hub hands it and says so once.

use super::commands;
use super::config::{BackplaneConfig, PENDING_MAX, PENDING_RETRY};
use super::lease::Subscription;
use super::message::{DeliverEnvelope, Outbound, RoomChange, RoomState};
use super::pending::Pending;
use super::subscriber::Link;
use crate::telemetry;
use redis::aio::ConnectionManager;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior, interval};
use tokio_util::sync::CancellationToken;

/// What the task works with.
pub struct Task {
    pub config: BackplaneConfig,
    pub conn: ConnectionManager,
    /// Set to ask the hub for a whole snapshot at its next tick.
    pub resync: Arc<AtomicBool>,
    /// Whether a whole snapshot was asked for and has not come yet: the ticks of changes
    /// before it are in it, and are not written.
    pub snapshot_due: bool,
    /// Changes whose write failed, to go with the next tick's.
    pub pending: Pending,
    /// Since when the subscriber is up; `None` while Redis is away.
    pub up_since: Option<Instant>,
    /// The subscription as the lease task sees it.
    pub subscription: watch::Sender<Subscription>,
}

impl Task {
    /// Runs until `stop`; the caller then leaves the cluster ([`Task::leave`]).
    pub async fn run(
        &mut self,
        mut outbound: mpsc::Receiver<Outbound>,
        mut links: mpsc::Receiver<Link>,
        stop: CancellationToken,
    ) {
        let mut retries = interval(PENDING_RETRY);
        retries.set_missed_tick_behavior(MissedTickBehavior::Delay);
        telemetry::backplane_up(false);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                Some(out) = outbound.recv() => self.handle(out).await,
                Some(link) = links.recv() => self.linked(link),
                // Kept changes go even if no tick brings more.
                _ = retries.tick(), if !self.pending.is_empty() => {
                    self.publish_changes(Vec::new()).await;
                }
            }
        }
    }

    fn me(&self) -> &super::config::NodeId {
        &self.config.node
    }

    async fn handle(&mut self, out: Outbound) {
        if self.up_since.is_none() {
            // Dropped: the snapshot published once Redis is back replaces it.
            return;
        }
        match out {
            Outbound::Presence(changes) => self.publish_changes(changes).await,
            Outbound::Snapshot(rooms) => self.publish_snapshot(rooms).await,
            Outbound::Forward {
                nodes,
                room,
                audience,
                kind,
                text,
            } => {
                let kind = kind.to_owned();
                let message = DeliverEnvelope {
                    room,
                    audience,
                    kind,
                    text,
                };
                if let Err(error) = commands::forward(&mut self.conn, &nodes, &message).await {
                    log::warn!("backplane: a forwarded frame was not written to Redis ({error})");
                }
            }
        }
    }

    /// Writes a tick's changes with those of failed writes before; if this write fails
    /// too, keeps them all for the next (resending a change is harmless: `pending.rs`).
    async fn publish_changes(&mut self, changes: Vec<RoomChange>) {
        if self.snapshot_due {
            return;
        }
        let changes = self.pending.merged_with(changes);
        let Err(error) =
            commands::publish_changes(&mut self.conn, &self.config.node, &changes).await
        else {
            return;
        };
        self.pending.add(changes);
        if self.pending.len() > PENDING_MAX {
            log::warn!(
                "backplane: a write to Redis failed ({error}); {} changes wait, over {PENDING_MAX}: presence is sent whole next",
                self.pending.len()
            );
            self.ask_snapshot();
        } else {
            log::warn!(
                "backplane: a write to Redis failed ({error}); its {} changes go with the next tick's",
                self.pending.len()
            );
        }
    }

    async fn publish_snapshot(&mut self, rooms: Vec<RoomState>) {
        self.snapshot_due = false;
        self.pending.clear();
        let members: usize = rooms.iter().map(|room| room.users.len()).sum();
        match commands::publish_snapshot(&mut self.conn, &self.config.node, &rooms).await {
            Ok(()) => log::info!(
                "backplane: node {}'s presence sent whole ({members} members)",
                self.me()
            ),
            Err(error) => {
                log::warn!(
                    "backplane: the whole presence was not written ({error}); sent again next tick"
                );
                self.ask_snapshot();
            }
        }
    }

    /// Asks the hub for the node's presence whole at its next tick.
    fn ask_snapshot(&mut self) {
        self.pending.clear();
        self.snapshot_due = true;
        self.resync.store(true, Ordering::Relaxed);
    }

    fn linked(&mut self, link: Link) {
        match link {
            Link::Up => {
                log::info!(
                    "backplane: node {} subscribed on Redis at {}; publishing its members",
                    self.me(),
                    self.config.url
                );
                self.up_since = Some(Instant::now());
                telemetry::backplane_up(true);
                self.config.linked.set(true);
                // The lease task renews first, then asks the hub for the snapshot (`resync`):
                // the others never find this node's members without its lease.
                self.pending.clear();
                self.snapshot_due = true;
                self.subscription.send_modify(|subscription| {
                    subscription.up = true;
                    subscription.count += 1;
                });
            }
            Link::Down(reason) => {
                if self.up_since.take().is_some() {
                    log::warn!(
                        "backplane: lost Redis at {} ({reason}); degraded: serving this node's clients only, reconnecting",
                        self.config.url
                    );
                } else {
                    log::debug!("backplane: Redis still unreachable ({reason})");
                }
                telemetry::backplane_up(false);
                self.config.linked.set(false);
                self.pending.clear();
                self.subscription.send_if_modified(|subscription| {
                    std::mem::replace(&mut subscription.up, false)
                });
            }
        }
    }

    /// Leaves the cluster (lease and entries deleted, the others told), if Redis answers.
    pub async fn leave(&mut self) {
        if self.up_since.is_none() {
            return;
        }
        let me = self.config.node.clone();
        let left = tokio::time::timeout(
            super::config::COMMAND_TIMEOUT,
            commands::leave(&mut self.conn, &me),
        );
        match left.await {
            Ok(Ok(())) => log::info!("backplane: node {me} left the cluster"),
            Ok(Err(error)) => log::warn!("backplane: node {me} could not leave cleanly: {error}"),
            Err(_) => log::warn!("backplane: node {me} could not leave within the timeout"),
        }
    }
}
