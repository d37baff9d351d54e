//! Presence across nodes: a member on one node sees members of the same room on the other
//! in its welcome and in the deltas (joins, moves, renames, leaves); seed clients' lists
//! span the nodes too.

use super::super::harness::{Client, PATIENCE, delta_has, emails, profile};
use super::two_nodes;
use serde_json::Value;

const ROOM: &str = "across";
const ANN: &str = "ann@example.com";
const BEN: &str = "ben@example.com";
const OLA: &str = "ola@example.com";

fn welcome_lists(welcome: &Value, email: &str) -> bool {
    emails(&welcome["users"]).iter().any(|e| e == email)
}

#[tokio::test]
async fn members_on_two_nodes_see_each_others_joins_moves_renames_and_leaves() {
    let (_redis, one, two) = two_nodes().await;
    let mut ola = two.member(ROOM, OLA).await;
    let mut ann = one.member(ROOM, ANN).await;
    ola.await_shown(ANN).await;

    // Ann is known on node 2 now: a newcomer there is welcomed with her in the list.
    let url = format!("{}?room={ROOM}", two.backend.url);
    let mut ben = Client::connect(&url, Some(shared::DELTA_SUBPROTOCOL)).await;
    ben.add_user(BEN, "Ben", Some((48.0, 2.0))).await;
    let welcome = ben.recv_type("welcome").await;
    assert!(
        welcome_lists(&welcome, ANN),
        "welcome on node 2 lists ann: {welcome}"
    );
    assert!(welcome_lists(&welcome, OLA), "and ola: {welcome}");
    ann.await_online(&[ANN, BEN, OLA]).await;

    ann.send_json(profile("update-user", ANN, "ann", Some((40.5, -3.25))))
        .await;
    let moved = ben
        .recv_until(|frame| {
            frame["type"] == "presence"
                && frame["moved"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|m| m[0] == ANN)
        })
        .await;
    let entry = moved["moved"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m[0] == ANN);
    assert_eq!(
        entry.map(|m| (m[1].clone(), m[2].clone())),
        Some((40.5.into(), (-3.25).into()))
    );

    ben.send_json(profile("update-user", BEN, "Benjamin", None))
        .await;
    ann.recv_until(|frame| {
        frame["type"] == "presence"
            && frame["joined"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|u| u["email"] == BEN && u["name"] == "Benjamin")
    })
    .await;

    ann.close().await;
    ben.recv_until(|frame| delta_has(frame, "left", ANN)).await;
    ben.await_online(&[BEN, OLA]).await;
    ola.await_online(&[BEN, OLA]).await;
}

#[tokio::test]
async fn seed_clients_lists_span_the_nodes() {
    let (_redis, one, two) = two_nodes().await;
    // A seed client (no subprotocol) in the default room on node 2 gets full lists.
    let mut seed = Client::connect(&two.backend.url, None).await;
    seed.recv_type("update-users").await;
    let mut ann = one.member(shared::DEFAULT_ROOM, ANN).await;
    seed.recv_until(|frame| {
        frame["type"] == "update-users" && emails(&frame["users"]).contains(&ANN.to_owned())
    })
    .await;

    seed.add_user(BEN, "Ben", Some((1.0, 2.0))).await;
    ann.await_shown(BEN).await;
    ann.close().await;
    seed.recv_until(|frame| frame["type"] == "update-users" && emails(&frame["users"]) == [BEN])
        .await;
}

#[tokio::test]
async fn a_seed_clients_email_is_in_use_on_every_node_until_it_leaves() {
    let (_redis, mut one, two) = two_nodes().await;
    // Each node has files of its own here (no PostgreSQL), and says what that means.
    one.backend
        .logged(PATIENCE, |line| {
            line.contains("claims and chat history are in files of its own")
        })
        .await;
    let mut ann = Client::connect(&one.backend.url, None).await;
    ann.recv_type("update-users").await;
    ann.add_user(ANN, "Ann", Some((1.0, 2.0))).await;
    // A watcher on node 2 shows her: node 2 knows she is online.
    let mut ola = two.member(shared::DEFAULT_ROOM, OLA).await;
    ola.await_shown(ANN).await;

    // Another seed client does not take her email there (nor does a delta client without
    // her token where the claims are shared: `it::pg::cluster`).
    let mut seed = Client::connect(&two.backend.url, None).await;
    seed.recv_type("update-users").await;
    let refused = seed
        .refused(profile("add-user", ANN, "Not Ann", None))
        .await;
    assert_eq!(refused["code"], "email-in-use", "{refused}");

    // Once she has left node 1, her email is free on node 2.
    ann.close().await;
    ola.recv_until(|frame| delta_has(frame, "left", ANN)).await;
    let mut back = Client::connect(&two.backend.url, None).await;
    back.recv_type("update-users").await;
    back.add_user(ANN, "Ann", Some((1.0, 2.0))).await;
    ola.await_shown(ANN).await;
}
