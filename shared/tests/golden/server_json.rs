//! The exact JSON text of every server message, from the fixtures file the browser's codec
//! tests read too (`frontend/tests/js/`): a change there is a protocol change.

use crate::fixtures::{self, Direction, json as fixture};
use crate::frames::SDP;
use crate::object;
use serde_json::json;
use shared::{
    ChatDelivery, ErrorCode, ErrorFrame, IceServer, IceServers, Move, PresenceDelta, ProtocolError,
    RelayedSignal, ServerMessage, User, Welcome,
};

/// Checks the exact text, and that the text reads back as the same message.
#[track_caller]
pub fn assert_json(message: &ServerMessage, expected: &str) {
    assert_eq!(message.to_json(), expected);
    let read: ServerMessage = serde_json::from_str(expected).unwrap();
    assert_eq!(&read, message, "{expected} does not read back");
}

fn alice() -> User {
    User {
        name: "Alice".into(),
        email: "alice@example.com".into(),
        latitude: Some(48.85),
        longitude: Some(2.35),
        is_connected: true,
        in_call: false,
    }
}

fn bob_without_position() -> User {
    User {
        name: "Bob".into(),
        email: "bob@example.com".into(),
        latitude: None,
        longitude: None,
        is_connected: true,
        in_call: false,
    }
}

fn relayed(from: &str, to: Option<&str>, payload: serde_json::Value) -> RelayedSignal {
    RelayedSignal {
        from: from.into(),
        to: to.map(str::to_owned),
        payload: object(payload),
    }
}

#[test]
fn update_users_matches_seed_shape() {
    let message = ServerMessage::UpdateUsers {
        users: vec![alice(), bob_without_position()],
    };
    assert_json(&message, fixture("update-users"));
}

#[test]
fn update_users_reproduces_the_seed_recorded_frames() {
    let empty = ServerMessage::UpdateUsers { users: vec![] };
    assert_json(&empty, fixture("update-users-empty"));
    let alice_only = ServerMessage::UpdateUsers {
        users: vec![alice()],
    };
    assert_json(&alice_only, fixture("update-users-alice"));
}

#[test]
fn user_has_position_only_with_both_coordinates() {
    assert!(alice().has_position());
    assert!(!bob_without_position().has_position());
    assert!(
        !User {
            longitude: None,
            ..alice()
        }
        .has_position()
    );
}

#[test]
fn welcome_carries_you_room_and_everyone() {
    let message = ServerMessage::Welcome(Welcome {
        you: alice(),
        room: "default".into(),
        users: vec![alice(), bob_without_position()],
        token: "v1.YWxpY2U.bWFj".into(),
        ice_servers: None,
    });
    assert_json(&message, fixture("welcome"));
}

/// The TURN entry of the fixtures: `expiry:id` and its HMAC-SHA1 under "s3cret".
fn turn_server() -> IceServer {
    IceServer {
        urls: vec![
            "turn:turn.example.com:3478?transport=udp".into(),
            "turns:turn.example.com:443?transport=tcp".into(),
        ],
        username: "1767225600:k3Xw9QpL2mZr".into(),
        credential: "IAvgzP0Q+G1F37ia/T4qq1zFleg=".into(),
    }
}

#[test]
fn welcome_with_turn_carries_the_connections_ice_servers() {
    let message = ServerMessage::Welcome(Welcome {
        you: alice(),
        room: "default".into(),
        users: vec![alice()],
        token: "v1.YWxpY2U.bWFj".into(),
        ice_servers: Some(vec![turn_server()]),
    });
    assert_json(&message, fixture("welcome-turn"));
}

#[test]
fn ice_servers_renews_the_credentials() {
    let message = ServerMessage::IceServers(IceServers {
        ice_servers: vec![turn_server()],
    });
    assert_json(&message, fixture("ice-servers"));
}

#[test]
fn presence_lists_joined_moved_and_left() {
    let message = ServerMessage::Presence(PresenceDelta {
        joined: vec![bob_without_position()],
        moved: vec![Move {
            email: "alice@example.com".into(),
            latitude: 48.86,
            longitude: 2.36,
        }],
        left: vec!["carol@example.com".into()],
    });
    assert_json(&message, fixture("presence"));
}

