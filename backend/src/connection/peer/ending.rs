//! Why a connection's loop ended: for the log line and the close frame the client gets.

use crate::admission::budget::Overrun;
use crate::outbox::Closed;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Why the loop ended, for the log and the close frame.
pub(super) enum Ending {
    ClientClosed,
    Idle,
    TooSlow,
    TooBig,
    /// Used up its budget: kept sending over a rate, or kept sending refused frames.
    Abuse(Overrun),
    ServerShutdown,
    /// Did not register within the registration deadline.
    NotRegistered,
    /// Signed its device out.
    SignedOut,
    /// Its user signed the other devices out from another one.
    SignedOutElsewhere,
    Transport(String),
}

impl Ending {
    /// The close frame to say goodbye with; `None` where the client cannot hear one.
    pub(super) fn close_frame(&self) -> Option<(CloseCode, &'static str)> {
        match self {
            Self::ServerShutdown => Some((CloseCode::Away, "server shutting down")),
            Self::TooSlow => Some((CloseCode::Policy, "too slow: outbound queue full")),
            Self::TooBig => Some((CloseCode::Size, "message too big")),
            Self::Abuse(Overrun::RateLimited) => {
                Some((CloseCode::Policy, "too many rate-limited frames"))
            }
            Self::Abuse(Overrun::BadFrames) => Some((CloseCode::Policy, "too many bad frames")),
            Self::Idle => Some((CloseCode::Away, "no answer to pings")),
            Self::NotRegistered => Some((CloseCode::Policy, "did not register in time")),
            Self::SignedOut => Some((CloseCode::Normal, "signed out")),
            Self::SignedOutElsewhere => Some((CloseCode::Policy, "signed out from another device")),
            Self::ClientClosed | Self::Transport(_) => None,
        }
    }
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ClientClosed => f.write_str("client closed"),
            Self::Idle => f.write_str("no answer to pings"),
            Self::TooSlow => f.write_str("client too slow to read"),
            Self::TooBig => f.write_str("message over the size limit"),
            Self::Abuse(Overrun::RateLimited) => f.write_str("too many rate-limited frames"),
            Self::Abuse(Overrun::BadFrames) => f.write_str("too many bad frames"),
            Self::ServerShutdown => f.write_str("server shutdown"),
            Self::NotRegistered => f.write_str("did not register in time"),
            Self::SignedOut => f.write_str("signed out"),
            Self::SignedOutElsewhere => f.write_str("signed out from another device"),
            Self::Transport(error) => write!(f, "transport error: {error}"),
        }
    }
}

pub(super) fn ending_of(reason: Closed) -> Ending {
    match reason {
        Closed::Kicked => Ending::TooSlow,
        Closed::ServerShutdown => Ending::ServerShutdown,
        Closed::SignedOut => Ending::SignedOutElsewhere,
    }
}
