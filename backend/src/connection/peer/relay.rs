//! Signaling from this connection to others: read on the fast path (`decode_signal`, the
//! payload left as the sender wrote it), admitted by the budget, relayed by the hub.

use super::Peer;
use super::budget_of;
use shared::{ClientMessage, ErrorCode, ProtocolError, RawSignal, decode_signal};

impl Peer {
    /// Relays a frame the fast path read, `bytes` long as sent. Its time is when it was
    /// heard: one clock read per frame.
    pub(super) fn relay(
        &mut self,
        signal: &RawSignal<'_>,
        bytes: usize,
    ) -> Result<(), ProtocolError> {
        let now = self.last_heard;
        let budget = budget_of(&mut self.budget, &self.context.budget);
        budget.admit_signal(signal.kind(), signal.to(), bytes, now)?;
        self.context
            .hub
            .relay(self.id, signal, budget.fan_out(), now)
    }

    /// Relays a signal that only the full decoder read (an escaped `type`, a repeated
    /// `to`): written again as the decoder understood it, it reads on the fast path.
    pub(super) fn relay_decoded(
        &mut self,
        message: &ClientMessage,
        bytes: usize,
    ) -> Result<(), ProtocolError> {
        let text = serde_json::to_string(message).unwrap_or_default();
        match decode_signal(&text) {
            Some(signal) => self.relay(&signal, bytes),
            None => Err(ProtocolError::new(
                ErrorCode::InvalidField,
                format!("invalid '{}' message", message.type_name()),
            )),
        }
    }
}
