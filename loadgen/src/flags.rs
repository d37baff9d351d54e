//! The `loadgen` command line (clap): the flags every command shares, one subcommand per
//! scenario, the suite's sizes, and each turned into the settings a scenario takes.

use clap::{Args, Parser, Subcommand, ValueEnum};
use loadgen::Ramp;
use loadgen::scenario::chat::ChatSettings;
use loadgen::scenario::history::HistorySettings;
use loadgen::scenario::live;
use loadgen::suite::{PEERJS_PACKAGE, Plan};
use std::path::PathBuf;

// Defaults that a scenario's own command and the suite share.
const RELAY_PAIRS: usize = 100;
const RELAY_SECONDS: u64 = 10;
const RELAY_WINDOW: u64 = 16;
const CHURN_SECONDS: u64 = 5;
const CHURN_CONCURRENCY: usize = 512;
const CHAT_USERS: usize = 100;
const CHAT_RATE: u32 = 20_000;
const CHAT_WINDOW: u64 = 32;
const CHAT_SECONDS: u64 = 5;
const CHAT_SAMPLE: usize = 10;
const HISTORY_CLIENTS: usize = 8;
const HISTORY_SECONDS: u64 = 5;
const HISTORY_MESSAGES: u64 = 1_000_000;
const HISTORY_ROOM: &str = "history";

/// The server `--url` names unless told: the backend's default port on loopback.
pub fn default_url() -> String {
    format!("ws://127.0.0.1:{}", shared::DEFAULT_BACKEND_PORT)
}

#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    about = "Load generator and benchmarks for the meetmap backend"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Common {
    /// The server, `ws://host:port` (loopback only).
    #[arg(long, global = true, default_value_t = default_url())]
    pub url: String,
    /// The server's process id, to read its CPU time and RSS from /proc.
    #[arg(long, global = true)]
    pub server_pid: Option<u32>,
    /// Speak only the seed's protocol (no subprotocol, full `update-users` lists).
    #[arg(long, global = true)]
    pub legacy: bool,
    /// Worker processes; 0 = one per 10,000 clients.
    #[arg(long, global = true, default_value_t = 0)]
    pub processes: usize,
    /// New connections per second while setting up.
    #[arg(long, global = true, default_value_t = Ramp::DEFAULT.rate)]
    pub connect_rate: u32,
    /// Connections in their handshake at once while setting up.
    #[arg(long, global = true, default_value_t = Ramp::DEFAULT.concurrency)]
    pub connect_concurrency: usize,
    /// Also write the rows as JSON to this file.
    #[arg(long, global = true)]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// N registered connections in one room (or each in its own); server RSS per connection.
    Idle {
        #[arg(long, default_value_t = 5_000)]
        clients: usize,
        /// Each connection in a room of its own instead of all in one.
        #[arg(long)]
        room_each: bool,
    },
    /// N users moving in one room; move-to-arrival latency and losses.
    Live {
        #[arg(long, default_value_t = 1_000)]
        clients: usize,
        /// Raise N through these (comma-separated) until p99 passes 1 s or a move is lost.
        #[arg(long, value_delimiter = ',')]
        steps: Vec<usize>,
        #[command(flatten)]
        settings: LiveFlags,
    },
    /// P pairs exchanging addressed signaling frames as fast as the server takes them.
    Relay {
        #[arg(long, default_value_t = RELAY_PAIRS)]
        pairs: usize,
        #[arg(long, default_value_t = RELAY_SECONDS)]
        seconds: u64,
        /// Frames in flight each way per pair.
        #[arg(long, default_value_t = RELAY_WINDOW)]
        window: u64,
        /// `--url` is a PeerJS server (`ws://host:port`, key `peerjs`, path `/`), spoken to
        /// as PeerJS clients: `CANDIDATE` frames and heartbeats.
        #[arg(long)]
        peerjs: bool,
    },
    /// Connect, register and close at a set rate; the rate held and the ghosts left.
    Churn {
        #[arg(long, default_value_t = 2_000)]
        rate: u32,
        #[arg(long, default_value_t = CHURN_SECONDS)]
        seconds: u64,
        /// Cycles in progress at once.
        #[arg(long, default_value_t = CHURN_CONCURRENCY)]
        concurrency: usize,
    },
    /// A room of subprotocol clients, some sending chat at a total rate within a window of
    /// unacked messages each; ack latency, messages stored per second, each delivered once
    /// in order.
    Chat(ChatFlags),
    /// Clients asking for history pages before random messages of a room seeded by
    /// `backend chat-seed`; page latency and pages per second.
    History(HistoryFlags),
    /// Start a backend per scenario, run the default suite, write docs/BENCHMARKS.md.
    Suite(Box<SuiteFlags>),
    /// One worker process (started by the others; speaks JSON lines on stdin/stdout).
    #[command(hide = true)]
    Worker,
}

