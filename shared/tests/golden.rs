//! Golden tests of the wire contract: the exact JSON of every server message, the decoding
//! of every client message (the seed's recorded frames and the browser's own included), the
//! refusals with their error codes, positions (the `moved` array, rounding), and a fuzz loop
//! proving the decoder never panics.
//!
//! One test binary; each module below is one part of the contract. The frames' texts live in
//! `fixtures/wire.json` (`golden/fixtures.rs`), which the browser codec's tests read too.

#[path = "golden/chat.rs"]
mod chat;
#[path = "golden/client_decode.rs"]
mod client_decode;
#[path = "golden/fixtures.rs"]
mod fixtures;
#[path = "golden/frames.rs"]
mod frames;
#[path = "golden/fuzz.rs"]
mod fuzz;
#[path = "golden/identities.rs"]
mod identities;
#[path = "golden/positions.rs"]
mod positions;
#[path = "golden/raw_signal.rs"]
mod raw_signal;
#[path = "golden/refused_fields.rs"]
mod refused_fields;
#[path = "golden/refused_frames.rs"]
mod refused_frames;
#[path = "golden/relay.rs"]
mod relay;
#[path = "golden/server_json.rs"]
mod server_json;

use serde_json::{Map, Value};
use shared::{ClientMessage, ErrorCode, ProtocolError, decode_client_message};

/// The start of a frame, for failure messages about frames that may be kilobytes long.
pub fn shown(text: &str) -> String {
    let start: String = text.chars().take(160).collect();
    if start.len() < text.len() {
        format!("{start}… ({} bytes)", text.len())
    } else {
        start
    }
}

/// A JSON object literal as the map a payload holds.
#[track_caller]
pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Decodes a frame that must be accepted.
#[track_caller]
pub fn decoded(text: &str) -> ClientMessage {
    decode_client_message(text).unwrap_or_else(|error| panic!("refused {}: {error:?}", shown(text)))
}

/// Decodes a frame that must be refused with `code`, and returns the error.
#[track_caller]
pub fn refused(text: &str, code: ErrorCode) -> ProtocolError {
    match decode_client_message(text) {
        Ok(message) => panic!("accepted {}: {message:?}", shown(text)),
        Err(error) => {
            assert_eq!(
                error.code,
                code,
                "wrong code for {}: {error:?}",
                shown(text)
            );
            error
        }
    }
}

/// Decodes a frame that must be refused as `invalid-field` naming `field`.
#[track_caller]
pub fn refused_field(text: &str, field: &str) -> ProtocolError {
    let error = refused(text, ErrorCode::InvalidField);
    assert_eq!(
        error.field,
        Some(field),
        "wrong field for {}: {error:?}",
        shown(text)
    );
    error
}

/// An `add-user` frame for Alice with `extra` fields added or replaced.
pub fn add_user_with(extra: Value) -> String {
    let mut frame = object(serde_json::json!({
        "type": "add-user",
        "email": "alice@example.com",
        "name": "Alice",
    }));
    frame.extend(object(extra));
    Value::Object(frame).to_string()
}
