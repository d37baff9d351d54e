//! Churn across nodes: connect-register-close cycles spread over two nodes, several at
//! once, ending with no ghost: a watcher on each node sees exactly the members still
//! connected (and the two who joined after), and so does a newcomer's welcome on each.
//!
//! Each cycle is one of four: a connection that never registers, a registration closed
//! cleanly, one dropped without a close frame, and one closed right after its `add-user`
//! (the close racing the registration, on its node and across the backplane).

use super::super::frames::delta_emails;
use super::super::harness::{Client, emails};
use super::{Node, two_nodes};
use futures_util::future::join_all;
use std::collections::BTreeSet;
use std::time::Instant;

const ROOM: &str = "churn";
/// Cycles in all, over [`WORKERS`] at once.
const CYCLES: usize = 400;
const WORKERS: usize = 10;
/// Workers whose last member stays connected.
const STAYING: usize = 4;
/// The members who join on each node once the churn is over.
const LATE: [&str; 2] = ["late-1@example.com", "late-2@example.com"];

fn watcher(node: usize) -> String {
    format!("watcher-{node}@example.com")
}

/// One worker's cycles, alternating nodes; returns the email of the member it leaves
/// connected (its last one, for the first [`STAYING`] workers) and that client.
async fn work(worker: usize, nodes: [&Node; 2]) -> Option<(String, Client)> {
    let cycles = CYCLES / WORKERS;
    for cycle in 0..cycles {
        let node = nodes[(worker + cycle) % 2];
        let email = format!("churn-{worker}-{cycle}@example.com");
        if cycle + 1 == cycles && worker < STAYING {
            return Some((email.clone(), node.member(ROOM, &email).await));
        }
        let url = format!("{}?room={ROOM}", node.backend.url);
        match cycle % 4 {
            0 => {
                Client::connect(&url, Some(shared::DELTA_SUBPROTOCOL))
                    .await
                    .close()
                    .await
            }
            1 => node.member(ROOM, &email).await.close().await,
            2 => node.member(ROOM, &email).await.drop_abruptly(),
            _ => {
                let mut client = Client::connect(&url, Some(shared::DELTA_SUBPROTOCOL)).await;
                client.add_user(&email, "Racer", None).await;
                client.close().await;
            }
        }
    }
    None
}

/// How many members of the churn `watcher` saw join, and how many of them on the other
/// node (a member of worker `w`'s cycle `c` was on node `(w + c) % 2`).
fn joins_seen(watcher: &Client, node: usize) -> (usize, usize) {
    let joined: BTreeSet<String> = watcher
        .received
        .iter()
        .flat_map(|frame| delta_emails(frame, "joined"))
        .filter(|email| email.starts_with("churn-"))
        .collect();
    let node_of = |email: &str| {
        let numbers: Vec<usize> = email
            .trim_start_matches("churn-")
            .split(['-', '@'])
            .filter_map(|n| n.parse().ok())
            .collect();
        numbers.iter().sum::<usize>() % 2
    };
    let remote = joined.iter().filter(|email| node_of(email) != node).count();
    (joined.len(), remote)
}

/// The members listed in the welcome of a newcomer (`email`) on `node`, the newcomers left
/// out (the other node's may not have reached this one's room yet, or its leave not).
async fn welcomed_on(node: &Node, email: &str) -> Vec<String> {
    let newcomer = node.member(ROOM, email).await;
    let mut listed = emails(&newcomer.received_of("welcome")[0]["users"]);
    newcomer.close().await;
    listed.retain(|listed| !listed.starts_with("newcomer-"));
    listed.sort();
    listed
}

#[tokio::test]
async fn connect_register_close_over_two_nodes_leaves_no_ghost() {
    let (_redis, one, two) = two_nodes().await;
    let mut watchers = [
        one.member(ROOM, &watcher(1)).await,
        two.member(ROOM, &watcher(2)).await,
    ];
    for (watching, other) in [(0, 2), (1, 1)] {
        watchers[watching].await_shown(&watcher(other)).await;
    }
    let started = Instant::now();
    let workers = (0..WORKERS).map(|worker| work(worker, [&one, &two]));
    let staying: Vec<(String, Client)> = join_all(workers).await.into_iter().flatten().collect();
    let churned = started.elapsed();

    // A last member joins on each node after the churn: a node's changes reach the other
    // in order, so a watcher that sees both has seen every change before them.
    let late = [
        one.member(ROOM, LATE[0]).await,
        two.member(ROOM, LATE[1]).await,
    ];
    let mut expected: BTreeSet<String> = staying.iter().map(|(email, _)| email.clone()).collect();
    expected.extend([watcher(1), watcher(2)]);
    expected.extend(LATE.map(str::to_owned));
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    for watcher in &mut watchers {
        watcher.await_online(&expected).await;
    }
    for (name, node) in [("node-1", &one), ("node-2", &two)] {
        let newcomer = format!("newcomer-{name}@example.com");
        assert_eq!(
            welcomed_on(node, &newcomer).await,
            expected,
            "a newcomer's welcome on {name}"
        );
    }
    // The newcomers gone too, everywhere.
    for watcher in &mut watchers {
        watcher.await_online(&expected).await;
    }
    drop(late);
    // The churn crossed the nodes: each watcher saw members of the other node come.
    let seen = [joins_seen(&watchers[0], 0), joins_seen(&watchers[1], 1)];
    assert!(seen.iter().all(|(_, remote)| *remote > 0), "{seen:?}");
    println!(
        "{CYCLES} cycles over 2 nodes ({WORKERS} at once) in {:.1} s; 0 ghosts, {} members left online; \
         joins seen by each watcher (all, from the other node): {seen:?}",
        churned.as_secs_f64(),
        staying.len()
    );
}
