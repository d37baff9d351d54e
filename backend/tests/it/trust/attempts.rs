//! Finding 8: the access code could be guessed at 96,932 attempts a second from one
//! address, a 6-digit code in 0.8 s, each connection spending its 50-refusal budget and
//! reconnecting.

use super::*;
use crate::it::harness::TestServer;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use tokio::time::Instant;

/// How long the guesser keeps trying.
const GUESSING: Duration = Duration::from_secs(3);

#[tokio::test]
async fn guessing_the_access_code_earns_growing_delays_per_network() {
    let server = TestServer::start_with(with_code()).await;
    let guesser = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let started = Instant::now();
    let (mut evaluated, mut delayed, mut connections) = (0u32, 0u32, 0u32);
    while started.elapsed() < GUESSING {
        // A fresh connection each time, as the attack did, from one address.
        let mut client = Client::delta_from(&server, guesser).await;
        connections += 1;
        for guess in 0..10 {
            let code = format!("{:06}", evaluated + delayed + guess);
            let refusal = client
                .refused(add_user(ALICE, Some(&code), None, None))
                .await;
            match refusal["code"].as_str() {
                Some("access-denied") => evaluated += 1,
                Some("too-many-attempts") => delayed += 1,
                other => panic!("unexpected refusal {other:?}: {refusal}"),
            }
        }
        client.close().await;
    }
    let per_second = f64::from(evaluated) / started.elapsed().as_secs_f64();
    println!(
        "codes tried in {GUESSING:?}: {evaluated} (refused unseen: {delayed}, over {connections} connections), {per_second:.1}/s"
    );
    // Five free, then 1 s, 2 s...: at most a couple more within the run.
    assert!(evaluated <= 8, "{evaluated} codes were tried");
    assert!(delayed > 0);

    // Another network is not held up, and the right code gets in there.
    let mut friend = Client::delta_from(&server, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3))).await;
    friend
        .send_json(add_user("friend@example.com", Some(CODE), None, None))
        .await;
    friend.recv_type("welcome").await;
}
