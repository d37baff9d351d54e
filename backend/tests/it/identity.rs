//! Identity: the first `add-user` binds a connection to its email for good, and emails are
//! compared in normal form (trimmed, lower-case).

use super::harness::{Client, TestServer, delta_has, profile};
use serde_json::json;

#[tokio::test]
async fn add_user_with_another_email_is_refused_and_the_user_stays_online() {
    let server = TestServer::start().await;
    let mut observer = Client::delta(&server, "").await;
    observer
        .add_user("observer@example.com", "Observer", None)
        .await;
    let mut alice = Client::legacy(&server, "").await;
    alice
        .add_user("alice@example.com", "Alice", Some((1.0, 2.0)))
        .await;
    observer
        .await_online(&["alice@example.com", "observer@example.com"])
        .await;

    for kind in ["add-user", "update-user"] {
        let error = alice
            .refused(profile(
                kind,
                "mallory@example.com",
                "Mallory",
                Some((3.0, 4.0)),
            ))
            .await;
        assert_eq!(error["code"], "email-mismatch", "{kind}: {error}");
    }
    // Chat still goes out as alice.
    alice.chat("who am i").await;
    let chat = observer.recv_type("chat").await;
    assert_eq!(
        (&chat["from"], &chat["name"]),
        (&json!("alice@example.com"), &json!("Alice"))
    );

    let mut marker = Client::legacy(&server, "").await;
    marker.add_user("marker@example.com", "Marker", None).await;
    observer.await_shown("marker@example.com").await;
    assert_eq!(
        observer.online(),
        [
            "alice@example.com",
            "marker@example.com",
            "observer@example.com"
        ]
    );
    let seen = &observer.view()["alice@example.com"];
    assert_eq!(
        (&seen["name"], &seen["latitude"]),
        (&json!("Alice"), &json!(1.0)),
        "alice unchanged"
    );
    assert!(
        !observer
            .received
            .iter()
            .any(|f| f.to_string().contains("mallory")),
        "mallory never appeared"
    );
    // The seed's ghost: a refused frame must not change who leaves when the tab closes.
    alice.close().await;
    let left = observer
        .recv_until(|f| delta_has(f, "left", "alice@example.com"))
        .await;
    assert_eq!(left["left"], json!(["alice@example.com"]), "{left}");
}

#[tokio::test]
async fn emails_are_normalised_and_every_spelling_reaches_the_same_user() {
    let server = TestServer::start().await;
    let mut observer = Client::legacy(&server, "").await;
    observer
        .add_user("observer@example.com", "Observer", None)
        .await;
    let mut tab1 = Client::delta(&server, "").await;
    tab1.add_user("  Alice@Example.COM ", "Alice", None).await;
    let welcome = tab1.recv_type("welcome").await;
    assert_eq!(welcome["you"]["email"], "alice@example.com");
    let mut tab2 = Client::legacy(&server, "").await;
    tab2.add_user("ALICE@example.com", "Alice", None).await;
    observer
        .await_online(&["alice@example.com", "observer@example.com"])
        .await;

    // The same connection may spell its email differently later.
    tab1.send_json(profile(
        "update-user",
        "alice@EXAMPLE.com",
        "Alice",
        Some((5.0, 6.0)),
    ))
    .await;
    observer
        .recv_until(|f| f["type"] == "update-users" && f["users"][0]["latitude"] == 5.0)
        .await;
    assert!(
        tab1.received_of("error").is_empty(),
        "{:?}",
        tab1.received_of("error")
    );

    observer.chat_to("aLiCe@EXAMPLE.com", "one user").await;
    for tab in [&mut tab1, &mut tab2] {
        let chat = tab.recv_type("chat").await;
        assert_eq!(
            (&chat["text"], &chat["to"]),
            (&json!("one user"), &json!("alice@example.com"))
        );
    }
    tab1.send_json(json!({"type": "offer", "to": " OBSERVER@example.com", "sdp": "v=0"}))
        .await;
    assert_eq!(
        observer.recv_type("offer").await["from"],
        "alice@example.com"
    );
    observer.barrier("observer barrier").await;
    assert_eq!(
        observer.online(),
        ["alice@example.com", "observer@example.com"],
        "one alice"
    );
    assert!(
        !observer
            .received
            .iter()
            .any(|f| f.to_string().contains("Alice@")),
        "only the normal form is shown"
    );
}
