//! The backplane task: owns the command connection (redis' connection manager, which
//! reconnects by itself) and runs the node's side of the cluster: the hub's ticks of
//! changes and forwarded frames written to Redis, the lease renewed, the other nodes'
//! leases watched (a node whose lease expired is gone: the hub drops its users), and,
//! each time the subscriber is up again, the node's members republished whole and the
//! others' read back. While Redis is away it drops what the hub hands it and says so once.

use super::commands;
use super::config::{BackplaneConfig, NodeId};
use super::message::{DeliverEnvelope, Inbound, Outbound};
use super::subscriber::Link;
use crate::telemetry;
use redis::aio::ConnectionManager;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval};
use tokio_util::sync::CancellationToken;

/// What the task works with.
pub struct Task {
    pub config: BackplaneConfig,
    pub conn: ConnectionManager,
    pub hub: mpsc::Sender<Inbound>,
    /// Set to ask the hub for a whole snapshot at its next tick.
    pub resync: Arc<AtomicBool>,
    /// Since when the subscriber is up; `None` while Redis is away.
    pub up_since: Option<Instant>,
    /// No node is judged gone before this: a lease's life after a re-subscription (Redis
    /// may have restarted empty), none after the first.
    pub watch_from: Option<Instant>,
    /// Every other node heard of and not yet judged gone.
    pub known: BTreeSet<NodeId>,
}

impl Task {
    /// Runs until `stop`; then leaves the cluster (lease and entries deleted, the others
    /// told), if Redis answers.
    pub async fn run(
        mut self,
        mut outbound: mpsc::Receiver<Outbound>,
        mut links: mpsc::Receiver<Link>,
        stop: CancellationToken,
    ) {
        let mut renewals = interval(self.config.lease_renewal);
        let mut watches = interval(self.config.lease_watch);
        renewals.set_missed_tick_behavior(MissedTickBehavior::Delay);
        watches.set_missed_tick_behavior(MissedTickBehavior::Delay);
        telemetry::backplane_up(false);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                Some(out) = outbound.recv() => self.handle(out).await,
                Some(link) = links.recv() => self.linked(link).await,
                _ = renewals.tick() => self.renew().await,
                _ = watches.tick() => self.watch().await,
            }
        }
        self.leave().await;
    }

    fn me(&self) -> &NodeId {
        &self.config.node
    }

    async fn handle(&mut self, out: Outbound) {
        if self.up_since.is_none() {
            // Dropped: the snapshot published once Redis is back replaces it.
            return;
        }
        let me = self.config.node.clone();
        let conn = &mut self.conn;
        let done = match out {
            Outbound::Presence(changes) => commands::publish_changes(conn, &me, changes).await,
            Outbound::Snapshot(rooms) => commands::publish_snapshot(conn, &me, rooms).await,
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
                commands::forward(conn, &nodes, &message).await
            }
        };
        if let Err(error) = done {
            log::warn!("backplane: a write to Redis failed ({error}); presence is sent whole next");
            self.resync.store(true, Ordering::Relaxed);
        }
    }

    async fn linked(&mut self, link: Link) {
        match link {
            Link::Up => {
                log::info!(
                    "backplane: node {} subscribed on Redis at {}; publishing its members",
                    self.me(),
                    self.config.url
                );
                let now = Instant::now();
                let grace = self.config.lease_ttl + self.config.lease_renewal;
                // The first subscription trusts the leases; a later one lets them renew.
                self.watch_from = Some(self.watch_from.map_or(now, |_| now + grace));
                self.up_since = Some(now);
                telemetry::backplane_up(true);
                self.config.linked.set(true);
                self.renew().await;
                self.resync.store(true, Ordering::Relaxed);
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
            }
        }
    }

    async fn renew(&mut self) {
        if self.up_since.is_none() {
            return;
        }
        let ttl = self.config.lease_ttl;
        if let Err(error) = commands::renew(&mut self.conn, &self.config.node, ttl).await {
            log::warn!("backplane: the lease was not renewed: {error}");
        }
    }

    /// Looks at the other nodes' leases: one that expired is gone. Not within a lease's
    /// life after re-subscribing, so that nodes back on a restarted Redis can renew first.
    async fn watch(&mut self) {
        if self.up_since.is_none() {
            return;
        }
        let me = self.config.node.clone();
        match commands::other_nodes(&mut self.conn, &me).await {
            Ok(nodes) => self.known.extend(nodes),
            Err(error) => log::debug!("backplane: cannot read the node set: {error}"),
        }
        let nodes: Vec<NodeId> = self.known.iter().cloned().collect();
        let live = match commands::live(&mut self.conn, &nodes).await {
            Ok(live) => live,
            Err(error) => {
                log::debug!("backplane: cannot read the leases: {error}");
                return;
            }
        };
        if self.watch_from.is_some_and(|from| Instant::now() < from) {
            return;
        }
        for (node, _) in nodes.into_iter().zip(live).filter(|(_, live)| !live) {
            self.gone(node).await;
        }
    }

    async fn gone(&mut self, node: NodeId) {
        log::warn!("backplane: node {node}'s lease expired: its users are dropped");
        self.known.remove(&node);
        if let Err(error) = commands::forget(&mut self.conn, &node).await {
            log::debug!("backplane: node {node} not forgotten in Redis: {error}");
        }
        let _ = self.hub.send(Inbound::NodeGone { node }).await;
    }

    async fn leave(&mut self) {
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
