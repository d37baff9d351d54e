//! Who may register as whom: the deployment's access code, and the session token a second
//! connection needs to claim an email that is online.

use super::harness::{Client, TestServer, configured, delta_has, fast_config, left_count, profile};
use backend::store::{SqliteStore, UserStore};
use backend::{Args, Secret, ServerConfig, SessionKey};
use clap::Parser;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const ALICE: &str = "alice@example.com";
const CODE: &str = "open sesame";

/// The defaults that matter here (tokens required), with fast presence ticks.
fn config() -> ServerConfig {
    configured(fast_config(), |config| {
        config.admission.allow_shared_emails = false;
    })
}

fn config_with_code() -> ServerConfig {
    configured(config(), |config| {
        config.admission.access_code = Some(Secret::new(CODE));
    })
}

/// An `add-user` with the given access code and token.
fn add_user(email: &str, code: Option<&str>, token: Option<&str>) -> Value {
    let mut frame = profile("add-user", email, "Someone", None);
    if let Some(code) = code {
        frame["accessCode"] = json!(code);
    }
    if let Some(token) = token {
        frame["token"] = json!(token);
    }
    frame
}

/// A delta client registered as `email`; returns it and the token of its welcome.
async fn registered(server: &TestServer, email: &str, code: Option<&str>) -> (Client, String) {
    let mut client = Client::delta(server, "").await;
    client.email = email.to_owned();
    client.send_json(add_user(email, code, None)).await;
    let welcome = client.recv_type("welcome").await;
    let token = welcome["token"].as_str().expect("a token").to_owned();
    (client, token)
}

/// How many times `email` is in the latest snapshot and deltas of `client`, at most one.
fn shown_once(client: &Client, email: &str) -> bool {
    client.online().iter().filter(|e| *e == email).count() == 1
}

#[tokio::test]
async fn a_wrong_or_missing_access_code_is_refused_with_no_presence_and_nothing_stored() {
    let mut server = TestServer::start_with(config_with_code()).await;
    let (mut observer, _) = registered(&server, "observer@example.com", Some(CODE)).await;

    let mut mallory = Client::delta(&server, "").await;
    for code in [Some("open sesam"), Some(""), None, Some("OPEN SESAME")] {
        let refusal = mallory
            .refused(add_user("mallory@example.com", code, None))
            .await;
        assert_eq!(refusal["code"], "access-denied", "{code:?}: {refusal}");
    }
    // A seed client is held to the same rule.
    let mut seed = Client::legacy(&server, "").await;
    let refusal = seed.refused(add_user("seed@example.com", None, None)).await;
    assert_eq!(refusal["code"], "access-denied");
    // Not registered: the refused connection cannot chat either.
    let refusal = mallory.refused(json!({"type": "chat", "text": "hi"})).await;
    assert_eq!(refusal["code"], "not-registered");

    // A user who joins after the refusals: once the observer sees them, it would have
    // seen mallory too.
    let (_marker, _) = registered(&server, "marker@example.com", Some(CODE)).await;
    observer.await_shown("marker@example.com").await;
    assert_eq!(
        observer.online(),
        ["marker@example.com", "observer@example.com"]
    );
    assert!(
        !observer
            .received
            .iter()
            .any(|f| delta_has(f, "joined", "mallory@example.com")
                || delta_has(f, "joined", "seed@example.com")),
        "a refused user was shown"
    );

    server.stop().await;
    let store = SqliteStore::open(&server.database).expect("open the file");
    for email in ["mallory@example.com", "seed@example.com"] {
        assert!(
            store.get(email).await.expect("get").is_none(),
            "{email} stored"
        );
    }
    assert!(
        store
            .get("marker@example.com")
            .await
            .expect("get")
            .is_some()
    );
}

#[tokio::test]
async fn the_right_access_code_is_accepted_and_its_token_stands_for_it_later() {
    let server = TestServer::start_with(config_with_code()).await;
    let (alice, token) = registered(&server, ALICE, Some(CODE)).await;
    alice.close().await;
    // Alice comes back without the code (the browser keeps only the token).
    let mut again = Client::delta(&server, "").await;
    again.send_json(add_user(ALICE, None, Some(&token))).await;
    let welcome = again.recv_type("welcome").await;
    assert_eq!(welcome["you"]["email"], ALICE);
    assert_ne!(
        welcome["token"],
        Value::Null,
        "a fresh token with each welcome"
    );
}

