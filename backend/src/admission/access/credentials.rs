//! What a registration proves besides its email: the access code (compared in constant
//! time), the session token's device, and the token (and TURN credentials) a registration
//! let in is given.

use super::{Access, Admitted, SHARED_DEVICE, unix_now};
use crate::admission::claims::DeviceId;
use crate::admission::session::Secret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;
use shared::{ErrorCode, Profile, ProtocolError};

/// What a registration showed besides the email.
pub(super) struct Credentials {
    code_ok: bool,
    /// The token's device, if the token is signed for this email and unexpired.
    pub token_device: Option<Result<DeviceId, ProtocolError>>,
}

impl Access {
    pub(super) fn credentials(&self, profile: &Profile) -> Credentials {
        let code_ok = match &self.code {
            Some(code) => self.same_code(code, profile.access_code.as_deref().unwrap_or("")),
            None => true,
        };
        let token_device = profile.token.as_deref().map(|token| {
            self.key
                .verify(token, &profile.email, unix_now())
                .map_err(|error| ProtocolError::new(ErrorCode::InvalidToken, error.to_string()))
        });
        Credentials {
            code_ok,
            token_device,
        }
    }

    /// The access code, unless a device (a live token or a link code) stands for it. With
    /// shared emails a signed token stands for it.
    pub(super) fn check_code(
        &self,
        given: &Credentials,
        profile: &Profile,
        proven: bool,
    ) -> Result<(), ProtocolError> {
        let signed = matches!(given.token_device, Some(Ok(_))) && self.shared_emails;
        if given.code_ok || proven || signed {
            return Ok(());
        }
        let message = match profile.access_code {
            None => "this server needs an access code",
            Some(_) => "wrong access code",
        };
        Err(ProtocolError::new(ErrorCode::AccessDenied, message))
    }

    pub(super) fn admitted(
        &self,
        email: &str,
        wants_deltas: bool,
        device: DeviceId,
        created: bool,
    ) -> Admitted {
        let expires = unix_now().saturating_add(self.ttl.as_secs().max(1));
        let token = wants_deltas.then(|| self.key.issue(email, &device, expires));
        Admitted {
            device: (device != SHARED_DEVICE).then_some(device),
            token,
            created,
            may_join_online: true,
            ice_servers: self.ice_servers(wants_deltas),
        }
    }

    /// A delta client's own TURN credentials, when the server has TURN.
    fn ice_servers(&self, wants_deltas: bool) -> Option<Vec<shared::IceServer>> {
        let turn = self.turn.as_ref().filter(|_| wants_deltas)?;
        Some(vec![turn.issue()])
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
