//! TURN with short-lived credentials, against a real coturn run with the shipped
//! `deploy/turnserver.conf`: a welcome's credentials allocate a relay; expired ones and
//! ones signed with another secret are refused (401); the relay refuses loopback, private
//! and link-local peers (403). Without coturn: no credentials without TURN, and renewal.

mod coturn;

use super::binary::Launch;
use super::harness::{Client, TestServer, configured, fast_config};
use backend::{Secret, TurnConfig};
use coturn::Coturn;
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// A server whose TURN is `urls` with `secret`, credentials good for `ttl`.
async fn server_with_turn(secret: &str, urls: Vec<String>, ttl: Duration) -> TestServer {
    let turn = TurnConfig::new(Secret::new(secret), urls, ttl).expect("valid TURN settings");
    TestServer::start_with(configured(fast_config(), |config| {
        config.admission.turn = Some(turn);
        config.connection.ping_interval = Duration::from_millis(100);
    }))
    .await
}

/// A delta client's welcome, once registered as `email`.
async fn welcome_of(server: &TestServer, email: &str) -> (Client, Value) {
    let mut client = Client::delta(server, "").await;
    client.add_user(email, "Turn Tester", None).await;
    let welcome = client.recv_type("welcome").await;
    (client, welcome)
}

fn turn_urls(coturn: &Coturn) -> Vec<String> {
    vec![format!("turn:127.0.0.1:{}?transport=udp", coturn.port)]
}

/// Credentials of `secret` for `coturn`'s URLs, issued at `at`.
fn issued(secret: &str, coturn: &Coturn, at: SystemTime) -> (String, String) {
    let ttl = Duration::from_secs(600);
    let turn = TurnConfig::new(Secret::new(secret), turn_urls(coturn), ttl).expect("valid");
    let server = turn.issue_at(at);
    (server.username, server.credential)
}

fn printed(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// An allocation refused for its credentials: the client gives up, and coturn says why.
fn assert_unauthorised(coturn: &Coturn, username: &str, password: &str) {
    let output = coturn.allocate(username, password, "8.8.8.8");
    assert!(!output.status.success(), "allocated: {}", printed(&output));
    assert!(
        printed(&output).contains("Cannot complete Allocation"),
        "{}",
        printed(&output)
    );
    let refusal = format!("check_stun_auth: Cannot find credentials of user <{username}>");
    assert!(coturn.log().contains(&refusal), "{}", coturn.log());
}

#[tokio::test]
async fn welcome_credentials_allocate_on_coturn_and_expired_or_forged_ones_are_refused() {
    let Some(coturn) = Coturn::start() else {
        return;
    };
    let ttl = Duration::from_secs(600);
    let server = server_with_turn(&coturn.secret, turn_urls(&coturn), ttl).await;
    let (_client, welcome) = welcome_of(&server, "turn@example.com").await;
    let entry = &welcome["iceServers"][0];
    assert_eq!(entry["urls"], serde_json::json!(turn_urls(&coturn)));
    let username = entry["username"].as_str().expect("username");
    let password = entry["credential"].as_str().expect("credential");
    assert!(
        !username.contains("turn@example.com"),
        "no email in {username}"
    );
    let output = coturn.allocate(username, password, "8.8.8.8");
    assert!(output.status.success(), "refused: {}", printed(&output));

    let past = SystemTime::now() - ttl - Duration::from_secs(60);
    let (expired, password) = issued(&coturn.secret, &coturn, past);
    assert_unauthorised(&coturn, &expired, &password);
    let (forged, password) = issued("another-deployment's-secret", &coturn, SystemTime::now());
    assert_unauthorised(&coturn, &forged, &password);
}

#[tokio::test]
async fn the_relay_refuses_loopback_private_and_link_local_peers() {
    let Some(coturn) = Coturn::start() else {
        return;
    };
    for peer in [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.1.1",
        "172.16.0.1",
        "169.254.169.254",
    ] {
        let (username, password) = issued(&coturn.secret, &coturn, SystemTime::now());
        let output = coturn.allocate(&username, &password, peer);
        assert!(!output.status.success(), "relayed to {peer}");
        assert!(
            printed(&output).contains("403 (Forbidden IP)"),
            "{peer}: {}",
            printed(&output)
        );
    }
    // The same client and credentials get a permission for a public peer.
    let (username, password) = issued(&coturn.secret, &coturn, SystemTime::now());
    let output = coturn.allocate(&username, &password, "8.8.8.8");
    assert!(output.status.success(), "{}", printed(&output));
}

#[tokio::test]
async fn without_turn_a_welcome_has_no_ice_servers() {
    let server = TestServer::start().await;
    let (_client, welcome) = welcome_of(&server, "plain@example.com").await;
    assert!(welcome.get("iceServers").is_none(), "{welcome}");
    assert!(welcome.get("token").is_some(), "{welcome}");
}

#[tokio::test]
async fn credentials_are_renewed_before_they_expire() {
    let urls = vec!["turn:turn.example.com:3478?transport=udp".to_owned()];
    let server = server_with_turn("renewal-secret", urls, Duration::from_secs(4)).await;
    let (mut client, welcome) = welcome_of(&server, "renew@example.com").await;
    let first = welcome["iceServers"][0]["username"]
        .as_str()
        .expect("username");
    let expiry = |username: &str| -> u64 {
        let (expiry, _) = username.split_once(':').expect("expiry:id");
        expiry.parse().expect("seconds")
    };
    let renewal = client.recv_type("ice-servers").await;
    let renewed = renewal["iceServers"][0]["username"]
        .as_str()
        .expect("username");
    assert_ne!(renewed, first);
    assert!(expiry(renewed) >= expiry(first), "{renewed} after {first}");
    let unix_now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH);
    let unix_now = unix_now.expect("after 1970").as_secs();
    assert!(
        unix_now <= expiry(first),
        "renewed only after the first expired"
    );
    // And again: each renewal sets the next.
    let again = client.recv_type("ice-servers").await;
    assert_ne!(
        again["iceServers"][0]["username"],
        renewal["iceServers"][0]["username"]
    );
}

#[tokio::test]
async fn the_binary_reads_the_secret_file_never_logs_it_and_refuses_half_a_setup() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let secret = "file-secret-never-logged";
    let file = folder.path().join("turn.key");
    std::fs::write(&file, format!("{secret}\n")).expect("secret written");
    let url = "turn:turn.example.com:3478?transport=udp";
    let mut backend = Launch::new()
        .database(&folder.path().join("users.sqlite3"))
        .arg("--turn-secret-file")
        .arg(&file)
        .args(["--turn-urls", url])
        .start()
        .await;
    let mut client = Client::connect(&backend.url, Some(shared::DELTA_SUBPROTOCOL)).await;
    client.add_user("binary@example.com", "Binary", None).await;
    let welcome = client.recv_type("welcome").await;
    assert_eq!(welcome["iceServers"][0]["urls"][0], url);
    // Logged at start, before it listened.
    let lines = backend.log_lines();
    let started = lines.iter().find(|l| l.contains("TURN:"));
    assert!(
        started.is_some_and(|l| l.contains("turn.example.com")),
        "{lines:?}"
    );
    assert!(
        backend
            .log_lines()
            .iter()
            .all(|line| !line.contains(secret)),
        "the secret was logged"
    );

    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_backend"))
        .args(["--listen", "127.0.0.1:0", "--turn-urls", url])
        .arg("--database")
        .arg(folder.path().join("other.sqlite3"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the backend runs");
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("cannot set up TURN"), "{said}");
    assert!(said.contains("--turn-secret-file"), "{said}");
}
