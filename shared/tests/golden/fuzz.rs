//! A property loop without extra crates: tens of thousands of random and mutated frames.
//! Whatever comes in, decoding must not panic, every refusal must carry a short readable
//! message, and every accepted message must obey the field rules and survive a round trip.

use crate::frames::valid_frames;
use crate::shown;
use serde_json::{Value, json};
use shared::{
    CHAT_TEXT_MAX_CHARS, ClientMessage, ErrorCode, ErrorFrame, NAME_MAX_CHARS, ProtocolError,
    ServerMessage, decode_client_message, normalize_email, normalize_room,
};
use std::panic;

/// The longest refusal message a client should ever be sent.
const MAX_MESSAGE_CHARS: usize = 200;

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn token(&mut self) -> &'static str {
        TOKENS[self.below(TOKENS.len())]
    }
}

/// Pieces that matter to a JSON parser and to the validation rules.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    " ",
    "\\",
    "\\u",
    "\\u0000",
    "0",
    "-",
    "1e400",
    "-0",
    "90.0001",
    "1.5",
    "null",
    "true",
    "false",
    "\"type\"",
    "\"add-user\"",
    "\"update-user\"",
    "\"chat\"",
    "\"offer\"",
    "\"sdp-offer\"",
    "\"call-invite\"",
    "\"hang-up\"",
    "\"email\"",
    "\"name\"",
    "\"text\"",
    "\"to\"",
    "\"from\"",
    "\"room\"",
    "\"latitude\"",
    "\"longitude\"",
    "\"isConnected\"",
    "\"a@b.c\"",
    "\"A\"",
    "\"\\u0007\"",
    "é",
    "👋",
    "\u{0}",
    "\u{7}",
    "\n",
    "\u{feff}",
    "\u{2028}",
    "ａ",
    "。",
    "\u{301}\u{301}\u{301}",
    "\u{3164}",
];

/// Replacement characters for the character-flip pass.
const FLIPS: &[char] = &[
    '"', '\\', '{', '}', '[', ']', ':', ',', '0', '9', '-', 'e', '.', ' ', 'n', 't', 'x', '@',
    '\u{0}', '\u{7}', '\n', 'é', '👋', 'ａ', '\u{301}', '\u{200B}',
];

/// Decodes `input` and checks the outcome; panics naming the input on any violation.
fn check(input: &str) {
    let Ok(outcome) = panic::catch_unwind(|| decode_client_message(input)) else {
        panic!("decode_client_message panicked on {:?}", shown(input));
    };
    crate::raw_signal::check_agrees(input, &outcome);
    match outcome {
        Ok(message) => check_accepted(input, message),
        Err(error) => check_refused(input, error),
    }
}

fn check_refused(input: &str, error: ProtocolError) {
    let context = || format!("input {:?} -> {error:?}", shown(input));
    assert!(
        !error.message.trim().is_empty(),
        "empty message: {}",
        context()
    );
    assert!(
        error.message.chars().count() <= MAX_MESSAGE_CHARS,
        "long message: {}",
        context()
    );
    assert!(
        !error.message.starts_with(char::is_uppercase),
        "capitalised: {}",
        context()
    );
    assert!(
        matches!(
            error.code,
            ErrorCode::InvalidJson
                | ErrorCode::MissingType
                | ErrorCode::UnknownType
                | ErrorCode::InvalidField
                | ErrorCode::MissingTarget
                | ErrorCode::UnknownConversation
        ),
        "a code only the server may give: {}",
        context()
    );
    if error.code == ErrorCode::UnknownConversation {
        assert_eq!(error.field, Some("conversation"), "{}", context());
    } else if error.field.is_some() {
        assert_eq!(error.code, ErrorCode::InvalidField, "{}", context());
    }
    let frame = ServerMessage::Error(ErrorFrame::from(error.clone()));
    let json = frame.to_json();
    assert_eq!(
        serde_json::from_str::<ServerMessage>(&json).ok(),
        Some(frame),
        "{}",
        context()
    );
}

