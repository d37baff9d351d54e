//! Behind a reverse proxy every client has the proxy's address: without `--trusted-proxies`
//! one guesser there would delay everyone's sign-in. With it, each client counts alone.

use super::*;
use crate::it::harness::TestServer;
use futures_util::{SinkExt, StreamExt};
use std::net::{IpAddr, Ipv4Addr};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// A delta client that came through the proxy on 127.0.0.1 for `client`; returns the
/// answer to its `add-user` with `code`.
async fn sign_in_through_proxy(server: &TestServer, client: &str, code: &str) -> Value {
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
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
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
