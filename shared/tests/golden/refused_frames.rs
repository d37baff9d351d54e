//! Frames refused as a whole or for a field's JSON type or range: the error code, the field
//! it names, and a message a person can read.

use crate::{add_user_with, refused, refused_field, shown};
use serde_json::json;
use shared::{ErrorCode, decode_client_message};

#[test]
fn text_that_is_not_json_is_invalid_json() {
    for text in [
        "not json",
        "",
        "{",
        "   ",
        "{\"type\":\"chat\",",
        "{'type':'chat'}",
        "\u{feff}{}",
    ] {
        let error = refused(text, ErrorCode::InvalidJson);
        assert_eq!(error.field, None);
        assert!(
            error.message.starts_with("not valid JSON"),
            "{text:?}: {}",
            error.message
        );
    }
}

#[test]
fn json_that_is_not_an_object_is_invalid_json() {
    for text in [
        "[]",
        "42",
        r#""x""#,
        "null",
        "true",
        r#"[{"type":"chat","text":"hi"}]"#,
    ] {
        let error = refused(text, ErrorCode::InvalidJson);
        assert_eq!(error.message, "a message must be a JSON object", "{text}");
    }
}

#[test]
fn arrays_are_refused_even_where_serde_could_read_them() {
    // serde reads an internally tagged enum from `[tag, fields...]`; the protocol does not.
    for text in [
        r#"["chat","hello"]"#,
        r#" ["add-user","alice@example.com","Alice",48.85,2.35]"#,
        r#"["update-user","alice@example.com","Alice",null,null]"#,
    ] {
        let error = refused(text, ErrorCode::InvalidJson);
        assert_eq!(error.message, "a message must be a JSON object", "{text}");
    }
}

#[test]
fn objects_with_json_whitespace_around_them_are_accepted() {
    assert!(decode_client_message(" \t\r\n{\"type\":\"chat\",\"text\":\"hi\"}\n ").is_ok());
}

#[test]
fn missing_or_non_string_type_is_missing_type() {
    for text in [
        "{}",
        r#"{"email":"alice@example.com","name":"Alice"}"#,
        r#"{"type":5}"#,
        r#"{"type":null}"#,
        r#"{"type":["chat"]}"#,
        r#"{"type":{"name":"chat"}}"#,
    ] {
        let error = refused(text, ErrorCode::MissingType);
        assert_eq!(error.field, None, "{text}");
    }
}

#[test]
fn unknown_type_is_unknown_type_and_quotes_it() {
    for kind in [
        "users-list",
        "update-users",
        "error",
        "ADD-USER",
        "add_user",
        "",
        "welcome",
    ] {
        let text = json!({"type": kind}).to_string();
        let error = refused(&text, ErrorCode::UnknownType);
        assert_eq!(error.message, format!("unknown message type '{kind}'"));
    }
}

#[test]
fn a_10_kb_unknown_type_gives_a_short_message() {
    let kind = "x".repeat(10 * 1024);
    let error = refused(&json!({"type": kind}).to_string(), ErrorCode::UnknownType);
    assert!(
        error.message.len() <= 80,
        "{} bytes: {}",
        error.message.len(),
        shown(&error.message)
    );
    assert!(error.message.contains("xxxxxxxx"));
}

