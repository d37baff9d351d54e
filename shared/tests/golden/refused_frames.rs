//! Frames refused as a whole or for a field's JSON type or range: the error code, the field
//! it names, and a message a person can read.

use crate::fixtures::{self, Direction, group};
use crate::{add_user_with, refused, refused_field, shown};
use serde_json::json;
use shared::{ErrorCode, decode_client_message};

#[test]
fn every_refused_fixture_gets_its_code_and_field() {
    let mut checked = 0;
    for fixture in fixtures::all() {
        let Some(code) = &fixture.code else { continue };
        assert_eq!(fixture.direction, Direction::Client, "{}", fixture.name);
        let error = decode_client_message(&fixture.json)
            .expect_err(&format!("{} was accepted", fixture.name));
        assert_eq!(error.code.as_str(), code, "{}", fixture.name);
        assert_eq!(error.field, fixture.field.as_deref(), "{}", fixture.name);
        checked += 1;
    }
    assert_eq!(checked, 63, "refused fixtures");
}

#[test]
fn text_that_is_not_json_is_invalid_json() {
    for text in group("not-json", 7) {
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
    for text in group("not-an-object", 6) {
        let error = refused(text, ErrorCode::InvalidJson);
        assert_eq!(error.message, "a message must be a JSON object", "{text}");
    }
}

#[test]
fn arrays_are_refused_even_where_serde_could_read_them() {
    // serde reads an internally tagged enum from `[tag, fields...]`; the protocol does not.
    for text in group("array-message", 3) {
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
    for text in group("missing-type", 6) {
        let error = refused(text, ErrorCode::MissingType);
        assert_eq!(error.field, None, "{text}");
    }
}

#[test]
fn unknown_type_is_unknown_type_and_quotes_it() {
    for text in group("unknown-type", 7) {
        let frame: serde_json::Value = serde_json::from_str(text).unwrap();
        let kind = frame["type"].as_str().unwrap();
        let error = refused(text, ErrorCode::UnknownType);
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
    let texts = group("missing-field", 5);
    for (text, field) in texts
        .into_iter()
        .zip(["email", "name", "name", "text", "text"])
    {
        refused_field(text, field);
    }
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
    let [text, to, kind] = group("repeated-field", 3)[..] else {
        unreachable!("group checks the count")
    };
    refused_field(text, "text");
    refused_field(to, "to");
    let error = refused(kind, ErrorCode::InvalidField);
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
    let texts = group("out-of-range", 5);
    let fields = ["latitude", "latitude", "longitude", "longitude"];
    for (text, field) in texts[..4].iter().zip(fields) {
        assert!(text.contains("e400") || text.contains("E+999"), "{text}");
        // Valid JSON syntax, but no f64 holds it: a field error naming the coordinate.
        let error = refused(text, ErrorCode::InvalidField);
        assert!(
            error.message.contains("out of range"),
            "{text}: {}",
            error.message
        );
        assert_eq!(error.field, Some(field), "{text}");
    }
    let in_payload = texts[4];
    assert!(in_payload.contains(r#""type":"offer""#), "{in_payload}");
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
