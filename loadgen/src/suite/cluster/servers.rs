//! The cluster rows' servers: a real `redis-server` on a free loopback port in a folder of
//! its own (nothing saved), and backends on it as the nodes of one cluster, each with its
//! own data folder, all with one session secret. Without `redis-server` nothing starts and
//! the rows say why.

use crate::Context;
use crate::scenario::Node;
use crate::suite::backend::{self, Backend};
use crate::suite::process;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// Where Debian's package puts the server; `REDIS_SERVER` names another.
const REDIS_SERVER: &str = "/usr/bin/redis-server";
/// Time for Redis to listen, and for a node to say it is subscribed on it.
const START_TIMEOUT: Duration = Duration::from_secs(20);
const STOP_GRACE: Duration = Duration::from_secs(10);
/// How often a node's log is read for the line saying it is on Redis.
const LOG_POLL: Duration = Duration::from_millis(50);
/// The line a node logs once it is subscribed on Redis (and publishes its members).
const SUBSCRIBED: &str = "subscribed on Redis";
/// The flags every node gets beyond a lone backend's: the live steps' reconnects by email
/// without tokens, as on one node.
pub const NODE_FLAGS: &[&str] = &["--allow-shared-emails"];

/// The Redis server binary to run, if there is one.
pub fn redis_binary() -> Result<PathBuf, String> {
    let path = std::env::var_os("REDIS_SERVER").map_or(PathBuf::from(REDIS_SERVER), PathBuf::from);
    match path.is_file() {
        true => Ok(path),
        false => Err(format!(
            "skipped: no redis-server at {} (apt install redis-server)",
            path.display()
        )),
    }
}

/// A `redis-server` of the suite's own.
pub struct Redis {
    child: Child,
    pid: u32,
    pub url: String,
}

impl Redis {
    /// Starts `redis-server` on a free port with `folder` as its directory.
    pub async fn start(folder: &Path) -> Result<Self, String> {
        let binary = redis_binary()?;
        let address = process::free_address()?;
        let port = address.rsplit(':').next().unwrap_or_default().to_owned();
        let child = Command::new(&binary)
            .args(["--port", &port, "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(folder)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| format!("start {}: {error}", binary.display()))?;
        let pid = child.id().ok_or("redis-server exited at once")?;
        if !process::listening_within(&address, START_TIMEOUT).await {
            return Err(format!("redis-server did not listen on {address}"));
        }
        Ok(Self {
            child,
            pid,
            url: format!("redis://{address}/"),
        })
    }

    pub async fn stop(self) {
        process::stop(self.child, self.pid, STOP_GRACE).await;
    }
}

/// One node: its backend and where it logs.
pub struct ClusterNode {
    pub backend: Backend,
    pub id: String,
}

impl ClusterNode {
    /// Starts node `id` on `redis` with its data in `folder`, and waits until it is
    /// subscribed on Redis (it serves its own clients before that too).
    pub async fn start(
        binary: &Path,
        folder: &Path,
        log_level: &str,
        redis: &Redis,
        id: &str,
    ) -> Result<Self, String> {
        let flags = [&["--redis", &redis.url, "--node-id", id], NODE_FLAGS].concat();
        // Every node signs tokens with the same key: a token of one is good on the others.
        let secret = format!("bench-cluster-secret-{}-of-32-bytes-at-least", redis.pid);
        let env = [("MEETMAP_SESSION_SECRET", secret.as_str())];
        // The backplane says at info when it is subscribed; the rest stays at `log_level`.
        let level = format!("{log_level},backend::backplane=info");
        let backend = Backend::start_with(binary, folder, &level, &flags, &env).await?;
        let log = folder.join(backend::LOG_FILE);
        if !logged_within(&log, SUBSCRIBED, START_TIMEOUT).await {
            backend.stop().await;
            return Err(format!("node {id} did not subscribe on Redis in time"));
        }
        Ok(Self {
            backend,
            id: id.to_owned(),
        })
    }

    /// The node as a scenario sees it, speaking the protocol `like` speaks.
    pub fn node(&self, like: &Context) -> Node {
        like.node_at(&self.backend.url, self.backend.pid)
    }
}

/// Whether the file at `path` holds a line containing `needle` within `limit`.
async fn logged_within(path: &Path, needle: &str, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        let text = tokio::fs::read_to_string(path).await.unwrap_or_default();
        if text.contains(needle) {
            return true;
        }
        tokio::time::sleep(LOG_POLL).await;
    }
    false
}

/// Redis and the nodes on it, each with a folder of its own under one.
pub struct Cluster {
    redis: Redis,
    pub nodes: Vec<ClusterNode>,
}

impl Cluster {
    /// Starts Redis and `nodes` nodes (`node-1`, …) in folders under `folder`; anything
    /// started is stopped again if a later part fails.
    pub async fn start(
        binary: &Path,
        folder: &Path,
        log_level: &str,
        nodes: usize,
    ) -> Result<Self, String> {
        let redis_dir = subfolder(folder, "redis")?;
        let mut cluster = Self {
            redis: Redis::start(&redis_dir).await?,
            nodes: Vec::new(),
        };
        for n in 1..=nodes {
            let id = format!("node-{n}");
            match cluster.add(binary, folder, log_level, &id).await {
                Ok(node) => cluster.nodes.push(node),
                Err(error) => {
                    cluster.stop().await;
                    return Err(error);
                }
            }
        }
        Ok(cluster)
    }

    /// Starts one more node `id` (in `folder/id`), not yet counted among the nodes.
    pub async fn add(
        &self,
        binary: &Path,
        folder: &Path,
        log_level: &str,
        id: &str,
    ) -> Result<ClusterNode, String> {
        let dir = subfolder(folder, id)?;
        ClusterNode::start(binary, &dir, log_level, &self.redis, id).await
    }

    /// The nodes as a scenario sees them.
    pub fn targets(&self, like: &Context) -> Vec<Node> {
        self.nodes.iter().map(|node| node.node(like)).collect()
    }

    /// Stops every node, then Redis.
    pub async fn stop(self) {
        for node in self.nodes {
            node.backend.stop().await;
        }
        self.redis.stop().await;
    }
}

/// `folder/name`, created.
fn subfolder(folder: &Path, name: &str) -> Result<PathBuf, String> {
    let dir = folder.join(name);
    std::fs::create_dir_all(&dir).map_err(|error| format!("create {}: {error}", dir.display()))?;
    Ok(dir)
}
