//! What the generator says and reads on the wire, built from the `shared` types, and how a
//! send time and a sequence number ride in a position.
//!
//! A `presence` move carries only an email and a position, so the position is the
//! message: the latitude holds the move's sequence number (`seq / 1000`, seq 0 being the
//! position given at registration) and the longitude the sender's clock in microseconds,
//! modulo 360 s (`t / 1e6 - 180`). The server rounds positions to 6 decimal places and
//! JSON keeps an `f64` exact; both values have at most 6 decimals, so the receiver rounds
//! them back to the same integers. The modulo only limits measurable latency to 6 minutes.

use memchr::memmem::Finder;
use serde::Deserialize;
use serde_json::{Map, Value};
use shared::{ChatRequest, ClientMessage, Conversation, HistoryRequest, Profile, Signal};
use std::borrow::Cow;
use std::sync::LazyLock;

pub use shared::ROOM_CONVERSATION;

/// Microseconds after which the send time in a longitude wraps.
const WRAP_US: u64 = 360_000_000;

/// The email of client number `index`: the index is readable back from presence.
pub fn email(index: usize) -> String {
    format!("u{index}@load.test")
}

/// The client number in an email made by [`email`].
pub fn index_of(email: &str) -> Option<usize> {
    email
        .strip_prefix('u')?
        .strip_suffix("@load.test")?
        .parse()
        .ok()
}

/// An `add-user` (registration) or `update-user` (move) frame for client `index`.
pub fn profile_frame(index: usize, position: (f64, f64), first: bool) -> String {
    profile_frame_as(&email(index), position, first)
}

/// The same for any email (churn and checker clients).
pub fn profile_frame_as(email: &str, (latitude, longitude): (f64, f64), first: bool) -> String {
    let profile = Profile {
        email: email.to_owned(),
        name: email.split('@').next().unwrap_or("load").to_owned(),
        latitude: Some(latitude),
        longitude: Some(longitude),
        is_connected: Some(true),
        in_call: None,
        room: None,
        access_code: None,
        token: None,
        link_code: None,
    };
    let message = if first {
        ClientMessage::AddUser(profile)
    } else {
        ClientMessage::UpdateUser(profile)
    };
    serde_json::to_string(&message).unwrap_or_default()
}

/// The position that carries move `seq` sent at `sent_us`.
pub fn encode_move(seq: u32, sent_us: u64) -> (f64, f64) {
    let latitude = f64::from(seq) / 1000.0;
    let longitude = (sent_us % WRAP_US) as f64 / 1e6 - 180.0;
    (latitude, longitude)
}

/// The sequence number and send time (modulo the wrap) carried by a position.
pub fn decode_move(latitude: f64, longitude: f64) -> (u32, u64) {
    let seq = (latitude * 1000.0).round().max(0.0) as u32;
    let sent = ((longitude + 180.0) * 1e6).round().max(0.0) as u64;
    (seq, sent)
}

/// Microseconds from a send time read back from a message to `now_us`.
pub fn latency_us(sent_mod: u64, now_us: u64) -> u64 {
    (now_us % WRAP_US + WRAP_US - sent_mod % WRAP_US) % WRAP_US
}

/// An addressed signaling frame whose opaque payload carries the send time and a number:
/// `{"type":"offer","to":..,"t":..,"n":..}`. Without `to` (the seed's way) it goes to
/// the rest of the room.
pub fn signal_frame(to: Option<&str>, sent_us: u64, number: u64) -> String {
    let mut payload = Map::new();
    payload.insert("t".into(), Value::from(sent_us));
    payload.insert("n".into(), Value::from(number));
    let signal = Signal {
        to: to.map(str::to_owned),
        payload,
    };
    serde_json::to_string(&ClientMessage::Offer(signal)).unwrap_or_default()
}

/// The part of a relayed frame the relay scenario reads; the rest is skipped unparsed.
#[derive(Debug, Deserialize)]
pub struct RelayedProbe {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub t: Option<u64>,
}

/// The start of every room or direct `chat` delivery as the server writes it (the tag
/// first): a client that only drains counts deliveries by it without parsing them.
pub const CHAT_DELIVERY_PREFIX: &str = r#"{"type":"chat","#;

