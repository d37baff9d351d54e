//! File descriptors: the process's open-file limit, raised to its hard limit at start, the
//! total connection cap derived from it, and the bound on files open at once that the
//! derivation counts on.
//!
//! Every connection holds one descriptor, and so does every file being read. The cap
//! leaves [`DESCRIPTOR_MARGIN`] of the limit for everything else, so `accept` never fails
//! with "Too many open files" while connections are capped.

use std::fmt;
use std::io;
use std::num::ParseIntError;
use std::str::FromStr;

use log::{debug, warn};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::caps::MAX_REFUSALS_IN_FLIGHT;

/// Files being read at once, at most (each holds a descriptor while it is read); a
/// request for a file waits while this many are open.
pub(crate) const MAX_OPEN_FILES: usize = 32;
/// Descriptors kept for what is neither a connection nor a file being read: stdin,
/// stdout and stderr, the listener, the runtime's pollers and waker, the signal handlers'
/// sockets, the connection accepted only to be closed at once (about 12 in all, measured
/// on Linux), and as many again to spare (descriptors inherited from the parent).
const RESERVED_DESCRIPTORS: u64 = 32;
/// The part of the open-file limit the connection cap leaves free: the reserved
/// descriptors, the files being read and the refused connections whose `503` is being
/// written (32 + 32 + 64 = 128).
pub const DESCRIPTOR_MARGIN: u64 =
    RESERVED_DESCRIPTORS + MAX_OPEN_FILES as u64 + MAX_REFUSALS_IN_FLIGHT as u64;
/// The open-file limit assumed where it cannot be read (the usual soft default).
const ASSUMED_OPEN_FILE_LIMIT: u64 = 1024;

/// Shared by every server in the process, as the descriptor limit is.
static OPEN_FILES: Semaphore = Semaphore::const_new(MAX_OPEN_FILES);

/// `--max-connections`: derived from the open-file limit, or a number of connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MaxConnections {
    /// The open-file limit minus [`DESCRIPTOR_MARGIN`].
    #[default]
    Derived,
    /// This many, unless the open-file limit allows fewer.
    At(usize),
}

/// The word for [`MaxConnections::Derived`] in `--max-connections`.
const DERIVED: &str = "derived";

/// Why `--max-connections` was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaxConnectionsError {
    Zero,
    NotANumber(ParseIntError),
}

impl fmt::Display for MaxConnectionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Zero => f.write_str(
                "must be at least 1 (or `derived`): there is no uncapped setting, the open-file limit always caps",
            ),
            Self::NotANumber(e) => write!(f, "not a number of connections or `derived`: {e}"),
        }
    }
}

impl std::error::Error for MaxConnectionsError {}

impl FromStr for MaxConnections {
    type Err = MaxConnectionsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            DERIVED => Ok(Self::Derived),
            number => match number.parse::<usize>() {
                Ok(0) => Err(MaxConnectionsError::Zero),
                Ok(n) => Ok(Self::At(n)),
                Err(e) => Err(MaxConnectionsError::NotANumber(e)),
            },
        }
    }
}

impl fmt::Display for MaxConnections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Derived => f.write_str(DERIVED),
            Self::At(n) => write!(f, "{n}"),
        }
    }
}

/// The total cap and what it was derived from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TotalCap {
    /// Connections served at once, at most (at least 1).
    pub cap: usize,
    /// The open-file limit (soft, after raising it).
    pub limit: u64,
    /// The explicit `--max-connections` when the limit lowered it.
    pub lowered_from: Option<usize>,
}

/// An open-file limit that leaves no descriptor for connections: a startup error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitTooSmall {
    limit: u64,
}

impl LimitTooSmall {
    /// The open-file limit that was found.
    pub fn limit(&self) -> u64 {
        self.limit
    }
}

impl std::error::Error for LimitTooSmall {}

impl fmt::Display for LimitTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "open-file-limit-too-small: the open-file limit ({}) leaves no descriptors for connections; \
             it must be above {DESCRIPTOR_MARGIN} (raise `ulimit -n`)",
            self.limit
        )
    }
}

