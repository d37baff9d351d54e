//! The flags of running as a service: the admin listener, the log format, the session
//! secret from a file, the worker threads, and `--print-config`.

pub use service_kit::{LogFormat, masked};

use std::net::SocketAddr;
use std::path::PathBuf;

/// The most `--worker-threads` takes: more is a typing mistake, not a machine.
pub const MAX_WORKER_THREADS: i64 = 1024;

/// Flags for operators and their service managers.
#[derive(Debug, clap::Args)]
pub struct ServiceArgs {
    /// Address of the admin listener (plain HTTP: /healthz, /readyz, /metrics). Off by
    /// default; anything but a loopback address is reachable by others (a warning says so).
    #[arg(long, env = "MEETMAP_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,
    /// How log lines are written: text, or one JSON object per line.
    #[arg(long, env = "MEETMAP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// File holding the session secret (one line; a trailing newline is dropped), read
    /// once at start: not visible in `ps` like --session-secret. Under systemd, point it
    /// into $CREDENTIALS_DIRECTORY (LoadCredential=).
    #[arg(
        long,
        env = "MEETMAP_SESSION_SECRET_FILE",
        conflicts_with = "session_secret"
    )]
    pub session_secret_file: Option<PathBuf>,
    /// Threads serving the connections; 0 is one per core. Fewer leave cores to what
    /// shares the machine (PostgreSQL, coturn, nginx), and cost less per message below
    /// saturation: a busier thread reads and writes more frames per wake-up, and threads
    /// that go idle and wake each other cost the kernel's time.
    #[arg(
        long,
        env = "MEETMAP_WORKER_THREADS",
        default_value_t = 0,
        value_parser = clap::value_parser!(u16).range(0..=MAX_WORKER_THREADS)
    )]
    pub worker_threads: u16,
    /// Prints the effective configuration (flags, then environment, then defaults), with
    /// secrets shown as ***, and exits.
    #[arg(long)]
    pub print_config: bool,
}
