//! Who may register as whom: the deployment's optional access code, and session tokens,
//! signed proofs that a connection belongs to the user already online with an email.
//!
//! A token is `v1.<payload>.<mac>`, both parts base64url without padding: the payload is
//! `email|room|expiry` (Unix seconds), the MAC an HMAC-SHA256 of it under the server's
//! secret. The secret comes from `--session-secret`, or the file `session.key` in the data
//! folder, written with fresh random bytes the first time. See `docs/SECURITY.md`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use shared::{ErrorCode, Profile, ProtocolError};
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The shortest secret accepted, in bytes, and the length of a generated one.
pub const SECRET_MIN_BYTES: usize = 32;

/// The file, in the data folder, that keeps a generated secret across restarts.
pub const SECRET_FILE_NAME: &str = "session.key";

/// How long a token is good for unless configured.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Something to keep out of logs: an access code or a secret from the command line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The key tokens are signed with. Cheap to clone; never printed.
#[derive(Clone)]
pub struct SessionKey(Arc<[u8]>);

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

/// Why a secret could not be had.
#[derive(Debug)]
pub enum SecretError {
    TooShort { bytes: usize },
    Io { path: PathBuf, error: io::Error },
    Random(String),
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { bytes } => write!(
                f,
                "the session secret has {bytes} bytes; it needs at least {SECRET_MIN_BYTES}"
            ),
            Self::Io { path, error } => write!(f, "{}: {error}", path.display()),
            Self::Random(error) => write!(f, "no random bytes from the system: {error}"),
        }
    }
}

impl std::error::Error for SecretError {}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not of the `v1.<payload>.<mac>` shape.
    Malformed,
    /// Not signed with this server's secret (forged, altered, or another deployment's).
    Forged,
    Expired,
    /// Signed, but for another email or room.
    OtherUser,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "the session token is malformed",
            Self::Forged => "the session token is not signed by this server",
            Self::Expired => "the session token has expired",
            Self::OtherUser => "the session token is for another email or room",
        })
    }
}

const VERSION: &str = "v1";

impl SessionKey {
    /// A key of fresh random bytes, good for this run only (tests, and the default of
    /// [`crate::ServerConfig`]).
    ///
    /// # Panics
    /// When the operating system has no random source, which a server cannot run without.
    pub fn random() -> Self {
        Self::generate().expect("the operating system's random source")
    }

    /// The key of a configured secret: at least [`SECRET_MIN_BYTES`] bytes.
    pub fn from_secret(secret: &Secret) -> Result<Self, SecretError> {
        Self::from_bytes(secret.as_bytes())
    }