fn check_accepted(input: &str, message: ClientMessage) {
    let context = || format!("input {:?} -> {message:?}", shown(input));
    match &message {
        ClientMessage::AddUser(profile) | ClientMessage::UpdateUser(profile) => {
            assert_eq!(
                normalize_email(&profile.email).as_ref(),
                Ok(&profile.email),
                "{}",
                context()
            );
            let name = profile.name.as_str();
            assert_eq!(name.trim(), name, "{}", context());
            assert!(
                (1..=NAME_MAX_CHARS).contains(&name.chars().count()),
                "{}",
                context()
            );
            assert!(!name.chars().any(char::is_control), "{}", context());
            match (profile.latitude, profile.longitude) {
                (Some(latitude), Some(longitude)) => {
                    assert!(
                        latitude.abs() <= 90.0 && longitude.abs() <= 180.0,
                        "{}",
                        context()
                    );
                }
                (None, None) => {}
                _ => panic!("half a position: {}", context()),
            }
            if let Some(room) = &profile.room {
                assert_eq!(normalize_room(room).as_ref(), Ok(room), "{}", context());
            }
        }
        ClientMessage::Chat(request) => {
            assert!(!request.text.trim().is_empty(), "{}", context());
            assert!(
                request.text.chars().count() <= CHAT_TEXT_MAX_CHARS,
                "{}",
                context()
            );
            let allowed = |c: char| !c.is_control() || c == '\n' || c == '\t';
            assert!(request.text.chars().all(allowed), "{}", context());
        }
        _ => {}
    }
    if let Some(signal) = message.signal() {
        assert!(
            signal.to.is_some() || !message.requires_target(),
            "{}",
            context()
        );
        assert!(!signal.payload.contains_key("type"), "{}", context());
    }
    if let Some(to) = message.signal().and_then(|s| s.to.as_ref()) {
        assert_eq!(normalize_email(to).as_ref(), Ok(to), "{}", context());
    }

    let again = serde_json::to_string(&message).unwrap();
    assert_eq!(
        decode_client_message(&again).as_ref(),
        Ok(&message),
        "{} via {again}",
        context()
    );

    match ServerMessage::relayed(message.clone(), "fuzz@example.com") {
        Some(relayed) => {
            assert!(message.signal().is_some(), "{}", context());
            let json = relayed.to_json();
            let read: ServerMessage = serde_json::from_str(&json).unwrap_or_else(|error| {
                panic!("{json} does not read back ({error}): {}", context())
            });
            assert_eq!(read, relayed, "{}", context());
            let value: Value = serde_json::from_str(&json).unwrap();
            assert_eq!(value["from"], "fuzz@example.com", "{}", context());
            assert_eq!(value["type"], message.type_name(), "{}", context());
        }
        None => assert!(message.signal().is_none(), "{}", context()),
    }
}

