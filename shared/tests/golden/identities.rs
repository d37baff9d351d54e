//! Identities that cannot be confused: emails and names in one normal form (NFKC, IDNA full
//! stops, lower-cased emails), every invisible, format, bidi, tag, filler or blank
//! character refused with a message naming it, stacked combining marks refused, the
//! confusable skeleton of an email, and ordinary international names and emails untouched.

use crate::{add_user_with, decoded, refused_field};
use serde_json::json;
use shared::{
    ClientMessage, NAME_MAX_CHARS, ProtocolError, email_skeleton, normalize_email, normalize_room,
};

/// The name an `add-user` with `name` registers, or the refusal.
fn name_of(name: &str) -> Result<String, ProtocolError> {
    let frame = add_user_with(json!({ "name": name }));
    match shared::decode_client_message(&frame) {
        Ok(ClientMessage::AddUser(profile)) => Ok(profile.name),
        Ok(other) => panic!("not an add-user: {other:?}"),
        Err(error) => Err(error),
    }
}

/// Asserts that `email` is refused, both alone and in a frame, with a message naming `kind`
/// and the code point.
#[track_caller]
fn assert_email_refused(email: &str, kind: &str, code_point: Option<&str>) {
    let error = refused_field(&add_user_with(json!({ "email": email })), "email");
    assert_eq!(normalize_email(email).as_ref(), Err(&error), "{email:?}");
    assert_message(&error, "email", kind, code_point);
}

#[track_caller]
fn assert_name_refused(name: &str, kind: &str, code_point: Option<&str>) {
    let error = refused_field(&add_user_with(json!({ "name": name })), "name");
    assert_message(&error, "name", kind, code_point);
}

#[track_caller]
fn assert_message(error: &ProtocolError, field: &str, kind: &str, code_point: Option<&str>) {
    let message = &error.message;
    assert!(message.starts_with(field), "{message}");
    assert!(message.contains(kind), "{message:?} does not say {kind:?}");
    if let Some(code_point) = code_point {
        assert!(
            message.contains(code_point),
            "{message:?} lacks {code_point}"
        );
    }
}

/// `c` as the `U+XXXX` a message names it by.
fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

#[test]
fn fullwidth_email_is_the_plain_email() {
    assert_eq!(normalize_email("ａlice@x.com").unwrap(), "alice@x.com");
    assert_eq!(
        normalize_email("ＡＬＩＣＥ＠ｘ．ｃｏｍ").unwrap(),
        "alice@x.com"
    );
    let profile = decoded(&add_user_with(json!({"email": " ａlice@X.com "})));
    assert!(matches!(profile, ClientMessage::AddUser(p) if p.email == "alice@x.com"));
}

#[test]
fn decomposed_accent_in_an_email_is_the_composed_one() {
    let composed = normalize_email("\u{e1}lice@x.com").unwrap();
    assert_eq!(normalize_email("a\u{301}lice@x.com").unwrap(), composed);
    assert_eq!(normalize_email("A\u{301}LICE@X.COM").unwrap(), composed);
    assert_eq!(composed, "\u{e1}lice@x.com");
}

#[test]
fn lower_case_that_composes_is_the_composed_email() {
    // No composed "W" with a ring above exists, but "ẘ" does: lower case then NFKC.
    assert_eq!(normalize_email("W\u{30A}@x.com").unwrap(), "\u{1E98}@x.com");
    assert_eq!(normalize_email("\u{1E98}@x.com").unwrap(), "\u{1E98}@x.com");
    assert_eq!(normalize_email("J\u{30C}@x.com").unwrap(), "\u{1F0}@x.com");
}

#[test]
fn ideographic_full_stops_in_an_email_are_dots() {
    for stop in ['\u{3002}', '\u{FF0E}', '\u{FF61}'] {
        let email = format!("alice@x{stop}com");
        assert_eq!(normalize_email(&email).unwrap(), "alice@x.com", "{email:?}");
    }
    assert_eq!(
        normalize_email("用户@例子。广告").unwrap(),
        "用户@例子.广告"
    );
}

#[test]
fn email_with_a_zero_width_space_is_refused() {
    for c in ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'] {
        let email = format!("alice{c}@x.com");
        assert_email_refused(&email, "invisible format character", Some(&code_point(c)));
    }
}

