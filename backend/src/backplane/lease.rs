//! The lease task: on a Redis connection of its own, so that no presence or forwarded write,
//! however slow, delays it, it renews this node's lease every second and watches the
//! other nodes' leases (a node whose lease expired is gone: the hub drops its users).
//! A renewal that finds the lease gone (it expired, or was deleted: the others may have
//! dropped this node's users) asks for the node's presence whole.

use super::commands;
use super::config::{BackplaneConfig, NodeId};
use super::message::Inbound;
use redis::aio::ConnectionManager;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior, interval};
use tokio_util::sync::CancellationToken;

/// Whether the node is on Redis (subscribed), as the backplane task tells this one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Subscription {
    pub up: bool,
    /// How many subscriptions the node has made: a new one is a new link.
    pub count: u64,
}

/// What the lease task works with.
pub struct Lease {
    pub config: BackplaneConfig,
    /// The lease's own connection, not the command connection.
    pub conn: ConnectionManager,
    pub hub: mpsc::Sender<Inbound>,
    /// Set to ask the hub for a whole snapshot at its next tick.
    pub resync: Arc<AtomicBool>,
    pub subscription: watch::Receiver<Subscription>,
    /// No node is judged gone before this: a lease's life after a re-subscription (Redis
    /// may have restarted empty), none after the first.
    pub watch_from: Option<Instant>,
    /// Every other node heard of and not yet judged gone.
    pub known: BTreeSet<NodeId>,
    /// The last renewal Redis confirmed since the subscription: its value and when it was
    /// sent (the lease it set lives at least a lease's life from then).
    pub confirmed: Option<(u64, Instant)>,
    /// The value of the next renewal (each renewal's own, to tell them apart).
    pub next_value: u64,
}

impl Lease {
    /// Runs until `stop`.
    pub async fn run(mut self, stop: CancellationToken) {
        let mut renewals = interval(self.config.lease_renewal);
        let mut watches = interval(self.config.lease_watch);
        renewals.set_missed_tick_behavior(MissedTickBehavior::Delay);
        watches.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut seen = Subscription::default();
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                changed = self.subscription.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let now = *self.subscription.borrow_and_update();
                    self.relinked(seen, now).await;
                    seen = now;
                }
                _ = renewals.tick() => self.renew(seen.up).await,
                _ = watches.tick() => self.watch(seen.up).await,
            }
        }
    }

    /// A new subscription renews at once and then asks for the node's members whole (in
    /// that order: the others never find members without a lease); the first trusts the
    /// others' leases, a later one lets them renew first. Losing Redis forgets the last
    /// renewal (its lease may be gone).
    async fn relinked(&mut self, before: Subscription, now: Subscription) {
        self.confirmed = None;
        if !now.up || now.count == before.count {
            return;
        }
        let at = Instant::now();
        let grace = self.config.lease_ttl + self.config.lease_renewal;
        self.watch_from = Some(self.watch_from.map_or(at, |_| at + grace));
        self.renew(true).await;
        self.resync.store(true, Ordering::Relaxed);
    }

    async fn renew(&mut self, up: bool) {
        if !up {
            return;
        }
        let value = self.next_value;
        self.next_value = self.next_value.wrapping_add(1);
        let sent = Instant::now();
        let ttl = self.config.lease_ttl;
        match commands::renew(&mut self.conn, &self.config.node, ttl, value).await {
            Ok(before) => {
                if lapsed(self.confirmed, before, self.config.lease_ttl) {
                    log::warn!(
                        "backplane: node {}'s lease had expired (the others may have dropped its users); publishing its members whole",
                        self.config.node
                    );
                    self.resync.store(true, Ordering::Relaxed);
                }
                self.confirmed = Some((value, sent));
            }
            Err(error) => log::warn!("backplane: the lease was not renewed: {error}"),
        }
    }

    /// Looks at the other nodes' leases: one that expired is gone. Not within a lease's
    /// life after re-subscribing, so that nodes back on a restarted Redis can renew first.
    async fn watch(&mut self, up: bool) {
        if !up {
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
        self.known.remove(&node);
        match commands::forget(&mut self.conn, &node).await {
            Ok(false) => {
                log::info!("backplane: node {node} renewed its lease just in time: kept");
                return;
            }
            Ok(true) => {}
            Err(error) => log::debug!("backplane: node {node} not forgotten in Redis: {error}"),
        }
        log::warn!("backplane: node {node}'s lease expired: its users are dropped");
        let _ = self.hub.send(Inbound::NodeGone { node }).await;
    }
}

/// Whether the lease may have lapsed since the last `confirmed` renewal (its value, when it
/// was sent), `before` being the value a renewal just replaced: none (it was gone), the
/// confirmed one (it never lapsed), or one of a renewal whose answer was lost (lapsed only
/// if the confirmed one was sent longer than a lease's life `ttl` ago). Never on the first
/// renewal of a subscription (`confirmed` is `None`: the snapshot follows anyway).
fn lapsed(confirmed: Option<(u64, Instant)>, before: Option<u64>, ttl: Duration) -> bool {
    let Some((value, sent)) = confirmed else {
        return false;
    };
    match before {
        None => true,
        Some(before) if before == value => false,
        Some(_) => sent.elapsed() > ttl,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(3);

    #[test]
    fn a_renewal_finding_no_lease_after_one_confirmed_finds_it_lapsed() {
        assert!(lapsed(Some((4, Instant::now())), None, TTL));
        assert!(!lapsed(None, None, TTL), "the first renewal creates it");
    }

    #[test]
    fn the_confirmed_value_found_again_means_the_lease_never_lapsed() {
        let long_ago = Instant::now() - TTL * 2;
        assert!(!lapsed(Some((4, long_ago)), Some(4), TTL));
    }

    #[test]
    fn a_lost_answers_value_means_lapsed_only_past_a_leases_life() {
        let recent = Instant::now();
        let long_ago = Instant::now() - TTL * 2;
        assert!(!lapsed(Some((4, recent)), Some(5), TTL));
        assert!(lapsed(Some((4, long_ago)), Some(5), TTL));
    }
}