#[test]
fn presence_omits_empty_lists() {
    let moved_only = PresenceDelta {
        moved: vec![Move {
            email: "alice@example.com".into(),
            latitude: -33.5,
            longitude: 151.0,
        }],
        ..PresenceDelta::default()
    };
    assert!(!moved_only.is_empty());
    assert_json(
        &ServerMessage::Presence(moved_only),
        fixture("presence-moved-only"),
    );
    let left_only = PresenceDelta {
        left: vec!["bob@example.com".into()],
        ..Default::default()
    };
    assert_json(
        &ServerMessage::Presence(left_only),
        fixture("presence-left-only"),
    );
    assert!(PresenceDelta::default().is_empty());
    assert_json(
        &ServerMessage::Presence(PresenceDelta::default()),
        fixture("presence-empty"),
    );
}

fn chat(to: Option<&str>, text: &str) -> ServerMessage {
    ServerMessage::Chat(ChatDelivery {
        id: 7,
        from: "alice@example.com".into(),
        name: "Alice".into(),
        text: text.into(),
        to: to.map(str::to_owned),
        sent_at: 1_700_000_000_123,
        ..ChatDelivery::default()
    })
}

#[test]
fn chat_to_the_room_has_no_to() {
    assert_json(&chat(None, "salut 👋"), fixture("chat-to-room-delivered"));
}

#[test]
fn direct_chat_has_to_before_sent_at() {
    assert_json(
        &chat(Some("bob@example.com"), "hi Bob"),
        fixture("chat-direct-delivered"),
    );
}

#[test]
fn chat_text_is_escaped_as_json_and_left_as_utf8() {
    assert_json(
        &chat(None, "a \"quote\" \\ <b>é</b>\n\ttab"),
        fixture("chat-escaped-delivered"),
    );
}

#[test]
fn error_without_field_has_code_and_message() {
    assert_json(
        &ServerMessage::error(ErrorCode::InvalidJson, "a message must be a JSON object"),
        fixture("error-invalid-json"),
    );
    assert_json(
        &ServerMessage::error(ErrorCode::TargetOffline, "bob@example.com is not online"),
        fixture("error-target-offline"),
    );
}

#[test]
fn payload_too_large_error_frame() {
    assert_json(
        &ServerMessage::error(
            ErrorCode::PayloadTooLarge,
            "`offer` without `to` goes to the whole room: at most 16384 bytes, this one has 20000",
        ),
        fixture("error-payload-too-large"),
    );
}

#[test]
fn error_with_field_names_it_last() {
    let error = ProtocolError::field("name", "name must be 1 to 64 characters");
    assert_json(
        &ServerMessage::Error(ErrorFrame::from(error)),
        fixture("error-invalid-field"),
    );
}

#[test]
fn error_codes_serialise_as_their_as_str() {
    let codes = [
        (ErrorCode::InvalidJson, "invalid-json"),
        (ErrorCode::MissingType, "missing-type"),
        (ErrorCode::UnknownType, "unknown-type"),
        (ErrorCode::InvalidField, "invalid-field"),
        (ErrorCode::NotRegistered, "not-registered"),
        (ErrorCode::EmailMismatch, "email-mismatch"),
        (ErrorCode::RoomMismatch, "room-mismatch"),
        (ErrorCode::MissingTarget, "missing-target"),
        (ErrorCode::TargetOffline, "target-offline"),
        (ErrorCode::BinaryNotSupported, "binary-not-supported"),
        (ErrorCode::RateLimited, "rate-limited"),
        (ErrorCode::AccessDenied, "access-denied"),
        (ErrorCode::EmailInUse, "email-in-use"),
        (ErrorCode::InvalidToken, "invalid-token"),
        (ErrorCode::EmailClaimed, "email-claimed"),
        (ErrorCode::EmailConfusable, "email-confusable"),
        (ErrorCode::InvalidLinkCode, "invalid-link-code"),
        (ErrorCode::TooManyAttempts, "too-many-attempts"),
        (ErrorCode::NoDevice, "no-device"),
        (ErrorCode::Internal, "internal"),
        (ErrorCode::PayloadTooLarge, "payload-too-large"),
        (ErrorCode::UnknownRecipient, "unknown-recipient"),
        (ErrorCode::UnknownConversation, "unknown-conversation"),
        (ErrorCode::UnknownMessage, "unknown-message"),
        (ErrorCode::NotYourMessage, "not-your-message"),
        (ErrorCode::EditWindowClosed, "edit-window-closed"),
        (ErrorCode::ClientIdReused, "client-id-reused"),
        (ErrorCode::StoreUnavailable, "store-unavailable"),
    ];
    let listed: Vec<&str> = codes.iter().map(|(_, wire)| *wire).collect();
    assert_eq!(
        listed,
        fixtures::error_codes(),
        "errorCodes in fixtures/wire.json"
    );
    for (code, wire) in codes {
        assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{wire}\""));
        assert_eq!(code.as_str(), wire);
        assert_eq!(code.to_string(), wire);
        assert_eq!(
            serde_json::from_str::<ErrorCode>(&format!("\"{wire}\"")).unwrap(),
            code
        );
    }
}

