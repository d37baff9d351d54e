//! The per-address cap behind a trusted proxy: every client of a proxy has its address, so
//! the cap counts a proxy's connection as the client its `X-Forwarded-For` names (per
//! IPv4 address or IPv6 /64), refused with the same `503` as a direct client over it. A
//! peer that is not trusted is counted as itself, whatever client it names. Before its
//! request is read, a proxy's connection is bounded by the total cap and the handshake
//! deadline.

use super::proxies::{PROXY, STRANGER, Socket, upgrade_from};
use crate::it::harness::{PATIENCE, TestServer, configured, fast_config};
use std::net::IpAddr;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Error;
use tokio_tungstenite::tungstenite::http::StatusCode;

const CAP: usize = 3;

/// A server that trusts [`PROXY`] and lets [`CAP`] connections in per network.
async fn behind_a_proxy() -> TestServer {
    TestServer::start_with(configured(fast_config(), |config| {
        config.admission.trusted_proxies = vec![PROXY];
        config.admission.max_connections_per_ip = CAP;
    }))
    .await
}

/// `count` upgrades from `source` forwarding for `client`, each one admitted.
async fn admitted(server: &TestServer, source: IpAddr, client: &str, count: usize) -> Vec<Socket> {
    let mut sockets = Vec::new();
    for n in 0..count {
        let upgrade = upgrade_from(server, source, client).await;
        let socket = upgrade.unwrap_or_else(|error| panic!("{client}'s {n}th refused: {error}"));
        sockets.push(socket);
    }
    sockets
}

/// An upgrade from `source` forwarding for `client`, expected to be refused as over the
/// per-address cap: the `503`, its `Retry-After` and its words.
async fn refused_as_full(server: &TestServer, source: IpAddr, client: &str) {
    match upgrade_from(server, source, client).await {
        Ok(_) => panic!("{client} got in past the cap of {CAP}"),
        Err(Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert!(response.headers().contains_key("retry-after"));
            let body = response.body().as_deref().unwrap_or_default();
            assert_eq!(
                String::from_utf8_lossy(body),
                "too many connections from this address"
            );
        }
        Err(error) => panic!("no HTTP answer for {client}: {error}"),
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_cap_counts_each_forwarded_client() {
    let server = behind_a_proxy().await;
    let first = admitted(&server, PROXY, "203.0.113.5", CAP).await;
    refused_as_full(&server, PROXY, "203.0.113.5").await;
    // Another client behind the same proxy still gets in, past the proxy's own CAP.
    let _friend = admitted(&server, PROXY, "198.51.100.7", CAP).await;
    // A chain of proxies: the right-most address not trusted is the client.
    refused_as_full(&server, PROXY, "198.51.100.99, 203.0.113.5, 127.0.0.1").await;
    // A closed connection gives the client's place back.
    drop(first);
    let mut tries = 0;
    while upgrade_from(&server, PROXY, "203.0.113.5").await.is_err() {
        tries += 1;
        assert!(
            tries < 100,
            "the closed connections' places never came back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "behind the proxy: the client's connection {} was refused, another client's admitted",
        CAP + 1
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_an_ipv6_slash_64_is_one_client() {
    let server = behind_a_proxy().await;
    let mut open = Vec::new();
    for host in [
        "2001:db8:1:2::1",
        "2001:db8:1:2::ffff",
        "2001:db8:1:2:abcd::9",
    ] {
        open.extend(admitted(&server, PROXY, host, 1).await);
    }
    refused_as_full(&server, PROXY, "2001:db8:1:2::7").await;
    let _next_subnet = admitted(&server, PROXY, "2001:db8:1:3::1", 1).await;
}

#[tokio::test]
async fn a_forwarded_for_from_a_peer_not_trusted_does_not_dodge_the_cap() {
    let server = behind_a_proxy().await;
    // The stranger on 127.0.0.2 names a new client each time: all count as its own.
    let mut open = Vec::new();
    for n in 0..CAP {
        open.extend(admitted(&server, STRANGER, &format!("203.0.113.{}", n + 1), 1).await);
    }
    refused_as_full(&server, STRANGER, "198.51.100.7").await;
    // The forged header took no place from the client it named.
    let _named = admitted(&server, PROXY, "203.0.113.1", CAP).await;
}

#[tokio::test]
async fn a_trusted_proxys_handshakes_are_bounded_by_the_total_and_the_deadline() {
    let server = TestServer::start_with(configured(fast_config(), |config| {
        config.admission.trusted_proxies = vec![PROXY];
        config.admission.max_connections_per_ip = 1;
        config.admission.max_connections = CAP;
        config.connection.handshake_timeout = Duration::from_millis(300);
    }))
    .await;
    // Idle sockets from the proxy, no request sent: past the per-address cap of 1, since
    // the proxy is no client, but each holds a place in the total.
    let mut idle = Vec::new();
    for _ in 0..CAP {
        idle.push(TcpStream::connect(server.address).await.expect("connect"));
    }
    match upgrade_from(&server, PROXY, "203.0.113.5").await {
        Err(Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            let body = response.body().as_deref().unwrap_or_default();
            assert_eq!(String::from_utf8_lossy(body), "too many connections");
        }
        other => panic!("admitted past the total: {:?}", other.map(|_| ())),
    }
    // The handshake deadline closes them (EOF or a reset), giving their places back.
    for mut socket in idle {
        let mut answer = Vec::new();
        let read = tokio::time::timeout(PATIENCE, socket.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "an idle handshake outlived its deadline");
        assert!(answer.is_empty(), "{:?}", String::from_utf8_lossy(&answer));
    }
    let mut tries = 0;
    while upgrade_from(&server, PROXY, "203.0.113.5").await.is_err() {
        tries += 1;
        assert!(tries < 100, "the idle handshakes' places never came back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