    /// The key kept in `folder/session.key`, created (with the folder) from random bytes
    /// when missing; the file is readable by its owner only.
    pub fn load_or_create(folder: &Path) -> Result<Self, SecretError> {
        let path = folder.join(SECRET_FILE_NAME);
        let io_error = |error| SecretError::Io {
            path: path.clone(),
            error,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => return Self::from_file_text(&text, &path),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(io_error(error)),
        }
        std::fs::create_dir_all(folder).map_err(|error| SecretError::Io {
            path: folder.to_owned(),
            error,
        })?;
        let key = Self::generate()?;
        let text = format!("{}\n", URL_SAFE_NO_PAD.encode(&key.0));
        match create_private(&path) {
            Ok(mut file) => {
                file.write_all(text.as_bytes()).map_err(io_error)?;
                file.sync_all().map_err(io_error)?;
                log::info!("generated a session secret in {}", path.display());
                Ok(key)
            }
            // Another server on the same folder wrote it first: use theirs.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(&path).map_err(io_error)?;
                Self::from_file_text(&text, &path)
            }
            Err(error) => Err(io_error(error)),
        }
    }

    /// A token for `email` in `room`, good until `expires` (Unix seconds).
    pub fn issue(&self, email: &str, room: &str, expires: u64) -> String {
        let payload = URL_SAFE_NO_PAD.encode(format!("{email}|{room}|{expires}"));
        let mac = URL_SAFE_NO_PAD.encode(self.mac(&payload).finalize().into_bytes());
        format!("{VERSION}.{payload}.{mac}")
    }

    /// Checks that `token` was issued by this key for `email` in `room` and has not expired
    /// at `now` (Unix seconds). The signature is compared in constant time.
    pub fn verify(&self, token: &str, email: &str, room: &str, now: u64) -> Result<(), TokenError> {
        let mut parts = token.split('.');
        let (Some(VERSION), Some(payload), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let mac = URL_SAFE_NO_PAD
            .decode(mac)
            .map_err(|_| TokenError::Malformed)?;
        self.mac(payload)
            .verify_slice(&mac)
            .map_err(|_| TokenError::Forged)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(TokenError::Malformed)?;
        // The email may hold a `|`; the room and the expiry cannot.
        let mut fields = payload.rsplitn(3, '|');
        let (Some(expires), Some(token_room), Some(token_email)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(TokenError::Malformed);
        };
        let expires: u64 = expires.parse().map_err(|_| TokenError::Malformed)?;
        if expires <= now {
            return Err(TokenError::Expired);
        }
        if token_email != email || token_room != room {
            return Err(TokenError::OtherUser);
        }
        Ok(())
    }

    fn generate() -> Result<Self, SecretError> {
        let mut bytes = [0u8; SECRET_MIN_BYTES];
        getrandom::getrandom(&mut bytes).map_err(|error| SecretError::Random(error.to_string()))?;
        Ok(Self(Arc::from(&bytes[..])))
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, SecretError> {
        if bytes.len() < SECRET_MIN_BYTES {
            return Err(SecretError::TooShort { bytes: bytes.len() });
        }
        Ok(Self(Arc::from(bytes)))
    }

    fn from_file_text(text: &str, path: &Path) -> Result<Self, SecretError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|error| SecretError::Io {
                path: path.to_owned(),
                error: io::Error::new(io::ErrorKind::InvalidData, error),
            })?;
        Self::from_bytes(&bytes)
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any size");
        mac.update(VERSION.as_bytes());
        mac.update(b".");
        mac.update(payload.as_bytes());
        mac
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

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
    const NOW: u64 = 1_764_060_000;

    fn key() -> SessionKey {
        SessionKey::random()
    }

    #[test]
    fn a_token_verifies_for_its_email_and_room_until_it_expires() {
        let key = key();
        let token = key.issue(ALICE, "team", NOW + 60);
        assert_eq!(key.verify(&token, ALICE, "team", NOW), Ok(()));
        assert_eq!(key.verify(&token, ALICE, "team", NOW + 59), Ok(()));
        assert_eq!(
            key.verify(&token, ALICE, "team", NOW + 60),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_token_for_another_email_or_room_is_refused() {
        let key = key();
        let token = key.issue(ALICE, "team", NOW + 60);
        assert_eq!(
            key.verify(&token, "bob@example.com", "team", NOW),
            Err(TokenError::OtherUser)
        );
        assert_eq!(
            key.verify(&token, ALICE, "default", NOW),
            Err(TokenError::OtherUser)
        );
    }

    #[test]
    fn an_email_with_a_bar_round_trips() {
        let key = key();
        let email = "a|b@example.com";
        let token = key.issue(email, "team", NOW + 60);
        assert_eq!(key.verify(&token, email, "team", NOW), Ok(()));
        assert_eq!(
            key.verify(&token, "a", "b@example.com|team", NOW),
            Err(TokenError::OtherUser)
        );
    }

    #[test]
    fn a_tampered_or_foreign_token_is_forged() {
        let key = key();
        let token = key.issue(ALICE, "team", NOW + 60);
        let (head, mac) = token.rsplit_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(format!("bob@example.com|team|{}", NOW + 60));
        let tampered = format!("v1.{forged_payload}.{mac}");
        assert_eq!(
            key.verify(&tampered, "bob@example.com", "team", NOW),
            Err(TokenError::Forged)
        );
        let mut other_mac = URL_SAFE_NO_PAD.decode(mac).unwrap();
        other_mac[0] ^= 1;
        let flipped = format!("{head}.{}", URL_SAFE_NO_PAD.encode(other_mac));
        assert_eq!(
            key.verify(&flipped, ALICE, "team", NOW),
            Err(TokenError::Forged)
        );
        let foreign = SessionKey::random().issue(ALICE, "team", NOW + 60);
        assert_eq!(
            key.verify(&foreign, ALICE, "team", NOW),
            Err(TokenError::Forged)
        );
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let key = key();
        for token in [
            "", "v1", "v1.a", "v1.a.b.c", "v2.a.b", "v1.!!.??", "v1..", "junk",
        ] {
            assert!(
                matches!(
                    key.verify(token, ALICE, "team", NOW),
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
        assert_eq!(again.verify(&token, ALICE, "team", NOW), Ok(()));
    }

    #[test]
    fn the_generated_secret_is_kept_private_and_reused() {
        let folder = tempfile::TempDir::new().unwrap();
        let data = folder.path().join("data");
        let first = SessionKey::load_or_create(&data).unwrap();
        let second = SessionKey::load_or_create(&data).unwrap();
        let token = first.issue(ALICE, "team", NOW + 60);
        assert_eq!(second.verify(&token, ALICE, "team", NOW), Ok(()));
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
