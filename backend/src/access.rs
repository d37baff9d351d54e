//! Who may register as whom: the deployment's optional access code, and the session token
//! an email already online needs (`session.rs`). See `docs/SECURITY.md`.

use crate::session::{DEFAULT_SESSION_TTL, Secret, SessionKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;
use shared::{ErrorCode, Profile, ProtocolError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The hub's rules for a first registration: the access code, and the token an email
/// already online needs.
#[derive(Debug, Clone)]
pub(crate) struct Access {
    pub code: Option<Secret>,
    pub key: SessionKey,
    pub ttl: Duration,
    /// A connection may claim an email online elsewhere without its token (the seed's way).
    pub shared_emails: bool,
}

impl Access {
    pub fn of(config: &crate::ServerConfig) -> Self {
        Self {
            code: config.access_code.clone(),
            key: config.session_key.clone(),
            ttl: config.session_ttl,
            shared_emails: config.allow_shared_emails,
        }
    }

    /// No rules: no access code, and any connection may claim any email.
    pub fn open() -> Self {
        Self {
            code: None,
            key: SessionKey::random(),
            ttl: DEFAULT_SESSION_TTL,
            shared_emails: true,
        }
    }

    /// Admits or refuses the first registration of a connection as `profile.email` in
    /// `room`; `online` says whether the email has an open connection (any room).
    ///
    /// A valid token stands for the access code (it was issued after the code was given),
    /// so a browser need not keep the code. A token is required only while the email is
    /// online; otherwise a bad one is ignored, so an expired token never locks a user out.
    pub fn admit(&self, profile: &Profile, room: &str, online: bool) -> Result<(), ProtocolError> {
        let token = profile
            .token
            .as_deref()
            .map(|token| self.key.verify(token, &profile.email, room, unix_now()));
        if let Some(code) = &self.code {
            let given = profile.access_code.as_deref().unwrap_or("");
            if !self.same_code(code, given) && token != Some(Ok(())) {
                let message = match profile.access_code {
                    None => "this server needs an access code",
                    Some(_) => "wrong access code",
                };
                return Err(ProtocolError::new(ErrorCode::AccessDenied, message));
            }
        }
        if !online || self.shared_emails {
            return Ok(());
        }
        match token {
            Some(Ok(())) => Ok(()),
            Some(Err(error)) => Err(ProtocolError::new(
                ErrorCode::InvalidToken,
                error.to_string(),
            )),
            None => Err(ProtocolError::new(
                ErrorCode::EmailInUse,
                format!(
                    "{} is online on another connection; its session token is needed",
                    profile.email
                ),
            )),
        }
    }

    /// A fresh token for a registration just admitted.
    pub fn issue(&self, email: &str, room: &str) -> String {
        let expires = unix_now().saturating_add(self.ttl.as_secs().max(1));
        self.key.issue(email, room, expires)
    }

    /// Compares the codes in constant time: the MACs of both under the session key, which
    /// have the same length whatever the codes'.
    fn same_code(&self, expected: &Secret, given: &str) -> bool {
        let expected = self
            .key
            .mac(&URL_SAFE_NO_PAD.encode(expected.as_bytes()))
            .finalize()
            .into_bytes();
        self.key
            .mac(&URL_SAFE_NO_PAD.encode(given))
            .verify_slice(&expected)
            .is_ok()
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "alice@example.com";

    fn key() -> SessionKey {
        SessionKey::random()
    }

    fn access(code: Option<&str>) -> Access {
        Access {
            code: code.map(Secret::new),
            key: key(),
            ttl: DEFAULT_SESSION_TTL,
            shared_emails: false,
        }
    }

    fn profile(code: Option<&str>, token: Option<String>) -> Profile {
        Profile {
            email: ALICE.into(),
            name: "Alice".into(),
            latitude: None,
            longitude: None,
            is_connected: None,
            in_call: None,
            room: None,
            access_code: code.map(str::to_owned),
            token,
        }
    }

    #[test]
    fn the_access_code_must_match_exactly() {
        let access = access(Some("open sesame"));
        let code = |given| {
            access
                .admit(&profile(given, None), "team", false)
                .map_err(|e| e.code)
        };
        assert_eq!(code(Some("open sesame")), Ok(()));
        assert_eq!(code(Some("open sesam")), Err(ErrorCode::AccessDenied));
        assert_eq!(code(Some("Open sesame")), Err(ErrorCode::AccessDenied));
        assert_eq!(code(Some("")), Err(ErrorCode::AccessDenied));
        assert_eq!(code(None), Err(ErrorCode::AccessDenied));
    }

    #[test]
    fn a_valid_token_stands_for_the_access_code() {
        let access = access(Some("open sesame"));
        let token = access.issue(ALICE, "team");
        let admit = |token: &str| {
            access
                .admit(&profile(None, Some(token.to_owned())), "team", false)
                .map_err(|e| e.code)
        };
        assert_eq!(admit(&token), Ok(()));
        assert_eq!(admit("junk"), Err(ErrorCode::AccessDenied));
        let other_room = access.issue(ALICE, "default");
        assert_eq!(admit(&other_room), Err(ErrorCode::AccessDenied));
    }

    #[test]
    fn an_online_email_needs_its_token_and_an_offline_one_does_not() {
        let access = access(None);
        let token = access.issue(ALICE, "team");
        let admit = |token: Option<&str>, online| {
            access
                .admit(&profile(None, token.map(str::to_owned)), "team", online)
                .map_err(|e| e.code)
        };
        assert_eq!(admit(None, false), Ok(()));
        assert_eq!(admit(Some("junk"), false), Ok(()));
        assert_eq!(admit(None, true), Err(ErrorCode::EmailInUse));
        assert_eq!(admit(Some("junk"), true), Err(ErrorCode::InvalidToken));
        assert_eq!(admit(Some(&token), true), Ok(()));
    }
}
