//! Presence follows open connections: a user with two tabs stays online until the last one
//! closes, and a client that crashes or stops answering pings is shown offline.

use super::harness::{
    Client, TestServer, configured, fast_config, left_count, lists_exactly, observers,
};
use futures_util::StreamExt;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const ALICE: &str = "alice@example.com";

/// A legacy and a delta observer, registered, and alice on `tabs` connections; returns
/// once both observers see alice.
async fn observed_alice(server: &TestServer, tabs: usize) -> (Client, Client, Vec<Client>) {
    let (mut legacy, mut delta) = observers(server).await;
    let mut alice = Vec::new();
    for tab in 0..tabs {
        let mut client = if tab % 2 == 0 {
            Client::legacy(server, "").await
        } else {
            Client::delta(server, "").await
        };
        client.add_user(ALICE, "Alice", Some((48.85, 2.35))).await;
        alice.push(client);
    }
    let everyone = [ALICE, "delta@example.com", "legacy@example.com"];
    legacy.await_online(&everyone).await;
    delta.await_online(&everyone).await;
    (legacy, delta, alice)
}

/// A fresh user joins; once both observers see it, every earlier presence change has
/// reached them.
async fn presence_barrier(server: &TestServer, observers: [&mut Client; 2], email: &str) -> Client {
    let mut marker = Client::delta(server, "").await;
    marker.add_user(email, "Marker", None).await;
    for observer in observers {
        observer.await_shown(email).await;
    }
    marker
}

#[tokio::test]
async fn second_tab_keeps_user_online_and_the_last_one_leaves_once() {
    let server = TestServer::start().await;
    let (mut legacy, mut delta, mut tabs) = observed_alice(&server, 2).await;

    // `close` returns once the server dropped the connection, after taking it out of the hub.
    tabs.remove(0).close().await;
    let _first = presence_barrier(&server, [&mut legacy, &mut delta], "marker1@example.com").await;
    assert_eq!(
        left_count(&delta.received, ALICE),
        0,
        "alice left with a tab still open"
    );
    assert!(
        legacy.online().contains(&ALICE.to_owned()),
        "alice dropped from the list"
    );
    assert!(delta.online().contains(&ALICE.to_owned()));
    // The remaining tab still works as alice.
    tabs[0].chat_to("delta@example.com", "still here").await;
    let chat = delta.recv_type("chat").await;
    assert_eq!(chat["from"], ALICE);

    tabs.remove(0).close().await;
    delta
        .recv_until(|f| super::frames::delta_has(f, "left", ALICE))
        .await;
    legacy
        .recv_until(|f| {
            lists_exactly(
                f,
                &[
                    "delta@example.com",
                    "legacy@example.com",
                    "marker1@example.com",
                ],
            )
        })
        .await;
    let _second = presence_barrier(&server, [&mut legacy, &mut delta], "marker2@example.com").await;
    assert_eq!(
        left_count(&delta.received, ALICE),
        1,
        "exactly one 'left' for alice"
    );
    assert!(!delta.online().contains(&ALICE.to_owned()));
    assert!(!legacy.online().contains(&ALICE.to_owned()));
}

#[tokio::test]
async fn abruptly_dropped_client_is_shown_offline() {
    let server = TestServer::start().await;
    let (mut legacy, mut delta, mut tabs) = observed_alice(&server, 1).await;
    tabs.remove(0).drop_abruptly();
    delta
        .recv_until(|f| super::frames::delta_has(f, "left", ALICE))
        .await;
    legacy
        .recv_until(|f| lists_exactly(f, &["delta@example.com", "legacy@example.com"]))
        .await;
    let mut fresh = Client::legacy(&server, "").await;
    let list = fresh.recv().await;
    assert!(
        lists_exactly(&list, &["delta@example.com", "legacy@example.com"]),
        "a newcomer sees no ghost: {list}"
    );
}

#[tokio::test]
async fn client_that_stops_answering_pings_is_closed_and_shown_offline() {
    // Every client here must answer a ping within the idle timeout: 150 ms was too short
    // for the observers when several test binaries share two CPUs.
    let config = configured(fast_config(), |config| {
        config.connection.ping_interval = Duration::from_millis(20);
        config.connection.idle_timeout = Duration::from_millis(1000);
    });
    let server = TestServer::start_with(config).await;
    let (mut legacy, mut delta, mut tabs) = observed_alice(&server, 1).await;
    // Unpolled, the socket no longer answers pings; the observers keep reading, so answer.
    let mut silent = tabs.remove(0).into_silent();
    tokio::join!(
        delta.recv_until(|f| super::frames::delta_has(f, "left", ALICE)),
        legacy.recv_until(|f| lists_exactly(f, &["delta@example.com", "legacy@example.com"])),
    );
    // The server said why, with 1001, behind the pings it sent meanwhile.
    let deadline = tokio::time::Instant::now() + super::harness::PATIENCE;
    let code = loop {
        match tokio::time::timeout_at(deadline, silent.next())
            .await
            .expect("a close frame in time")
        {
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            other => panic!("the connection ended without a close frame: {other:?}"),
        }
    };
    assert_eq!(code, Some(1001));
    // The observers, which answered every ping, are still connected and registered.
    legacy.barrier("legacy still here").await;
    delta.barrier("delta still here").await;
}
