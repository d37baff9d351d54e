//! A users API that fails: down mid-run under load, error statuses, answers that are not
//! the contract's, users with wrong fields. Nothing crashes, presence stays live, and what
//! can be retried is.

use super::fake_api::{FakeApi, Fault};
use super::{RemoteServer, config_for, move_to};
use crate::it::harness::{Client, PATIENCE};
use backend::store::{RemoteStore, UserStore};
use serde_json::json;

fn email(i: usize) -> String {
    format!("user{i:02}@example.com")
}

/// Where user `i` is after `round` moves.
fn spot(i: usize, round: usize) -> (f64, f64) {
    (i as f64 + round as f64 / 10.0, -(i as f64))
}

#[tokio::test]
async fn api_down_mid_run_under_load_loses_nothing() {
    const USERS: usize = 50;
    const LEAVING: usize = 10;
    let api = FakeApi::start().await;
    let mut server = RemoteServer::start(&api).await;
    let mut observer = server.delta().await;
    observer
        .add_user("observer@example.com", "Observer", None)
        .await;
    let mut clients = Vec::new();
    for i in 0..USERS {
        let mut client = server.delta().await;
        client
            .add_user(&email(i), &format!("User {i}"), Some(spot(i, 0)))
            .await;
        clients.push(client);
    }
    api.wait_for(|s| (0..USERS).all(|i| s.has(&email(i), true, Some(spot(i, 0)))))
        .await;

    api.down().await;
    for round in 1..=3 {
        for (i, client) in clients.iter_mut().enumerate() {
            move_to(client, &format!("User {i}"), spot(i, round)).await;
        }
    }
    let leaving: Vec<Client> = clients.drain(..LEAVING).collect();
    for client in leaving {
        client.close().await;
    }
    // Presence is live with the API down: the observer sees every last move and leave.
    let live = |observer: &Client| {
        let view = observer.view();
        view.len() == 1 + USERS - LEAVING
            && (LEAVING..USERS).all(|i| {
                view.get(&email(i)).is_some_and(|user| {
                    let (latitude, longitude) = spot(i, 3);
                    user["latitude"] == latitude && user["longitude"] == longitude
                })
            })
    };
    tokio::time::timeout(PATIENCE * 2, async {
        while !live(&observer) {
            observer.recv().await;
        }
    })
    .await
    .expect("the observer sees the last state");
    let during = api.state();
    assert!(
        (0..USERS).all(|i| during.has(&email(i), true, Some(spot(i, 0)))),
        "nothing reached the API while it was down"
    );

    api.up().await;
    let after = api
        .wait_for(|s| (0..USERS).all(|i| s.has(&email(i), i >= LEAVING, Some(spot(i, 3)))))
        .await;
    assert_eq!(after.users.len(), USERS + 1, "no user lost or added");
    assert!(after.has("observer@example.com", true, None));
    for i in 0..USERS {
        assert_eq!(after.users[&email(i)]["name"], format!("User {i}"));
    }
    clients.push(observer);
    server.stop_with(clients).await;
    api.wait_for(|s| s.connected().is_empty()).await;
}

#[tokio::test]
async fn server_errors_are_retried_until_the_api_answers() {
    let api = FakeApi::start().await;
    api.fail(None, 3, Fault::Status(500));
    let mut server = RemoteServer::start(&api).await;
    let mut alice = server.legacy().await;
    alice
        .add_user("alice@example.com", "Alice", Some((1.0, 2.0)))
        .await;
    let state = api
        .wait_for(|s| s.has("alice@example.com", true, Some((1.0, 2.0))))
        .await;
    assert_eq!(state.calls.iter().filter(|c| c.status == 500).count(), 3);
    alice.barrier("still serving").await;
    server.stop_with(vec![alice]).await;
}

#[tokio::test]
async fn a_user_the_api_forgot_is_created_again_on_the_next_update() {
    let api = FakeApi::start().await;
    let mut server = RemoteServer::start(&api).await;
    let mut alice = server.legacy().await;
    alice
        .add_user("alice@example.com", "Alice", Some((1.0, 2.0)))
        .await;
    api.wait_for(|s| s.has("alice@example.com", true, Some((1.0, 2.0))))
        .await;
    api.remove("alice@example.com");
    move_to(&mut alice, "Alice", (3.0, 4.0)).await;
    let state = api
        .wait_for(|s| s.has("alice@example.com", true, Some((3.0, 4.0))))
        .await;
    let tail: Vec<(&str, &str, u16)> = state.calls_about("alice@example.com")[2..]
        .iter()
        .map(|c| (c.method.as_str(), c.path.as_str(), c.status))
        .collect();
    assert_eq!(tail, [("PUT", "alice@example.com", 404), ("POST", "", 201)]);
    server.stop_with(vec![alice]).await;
}

