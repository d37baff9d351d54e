//! Field rules: lengths counted in characters, control characters, the shape and normal
//! form of emails, rooms and targets, and which messages need a `to`.

use crate::{add_user_with, decoded, refused, refused_field};
use serde_json::json;
use shared::{
    CHAT_TEXT_MAX_CHARS, ClientMessage, EMAIL_MAX_CHARS, ErrorCode, NAME_MAX_CHARS, Profile,
    ROOM_MAX_CHARS, normalize_email, normalize_room,
};

#[track_caller]
fn profile_of(text: &str) -> Profile {
    match decoded(text) {
        ClientMessage::AddUser(profile) | ClientMessage::UpdateUser(profile) => profile,
        other => panic!("not a profile: {other:?}"),
    }
}

fn chat(text: &str) -> String {
    json!({"type": "chat", "text": text}).to_string()
}

#[test]
fn limits_are_the_documented_ones() {
    assert_eq!(
        (
            NAME_MAX_CHARS,
            EMAIL_MAX_CHARS,
            CHAT_TEXT_MAX_CHARS,
            ROOM_MAX_CHARS
        ),
        (64, 254, 2000, 64)
    );
}

#[test]
fn name_of_64_chars_is_accepted_and_65_refused() {
    for unit in ["a", "é", "👋"] {
        let name = unit.repeat(64);
        assert_eq!(profile_of(&add_user_with(json!({"name": name}))).name, name);
        refused_field(&add_user_with(json!({"name": unit.repeat(65)})), "name");
    }
}

#[test]
fn name_is_trimmed_before_it_is_measured() {
    let name = format!("  {}  ", "é".repeat(64));
    assert_eq!(
        profile_of(&add_user_with(json!({"name": name}))).name,
        "é".repeat(64)
    );
    assert_eq!(
        profile_of(&add_user_with(json!({"name": "  Alice "}))).name,
        "Alice"
    );
}

#[test]
fn empty_or_blank_name_is_refused() {
    for name in ["", " ", "\t \n", "\u{3000}"] {
        refused_field(&add_user_with(json!({"name": name})), "name");
    }
}

#[test]
fn name_with_control_characters_is_refused() {
    for name in [
        "Al\u{7}ice",
        "Al\nice",
        "Al\tice",
        "Alice\u{0}",
        "Al\u{1b}[31mice",
        "Al\u{7f}ice",
    ] {
        refused_field(&add_user_with(json!({"name": name})), "name");
    }
}

#[test]
fn email_is_trimmed_and_lower_cased() {
    let profile = profile_of(&add_user_with(json!({"email": "  Alice@Example.COM "})));
    assert_eq!(profile.email, "alice@example.com");
    assert_eq!(normalize_email("ZOÉ@Exemple.FR").unwrap(), "zoé@exemple.fr");
}

#[test]
fn email_of_254_chars_is_accepted_and_255_refused() {
    let domain = "@example.com";
    for unit in ["a", "é"] {
        let local = unit.repeat(EMAIL_MAX_CHARS - domain.len());
        let email = format!("{local}{domain}");
        assert_eq!(email.chars().count(), 254);
        assert_eq!(
            profile_of(&add_user_with(json!({"email": email}))).email,
            email
        );
        let long = format!("{unit}{email}");
        refused_field(&add_user_with(json!({"email": long})), "email");
    }
}

#[test]
fn email_must_have_exactly_one_at_with_text_around_it() {
    for email in [
        "",
        "   ",
        "alice",
        "alice.example.com",
        "@example.com",
        "alice@",
        "alice@@example.com",
        "alice@example@com",
        "a@b@c",
    ] {
        refused_field(&add_user_with(json!({"email": email})), "email");
    }
}

#[test]
fn email_with_spaces_or_control_characters_is_refused() {
    for email in [
        "alice smith@example.com",
        "alice@exa mple.com",
        "alice@example.com\u{7}",
        "al\tice@example.com",
        "alice\u{a0}@example.com",
    ] {
        refused_field(&add_user_with(json!({"email": email})), "email");
    }
}

#[test]
fn chat_text_of_2000_chars_is_accepted_and_2001_refused() {
    for unit in ["a", "é", "👋"] {
        let text = unit.repeat(CHAT_TEXT_MAX_CHARS);
        assert!(text.len() >= 2000, "counted in chars: {} bytes", text.len());
        assert!(
            matches!(decoded(&chat(&text)), ClientMessage::Chat(request) if request.text == text)
        );
        refused_field(&chat(&unit.repeat(CHAT_TEXT_MAX_CHARS + 1)), "text");
    }
}

