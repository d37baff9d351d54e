//! Findings 9 and 10: handshakes that completed but never registered were held forever
//! while they answered pings, so idle sockets could fill the server.

use super::*;
use crate::it::harness::TestServer;
use std::time::Duration;
use tokio::time::Instant;

#[tokio::test]
async fn a_connection_that_does_not_register_is_closed_after_the_deadline() {
    let server = TestServer::start_with(configured(claims_config(), |config| {
        config.connection.ping_interval = Duration::from_millis(50);
        config.connection.register_timeout = Duration::from_millis(300);
    }))
    .await;
    let opened = Instant::now();
    let mut idle = Client::delta(&server, "").await;
    let mut member = Client::delta(&server, "").await;
    member.send_json(add_user(ALICE, None, None, None)).await;
    member.recv_type("welcome").await;

    assert_eq!(idle.closed().await, Some(1008));
    let after = opened.elapsed();
    println!("an unregistered connection was closed after {after:?} (deadline 300 ms)");
    assert!(after >= Duration::from_millis(300), "{after:?}");
    // The registered one stays.
    member.barrier("still here").await;
}