#[derive(Debug, Args)]
pub struct LiveFlags {
    /// Moves per user.
    #[arg(long, default_value_t = 1)]
    moves: u32,
    /// Milliseconds between two moves of one user.
    #[arg(long, default_value_t = 20_000)]
    period_ms: u64,
    /// Receivers that decode everything (the rest only drain).
    #[arg(long, default_value_t = 200)]
    sample: usize,
    /// Milliseconds after the last move for it to arrive.
    #[arg(long, default_value_t = 3_000)]
    grace_ms: u64,
}

impl LiveFlags {
    pub fn settings(&self) -> live::LiveSettings {
        live::LiveSettings {
            moves: self.moves,
            period_ms: self.period_ms,
            sample: self.sample,
            grace_ms: self.grace_ms,
        }
    }
}

#[derive(Debug, Args)]
pub struct SuiteFlags {
    /// The backend binary to start.
    #[arg(long, default_value = "target/release/backend")]
    pub backend: PathBuf,
    /// A tiny run that checks correctness only (0 lost, 0 ghosts); writes no file.
    #[arg(long)]
    pub smoke: bool,
    /// Where to write the table (between the bench markers).
    #[arg(long, default_value = "docs/BENCHMARKS.md")]
    pub write: PathBuf,
    /// How the run was asked for, recorded in the file (e.g. `just bench`).
    #[arg(long)]
    pub command: Option<String>,
    /// Run only these scenarios' rows (comma-separated), at the sizes the other flags
    /// give; all when not given.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<SuiteRow>,
    /// The backend's RUST_LOG (its per-connection lines are at info).
    #[arg(long, default_value = "warn")]
    pub server_log: String,
    /// Idle connections, one run per size (the target: ≤ 3 KB RSS each at 10,000).
    #[arg(long, value_delimiter = ',', default_value = "10000")]
    pub idle: Vec<usize>,
    /// Live-map room sizes, raised in step mode (the target: 15,000 at p99 ≤ 1 s).
    #[arg(long, value_delimiter = ',', default_value = "5000,10000,15000")]
    pub live: Vec<usize>,
    #[command(flatten)]
    pub live_settings: LiveFlags,
    #[arg(long, value_delimiter = ',', default_values_t = [RELAY_PAIRS])]
    pub relay_pairs: Vec<usize>,
    #[arg(long, default_value_t = RELAY_SECONDS)]
    pub relay_seconds: u64,
    #[arg(long, default_value_t = RELAY_WINDOW)]
    pub relay_window: u64,
    /// The `peer` npm package (`npm ci --prefix loadgen`) whose PeerJS server each relay
    /// size also runs against, side by side; its row says "skipped" without Node.js or it.
    #[arg(long, default_value = PEERJS_PACKAGE)]
    pub peerjs: PathBuf,
    /// No PeerJS row.
    #[arg(long)]
    pub no_peerjs: bool,
    #[arg(long, value_delimiter = ',', default_value = "2000,5000")]
    pub churn: Vec<u32>,
    #[arg(long, default_value_t = CHURN_SECONDS)]
    pub churn_seconds: u64,
    #[arg(long, default_value_t = CHURN_CONCURRENCY)]
    pub churn_concurrency: usize,
    /// Chat rows: total messages per second, one run each (the target: 20,000 at p99 ack
    /// ≤ 50 ms in a room of 100).
    #[arg(long, value_delimiter = ',', default_values_t = [CHAT_RATE])]
    pub chat: Vec<u32>,
    #[command(flatten)]
    pub chat_settings: ChatSizes,
    /// History rows: messages the room is seeded with, one run each (the target: p99 of
    /// a page ≤ 10 ms at 1,000,000).
    #[arg(long, value_delimiter = ',', default_values_t = [HISTORY_MESSAGES])]
    pub history: Vec<u64>,
    #[arg(long, default_value_t = HISTORY_CLIENTS)]
    pub history_clients: usize,
    #[arg(long, default_value_t = HISTORY_SECONDS)]
    pub history_seconds: u64,
}

/// The chat scenario's sizes besides its rate, `--chat-…` in `loadgen chat` and the
/// suite alike.
#[derive(Debug, Args)]
pub struct ChatSizes {
    /// Clients in the room.
    #[arg(id = "chat_users", long = "chat-users", default_value_t = CHAT_USERS)]
    pub users: usize,
    /// How many of them send (0 = all).
    #[arg(id = "chat_senders", long = "chat-senders", default_value_t = 0)]
    pub senders: usize,
    /// Messages one sender may have unacked at once.
    #[arg(id = "chat_window", long = "chat-window", default_value_t = CHAT_WINDOW)]
    pub window: u64,
    #[arg(id = "chat_seconds", long = "chat-seconds", default_value_t = CHAT_SECONDS)]
    pub seconds: u64,
    /// Receivers that decode and check every delivery (the rest only count them).
    #[arg(id = "chat_sample", long = "chat-sample", default_value_t = CHAT_SAMPLE)]
    pub sample: usize,
}

