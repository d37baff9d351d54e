//! Valid client frames (their texts from the fixtures file) with the message each must
//! decode to: one or more per variant, the seed's recorded frames first, the browser's own
//! frames last. Shared by the decoding tests and the fuzz loop.

use crate::fixtures::{self, Direction};
use crate::object;
use serde_json::json;
use shared::{ChatRequest, ClientMessage, Profile, SignOutRequest, Signal};

/// A realistic SDP start, with the CRLFs a browser puts in it.
pub const SDP: &str = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

pub fn profile(email: &str, name: &str, position: Option<(f64, f64)>) -> Profile {
    Profile {
        email: email.into(),
        name: name.into(),
        latitude: position.map(|(latitude, _)| latitude),
        longitude: position.map(|(_, longitude)| longitude),
        is_connected: None,
        in_call: None,
        room: None,
        access_code: None,
        token: None,
        link_code: None,
    }
}

pub fn signal(to: Option<&str>, payload: serde_json::Value) -> Signal {
    Signal {
        to: to.map(str::to_owned),
        payload: object(payload),
    }
}

/// Every variant at least once, as (frame, the message it decodes to): every accepted
/// client frame of the fixtures file, in its order.
pub fn valid_frames() -> Vec<(String, ClientMessage)> {
    let frames = expected_messages();
    let accepted: Vec<&str> = fixtures::all()
        .iter()
        .filter(|f| f.direction == Direction::Client && f.code.is_none())
        .map(|f| f.name.as_str())
        .collect();
    let named: Vec<&str> = frames.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        named, accepted,
        "an accepted client fixture without its message here"
    );
    frames
        .into_iter()
        .map(|(name, message)| (fixtures::json(name).to_owned(), message))
        .collect()
}

