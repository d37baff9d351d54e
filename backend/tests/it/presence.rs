//! Presence as each kind of client sees it: a `welcome` then deltas for delta clients, full
//! `update-users` lists for the seed's clients; positions, moves and renames.

use super::harness::{Client, TestServer, delta_has, lists_exactly, observers};
use serde_json::{Value, json};

fn user(name: &str, email: &str, position: Option<(f64, f64)>) -> Value {
    let (latitude, longitude) =
        position.map_or((Value::Null, Value::Null), |(a, o)| (json!(a), json!(o)));
    json!({"name": name, "email": email, "latitude": latitude, "longitude": longitude, "isConnected": true})
}

#[tokio::test]
async fn delta_client_is_welcomed_with_itself_and_everyone_online() {
    let server = TestServer::start().await;
    let mut bob = Client::legacy(&server, "").await;
    bob.add_user("bob@example.com", "Bob", Some((45.75, 4.85)))
        .await;
    bob.await_online(&["bob@example.com"]).await;
    let mut zed = Client::delta(&server, "").await;
    zed.add_user("zed@example.com", "Zed", None).await;
    zed.recv_type("welcome").await;

    let mut alice = Client::delta(&server, "").await;
    alice
        .add_user("alice@example.com", "Alice", Some((48.85, 2.35)))
        .await;
    let mut welcome = alice.recv().await;
    let token = welcome
        .as_object_mut()
        .and_then(|frame| frame.remove("token"));
    assert!(
        token
            .as_ref()
            .and_then(|t| t.as_str())
            .is_some_and(|t| t.starts_with("v2.")),
        "a welcome carries a session token: {token:?}"
    );
    let you = user("Alice", "alice@example.com", Some((48.85, 2.35)));
    let expected = json!({
        "type": "welcome",
        "you": you,
        "room": "default",
        "users": [you, user("Bob", "bob@example.com", Some((45.75, 4.85))), user("Zed", "zed@example.com", None)],
    });
    assert_eq!(
        welcome, expected,
        "the first frame of a delta client, users sorted by name"
    );

    // Later arrivals come as `joined` deltas with the whole user.
    let mut carol = Client::legacy(&server, "").await;
    carol
        .add_user("carol@example.com", "Carol", Some((1.0, 2.0)))
        .await;
    let joined = alice
        .recv_until(|f| delta_has(f, "joined", "carol@example.com"))
        .await;
    let carol_user = joined["joined"]
        .as_array()
        .expect("joined list")
        .iter()
        .find(|u| u["email"] == "carol@example.com");
    assert_eq!(
        carol_user,
        Some(&user("Carol", "carol@example.com", Some((1.0, 2.0))))
    );
    assert!(
        alice.received_of("update-users").is_empty(),
        "a delta client gets no full lists"
    );
    assert_eq!(alice.received_of("welcome").len(), 1);
}

#[tokio::test]
async fn legacy_client_gets_the_list_on_connect_and_after_each_change() {
    let server = TestServer::start().await;
    let mut alice = Client::delta(&server, "").await;
    alice
        .add_user("alice@example.com", "Alice", Some((48.85, 2.35)))
        .await;
    alice.recv_type("welcome").await;
    let mut bob = Client::legacy(&server, "").await;
    let on_connect = bob.recv().await;
    assert!(
        lists_exactly(&on_connect, &["alice@example.com"]),
        "the list before registering: {on_connect}"
    );
    bob.add_user("bob@example.com", "Bob", None).await;
    bob.await_online(&["alice@example.com", "bob@example.com"])
        .await;
    assert!(bob.received_of("welcome").is_empty() && bob.received_of("presence").is_empty());
}

#[tokio::test]
async fn user_without_position_is_listed_with_null_coordinates() {
    let server = TestServer::start().await;
    let (legacy, delta) = observers(&server).await;
    for client in [&legacy, &delta] {
        for (email, user) in client.view() {
            let record = user.as_object().expect("a user object");
            assert_eq!(
                record.get("latitude"),
                Some(&Value::Null),
                "{email} as seen by {}",
                client.email
            );
            assert_eq!(
                record.get("longitude"),
                Some(&Value::Null),
                "{email} as seen by {}",
                client.email
            );
        }
    }
}

