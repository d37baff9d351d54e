//! Who a user is, spelt one way: the normal forms of emails and display names, the
//! characters neither may hold, and the confusable skeleton of an email.
//!
//! Both fields are put in NFKC, so fullwidth, decomposed and compatibility spellings become
//! the plain one; an email also has the IDNA full stops folded to `.` (as UTS #46 does) and
//! is lower-cased. What a reader cannot see and NFKC leaves in place (format, bidi and tag
//! characters, variation selectors, fillers, the braille blank, stacked combining marks)
//! is refused with a message naming the character. ASCII text skips NFKC and the Unicode
//! classes: none of them can apply to it, and nearly every email and name is ASCII.

use crate::error::ProtocolError;
use std::borrow::Cow;
use unicode_normalization::{UnicodeNormalization, is_nfkc};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// The longest name, in characters after normalisation.
pub const NAME_MAX_CHARS: usize = 64;
/// The longest email, in characters after normalisation (RFC 5321's path limit).
pub const EMAIL_MAX_CHARS: usize = 254;
/// The most combining marks (Mn, Me) in a row an email or a name may hold: every written
/// language's stacks fit once NFKC has composed them; text drawn over its neighbours does not.
pub const COMBINING_MARKS_MAX_RUN: usize = 2;

/// The most characters one character of NFKC's output can stand for (U+1F82 is four):
/// text longer than this many times a limit is over it however it normalises, so it is
/// refused before NFKC spends any time on it.
const NFKC_MAX_COMPOSITION: usize = 4;

/// The full stops UTS #46 maps to `.` in domain names: ideographic, fullwidth, halfwidth.
const FULL_STOP_VARIANTS: [char; 3] = ['\u{3002}', '\u{FF0E}', '\u{FF61}'];

/// Trims an email, puts it in NFKC, folds the IDNA full stops to `.` and lower-cases it; then
/// checks it: no whitespace, control or invisible character, at most
/// [`COMBINING_MARKS_MAX_RUN`] combining marks in a row, one `@` with text on both sides,
/// and at most [`EMAIL_MAX_CHARS`] (counted after normalisation).
pub fn normalize_email(raw: &str) -> Result<String, ProtocolError> {
    normalized_email(raw).map(Cow::into_owned)
}

/// [`normalize_email`], borrowing `raw` when it is already in its normal form (nearly
/// every email a client sends back, having had it from the server).
pub fn normalized_email(raw: &str) -> Result<Cow<'_, str>, ProtocolError> {
    if is_plain_email(raw) {
        return Ok(Cow::Borrowed(raw));
    }
    checked_email(raw)
}

/// [`normalized_email`]'s full checks, for any text.
fn checked_email(raw: &str) -> Result<Cow<'_, str>, ProtocolError> {
    let invalid = |why: &str| ProtocolError::field("email", format!("email {why}"));
    let too_long = || invalid(&format!("is longer than {EMAIL_MAX_CHARS} characters"));
    let trimmed = raw.trim();
    let email = if trimmed.is_ascii() {
        if trimmed.len() == raw.len() && !raw.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Borrowed(raw)
        } else {
            Cow::Owned(trimmed.to_ascii_lowercase())
        }
    } else if trimmed.chars().count() > EMAIL_MAX_CHARS * NFKC_MAX_COMPOSITION {
        return Err(too_long());
    } else {
        Cow::Owned(fold_email(trimmed))
    };
    if email.is_empty() {
        return Err(invalid("is empty"));
    }
    if email.chars().count() > EMAIL_MAX_CHARS {
        return Err(too_long());
    }
    if let Some(why) = refusal(&email, Space::Refused) {
        return Err(invalid(&why));
    }
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
        {
            Ok(email)
        }
        _ => Err(invalid("must look like name@domain")),
    }
}

/// Whether `raw` is an email in its normal form that the checks below accept, read in
/// one pass: printable ASCII without upper case or space (so nothing to trim, fold or
/// refuse), one `@` with text on both sides, within [`EMAIL_MAX_CHARS`]. Nearly every
/// email a client sends back is; anything else takes the full checks.
fn is_plain_email(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    if bytes.len() > EMAIL_MAX_CHARS {
        return false;
    }
    let mut ats = 0;
    for &b in bytes {
        if !(b'!'..=b'~').contains(&b) || b.is_ascii_uppercase() {
            return false;
        }
        ats += usize::from(b == b'@');
    }
    ats == 1 && bytes.first() != Some(&b'@') && bytes.last() != Some(&b'@')
}

