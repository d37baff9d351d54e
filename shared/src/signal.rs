//! The relayed types: signaling and call control, the `type`s the server passes from one
//! member to others without reading their payload. They are listed once, in
//! [`with_signal_kinds!`]; [`SignalKind`] and the signaling variants of both message enums
//! are built from that list.

use std::fmt;

/// Hands the relayed types to `$then!`, after the tokens given with it, as two lists of
/// `Variant = "type"`: the seed's signaling, which may go to the whole room, then call
/// control, which always needs a `to`. The one place they are spelled out.
macro_rules! with_signal_kinds {
    ($then:ident! { $($args:tt)* }) => {
        $then! {
            { $($args)* }
            may_broadcast: [
                Offer = "offer",
                Answer = "answer",
                SdpOffer = "sdp-offer",
                SdpAnswer = "sdp-answer",
                NewIceCandidate = "new-ice-candidate",
            ]
            needs_target: [
                CallInvite = "call-invite",
                CallRinging = "call-ringing",
                CallAccept = "call-accept",
                CallDecline = "call-decline",
                CallBusy = "call-busy",
                HangUp = "hang-up",
            ]
        }
    };
}
pub(crate) use with_signal_kinds;

macro_rules! signal_kind {
    ({}
     may_broadcast: [$($broadcast:ident = $broadcast_tag:literal,)*]
     needs_target: [$($targeted:ident = $targeted_tag:literal,)*]) => {
        /// Which relayed type a signaling or call-control message is: its `type` on the wire,
        /// in both directions.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum SignalKind {
            $($broadcast,)*
            $($targeted,)*
        }

        impl SignalKind {
            /// Every relayed type, the seed's signaling first.
            pub const ALL: [SignalKind; [$($broadcast_tag,)* $($targeted_tag,)*].len()] =
                [$(Self::$broadcast,)* $(Self::$targeted,)*];

            /// The `type` tag on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$broadcast => $broadcast_tag,)*
                    $(Self::$targeted => $targeted_tag,)*
                }
            }

            /// The kind whose `type` tag is `tag`, if one is.
            pub fn from_tag(tag: &str) -> Option<Self> {
                match tag {
                    $($broadcast_tag => Some(Self::$broadcast),)*
                    $($targeted_tag => Some(Self::$targeted),)*
                    _ => None,
                }
            }

            /// Whether the type needs a `to`: call control always does; the seed's signaling
            /// types may go to the whole room.
            pub const fn requires_target(self) -> bool {
                matches!(self, $(Self::$targeted)|*)
            }
        }
    };
}

with_signal_kinds!(signal_kind! {});

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::SignalKind;

    #[test]
    fn every_kind_is_found_by_its_own_tag_and_no_tag_is_used_twice() {
        for kind in SignalKind::ALL {
            assert_eq!(SignalKind::from_tag(kind.as_str()), Some(kind));
        }
        let mut tags: Vec<&str> = SignalKind::ALL.iter().map(|k| k.as_str()).collect();
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(tags.len(), SignalKind::ALL.len());
        assert_eq!(SignalKind::from_tag("chat"), None);
    }

    #[test]
    fn only_call_control_requires_a_target() {
        let targeted: Vec<&str> = SignalKind::ALL
            .into_iter()
            .filter(|kind| kind.requires_target())
            .map(SignalKind::as_str)
            .collect();
        assert_eq!(
            targeted,
            [
                "call-invite",
                "call-ringing",
                "call-accept",
                "call-decline",
                "call-busy",
                "hang-up"
            ]
        );
    }
}