#[test]
fn offer_keeps_the_seed_sdp_and_email() {
    let payload = json!({"sdp": "v=0...", "email": "alice@example.com"});
    assert_json(
        &ServerMessage::Offer(relayed("alice@example.com", None, payload)),
        fixture("offer-relayed"),
    );
}

#[test]
fn answer_keeps_crlf_in_the_sdp() {
    let payload = json!({"sdp": SDP, "email": "bob@example.com"});
    assert_json(
        &ServerMessage::Answer(relayed(
            "bob@example.com",
            Some("alice@example.com"),
            payload,
        )),
        fixture("answer-relayed"),
    );
}

#[test]
fn sdp_offer_keeps_the_nested_description() {
    let payload = json!({"offer": {"type": "offer", "sdp": "v=0..."}});
    assert_json(
        &ServerMessage::SdpOffer(relayed(
            "alice@example.com",
            Some("bob@example.com"),
            payload,
        )),
        fixture("sdp-offer-relayed"),
    );
}

#[test]
fn sdp_answer_keeps_the_nested_description() {
    let payload = json!({"answer": {"type": "answer", "sdp": "v=0..."}});
    assert_json(
        &ServerMessage::SdpAnswer(relayed(
            "bob@example.com",
            Some("alice@example.com"),
            payload,
        )),
        fixture("sdp-answer-relayed"),
    );
}

