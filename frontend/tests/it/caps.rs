//! The connection caps: per address and in total, counted from accept, `503` with
//! `Retry-After` past them, and a bound on the refusals in flight.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use frontend::MaxConnections;
use tokio::net::TcpStream;

use crate::support::{
    Outcome, PATIENCE, Reply, closed_by_server, connect_from, fixture, outcome, read_reply, send,
    start,
};

const FLOODER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
const NEIGHBOUR: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);

/// A connection from `source` that has had one request answered `200` and stays open,
/// idle, as browsers keep them.
async fn idle_keep_alive(source: Ipv4Addr, addr: SocketAddr) -> TcpStream {
    let mut stream = connect_from(source, addr).await;
    send(&mut stream, "GET", "/", &[]).await;
    assert_eq!(read_reply(&mut stream, false).await.status, 200);
    stream
}

/// Sends a request from `source` on a new connection and expects the cap's refusal: `503`
/// with `Retry-After`, then the connection closed by the server.
async fn refused(source: Ipv4Addr, addr: SocketAddr) -> Reply {
    let mut stream = connect_from(source, addr).await;
    send(&mut stream, "GET", "/", &[]).await;
    let reply = read_reply(&mut stream, false).await;
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert_eq!(reply.header("retry-after"), Some("5"));
    assert_eq!(reply.header("connection"), Some("close"));
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    assert!(closed_by_server(&mut stream).await, "refused but kept open");
    reply
}

/// Requests `/` from `source` until it is answered `200`: a closed connection gives its
/// place back once the server's task ends, just after the socket closes. Bounded, so a
/// place that never comes back fails the test.
async fn served_again(source: Ipv4Addr, addr: SocketAddr) -> TcpStream {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        let mut stream = connect_from(source, addr).await;
        send(&mut stream, "GET", "/", &[]).await;
        match outcome(&mut stream, PATIENCE).await {
            Outcome::Answered(reply) if reply.status == 200 => return stream,
            Outcome::Answered(reply) if reply.status == 503 => {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            other => panic!("neither served nor refused: {other:?}"),
        }
    }
    panic!("the closed connection's place never came back");
}

#[tokio::test]
async fn one_address_at_its_cap_leaves_another_address_served() {
    const PER_ADDRESS: usize = 4;
    let fx = fixture();
    let mut config = fx.config();
    config.max_connections_per_ip = PER_ADDRESS;
    let addr = start(config).await;
    let mut flood = Vec::new();
    for _ in 0..PER_ADDRESS / 2 {
        flood.push(idle_keep_alive(FLOODER, addr).await);
    }
    // Connections that never send a request hold a place too, counted from accept.
    for _ in PER_ADDRESS / 2..PER_ADDRESS {
        flood.push(connect_from(FLOODER, addr).await);
    }

    let started = Instant::now();
    let mut neighbour = connect_from(NEIGHBOUR, addr).await;
    send(&mut neighbour, "GET", "/", &[("Connection", "close")]).await;
    let reply = read_reply(&mut neighbour, false).await;
    let took = started.elapsed();
    println!("{PER_ADDRESS} idle connections from {FLOODER}: {NEIGHBOUR} answered in {took:?}");
    assert_eq!(reply.status, 200);
    assert!(
        took < Duration::from_secs(2),
        "answered only after {took:?}"
    );

    let reply = refused(FLOODER, addr).await;
    assert_eq!(reply.text(), "too many connections from this address");
}

#[tokio::test]
async fn past_the_total_cap_a_connection_is_refused_until_one_closes() {
    const TOTAL: usize = 3;
    let fx = fixture();
    let mut config = fx.config();
    config.max_connections = MaxConnections::At(TOTAL);
    config.max_connections_per_ip = 0;
    let addr = start(config).await;
    let mut open = Vec::new();
    for _ in 0..TOTAL {
        open.push(idle_keep_alive(FLOODER, addr).await);
    }
    let reply = refused(NEIGHBOUR, addr).await;
    assert_eq!(reply.text(), "too many connections");
    // A refusal holds no place once it is over: still exactly one place short.
    refused(FLOODER, addr).await;
    // The body a refused request announces is not waited for.
    let mut with_body = connect_from(NEIGHBOUR, addr).await;
    send(
        &mut with_body,
        "POST",
        "/",
        &[("Content-Length", "1048576")],
    )
    .await;
    assert_eq!(read_reply(&mut with_body, false).await.status, 503);
    assert!(
        closed_by_server(&mut with_body).await,
        "waited for the body"
    );

    drop(open.pop());
    let _again = served_again(NEIGHBOUR, addr).await;
    refused(NEIGHBOUR, addr).await;
}

#[tokio::test]
async fn past_the_refusals_in_flight_a_connection_is_closed_at_once() {
    // Mirrors `MAX_REFUSALS_IN_FLIGHT` in `frontend/src/admission.rs`.
    const REFUSALS_IN_FLIGHT: usize = 64;
    let fx = fixture();
    let mut config = fx.config();
    config.max_connections = MaxConnections::At(1);
    let addr = start(config).await;
    let _admitted = idle_keep_alive(FLOODER, addr).await;
    // Refused connections that send nothing stay in flight until their head times out.
    let mut waiting = Vec::new();
    for _ in 0..REFUSALS_IN_FLIGHT {
        waiting.push(connect_from(FLOODER, addr).await);
    }
    let mut past_the_bound = connect_from(NEIGHBOUR, addr).await;
    assert!(
        closed_by_server(&mut past_the_bound).await,
        "a connection past the refusals' bound was kept open"
    );
    // Those in flight are still answered.
    let in_flight = waiting.last_mut().expect("a refused connection");
    send(in_flight, "GET", "/", &[]).await;
    assert_eq!(read_reply(in_flight, false).await.status, 503);
}
