//! The seed's flow against the users API, and an API that is down when the server starts.

use super::fake_api::{Call, FakeApi};
use super::{RemoteServer, await_position, move_to};
use serde_json::{Value, json};

fn call(method: &str, path: &str, body: Value, status: u16) -> Call {
    Call {
        method: method.into(),
        path: path.into(),
        body,
        status,
    }
}

#[tokio::test]
async fn seed_flow_makes_the_contracts_calls_and_the_api_matches_presence() {
    let api = FakeApi::start().await;
    let mut server = RemoteServer::start(&api).await;
    api.wait_for(|s| s.calls.iter().any(|c| c.path == "connect"))
        .await;
    let mut bob = server.legacy().await;
    bob.add_user("bob@example.com", "Bob", None).await;
    api.wait_for(|s| s.has("bob@example.com", true, None)).await;

    // Register, move, leave; each step awaited at the API so none is coalesced.
    let alice_email = "alice@example.com";
    let mut alice = server.delta().await;
    alice
        .add_user("  Alice@Example.com", "Alice", Some((48.85, 2.35)))
        .await;
    api.wait_for(|s| s.has(alice_email, true, Some((48.85, 2.35))))
        .await;
    move_to(&mut alice, "Alice", (48.86, 2.36)).await;
    api.wait_for(|s| s.has(alice_email, true, Some((48.86, 2.36))))
        .await;
    alice.close().await;
    let state = api
        .wait_for(|s| s.has(alice_email, false, Some((48.86, 2.36))))
        .await;

    let alice_calls: Vec<Call> = state
        .calls_about(alice_email)
        .into_iter()
        .cloned()
        .collect();
    let user = |latitude: f64, longitude: f64| {
        json!({"name": "Alice", "email": alice_email, "latitude": latitude,
               "longitude": longitude, "isConnected": true})
    };
    assert_eq!(
        alice_calls,
        vec![
            call("GET", "email/alice@example.com", Value::Null, 200),
            call("POST", "", user(48.85, 2.35), 201),
            call("PUT", "alice@example.com", user(48.86, 2.36), 200),
            call(
                "PUT",
                "disconnect/alice@example.com",
                json!({"isConnected": false}),
                200
            ),
        ]
    );
    // Bob, who registered without a position, was created with a null one.
    let bob_post = &state.calls_about("bob@example.com")[1];
    assert_eq!(
        bob_post.body,
        json!({"name": "Bob", "email": "bob@example.com", "latitude": null,
               "longitude": null, "isConnected": true})
    );

    bob.await_online(&["bob@example.com"]).await;
    assert_eq!(
        state.connected(),
        bob.online(),
        "the API shows who is online"
    );
    server.stop_with(vec![bob]).await;
    api.wait_for(|s| s.connected().is_empty()).await;
}

#[tokio::test]
async fn api_down_at_start_server_serves_and_the_api_gets_every_last_state() {
    let api = FakeApi::reserve().await;
    // Left online by an earlier run: must end up offline.
    api.insert(json!({"name": "Carol", "email": "carol@example.com",
                      "latitude": 1.0, "longitude": 2.0, "isConnected": true}));
    // Left online too, but comes back before the API does: must stay online.
    api.insert(json!({"name": "Bob", "email": "bob@example.com",
                      "latitude": 5.0, "longitude": 6.0, "isConnected": true}));
    let mut server = RemoteServer::start(&api).await;

    let mut alice = server.delta().await;
    let mut bob = server.legacy().await;
    alice
        .add_user("alice@example.com", "Alice", Some((10.0, 20.0)))
        .await;
    bob.add_user("bob@example.com", "Bob", Some((30.0, 40.0)))
        .await;
    alice
        .await_online(&["alice@example.com", "bob@example.com"])
        .await;
    bob.await_online(&["alice@example.com", "bob@example.com"])
        .await;

    // Chat and a call, with the API down.
    alice.chat("lunch?").await;
    let chat = bob.recv_type("chat").await;
    assert_eq!(
        (&chat["from"], &chat["text"]),
        (&json!("alice@example.com"), &json!("lunch?"))
    );
    alice
        .send_json(
            json!({"type": "call-invite", "to": "bob@example.com", "callId": "c-1",
                          "media": {"audio": true, "video": false}}),
        )
        .await;
    let invite = bob.recv_type("call-invite").await;
    assert_eq!(invite["from"], "alice@example.com");
    bob.send_json(json!({"type": "sdp-answer", "to": "alice@example.com",
                         "answer": {"type": "answer", "sdp": "v=0"}}))
        .await;
    assert_eq!(
        alice.recv_type("sdp-answer").await["from"],
        "bob@example.com"
    );
    move_to(&mut alice, "Alice", (11.0, 21.0)).await;
    await_position(&mut bob, "alice@example.com", (11.0, 21.0)).await;
    assert!(api.state().calls.is_empty(), "the API is down");

    api.up().await;
    let state = api
        .wait_for(|s| {
            s.has("alice@example.com", true, Some((11.0, 21.0)))
                && s.has("bob@example.com", true, Some((30.0, 40.0)))
                && s.has("carol@example.com", false, Some((1.0, 2.0)))
        })
        .await;
    let disconnects: Vec<&str> = state
        .calls
        .iter()
        .filter(|c| c.path.starts_with("disconnect/"))
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(
        disconnects,
        ["disconnect/carol@example.com"],
        "only the stale user is marked offline"
    );
    server.stop_with(vec![alice, bob]).await;
}
