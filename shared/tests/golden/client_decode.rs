//! Decoding every client message from literal JSON, the seed's recorded frames included,
//! and serialising each back.

use crate::decoded;
use crate::frames::{self, profile, signal, valid_frames};
use serde_json::json;
use shared::{ClientMessage, Profile};
use std::collections::BTreeSet;

#[test]
fn every_client_variant_decodes_from_literal_json() {
    for (text, expected) in valid_frames() {
        assert_eq!(decoded(&text), expected, "{text}");
    }
}

#[test]
fn the_fixtures_cover_every_client_type() {
    let covered: BTreeSet<&str> = valid_frames()
        .iter()
        .map(|(_, message)| message.type_name())
        .collect();
    let all: BTreeSet<&str> = ClientMessage::TYPE_NAMES.into_iter().collect();
    assert_eq!(covered, all);
    assert_eq!(
        all.len(),
        ClientMessage::TYPE_NAMES.len(),
        "TYPE_NAMES has a duplicate"
    );
}

#[test]
fn type_name_is_the_wire_tag() {
    for (text, message) in valid_frames() {
        let wire = serde_json::to_value(&message).unwrap();
        assert_eq!(wire["type"], message.type_name(), "{text}");
        assert!(
            text.contains(&format!(r#""type":"{}""#, message.type_name())),
            "{text}"
        );
    }
}

#[test]
fn seed_add_user_decodes_with_is_connected_kept() {
    let expected = Profile {
        is_connected: Some(true),
        ..profile("alice@example.com", "Alice", Some((48.85, 2.35)))
    };
    assert_eq!(
        decoded(frames::SEED_ADD_USER),
        ClientMessage::AddUser(expected)
    );
}

#[test]
fn seed_update_user_decodes_to_the_moved_position() {
    let ClientMessage::UpdateUser(profile) = decoded(frames::SEED_UPDATE_USER) else {
        panic!("not an update-user");
    };
    assert_eq!(
        (profile.latitude, profile.longitude),
        (Some(48.86), Some(2.36))
    );
    assert_eq!(profile.email, "alice@example.com");
}

#[test]
fn seed_offer_decodes_as_untargeted_signal_with_sdp_and_email() {
    let expected = signal(None, json!({"sdp": "v=0...", "email": "alice@example.com"}));
    assert_eq!(decoded(frames::SEED_OFFER), ClientMessage::Offer(expected));
}

#[test]
fn seed_sdp_offer_and_answer_keep_the_nested_description() {
    let ClientMessage::SdpOffer(offer) = decoded(frames::SEED_SDP_OFFER) else {
        panic!("not an sdp-offer");
    };
    assert_eq!(
        offer.payload["offer"],
        json!({"type": "offer", "sdp": "v=0..."})
    );
    let ClientMessage::SdpAnswer(answer) = decoded(frames::SEED_SDP_ANSWER) else {
        panic!("not an sdp-answer");
    };
    assert_eq!(
        answer.payload["answer"],
        json!({"type": "answer", "sdp": "v=0..."})
    );
    assert_eq!((offer.to, answer.to), (None, None));
}

#[test]
fn seed_ice_candidate_keeps_candidate_mid_and_line_index() {
    let ClientMessage::NewIceCandidate(candidate) = decoded(frames::SEED_ICE_CANDIDATE) else {
        panic!("not a new-ice-candidate");
    };
    let inner = &candidate.payload["candidate"];
    assert_eq!(
        inner["candidate"],
        "candidate:1 1 UDP 2122260223 192.168.1.2 54321 typ host"
    );
    assert_eq!(inner["sdpMid"], "0");
    assert!(
        inner["sdpMLineIndex"].is_u64(),
        "the line index stays an integer: {inner}"
    );
}

#[test]
fn unknown_profile_fields_are_ignored_for_old_clients() {
    let text = r#"{"type":"add-user","email":"alice@example.com","name":"Alice","avatar":"x.png"}"#;
    assert_eq!(
        decoded(text),
        ClientMessage::AddUser(profile("alice@example.com", "Alice", None))
    );
}

#[test]
fn every_client_message_round_trips_through_its_json() {
    for (text, message) in valid_frames() {
        let again = serde_json::to_string(&message).unwrap();
        assert_eq!(decoded(&again), message, "{text} -> {again}");
    }
}

#[test]
fn decoded_seed_profile_serialises_back_to_the_seed_text() {
    for seed in [frames::SEED_ADD_USER, frames::SEED_UPDATE_USER] {
        assert_eq!(serde_json::to_string(&decoded(seed)).unwrap(), seed);
    }
}

#[test]
fn client_messages_serialise_in_a_fixed_shape() {
    let chat = decoded(r#"{"text":"hi","to":"Bob@example.com","type":"chat"}"#);
    assert_eq!(
        serde_json::to_string(&chat).unwrap(),
        r#"{"type":"chat","text":"hi","to":"bob@example.com"}"#
    );
    let unplaced = decoded(r#"{"type":"add-user","email":"bob@example.com","name":"Bob"}"#);
    assert_eq!(
        serde_json::to_string(&unplaced).unwrap(),
        r#"{"type":"add-user","email":"bob@example.com","name":"Bob","latitude":null,"longitude":null}"#
    );
    let invite = decoded(r#"{"type":"call-invite","callId":"c-1","to":"bob@example.com"}"#);
    assert_eq!(
        serde_json::to_string(&invite).unwrap(),
        r#"{"type":"call-invite","to":"bob@example.com","callId":"c-1"}"#
    );
}

#[test]
fn signal_accessor_and_target_rule_follow_the_variant() {
    for (text, message) in valid_frames() {
        let name = message.type_name();
        let signaling = !matches!(
            name,
            "add-user" | "update-user" | "chat" | "link-device" | "sign-out"
        );
        assert_eq!(message.signal().is_some(), signaling, "{text}");
        assert_eq!(
            message.requires_target(),
            name.starts_with("call-") || name == "hang-up"
        );
    }
}

#[test]
fn update_user_carries_in_call() {
    let frame =
        r#"{"type":"update-user","email":"alice@example.com","name":"Alice","inCall":true}"#;
    match shared::decode_client_message(frame).expect("valid") {
        shared::ClientMessage::UpdateUser(profile) => assert_eq!(profile.in_call, Some(true)),
        other => panic!("decoded as {other:?}"),
    }
}
