//! Decoding every client message from literal JSON, the seed's recorded frames included,
//! and serialising each back.

use crate::decoded;
use crate::fixtures::{self, Direction, json as fixture};
use crate::frames::{profile, signal, valid_frames};
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
        decoded(fixture("seed-add-user")),
        ClientMessage::AddUser(expected)
    );
}

#[test]
fn seed_update_user_decodes_to_the_moved_position() {
    let ClientMessage::UpdateUser(profile) = decoded(fixture("seed-update-user")) else {
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
    assert_eq!(
        decoded(fixture("seed-offer")),
        ClientMessage::Offer(expected)
    );
}

#[test]
fn seed_sdp_offer_and_answer_keep_the_nested_description() {
    let ClientMessage::SdpOffer(offer) = decoded(fixture("seed-sdp-offer")) else {
        panic!("not an sdp-offer");
    };
    assert_eq!(
        offer.payload["offer"],
        json!({"type": "offer", "sdp": "v=0..."})
    );
    let ClientMessage::SdpAnswer(answer) = decoded(fixture("seed-sdp-answer")) else {
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
    let ClientMessage::NewIceCandidate(candidate) = decoded(fixture("seed-ice-candidate")) else {
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
    let text = fixture("add-user-unknown-field");
    assert!(text.contains(r#""avatar":"#), "{text}");
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
    for seed in ["seed-add-user", "seed-update-user"] {
        let text = fixture(seed);
        assert_eq!(serde_json::to_string(&decoded(text)).unwrap(), text);
    }
}

#[test]
fn client_messages_serialise_in_a_fixed_shape() {
    let shapes = [
        "chat-fields-in-any-order",
        "add-user-bare",
        "call-invite-call-id-first",
    ];
    for name in shapes {
        let fixture = fixtures::fixture(name);
        let shape = fixture
            .reserialised
            .as_deref()
            .expect("a reserialised text");
        let again = serde_json::to_string(&decoded(&fixture.json)).unwrap();
        assert_eq!(again, shape, "{name}");
    }
}

#[test]
fn every_reserialised_fixture_is_what_its_message_writes() {
    let mut checked = 0;
    for fixture in fixtures::all() {
        let Some(shape) = &fixture.reserialised else {
            continue;
        };
        let again = serde_json::to_string(&decoded(&fixture.json)).unwrap();
        assert_eq!(&again, shape, "{}", fixture.name);
        checked += 1;
    }
    assert_eq!(checked, 6, "the fixtures with a reserialised text");
}

#[test]
fn every_accepted_client_fixture_decodes_and_the_browser_ones_round_trip() {
    for fixture in fixtures::all() {
        if fixture.direction != Direction::Client || fixture.code.is_some() {
            continue;
        }
        let message = decoded(&fixture.json);
        if fixture.browser {
            let again = serde_json::to_string(&message).unwrap();
            assert_eq!(decoded(&again), message, "{}", fixture.name);
        }
    }
}

#[test]
fn signal_accessor_and_target_rule_follow_the_variant() {
    for (text, message) in valid_frames() {
        let name = message.type_name();
        let signaling = !matches!(
            name,
            "add-user"
                | "update-user"
                | "chat"
                | "link-device"
                | "ping"
                | "sign-out"
                | "chat-history"
                | "chat-edit"
                | "chat-delete"
                | "chat-read"
                | "typing"
                | "chat-conversations"
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
    let frame = fixture("update-user-in-call");
    match shared::decode_client_message(frame).expect("valid") {
        shared::ClientMessage::UpdateUser(profile) => assert_eq!(profile.in_call, Some(true)),
        other => panic!("decoded as {other:?}"),
    }
}