/// The cap for `requested` under an open-file `limit`: at most the limit minus the margin.
pub(crate) fn derive_cap(limit: u64, requested: MaxConnections) -> Result<TotalCap, LimitTooSmall> {
    let allowed = limit.saturating_sub(DESCRIPTOR_MARGIN);
    if allowed == 0 {
        return Err(LimitTooSmall { limit });
    }
    let allowed = usize::try_from(allowed).unwrap_or(usize::MAX);
    let (cap, lowered_from) = match requested {
        MaxConnections::Derived => (allowed, None),
        MaxConnections::At(n) if n > allowed => (allowed, Some(n)),
        MaxConnections::At(n) => (n, None),
    };
    Ok(TotalCap {
        cap,
        limit,
        lowered_from,
    })
}

/// Raises the open-file limit as far as allowed and derives the total cap from it; a
/// limit too small for the margin is a startup error.
pub(crate) fn total_cap_at_start(requested: MaxConnections) -> Result<TotalCap, LimitTooSmall> {
    let limit = raise_open_file_limit().unwrap_or_else(|e| {
        warn!("cannot read the open-file limit ({e}): assuming {ASSUMED_OPEN_FILE_LIMIT}");
        ASSUMED_OPEN_FILE_LIMIT
    });
    let total = derive_cap(limit, requested)?;
    if let Some(asked) = total.lowered_from {
        warn!(
            "--max-connections {asked} is more than the open-file limit ({limit}) allows: \
             lowered to {} (the limit minus {DESCRIPTOR_MARGIN})",
            total.cap
        );
    }
    Ok(total)
}

/// A place among the files open at once, held while one is opened and read. `None`
/// never happens (the semaphore is never closed) but is answered, not unwrapped.
pub(crate) async fn open_file_permit() -> Option<SemaphorePermit<'static>> {
    OPEN_FILES.acquire().await.ok()
}

/// Raises the soft open-file limit to the hard limit where allowed; the soft limit after.
#[cfg(unix)]
#[allow(clippy::useless_conversion)] // `rlim_t` is `u64` on most targets, not all.
fn raise_open_file_limit() -> io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` into the valid struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit only reads the valid struct it is given.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        } else {
            let e = io::Error::last_os_error();
            debug!("cannot raise the open-file limit to its hard limit: {e}");
        }
    }
    Ok(u64::from(limit.rlim_cur))
}

#[cfg(not(unix))]
fn raise_open_file_limit() -> io::Result<u64> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no open-file limit on this platform",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_cap_leaves_the_margin_below_the_limit() {
        let total = derive_cap(1024, MaxConnections::Derived).unwrap();
        assert_eq!(total.cap, 1024 - 128);
        assert_eq!(total.cap as u64 + DESCRIPTOR_MARGIN, 1024);
        assert_eq!(total.lowered_from, None);
    }

    #[test]
    fn explicit_cap_above_the_limit_is_lowered() {
        let total = derive_cap(1024, MaxConnections::At(5000)).unwrap();
        assert_eq!((total.cap, total.lowered_from), (896, Some(5000)));
        let below = derive_cap(1024, MaxConnections::At(100)).unwrap();
        assert_eq!((below.cap, below.lowered_from), (100, None));
    }

    #[test]
    fn limit_too_small_for_the_margin_is_a_startup_error() {
        for limit in [0, 64, DESCRIPTOR_MARGIN] {
            let error = derive_cap(limit, MaxConnections::At(1)).unwrap_err();
            assert_eq!(error, LimitTooSmall { limit });
            assert!(error.to_string().starts_with("open-file-limit-too-small:"));
        }
        let smallest = derive_cap(DESCRIPTOR_MARGIN + 1, MaxConnections::Derived);
        assert_eq!(smallest.map(|t| t.cap), Ok(1));
    }

    #[test]
    fn max_connections_parses_derived_or_a_positive_number() {
        assert_eq!("derived".parse(), Ok(MaxConnections::Derived));
        assert_eq!("500".parse(), Ok(MaxConnections::At(500)));
        assert_eq!(
            "0".parse::<MaxConnections>(),
            Err(MaxConnectionsError::Zero)
        );
        for bad in ["-1", "many", ""] {
            let parsed = bad.parse::<MaxConnections>();
            assert!(
                matches!(parsed, Err(MaxConnectionsError::NotANumber(_))),
                "{bad:?}"
            );
        }
        for value in [MaxConnections::Derived, MaxConnections::At(300)] {
            assert_eq!(value.to_string().parse(), Ok(value));
        }
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn open_file_limit_is_raised_to_the_hard_limit() {
        let soft = raise_open_file_limit().unwrap();
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        assert_eq!(
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
            0
        );
        assert_eq!(soft, limit.rlim_cur);
        assert_eq!(limit.rlim_cur, limit.rlim_max);
    }
}
