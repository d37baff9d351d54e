//! The TURN REST API credentials: the draft's shape, the HMAC coturn checks, the renewal
//! point, and refused settings.

use super::*;

fn config(ttl: Duration) -> TurnConfig {
    let urls = vec!["turn:turn.example.com:3478?transport=udp".to_owned()];
    TurnConfig::new(Secret::new("s3cret"), urls, ttl).expect("valid")
}

#[test]
fn username_is_expiry_and_an_opaque_id_and_password_its_hmac() {
    let now = UNIX_EPOCH + Duration::from_secs(1_767_139_200);
    let issued = config(DEFAULT_TURN_TTL).issue_at(now);
    let (expiry, id) = issued.username.split_once(':').expect("expiry:id");
    assert_eq!(expiry, "1767225600");
    assert_eq!(id.len(), ID_CHARS);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
    // The fixture's pair (shared/tests/fixtures/wire.json), computed independently.
    let fixed = config(DEFAULT_TURN_TTL).password("1767225600:k3Xw9QpL2mZr");
    assert_eq!(fixed, "IAvgzP0Q+G1F37ia/T4qq1zFleg=");
    assert_eq!(
        issued.credential,
        config(DEFAULT_TURN_TTL).password(&issued.username)
    );
    assert_eq!(issued.urls, ["turn:turn.example.com:3478?transport=udp"]);
}

#[test]
fn each_issue_has_its_own_id() {
    let turn = config(DEFAULT_TURN_TTL);
    assert_ne!(turn.issue().username, turn.issue().username);
}

#[test]
fn renewal_comes_after_four_fifths_of_the_ttl() {
    assert_eq!(
        config(Duration::from_secs(100)).renew_after(),
        Duration::from_secs(80)
    );
}

#[test]
fn bad_settings_are_refused() {
    let ttl = DEFAULT_TURN_TTL;
    let turn = |secret: &str, urls: &[&str], ttl| {
        let urls = urls.iter().map(|url| url.to_string()).collect();
        TurnConfig::new(Secret::new(secret), urls, ttl).err()
    };
    assert_eq!(
        turn("", &["turn:t:3478"], ttl),
        Some(TurnError::EmptySecret)
    );
    assert_eq!(
        turn("s", &[], ttl),
        Some(TurnError::Incomplete("--turn-urls"))
    );
    assert_eq!(
        turn("s", &["stun:t:3478"], ttl),
        Some(TurnError::NotTurn("stun:t:3478".into()))
    );
    assert_eq!(
        turn("s", &["turns:t:443"], Duration::ZERO),
        Some(TurnError::ZeroTtl)
    );
    assert_eq!(turn("s", &["turns:t:443?transport=tcp"], ttl), None);
}

#[test]
fn debug_output_hides_the_secret() {
    let printed = format!("{:?}", config(DEFAULT_TURN_TTL));
    assert!(!printed.contains("s3cret"), "{printed}");
    assert!(printed.contains("turn.example.com"), "{printed}");
}
