//! `ServerMessage::relayed`: the sender stamped in `from`, the target normalised, the
//! payload passed on untouched, and nothing relayed that is not signaling.

use crate::fixtures::json as fixture;
use crate::frames;
use crate::{decoded, object};
use serde_json::{Value, json};
use shared::{ClientMessage, ServerMessage};

const SIGNALING_TYPES: [&str; 11] = [
    "offer",
    "answer",
    "sdp-offer",
    "sdp-answer",
    "new-ice-candidate",
    "call-invite",
    "call-ringing",
    "call-accept",
    "call-decline",
    "call-busy",
    "hang-up",
];

/// A payload with every kind of JSON value, nested, for checking it survives the relay.
fn rich_payload() -> Value {
    json!({
        "offer": {"type": "offer", "sdp": frames::SDP},
        "candidate": {"candidate": "candidate:1 1 UDP 1 10.0.0.1 9 typ host", "sdpMLineIndex": 0, "sdpMid": null},
        "callId": "c-42",
        "video": false,
        "list": [1, -2.5, "trois", [], {}],
        "émoji": "👋",
    })
}

fn relay(message: ClientMessage) -> Option<ServerMessage> {
    ServerMessage::relayed(message, "alice@example.com")
}

#[test]
fn relayed_stamps_from_and_keeps_the_payload_for_every_signaling_type() {
    for kind in SIGNALING_TYPES {
        let mut frame = object(rich_payload());
        frame.insert("type".into(), kind.into());
        frame.insert("to".into(), "  Bob@Example.COM ".into());
        let text = Value::Object(frame).to_string();
        let message = relay(decoded(&text)).unwrap_or_else(|| panic!("{kind} not relayed"));
        let mut wire: Value = serde_json::from_str(&message.to_json()).unwrap();
        let wire = wire.as_object_mut().unwrap();
        assert_eq!(wire.remove("type"), Some(json!(kind)));
        assert_eq!(
            wire.remove("from"),
            Some(json!("alice@example.com")),
            "{kind}"
        );
        assert_eq!(wire.remove("to"), Some(json!("bob@example.com")), "{kind}");
        assert_eq!(
            Value::Object(wire.clone()),
            rich_payload(),
            "{kind} payload changed"
        );
    }
}

#[test]
fn relayed_message_has_the_same_type_as_the_client_message() {
    for kind in SIGNALING_TYPES {
        let text = format!(r#"{{"type":"{kind}","to":"bob@example.com"}}"#);
        let json = relay(decoded(&text)).unwrap().to_json();
        assert_eq!(
            json,
            format!(r#"{{"type":"{kind}","from":"alice@example.com","to":"bob@example.com"}}"#)
        );
    }
}

#[test]
fn relayed_seed_offer_goes_out_without_to() {
    let json = relay(decoded(fixture("seed-offer"))).unwrap().to_json();
    assert_eq!(json, fixture("offer-relayed"));
}

#[test]
fn relayed_seed_sdp_offer_carries_the_sdp_not_server_state() {
    let json = relay(decoded(fixture("seed-sdp-offer"))).unwrap().to_json();
    assert_eq!(json, fixture("sdp-offer-relayed-untargeted"));
}

#[test]
fn relayed_from_cannot_be_forged_by_the_payload() {
    let text =
        r#"{"type":"offer","to":"bob@example.com","from":"mallory@example.com","sdp":"v=0"}"#;
    let json = relay(decoded(text)).unwrap().to_json();
    assert_eq!(json, fixture("offer-relayed-from-stamped"));
    let read: ServerMessage = serde_json::from_str(&json).unwrap();
    assert!(matches!(read, ServerMessage::Offer(signal) if signal.from == "alice@example.com"));
}

#[test]
fn relayed_is_none_for_add_user_update_user_and_chat() {
    for text in [
        fixture("seed-add-user"),
        fixture("seed-update-user"),
        r#"{"type":"chat","text":"hello"}"#,
        r#"{"type":"chat","text":"hello","to":"bob@example.com"}"#,
    ] {
        assert_eq!(relay(decoded(text)), None, "{text}");
    }
}