#[test]
fn new_ice_candidate_keeps_the_candidate_object() {
    let payload = json!({"candidate": {
        "candidate": "candidate:1 1 UDP 2122260223 192.168.1.2 54321 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }});
    assert_json(
        &ServerMessage::NewIceCandidate(relayed(
            "alice@example.com",
            Some("bob@example.com"),
            payload,
        )),
        fixture("ice-candidate-relayed"),
    );
}

#[test]
fn new_ice_candidate_keeps_a_null_end_of_candidates() {
    let payload = json!({"candidate": null});
    assert_json(
        &ServerMessage::NewIceCandidate(relayed("alice@example.com", None, payload)),
        fixture("ice-candidate-relayed-end"),
    );
}

#[test]
fn call_invite_keeps_call_id_and_options() {
    let payload = json!({"callId": "c-42", "video": true});
    assert_json(
        &ServerMessage::CallInvite(relayed(
            "alice@example.com",
            Some("bob@example.com"),
            payload,
        )),
        fixture("call-invite-relayed"),
    );
}

#[test]
fn call_invite_of_a_group_call_keeps_members_and_media() {
    let payload = json!({
        "callId": "c-42",
        "members": ["alice@example.com", "carol@example.com"],
        "media": {"audio": true, "video": true},
    });
    assert_json(
        &ServerMessage::CallInvite(relayed(
            "alice@example.com",
            Some("bob@example.com"),
            payload,
        )),
        fixture("call-invite-relayed-group"),
    );
}

#[test]
fn call_ringing_keeps_call_id() {
    let payload = json!({"callId": "c-42"});
    assert_json(
        &ServerMessage::CallRinging(relayed(
            "bob@example.com",
            Some("alice@example.com"),
            payload,
        )),
        fixture("call-ringing-relayed"),
    );
}

#[test]
fn call_accept_keeps_call_id() {
    let payload = json!({"callId": "c-42"});
    assert_json(
        &ServerMessage::CallAccept(relayed(
            "bob@example.com",
            Some("alice@example.com"),
            payload,
        )),
        fixture("call-accept-relayed"),
    );
}

#[test]
fn call_decline_keeps_call_id_and_reason() {
    let payload = json!({"callId": "c-42", "reason": "declined"});
    assert_json(
        &ServerMessage::CallDecline(relayed(
            "bob@example.com",
            Some("alice@example.com"),
            payload,
        )),
        fixture("call-decline-relayed"),
    );
}

#[test]
fn call_busy_with_an_empty_payload_is_type_from_to_only() {
    assert_json(
        &ServerMessage::CallBusy(relayed(
            "bob@example.com",
            Some("alice@example.com"),
            json!({}),
        )),
        fixture("call-busy-relayed"),
    );
}

#[test]
fn hang_up_keeps_call_id() {
    let payload = json!({"callId": "c-42"});
    assert_json(
        &ServerMessage::HangUp(relayed(
            "alice@example.com",
            Some("bob@example.com"),
            payload,
        )),
        fixture("hang-up-relayed"),
    );
}

#[test]
fn in_call_is_sent_only_when_true() {
    let calling = User {
        in_call: true,
        ..alice()
    };
    let joined = ServerMessage::Presence(PresenceDelta {
        joined: vec![calling.clone()],
        ..PresenceDelta::default()
    });
    let expected = fixture("presence-joined-in-call");
    assert_json(&joined, expected);
    let user = serde_json::to_string(&calling).expect("encodes");
    assert!(user.ends_with(r#","inCall":true}"#), "{user}");
    assert!(expected.contains(&user), "{user} not in {expected}");
    let read: User =
        serde_json::from_str(&serde_json::to_string(&alice()).expect("encodes")).expect("decodes");
    assert!(!read.in_call, "a missing inCall reads as false");
}

#[test]
fn presence_deltas_split_into_frames_of_bounded_size() {
    let user = |n: usize| User {
        email: format!("u{n}@example.com"),
        ..alice()
    };
    let delta = PresenceDelta {
        joined: (0..100).map(user).collect(),
        moved: Vec::new(),
        left: (0..30).map(|n| format!("gone{n}@example.com")).collect(),
    };
    let chunks = delta
        .clone()
        .into_chunks(shared::PRESENCE_FRAME_MAX_ENTRIES);
    let sizes: Vec<usize> = chunks
        .iter()
        .map(|c| c.joined.len() + c.moved.len() + c.left.len())
        .collect();
    assert_eq!(sizes, vec![64, 64, 2]);
    let joined: Vec<User> = chunks.iter().flat_map(|c| c.joined.clone()).collect();
    let left: Vec<String> = chunks.iter().flat_map(|c| c.left.clone()).collect();
    assert_eq!(
        (joined, left),
        (delta.joined, delta.left),
        "nothing lost, order kept"
    );
    assert!(PresenceDelta::default().into_chunks(64).is_empty());
}

#[test]
fn device_link_carries_the_code_and_its_expiry() {
    let link = ServerMessage::DeviceLink(shared::DeviceLink {
        code: "K7QF-9MZT".into(),
        expires_at: 1_764_664_800_000,
    });
    assert_json(&link, fixture("device-link"));
}

#[test]
fn signed_out_says_how_many_devices() {
    let this_one = shared::SignedOut {
        devices: 1,
        others: false,
    };
    assert_json(&ServerMessage::SignedOut(this_one), fixture("signed-out"));
    let others = shared::SignedOut {
        devices: 2,
        others: true,
    };
    assert_json(
        &ServerMessage::SignedOut(others),
        fixture("signed-out-others"),
    );
}

#[test]
fn pong_is_its_type_alone() {
    assert_json(&ServerMessage::Pong, fixture("pong"));
}

#[test]
fn every_server_fixture_reads_and_writes_back_its_exact_text() {
    let mut written = 0;
    for fixture in fixtures::all() {
        if fixture.direction != Direction::Server {
            continue;
        }
        let read: ServerMessage = serde_json::from_str(&fixture.json)
            .unwrap_or_else(|error| panic!("{}: {error}", fixture.name));
        if fixture.written {
            assert_eq!(read.to_json(), fixture.json, "{}", fixture.name);
            written += 1;
        }
    }
    assert!(written >= 34, "{written} server fixtures written");
}

#[test]
fn fixture_names_are_unique() {
    let mut names: Vec<&str> = fixtures::all().iter().map(|f| f.name.as_str()).collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        count,
        "a name used twice in fixtures/wire.json"
    );
}
