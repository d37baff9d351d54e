//! Liveness both ways: the client's own heartbeat (`ping` → `pong`) is answered, and bounded
//! by its rate; a client whose old connection went silent and that came back on a new one
//! within the idle bound is never shown leaving, and keeps its `inCall`.

use super::harness::{Client, TestServer, configured, fast_config, left_count, profile};
use serde_json::json;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const ALICE: &str = "alice@example.com";
const MARKER: &str = "marker@example.com";

#[tokio::test]
async fn ping_is_answered_with_pong_before_and_after_registering() {
    let server = TestServer::start().await;
    let mut client = Client::delta(&server, "").await;
    client.send_json(json!({"type": "ping"})).await;
    assert_eq!(client.recv().await, json!({"type": "pong"}));
    client.add_user(ALICE, "Alice", None).await;
    client.recv_type("welcome").await;
    client.send_json(json!({"type": "ping"})).await;
    client.recv_type("pong").await;
}

#[tokio::test]
async fn pings_over_their_rate_are_refused_as_rate_limited() {
    let server = TestServer::start().await;
    let rate = backend::ServerConfig::default().budget.heartbeat_rate;
    let mut client = Client::delta(&server, "").await;
    client.add_user(ALICE, "Alice", None).await;
    client.recv_type("welcome").await;
    let sent = rate.burst as usize * 2;
    let started = Instant::now();
    for _ in 0..sent {
        client.send_json(json!({"type": "ping"})).await;
    }
    let (mut pongs, mut refused) = (0, 0);
    while pongs + refused < sent {
        let frame = client.recv().await;
        match frame["type"].as_str() {
            Some("pong") => pongs += 1,
            Some("error") => {
                assert_eq!(frame["code"], "rate-limited", "{frame}");
                refused += 1;
            }
            _ => {}
        }
    }
    // The burst, and what refilled while they were sent (a loaded machine is slow).
    let refilled = (started.elapsed().as_secs_f64() * rate.per_second).ceil() as usize;
    assert!(pongs >= rate.burst as usize, "{pongs} pongs");
    assert!(
        pongs <= rate.burst as usize + refilled,
        "{pongs} pongs, {refilled} refilled"
    );
    assert!(refused >= 1, "nothing refused of {sent}");
}

#[tokio::test]
async fn a_silent_connection_replaced_within_the_idle_bound_shows_no_leave() {
    let config = configured(fast_config(), |config| {
        config.connection.ping_interval = Duration::from_millis(20);
        config.connection.idle_timeout = Duration::from_millis(2000);
    });
    let server = TestServer::start_with(config).await;
    let mut observer = Client::delta(&server, "").await;
    observer
        .add_user("observer@example.com", "Observer", None)
        .await;
    let mut old = Client::delta(&server, "").await;
    let mut in_call = profile("add-user", ALICE, "Alice", None);
    in_call["inCall"] = json!(true);
    old.send_json(in_call.clone()).await;
    old.recv_type("welcome").await;
    while observer.view().get(ALICE).map(|alice| &alice["inCall"]) != Some(&json!(true)) {
        observer.recv().await;
    }
    // The network under the old connection is gone: it reads and answers nothing.
    let silent = old.into_silent();
    let mut new = Client::delta(&server, "").await;
    new.send_json(in_call).await;
    new.recv_type("welcome").await;
    // The server closes the old one at the idle bound (1001); then a later join, which the
    // others await meanwhile (answering pings): every presence change made before it has
    // then reached the observer.
    let closed_then_marker = async {
        let code = close_code(silent).await;
        let mut marker = Client::delta(&server, "").await;
        marker.add_user(MARKER, "Marker", None).await;
        (code, marker)
    };
    let ((code, _marker), (), ()) = tokio::join!(
        closed_then_marker,
        observer.await_shown(MARKER),
        new.await_shown(MARKER)
    );
    assert_eq!(code, Some(1001));
    assert_eq!(
        left_count(&observer.received, ALICE),
        0,
        "alice was shown leaving"
    );
    assert_eq!(observer.view()[ALICE]["inCall"], true);
    // Her last connection gone, she leaves, and her in-call badge with her.
    new.close().await;
    observer
        .recv_until(|f| super::frames::delta_has(f, "left", ALICE))
        .await;
    assert!(!observer.view().contains_key(ALICE));
}

/// Reads an unanswering socket's raw bytes (so that no pong is ever sent) until the server
/// drops it; the code of the close frame it sent before, if any.
async fn close_code(silent: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Option<u16> {
    let MaybeTlsStream::Plain(mut tcp) = silent.into_inner() else {
        panic!("a plain TCP stream");
    };
    let mut bytes = Vec::new();
    // The idle bound, then the close frame's grace: well within this on a loaded machine.
    tokio::time::timeout(Duration::from_secs(20), tcp.read_to_end(&mut bytes))
        .await
        .expect("closed in time")
        .ok()?;
    // A server frame is unmasked: 0x88 (FIN, close), a short length, the code.
    bytes
        .windows(4)
        .find(|w| w[0] == 0x88 && w[1] >= 2 && w[1] < 126)
        .map(|w| u16::from_be_bytes([w[2], w[3]]))
}