#[tokio::test]
async fn a_second_connection_for_an_online_email_needs_its_token() {
    let server = TestServer::start_with(config()).await;
    let (mut observer, _) = registered(&server, "observer@example.com", None).await;
    let (_alice, token) = registered(&server, ALICE, None).await;
    let (_bob, bob_token) = registered(&server, "bob@example.com", None).await;
    observer.await_shown("bob@example.com").await;

    let mut thief = Client::delta(&server, "").await;
    let refusal = thief.refused(add_user(ALICE, None, None)).await;
    assert_eq!(refusal["code"], "email-claimed", "{refusal}");
    // Every spelling of the email is the same user.
    let refusal = thief
        .refused(add_user("  ALICE@example.com ", None, None))
        .await;
    assert_eq!(refusal["code"], "email-claimed", "{refusal}");

    let (head, mac) = token.rsplit_once('.').expect("a signed token");
    let mut flipped = mac.to_owned();
    let last = if flipped.ends_with('A') { "B" } else { "A" };
    flipped.replace_range(flipped.len() - 1.., last);
    let expired = SessionKey::random().issue(ALICE, "default", 1);
    for (what, bad) in [
        ("forged", format!("{head}.{flipped}")),
        ("another email's", bob_token.clone()),
        ("malformed", "not a token".to_owned()),
        ("another server's", expired),
    ] {
        let refusal = thief.refused(add_user(ALICE, None, Some(&bad))).await;
        assert_eq!(refusal["code"], "invalid-token", "{what}: {refusal}");
    }
    // A seed client gets no token, so it cannot open a second connection as alice.
    let mut seed = Client::legacy(&server, "").await;
    let refusal = seed.refused(add_user(ALICE, None, None)).await;
    assert_eq!(refusal["code"], "email-claimed");

    // Alice's own token: another tab of the same user.
    let mut tab = Client::delta(&server, "").await;
    tab.email = ALICE.to_owned();
    tab.send_json(add_user(ALICE, None, Some(&token))).await;
    let welcome = tab.recv_type("welcome").await;
    assert_eq!(welcome["you"]["email"], ALICE);
    let users: Vec<&Value> = welcome["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| u["email"] == ALICE)
        .collect();
    assert_eq!(users.len(), 1, "alice once in the welcome");
    let (_marker, _) = registered(&server, "marker@example.com", None).await;
    observer.await_shown("marker@example.com").await;
    assert!(shown_once(&observer, ALICE));
    assert_eq!(left_count(&observer.received, ALICE), 0);
}

#[tokio::test]
async fn a_token_works_in_every_room_of_its_email() {
    let server = TestServer::start_with(config()).await;
    let (_alice, token) = registered(&server, ALICE, None).await;
    let mut elsewhere = Client::delta(&server, "?room=elsewhere").await;
    elsewhere
        .send_json(add_user(ALICE, None, Some(&token)))
        .await;
    let welcome = elsewhere.recv_type("welcome").await;
    assert_eq!(welcome["room"], "elsewhere");
}

#[tokio::test]
async fn an_expired_token_is_refused_while_online_and_ignored_when_offline() {
    let key = SessionKey::random();
    let server = TestServer::start_with(configured(config(), |config| {
        config.admission.session_key = key.clone();
    }))
    .await;
    let expired = key.issue(ALICE, "default", 1);
    // Offline: the stale token is ignored and alice logs in.
    let mut alice = Client::delta(&server, "").await;
    alice.send_json(add_user(ALICE, None, Some(&expired))).await;
    alice.recv_type("welcome").await;
    // Online: it no longer proves anything.
    let mut second = Client::delta(&server, "").await;
    let refusal = second.refused(add_user(ALICE, None, Some(&expired))).await;
    assert_eq!(refusal["code"], "invalid-token");
    assert!(
        refusal["message"]
            .as_str()
            .unwrap_or("")
            .contains("expired"),
        "{refusal}"
    );
}

#[tokio::test]
async fn a_reconnect_with_the_token_takes_the_identity_back_while_the_old_socket_is_half_open() {
    let config = configured(config(), |config| {
        config.connection.ping_interval = Duration::from_millis(20);
        config.connection.idle_timeout = Duration::from_millis(1000);
    });
    let idle_timeout = config.connection.idle_timeout;
    let server = TestServer::start_with(config).await;
    let (mut observer, _) = registered(&server, "observer@example.com", None).await;
    let (alice, token) = registered(&server, ALICE, None).await;
    observer.await_shown(ALICE).await;

    // The network drops: the old socket is neither closed nor answering.
    let mut half_open = alice.into_silent();
    let started = tokio::time::Instant::now();
    let mut back = Client::delta(&server, "").await;
    back.email = ALICE.to_owned();
    back.send_json(add_user(ALICE, None, Some(&token))).await;
    let welcome = back.recv_type("welcome").await;
    assert!(
        started.elapsed() < idle_timeout,
        "identity back only after the old socket timed out"
    );
    assert_eq!(welcome["you"]["email"], ALICE);
    let alices = welcome["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| u["email"] == ALICE)
        .count();
    assert_eq!(alices, 1, "no duplicate alice");

    // The silent socket must stay unpolled (polling answers pings): wait out the idle
    // timeout while the others keep reading (answering pings), then find the server's
    // close frame behind its pings.
    let mut round = 0;
    while started.elapsed() < idle_timeout * 2 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        round += 1;
        observer.barrier(&format!("observer {round}")).await;
        back.barrier(&format!("alice {round}")).await;
    }
    let code = loop {
        match tokio::time::timeout(super::harness::PATIENCE, half_open.next())
            .await
            .expect("a close frame in time")
        {
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            other => panic!("the connection ended without a close frame: {other:?}"),
        }
    };
    assert_eq!(code, Some(1001), "the old socket timed out");

    // Everything the old socket's end changed has reached the observer by the time a
    // later user shows.
    let (_marker, _) = registered(&server, "marker@example.com", None).await;
    observer.await_shown("marker@example.com").await;
    assert_eq!(left_count(&observer.received, ALICE), 0, "alice never left");
    assert!(shown_once(&observer, ALICE));
    back.chat_to("observer@example.com", "still me").await;
    let chat = observer.recv_type("chat").await;
    assert_eq!(chat["from"], ALICE);
}

#[tokio::test]
async fn servers_on_one_database_accept_each_others_tokens() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let data = folder.path().join("data");
    let args = |database: &str| {
        Args::try_parse_from([
            "backend",
            "--database",
            data.join(database).to_str().expect("utf-8 path"),
        ])
        .expect("flags")
    };
    let (first_args, second_args) = (args("a.sqlite3"), args("b.sqlite3"));
    assert_eq!(first_args.data_dir(), data);
    let first_key = first_args.session_key().expect("a generated secret");
    let second_key = second_args.session_key().expect("the same secret, read");
    let first = TestServer::start_on(
        data.join("a.sqlite3"),
        configured(config(), |config| {
            config.admission.session_key = first_key;
        }),
    )
    .await;
    // The second server shares the first's file: its claims, and so its devices.
    let second = TestServer::start_on(
        data.join("a.sqlite3"),
        configured(config(), |config| {
            config.admission.session_key = second_key;
        }),
    )
    .await;
    let (_on_first, token) = registered(&first, ALICE, None).await;
    let mut tab = Client::delta(&second, "").await;
    tab.send_json(add_user(ALICE, None, Some(&token))).await;
    tab.recv_type("welcome").await;

    // A server with another secret does not take it.
    let third = TestServer::start_with(config()).await;
    let (_on_third, _) = registered(&third, ALICE, None).await;
    let mut stranger = Client::delta(&third, "").await;
    let refusal = stranger.refused(add_user(ALICE, None, Some(&token))).await;
    assert_eq!(refusal["code"], "invalid-token");
}

#[tokio::test]
async fn a_short_session_secret_is_a_startup_error() {
    let args = Args::try_parse_from(["backend", "--session-secret", "too short"]).expect("flags");
    let error = args.session_key().expect_err("refused");
    assert!(error.to_string().contains("at least 32"), "{error}");
    let long = "s".repeat(32);
    let args = Args::try_parse_from(["backend", "--session-secret", &long]).expect("flags");
    assert!(args.session_key().is_ok());
    assert!(
        !format!("{args:?}").contains(&long),
        "the secret is kept out of debug output"
    );
}