#[tokio::test]
async fn a_refused_write_is_dropped_not_retried() {
    let api = FakeApi::start().await;
    api.fail(Some("POST"), 1, Fault::Status(400));
    let mut server = RemoteServer::start(&api).await;
    let mut alice = server.legacy().await;
    alice.add_user("alice@example.com", "Alice", None).await;
    api.wait_for(|s| s.calls.iter().any(|c| c.status == 400))
        .await;
    // Bob's write comes after Alice's batch is done: a retry of hers would come first.
    let mut bob = server.legacy().await;
    bob.add_user("bob@example.com", "Bob", None).await;
    let state = api.wait_for(|s| s.has("bob@example.com", true, None)).await;
    let alice_posts = state.calls_about("alice@example.com");
    let alice_posts = alice_posts.iter().filter(|c| c.method == "POST").count();
    assert_eq!(alice_posts, 1, "{:#?}", state.calls);
    assert!(state.user("alice@example.com").is_none());

    // Her next change is written as usual.
    move_to(&mut alice, "Alice", (5.0, 6.0)).await;
    api.wait_for(|s| s.has("alice@example.com", true, Some((5.0, 6.0))))
        .await;
    server.stop_with(vec![alice, bob]).await;
}

#[tokio::test]
async fn html_and_truncated_json_are_retried() {
    let api = FakeApi::start().await;
    api.fail(None, 2, Fault::Html);
    api.fail(None, 2, Fault::TruncatedJson);
    let mut server = RemoteServer::start(&api).await;
    let mut alice = server.delta().await;
    alice
        .add_user("alice@example.com", "Alice", Some((1.0, 2.0)))
        .await;
    let state = api
        .wait_for(|s| s.has("alice@example.com", true, Some((1.0, 2.0))))
        .await;
    assert!(state.calls.len() >= 5, "{:#?}", state.calls);
    alice.barrier("still serving").await;
    server.stop_with(vec![alice]).await;
}

#[tokio::test]
async fn a_stale_user_with_a_bad_latitude_is_marked_offline_then_repaired() {
    let api = FakeApi::start().await;
    api.insert(json!({"name": "Alice", "email": "alice@example.com",
                      "latitude": "abc", "longitude": 2.0, "isConnected": true}));
    let mut server = RemoteServer::start(&api).await;
    api.wait_for(|s| {
        s.user("alice@example.com")
            .is_some_and(|u| u["isConnected"] == false)
    })
    .await;
    let mut alice = server.legacy().await;
    alice
        .add_user("alice@example.com", "Alice", Some((1.0, 2.0)))
        .await;
    api.wait_for(|s| s.has("alice@example.com", true, Some((1.0, 2.0))))
        .await;
    server.stop_with(vec![alice]).await;
}

#[tokio::test]
async fn get_validates_what_the_api_answers() {
    let api = FakeApi::start().await;
    let store = RemoteStore::new(&config_for(&api)).expect("store");
    let ada = json!({"name": "Ada", "email": "ada@example.com", "latitude": 51.5,
                     "longitude": -0.12, "isConnected": true, "_id": "x1"});
    api.insert(ada);
    api.insert(
        json!({"name": "Bad", "email": "bad@example.com", "latitude": "abc",
                      "longitude": 1.0, "isConnected": true}),
    );

    let found = store
        .get("ada@example.com")
        .await
        .expect("get")
        .expect("ada");
    assert_eq!((found.name.as_str(), found.latitude), ("Ada", Some(51.5)));
    assert!(
        store
            .get("nobody@example.com")
            .await
            .expect("get")
            .is_none()
    );
    let bad = store.get("bad@example.com").await.expect_err("invalid");
    assert!(bad.0.contains("latitude is not a number"), "{bad}");
    assert!(bad.0.contains("/api/users/email/bad@example.com"), "{bad}");

    for (fault, expected) in [
        (Fault::Status(500), "500"),
        (Fault::Status(403), "403"),
        (Fault::Html, "HTML"),
        (Fault::TruncatedJson, "not JSON"),
    ] {
        api.fail(None, 1, fault);
        let error = store.get("ada@example.com").await.expect_err("fault");
        assert!(error.0.contains(expected), "{fault:?}: {error}");
    }

    // The stale list keeps the bad user, by email, so it is marked offline too.
    let mut stale: Vec<String> = store
        .stale_users()
        .await
        .expect("stale")
        .into_iter()
        .map(|r| r.email)
        .collect();
    stale.sort();
    assert_eq!(stale, ["ada@example.com", "bad@example.com"]);

    api.down().await;
    let error = store.get("ada@example.com").await.expect_err("down");
    assert!(error.0.contains("GET http://"), "{error}");
}
