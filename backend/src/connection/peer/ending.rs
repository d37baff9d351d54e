//! Why a connection's loop ended: for the log line and the close frame the client gets.

use crate::admission::budget::Overrun;
use crate::connection::writer::{Departure, SocketError};
use crate::outbox::Closed;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Why the loop ended, for the log and the close frame.
pub(super) enum Ending {
    /// The client went: it closed, reset the connection or broke the protocol.
    Left(Departure),
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
    /// The socket failed for a reason of the server's or the network's.
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
            Self::Left(_) | Self::Transport(_) => None,
        }
    }

    /// A word for the metrics' `reason` label.
    pub(super) fn label(&self) -> &'static str {
        match self {
            Self::Left(_) => "left",
            Self::Idle => "idle",
            Self::TooSlow => "too-slow",
            Self::TooBig => "too-big",
            Self::Abuse(Overrun::RateLimited) => "rate-limited",
            Self::Abuse(Overrun::BadFrames) => "bad-frames",
            Self::ServerShutdown => "shutdown",
            Self::NotRegistered => "not-registered",
            Self::SignedOut => "signed-out",
            Self::SignedOutElsewhere => "signed-out-elsewhere",
            Self::Transport(_) => "transport",
        }
    }

    /// The connection's last log line: a client leaving is no failure of the server's, and
    /// one that closed cleanly is the common case, at debug (the sign-in's line is at info;
    /// `meetmap_connections_closed_total` counts every ending by reason).
    pub(super) fn log(&self, id: u64) {
        match self {
            Self::Left(Departure::Closed) => log::debug!("conn={id} left: closed"),
            Self::Left(departure) => log::info!("conn={id} left: {departure}"),
            Self::Transport(error) => log::warn!("conn={id} closed: transport error: {error}"),
            ending => log::info!("conn={id} closed: {ending}"),
        }
    }
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Left(departure) => write!(f, "left: {departure}"),
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

impl From<SocketError> for Ending {
    fn from(error: SocketError) -> Self {
        match error {
            SocketError::Left(departure) => Self::Left(departure),
            SocketError::TooBig => Self::TooBig,
            SocketError::Failed(error) => Self::Transport(error),
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
