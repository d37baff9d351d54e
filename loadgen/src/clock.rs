//! The clock every process of a run shares, and the open-file limit.
//!
//! Latency is measured across processes: a sender writes its send time into the message
//! and the receiver, in any process on the same machine, subtracts it from its own reading
//! of the same clock. `CLOCK_MONOTONIC` is one clock for the whole machine on Linux, so
//! readings from different processes compare, and it never jumps with NTP.

/// Microseconds of `CLOCK_MONOTONIC`: comparable between processes on one machine.
pub fn now_us() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    if status != 0 {
        return 0;
    }
    now.tv_sec as u64 * 1_000_000 + now.tv_nsec as u64 / 1_000
}

/// Raises this process's open-file limit to its hard limit (one socket is one file) and
/// returns the limit now in force.
pub fn raise_fd_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit for the kernel to fill and then read back.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        if limit.rlim_cur < limit.rlim_max {
            let wanted = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
                return wanted.rlim_cur;
            }
        }
    }
    limit.rlim_cur
}

/// The tokio instant at which the shared clock reads `at_us` (now, if that has passed).
pub fn instant_at(at_us: u64) -> tokio::time::Instant {
    let now = now_us();
    tokio::time::Instant::now() + std::time::Duration::from_micros(at_us.saturating_sub(now))
}
