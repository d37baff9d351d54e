//! Finding 3: anyone could register as an offline user's email, keep the token, and later
//! join the owner's session as "another tab", receiving their messages and ICE candidates.

use super::*;
use crate::it::harness::TestServer;

/// A delta client signed in as `email`; returns it and its token.
async fn signed_in(server: &TestServer, frame: Value) -> (Client, String) {
    let mut client = Client::delta(server, "").await;
    client.email = frame["email"].as_str().unwrap_or("").to_owned();
    client.send_json(frame).await;
    let welcome = client.recv_type("welcome").await;
    let token = welcome["token"].as_str().expect("a token").to_owned();
    (client, token)
}

#[tokio::test]
async fn an_offline_owners_email_cannot_be_taken_whatever_the_protocol() {
    let server = TestServer::start_with(claims_config()).await;
    let (alice, token) = signed_in(&server, add_user(ALICE, None, None, None)).await;
    alice.close().await;

    let mut refusals = 0;
    for legacy in [false, true] {
        let mut mallory = match legacy {
            true => Client::legacy(&server, "").await,
            false => Client::delta(&server, "").await,
        };
        let refusal = mallory.refused(add_user(ALICE, None, None, None)).await;
        assert_eq!(refusal["code"], "email-claimed", "{refusal}");
        let forged = mallory
            .refused(add_user(ALICE, None, Some("v2.YWxpY2V8eHx4.AAAA"), None))
            .await;
        assert_eq!(forged["code"], "invalid-token", "{forged}");
        refusals += 2;
    }
    println!("takeover attempts on an offline owner's email refused: {refusals} of {refusals}");

    // The owner comes back with the token and is let in at once.
    let (mut alice, _) = signed_in(&server, add_user(ALICE, None, Some(&token), None)).await;
    let (mut bob, _) = signed_in(&server, add_user("bob@example.com", None, None, None)).await;
    bob.chat_to(ALICE, "only for alice").await;
    let direct = alice.recv_type("chat").await;
    assert_eq!(direct["text"], "only for alice");
}

#[tokio::test]
async fn a_second_device_is_added_with_a_one_time_code_and_signs_out_alone() {
    let server = TestServer::start_with(claims_config()).await;
    let (mut phone, phone_token) = signed_in(&server, add_user(ALICE, None, None, None)).await;
    phone.send_json(json!({"type": "link-device"})).await;
    let link = phone.recv_type("device-link").await;
    let code = link["code"].as_str().expect("a code").to_owned();
    assert!(link["expiresAt"].as_u64().is_some(), "{link}");

    let (mut laptop, laptop_token) =
        signed_in(&server, add_user(ALICE, None, None, Some(&code))).await;
    assert_ne!(laptop_token, phone_token);
    let mut thief = Client::delta(&server, "").await;
    let reused = thief
        .refused(add_user(ALICE, None, None, Some(&code)))
        .await;
    assert_eq!(
        reused["code"], "invalid-link-code",
        "a code works once: {reused}"
    );

    phone.send_json(json!({"type": "sign-out"})).await;
    phone.recv_type("signed-out").await;
    assert_eq!(phone.closed().await, Some(1000));
    let mut again = Client::delta(&server, "").await;
    let revoked = again
        .refused(add_user(ALICE, None, Some(&phone_token), None))
        .await;
    assert_eq!(revoked["code"], "invalid-token", "{revoked}");
    // The laptop is still signed in and its token still works.
    laptop.barrier("still here").await;
    let (_tab, _) = signed_in(&server, add_user(ALICE, None, Some(&laptop_token), None)).await;
}

#[tokio::test]
async fn an_email_used_through_the_seed_protocol_stays_open_to_it_until_claimed() {
    let server = TestServer::start_with(with_code()).await;
    for _ in 0..2 {
        let mut seed = Client::legacy(&server, "").await;
        seed.send_json(add_user(ALICE, Some(CODE), None, None))
            .await;
        seed.recv_type("update-users").await;
        seed.close().await;
    }
    let mut seed = Client::legacy(&server, "").await;
    let refusal = seed.refused(add_user(ALICE, None, None, None)).await;
    assert_eq!(refusal["code"], "access-denied", "only with the code");
    seed.close().await;
    // A device claims it; from then on the seed protocol is refused it too.
    let (_alice, _) = signed_in(&server, add_user(ALICE, Some(CODE), None, None)).await;
    let mut seed = Client::legacy(&server, "").await;
    let refusal = seed.refused(add_user(ALICE, Some(CODE), None, None)).await;
    assert!(
        ["email-claimed", "email-in-use"].contains(&refusal["code"].as_str().unwrap_or("")),
        "{refusal}"
    );
}

#[tokio::test]
async fn the_operator_releases_a_claim_from_the_command_line() {
    let server = TestServer::start_with(claims_config()).await;
    let (alice, _) = signed_in(&server, add_user(ALICE, None, None, None)).await;
    alice.close().await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_backend"))
        .args(["--database"])
        .arg(&server.database)
        .args(["release-claim", "Alice@Example.com"])
        .output()
        .expect("run the backend binary");
    let said = String::from_utf8_lossy(&output.stdout);
    println!("release-claim said: {said}");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        said.contains("released alice@example.com: 1 devices"),
        "{said}"
    );
    let (_new_owner, _) = signed_in(&server, add_user(ALICE, None, None, None)).await;
}

#[tokio::test]
async fn a_lost_device_is_signed_out_from_another_and_its_connection_closed() {
    let server = TestServer::start_with(claims_config()).await;
    let (mut laptop, _) = signed_in(&server, add_user(ALICE, None, None, None)).await;
    laptop.send_json(json!({"type": "link-device"})).await;
    let code = laptop.recv_type("device-link").await["code"]
        .as_str()
        .expect("a code")
        .to_owned();
    let (mut lost_phone, phone_token) =
        signed_in(&server, add_user(ALICE, None, None, Some(&code))).await;

    laptop
        .send_json(json!({"type": "sign-out", "others": true}))
        .await;
    let answer = laptop.recv_type("signed-out").await;
    assert_eq!(
        answer,
        json!({"type": "signed-out", "devices": 1, "others": true})
    );
    assert_eq!(lost_phone.closed().await, Some(1008));
    let mut thief = Client::delta(&server, "").await;
    let refusal = thief
        .refused(add_user(ALICE, None, Some(&phone_token), None))
        .await;
    assert_eq!(refusal["code"], "invalid-token", "{refusal}");
    laptop.barrier("still signed in").await;
}
