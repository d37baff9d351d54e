//! Signaling read for the relay without building its payload: the relayed frame is the
//! sender's own bytes with the server's stamp spliced in before the closing brace
//! ([`RawSignal::write_relayed`]). One pass checks every value to the full decoder's rules
//! and picks out the members the server reads (`type`, `to`, the identity fields); nothing
//! of the payload is parsed into values or serialised again.
//!
//! A JSON reader takes the last of repeated keys (`JSON.parse` does, as serde does), so the
//! stamp written last is the `from` every client reads, whatever the sender wrote before
//! it; a `to` not in its normal form is written again, normalised, beside it.
//!
//! [`decode_signal`] takes only a frame the full decoder would accept as the same signal;
//! anything else (another type, an error, a repeated `type` or `to`, a null `to`) is left
//! to [`crate::decode_client_message`], which refuses it or accepts it as before.

use crate::decode::checked::Checked;
use crate::decode::starts_as_object;
use crate::identity::normalized_email;
use crate::signal::SignalKind;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Payload fields a client could read as the sender's identity: the server stamps `from`
/// itself, and a relay refuses a frame where any of these is not the sender's email.
pub const IDENTITY_FIELDS: [&str; 9] = [
    "from",
    "email",
    "sender",
    "senderEmail",
    "fromEmail",
    "user",
    "userEmail",
    "author",
    "identity",
];

/// A signaling or call-control frame, its payload unread.
#[derive(Debug)]
pub struct RawSignal<'a> {
    kind: SignalKind,
    /// The sender's frame without its closing brace (and the whitespace after it).
    body: &'a str,
    /// The target, in its normal form.
    to: Option<Cow<'a, str>>,
    /// The identity fields the payload holds: their text, or `None` for a value that is
    /// not a string. Empty (and unallocated) for nearly every frame.
    claims: Vec<Option<Cow<'a, str>>>,
}

/// Reads `text` as a signal to relay, when it is one the full decoder accepts.
pub fn decode_signal(text: &str) -> Option<RawSignal<'_>> {
    if leading_type_is_not_a_signal(text) || !starts_as_object(text) {
        return None;
    }
    let Frame { kind, to, claims } = serde_json::from_str(text).ok()?;
    let kind = SignalKind::from_tag(kind?)?;
    let to = match to {
        Target::Absent => None,
        Target::Email(raw) => Some(normalized_email(raw).ok()?),
        // A `to` of null is no target: the decoder's frame has none, so neither does this.
        Target::Null => return None,
    };
    if kind.requires_target() && to.is_none() {
        return None;
    }
    let body = text.trim_end().strip_suffix('}')?;
    Some(RawSignal {
        kind,
        body,
        to,
        claims,
    })
}

impl RawSignal<'_> {
    pub fn kind(&self) -> SignalKind {
        self.kind
    }

    pub fn to(&self) -> Option<&str> {
        self.to.as_deref()
    }

    /// The identity fields of the payload: the text of each, `None` where one is not a
    /// string. A repeated field is listed each time.
    pub fn claimed_identities(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        self.claims.iter().map(|claim| claim.as_deref())
    }

    /// Appends the relayed frame's JSON: the sender's frame as sent, then the target in
    /// its normal form if it was not sent so, then `from`, the server's stamp.
    pub fn write_relayed(&self, from: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(self.body.as_bytes());
        if let Some(Cow::Owned(to)) = &self.to {
            out.extend_from_slice(b",\"to\":");
            write_string(out, to);
        }
        out.extend_from_slice(b",\"from\":");
        write_string(out, from);
        out.push(b'}');
    }
}

fn write_string(out: &mut Vec<u8>, text: &str) {
    // An email in its normal form nearly always needs no escape: copied between quotes.
    if !text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        return;
    }
    // Serialising a string into a Vec cannot fail.
    let _ = serde_json::to_writer(out, text);
}

/// What one pass over the frame finds: its `type` if a plain string, its `to`, its
/// identity fields. A repeated `type` or `to`, either of another JSON type, or any value
/// the decoder refuses fails the read: the full decoder says why.
struct Frame<'a> {
    kind: Option<&'a str>,
    to: Target<'a>,
    claims: Vec<Option<Cow<'a, str>>>,
}

enum Target<'a> {
    Absent,
    Null,
    Email(&'a str),
}

impl<'de> Deserialize<'de> for Frame<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FrameVisitor)
    }
}

struct FrameVisitor;

impl<'de> Visitor<'de> for FrameVisitor {
    type Value = Frame<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a signal frame")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Frame<'de>, A::Error> {
        let mut frame = Frame {
            kind: None,
            to: Target::Absent,
            claims: Vec::new(),
        };
        while let Some(Text(key)) = map.next_key()? {
            match key.as_ref() {
                "type" if frame.kind.is_none() => frame.kind = Some(map.next_value()?),
                "to" if matches!(frame.to, Target::Absent) => {
                    frame.to = match map.next_value::<Option<&str>>()? {
                        Some(to) => Target::Email(to),
                        None => Target::Null,
                    }
                }
                "type" | "to" => return Err(de::Error::custom("repeated")),
                key if IDENTITY_FIELDS.contains(&key) => {
                    let Claim(claim) = map.next_value()?;
                    frame.claims.push(claim);
                }
                _ => {
                    map.next_value::<Checked>()?;
                }
            }
        }
        Ok(frame)
    }
}

/// A string, borrowed from the frame unless it had escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(text.to_owned())))
    }
}

/// An identity field's value: its text if it is a string, else checked and `None`.
struct Claim<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Claim<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(Claim(match value {
            serde_json::Value::String(text) => Some(Cow::Owned(text)),
            _ => None,
        }))
    }
}

/// Whether the frame opens with a plain `type` that no signal has (a presence or chat
/// frame, the common case of the other frames): those are not read twice.
fn leading_type_is_not_a_signal(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("{\"type\":\"") else {
        return false;
    };
    match rest.split_once('"') {
        Some((tag, _)) if !tag.contains('\\') => SignalKind::from_tag(tag).is_none(),
        _ => false,
    }
}

#[cfg(test)]
#[path = "raw_signal_tests.rs"]
mod tests;
