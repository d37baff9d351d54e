//! A node whose way to Redis stalls (`proxy.rs` holds one of its connections): with its
//! presence writes stalled and failing, its lease still renews (on a connection of its
//! own) and the other node keeps its users; the changes of the failed writes arrive once
//! the writes go again, without a whole snapshot; with its lease stalled until it expired,
//! the node notices and republishes its members, which the other node shows again.

use super::super::frames::moves;
use super::super::harness::{Client, PATIENCE, delta_has, profile};
use super::Node;
use super::proxy::Proxy;
use super::redis::Redis;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::time::Instant;

const ROOM: &str = "stalls";
const ANN: &str = "ann@example.com";
const BEN: &str = "ben@example.com";
const CY: &str = "cy@example.com";
const DEE: &str = "dee@example.com";

/// The backend's lease life (`backplane/config.rs`).
const LEASE_TTL: Duration = Duration::from_secs(3);
/// What node 2 logs when a write of its changes failed and they wait.
const WRITE_FAILED: &str = "a write to Redis failed";
/// What a node logs when it sent its presence whole.
const WHOLE: &str = "presence sent whole";

#[tokio::test]
async fn the_lease_keeps_renewing_while_the_nodes_writes_are_stalled() {
    let (redis, proxy, mut one, mut two) = two_nodes_through(b"PUBLISH").await;
    let mut ben = two.member(ROOM, BEN).await;
    let mut ann = one.member(ROOM, ANN).await;
    ann.await_online(&[ANN, BEN]).await;
    let wholes = sent_whole(&mut two).await;

    proxy.freeze();
    ben.send_json(profile("update-user", BEN, "ben", Some((10.0, 20.0))))
        .await;
    await_held(&proxy).await;
    two.backend
        .await_log(PATIENCE, |line| line.contains(WRITE_FAILED))
        .await;
    // Twice a lease's life with every write stalled: the lease renews all along.
    let window = lease_values_for(&redis, "node-2", LEASE_TTL * 2);
    let renewals = reading(&mut [&mut ann, &mut ben], window).await;
    let failed = count(&mut two, WRITE_FAILED);
    assert!(
        renewals >= 4,
        "the lease renewed {renewals} times in {:?}",
        LEASE_TTL * 2
    );
    assert!(failed >= 3, "writes kept failing meanwhile: {failed}");
    assert!(proxy.held() > 0, "and were still stalled");

    proxy.thaw();
    ann.recv_until(|frame| moves(frame).iter().any(|m| m.0 == BEN && m.1 == 10.0))
        .await;
    assert_eq!(count(&mut one, "node-2's lease expired"), 0);
    let left = ann.received.iter().filter(|f| delta_has(f, "left", BEN));
    assert_eq!(left.count(), 0, "ben never left ann's room");
    assert_eq!(
        sent_whole(&mut two).await,
        wholes,
        "no whole snapshot was sent"
    );
}

#[tokio::test]
async fn a_failed_writes_changes_arrive_later_without_a_whole_snapshot() {
    let (_redis, proxy, one, mut two) = two_nodes_through(b"PUBLISH").await;
    let mut ben = two.member(ROOM, BEN).await;
    let dee = two.member(ROOM, DEE).await;
    let mut ann = one.member(ROOM, ANN).await;
    ann.await_online(&[ANN, BEN, DEE]).await;
    let wholes = sent_whole(&mut two).await;

    let stalled = async {
        proxy.freeze();
        ben.send_json(profile("update-user", BEN, "ben", Some((10.0, 20.0))))
            .await;
        dee.close().await;
        two.backend
            .await_log(PATIENCE, |line| line.contains(WRITE_FAILED))
            .await;
        // After the failure: newer changes, one of the same member's (the newest wins).
        let cy = two.member(ROOM, CY).await;
        ben.send_json(profile("update-user", BEN, "Benjamin", Some((11.0, 21.0))))
            .await;
        await_held(&proxy).await;
        cy
    };
    let _cy = reading(&mut [&mut ann], stalled).await;

    proxy.thaw();
    let deadline = Instant::now() + PATIENCE;
    while !shows(&ann, &[ANN, BEN, CY], "Benjamin", 11.0) {
        let Ok(_) = tokio::time::timeout_at(deadline, ann.recv()).await else {
            panic!("ann sees {:?}", ann.view());
        };
    }
    let times = |kind: &str, email: &str| {
        let frames = ann.received.iter().filter(|f| delta_has(f, kind, email));
        frames.count()
    };
    assert_eq!(times("left", DEE), 1, "dee left once");
    assert_eq!(times("joined", CY), 1, "cy joined once");
    assert_eq!(times("left", BEN), 0, "ben never left");
    assert_eq!(
        sent_whole(&mut two).await,
        wholes,
        "no whole snapshot was sent"
    );
}

