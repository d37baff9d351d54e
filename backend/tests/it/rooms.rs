//! Rooms: presence, chat and signaling stay inside the room a connection named, by query
//! parameter or in its first `add-user`.

use super::harness::{Client, TestServer, lists_exactly};
use serde_json::json;
use tokio_tungstenite::tungstenite::Error;

const A: [&str; 2] = ["al@a.example", "ad@a.example"];
const B: [&str; 2] = ["bl@b.example", "bd@b.example"];
const C: [&str; 2] = ["cl@c.example", "cd@c.example"];

/// A frame this client received that mentions a user of another room, if any (error
/// frames excepted: they name the target that was refused).
fn saw_foreign(client: &Client, own_domain: &str) -> Option<String> {
    let foreign = |text: &String| {
        ["a.example", "b.example", "c.example"]
            .iter()
            .any(|d| *d != own_domain && text.contains(*d))
    };
    client
        .received
        .iter()
        .filter(|frame| frame["type"] != "error")
        .map(|frame| frame.to_string())
        .find(foreign)
}

#[tokio::test]
async fn rooms_isolate_presence_chat_and_signaling() {
    let server = TestServer::start().await;
    let mut al = Client::legacy(&server, "?room=a").await;
    let mut ad = Client::delta(&server, "?room=a").await;
    let mut bl = Client::legacy(&server, "?room=b").await;
    let mut bd = Client::delta(&server, "?room=b").await;
    // These two connect to the default room and move to room c with their first add-user.
    let mut cl = Client::legacy(&server, "").await;
    let mut cd = Client::delta(&server, "").await;
    al.add_user(A[0], "A legacy", Some((1.0, 1.0))).await;
    ad.add_user(A[1], "A delta", None).await;
    bl.add_user(B[0], "B legacy", Some((2.0, 2.0))).await;
    bd.add_user(B[1], "B delta", None).await;
    cl.add_user_in("c", C[0], "C legacy").await;
    cd.add_user_in("C", C[1], "C delta").await;

    for (client, room, members) in [
        (&mut al, "a", A),
        (&mut ad, "a", A),
        (&mut bl, "b", B),
        (&mut bd, "b", B),
        (&mut cl, "c", C),
        (&mut cd, "c", C),
    ] {
        client.await_online(&members).await;
        if let Some(welcome) = client.received_of("welcome").first() {
            assert_eq!(welcome["room"], room, "the welcome names the room");
        }
    }
    assert!(
        lists_exactly(&cl.received[0], &[]),
        "the default room, empty, until cl moved"
    );

    // Across rooms, a user is unknown to chat and offline to signaling: both refused.
    for (frame, code) in [
        (
            json!({"type": "chat", "text": "hi b", "to": B[1]}),
            "unknown-recipient",
        ),
        (
            json!({"type": "offer", "sdp": "v=0", "to": B[0]}),
            "target-offline",
        ),
        (json!({"type": "call-invite", "to": C[1]}), "target-offline"),
        (
            json!({"type": "new-ice-candidate", "candidate": {"candidate": "x"}, "to": C[0]}),
            "target-offline",
        ),
    ] {
        let error = al.refused(frame.clone()).await;
        assert_eq!(error["code"], code, "for {frame}: {error}");
    }
    // A room broadcast reaches the room only.
    ad.send_json(json!({"type": "offer", "sdp": "v=0 from a"}))
        .await;
    let offer = al.recv_type("offer").await;
    assert_eq!(
        offer,
        json!({"type": "offer", "from": A[1], "sdp": "v=0 from a"})
    );
    al.chat("room a only").await;
    ad.recv_until(|f| f["type"] == "chat" && f["text"] == "room a only")
        .await;

    // The offer and the chat were queued to every recipient before ad and al read them.
    for (client, domain) in [
        (&mut al, "a.example"),
        (&mut ad, "a.example"),
        (&mut bl, "b.example"),
        (&mut bd, "b.example"),
        (&mut cl, "c.example"),
        (&mut cd, "c.example"),
    ] {
        client
            .barrier(&format!("barrier {domain} {}", client.email))
            .await;
        assert_eq!(
            saw_foreign(client, domain),
            None,
            "{} saw another room",
            client.email
        );
    }
    for client in [&bl, &bd, &cl, &cd] {
        assert!(
            client.received_of("offer").is_empty(),
            "{} got room a's offer",
            client.email
        );
    }
}