/// The start of a `chats` frame: a commit's room messages, each a `chat`'s body.
pub const CHATS_DELIVERY_PREFIX: &str = r#"{"type":"chats","#;

/// How many messages a `chats` frame carries, counted without parsing it: each body opens
/// with its id (as the server writes it) and a text never holds a bare `{"id":`.
pub fn messages_in_chats(text: &str) -> usize {
    static MESSAGE_START: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(r#"{"id":"#));
    MESSAGE_START.find_iter(text.as_bytes()).count()
}

/// A `chats` frame, read for the fields of each message the chat scenario checks.
#[derive(Debug, Deserialize)]
pub struct ChatsProbe<'a> {
    #[serde(borrow)]
    pub messages: Vec<DeliveryProbe<'a>>,
}

/// One delivered message: its store id, sender and client id.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryProbe<'a> {
    pub id: u64,
    #[serde(borrow)]
    pub from: Cow<'a, str>,
    #[serde(default, borrow)]
    pub client_id: Option<Cow<'a, str>>,
}

/// A room `chat` with a client id: `{"type":"chat","text":..,"clientId":..}`.
pub fn chat_frame(text: &str, client_id: &str) -> String {
    let request = ChatRequest {
        text: text.to_owned(),
        to: None,
        client_id: Some(client_id.to_owned()),
    };
    serde_json::to_string(&ClientMessage::Chat(request)).unwrap_or_default()
}

/// A `chat-history` request for a page of the room: the latest, or with `before` the
/// page just older than that message.
pub fn history_frame(before: Option<u64>, limit: u32) -> String {
    let request = HistoryRequest {
        conversation: Some(Conversation::Room),
        before,
        after: None,
        limit: Some(u64::from(limit)),
    };
    serde_json::to_string(&ClientMessage::ChatHistory(request)).unwrap_or_default()
}

/// The parts of the chat frames the chat and history scenarios read (`chat`, `chat-ack`,
/// `chat-history`, `error`); the rest is skipped unparsed.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatProbe<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default, borrow)]
    pub from: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub client_id: Option<Cow<'a, str>>,
    #[serde(default)]
    pub duplicate: bool,
    #[serde(default, borrow)]
    pub conversation: Option<Cow<'a, str>>,
    #[serde(default)]
    pub messages: Option<Vec<MessageId>>,
    #[serde(default)]
    pub more: bool,
}

/// A message of a history page, read for its id only.
#[derive(Debug, Deserialize)]
pub struct MessageId {
    pub id: u64,
}

/// The client id of message `seq` of a run tagged `tag`: `{tag}-{seq}`.
pub fn client_id(tag: &str, seq: u64) -> String {
    format!("{tag}-{seq}")
}

