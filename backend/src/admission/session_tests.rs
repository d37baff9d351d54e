//! Unit tests of session tokens and the session secret.

use super::*;

const ALICE: &str = "alice@example.com";
const NOW: u64 = 1_764_060_000;

fn key() -> SessionKey {
    SessionKey::random()
}

#[test]
fn a_token_verifies_for_its_email_and_room_until_it_expires() {
    let key = key();
    let token = key.issue(ALICE, "team", NOW + 60);
    assert_eq!(key.verify(&token, ALICE, NOW), Ok("team".into()));
    assert_eq!(key.verify(&token, ALICE, NOW + 59), Ok("team".into()));
    assert_eq!(
        key.verify(&token, ALICE, NOW + 60),
        Err(TokenError::Expired)
    );
}

#[test]
fn a_token_for_another_email_is_refused() {
    let key = key();
    let token = key.issue(ALICE, "team", NOW + 60);
    assert_eq!(
        key.verify(&token, "bob@example.com", NOW),
        Err(TokenError::OtherUser)
    );
    assert_eq!(key.verify(&token, ALICE, NOW), Ok("team".into()));
}

#[test]
fn an_email_with_a_bar_round_trips() {
    let key = key();
    let email = "a|b@example.com";
    let token = key.issue(email, "team", NOW + 60);
    assert_eq!(key.verify(&token, email, NOW), Ok("team".into()));
    assert_eq!(key.verify(&token, "a", NOW), Err(TokenError::OtherUser));
}

#[test]
fn a_tampered_or_foreign_token_is_forged() {
    let key = key();
    let token = key.issue(ALICE, "team", NOW + 60);
    let (head, mac) = token.rsplit_once('.').unwrap();
    let forged_payload = URL_SAFE_NO_PAD.encode(format!("bob@example.com|team|{}", NOW + 60));
    let tampered = format!("v2.{forged_payload}.{mac}");
    assert_eq!(
        key.verify(&tampered, "bob@example.com", NOW),
        Err(TokenError::Forged)
    );
    let mut other_mac = URL_SAFE_NO_PAD.decode(mac).unwrap();
    other_mac[0] ^= 1;
    let flipped = format!("{head}.{}", URL_SAFE_NO_PAD.encode(other_mac));
    assert_eq!(key.verify(&flipped, ALICE, NOW), Err(TokenError::Forged));
    let foreign = SessionKey::random().issue(ALICE, "team", NOW + 60);
    assert_eq!(key.verify(&foreign, ALICE, NOW), Err(TokenError::Forged));
}

#[test]
fn malformed_tokens_are_refused() {
    let key = key();
    for token in [
        "", "v1", "v1.a", "v1.a.b.c", "v2.a.b", "v1.!!.??", "v1..", "junk",
    ] {
        assert!(
            matches!(
                key.verify(token, ALICE, NOW),
                Err(TokenError::Malformed | TokenError::Forged)
            ),
            "{token:?}"
        );
    }
}

#[test]
fn short_secrets_are_refused() {
    assert!(matches!(
        SessionKey::from_secret(&Secret::new("too short")),
        Err(SecretError::TooShort { bytes: 9 })
    ));
    let long = Secret::new("x".repeat(SECRET_MIN_BYTES));
    let key = SessionKey::from_secret(&long).unwrap();
    let again = SessionKey::from_secret(&long).unwrap();
    let token = key.issue(ALICE, "team", NOW + 60);
    assert_eq!(again.verify(&token, ALICE, NOW), Ok("team".into()));
}

#[test]
fn the_generated_secret_is_kept_private_and_reused() {
    let folder = tempfile::TempDir::new().unwrap();
    let data = folder.path().join("data");
    let first = SessionKey::load_or_create(&data).unwrap();
    let second = SessionKey::load_or_create(&data).unwrap();
    let token = first.issue(ALICE, "team", NOW + 60);
    assert_eq!(second.verify(&token, ALICE, NOW), Ok("team".into()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join(SECRET_FILE_NAME))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_broken_secret_file_is_an_error() {
    let folder = tempfile::TempDir::new().unwrap();
    std::fs::write(folder.path().join(SECRET_FILE_NAME), "c2hvcnQ\n").unwrap();
    assert!(matches!(
        SessionKey::load_or_create(folder.path()),
        Err(SecretError::TooShort { .. })
    ));
}

#[test]
fn secrets_are_not_printed() {
    assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(..)");
    assert_eq!(format!("{:?}", key()), "SessionKey(..)");
}
