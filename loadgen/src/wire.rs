//! What the generator says and reads on the wire, built from the `shared` types, and how a
//! send time and a sequence number ride in a position.
//!
//! A `presence` move carries only an email and a position, so the position is the
//! message: the latitude holds the move's sequence number (`seq / 1000`, seq 0 being the
//! position given at registration) and the longitude the sender's clock in microseconds,
//! modulo 360 s (`t / 1e6 - 180`). The server rounds positions to 6 decimal places and
//! JSON keeps an `f64` exact; both values have at most 6 decimals, so the receiver rounds
//! them back to the same integers. The modulo only limits measurable latency to 6 minutes.

use serde::Deserialize;
use serde_json::{Map, Value};
use shared::{ClientMessage, Profile, Signal};

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
    fn latency_survives_the_wrap() {
        let sent = WRAP_US - 10;
        assert_eq!(latency_us(sent % WRAP_US, sent + 30), 30);
    }
}
