//! Signaling and call control: relayed to the addressed user's tabs or to the rest of the
//! room, stamped with the sender's registered email, payload untouched.

use super::harness::{Client, TestServer};
use serde_json::{Value, json};

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";
const CAROL: &str = "carol@example.com";

/// Connects and registers these users in the default room (delta clients on odd
/// positions), then waits until each sees all of them online.
async fn members(server: &TestServer, emails: &[&str]) -> Vec<Client> {
    let mut clients = Vec::new();
    for (index, email) in emails.iter().enumerate() {
        let mut client = if index % 2 == 1 {
            Client::delta(server, "").await
        } else {
            Client::legacy(server, "").await
        };
        client
            .add_user(email, &email[..1].to_uppercase(), None)
            .await;
        clients.push(client);
    }
    let mut distinct: Vec<&str> = emails.to_vec();
    distinct.sort();
    distinct.dedup();
    for client in &mut clients {
        client.await_online(&distinct).await;
    }
    clients
}

fn of_type<'a>(client: &'a Client, kind: &str) -> Vec<&'a Value> {
    client.received_of(kind)
}

#[tokio::test]
async fn addressed_signaling_reaches_every_tab_of_the_target_and_no_one_else() {
    let server = TestServer::start().await;
    let mut clients = members(&server, &[ALICE, BOB, CAROL, BOB, ALICE]).await;
    let payload = json!({
        "offer": {"type": "offer", "sdp": "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\ns=-\r\n"},
        "callId": "call-1",
        "extra": {"list": [1, 2.5, null, true, "x"], "nested": {"deep": {}}}
    });
    let mut frame = payload.clone();
    frame["type"] = json!("sdp-offer");
    frame["to"] = json!(" Bob@Example.COM ");
    clients[0].send_json(frame).await;

    let mut expected = payload;
    expected["type"] = json!("sdp-offer");
    expected["from"] = json!(ALICE);
    expected["to"] = json!(BOB);
    for bob in [1, 3] {
        assert_eq!(
            clients[bob].recv_type("sdp-offer").await,
            expected,
            "bob's tab {bob}"
        );
    }
    // Both of bob's tabs have it, so everything queued with it has been queued.
    for (index, client) in clients.iter_mut().enumerate() {
        client.barrier(&format!("after the offer {index}")).await;
    }
    for index in [0, 2, 4] {
        assert!(
            of_type(&clients[index], "sdp-offer").is_empty(),
            "client {index} is not bob"
        );
    }
    for bob in [1, 3] {
        assert_eq!(of_type(&clients[bob], "sdp-offer").len(), 1, "once per tab");
    }
}

#[tokio::test]
async fn unaddressed_offer_reaches_other_members_but_no_tab_of_the_sender() {
    let server = TestServer::start().await;
    let mut clients = members(&server, &[ALICE, BOB, CAROL, ALICE]).await;
    let mut lurker = Client::legacy(&server, "").await;
    lurker.await_online(&[ALICE, BOB, CAROL]).await;
    let seed_offer = json!({"type": "offer", "sdp": "v=0...", "email": ALICE});
    clients[0].send_json(seed_offer).await;

    let expected = json!({"type": "offer", "from": ALICE, "sdp": "v=0...", "email": ALICE});
    assert_eq!(clients[1].recv_type("offer").await, expected);
    assert_eq!(clients[2].recv_type("offer").await, expected);
    for (index, client) in clients.iter_mut().enumerate() {
        client.barrier(&format!("after the offer {index}")).await;
    }
    assert!(
        of_type(&clients[0], "offer").is_empty(),
        "not back to the sender"
    );
    assert!(
        of_type(&clients[3], "offer").is_empty(),
        "not to the sender's other tab"
    );
    assert!(
        of_type(&clients[0], "error").is_empty(),
        "no error for a relay, unlike the seed"
    );

    // The lurker never registered: it gets presence, never signaling.
    let mut later = Client::legacy(&server, "").await;
    later.add_user("dave@example.com", "Dave", None).await;
    lurker.await_shown("dave@example.com").await;
    assert!(
        of_type(&lurker, "offer").is_empty(),
        "an unregistered connection got signaling"
    );
    // Nor the barrier chats, sent to the room before dave joined.
    assert!(
        of_type(&lurker, "chat").is_empty(),
        "an unregistered connection got chat"
    );
}

