//! `decode_signal`, the relay's fast path, agrees with the full decoder: a frame it takes
//! is one the decoder accepts as the same signal, relayed as the same JSON value; a signal
//! the decoder accepts and it leaves (an escaped `type`, a repeated `to`) is taken once
//! re-serialised, which is how the relay handles it. Checked on every valid fixture and on
//! every frame of the fuzz loop.

use crate::frames::valid_frames;
use crate::shown;
use serde_json::Value;
use shared::{ClientMessage, ProtocolError, ServerMessage, decode_signal};

const SENDER: &str = "alice@example.com";

/// The relayed frame of the fast path, as a JSON value.
fn fast_relayed(text: &str) -> Option<Value> {
    let signal = decode_signal(text)?;
    let mut out = Vec::new();
    signal.write_relayed(SENDER, &mut out);
    Some(serde_json::from_slice(&out).expect("the relayed frame is JSON"))
}

/// Panics unless the fast path agrees with the decoder's `outcome` for `input`.
pub fn check_agrees(input: &str, outcome: &Result<ClientMessage, ProtocolError>) {
    let slow = match outcome {
        Ok(message) => ServerMessage::relayed(message.clone(), SENDER),
        Err(_) => None,
    };
    let slow = slow.map(|relayed| serde_json::from_str::<Value>(&relayed.to_json()).unwrap());
    match (fast_relayed(input), slow) {
        (Some(fast), Some(slow)) => assert_eq!(fast, slow, "{}", shown(input)),
        (Some(_), None) => panic!("fast path took what the decoder did not: {}", shown(input)),
        (None, Some(slow)) => {
            let Ok(message) = outcome else { unreachable!() };
            let again = serde_json::to_string(message).unwrap();
            assert_eq!(fast_relayed(&again), Some(slow), "{}", shown(input));
        }
        (None, None) => {}
    }
}

#[test]
fn every_valid_fixture_is_relayed_as_the_decoder_relays_it() {
    let mut signals = 0;
    for (text, _) in valid_frames() {
        let outcome = shared::decode_client_message(&text);
        signals += usize::from(decode_signal(&text).is_some());
        check_agrees(&text, &outcome);
    }
    assert!(signals >= 10, "only {signals} signals among the fixtures");
}

#[test]
fn the_sender_bytes_go_out_as_sent_with_the_stamp_last() {
    let text = r#"{"type":"new-ice-candidate","to":"bob@example.com","from":"Alice@Example.com","candidate":{"sdpMid":"0","sdpMLineIndex":0},"t":1.50}"#;
    let signal = decode_signal(text).expect("a signal");
    let mut out = Vec::new();
    signal.write_relayed(SENDER, &mut out);
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out,
        r#"{"type":"new-ice-candidate","to":"bob@example.com","from":"Alice@Example.com","candidate":{"sdpMid":"0","sdpMLineIndex":0},"t":1.50,"from":"alice@example.com"}"#
    );
    // As a browser reads it: the last `from` counts.
    let read: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(read["from"], SENDER);
}

#[test]
fn frames_the_decoder_refuses_or_reads_otherwise_are_left_to_it() {
    for text in [
        r#"{"type":"offer","sdp":{"x":[1e400]}}"#,
        r#"{"type":"offer","sdp":"\ud800"}"#,
        r#"{"type":"call-invite"}"#,
        r#"{"type":"call-invite","to":"not an email"}"#,
        r#"{"type":"offer","to":5}"#,
        r#"{"type":"offer","type":"answer"}"#,
        r#"{"type":"offer","to":"a@b.c","to":"c@d.e"}"#,
        r#"{"type":"offer","to":null}"#,
        r#"{"type":"chat","text":"hi"}"#,
        r#"["offer"]"#,
        r#"{"type":"offer","x":1,}"#,
    ] {
        assert!(decode_signal(text).is_none(), "{text}");
        check_agrees(text, &shared::decode_client_message(text));
    }
}