#[tokio::test]
async fn a_node_whose_lease_lapsed_republishes_its_members() {
    let (_redis, proxy, one, mut two) = two_nodes_through(b"meetmap:lease").await;
    let _ben = two.member(ROOM, BEN).await;
    let mut ann = one.member(ROOM, ANN).await;
    ann.await_online(&[ANN, BEN]).await;

    // Node 2's renewals stall until its lease expires: node 1 drops ben.
    proxy.freeze();
    let deadline = Instant::now() + LEASE_TTL * 4;
    while ann.online() != [ANN] {
        let Ok(_) = tokio::time::timeout_at(deadline, ann.recv()).await else {
            panic!("node 2's lease did not lapse: ann sees {:?}", ann.online());
        };
    }

    proxy.thaw();
    two.backend
        .await_log(PATIENCE, |line| line.contains("lease had expired"))
        .await;
    ann.await_online(&[ANN, BEN]).await;
    assert_eq!(count(&mut two, "lease had expired"), 1, "said once");
}

/// Redis, a proxy to it marking connections that send `pattern`, node 1 on Redis and
/// node 2 through the proxy.
async fn two_nodes_through(pattern: &'static [u8]) -> (Redis, Proxy, Node, Node) {
    let redis = Redis::start().await;
    let proxy = Proxy::start(redis.port, pattern).await;
    let one = Node::start(&redis, "node-1").await;
    let two = Node::start_at(&proxy.url(), "node-2", None).await;
    (redis, proxy, one, two)
}

/// Runs `work` while `clients` read (and so answer their server's pings: they stay live).
async fn reading<T>(clients: &mut [&mut Client], work: impl Future<Output = T>) -> T {
    let mut work = std::pin::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return done,
            () = read_a_little(clients) => {}
        }
    }
}

async fn read_a_little(clients: &mut [&mut Client]) {
    for client in clients.iter_mut() {
        let _ = tokio::time::timeout(Duration::from_millis(100), client.recv()).await;
    }
}

/// Waits until the proxy holds a write of node 2's.
async fn await_held(proxy: &Proxy) {
    let deadline = Instant::now() + PATIENCE;
    while proxy.held() == 0 {
        assert!(Instant::now() < deadline, "no write was held");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How many values `node`'s lease took in Redis over `window` (each renewal sets its own),
/// read every 100 ms.
async fn lease_values_for(redis: &Redis, node: &str, window: Duration) -> usize {
    let key = format!("meetmap:lease:{node}");
    let end = Instant::now() + window;
    let mut values = BTreeSet::new();
    while Instant::now() < end {
        values.insert(redis.query(&["GET", &key]));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!values.contains(&None), "the lease was never gone");
    values.len()
}

/// Whether `client` sees exactly `online`, ben named `name` at `latitude`.
fn shows(client: &Client, online: &[&str], name: &str, latitude: f64) -> bool {
    let view = client.view();
    let ben = &view.get(BEN).cloned().unwrap_or_default();
    client.online() == online && ben["name"] == name && ben["latitude"] == latitude
}

/// How many whole snapshots `node` sent so far (the first, at its subscription, awaited).
async fn sent_whole(node: &mut Node) -> usize {
    let first = |line: &str| line.contains(WHOLE);
    node.backend.logged(PATIENCE, first).await;
    count(node, WHOLE)
}

fn count(node: &mut Node, text: &str) -> usize {
    let lines = node.backend.log_lines();
    lines.iter().filter(|line| line.contains(text)).count()
}