/// The UTS #39 skeleton of an email already normalised by [`normalize_email`], lower-cased:
/// two emails with the same skeleton look alike, so a server may refuse one that is
/// confusable with a different email it already knows. Cyrillic `аlice@x.com` and Greek
/// `bοb@x.com` have the skeletons of their Latin lookalikes. The skeleton decomposes
/// (NFD) and keeps accents, so `josé` and `jose` differ. ASCII maps too, as UTS #39 says:
/// `m` becomes `rn`, `1` and `I` become `l`, and `0` becomes `O` (so `o` once lower-cased):
/// `rn@x.com` and `m@x.com`, or `b0b@x.com` and `bob@x.com`, share a skeleton.
pub fn email_skeleton(email: &str) -> String {
    ascii_skeleton(email).unwrap_or_else(|| unicode_skeleton(email))
}

/// UTS #39's skeleton, lower-cased, by `unicode_security`: each character's decomposition
/// looked up in its table.
fn unicode_skeleton(text: &str) -> String {
    unicode_security::skeleton(text)
        .collect::<String>()
        .to_lowercase()
}

/// Each ASCII character's skeleton where it is ASCII too, as [`unicode_skeleton`] gives it.
static ASCII_SKELETONS: std::sync::LazyLock<[Option<Box<str>>; 128]> =
    std::sync::LazyLock::new(|| {
        std::array::from_fn(|byte| {
            let skeleton = unicode_skeleton(char::from(byte as u8).encode_utf8(&mut [0; 4]));
            skeleton.is_ascii().then(|| skeleton.into())
        })
    });

/// The skeleton of an ASCII email from [`ASCII_SKELETONS`]: ASCII is its own decomposition
/// and is lower-cased a character at a time, so the skeleton of a string of characters whose
/// skeletons are ASCII is theirs end to end. `None` for any other email.
fn ascii_skeleton(email: &str) -> Option<String> {
    if !email.is_ascii() {
        return None;
    }
    let table = &*ASCII_SKELETONS;
    let mut skeleton = String::with_capacity(email.len() + 8);
    for byte in email.bytes() {
        skeleton.push_str(table.get(usize::from(byte))?.as_deref()?);
    }
    Some(skeleton)
}

/// Trims a display name and puts it in NFKC (trimmed again: NFKC can start a name with a
/// space); then checks it: 1 to [`NAME_MAX_CHARS`] characters after NFKC, no control or
/// invisible character, no whitespace but the plain space, at most
/// [`COMBINING_MARKS_MAX_RUN`] combining marks in a row, and one visible character at least.
pub(crate) fn normalize_name(raw: &str) -> Result<String, ProtocolError> {
    let invalid = |why: &str| ProtocolError::field("name", format!("name {why}"));
    let wrong_length = || invalid(&format!("must be 1 to {NAME_MAX_CHARS} characters"));
    let trimmed = raw.trim();
    let normal = if trimmed.is_ascii() {
        Cow::Borrowed(trimmed)
    } else if trimmed.chars().count() > NAME_MAX_CHARS * NFKC_MAX_COMPOSITION {
        return Err(wrong_length());
    } else {
        nfkc(trimmed)
    };
    let name = normal.trim();
    let length = name.chars().count();
    if length == 0 || length > NAME_MAX_CHARS {
        return Err(wrong_length());
    }
    if let Some(why) = refusal(name, Space::Allowed) {
        return Err(invalid(&why));
    }
    if !name.is_ascii() && !name.chars().any(is_visible) {
        return Err(invalid("has no visible character"));
    }
    Ok(name.to_owned())
}

/// Whether `c` is a character no email, name or room may hold (see [`Refused`]).
pub(crate) fn is_refused(c: char) -> bool {
    Refused::of(c).is_some()
}

/// NFKC, then the IDNA full stops as `.`, then lower case, and NFKC again where lower case
/// made a pair NFKC composes (`W` and a ring above have no composed form, `ẘ` has), so the
/// result is a fixed point.
fn fold_email(text: &str) -> String {
    let folded: String = nfkc(text).chars().map(fold_full_stop).collect();
    let lower = folded.to_lowercase();
    if is_nfkc(&lower) {
        lower
    } else {
        lower.nfkc().collect()
    }
}