#[test]
fn email_with_a_soft_hyphen_is_refused() {
    assert_email_refused("al\u{AD}ice@x.com", "invisible format", Some("U+00AD"));
}

#[test]
fn email_with_a_bidi_control_is_refused() {
    for c in [
        '\u{202E}', '\u{202A}', '\u{061C}', '\u{200E}', '\u{200F}', '\u{2066}',
    ] {
        let email = format!("alice@x{c}.com");
        assert_email_refused(&email, "bidirectional control", Some(&code_point(c)));
    }
}

#[test]
fn email_with_a_tag_character_is_refused() {
    for c in ['\u{E0001}', '\u{E0041}', '\u{E007F}'] {
        let email = format!("alice{c}@x.com");
        assert_email_refused(&email, "tag character", Some(&code_point(c)));
    }
}

#[test]
fn email_with_a_variation_selector_is_refused() {
    for c in ['\u{FE0F}', '\u{FE00}', '\u{E0100}', '\u{180B}'] {
        let email = format!("alice{c}@x.com");
        assert_email_refused(&email, "variation selector", Some(&code_point(c)));
    }
}

#[test]
fn email_with_a_hangul_filler_is_refused() {
    for c in ['\u{115F}', '\u{1160}', '\u{3164}', '\u{FFA0}'] {
        // NFKC turns U+3164 and U+FFA0 into U+1160, itself a filler.
        assert_email_refused(&format!("alice{c}@x.com"), "hangul filler", None);
    }
}

#[test]
fn email_with_a_braille_blank_is_refused() {
    assert_email_refused("alice\u{2800}@x.com", "braille blank", Some("U+2800"));
}

#[test]
fn email_with_a_grapheme_joiner_or_mongolian_vowel_separator_is_refused() {
    assert_email_refused("alice\u{34F}@x.com", "invisible", Some("U+034F"));
    assert_email_refused("alice\u{180E}@x.com", "invisible", Some("U+180E"));
}

#[test]
fn email_with_unicode_whitespace_or_controls_is_refused() {
    for (c, kind) in [
        ('\u{2028}', "whitespace"),
        ('\u{1680}', "whitespace"),
        ('\u{3000}', "whitespace"),
        ('\u{A0}', "whitespace"),
        (' ', "whitespace"),
        ('\u{85}', "control character"),
        ('\u{7}', "control character"),
    ] {
        assert_email_refused(&format!("ali{c}ce@x.com"), kind, None);
    }
}

#[test]
fn email_with_more_than_two_combining_marks_in_a_row_is_refused() {
    let two = "x\u{301}\u{302}@x.com";
    assert_eq!(normalize_email(two).unwrap(), two);
    assert_email_refused("x\u{301}\u{302}\u{303}@x.com", "combining marks", None);
    let stacked = format!("x{}@x.com", "\u{301}".repeat(63));
    assert_email_refused(&stacked, "combining marks", None);
}

#[test]
fn email_length_is_counted_after_normalisation() {
    // U+338F SQUARE KG is two characters, "kg", in NFKC.
    let domain = "@example.com";
    let fits = format!("{}{domain}", "\u{338F}".repeat(121));
    assert_eq!(normalize_email(&fits).unwrap().chars().count(), 254);
    let over = format!("{}{domain}", "\u{338F}".repeat(122));
    assert!(over.chars().count() < 254);
    assert_email_refused(&over, "longer than 254", None);
}

#[test]
fn international_emails_pass_unchanged() {
    for email in [
        "jose@ejemplo.es",
        "用户@例子.广告",
        "zoë@exemple.fr",
        "ольга@пример.рф",
        "nguyễn@ví-dụ.vn",
        "δοκιμή@παράδειγμα.δοκιμή",
    ] {
        assert_eq!(normalize_email(email).as_deref(), Ok(email));
    }
    assert_eq!(
        normalize_email("ОЛЬГА@ПРИМЕР.РФ").unwrap(),
        "ольга@пример.рф"
    );
}

#[test]
fn to_is_normalised_and_refused_like_an_email() {
    let call = json!({"type": "call-invite", "to": "ＢＯＢ@x。com"}).to_string();
    assert_eq!(
        decoded(&call).signal().unwrap().to.as_deref(),
        Some("bob@x.com")
    );
    let chat = json!({"type": "chat", "text": "hi", "to": "bob\u{200B}@x.com"}).to_string();
    let error = refused_field(&chat, "to");
    assert_message(&error, "to", "invisible format character", Some("U+200B"));
}

