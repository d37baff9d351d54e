//! Valid client frames with the message each must decode to: one or more per variant, the
//! seed's recorded frames first. Shared by the decoding tests and the fuzz loop.

use crate::object;
use serde_json::json;
use shared::{ChatRequest, ClientMessage, Profile, SignOutRequest, Signal};

/// The seed's frames exactly as `legacy-protocol.md` records them.
pub const SEED_ADD_USER: &str = r#"{"type":"add-user","email":"alice@example.com","name":"Alice","latitude":48.85,"longitude":2.35,"isConnected":true}"#;
pub const SEED_UPDATE_USER: &str = r#"{"type":"update-user","email":"alice@example.com","name":"Alice","latitude":48.86,"longitude":2.36,"isConnected":true}"#;
pub const SEED_OFFER: &str = r#"{"type":"offer","sdp":"v=0...","email":"alice@example.com"}"#;
pub const SEED_SDP_OFFER: &str = r#"{"type":"sdp-offer","offer":{"type":"offer","sdp":"v=0..."}}"#;
pub const SEED_SDP_ANSWER: &str =
    r#"{"type":"sdp-answer","answer":{"type":"answer","sdp":"v=0..."}}"#;
pub const SEED_ICE_CANDIDATE: &str = r#"{"type":"new-ice-candidate","candidate":{"candidate":"candidate:1 1 UDP 2122260223 192.168.1.2 54321 typ host","sdpMid":"0","sdpMLineIndex":0}}"#;

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

/// Every variant at least once, as (frame, the message it decodes to).
pub fn valid_frames() -> Vec<(String, ClientMessage)> {
    let seed_alice = Profile {
        is_connected: Some(true),
        ..profile("alice@example.com", "Alice", Some((48.85, 2.35)))
    };
    let ice = json!({"candidate": {
        "candidate": "candidate:1 1 UDP 2122260223 192.168.1.2 54321 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }});
    let frames = [
        (SEED_ADD_USER, ClientMessage::AddUser(seed_alice.clone())),
        (
            SEED_UPDATE_USER,
            ClientMessage::UpdateUser(Profile {
                latitude: Some(48.86),
                longitude: Some(2.36),
                ..seed_alice
            }),
        ),
        (
            SEED_OFFER,
            ClientMessage::Offer(signal(
                None,
                json!({"sdp": "v=0...", "email": "alice@example.com"}),
            )),
        ),
        (
            SEED_SDP_OFFER,
            ClientMessage::SdpOffer(signal(
                None,
                json!({"offer": {"type": "offer", "sdp": "v=0..."}}),
            )),
        ),
        (
            SEED_SDP_ANSWER,
            ClientMessage::SdpAnswer(signal(
                None,
                json!({"answer": {"type": "answer", "sdp": "v=0..."}}),
            )),
        ),
        (
            SEED_ICE_CANDIDATE,
            ClientMessage::NewIceCandidate(signal(None, ice.clone())),
        ),
        (
            r#"{"type":"add-user","email":"  Bob@Example.COM ","name":"  Bob ","room":" Team-A "}"#,
            ClientMessage::AddUser(Profile {
                room: Some("team-a".into()),
                ..profile("bob@example.com", "Bob", None)
            }),
        ),
        (
            r#"{"type":"add-user","email":"bob@example.com","name":"Bob","accessCode":"open sesame","token":"v1.abc.def"}"#,
            ClientMessage::AddUser(Profile {
                access_code: Some("open sesame".into()),
                token: Some("v1.abc.def".into()),
                link_code: None,
                ..profile("bob@example.com", "Bob", None)
            }),
        ),
        (
            r#"{"type":"update-user","email":"bob@example.com","name":"Bob","latitude":null,"longitude":null}"#,
            ClientMessage::UpdateUser(profile("bob@example.com", "Bob", None)),
        ),
        (
            r#"{"type":"add-user","email":"zoé@exemple.fr","name":"Zoé 👋","latitude":-90,"longitude":180}"#,
            ClientMessage::AddUser(profile("zoé@exemple.fr", "Zoé 👋", Some((-90.0, 180.0)))),
        ),
        (
            r#"{"type":"chat","text":"salut tout le monde 👋"}"#,
            ClientMessage::Chat(ChatRequest {
                text: "salut tout le monde 👋".into(),
                to: None,
            }),
        ),
        (
            r#"{"type":"chat","text":"  line one\n\tline two  ","to":"Bob@Example.com"}"#,
            ClientMessage::Chat(ChatRequest {
                text: "  line one\n\tline two  ".into(),
                to: Some("bob@example.com".into()),
            }),
        ),
        (
            r#"{"type":"answer","to":"alice@example.com","sdp":"v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n","email":"bob@example.com"}"#,
            ClientMessage::Answer(signal(
                Some("alice@example.com"),
                json!({"sdp": SDP, "email": "bob@example.com"}),
            )),
        ),
        (
            r#"{"type":"new-ice-candidate","to":"bob@example.com","candidate":null}"#,
            ClientMessage::NewIceCandidate(signal(
                Some("bob@example.com"),
                json!({"candidate": null}),
            )),
        ),
        (
            r#"{"type":"call-invite","to":"bob@example.com","callId":"c-42","video":true}"#,
            ClientMessage::CallInvite(signal(
                Some("bob@example.com"),
                json!({"callId": "c-42", "video": true}),
            )),
        ),
        (
            r#"{"type":"call-ringing","to":"alice@example.com","callId":"c-42"}"#,
            ClientMessage::CallRinging(signal(
                Some("alice@example.com"),
                json!({"callId": "c-42"}),
            )),
        ),
        (
            r#"{"type":"call-accept","to":"alice@example.com","callId":"c-42"}"#,
            ClientMessage::CallAccept(signal(Some("alice@example.com"), json!({"callId": "c-42"}))),
        ),
        (
            r#"{"type":"call-decline","to":"alice@example.com","callId":"c-42","reason":"declined"}"#,
            ClientMessage::CallDecline(signal(
                Some("alice@example.com"),
                json!({"callId": "c-42", "reason": "declined"}),
            )),
        ),
        (
            r#"{"type":"call-busy","to":"alice@example.com"}"#,
            ClientMessage::CallBusy(signal(Some("alice@example.com"), json!({}))),
        ),
        (
            r#"{"type":"hang-up","to":"bob@example.com","callId":"c-42"}"#,
            ClientMessage::HangUp(signal(Some("bob@example.com"), json!({"callId": "c-42"}))),
        ),
        (
            r#"{"type":"add-user","email":"alice@example.com","name":"Alice","linkCode":"K7QF-9MZT"}"#,
            ClientMessage::AddUser(Profile {
                link_code: Some("K7QF-9MZT".into()),
                ..profile("alice@example.com", "Alice", None)
            }),
        ),
        (r#"{"type":"link-device"}"#, ClientMessage::LinkDevice),
        (
            r#"{"type":"sign-out"}"#,
            ClientMessage::SignOut(SignOutRequest::default()),
        ),
        (
            r#"{"type":"sign-out","others":true}"#,
            ClientMessage::SignOut(SignOutRequest { others: true }),
        ),
    ];
    frames
        .into_iter()
        .map(|(text, message)| (text.to_owned(), message))
        .collect()
}