/// The valid frames, plus a few that exercise normalisation, as mutation seeds.
fn seeds() -> Vec<String> {
    let mut seeds: Vec<String> = valid_frames().into_iter().map(|(text, _)| text).collect();
    seeds.push(
        r#"{"type":"offer","to":"Bob@Example.com","from":"eve@example.com","x":[1,{"y":null}]}"#
            .into(),
    );
    seeds.push(r#"{"type":"add-user","email":"a@b.c","name":"A","latitude":90,"longitude":-180,"room":"R"}"#.into());
    seeds
}

#[test]
fn truncating_a_valid_frame_anywhere_never_panics() {
    let mut checked = 0;
    for seed in seeds() {
        for (end, _) in seed.char_indices() {
            check(&seed[..end]);
            check(&seed[end..]);
            checked += 2;
        }
        check(&seed);
    }
    assert!(checked > 1000, "only {checked} inputs");
}

#[test]
fn flipping_any_character_of_a_valid_frame_never_panics() {
    let mut checked = 0;
    for seed in seeds() {
        let chars: Vec<char> = seed.chars().collect();
        for position in 0..chars.len() {
            for &flip in FLIPS {
                let mut mutated = chars.clone();
                mutated[position] = flip;
                check(&mutated.iter().collect::<String>());
                let mut inserted = chars.clone();
                inserted.insert(position, flip);
                check(&inserted.iter().collect::<String>());
                checked += 2;
            }
            let mut removed = chars.clone();
            removed.remove(position);
            check(&removed.iter().collect::<String>());
        }
    }
    assert!(checked > 10_000, "only {checked} inputs");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..5_000 {
        let length = rng.below(64);
        let bytes: Vec<u8> = (0..length).map(|_| rng.next() as u8).collect();
        check(&String::from_utf8_lossy(&bytes));
        let printable: String = bytes.iter().map(|b| char::from(b' ' + b % 95)).collect();
        check(&printable);
    }
}

#[test]
fn random_token_soup_never_panics() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for _ in 0..10_000 {
        let count = rng.below(24);
        let text: String = (0..count).map(|_| rng.token()).collect();
        check(&text);
        check(&format!("{{\"type\":{text}"));
    }
}

#[test]
fn random_edits_of_valid_frames_never_panic() {
    let seeds = seeds();
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    for _ in 0..10_000 {
        let mut text = rng.pick(&seeds).clone();
        for _ in 0..1 + rng.below(4) {
            let boundaries: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .collect();
            let at = *rng.pick(&boundaries);
            match rng.below(3) {
                0 => text.insert_str(at, rng.token()),
                1 => text.truncate(at),
                _ => {
                    let end = *rng.pick(&boundaries);
                    let (start, end) = (at.min(end), at.max(end));
                    text.replace_range(start..end, rng.token());
                }
            }
        }
        check(&text);
    }
}

#[test]
fn random_well_formed_objects_never_panic() {
    let values = [
        json!(null),
        json!(true),
        json!(0),
        json!(-91),
        json!(90),
        json!(180.5),
        json!(1e308),
        json!(""),
        json!("  "),
        json!("Alice"),
        json!(" Bob@Example.COM "),
        json!("a@b@c"),
        json!("team a"),
        json!("Team-A"),
        json!("ding\u{7}"),
        json!("line\nnext"),
        json!("é".repeat(65)),
        json!("👋".repeat(2001)),
        json!([]),
        json!({"type": "offer", "sdp": "v=0"}),
    ];
    let fields = [
        "email",
        "name",
        "latitude",
        "longitude",
        "isConnected",
        "room",
        "text",
        "to",
        "from",
        "sdp",
    ];
    let mut rng = Rng(0x5151_5151_5151_5151);
    let mut accepted = 0;
    for _ in 0..20_000 {
        let mut frame = serde_json::Map::new();
        frame.insert(
            "type".into(),
            (*rng.pick(&ClientMessage::TYPE_NAMES)).into(),
        );
        for _ in 0..rng.below(fields.len() + 1) {
            frame.insert((*rng.pick(&fields)).into(), rng.pick(&values).clone());
        }
        let text = Value::Object(frame).to_string();
        accepted += usize::from(decode_client_message(&text).is_ok());
        check(&text);
    }
    assert!(
        accepted > 1000,
        "the generator rarely makes a valid frame: {accepted}"
    );
}

#[test]
fn deep_nesting_and_huge_frames_are_refused_without_overflow() {
    check(&"[".repeat(100_000));
    check(&"{\"a\":".repeat(100_000));
    check(&format!(
        r#"{{"type":"offer","x":{}}}"#,
        "[".repeat(100_000)
    ));
    check(&format!(
        r#"{{"type":"offer","x":{}1{}}}"#,
        "[".repeat(120),
        "]".repeat(120)
    ));
    check(&format!(
        r#"{{"type":"chat","text":"{}"}}"#,
        "a".repeat(1 << 20)
    ));
    check(&format!(r#"{{"type":"{}"}}"#, "\\u0041".repeat(10_000)));
}
