//! Who gets in: the page's origin, the connection caps, and handshakes that are too slow
//! or too big, all refused before the upgrade.

use super::harness::{Client, PATIENCE, TestServer, configured, fast_config};
use backend::MissingOrigin;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Error;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};

/// The status of an upgrade to `server` from a page of `origin` (none: no header).
async fn upgrade_status(server: &TestServer, origin: Option<&str>) -> StatusCode {
    let mut request = server.url("").into_client_request().expect("request");
    if let Some(origin) = origin {
        let value = HeaderValue::from_str(origin).expect("header");
        request.headers_mut().insert("origin", value);
    }
    let connecting = tokio_tungstenite::connect_async(request);
    match tokio::time::timeout(PATIENCE, connecting)
        .await
        .expect("answered in time")
    {
        Ok((_socket, response)) => response.status(),
        Err(Error::Http(response)) => response.status(),
        Err(error) => panic!("no HTTP answer: {error}"),
    }
}

/// Connects a plain client, expecting to be refused: returns the HTTP status and
/// `Retry-After`.
async fn refused(server: &TestServer) -> (StatusCode, Option<String>) {
    match Client::try_connect(&server.url(""), None).await {
        Ok(_) => panic!("admitted past the cap"),
        Err(Error::Http(response)) => {
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            (response.status(), retry_after)
        }
        Err(error) => panic!("no HTTP answer: {error}"),
    }
}

/// Connects until admitted: a closed connection gives its place back once the server's
/// task ends, just after the socket closes. Bounded, so a leak fails the test.
async fn admitted_again(server: &TestServer) -> Client {
    for _ in 0..100 {
        match Client::try_connect(&server.url(""), None).await {
            Ok(client) => return client,
            Err(Error::Http(response)) if response.status() == StatusCode::SERVICE_UNAVAILABLE => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(error) => panic!("unexpected refusal: {error}"),
        }
    }
    panic!("the closed connection's place never came back");
}

/// Registers `client` and waits to see itself online: the server serves it.
async fn served(client: &mut Client) {
    client.add_user("in@example.com", "In", None).await;
    client.await_shown("in@example.com").await;
}