#[tokio::test]
async fn moves_arrive_as_moved_deltas_and_as_updated_lists() {
    let server = TestServer::start().await;
    let (mut legacy, mut delta) = observers(&server).await;
    let mut alice = Client::legacy(&server, "").await;
    alice
        .add_user("alice@example.com", "Alice", Some((48.85, 2.35)))
        .await;
    let everyone = [
        "alice@example.com",
        "delta@example.com",
        "legacy@example.com",
    ];
    legacy.await_online(&everyone).await;
    delta.await_online(&everyone).await;

    alice
        .send_json(
            json!({"type": "update-user", "email": "alice@example.com", "name": "Alice",
            "latitude": 48.86, "longitude": -2.5, "isConnected": true}),
        )
        .await;
    let moved = delta
        .recv_until(|f| delta_has(f, "moved", "alice@example.com"))
        .await;
    assert_eq!(moved["moved"], json!([["alice@example.com", 48.86, -2.5]]));
    assert!(
        moved.get("joined").is_none() && moved.get("left").is_none(),
        "empty lists are left out: {moved}"
    );
    let list = legacy
        .recv_until(|f| f["type"] == "update-users" && f["users"][0]["latitude"] == 48.86)
        .await;
    assert_eq!(
        list["users"][0],
        user("Alice", "alice@example.com", Some((48.86, -2.5)))
    );

    // A position update without a position keeps the last one.
    alice
        .send_json(json!({"type": "update-user", "email": "alice@example.com", "name": "Alice"}))
        .await;
    alice.chat("position kept").await;
    alice.recv_until(|f| f["type"] == "chat").await;
    let mut marker = Client::legacy(&server, "").await;
    marker.add_user("marker@example.com", "Marker", None).await;
    delta.await_shown("marker@example.com").await;
    assert_eq!(
        delta.view()["alice@example.com"],
        user("Alice", "alice@example.com", Some((48.86, -2.5)))
    );
}

#[tokio::test]
async fn rename_arrives_as_joined_with_the_new_name() {
    let server = TestServer::start().await;
    let (mut legacy, mut delta) = observers(&server).await;
    let mut alice = Client::legacy(&server, "").await;
    alice
        .add_user("alice@example.com", "Alice", Some((10.0, 20.0)))
        .await;
    let everyone = [
        "alice@example.com",
        "delta@example.com",
        "legacy@example.com",
    ];
    delta.await_online(&everyone).await;
    legacy.await_online(&everyone).await;

    alice
        .add_user("alice@example.com", "Alice Renamed", Some((10.0, 20.0)))
        .await;
    let renamed = delta
        .recv_until(|f| {
            f["type"] == "presence"
                && f["joined"]
                    .as_array()
                    .is_some_and(|j| j.iter().any(|u| u["name"] == "Alice Renamed"))
        })
        .await;
    assert_eq!(
        renamed["joined"],
        json!([user(
            "Alice Renamed",
            "alice@example.com",
            Some((10.0, 20.0))
        )])
    );
    legacy
        .recv_until(|f| f["type"] == "update-users" && f["users"][0]["name"] == "Alice Renamed")
        .await;
    assert_eq!(legacy.online(), everyone, "a rename is not a new user");
}

#[tokio::test]
async fn call_state_arrives_as_joined_with_in_call_and_clears() {
    let server = TestServer::start().await;
    let mut watcher = Client::delta(&server, "").await;
    watcher
        .add_user("watcher@example.com", "Watcher", None)
        .await;
    let mut alice = Client::delta(&server, "").await;
    alice.add_user("alice@example.com", "Alice", None).await;
    watcher
        .await_online(&["alice@example.com", "watcher@example.com"])
        .await;

    let in_call = |state: bool| json!({"type": "update-user", "email": "alice@example.com", "name": "Alice", "inCall": state});
    let joined_alice = |f: &Value| {
        f["type"] == "presence"
            && f["joined"]
                .as_array()
                .is_some_and(|j| j.iter().any(|u| u["email"] == "alice@example.com"))
    };
    alice.send_json(in_call(true)).await;
    let busy = watcher.recv_until(joined_alice).await;
    assert_eq!(busy["joined"][0]["inCall"], true);
    alice.send_json(in_call(false)).await;
    let free = watcher.recv_until(joined_alice).await;
    assert_eq!(
        free["joined"][0],
        user("Alice", "alice@example.com", None),
        "inCall left out when false"
    );
}
