//! [`Refused`]: what the peer answers a refused frame with, the error and, for a `chat`,
//! the `clientId` it names. A leaf of the peer.

use shared::ProtocolError;

/// A refused frame: the error, and for a `chat` its `clientId`, so that the client knows
/// which message failed.
pub(crate) struct Refused {
    pub error: ProtocolError,
    pub client_id: Option<String>,
}

impl Refused {
    pub fn chat(error: ProtocolError, client_id: Option<&str>) -> Self {
        Self {
            error,
            client_id: client_id.map(str::to_owned),
        }
    }
}

impl From<ProtocolError> for Refused {
    fn from(error: ProtocolError) -> Self {
        Self {
            error,
            client_id: None,
        }
    }
}
