//! `loadgen suite`'s flags: the sizes of each scenario's rows, which rows run (`--only`),
//! the PeerJS row's package, turned into the suite's plan.

use super::sizes::{
    CHAT_RATE, CHURN_CONCURRENCY, CHURN_SECONDS, ChatSizes, FAILOVER_PATIENCE_MS,
    FAILOVER_PER_NODE, HISTORY_CLIENTS, HISTORY_MESSAGES, HISTORY_ROOM, HISTORY_SECONDS, LiveFlags,
    RELAY_PAIRS, RELAY_SECONDS, RELAY_WINDOW,
};
use clap::{Args, ValueEnum};
use loadgen::scenario::failover::FailoverSettings;
use loadgen::scenario::history::HistorySettings;
use loadgen::suite::cluster::ClusterPlan;
use loadgen::suite::{PEERJS_PACKAGE, Plan};
use std::path::PathBuf;

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
    /// Cluster rows: users in rooms spread over `--cluster-nodes` nodes, one run each (the
    /// target: 40,000 in rooms of 100 over 3 nodes at p99 ≤ 1 s).
    #[arg(long, value_delimiter = ',', default_value = "40000")]
    pub cluster_spread: Vec<usize>,
    #[arg(long, default_value_t = 3)]
    pub cluster_nodes: usize,
    #[arg(long, default_value_t = 100)]
    pub cluster_room_size: usize,
    /// One room over two nodes beside the same room on one node, one run each (the target:
    /// 10,000 at p99 ≤ 1 s, the backplane's CPU cost ≤ 1.5×).
    #[arg(long, value_delimiter = ',', default_value = "10000")]
    pub cluster_room: Vec<usize>,
    /// Failover runs (kill -9 of one of two nodes), in one row (the target: max ≤ 5 s).
    #[arg(long, default_value_t = 10)]
    pub failover_runs: usize,
    #[arg(long, default_value_t = FAILOVER_PER_NODE)]
    pub failover_per_node: usize,
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
    /// Users in rooms spread over a cluster.
    ClusterSpread,
    /// One room over two nodes, and on one.
    ClusterRoom,
    Failover,
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
        keep_if(&mut plan.cluster.spread, kept(SuiteRow::ClusterSpread));
        keep_if(&mut plan.cluster.one_room, kept(SuiteRow::ClusterRoom));
        if !kept(SuiteRow::Failover) {
            plan.cluster.failover = None;
        }
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
            cluster: ClusterPlan {
                spread: self.cluster_spread.clone(),
                spread_nodes: self.cluster_nodes,
                room_size: self.cluster_room_size,
                one_room: self.cluster_room.clone(),
                failover: (self.failover_runs > 0).then_some(FailoverSettings {
                    per_node: self.failover_per_node,
                    runs: self.failover_runs,
                    patience_ms: FAILOVER_PATIENCE_MS,
                }),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{RELAY_PAIRS, SuiteFlags};
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Suite {
        #[command(flatten)]
        flags: SuiteFlags,
    }

    #[test]
    fn only_keeps_the_named_rows_and_the_peerjs_one_beside_the_relay() {
        let plan = Suite::parse_from(["suite", "--only", "relay"]).flags.plan();
        assert_eq!(plan.relay_pairs, vec![RELAY_PAIRS]);
        assert!(plan.relay_peerjs.is_some());
        assert!(plan.idle.is_empty() && plan.live.is_empty() && plan.churn_rates.is_empty());
        assert!(plan.chat.is_empty() && plan.history.is_empty());
    }
}