#[test]
fn name_with_a_soft_hyphen_is_refused() {
    assert_name_refused("Al\u{AD}ice", "invisible format character", Some("U+00AD"));
}

#[test]
fn name_with_an_arabic_letter_mark_is_refused() {
    assert_name_refused("Alice\u{61C}", "bidirectional control", Some("U+061C"));
}

#[test]
fn name_with_a_mongolian_vowel_separator_is_refused() {
    assert_name_refused("Ali\u{180E}ce", "invisible", Some("U+180E"));
}

#[test]
fn name_with_a_combining_grapheme_joiner_is_refused() {
    assert_name_refused("Ali\u{34F}ce", "invisible character", Some("U+034F"));
}

#[test]
fn name_with_a_hangul_filler_is_refused() {
    for name in [
        "\u{3164}",
        "Alice\u{3164}",
        "\u{115F}",
        "A\u{1160}",
        "\u{FFA0}\u{FFA0}",
    ] {
        assert_name_refused(name, "hangul filler", None);
    }
}

#[test]
fn name_with_a_braille_blank_is_refused() {
    assert_name_refused("\u{2800}", "braille blank", Some("U+2800"));
    assert_name_refused("Al\u{2800}ice", "braille blank", Some("U+2800"));
    // A braille pattern with dots is visible.
    assert_eq!(name_of("\u{2801}").unwrap(), "\u{2801}");
}

#[test]
fn name_with_tag_characters_is_refused() {
    for c in [
        '\u{E0000}',
        '\u{E0001}',
        '\u{E0020}',
        '\u{E0041}',
        '\u{E007F}',
    ] {
        assert_name_refused(&format!("Alice{c}"), "tag character", Some(&code_point(c)));
    }
    // Tag sequences make subdivision flags; the name is refused all the same.
    let england = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}";
    assert_name_refused(england, "tag character", None);
}

#[test]
fn name_with_63_stacked_combining_marks_is_refused() {
    let marks: String = ('\u{300}'..='\u{36F}').take(63).collect();
    let stacked = format!("Z{marks}");
    assert_eq!(stacked.chars().count(), NAME_MAX_CHARS);
    assert_name_refused(&stacked, "more than 2 combining marks", None);
    assert_name_refused(
        "Zx\u{301}\u{302}\u{303}",
        "more than 2 combining marks",
        None,
    );
    assert_eq!(name_of("Zx\u{301}\u{302}").unwrap(), "Zx\u{301}\u{302}");
}

#[test]
fn name_with_a_variation_selector_or_zero_width_character_is_refused() {
    assert_name_refused("Alice\u{FE0F}", "variation selector", Some("U+FE0F"));
    assert_name_refused("Alice\u{E01EF}", "variation selector", Some("U+E01EF"));
    assert_name_refused(
        "Al\u{200D}ice",
        "invisible format character",
        Some("U+200D"),
    );
    assert_name_refused("Al\u{200E}ice", "bidirectional control", Some("U+200E"));
}

#[test]
fn name_with_a_line_separator_or_unusual_space_is_refused() {
    for c in ['\u{2028}', '\u{2029}', '\u{1680}'] {
        assert_name_refused(&format!("Al{c}ice"), "whitespace", Some(&code_point(c)));
    }
    // Spaces NFKC turns into a plain space are that space.
    assert_eq!(name_of("李\u{3000}雷").unwrap(), "李 雷");
    assert_eq!(name_of("Ana\u{A0}María").unwrap(), "Ana María");
}

#[test]
fn name_of_combining_marks_alone_is_refused() {
    for name in ["\u{301}", " \u{301}\u{302} ", "\u{20DD}", "\u{301} \u{301}"] {
        assert_name_refused(name, "no visible character", None);
    }
}

#[test]
fn name_is_put_in_nfkc() {
    assert_eq!(name_of("Ａｌｉｃｅ").unwrap(), "Alice");
    assert_eq!(name_of("Jose\u{301}").unwrap(), "Jos\u{e9}");
    assert_eq!(name_of("\u{FB01}ona").unwrap(), "fiona");
    // NFKC may start a name with a space (U+00B4 is a space and an acute): trimmed again.
    assert_eq!(name_of("\u{B4}Bob").unwrap(), "\u{301}Bob");
}

