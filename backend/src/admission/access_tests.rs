//! The access rules against a real claims file: codes, claims, devices, link codes,
//! lookalikes and the delays after failures.

use super::*;
use shared::ErrorCode::*;
use std::net::Ipv4Addr;

const ALICE: &str = "alice@example.com";
const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

struct Fixture {
    access: Access,
    _folder: tempfile::TempDir,
}

fn access(code: Option<&str>, shared_emails: bool) -> Fixture {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let claims = ClaimStore::open(
        &folder.path().join("claims.sqlite3"),
        Duration::from_secs(3600),
    )
    .expect("claims");
    let config = AdmissionConfig {
        access_code: code.map(Secret::new),
        allow_shared_emails: shared_emails,
        ..AdmissionConfig::default()
    };
    Fixture {
        access: Access::new(&config, claims),
        _folder: folder,
    }
}

fn profile(code: Option<&str>, token: Option<&str>, link: Option<&str>) -> Profile {
    Profile {
        email: ALICE.into(),
        name: "Alice".into(),
        latitude: None,
        longitude: None,
        is_connected: None,
        in_call: None,
        room: None,
        access_code: code.map(str::to_owned),
        token: token.map(str::to_owned),
        link_code: link.map(str::to_owned),
    }
}

impl Fixture {
    async fn admit(&self, profile: Profile, deltas: bool) -> Result<Admitted, ErrorCode> {
        self.access
            .admit(&profile, deltas, HOME, false)
            .await
            .map_err(|e| e.code)
    }
}

#[tokio::test]
async fn the_access_code_must_match_exactly() {
    let fixture = access(Some("open sesame"), false);
    for (given, expected) in [
        (Some("open sesam"), Err(AccessDenied)),
        (Some("Open sesame"), Err(AccessDenied)),
        (Some(""), Err(AccessDenied)),
        (None, Err(AccessDenied)),
    ] {
        let outcome = fixture.admit(profile(given, None, None), false).await;
        assert_eq!(outcome.map(drop), expected, "{given:?}");
    }
    let right = fixture.admit(profile(Some("open sesame"), None, None), false);
    assert!(right.await.is_ok());
}

#[tokio::test]
async fn a_claimed_email_needs_its_token_and_the_token_stands_for_the_code() {
    let fixture = access(Some("open sesame"), false);
    let first = fixture
        .admit(profile(Some("open sesame"), None, None), true)
        .await
        .expect("claimed");
    let token = first.token.expect("a token");
    assert!(first.device.is_some() && first.created);
    // Offline or not, without the token the email is someone else's now.
    let stranger = fixture.admit(profile(Some("open sesame"), None, None), true);
    assert_eq!(stranger.await.map(drop), Err(EmailClaimed));
    let seed = fixture.admit(profile(Some("open sesame"), None, None), false);
    assert_eq!(seed.await.map(drop), Err(EmailClaimed));
    let junk = fixture.admit(
        profile(Some("open sesame"), Some("v2.junk.junk"), None),
        true,
    );
    assert_eq!(junk.await.map(drop), Err(InvalidToken));
    let again = fixture.admit(profile(None, Some(&token), None), true).await;
    assert_eq!(again.expect("the token").device, first.device);
}

#[tokio::test]
async fn a_link_code_adds_a_device_once_and_sign_out_revokes_one() {
    let fixture = access(None, false);
    let phone = fixture
        .admit(profile(None, None, None), true)
        .await
        .unwrap();
    let link = fixture
        .access
        .link_code(ALICE, phone.device.as_deref())
        .await
        .expect("a code");
    let laptop = fixture
        .admit(profile(None, None, Some(&link.code)), true)
        .await
        .expect("linked");
    assert_ne!(laptop.device, phone.device);
    let reused = fixture.admit(profile(None, None, Some(&link.code)), true);
    assert_eq!(reused.await.map(drop), Err(InvalidLinkCode));
    fixture
        .access
        .sign_out(ALICE, phone.device.as_deref(), false)
        .await
        .unwrap();
    let signed_out = fixture.admit(profile(None, phone.token.as_deref(), None), true);
    assert_eq!(signed_out.await.map(drop), Err(InvalidToken));
    let kept = fixture.admit(profile(None, laptop.token.as_deref(), None), true);
    assert!(kept.await.is_ok());
}

#[tokio::test]
async fn seed_clients_share_an_unclaimed_email_but_get_no_token() {
    let fixture = access(None, false);
    let seed = fixture
        .admit(profile(None, None, None), false)
        .await
        .unwrap();
    assert_eq!((seed.device, seed.token), (None, None));
    assert!(
        fixture
            .admit(profile(None, None, None), false)
            .await
            .is_ok()
    );
    let alice = profile(None, None, None);
    let online = fixture.access.admit(&alice, false, HOME, true).await;
    assert_eq!(online.map_err(|e| e.code).map(drop), Err(EmailInUse));
}

#[tokio::test]
async fn failures_from_a_network_earn_delays() {
    let fixture = access(Some("open sesame"), false);
    let mut refusals = Vec::new();
    for _ in 0..8 {
        let outcome = fixture
            .admit(profile(Some("guess"), None, None), false)
            .await;
        refusals.push(outcome.map(drop).unwrap_err());
    }
    assert_eq!(&refusals[..6], &[AccessDenied; 6]);
    assert_eq!(&refusals[6..], &[TooManyAttempts; 2]);
}

#[tokio::test]
async fn shared_emails_claim_nothing() {
    let fixture = access(None, true);
    let first = fixture
        .admit(profile(None, None, None), true)
        .await
        .unwrap();
    assert_eq!(first.device, None);
    assert!(first.token.is_some() && first.may_join_online);
    assert!(fixture.admit(profile(None, None, None), true).await.is_ok());
    assert_eq!(
        fixture
            .access
            .link_code(ALICE, None)
            .await
            .map(drop)
            .unwrap_err()
            .code,
        NoDevice
    );
}