#[tokio::test]
async fn claimed_identity_of_someone_else_is_refused_and_not_relayed() {
    let server = TestServer::start().await;
    let mut clients = members(&server, &[ALICE, BOB]).await;
    for frame in [
        json!({"type": "offer", "to": BOB, "from": BOB, "sdp": "forged"}),
        json!({"type": "answer", "to": BOB, "email": "mallory@example.com", "sdp": "forged"}),
        json!({"type": "new-ice-candidate", "from": "mallory@example.com", "candidate": {"candidate": "forged"}}),
        json!({"type": "call-invite", "to": BOB, "from": CAROL}),
    ] {
        let error = clients[0].refused(frame.clone()).await;
        assert_eq!(error["code"], "email-mismatch", "for {frame}: {error}");
    }
    // The sender's own email, in any spelling, is accepted and stamped once.
    clients[0]
        .send_json(json!({"type": "offer", "to": BOB, "from": " ALICE@example.com", "sdp": "real"}))
        .await;
    let offer = clients[1].recv_type("offer").await;
    assert_eq!(
        offer,
        json!({"type": "offer", "from": ALICE, "to": BOB, "sdp": "real"})
    );
    // The real offer was sent last by the same connection, so the forged ones came first.
    let relayed: Vec<&str> = ["offer", "answer", "new-ice-candidate", "call-invite"]
        .iter()
        .flat_map(|kind| of_type(&clients[1], kind))
        .filter_map(|frame| frame["sdp"].as_str())
        .collect();
    assert_eq!(relayed, ["real"], "forged frames were relayed");
    assert!(of_type(&clients[1], "call-invite").is_empty());
    assert!(of_type(&clients[1], "new-ice-candidate").is_empty());
}

#[tokio::test]
async fn call_control_needs_a_target_that_is_online() {
    let server = TestServer::start().await;
    let mut clients = members(&server, &[ALICE, BOB]).await;
    for kind in [
        "call-invite",
        "call-ringing",
        "call-accept",
        "call-decline",
        "call-busy",
        "hang-up",
    ] {
        let error = clients[0]
            .refused(json!({"type": kind, "callId": "1"}))
            .await;
        assert_eq!(
            error["code"], "missing-target",
            "{kind} without to: {error}"
        );
        let error = clients[0]
            .refused(json!({"type": kind, "to": "nobody@example.com"}))
            .await;
        assert_eq!(error["code"], "target-offline", "{kind} to nobody: {error}");
    }
    for kind in [
        "offer",
        "answer",
        "sdp-offer",
        "sdp-answer",
        "new-ice-candidate",
    ] {
        let error = clients[0]
            .refused(json!({"type": kind, "to": "nobody@example.com"}))
            .await;
        assert_eq!(error["code"], "target-offline", "{kind} to nobody: {error}");
    }

    // A whole call, each frame relayed to the other side only.
    let exchange = [
        (0, "call-invite", BOB),
        (1, "call-ringing", ALICE),
        (1, "call-accept", ALICE),
        (0, "sdp-offer", BOB),
        (1, "sdp-answer", ALICE),
        (0, "new-ice-candidate", BOB),
        (1, "hang-up", ALICE),
    ];
    for (sender, kind, to) in exchange {
        let from = clients[sender].email.clone();
        let frame = json!({"type": kind, "to": to, "callId": "c-7", "seq": kind});
        clients[sender].send_json(frame).await;
        let relayed = clients[1 - sender].recv_type(kind).await;
        assert_eq!(
            relayed,
            json!({"type": kind, "from": from, "to": to, "callId": "c-7", "seq": kind})
        );
    }
    for (index, client) in clients.iter_mut().enumerate() {
        client.barrier(&format!("after the call {index}")).await;
    }
    for (sender, kind, _) in exchange {
        assert!(
            of_type(&clients[sender], kind).is_empty(),
            "{kind} echoed to its sender"
        );
    }

    // Once bob has gone, he is offline again.
    clients.pop().expect("bob").close().await;
    let error = clients[0]
        .refused(json!({"type": "call-invite", "to": BOB}))
        .await;
    assert_eq!(error["code"], "target-offline", "{error}");
}

#[tokio::test]
async fn chat_and_signaling_before_add_user_are_not_registered() {
    let server = TestServer::start().await;
    let mut clients = members(&server, &[BOB]).await;
    let mut stranger = Client::delta(&server, "").await;
    for frame in [
        json!({"type": "chat", "text": "hello"}),
        json!({"type": "chat", "text": "hello", "to": BOB}),
        json!({"type": "offer", "sdp": "v=0"}),
        json!({"type": "offer", "sdp": "v=0", "to": BOB}),
        json!({"type": "call-invite", "to": BOB}),
        json!({"type": "hang-up", "to": BOB}),
    ] {
        let error = stranger.refused(frame.clone()).await;
        assert_eq!(error["code"], "not-registered", "for {frame}: {error}");
    }
    clients[0].barrier("after the stranger").await;
    let got: Vec<&Value> = clients[0]
        .received
        .iter()
        .filter(|f| f["type"] != "update-users")
        .collect();
    assert_eq!(got.len(), 1, "bob got only his own barrier: {got:?}");

    stranger
        .add_user("stranger@example.com", "Stranger", None)
        .await;
    stranger.recv_type("welcome").await;
    stranger
        .send_json(json!({"type": "offer", "sdp": "v=0", "to": BOB}))
        .await;
    assert_eq!(
        clients[0].recv_type("offer").await["from"],
        "stranger@example.com"
    );
}