#[test]
fn name_length_is_counted_after_nfkc() {
    let decomposed = "e\u{301}".repeat(64);
    assert_eq!(name_of(&decomposed).unwrap(), "\u{e9}".repeat(64));
    assert_eq!(name_of(&"\u{338F}".repeat(32)).unwrap(), "kg".repeat(32));
    let error = name_of(&"\u{338F}".repeat(33)).unwrap_err();
    assert_message(&error, "name", "1 to 64 characters", None);
}

#[test]
fn international_names_pass_unchanged() {
    for name in [
        "José",
        "Zoë",
        "李雷",
        "Ольга",
        "Nguyễn Văn A",
        "محمد",
        "דָּוִד",
        "श्री",
        "Łukasz Żółć",
        "👋 Alice",
        "O'Brien-Smith",
    ] {
        assert_eq!(name_of(name).as_deref(), Ok(name));
    }
    assert_eq!(name_of("Zoe\u{308}").unwrap(), "Zoë");
    // NFKC splits Thai SARA AM (U+0E33) into NIKHAHIT and SARA AA; it looks the same.
    assert_eq!(name_of("น้ำ").unwrap(), "น\u{e49}\u{e4d}\u{e32}");
}

#[test]
fn cyrillic_lookalike_email_has_the_latin_one_skeleton() {
    let cyrillic = normalize_email("\u{430}lice@x.com").unwrap();
    let latin = normalize_email("alice@x.com").unwrap();
    assert_ne!(cyrillic, latin, "a different email");
    assert_eq!(email_skeleton(&cyrillic), email_skeleton(&latin));
    let greek = normalize_email("b\u{3BF}b@x.com").unwrap();
    assert_eq!(email_skeleton(&greek), email_skeleton("bob@x.com"));
    println!("skeleton of {cyrillic}: {}", email_skeleton(&cyrillic));
}

#[test]
fn different_emails_have_different_skeletons() {
    for (one, other) in [
        ("bob@x.com", "alice@x.com"),
        ("bob@x.com", "bob@y.com"),
        ("jose@x.com", "jos\u{e9}@x.com"),
        ("ольга@x.com", "olga@x.com"),
    ] {
        assert_ne!(
            email_skeleton(one),
            email_skeleton(other),
            "{one} vs {other}"
        );
    }
}

#[test]
fn ascii_lookalikes_share_a_skeleton() {
    // UTS #39 maps "m" to "rn", "1" and "I" to "l", and "0" to "O" (lower-cased: "o").
    for (one, other) in [
        ("rn@x.com", "m@x.com"),
        ("bob1@x.com", "bobl@x.com"),
        ("b0b@x.com", "bob@x.com"),
    ] {
        assert_eq!(
            email_skeleton(one),
            email_skeleton(other),
            "{one} vs {other}"
        );
        println!("{one} and {other}: {}", email_skeleton(one));
    }
}

#[test]
fn email_skeleton_is_lower_case_and_pure() {
    for email in [
        "alice@x.com",
        "\u{430}lice@x.com",
        "ｘ@ｙ.ｚ",
        "用户@例子.广告",
    ] {
        let skeleton = email_skeleton(email);
        assert_eq!(skeleton, skeleton.to_lowercase(), "{email}");
        assert_eq!(skeleton, email_skeleton(email), "{email}");
    }
    // "m" is "rn" in UTS #39, so ".com" is ".corn" in every skeleton.
    assert_eq!(email_skeleton("alice@x.com"), "alice@x.corn");
}

#[test]
fn room_with_invisible_characters_is_refused() {
    for room in [
        "team\u{200B}",
        "\u{3164}",
        "te\u{3164}am",
        "\u{115F}",
        "team\u{FFA0}",
        "team\u{AD}",
        "team\u{2800}",
        "team\u{E0041}",
        "team\u{FE0F}",
        "team\u{34F}",
        "team\u{180E}",
        "team\u{61C}",
        "team\u{202E}",
    ] {
        refused_field(&add_user_with(json!({ "room": room })), "room");
        assert!(normalize_room(room).is_err(), "{room:?}");
    }
    assert_eq!(normalize_room("Ольга-1").unwrap(), "ольга-1");
}
