//! The `loadgen` command line (clap): the flags every command shares, one subcommand per
//! scenario, and each turned into the settings a scenario takes; the suite's in
//! `suite.rs`, what the two share in `sizes.rs`.

use clap::{Args, Parser, Subcommand};
use loadgen::Ramp;
use loadgen::scenario::failover::FailoverSettings;
use loadgen::scenario::history::HistorySettings;
use std::path::PathBuf;

mod sizes;
mod suite;

use sizes::{
    CHAT_RATE, CHURN_CONCURRENCY, CHURN_SECONDS, ChatSizes, FAILOVER_PATIENCE_MS,
    FAILOVER_PER_NODE, HISTORY_CLIENTS, HISTORY_MESSAGES, HISTORY_ROOM, HISTORY_SECONDS, LiveFlags,
    RELAY_PAIRS, RELAY_SECONDS, RELAY_WINDOW,
};

pub use suite::SuiteFlags;

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
        /// More nodes of a cluster beside `--url` (repeat the flag): user i goes to node
        /// i mod n, `--url` being node 0. Not with `--steps`.
        #[arg(long = "node", value_name = "URL")]
        nodes: Vec<String>,
        /// Their process ids, in the same order, to sum the cluster's CPU time.
        #[arg(long = "node-pid", value_name = "PID")]
        node_pids: Vec<u32>,
    },
    /// Users in one room on two nodes of a cluster (`--url` survives, `--victim-url` is
    /// killed with SIGKILL): the time until every survivor's user saw the victims go.
    Failover(FailoverFlags),
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
    /// The least a tokio-tungstenite server does for a churn cycle (a fixed `welcome` for
    /// each text frame), the reference of the suite's churn row; serves until stopped.
    Floor {
        /// Where to listen, `host:port`.
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
    },
    /// One worker process (started by the others; speaks JSON lines on stdin/stdout).
    #[command(hide = true)]
    Worker,
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
pub struct FailoverFlags {
    /// The node to kill, `ws://host:port`.
    #[arg(long)]
    pub victim_url: String,
    /// Its process id (it receives SIGKILL).
    #[arg(long)]
    pub victim_pid: u32,
    /// Users on each node.
    #[arg(long, default_value_t = FAILOVER_PER_NODE)]
    pub per_node: usize,
    /// Milliseconds after the kill to wait for the victims to go.
    #[arg(long, default_value_t = FAILOVER_PATIENCE_MS)]
    pub patience_ms: u64,
}

impl FailoverFlags {
    pub fn settings(&self) -> FailoverSettings {
        FailoverSettings {
            per_node: self.per_node,
            runs: 1,
            patience_ms: self.patience_ms,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        // Clap checks names and ids only when a command is built: every subcommand here.
        Cli::command().debug_assert();
    }
}
