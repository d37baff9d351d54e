//! Turning a text frame into a validated [`ClientMessage`], with an error code for every way
//! it can be wrong.
//!
//! A frame serde accepts costs one parse. Only a refused one is read again: its syntax, then
//! its members (`members.rs`) one by one (`fields.rs`), so that serde's own derived code
//! says which field it refuses and why.

pub(crate) mod checked;
mod fields;
mod members;

use crate::client::{ClientMessage, Signal};
use crate::error::{ErrorCode, ProtocolError};
use fields::{FieldError, Fields};
use members::Members;
use serde_json::value::RawValue;

/// Parses, validates and normalises one client frame. Never panics, whatever the input.
pub fn decode_client_message(text: &str) -> Result<ClientMessage, ProtocolError> {
    match serde_json::from_str::<ClientMessage>(text) {
        // serde also reads an internally tagged enum from an array such as `["chat","hi"]`;
        // the protocol's frames are objects only.
        Ok(_) if !starts_as_object(text) => Err(not_an_object()),
        Ok(mut message) => {
            message.normalize()?;
            Ok(message)
        }
        Err(_) => Err(classify(text)),
    }
}

/// The `clientId` of a refused `chat` frame, when it has a valid one: the refusal names
/// it, so the client knows which message failed. Read only on the refusal path.
pub fn refused_client_id(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Named<'a> {
        #[serde(rename = "type")]
        kind: &'a str,
        client_id: String,
    }
    let named: Named = serde_json::from_str(text).ok()?;
    let valid = named.kind == "chat" && crate::validate::is_client_id(&named.client_id);
    valid.then_some(named.client_id)
}

/// Tells apart, for a frame serde refused, the reasons a client can act on.
fn classify(text: &str) -> ProtocolError {
    if !starts_as_object(text) {
        // The syntax alone: numbers and strings are not read.
        return match serde_json::from_str::<&RawValue>(text) {
            Ok(_) => not_an_object(),
            Err(syntax) => not_json(text, &syntax),
        };
    }
    // The syntax and the keys; the values are read field by field below.
    let members: Members = match serde_json::from_str(text) {
        Ok(members) => members,
        Err(syntax) => return not_json(text, &syntax),
    };
    // Repeated, the last one counts, as it would for a JSON object.
    let kind = match members.last("type") {
        Some(raw) if raw.starts_with('"') => match serde_json::from_str::<String>(raw) {
            Ok(kind) => kind,
            Err(_) => return not_json_at_all(text),
        },
        _ => return ProtocolError::new(ErrorCode::MissingType, "a message needs a string 'type'"),
    };
    if !ClientMessage::TYPE_NAMES.contains(&kind.as_str()) {
        let shown: String = kind.chars().take(40).collect();
        return ProtocolError::new(
            ErrorCode::UnknownType,
            format!("unknown message type '{shown}'"),
        );
    }
    if members.count("type") > 1 {
        return invalid(&kind, "duplicate field `type`", None);
    }
    // A struct with a flattened map (a signal) is read as a map, its fields unnamed by serde.
    let fields = Fields::new(&members, Signal::FIELDS);
    match ClientMessage::read_fields(&kind, fields) {
        Some(Err(error)) => refusal(text, &kind, error),
        // Read alone, the fields are fine: what serde refused is the frame as a whole.
        Some(Ok(())) | None => invalid(&kind, "not a valid frame of its type", None),
    }
}

/// The refusal of a frame of type `kind` for what its fields' types found.
fn refusal(text: &str, kind: &str, error: FieldError) -> ProtocolError {
    match error {
        FieldError::Missing(field) => {
            invalid(kind, &format!("missing field `{field}`"), Some(field))
        }
        FieldError::Repeated(field) => {
            invalid(kind, &format!("duplicate field `{field}`"), Some(field))
        }
        FieldError::WrongType {
            key,
            field,
            expected,
            optional,
        } => {
            let or_null = if optional { " or null" } else { "" };
            invalid(kind, &format!("'{key}' must be {expected}{or_null}"), field)
        }
        FieldError::OutOfRange { field } => ProtocolError {
            code: ErrorCode::InvalidField,
            message: format!("{} is out of range", field.unwrap_or("a number")),
            field,
        },
        FieldError::NotJson => not_json_at_all(text),
        // serde's own words, which may quote a value in full: a client needs only the start.
        FieldError::Other(reason) => {
            let reason: String = reason.chars().take(MAX_REASON_CHARS).collect();
            invalid(kind, &reason, None)
        }
    }
}

