//! Bad input: every malformed or invalid frame earns an error frame with its code, the
//! connection goes on, and nothing is broadcast or stored.

use super::harness::{Client, TestServer, observers, profile};
use backend::store::{SqliteStore, UserStore};
use serde_json::Value;
use std::collections::BTreeSet;

/// Frames refused before registration, as (code, field or "", frame). `LONG_EMAIL` and
/// `LONG_NAME` stand for values one character over their limit.
#[rustfmt::skip]
const UNREGISTERED: &[(&str, &str, &str)] = &[
    ("invalid-json", "", r#"{"type":"add-user","#),
    ("invalid-json", "", "not json"),
    ("invalid-json", "", r#"["add-user",{"email":"arr@example.com","name":"Arr"}]"#),
    ("invalid-json", "", r#"["chat","hi"]"#),
    ("invalid-json", "", "42"),
    ("invalid-json", "", "null"),
    ("missing-type", "", r#"{"email":"notype@example.com","name":"No type"}"#),
    ("missing-type", "", r#"{"type":42,"email":"numtype@example.com","name":"N"}"#),
    ("unknown-type", "", r#"{"type":"users-list"}"#),
    ("unknown-type", "", r#"{"type":"update-users","users":[{"email":"fake@example.com","name":"F"}]}"#),
    ("invalid-field", "name", r#"{"type":"add-user","email":"noname@example.com"}"#),
    ("invalid-field", "email", r#"{"type":"add-user","name":"No email"}"#),
    ("invalid-field", "latitude", r#"{"type":"add-user","email":"lat-abc@example.com","name":"L","latitude":"abc","longitude":2}"#),
    ("invalid-field", "name", r#"{"type":"add-user","email":"name-num@example.com","name":5}"#),
    ("invalid-field", "email", r#"{"type":"add-user","email":["list@example.com"],"name":"L"}"#),
    ("invalid-field", "isConnected", r#"{"type":"add-user","email":"flag@example.com","name":"F","isConnected":"yes"}"#),
    ("invalid-field", "latitude", r#"{"type":"add-user","email":"lat91@example.com","name":"L","latitude":91,"longitude":0}"#),
    ("invalid-field", "latitude", r#"{"type":"add-user","email":"latneg@example.com","name":"L","latitude":-90.01,"longitude":0}"#),
    ("invalid-field", "longitude", r#"{"type":"add-user","email":"lon181@example.com","name":"L","latitude":0,"longitude":-181}"#),
    ("invalid-field", "longitude", r#"{"type":"add-user","email":"halfpos@example.com","name":"H","latitude":10}"#),
    ("invalid-field", "name", r#"{"type":"add-user","email":"empty-name@example.com","name":""}"#),
    ("invalid-field", "name", r#"{"type":"add-user","email":"blank-name@example.com","name":"   "}"#),
    ("invalid-field", "name", r#"{"type":"add-user","email":"long-name@example.com","name":"LONG_NAME"}"#),
    ("invalid-field", "name", r#"{"type":"add-user","email":"bell@example.com","name":"Bell\u0007"}"#),
    ("invalid-field", "name", r#"{"type":"add-user","email":"newline@example.com","name":"Two\nLines"}"#),
    ("invalid-field", "email", r#"{"type":"add-user","email":"LONG_EMAIL","name":"Long"}"#),
    ("invalid-field", "email", r#"{"type":"add-user","email":"alice","name":"A"}"#),
    ("invalid-field", "email", r#"{"type":"add-user","email":"a@b@example.com","name":"A"}"#),
    ("invalid-field", "email", r#"{"type":"add-user","email":"a b@example.com","name":"A"}"#),
    ("invalid-field", "email", r#"{"type":"add-user","email":"@example.com","name":"A"}"#),
    ("invalid-field", "email", r#"{"type":"add-user","email":"","name":"A"}"#),
    ("invalid-field", "room", r#"{"type":"add-user","email":"room@example.com","name":"R","room":"a b"}"#),
    ("invalid-field", "room", r#"{"type":"add-user","email":"roomnum@example.com","name":"R","room":7}"#),
    ("invalid-field", "to", r#"{"type":"chat","text":"hi","to":5}"#),
    ("invalid-field", "to", r#"{"type":"offer","to":"not-an-email"}"#),
    ("missing-target", "", r#"{"type":"hang-up"}"#),
];

/// Frames refused from the registered user x@example.com; `LONG_TEXT` is one character
/// over the chat limit.
#[rustfmt::skip]
const REGISTERED: &[(&str, &str, &str)] = &[
    ("invalid-field", "latitude", r#"{"type":"update-user","email":"x@example.com","name":"X","latitude":91,"longitude":0}"#),
    ("invalid-field", "name", r#"{"type":"update-user","email":"x@example.com","name":"","latitude":1,"longitude":1}"#),
    ("invalid-field", "text", r#"{"type":"chat","text":""}"#),
    ("invalid-field", "text", r#"{"type":"chat","text":" \n\t "}"#),
    ("invalid-field", "text", r#"{"type":"chat","text":"LONG_TEXT"}"#),
    ("invalid-field", "text", r#"{"type":"chat","text":"nul \u0000 inside"}"#),
    ("invalid-field", "text", r#"{"type":"chat","text":"escape \u001b[31m red"}"#),
    ("invalid-field", "text", r#"{"type":"chat","text":5}"#),
    ("invalid-field", "text", r#"{"type":"chat"}"#),
    ("invalid-field", "to", r#"{"type":"chat","text":"to nobody valid","to":"bob"}"#),
];

/// Sends each frame and checks the error it earns.
async fn refuse_all(client: &mut Client, cases: &[(&str, &str, &str)]) {
    let long_email = format!("{}@example.com", "a".repeat(shared::EMAIL_MAX_CHARS - 11));
    let long_name = "n".repeat(shared::NAME_MAX_CHARS + 1);
    let long_text = "x".repeat(shared::CHAT_TEXT_MAX_CHARS + 1);
    assert_eq!(long_email.chars().count(), shared::EMAIL_MAX_CHARS + 1);
    for &(code, field, frame) in cases {
        let text = frame
            .replace("LONG_EMAIL", &long_email)
            .replace("LONG_NAME", &long_name)
            .replace("LONG_TEXT", &long_text);
        client.send_text(&text).await;
        let error = client.recv_type("error").await;
        check_error(&error, code, (!field.is_empty()).then_some(field), frame);
    }
}

fn check_error(error: &Value, code: &str, field: Option<&str>, case: &str) {
    assert_eq!(error["code"], code, "for {case}: {error}");
    assert_eq!(error["field"].as_str(), field, "for {case}: {error}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "for {case}: {error}"
    );
}

/// Every email any presence frame or chat ever showed this client.
fn emails_seen(client: &Client) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for frame in &client.received {
        for key in ["users", "joined"] {
            for user in frame[key].as_array().into_iter().flatten() {
                seen.insert(user["email"].as_str().unwrap_or_default().to_owned());
            }
        }
        seen.extend(super::frames::delta_emails(frame, "moved"));
        if let Some(you) = frame["you"]["email"].as_str() {
            seen.insert(you.to_owned());
        }
        if let Some(from) = frame["from"].as_str() {
            seen.insert(from.to_owned());
        }
    }
    seen
}

#[tokio::test]
async fn bad_frames_get_their_error_code_and_change_nothing() {
    let mut server = TestServer::start().await;
    let (mut legacy, mut delta) = observers(&server).await;

    let mut x = Client::legacy(&server, "").await;
    refuse_all(&mut x, UNREGISTERED).await;
    x.send_binary(br#"{"type":"add-user","email":"bin@example.com","name":"Bin"}"#)
        .await;
    check_error(
        &x.recv_type("error").await,
        "binary-not-supported",
        None,
        "binary frame",
    );

    // Still open: a valid add-user works, and is the first change the observers see.
    x.add_user("x@example.com", "X", Some((3.0, 4.0))).await;
    legacy.await_shown("x@example.com").await;
    delta.await_shown("x@example.com").await;
    let expected: BTreeSet<String> = ["delta@example.com", "legacy@example.com", "x@example.com"]
        .map(str::to_owned)
        .into();
    assert_eq!(emails_seen(&legacy), expected);
    assert_eq!(emails_seen(&delta), expected);
    assert_eq!(legacy.view()["x@example.com"]["name"], "X");

    refuse_all(&mut x, REGISTERED).await;
    x.send_binary(b"\x00\x01").await;
    check_error(
        &x.recv_type("error").await,
        "binary-not-supported",
        None,
        "binary frame",
    );
    x.chat("the only chat").await;
    x.send_json(profile(
        "update-user",
        "x@example.com",
        "X",
        Some((7.0, 8.0)),
    ))
    .await;
    delta
        .recv_until(|f| f["type"] == "chat" && f["text"] == "the only chat")
        .await;
    legacy
        .recv_until(|f| f["type"] == "update-users" && f["users"][2]["latitude"] == 7.0)
        .await;
    delta
        .recv_until(|f| super::frames::delta_has(f, "moved", "x@example.com"))
        .await;
    for observer in [&legacy, &delta] {
        let chats: Vec<&Value> = observer
            .received_of("chat")
            .into_iter()
            .filter(|f| f["from"] == "x@example.com")
            .collect();
        assert_eq!(chats.len(), 1, "refused chats were delivered: {chats:?}");
        let names: BTreeSet<String> = observer
            .received
            .iter()
            .flat_map(|f| {
                let users = f["users"]
                    .as_array()
                    .into_iter()
                    .chain(f["joined"].as_array())
                    .flatten();
                users
                    .filter(|u| u["email"] == "x@example.com")
                    .map(|u| u["name"].to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(
            names,
            BTreeSet::from(["\"X\"".to_owned()]),
            "x was renamed by a refused frame"
        );
        for frame in &observer.received {
            let listed = frame["users"].as_array().into_iter().flatten();
            let listed = listed
                .filter(|user| user["email"] == "x@example.com")
                .map(|user| (user["latitude"].as_f64(), user["longitude"].as_f64()));
            let moved = super::frames::moves(frame).into_iter();
            let moved = moved
                .filter(|(email, _, _)| email == "x@example.com")
                .map(|(_, latitude, longitude)| (Some(latitude), Some(longitude)));
            for position in listed.chain(moved) {
                assert!(
                    [(Some(3.0), Some(4.0)), (Some(7.0), Some(8.0))].contains(&position),
                    "{frame}"
                );
            }
        }
    }

    drop((legacy, delta, x));
    server.stop().await;
    let store = SqliteStore::open(&server.database).expect("open the stopped server's file");
    let stored: Vec<String> = store
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(
        stored,
        ["delta@example.com", "legacy@example.com", "x@example.com"]
    );
    for email in [
        "bad@example.com",
        "lat91@example.com",
        "lon181@example.com",
        "long-name@example.com",
        "bin@example.com",
    ] {
        assert_eq!(
            store.get(email).await.expect("get"),
            None,
            "{email} was stored"
        );
    }
    let x = store
        .get("x@example.com")
        .await
        .expect("get")
        .expect("x stored");
    assert_eq!(
        (x.name.as_str(), x.latitude, x.longitude),
        ("X", Some(7.0), Some(8.0))
    );
}

#[tokio::test]
async fn out_of_range_number_is_an_invalid_field_not_invalid_json() {
    let server = TestServer::start().await;
    let mut client = Client::legacy(&server, "").await;
    client
        .send_text(r#"{"type":"add-user","email":"huge@example.com","name":"Huge","latitude":1e400,"longitude":0}"#)
        .await;
    check_error(
        &client.recv_type("error").await,
        "invalid-field",
        Some("latitude"),
        "latitude 1e400",
    );
    client
        .send_text(r#"{"type":"add-user","email":"huge@example.com","name":"Huge","latitude":0,"longitude":-1e400}"#)
        .await;
    check_error(
        &client.recv_type("error").await,
        "invalid-field",
        Some("longitude"),
        "longitude -1e400",
    );
    client
        .add_user("huge@example.com", "Huge", Some((0.0, 0.0)))
        .await;
    client.await_online(&["huge@example.com"]).await;
}