/// The sequence number in a client id made by [`client_id`] for `tag`; `None` for
/// another run's.
pub fn seq_of(tag: &str, client_id: &str) -> Option<u64> {
    client_id.strip_prefix(tag)?.strip_prefix('-')?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::{Move, PresenceDelta, ServerMessage};

    #[test]
    fn a_move_survives_json() {
        let sent = 1_234_567_890_123;
        let (latitude, longitude) = encode_move(37, sent);
        let frame = profile_frame(5, (latitude, longitude), false);
        let message = shared::decode_client_message(&frame).expect("valid frame");
        let ClientMessage::UpdateUser(profile) = message else {
            panic!("not an update-user: {frame}");
        };
        let (seq, sent_mod) = decode_move(
            profile.latitude.unwrap_or_default(),
            profile.longitude.unwrap_or_default(),
        );
        assert_eq!(seq, 37);
        assert_eq!(latency_us(sent_mod, sent + 2_500), 2_500);
        assert_eq!(index_of(&profile.email), Some(5));
    }

    #[test]
    fn a_move_survives_the_servers_rounding_and_the_moved_array() {
        // More sequence numbers than any scenario sends, with send times across the wrap.
        for seq in 0..=1000 {
            let sent = u64::from(seq) * 359_999_999 + 123_456_789_012;
            let frame = profile_frame(7, encode_move(seq, sent), false);
            let Ok(ClientMessage::UpdateUser(profile)) = shared::decode_client_message(&frame)
            else {
                panic!("refused or not an update-user: {frame}");
            };
            let relayed = ServerMessage::Presence(PresenceDelta {
                moved: vec![Move {
                    email: profile.email,
                    latitude: profile.latitude.unwrap_or_default(),
                    longitude: profile.longitude.unwrap_or_default(),
                }],
                ..PresenceDelta::default()
            });
            let text = relayed.to_json();
            let Ok(ServerMessage::Presence(delta)) = serde_json::from_str(&text) else {
                panic!("not a presence: {text}");
            };
            let read = &delta.moved[0];
            assert_eq!(
                decode_move(read.latitude, read.longitude),
                (seq, sent % WRAP_US),
                "{text}"
            );
            assert_eq!(index_of(&read.email), Some(7));
        }
    }

    #[test]
    fn a_client_id_gives_back_its_number_for_its_own_run_only() {
        let id = client_id("r1a2", 42);
        assert_eq!(seq_of("r1a2", &id), Some(42));
        assert_eq!(seq_of("r1a", &id), None);
        assert_eq!(seq_of("r1a2x", &id), None);
        assert!(id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }

    #[test]
    fn chat_frames_are_the_designs_json() {
        assert_eq!(
            chat_frame("hi", "t-1"),
            r#"{"type":"chat","text":"hi","clientId":"t-1"}"#
        );
        assert_eq!(
            history_frame(Some(1234), 50),
            r#"{"type":"chat-history","conversation":"room","before":1234,"limit":50}"#
        );
        assert_eq!(
            history_frame(None, 50),
            r#"{"type":"chat-history","conversation":"room","limit":50}"#
        );
        for frame in [chat_frame("hi", "t-1"), history_frame(Some(9), 50)] {
            assert!(shared::decode_client_message(&frame).is_ok(), "{frame}");
        }
        let ack = r#"{"type":"chat-ack","clientId":"t-1","id":7,"sentAt":1,"duplicate":true}"#;
        let probe: ChatProbe = serde_json::from_str(ack).unwrap();
        assert_eq!(
            (probe.kind.as_ref(), probe.id, probe.duplicate),
            ("chat-ack", Some(7), true)
        );
        let delivery = r#"{"type":"chat","id":8,"from":"u3@load.test","name":"u3","text":"x","sentAt":1,"clientId":"t-2"}"#;
        assert!(delivery.starts_with(CHAT_DELIVERY_PREFIX));
        let probe: ChatProbe = serde_json::from_str(delivery).unwrap();
        assert_eq!(probe.from.as_deref(), Some("u3@load.test"));
        assert_eq!(probe.client_id.as_deref(), Some("t-2"));
    }

    #[test]
    fn latency_survives_the_wrap() {
        let sent = WRAP_US - 10;
        assert_eq!(latency_us(sent % WRAP_US, sent + 30), 30);
    }

    #[test]
    fn a_chats_frame_is_counted_and_read_message_by_message() {
        let delivery = |id: u64, from: &str, client_id: &str| shared::ChatDelivery {
            id,
            from: from.into(),
            name: "N".into(),
            text: format!("{client_id} lunch? {{\"id\" is not a bare one"),
            sent_at: 1,
            client_id: Some(client_id.into()),
            ..shared::ChatDelivery::default()
        };
        let batch = shared::ChatBatch {
            messages: vec![delivery(7, "a@x", "t-1"), delivery(9, "b@x", "t-2")],
        };
        let text = ServerMessage::Chats(batch).to_json();
        assert!(text.starts_with(CHATS_DELIVERY_PREFIX), "{text}");
        assert_eq!(messages_in_chats(&text), 2);
        let probe: ChatsProbe = serde_json::from_str(&text).unwrap();
        let read: Vec<(u64, &str)> = probe
            .messages
            .iter()
            .map(|m| (m.id, m.from.as_ref()))
            .collect();
        assert_eq!(read, [(7, "a@x"), (9, "b@x")]);
        assert_eq!(probe.messages[1].client_id.as_deref(), Some("t-2"));
    }
}