fn invalid(kind: &str, reason: &str, field: Option<&'static str>) -> ProtocolError {
    ProtocolError {
        code: ErrorCode::InvalidField,
        message: format!("invalid '{kind}' message: {reason}"),
        field,
    }
}

/// The longest part of a serde message an error frame repeats.
const MAX_REASON_CHARS: usize = 120;

fn not_an_object() -> ProtocolError {
    ProtocolError::new(ErrorCode::InvalidJson, "a message must be a JSON object")
}

/// A frame whose syntax does not read, and `syntax` the reason. Where reading its values
/// fails at the same place, that parser's words are given, which name the reason better
/// (a trailing comma rather than a missing key).
fn not_json(text: &str, syntax: &serde_json::Error) -> ProtocolError {
    let reason = match serde_json::from_str::<serde_json::Value>(text) {
        Err(read) if (read.line(), read.column()) == (syntax.line(), syntax.column()) => read,
        _ => return invalid_json(syntax),
    };
    invalid_json(&reason)
}

/// A frame whose syntax reads but whose strings do not (a lone surrogate escape) or that
/// nests too deep: the parser's error on the whole frame, with its position.
fn not_json_at_all(text: &str) -> ProtocolError {
    match serde_json::from_str::<serde_json::Value>(text) {
        Err(error) => invalid_json(&error),
        Ok(_) => ProtocolError::new(ErrorCode::InvalidJson, "not valid JSON"),
    }
}

fn invalid_json(reason: &serde_json::Error) -> ProtocolError {
    ProtocolError::new(ErrorCode::InvalidJson, format!("not valid JSON: {reason}"))
}

/// Whether the text, past JSON whitespace, opens an object.
pub(crate) fn starts_as_object(text: &str) -> bool {
    text.trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_of_the_wrong_type_is_named_in_every_message_that_has_fields() {
        let error = decode_client_message(r#"{"type":"sign-out","others":"yes"}"#).unwrap_err();
        assert_eq!(
            (error.code, error.field),
            (ErrorCode::InvalidField, Some("others"))
        );
        assert_eq!(
            error.message,
            "invalid 'sign-out' message: 'others' must be a boolean"
        );
    }

    #[test]
    fn json_that_is_not_an_object_is_never_a_field_error() {
        for text in ["1e400", "[1e400]", r#"["chat",1e400]"#] {
            let error = decode_client_message(text).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidJson, "{text}");
            assert_eq!(error.message, "a message must be a JSON object", "{text}");
        }
    }

    #[test]
    fn a_lone_surrogate_is_invalid_json_with_the_parser_position() {
        let text = r#"{"type":"chat","text":"\ud800"}"#;
        let error = decode_client_message(text).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidJson);
        assert!(
            error.message.starts_with("not valid JSON: "),
            "{}",
            error.message
        );
        assert!(error.message.contains("column 30"), "{}", error.message);
    }

    #[test]
    fn a_number_out_of_range_in_a_payload_or_an_unknown_field_names_no_field() {
        for text in [
            r#"{"type":"offer","sdp":{"x":[1e400]}}"#,
            r#"{"type":"link-device","x":-1e999}"#,
            r#"{"type":"add-user","email":"a@b.c","name":"A","avatar":1e400}"#,
        ] {
            let error = decode_client_message(text).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidField, "{text}");
            assert_eq!(error.field, None, "{text}");
            assert_eq!(error.message, "a number is out of range", "{text}");
        }
    }
}
