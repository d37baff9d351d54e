//! The backplane's flags: `--redis URL` turns it on (several backends as one), `--node-id`
//! names this backend among them; into a [`BackplaneConfig`], or `None` without `--redis`.

use crate::backplane::{BackplaneConfig, NodeId, RedisUrl};

/// The backplane's settings, from the command line.
#[derive(Debug, clap::Args)]
pub struct BackplaneArgs {
    /// Redis server joining this backend to the others on it (redis://HOST:PORT/DB):
    /// presence, direct messages and signaling across backends. Without it the backend
    /// stands alone and needs no Redis.
    #[arg(long, env = "MEETMAP_REDIS", value_name = "URL", value_parser = RedisUrl::parse, hide_env_values = true)]
    pub redis: Option<RedisUrl>,
    /// This backend's name among those on the same Redis: letters, digits, '-', '_', '.',
    /// at most 64. By default a random one per start.
    #[arg(long, env = "MEETMAP_NODE_ID", value_parser = NodeId::parse)]
    pub node_id: Option<NodeId>,
}

impl BackplaneArgs {
    /// The backplane's config, `None` without `--redis`.
    pub fn config(&self) -> Option<BackplaneConfig> {
        let url = self.redis.clone()?;
        let node = self.node_id.clone().unwrap_or_else(NodeId::random);
        Some(BackplaneConfig::new(url, node))
    }
}