#[tokio::test]
async fn page_of_another_site_is_forbidden() {
    let mut server = TestServer::start().await;
    let status = upgrade_status(&server, Some("https://evil.example")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let status = upgrade_status(&server, Some("http://localhost:3000.evil.example")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    server.stop().await;
}

#[tokio::test]
async fn page_of_the_frontend_is_upgraded() {
    let mut server = TestServer::start().await;
    for origin in ["http://127.0.0.1:3000", "http://localhost:3000"] {
        let status = upgrade_status(&server, Some(origin)).await;
        assert_eq!(status, StatusCode::SWITCHING_PROTOCOLS, "{origin}");
    }
    server.stop().await;
}

#[tokio::test]
async fn configured_origin_is_upgraded_and_the_default_ones_no_longer() {
    let mut server = TestServer::start_with(configured(fast_config(), |config| {
        config.admission.allowed_origins = vec!["https://map.example".into()];
    }))
    .await;
    let status = upgrade_status(&server, Some("https://map.example")).await;
    assert_eq!(status, StatusCode::SWITCHING_PROTOCOLS);
    let status = upgrade_status(&server, Some("http://localhost:3000")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    server.stop().await;
}

#[tokio::test]
async fn missing_origin_is_allowed_by_default() {
    let mut server = TestServer::start().await;
    let status = upgrade_status(&server, None).await;
    assert_eq!(status, StatusCode::SWITCHING_PROTOCOLS);
    server.stop().await;
}

#[tokio::test]
async fn missing_origin_is_forbidden_when_denied() {
    let mut server = TestServer::start_with(configured(fast_config(), |config| {
        config.admission.missing_origin = MissingOrigin::Deny;
    }))
    .await;
    assert_eq!(upgrade_status(&server, None).await, StatusCode::FORBIDDEN);
    let status = upgrade_status(&server, Some("http://localhost:3000")).await;
    assert_eq!(status, StatusCode::SWITCHING_PROTOCOLS);
    server.stop().await;
}

#[tokio::test]
async fn star_allows_any_origin() {
    let mut server = TestServer::start_with(configured(fast_config(), |config| {
        config.admission.allowed_origins = vec!["*".into()];
    }))
    .await;
    let status = upgrade_status(&server, Some("https://anywhere.example")).await;
    assert_eq!(status, StatusCode::SWITCHING_PROTOCOLS);
    server.stop().await;
}

#[tokio::test]
async fn connection_past_the_total_cap_waits_for_a_free_place() {
    let mut server = TestServer::start_with(configured(fast_config(), |config| {
        config.admission.max_connections = 3;
    }))
    .await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(Client::legacy(&server, "").await);
    }
    let (status, retry_after) = refused(&server).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(retry_after.is_some(), "tells when to retry");
    clients.pop().expect("a client").close().await;
    let mut again = admitted_again(&server).await;
    served(&mut again).await;
    assert_eq!(refused(&server).await.0, StatusCode::SERVICE_UNAVAILABLE);
    server.stop().await;
}

#[tokio::test]
async fn connection_past_the_per_address_cap_waits_for_a_free_place() {
    let mut server = TestServer::start_with(configured(fast_config(), |config| {
        config.admission.max_connections_per_ip = 2;
    }))
    .await;
    let first = Client::legacy(&server, "").await;
    let _second = Client::legacy(&server, "").await;
    let (status, retry_after) = refused(&server).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(retry_after.is_some(), "tells when to retry");
    first.close().await;
    let mut again = admitted_again(&server).await;
    served(&mut again).await;
    server.stop().await;
}

#[tokio::test]
async fn abandoned_connections_give_their_place_back() {
    let mut server = TestServer::start_with(configured(fast_config(), |config| {
        config.admission.max_connections = 1;
    }))
    .await;
    Client::legacy(&server, "").await.drop_abruptly();
    admitted_again(&server).await.drop_abruptly();
    // A TCP connection that never sends a request holds a place until it closes.
    let idle = TcpStream::connect(server.address).await.expect("connect");
    drop(idle);
    let mut last = admitted_again(&server).await;
    served(&mut last).await;
    server.stop().await;
}

#[tokio::test]
async fn half_sent_handshake_is_closed_after_the_timeout() {
    let mut server = TestServer::start_with(configured(fast_config(), |config| {
        config.connection.handshake_timeout = Duration::from_millis(200);
    }))
    .await;
    let mut slow = TcpStream::connect(server.address).await.expect("connect");
    slow.write_all(b"GET /?room=lob").await.expect("write");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(PATIENCE, slow.read_to_end(&mut answer))
        .await
        .expect("closed by the server in time");
    // Closed without a word (EOF), or reset: either way, not kept open.
    if let Ok(count) = read {
        assert_eq!(
            count,
            0,
            "no answer: {:?}",
            String::from_utf8_lossy(&answer)
        );
    }
    let mut client = Client::legacy(&server, "").await;
    served(&mut client).await;
    server.stop().await;
}

#[tokio::test]
async fn oversized_header_block_is_refused() {
    let mut server = TestServer::start().await;
    let mut request = String::from(
        "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
    );
    // 64 KiB of headers in 64 lines, under the line limit: the byte limit refuses it.
    let filler = "x".repeat(1024);
    for index in 0..64 {
        request.push_str(&format!("X-Filler-{index}: {filler}\r\n"));
    }
    request.push_str("\r\n");
    assert_not_upgraded(&server, request.as_bytes()).await;
    let mut client = Client::legacy(&server, "").await;
    served(&mut client).await;
    server.stop().await;
}

#[tokio::test]
async fn too_many_header_lines_are_refused() {
    let mut server = TestServer::start().await;
    let mut request = String::from(
        "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
    );
    for index in 0..200 {
        request.push_str(&format!("X-{index}: y\r\n"));
    }
    request.push_str("\r\n");
    assert_not_upgraded(&server, request.as_bytes()).await;
    server.stop().await;
}

/// Sends `request` raw and expects the connection closed or a 4xx, never a 101.
async fn assert_not_upgraded(server: &TestServer, request: &[u8]) {
    let mut stream = TcpStream::connect(server.address).await.expect("connect");
    // The server may close mid-write: a failed write is a refusal too.
    if stream.write_all(request).await.is_err() {
        return;
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer))
        .await
        .expect("answered or closed in time");
    if read.is_ok() && !answer.is_empty() {
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 4"), "refused: {answer}");
    }
}
