//! The table's place in `docs/BENCHMARKS.md`: the block between the bench markers, with
//! the machine, the date and the command.

use crate::report::{Row, table};
use std::path::PathBuf;

/// The Markdown block written into the benchmarks file: machine, date, command, table.
pub fn block(rows: &[Row], command: &str) -> String {
    format!(
        "Measured {date} on {machine}.\n\nCommand: `{command}`\n\n{table}",
        date = date(),
        machine = machine(),
        table = table(rows)
    )
}

/// Replaces the part of `path` between the suite's markers with `block` (the rest of the
/// file, observations included, is kept); creates the file if needed.
pub fn write_block(path: &PathBuf, block: &str) -> std::io::Result<()> {
    const BEGIN: &str = "<!-- bench:begin -->";
    const END: &str = "<!-- bench:end -->";
    let old = std::fs::read_to_string(path).unwrap_or_else(|_| {
        format!("# Benchmarks\n\n`just bench` rewrites the block below.\n\n{BEGIN}\n{END}\n")
    });
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(begin), Some(end)) if begin < end => format!(
            "{}{BEGIN}\n{block}{END}{}",
            &old[..begin],
            &old[end + END.len()..]
        ),
        _ => format!("{old}\n{BEGIN}\n{block}{END}\n"),
    };
    std::fs::write(path, new)
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("unknown CPU", |(_, name)| name.trim())
        .to_owned();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_gib = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse::<u64>().ok())
        .map_or(0.0, |kib| kib as f64 / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cores} cores ({model}), {memory_gib:.0} GiB, Linux {}",
        kernel.trim()
    )
}

fn date() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map_or_else(|| "an unknown date".into(), |date| date.trim().to_owned())
}
