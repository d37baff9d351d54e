//! The fast path's own rules: which frames it leaves at a glance, the stamp written last,
//! the identity fields it reports.

use super::*;

fn relayed(text: &str, from: &str) -> String {
    let signal = decode_signal(text).expect("a signal");
    let mut out = Vec::new();
    signal.write_relayed(from, &mut out);
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn presence_and_chat_frames_are_left_at_a_glance() {
    assert!(leading_type_is_not_a_signal(
        r#"{"type":"update-user","email":"a@b.c"}"#
    ));
    assert!(leading_type_is_not_a_signal(
        r#"{"type":"chat","text":"hi"}"#
    ));
    assert!(!leading_type_is_not_a_signal(r#"{"type":"offer"}"#));
    assert!(!leading_type_is_not_a_signal(r#"{ "type":"chat"}"#));
    assert!(!leading_type_is_not_a_signal(r#"{"type":"of\u0066er"}"#));
}

#[test]
fn the_frame_goes_out_as_sent_with_the_stamp_last() {
    assert_eq!(
        relayed(
            r#"{"type":"offer","to":"bob@x.y","sdp":{"a":[1,2]}} "#,
            "me@x.y"
        ),
        r#"{"type":"offer","to":"bob@x.y","sdp":{"a":[1,2]},"from":"me@x.y"}"#
    );
    assert_eq!(
        relayed(r#"{"type":"offer","to":" Bob@X.y"}"#, "me@x.y"),
        r#"{"type":"offer","to":" Bob@X.y","to":"bob@x.y","from":"me@x.y"}"#
    );
}

#[test]
fn identity_fields_are_reported_with_escaped_keys_and_values_of_any_type() {
    let text = r#"{"type":"offer","fr\u006fm":"x@y.z","user":5,"email":"A@b.c","other":1}"#;
    let signal = decode_signal(text).expect("a signal");
    let claims: Vec<Option<&str>> = signal.claimed_identities().collect();
    assert_eq!(claims, [Some("x@y.z"), None, Some("A@b.c")]);
}

#[test]
fn a_string_is_written_as_serde_json_writes_it() {
    for text in [
        "bob@example.com",
        "a\"b@x.com",
        "back\\slash@x",
        "tab\there",
        "\u{7f}del",
        "josé@exämple.com",
        "",
        "\u{1}",
    ] {
        let mut out = Vec::new();
        super::write_string(&mut out, text);
        assert_eq!(out, serde_json::to_vec(text).unwrap(), "{text:?}");
    }
}
