//! A slow users API: answers held at a gate. Broadcasts do not wait for it, and a user's
//! moves meanwhile are coalesced into one write.

use super::fake_api::{ApiState, FakeApi};
use super::{RemoteServer, await_position, move_to};

fn puts_of(state: &ApiState, email: &str) -> usize {
    let calls = state.calls_about(email);
    calls
        .iter()
        .filter(|c| c.method == "PUT" && c.path == email)
        .count()
}

#[tokio::test]
async fn moves_are_broadcast_while_the_api_holds_the_write() {
    let api = FakeApi::start().await;
    let mut server = RemoteServer::start(&api).await;
    let mut alice = server.legacy().await;
    let mut bob = server.delta().await;
    alice
        .add_user("alice@example.com", "Alice", Some((1.0, 1.0)))
        .await;
    bob.add_user("bob@example.com", "Bob", None).await;
    api.wait_for(|s| {
        s.calls.iter().any(|c| c.path == "connect")
            && s.has("alice@example.com", true, Some((1.0, 1.0)))
            && s.has("bob@example.com", true, None)
    })
    .await;

    api.hold();
    move_to(&mut alice, "Alice", (10.0, 20.0)).await;
    api.wait_for(|s| s.held == 1).await;
    // The write is at the API, unanswered; the move reaches Bob all the same.
    await_position(&mut bob, "alice@example.com", (10.0, 20.0)).await;
    // And so does a second one, while the writer still waits on the first.
    move_to(&mut alice, "Alice", (11.0, 21.0)).await;
    await_position(&mut bob, "alice@example.com", (11.0, 21.0)).await;
    let state = api.state();
    assert_eq!(state.held, 1, "the API call is still held");
    assert!(state.has("alice@example.com", true, Some((1.0, 1.0))));
    assert_eq!(
        puts_of(&state, "alice@example.com"),
        0,
        "nothing answered yet"
    );

    api.release();
    api.wait_for(|s| s.has("alice@example.com", true, Some((11.0, 21.0))))
        .await;
    server.stop_with(vec![alice, bob]).await;
}

#[tokio::test]
async fn ten_moves_while_the_api_is_slow_cost_at_most_two_writes() {
    let api = FakeApi::start().await;
    let mut server = RemoteServer::start(&api).await;
    let mut alice = server.legacy().await;
    let mut bob = server.delta().await;
    alice
        .add_user("alice@example.com", "Alice", Some((0.0, 0.0)))
        .await;
    bob.add_user("bob@example.com", "Bob", None).await;
    api.wait_for(|s| {
        s.calls.iter().any(|c| c.path == "connect")
            && s.has("alice@example.com", true, Some((0.0, 0.0)))
            && s.has("bob@example.com", true, None)
    })
    .await;

    api.hold();
    move_to(&mut alice, "Alice", (1.0, 1.0)).await;
    api.wait_for(|s| s.held == 1).await;
    for step in 2..=10 {
        move_to(&mut alice, "Alice", (f64::from(step), f64::from(step))).await;
    }
    // Every move reached the hub before the API answers anything.
    await_position(&mut bob, "alice@example.com", (10.0, 10.0)).await;
    api.release();
    api.wait_for(|s| s.has("alice@example.com", true, Some((10.0, 10.0))))
        .await;
    bob.close().await;
    server.stop_with(vec![alice]).await;

    let state = api.state();
    assert!(state.has("alice@example.com", false, Some((10.0, 10.0))));
    assert_eq!(
        puts_of(&state, "alice@example.com"),
        2,
        "{:#?}",
        state.calls
    );
}
