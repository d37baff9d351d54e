//! The server's CPU time and resident memory, read from `/proc/<pid>` (Linux).

use serde::{Deserialize, Serialize};

/// One reading of a process's counters.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Sample {
    /// User plus system CPU time, in microseconds.
    pub cpu_us: u64,
    /// Resident set size, in KiB.
    pub rss_kib: u64,
}

/// Reads a process's CPU time and RSS; `None` when it is gone or `/proc` is unreadable.
pub fn sample(pid: u32) -> Option<Sample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: fields are counted after its ')'.
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the file (utime, stime) are 11 and 12 after the name and state.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0);
    Some(Sample {
        cpu_us: (utime + stime) * 1_000_000 / clock_ticks_per_second(),
        rss_kib,
    })
}

/// The sum of several processes' readings (the nodes of a cluster); `None` when any is
/// unreadable.
pub fn sample_sum(pids: &[u32]) -> Option<Sample> {
    pids.iter().try_fold(Sample::default(), |sum, &pid| {
        let one = sample(pid)?;
        Some(Sample {
            cpu_us: sum.cpu_us + one.cpu_us,
            rss_kib: sum.rss_kib + one.rss_kib,
        })
    })
}

/// What changed between two readings: CPU microseconds spent and the RSS now.
pub fn cpu_between(before: Option<Sample>, after: Option<Sample>) -> Option<u64> {
    Some(after?.cpu_us.saturating_sub(before?.cpu_us))
}

fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf only reads a system constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as u64 } else { 100 }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_its_own_process() {
        let sample = super::sample(std::process::id()).expect("own /proc entry");
        assert!(sample.rss_kib > 0);
    }
}