#[test]
fn chat_text_allows_newline_and_tab_only_among_controls() {
    let text = "line one\nline two\n\tindented";
    assert!(matches!(decoded(&chat(text)), ClientMessage::Chat(request) if request.text == text));
    for text in [
        "ding\u{7}",
        "\u{0}",
        "escape \u{1b}[2J",
        "del\u{7f}",
        "nel\u{85}",
    ] {
        refused_field(&chat(text), "text");
    }
}

#[test]
fn empty_or_blank_chat_text_is_refused() {
    for text in ["", " ", "\n\t\n"] {
        refused_field(&chat(text), "text");
    }
}

#[test]
fn room_is_trimmed_and_lower_cased() {
    assert_eq!(
        profile_of(&add_user_with(json!({"room": "  Team-A "})))
            .room
            .as_deref(),
        Some("team-a")
    );
    assert_eq!(normalize_room("Équipe_2.b").unwrap(), "équipe_2.b");
    assert_eq!(profile_of(&add_user_with(json!({"room": null}))).room, None);
    let longest = "r".repeat(ROOM_MAX_CHARS);
    assert_eq!(normalize_room(&longest).unwrap(), longest);
}

#[test]
fn invalid_rooms_are_refused() {
    for room in [
        "",
        "   ",
        "a b",
        "x/y",
        "a\\b",
        "room?",
        "a\u{7}",
        &"r".repeat(ROOM_MAX_CHARS + 1),
    ] {
        refused_field(&add_user_with(json!({"room": room})), "room");
        assert_eq!(normalize_room(room).unwrap_err().field, Some("room"));
    }
}

#[test]
fn invalid_to_is_refused_as_field_to() {
    for to in ["", "bob", "bob@", "bob @example.com", "a@b@c"] {
        let error = refused_field(
            &json!({"type": "chat", "text": "hi", "to": to}).to_string(),
            "to",
        );
        assert!(
            error.message.starts_with("to "),
            "{to:?}: {}",
            error.message
        );
        refused_field(
            &json!({"type": "offer", "sdp": "v=0", "to": to}).to_string(),
            "to",
        );
        refused_field(&json!({"type": "call-invite", "to": to}).to_string(), "to");
    }
}

#[test]
fn to_is_normalised_like_an_email() {
    let text = r#"{"type":"call-invite","to":" Bob@EXAMPLE.com "}"#;
    assert_eq!(
        decoded(text).signal().unwrap().to.as_deref(),
        Some("bob@example.com")
    );
}

#[test]
fn call_control_without_to_is_missing_target() {
    for kind in [
        "call-invite",
        "call-ringing",
        "call-accept",
        "call-decline",
        "call-busy",
        "hang-up",
    ] {
        for text in [
            json!({"type": kind}).to_string(),
            json!({"type": kind, "to": null, "callId": "c-1"}).to_string(),
        ] {
            let error = refused(&text, ErrorCode::MissingTarget);
            assert_eq!(error.field, None, "{text}");
        }
    }
}

#[test]
fn seed_signaling_without_to_is_accepted() {
    for kind in [
        "offer",
        "answer",
        "sdp-offer",
        "sdp-answer",
        "new-ice-candidate",
    ] {
        let message = decoded(&json!({"type": kind, "sdp": "v=0"}).to_string());
        assert_eq!(message.type_name(), kind);
        assert_eq!(message.signal().unwrap().to, None);
        assert!(!message.requires_target());
    }
}

#[test]
fn names_with_invisible_formatting_are_refused() {
    for name in ["Ali\u{202E}ce", "Bob\u{200B}", "\u{2066}Eve", "Zoe\u{FEFF}"] {
        let frame = serde_json::json!({"type": "add-user", "email": "a@b.c", "name": name});
        let error = shared::decode_client_message(&frame.to_string()).expect_err("refused");
        assert_eq!(error.code, shared::ErrorCode::InvalidField, "{name:?}");
        assert_eq!(error.field, Some("name"), "{name:?}");
    }
}

#[test]
fn access_code_and_token_are_kept_as_sent_and_bounded() {
    let profile = profile_of(&add_user_with(
        json!({"accessCode": " Open Sesame ", "token": "v1.a.b"}),
    ));
    assert_eq!(profile.access_code.as_deref(), Some(" Open Sesame "));
    assert_eq!(profile.token.as_deref(), Some("v1.a.b"));
    let longest = "t".repeat(shared::SECRET_MAX_CHARS);
    assert_eq!(
        profile_of(&add_user_with(json!({ "token": longest }))).token,
        Some(longest)
    );
    let too_long = "t".repeat(shared::SECRET_MAX_CHARS + 1);
    refused_field(&add_user_with(json!({ "token": too_long })), "token");
    refused_field(
        &add_user_with(json!({ "accessCode": too_long })),
        "accessCode",
    );
    refused_field(&add_user_with(json!({ "token": 42 })), "token");
    refused_field(&add_user_with(json!({ "accessCode": true })), "accessCode");
}
