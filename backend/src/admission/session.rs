//! Session tokens, signed proofs that a connection is one of the devices of the user who
//! claimed an email, and the secrets they are signed with. `access.rs` applies them.
//!
//! A token is `v2.<payload>.<mac>`, both parts base64url without padding: the payload is
//! `email|device|expiry` (Unix seconds), the MAC an HMAC-SHA256 of it under the server's
//! secret. The device must also still be in the claims table (`claims`), so signing a
//! device out revokes its token. The secret comes from `--session-secret`, or the file
//! `session.key` in the data folder, written with fresh random bytes the first time. See
//! `docs/SECURITY.md`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The shortest secret accepted, in bytes, and the length of a generated one.
pub const SECRET_MIN_BYTES: usize = 32;

/// The file, in the data folder, that keeps a generated secret across restarts.
pub const SECRET_FILE_NAME: &str = "session.key";

/// Something to keep out of logs: an access code or a secret from the command line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
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
/// Holds the HMAC keyed once (its inner and outer pads hashed): each token signed or
/// checked starts from a copy of it.
pub struct SessionKey(Hmac<Sha256>);

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
    /// Signed, but for another email.
    OtherUser,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "the session token is malformed",
            Self::Forged => "the session token is not signed by this server",
            Self::Expired => "the session token has expired",
            Self::OtherUser => "the session token is for another email",
        })
    }
}

const VERSION: &str = "v2";

impl SessionKey {
    /// A key of fresh random bytes, good for this run only (tests, and the default of
    /// `AdmissionConfig`).
    ///
    /// # Panics
    /// When the operating system has no random source, which a server cannot run without.
    pub fn random() -> Self {
        Self::keyed(&Self::generate().expect("the operating system's random source"))
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
        let secret = Self::generate()?;
        let text = format!("{}\n", URL_SAFE_NO_PAD.encode(secret));
        let key = Self::keyed(&secret);
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

    /// A token for `device` of `email`, good until `expires` (Unix seconds).
    pub fn issue(&self, email: &str, device: &str, expires: u64) -> String {
        let payload = URL_SAFE_NO_PAD.encode(format!("{email}|{device}|{expires}"));
        let mac = URL_SAFE_NO_PAD.encode(self.mac(&payload).finalize().into_bytes());
        format!("{VERSION}.{payload}.{mac}")
    }

    /// Checks that `token` was issued by this key for `email` and has not expired at `now`
    /// (Unix seconds); returns its device. The signature is compared in constant time.
    pub fn verify(&self, token: &str, email: &str, now: u64) -> Result<String, TokenError> {
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
        // The email may hold a `|`; the device and the expiry cannot.
        let mut fields = payload.rsplitn(3, '|');
        let (Some(expires), Some(device), Some(token_email)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(TokenError::Malformed);
        };
        let expires: u64 = expires.parse().map_err(|_| TokenError::Malformed)?;
        if expires <= now {
            return Err(TokenError::Expired);
        }
        if token_email != email {
            return Err(TokenError::OtherUser);
        }
        Ok(device.to_owned())
    }

    /// A fresh random secret.
    fn generate() -> Result<[u8; SECRET_MIN_BYTES], SecretError> {
        let mut bytes = [0u8; SECRET_MIN_BYTES];
        getrandom::fill(&mut bytes).map_err(|error| SecretError::Random(error.to_string()))?;
        Ok(bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, SecretError> {
        if bytes.len() < SECRET_MIN_BYTES {
            return Err(SecretError::TooShort { bytes: bytes.len() });
        }
        Ok(Self::keyed(bytes))
    }

    fn keyed(bytes: &[u8]) -> Self {
        Self(Hmac::<Sha256>::new_from_slice(bytes).expect("HMAC takes keys of any size"))
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

    pub(crate) fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
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

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