#[test]
fn a_10_kb_type_in_broken_json_is_not_echoed() {
    let text = format!(r#"{{"type":"{}""#, "x".repeat(10 * 1024));
    let error = refused(&text, ErrorCode::InvalidJson);
    assert!(
        error.message.len() <= 80,
        "{} bytes: {}",
        error.message.len(),
        shown(&error.message)
    );
}

#[test]
fn a_multibyte_unknown_type_is_cut_on_a_char_boundary() {
    let kind = "é".repeat(5000);
    let error = refused(&json!({"type": kind}).to_string(), ErrorCode::UnknownType);
    assert!(
        error.message.chars().count() <= 80,
        "{}",
        shown(&error.message)
    );
}

#[test]
fn missing_required_fields_are_named() {
    refused_field(r#"{"type":"add-user","name":"Alice"}"#, "email");
    refused_field(r#"{"type":"add-user","email":"alice@example.com"}"#, "name");
    refused_field(
        r#"{"type":"update-user","email":"alice@example.com"}"#,
        "name",
    );
    refused_field(r#"{"type":"chat"}"#, "text");
    refused_field(r#"{"type":"chat","to":"bob@example.com"}"#, "text");
}

#[test]
fn a_field_of_the_wrong_json_type_is_named() {
    let cases = [
        (
            add_user_with(json!({"latitude": "abc", "longitude": 2.35})),
            "latitude",
        ),
        (
            add_user_with(json!({"latitude": 48.85, "longitude": true})),
            "longitude",
        ),
        (add_user_with(json!({"email": null})), "email"),
        (
            add_user_with(json!({"email": ["alice@example.com"]})),
            "email",
        ),
        (add_user_with(json!({"name": 5})), "name"),
        (add_user_with(json!({"isConnected": "yes"})), "isConnected"),
        (add_user_with(json!({"room": 5})), "room"),
        (
            json!({"type": "chat", "text": {"body": "hi"}}).to_string(),
            "text",
        ),
        (
            json!({"type": "chat", "text": "hi", "to": 5}).to_string(),
            "to",
        ),
        (
            json!({"type": "offer", "to": ["bob@example.com"]}).to_string(),
            "to",
        ),
        (json!({"type": "hang-up", "to": false}).to_string(), "to"),
    ];
    for (text, field) in cases {
        let error = refused_field(&text, field);
        assert!(
            error.message.contains(&format!("'{field}'")),
            "{text}: {}",
            error.message
        );
    }
}

#[test]
fn a_huge_value_of_the_wrong_type_is_not_echoed() {
    let huge = "a".repeat(10 * 1024);
    let error = refused_field(
        &add_user_with(json!({"latitude": huge, "longitude": 1})),
        "latitude",
    );
    assert!(
        error.message.len() <= 200,
        "{} bytes: {}",
        error.message.len(),
        shown(&error.message)
    );
}

#[test]
fn a_repeated_field_is_refused_and_named() {
    refused_field(r#"{"type":"chat","text":"a","text":"b"}"#, "text");
    refused_field(
        r#"{"type":"offer","to":"bob@example.com","to":"eve@example.com"}"#,
        "to",
    );
    let error = refused(
        r#"{"type":"offer","type":"chat","text":"x"}"#,
        ErrorCode::InvalidField,
    );
    assert_eq!(error.field, None);
}

#[test]
fn coordinates_out_of_range_are_named() {
    refused_field(
        &add_user_with(json!({"latitude": 90.0001, "longitude": 2.35})),
        "latitude",
    );
    refused_field(
        &add_user_with(json!({"latitude": -91, "longitude": 2.35})),
        "latitude",
    );
    refused_field(
        &add_user_with(json!({"latitude": 48.85, "longitude": 180.5})),
        "longitude",
    );
    refused_field(
        &add_user_with(json!({"latitude": 48.85, "longitude": -180.000001})),
        "longitude",
    );
    refused_field(
        &add_user_with(json!({"latitude": 1e308, "longitude": 0})),
        "latitude",
    );
    // Both wrong: the latitude is reported first.
    refused_field(
        &add_user_with(json!({"latitude": 100, "longitude": 200})),
        "latitude",
    );
}

#[test]
fn coordinate_bounds_are_inclusive() {
    for (latitude, longitude) in [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0), (-0.0, 1e-6)] {
        let text = add_user_with(json!({"latitude": latitude, "longitude": longitude}));
        let decoded = crate::decoded(&text);
        let shared::ClientMessage::AddUser(profile) = decoded else {
            panic!("{text}")
        };
        assert_eq!(
            (profile.latitude, profile.longitude),
            (Some(latitude), Some(longitude))
        );
    }
}

#[test]
fn one_coordinate_without_the_other_names_the_missing_one() {
    refused_field(&add_user_with(json!({"latitude": 48.85})), "longitude");
    refused_field(
        &add_user_with(json!({"latitude": 48.85, "longitude": null})),
        "longitude",
    );
    refused_field(&add_user_with(json!({"longitude": 2.35})), "latitude");
    refused_field(
        r#"{"type":"update-user","email":"a@b.c","name":"A","latitude":null,"longitude":2}"#,
        "latitude",
    );
}

#[test]
fn numbers_too_large_for_f64_are_refused_not_read_as_infinity() {
    let base = r#"{"type":"add-user","email":"alice@example.com","name":"Alice""#;
    for coordinates in [
        r#""latitude":1e400,"longitude":2.35"#,
        r#""latitude":-1e400,"longitude":2.35"#,
        r#""latitude":48.85,"longitude":1e400"#,
        r#""latitude":48.85,"longitude":-1E+999"#,
    ] {
        let text = format!("{base},{coordinates}}}");
        // Valid JSON syntax, but no f64 holds it: a field error naming the coordinate.
        let error = refused(&text, ErrorCode::InvalidField);
        assert!(
            error.message.contains("out of range"),
            "{text}: {}",
            error.message
        );
        let expected = if coordinates.starts_with(r#""latitude":48"#) {
            "longitude"
        } else {
            "latitude"
        };
        assert_eq!(error.field, Some(expected), "{text}");
    }
    let in_payload = r#"{"type":"offer","sdp":"v=0","x":1e400}"#;
    assert_eq!(refused(in_payload, ErrorCode::InvalidField).field, None);
}

#[test]
fn refusal_messages_are_lower_case_without_a_trailing_period() {
    let texts = [
        "not json".to_owned(),
        "[]".to_owned(),
        "{}".to_owned(),
        r#"{"type":"nope"}"#.to_owned(),
        r#"{"type":"chat"}"#.to_owned(),
        add_user_with(json!({"latitude": "abc", "longitude": 1})),
        add_user_with(json!({"latitude": 91, "longitude": 1})),
        add_user_with(json!({"latitude": 1})),
        add_user_with(json!({"name": " "})),
        add_user_with(json!({"email": "nobody"})),
        add_user_with(json!({"room": "a b"})),
        r#"{"type":"chat","text":" "}"#.to_owned(),
        r#"{"type":"chat","text":"hi","to":"bob"}"#.to_owned(),
        r#"{"type":"hang-up"}"#.to_owned(),
    ];
    for text in texts {
        let error = decode_client_message(&text).unwrap_err();
        let first = error.message.chars().next().unwrap();
        assert!(!first.is_uppercase(), "{text}: {}", error.message);
        assert!(!error.message.ends_with('.'), "{text}: {}", error.message);
    }
}