impl ChatSizes {
    pub fn settings(&self, rate: u32) -> ChatSettings {
        let senders = if self.senders == 0 {
            self.users
        } else {
            self.senders
        };
        ChatSettings {
            clients: self.users,
            senders,
            rate,
            seconds: self.seconds,
            window: self.window,
            sample: self.sample,
        }
    }
}

#[derive(Debug, Args)]
pub struct ChatFlags {
    /// Messages per second, over all senders.
    #[arg(long, default_value_t = CHAT_RATE)]
    pub rate: u32,
    #[command(flatten)]
    pub sizes: ChatSizes,
}

#[derive(Debug, Args)]
pub struct HistoryFlags {
    #[arg(long, default_value_t = HISTORY_CLIENTS)]
    pub clients: usize,
    #[arg(long, default_value_t = HISTORY_SECONDS)]
    pub seconds: u64,
    /// The room, seeded beforehand (`backend --database … chat-seed --room … --messages …`)
    /// with only these messages.
    #[arg(long, default_value = HISTORY_ROOM)]
    pub room: String,
    /// Messages the room holds.
    #[arg(long, default_value_t = HISTORY_MESSAGES)]
    pub messages: u64,
}

impl HistoryFlags {
    pub fn settings(&self) -> HistorySettings {
        HistorySettings {
            clients: self.clients,
            seconds: self.seconds,
            room: self.room.clone(),
            messages: self.messages,
        }
    }
}

/// Empties a scenario's sizes unless it is `kept`.
fn keep_if<T>(sizes: &mut Vec<T>, kept: bool) {
    if !kept {
        sizes.clear();
    }
}

/// A scenario of the suite, for `--only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SuiteRow {
    Idle,
    Live,
    Relay,
    Churn,
    Chat,
    History,
}

impl SuiteFlags {
    /// The suite's plan: the smoke sizes, or the ones these flags give (only the
    /// scenarios `--only` names, if it names any).
    pub fn plan(&self) -> Plan {
        if self.smoke {
            return Plan::smoke();
        }
        let mut plan = self.sizes();
        let kept = |row: SuiteRow| self.only.is_empty() || self.only.contains(&row);
        keep_if(&mut plan.idle, kept(SuiteRow::Idle));
        keep_if(&mut plan.live, kept(SuiteRow::Live));
        keep_if(&mut plan.relay_pairs, kept(SuiteRow::Relay));
        keep_if(&mut plan.churn_rates, kept(SuiteRow::Churn));
        keep_if(&mut plan.chat, kept(SuiteRow::Chat));
        keep_if(&mut plan.history, kept(SuiteRow::History));
        plan
    }

    /// Every scenario at the sizes these flags give.
    fn sizes(&self) -> Plan {
        Plan {
            idle: self.idle.clone(),
            live: self.live.clone(),
            live_settings: self.live_settings.settings(),
            relay_pairs: self.relay_pairs.clone(),
            relay_seconds: self.relay_seconds,
            relay_window: self.relay_window,
            relay_peerjs: (!self.no_peerjs).then(|| self.peerjs.clone()),
            churn_rates: self.churn.clone(),
            churn_seconds: self.churn_seconds,
            churn_concurrency: self.churn_concurrency,
            chat: self
                .chat
                .iter()
                .map(|rate| self.chat_settings.settings(*rate))
                .collect(),
            history: self
                .history
                .iter()
                .map(|messages| HistorySettings {
                    clients: self.history_clients,
                    seconds: self.history_seconds,
                    room: HISTORY_ROOM.into(),
                    messages: *messages,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        // Clap checks names and ids only when a command is built: every subcommand here.
        Cli::command().debug_assert();
    }

    #[test]
    fn only_keeps_the_named_rows_and_the_peerjs_one_beside_the_relay() {
        use super::Command;
        use clap::Parser;
        let cli = Cli::parse_from(["loadgen", "suite", "--only", "relay"]);
        let Command::Suite(flags) = cli.command else {
            panic!("not the suite");
        };
        let plan = flags.plan();
        assert_eq!(plan.relay_pairs, vec![super::RELAY_PAIRS]);
        assert!(plan.relay_peerjs.is_some());
        assert!(plan.idle.is_empty() && plan.live.is_empty() && plan.churn_rates.is_empty());
        assert!(plan.chat.is_empty() && plan.history.is_empty());
    }
}