/// What each accepted client fixture decodes to, by the fixture's name.
fn expected_messages() -> Vec<(&'static str, ClientMessage)> {
    let seed_alice = Profile {
        is_connected: Some(true),
        ..profile("alice@example.com", "Alice", Some((48.85, 2.35)))
    };
    let ice = json!({"candidate": {
        "candidate": "candidate:1 1 UDP 2122260223 192.168.1.2 54321 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }});
    let mut frames = vec![
        ("seed-add-user", ClientMessage::AddUser(seed_alice.clone())),
        (
            "seed-update-user",
            ClientMessage::UpdateUser(Profile {
                latitude: Some(48.86),
                longitude: Some(2.36),
                ..seed_alice
            }),
        ),
        (
            "seed-offer",
            ClientMessage::Offer(signal(
                None,
                json!({"sdp": "v=0...", "email": "alice@example.com"}),
            )),
        ),
        (
            "seed-sdp-offer",
            ClientMessage::SdpOffer(signal(
                None,
                json!({"offer": {"type": "offer", "sdp": "v=0..."}}),
            )),
        ),
        (
            "seed-sdp-answer",
            ClientMessage::SdpAnswer(signal(
                None,
                json!({"answer": {"type": "answer", "sdp": "v=0..."}}),
            )),
        ),
        (
            "seed-ice-candidate",
            ClientMessage::NewIceCandidate(signal(None, ice)),
        ),
        (
            "add-user-untrimmed",
            ClientMessage::AddUser(Profile {
                room: Some("team-a".into()),
                ..profile("bob@example.com", "Bob", None)
            }),
        ),
        (
            "add-user-access-code-and-token",
            ClientMessage::AddUser(Profile {
                access_code: Some("open sesame".into()),
                token: Some("v1.abc.def".into()),
                link_code: None,
                ..profile("bob@example.com", "Bob", None)
            }),
        ),
        (
            "update-user-unplaced",
            ClientMessage::UpdateUser(profile("bob@example.com", "Bob", None)),
        ),
        (
            "add-user-international",
            ClientMessage::AddUser(profile("zoé@exemple.fr", "Zoé 👋", Some((-90.0, 180.0)))),
        ),
        ("chat-to-room", chat("salut tout le monde 👋", None)),
        (
            "chat-direct-untrimmed",
            chat("  line one\n\tline two  ", Some("bob@example.com")),
        ),
        (
            "answer-to",
            ClientMessage::Answer(signal(
                Some("alice@example.com"),
                json!({"sdp": SDP, "email": "bob@example.com"}),
            )),
        ),
        (
            "ice-candidate-end",
            ClientMessage::NewIceCandidate(signal(
                Some("bob@example.com"),
                json!({"candidate": null}),
            )),
        ),
        (
            "call-invite-video",
            ClientMessage::CallInvite(signal(
                Some("bob@example.com"),
                json!({"callId": "c-42", "video": true}),
            )),
        ),
        (
            "call-ringing",
            ClientMessage::CallRinging(signal(
                Some("alice@example.com"),
                json!({"callId": "c-42"}),
            )),
        ),
        (
            "call-accept",
            ClientMessage::CallAccept(signal(Some("alice@example.com"), json!({"callId": "c-42"}))),
        ),
        (
            "call-decline-reason",
            ClientMessage::CallDecline(signal(
                Some("alice@example.com"),
                json!({"callId": "c-42", "reason": "declined"}),
            )),
        ),
        (
            "call-busy-bare",
            ClientMessage::CallBusy(signal(Some("alice@example.com"), json!({}))),
        ),
        (
            "hang-up",
            ClientMessage::HangUp(signal(Some("bob@example.com"), json!({"callId": "c-42"}))),
        ),
        (
            "add-user-link-code",
            ClientMessage::AddUser(Profile {
                link_code: Some("K7QF-9MZT".into()),
                ..profile("alice@example.com", "Alice", None)
            }),
        ),
        ("link-device", ClientMessage::LinkDevice),
        (
            "sign-out",
            ClientMessage::SignOut(SignOutRequest::default()),
        ),
        ("ping", ClientMessage::Ping),
        (
            "sign-out-others",
            ClientMessage::SignOut(SignOutRequest { others: true }),
        ),
        (
            "add-user-unknown-field",
            ClientMessage::AddUser(profile("alice@example.com", "Alice", None)),
        ),
        (
            "update-user-in-call",
            ClientMessage::UpdateUser(Profile {
                in_call: Some(true),
                ..profile("alice@example.com", "Alice", None)
            }),
        ),
        (
            "chat-fields-in-any-order",
            chat("hi", Some("bob@example.com")),
        ),
        (
            "add-user-bare",
            ClientMessage::AddUser(profile("bob@example.com", "Bob", None)),
        ),
        (
            "call-invite-call-id-first",
            ClientMessage::CallInvite(signal(Some("bob@example.com"), json!({"callId": "c-1"}))),
        ),
    ];
    frames.extend(browser_messages());
    frames.extend(crate::chat::chat_messages());
    frames
}

/// What the browser's own frames (`browser-…` fixtures) decode to.
fn browser_messages() -> Vec<(&'static str, ClientMessage)> {
    let browser = |position, in_call| Profile {
        is_connected: Some(true),
        in_call: Some(in_call),
        ..profile("alice@example.com", "Alice", position)
    };
    let to = |email: &str, payload| signal(Some(email), payload);
    vec![
        (
            "browser-add-user",
            ClientMessage::AddUser(browser(None, false)),
        ),
        (
            "browser-add-user-placed-with-token",
            ClientMessage::AddUser(Profile {
                token: Some("v1.YWxpY2U.bWFj".into()),
                ..browser(Some((48.85, 2.35)), false)
            }),
        ),
        (
            "browser-add-user-with-codes",
            ClientMessage::AddUser(Profile {
                email: "bob@example.com".into(),
                name: "Bob".into(),
                access_code: Some("open sesame".into()),
                link_code: Some("K7QF-9MZT".into()),
                ..browser(None, false)
            }),
        ),
        (
            "browser-update-user-moved-in-call",
            ClientMessage::UpdateUser(browser(Some((48.86, 2.36)), true)),
        ),
        (
            "browser-chat-direct",
            chat("hi Bob", Some("bob@example.com")),
        ),
        (
            "browser-sdp-offer",
            ClientMessage::SdpOffer(to(
                "bob@example.com",
                json!({"callId": "c-42", "offer": {"type": "offer", "sdp": SDP}}),
            )),
        ),
        (
            "browser-sdp-answer",
            ClientMessage::SdpAnswer(to(
                "alice@example.com",
                json!({"callId": "c-42", "answer": {"type": "answer", "sdp": SDP}}),
            )),
        ),
        (
            "browser-ice-candidate",
            ClientMessage::NewIceCandidate(to(
                "bob@example.com",
                json!({"callId": "c-42", "candidate": {
                    "candidate": "candidate:1 1 UDP 2122260223 192.168.1.2 54321 typ host",
                    "sdpMid": "0",
                    "sdpMLineIndex": 0,
                    "usernameFragment": "f00d",
                }}),
            )),
        ),
        (
            "browser-call-invite",
            ClientMessage::CallInvite(to(
                "bob@example.com",
                json!({"callId": "c-42", "members": ["alice@example.com"], "media": {"audio": true, "video": true}}),
            )),
        ),
        (
            "browser-call-accept-group",
            ClientMessage::CallAccept(to(
                "alice@example.com",
                json!({"callId": "c-42", "members": ["bob@example.com", "alice@example.com", "carol@example.com"]}),
            )),
        ),
        (
            "browser-call-accept-resync",
            ClientMessage::CallAccept(to(
                "alice@example.com",
                json!({"callId": "c-42", "members": ["bob@example.com", "alice@example.com"], "resync": true}),
            )),
        ),
        (
            "browser-call-decline",
            ClientMessage::CallDecline(to("alice@example.com", json!({"callId": "c-42"}))),
        ),
        (
            "browser-call-busy",
            ClientMessage::CallBusy(to("alice@example.com", json!({"callId": "c-42"}))),
        ),
    ]
}

fn chat(text: &str, to: Option<&str>) -> ClientMessage {
    ClientMessage::Chat(ChatRequest {
        text: text.into(),
        to: to.map(str::to_owned),
        client_id: None,
    })
}
