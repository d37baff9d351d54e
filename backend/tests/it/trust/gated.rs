//! Finding 2: with an access code, a connection that has not registered with it saw every
//! user's email, name and live position.

use super::*;
use crate::it::harness::TestServer;

#[tokio::test]
async fn with_an_access_code_a_seed_listener_sees_nobody_until_it_registers_with_it() {
    let server = TestServer::start_with(with_code()).await;
    let mut alice = Client::delta(&server, "").await;
    alice
        .send_json(add_user(ALICE, Some(CODE), None, None))
        .await;
    alice.recv_type("welcome").await;

    let mut stranger = Client::legacy(&server, "").await;
    let seen = received_before_a_refusal(&mut stranger).await;
    println!("frames a stranger got before registering: {}", seen.len());
    assert!(seen.is_empty(), "nothing of the room: {seen:?}");
    // A move of alice's now is still not shown to it.
    alice
        .send_json(profile(
            "update-user",
            ALICE,
            "Someone",
            Some((48.86, 2.36)),
        ))
        .await;
    let refusal = stranger
        .refused(add_user("mallory@example.com", Some("271828"), None, None))
        .await;
    assert_eq!(refusal["code"], "access-denied");
    let seen = received_before_a_refusal(&mut stranger).await;
    assert!(
        seen.is_empty(),
        "still nothing after a wrong code: {seen:?}"
    );

    stranger
        .send_json(add_user("mallory@example.com", Some(CODE), None, None))
        .await;
    let list = stranger.recv_type("update-users").await;
    assert!(
        list.to_string().contains(ALICE),
        "registered, it sees the room: {list}"
    );
}

#[tokio::test]
async fn with_an_access_code_a_delta_client_gets_nothing_before_its_welcome() {
    let server = TestServer::start_with(with_code()).await;
    let mut alice = Client::delta(&server, "").await;
    alice
        .send_json(add_user(ALICE, Some(CODE), None, None))
        .await;
    alice.recv_type("welcome").await;
    let mut stranger = Client::delta(&server, "").await;
    let refusal = stranger
        .refused(add_user("mallory@example.com", None, None, None))
        .await;
    assert_eq!(refusal["code"], "access-denied");
    let seen = received_before_a_refusal(&mut stranger).await;
    assert!(seen.is_empty(), "{seen:?}");
}

#[tokio::test]
async fn without_an_access_code_seed_listeners_keep_the_seeds_list_on_connect() {
    let server = TestServer::start_with(claims_config()).await;
    let mut listener = Client::legacy(&server, "").await;
    let list = listener.recv_type("update-users").await;
    assert_eq!(list["users"], json!([]));
}
