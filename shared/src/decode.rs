//! Turning a text frame into a validated [`ClientMessage`], with an error code for every way
//! it can be wrong.

use crate::client::ClientMessage;
use crate::error::{ErrorCode, ProtocolError};
use serde_json::{Map, Value};

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
        Err(error) => Err(classify(text, &error)),
    }
}

/// Tells apart, for a frame serde refused, the reasons a client can act on. Only the error
/// path parses the frame a second time.
fn classify(text: &str, error: &serde_json::Error) -> ProtocolError {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        // The parser's own error: serde's for the enum may quote the client's `type` in full.
        Err(syntax) if syntax.to_string().starts_with("number out of range") => {
            let field = field_before(text, &syntax);
            let what = field.unwrap_or("a number");
            return ProtocolError {
                code: ErrorCode::InvalidField,
                message: format!("{what} is out of range"),
                field,
            };
        }
        Err(syntax) => {
            return ProtocolError::new(ErrorCode::InvalidJson, format!("not valid JSON: {syntax}"));
        }
    };
    let Some(object) = value.as_object() else {
        return not_an_object();
    };
    let Some(kind) = object.get("type").and_then(Value::as_str) else {
        return ProtocolError::new(ErrorCode::MissingType, "a message needs a string 'type'");
    };
    if !ClientMessage::TYPE_NAMES.contains(&kind) {
        let shown: String = kind.chars().take(40).collect();
        return ProtocolError::new(
            ErrorCode::UnknownType,
            format!("unknown message type '{shown}'"),
        );
    }
    let reason = error.to_string();
    let field = field_named_in(&reason);
    if field.is_none()
        && let Some((field, shape)) = field_of_wrong_type(kind, object)
    {
        let expected = shape.describe();
        return ProtocolError::field(
            field,
            format!("invalid '{kind}' message: '{field}' must be {expected}"),
        );
    }
    // serde quotes offending string values in full; a client needs only the start.
    let reason: String = strip_position(&reason)
        .chars()
        .take(MAX_REASON_CHARS)
        .collect();
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

/// Whether the text, past JSON whitespace, opens an object.
fn starts_as_object(text: &str) -> bool {
    text.trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
}

/// The JSON types a message field accepts.
#[derive(Clone, Copy)]
enum Shape {
    Text,
    OptionalText,
    OptionalNumber,
    OptionalBool,
}

impl Shape {
    fn accepts(self, value: &Value) -> bool {
        match self {
            Self::Text => value.is_string(),
            Self::OptionalText => value.is_string() || value.is_null(),
            Self::OptionalNumber => value.is_number() || value.is_null(),
            Self::OptionalBool => value.is_boolean() || value.is_null(),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Text => "a string",
            Self::OptionalText => "a string or null",
            Self::OptionalNumber => "a number or null",
            Self::OptionalBool => "a boolean or null",
        }
    }
}

/// The first field of the wrong JSON type: serde's "invalid type" messages name the value
/// but not the field.
fn field_of_wrong_type(kind: &str, object: &Map<String, Value>) -> Option<(&'static str, Shape)> {
    let fields: &[(&'static str, Shape)] = match kind {
        "add-user" | "update-user" => &[
            ("email", Shape::Text),
            ("name", Shape::Text),
            ("latitude", Shape::OptionalNumber),
            ("longitude", Shape::OptionalNumber),
            ("isConnected", Shape::OptionalBool),
            ("room", Shape::OptionalText),
            ("accessCode", Shape::OptionalText),
            ("token", Shape::OptionalText),
            ("linkCode", Shape::OptionalText),
        ],
        "chat" => &[("text", Shape::Text), ("to", Shape::OptionalText)],
        _ => &[("to", Shape::OptionalText)],
    };
    fields.iter().copied().find(|(field, shape)| {
        object
            .get(*field)
            .is_some_and(|value| !shape.accepts(value))
    })
}

/// The fields an error can name.
const FIELDS: [&str; 11] = [
    "email",
    "name",
    "latitude",
    "longitude",
    "isConnected",
    "room",
    "text",
    "to",
    "accessCode",
    "token",
    "linkCode",
];

/// The field serde names in a "missing field `x`" or "duplicate field `x`" message, if it is one we know.
fn field_named_in(message: &str) -> Option<&'static str> {
    let named = message.split('`').nth(1)?;
    FIELDS.into_iter().find(|field| *field == named)
}

/// The known field whose value the parser stopped in: the last `"key":` before the error.
fn field_before(text: &str, error: &serde_json::Error) -> Option<&'static str> {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(error.line().saturating_sub(1))
        .map(str::len)
        .sum();
    let before = text.get(..(line_start + error.column()).min(text.len()))?;
    let colon = before.rfind(':')?;
    let key_end = before[..colon].rfind('"')?;
    let key_start = before[..key_end].rfind('"')? + 1;
    FIELDS
        .into_iter()
        .find(|field| *field == &before[key_start..key_end])
}

/// serde_json appends " at line L column C", which means nothing to a client.
fn strip_position(message: &str) -> &str {
    message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head)
}
