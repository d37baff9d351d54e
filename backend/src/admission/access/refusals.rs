//! The refusals of a registration, each with its code and a message for people.

use crate::admission::claims::ClaimError;
use shared::{ErrorCode, ProtocolError};
use std::time::Duration;

pub(super) fn in_use(email: &str) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::EmailInUse,
        format!("{email} is online on another connection; its session token is needed"),
    )
}

pub(super) fn claimed_error(email: &str) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::EmailClaimed,
        format!(
            "{email} belongs to someone signed in on another device: sign in there, or add this device with a link code from it"
        ),
    )
}

pub(super) fn confusable(email: &str, existing: &str) -> ProtocolError {
    ProtocolError::field(
        "email",
        format!("{email} looks like the email of another user ({existing}): choose another"),
    )
    .with_code(ErrorCode::EmailConfusable)
}

pub(super) fn too_many_attempts(wait: Duration) -> ProtocolError {
    let seconds = wait.as_secs().max(1);
    ProtocolError::new(
        ErrorCode::TooManyAttempts,
        format!("too many failed sign-ins from your network: try again in {seconds} s"),
    )
}

pub(super) fn no_device() -> ProtocolError {
    ProtocolError::new(
        ErrorCode::NoDevice,
        "this connection did not sign in with a device (a session token)",
    )
}

pub(super) fn store_failed(error: ClaimError) -> ProtocolError {
    log::warn!("{error}");
    ProtocolError::new(
        ErrorCode::Internal,
        "the server could not check this email; try again",
    )
}