fn fold_full_stop(c: char) -> char {
    if FULL_STOP_VARIANTS.contains(&c) {
        '.'
    } else {
        c
    }
}

fn nfkc(text: &str) -> Cow<'_, str> {
    if is_nfkc(text) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfkc().collect())
    }
}

/// Whether the plain space may appear in the field (names) or not (emails).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Space {
    Allowed,
    Refused,
}

/// Why `text` may not be an email or a name, as the end of a sentence, or `None`.
fn refusal(text: &str, space: Space) -> Option<String> {
    let refused = |c: char| !(c == ' ' && space == Space::Allowed) && is_refused(c);
    if text.is_ascii() {
        // No combining marks, and only controls and the space can be refused (ASCII's
        // other whitespace is control characters).
        let space_refused = space == Space::Refused;
        return text
            .bytes()
            .find(|&b| b.is_ascii_control() || (b == b' ' && space_refused))
            .map(|b| contains(char::from(b)));
    }
    let mut marks_in_a_row = 0;
    for c in text.chars() {
        if refused(c) {
            return Some(contains(c));
        }
        if c.is_ascii() || !is_combining_mark(c) {
            marks_in_a_row = 0;
        } else if marks_in_a_row == COMBINING_MARKS_MAX_RUN {
            return Some(format!(
                "has more than {COMBINING_MARKS_MAX_RUN} combining marks in a row"
            ));
        } else {
            marks_in_a_row += 1;
        }
    }
    None
}

/// "contains a tag character (U+E0041)": which kind of character, and which one.
fn contains(c: char) -> String {
    let kind = Refused::of(c).map_or("a refused character", Refused::describe);
    format!("contains {kind} (U+{:04X})", u32::from(c))
}

/// A nonspacing or enclosing mark: drawn over the character before it, so they can stack.
fn is_combining_mark(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::NonspacingMark | GeneralCategory::EnclosingMark
    )
}

/// Once [`refusal`] has passed a name, only spaces and marks can be unseen on their own.
fn is_visible(c: char) -> bool {
    c != ' '
        && !matches!(
            c.general_category(),
            GeneralCategory::NonspacingMark
                | GeneralCategory::SpacingMark
                | GeneralCategory::EnclosingMark
        )
}

/// The kinds of character an email or a name may not hold: unseen, or seen as something
/// else, they let one identity pass for another. Together they cover every
/// Default_Ignorable_Code_Point (the tests check this against unicode-security's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refused {
    Control,
    Whitespace,
    TagCharacter,
    VariationSelector,
    BidiControl,
    HangulFiller,
    BrailleBlank,
    /// General category Cf: zero-width spaces and joiners, the soft hyphen, U+180E...
    FormatCharacter,
    /// The rest of Default_Ignorable_Code_Point (U+034F, unassigned ignorables).
    InvisibleCharacter,
}

impl Refused {
    fn of(c: char) -> Option<Self> {
        if c.is_control() {
            return Some(Self::Control);
        }
        if c.is_whitespace() {
            return Some(Self::Whitespace);
        }
        if c.is_ascii() {
            return None;
        }
        match c {
            '\u{E0000}'..='\u{E007F}' => Some(Self::TagCharacter),
            '\u{FE00}'..='\u{FE0F}'
            | '\u{E0100}'..='\u{E01EF}'
            | '\u{180B}'..='\u{180D}'
            | '\u{180F}' => Some(Self::VariationSelector),
            '\u{061C}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}' => Some(Self::BidiControl),
            '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' => Some(Self::HangulFiller),
            '\u{2800}' => Some(Self::BrailleBlank),
            _ if c.general_category() == GeneralCategory::Format => Some(Self::FormatCharacter),
            '\u{034F}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{2065}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{E0080}'..='\u{E0FFF}' => Some(Self::InvisibleCharacter),
            _ => None,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Control => "a control character",
            Self::Whitespace => "whitespace",
            Self::TagCharacter => "a tag character",
            Self::VariationSelector => "a variation selector",
            Self::BidiControl => "a bidirectional control",
            Self::HangulFiller => "a hangul filler",
            Self::BrailleBlank => "a braille blank",
            Self::FormatCharacter => "an invisible format character",
            Self::InvisibleCharacter => "an invisible character",
        }
    }
}

#[cfg(test)]
mod tests;
