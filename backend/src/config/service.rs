//! The flags of running as a service: the admin listener, the log format, the session
//! secret from a file, and `--print-config`.

use std::net::SocketAddr;
use std::path::PathBuf;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// env_logger's lines: `[time LEVEL target] message`.
    Text,
    /// One JSON object per line: time, level, target, message, and `conn` when known.
    Json,
}

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
    /// Prints the effective configuration (flags, then environment, then defaults), with
    /// secrets shown as ***, and exits.
    #[arg(long)]
    pub print_config: bool,
}

/// `text` as `--print-config` shows it: every secret (a `Secret`, or a field named like
/// `*secret*`, `*code*` or `*password*` holding a value) as `***`.
pub fn masked(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.replace("Secret(..)", "***");
            match line.split_once(": ") {
                Some((name, value)) if is_secret_name(name) && value.starts_with('"') => {
                    format!("{name}: \"***\",")
                }
                _ => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_secret_name(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    ["secret", "password", "access_code"]
        .iter()
        .any(|word| name.contains(word))
}
