//! Behind a reverse proxy every client has the proxy's address: without `--trusted-proxies`
//! one guesser there would delay everyone's sign-in. With it, each client counts alone; and
//! an `X-Forwarded-For` from anyone else is ignored, so it cannot dodge the delays.

use super::*;
use crate::it::harness::{PATIENCE, TestServer};
use futures_util::{SinkExt, StreamExt};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The proxy's address in these tests; another peer connects from [`STRANGER`].
pub(super) const PROXY: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
pub(super) const STRANGER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// A client's WebSocket.
pub(super) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A delta client that came through the proxy on 127.0.0.1 for `client`; returns the
/// answer to its `add-user` with `code`.
async fn sign_in_through_proxy(server: &TestServer, client: &str, code: &str) -> Value {
    sign_in_from(server, PROXY, client, code).await
}

/// A delta client's upgrade whose socket comes from `source`, saying it forwards for
/// `client`: the socket, or the refusal (`Error::Http` with the server's answer).
pub(super) async fn upgrade_from(
    server: &TestServer,
    source: IpAddr,
    client: &str,
) -> Result<Socket, tungstenite::Error> {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(source, 0))
        .expect("bind the source address");
    let stream = socket.connect(server.address).await.expect("connect");
    let mut request = server.url("").into_client_request().expect("request");
    let headers = request.headers_mut();
    headers.insert(
        "sec-websocket-protocol",
        HeaderValue::from_static(shared::DELTA_SUBPROTOCOL),
    );
    headers.insert(
        "x-forwarded-for",
        HeaderValue::from_str(client).expect("header"),
    );
    let upgrade = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream));
    let (socket, _) = tokio::time::timeout(PATIENCE, upgrade)
        .await
        .expect("answered in time")?;
    Ok(socket)
}

/// A delta client whose socket comes from `source`, saying it forwards for `client`;
/// returns the answer to its `add-user` with `code`.
async fn sign_in_from(server: &TestServer, source: IpAddr, client: &str, code: &str) -> Value {
    let mut socket = upgrade_from(server, source, client)
        .await
        .expect("handshake");
    let frame = add_user(&format!("someone@{client}.test"), Some(code), None, None);
    socket
        .send(Message::Text(frame.to_string().into()))
        .await
        .expect("send");
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(&text).expect("json");
                if value["type"] == "welcome" || value["type"] == "error" {
                    return value;
                }
            }
            Some(Ok(_)) => continue,
            other => panic!("socket ended: {other:?}"),
        }
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_a_guesser_delays_only_itself() {
    let server = TestServer::start_with(configured(with_code(), |config| {
        config.admission.trusted_proxies = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
    }))
    .await;
    let mut refusals = Vec::new();
    for _ in 0..8 {
        let answer = sign_in_through_proxy(&server, "203.0.113.5", "000000").await;
        refusals.push(answer["code"].as_str().unwrap_or("").to_owned());
    }
    assert_eq!(
        refusals.last().map(String::as_str),
        Some("too-many-attempts"),
        "{refusals:?}"
    );
    // Someone else behind the same proxy is not held up.
    let friend = sign_in_through_proxy(&server, "198.51.100.7", CODE).await;
    assert_eq!(friend["type"], "welcome", "{friend}");
    println!(
        "through one proxy: the guesser was delayed after {} tries, a friend got in",
        refusals.iter().filter(|c| *c == "access-denied").count()
    );
}

#[tokio::test]
async fn a_forwarded_for_from_a_peer_not_trusted_is_ignored() {
    let server = TestServer::start_with(configured(with_code(), |config| {
        config.admission.trusted_proxies = vec![PROXY];
    }))
    .await;
    // The stranger on 127.0.0.2 names a new client in each frame; the delays still fall
    // on its own address, so a "friend" it names is held up with it.
    for round in 0.. {
        let (failed_at, answer) = fail_once_more(&server, round).await;
        assert_eq!(answer["code"], "access-denied", "{answer}");
        let friend = sign_in_from(&server, STRANGER, "198.51.100.7", CODE).await;
        if friend["code"] == "too-many-attempts" {
            println!(
                "a forged X-Forwarded-For was ignored after {} failures",
                round + 6
            );
            return;
        }
        // Let in only if the delay (1 s, doubling each round) passed before it was asked.
        assert!(
            failed_at.elapsed() >= Duration::from_secs(1 << round),
            "the forged address was believed: {friend}"
        );
        assert!(round < 5, "the machine never answered within a delay");
    }
}

/// Fails sign-ins from [`STRANGER`], each naming another client, until one more failure
/// is counted (the first round: the five free ones and one more); returns when that last
/// attempt was sent and its answer.
async fn fail_once_more(server: &TestServer, round: u32) -> (Instant, Value) {
    let tries = if round == 0 { 6 } else { 1 };
    let mut last = None;
    for attempt in 0..tries {
        loop {
            let sent = Instant::now();
            let client = format!("203.0.113.{}", round * 10 + attempt + 1);
            let answer = sign_in_from(server, STRANGER, &client, "000000").await;
            if answer["code"] != "too-many-attempts" {
                last = Some((sent, answer));
                break;
            }
            // Still waiting out the previous delay.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    last.expect("at least one try")
}