#[tokio::test]
async fn invalid_room_in_query_refuses_the_handshake() {
    let server = TestServer::start().await;
    let long = "r".repeat(65);
    for query in [
        "?room=a%20b",
        "?room=",
        "?room=%20",
        "?room=a/b",
        "?room=%3Cscript%3E",
        &format!("?room={long}"),
    ] {
        for subprotocol in [None, Some(shared::DELTA_SUBPROTOCOL)] {
            match Client::try_connect(&server.url(query), subprotocol).await {
                Err(Error::Http(response)) => assert_eq!(response.status(), 400, "for {query}"),
                Err(other) => panic!("{query}: refused, but not with an HTTP status: {other}"),
                Ok(_) => panic!("{query}: the handshake must be refused"),
            }
        }
    }
    // The longest valid name, and the server still serves after the refusals.
    let mut client = Client::legacy(&server, &format!("?room={}", "r".repeat(64))).await;
    assert!(lists_exactly(&client.recv().await, &[]));
}

#[tokio::test]
async fn room_names_are_normalised_so_spellings_meet() {
    let server = TestServer::start().await;
    let mut upper = Client::delta(&server, "?room=%20Team%20").await;
    let mut lower = Client::legacy(&server, "?room=team").await;
    let mut by_add_user = Client::delta(&server, "").await;
    upper.add_user("u@example.com", "Upper", None).await;
    lower.add_user("l@example.com", "Lower", None).await;
    by_add_user
        .add_user_in("TEAM", "x@example.com", "ByAddUser")
        .await;
    let everyone = ["u@example.com", "l@example.com", "x@example.com"];
    for client in [&mut upper, &mut lower, &mut by_add_user] {
        client.await_online(&everyone).await;
    }
    assert_eq!(upper.received_of("welcome")[0]["room"], "team");
    assert_eq!(by_add_user.received_of("welcome")[0]["room"], "team");
}

#[tokio::test]
async fn second_add_user_cannot_change_room() {
    let server = TestServer::start().await;
    let mut alice = Client::legacy(&server, "?room=a").await;
    let mut in_a = Client::delta(&server, "?room=a").await;
    let mut in_b = Client::delta(&server, "?room=b").await;
    alice.add_user("alice@example.com", "Alice", None).await;
    in_a.add_user("watch-a@example.com", "Watch A", None).await;
    in_b.add_user("watch-b@example.com", "Watch B", None).await;
    in_a.await_online(&["alice@example.com", "watch-a@example.com"])
        .await;
    in_b.await_online(&["watch-b@example.com"]).await;

    let mut moving =
        json!({"type": "update-user", "email": "alice@example.com", "name": "Alice", "room": "b"});
    let error = alice.refused(moving.clone()).await;
    assert_eq!(error["code"], "room-mismatch", "{error}");
    // Naming the room it is in, in any spelling, is fine.
    moving["room"] = json!(" A ");
    moving["name"] = json!("Alice in A");
    alice.send_json(moving).await;
    alice
        .recv_until(|f| f["type"] == "update-users" && f["users"][0]["name"] == "Alice in A")
        .await;

    // A later join in each room: any presence from the refused move came before it.
    let mut marker_a = Client::delta(&server, "?room=a").await;
    marker_a
        .add_user("marker-a@example.com", "Marker", None)
        .await;
    let mut marker_b = Client::delta(&server, "?room=b").await;
    marker_b
        .add_user("marker-b@example.com", "Marker", None)
        .await;
    in_a.await_shown("marker-a@example.com").await;
    in_b.await_shown("marker-b@example.com").await;
    assert_eq!(
        in_a.online(),
        [
            "alice@example.com",
            "marker-a@example.com",
            "watch-a@example.com"
        ]
    );
    assert_eq!(in_a.view()["alice@example.com"]["name"], "Alice in A");
    assert_eq!(
        in_b.online(),
        ["marker-b@example.com", "watch-b@example.com"]
    );
    assert!(
        !in_b
            .received
            .iter()
            .any(|f| f.to_string().contains("alice@")),
        "alice never reached b"
    );
}
