//! Losing parts: a node killed with SIGKILL (its users gone on the others within 5 s, the
//! figure printed), a node restarted with the same id (starts clean), and Redis killed and
//! started again empty (both nodes keep serving, and presence converges: no ghost, nobody
//! missing).

use super::super::harness::{Client, PATIENCE, delta_has};
use super::{Node, two_nodes};
use std::time::Duration;
use tokio::time::Instant;

const ROOM: &str = "failover";
const ANN: &str = "ann@example.com";
const BEN: &str = "ben@example.com";
const CY: &str = "cy@example.com";
const DEE: &str = "dee@example.com";

/// The bound: a dead node's users are gone on the others within this.
const NODE_LOSS_BOUND: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_killed_nodes_users_are_gone_on_the_other_within_five_seconds() {
    let (_redis, mut one, mut two) = two_nodes().await;
    let _ben = two.member(ROOM, BEN).await;
    let _cy = two.member(ROOM, CY).await;
    let mut ann = one.member(ROOM, ANN).await;
    ann.await_online(&[ANN, BEN, CY]).await;

    two.backend.kill_9();
    let killed = Instant::now();
    let deadline = killed + NODE_LOSS_BOUND * 2;
    while ann.online() != [ANN] {
        let Ok(_) = tokio::time::timeout_at(deadline, ann.recv()).await else {
            panic!(
                "node 2's users still online after {:?}: {:?}",
                killed.elapsed(),
                ann.online()
            );
        };
    }
    let took = killed.elapsed();
    println!(
        "kill -9 of node 2 to its users gone on node 1: {} ms",
        took.as_millis()
    );
    assert!(
        took <= NODE_LOSS_BOUND,
        "took {took:?}, over {NODE_LOSS_BOUND:?}"
    );
    for line in one
        .backend
        .log_lines()
        .iter()
        .filter(|l| l.contains("backplane"))
    {
        println!("node 1: {line}");
    }
    let left = ann
        .received
        .iter()
        .filter(|f| delta_has(f, "left", BEN))
        .count();
    assert_eq!(left, 1, "ben left once");
}

#[tokio::test]
async fn a_node_restarted_with_its_id_starts_clean() {
    let (redis, one, mut two) = two_nodes().await;
    let _ben = two.member(ROOM, BEN).await;
    let mut ann = one.member(ROOM, ANN).await;
    ann.await_online(&[ANN, BEN]).await;

    two.backend.kill_9();
    // Back at once, before its lease could expire: its start drops what it held.
    let restarted = Instant::now();
    let two = Node::start(&redis, "node-2").await;
    ann.recv_until(|frame| delta_has(frame, "left", BEN)).await;
    println!(
        "node 2 restarted: ben gone on node 1 after {} ms",
        restarted.elapsed().as_millis()
    );
    let _dee = two.member(ROOM, DEE).await;
    ann.await_online(&[ANN, DEE]).await;
}

#[tokio::test]
async fn nodes_outlive_a_redis_restart_and_converge_to_the_true_room() {
    let (mut redis, mut one, mut two) = two_nodes().await;
    let ben = two.member(ROOM, BEN).await;
    let mut ann = one.member(ROOM, ANN).await;
    ann.await_online(&[ANN, BEN]).await;

    redis.stop();
    two.backend
        .await_log(Duration::from_secs(10), |line| line.contains("lost Redis"))
        .await;
    // While Redis is away each node serves its own clients: ben leaves, dee and cy come.
    ben.close().await;
    let mut dee = two.member(ROOM, DEE).await;
    let mut cy = one.member(ROOM, CY).await;
    assert_eq!(
        cy.online(),
        [ANN, BEN, CY],
        "node 1 still knows ben: it cannot hear"
    );

    redis.restart().await;
    let started = Instant::now();
    for node in [&mut one, &mut two] {
        node.backend
            .await_log(Duration::from_secs(15), |line| {
                line.contains("subscribed on Redis")
            })
            .await;
    }
    let room = [ANN, CY, DEE];
    for client in [&mut ann, &mut cy, &mut dee] {
        if !converges(client, &room).await {
            for (index, node) in [&mut one, &mut two].into_iter().enumerate() {
                for line in node.backend.log_lines() {
                    println!("node {}: {line}", index + 1);
                }
            }
            panic!("{} sees {:?}, not {room:?}", client.email, client.online());
        }
    }
    println!(
        "redis restarted: presence converged after {} ms",
        started.elapsed().as_millis()
    );
    assert!(
        one.backend.is_running() && two.backend.is_running(),
        "no node exited"
    );
}

/// Whether `client` comes to see exactly `expected` online (within the harness's patience).
async fn converges(client: &mut Client, expected: &[&str]) -> bool {
    let deadline = Instant::now() + PATIENCE - Duration::from_millis(100);
    while client.online() != expected {
        if tokio::time::timeout_at(deadline, client.recv())
            .await
            .is_err()
        {
            return false;
        }
    }
    true
}

#[tokio::test]
async fn a_node_stopped_gracefully_leaves_the_cluster_and_its_users_go() {
    let (_redis, one, mut two) = two_nodes().await;
    let _ben = two.member(ROOM, BEN).await;
    let mut ann = one.member(ROOM, ANN).await;
    ann.await_online(&[ANN, BEN]).await;

    two.backend.terminate();
    ann.recv_until(|frame| delta_has(frame, "left", BEN)).await;
    two.backend.wait_exit().await;
    let left = two
        .backend
        .log_lines()
        .iter()
        .any(|line| line.contains("node node-2 left the cluster"));
    assert!(left, "node 2 said it left: {:#?}", two.backend.log_lines());
}

#[tokio::test]
async fn a_user_back_on_another_node_before_the_lease_expires_never_flaps() {
    let (_redis, mut one, mut two) = two_nodes().await;
    let _ben = two.member(ROOM, BEN).await;
    let mut ann = one.member(ROOM, ANN).await;
    ann.await_online(&[ANN, BEN]).await;

    two.backend.kill_9();
    // Ben's browser reconnects to node 1 at once, before node 2's lease runs out.
    let _ben_again = one.member(ROOM, BEN).await;
    one.backend
        .await_log(NODE_LOSS_BOUND * 2, |line| {
            line.contains("node node-2 is gone")
        })
        .await;
    // Dee joins after node 2's members were dropped: a leave of ben would come first.
    let _dee = one.member(ROOM, DEE).await;
    ann.await_shown(DEE).await;
    assert_eq!(ann.online(), [ANN, BEN, DEE]);
    let flapped = ann
        .received
        .iter()
        .filter(|f| delta_has(f, "left", BEN))
        .count();
    assert_eq!(flapped, 0, "ben never left ann's room");
}
