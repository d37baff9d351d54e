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

#[cfg(test)]
mod tests {
    use crate::config::Args;
    use clap::Parser;

    #[test]
    fn without_redis_there_is_no_backplane() {
        let args = Args::parse_from(["backend", "--node-id", "n1"]);
        assert!(args.server_config().backplane.is_none());
    }

    #[test]
    fn redis_and_node_id_give_the_backplane_and_a_random_id_by_default() {
        let args = Args::parse_from([
            "backend",
            "--redis",
            "redis://127.0.0.1:6379/",
            "--node-id",
            "n-1",
        ]);
        let config = args.server_config().backplane.expect("a backplane");
        assert_eq!(config.node.as_str(), "n-1");
        let args = Args::parse_from(["backend", "--redis", "redis://127.0.0.1:6379/"]);
        let (one, two) = (args.backplane.config(), args.backplane.config());
        let (one, two) = (one.expect("on").node, two.expect("on").node);
        assert!(
            one.as_str().starts_with("node-") && one != two,
            "{one} {two}"
        );
    }

    #[test]
    fn a_bad_url_or_node_id_is_refused_at_start() {
        for flags in [
            ["--redis", "http://example.com/"],
            ["--node-id", "has space"],
            ["--node-id", ""],
        ] {
            let parsed = Args::try_parse_from(["backend"].into_iter().chain(flags));
            assert!(parsed.is_err(), "{flags:?} refused");
        }
    }

    #[test]
    fn the_redis_password_is_never_shown() {
        let args = Args::parse_from([
            "backend",
            "--redis",
            "redis://user:hunter22@db.internal:6379/0",
        ]);
        let printed = args.printed();
        assert!(!printed.contains("hunter22"), "{printed}");
        assert!(
            printed.contains("redis://***@db.internal:6379/0"),
            "{printed}"
        );
        let config = args.server_config().backplane.expect("on");
        assert_eq!(config.url.to_string(), "redis://***@db.internal:6379/0");
        assert_eq!(
            config.url.as_str(),
            "redis://user:hunter22@db.internal:6379/0"
        );
    }
}
