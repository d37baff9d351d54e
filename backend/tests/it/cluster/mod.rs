//! Several real `backend` processes as one through a real Redis (`--redis`): each node
//! its own SQLite files in its own folder, all with the same session secret, clients on
//! each. `presence.rs`: who is online across nodes, for delta and seed clients;
//! `addressed.rs`: direct messages and signals to a member on another node;
//! `failover.rs`: a node killed (its users gone within 5 s), Redis restarted;
//! `churn.rs`: connect-register-close cycles over both nodes, leaving no ghost;
//! `stalls.rs`: a node's writes or lease stalled on the way to Redis (`proxy.rs`).

mod addressed;
mod churn;
mod failover;
mod presence;
mod proxy;
pub mod redis;
mod stalls;

use super::binary::{Backend, Launch};
use super::harness::Client;
use redis::Redis;
use tempfile::TempDir;

/// The secret every node signs session tokens with.
const SESSION_SECRET: &str = "cluster-test-secret-of-at-least-32-bytes";

/// One node: the backend process and its folder.
pub struct Node {
    pub backend: Backend,
    _folder: TempDir,
}

impl Node {
    /// Starts node `id` on `redis` in a fresh folder.
    pub async fn start(redis: &Redis, id: &str) -> Node {
        Node::start_storing(redis, id, None).await
    }

    /// Starts node `id` on `redis`, its users and claims in the PostgreSQL `database` if
    /// given (the folder then holds its chat file and nothing else), else in SQLite files
    /// in its folder.
    pub async fn start_storing(redis: &Redis, id: &str, database: Option<&str>) -> Node {
        Node::start_at(&redis.url(), id, database).await
    }

    /// Starts node `id` on the Redis at `url` (through a proxy, say), as [`Node::start_storing`].
    pub async fn start_at(url: &str, id: &str, database: Option<&str>) -> Node {
        let folder = tempfile::tempdir().expect("temporary folder");
        let launch = match database {
            Some(url) => Launch::new()
                .args(["--database", url])
                .arg("--data-dir")
                .arg(folder.path()),
            None => Launch::new().database(&folder.path().join("users.sqlite3")),
        };
        let backend = launch
            .args(["--redis", url, "--node-id", id])
            .args(["--session-secret", SESSION_SECRET])
            .args(["--ping-interval-ms", "500", "--idle-timeout-ms", "5000"])
            .start()
            .await;
        let mut node = Node {
            backend,
            _folder: folder,
        };
        node.subscribed().await;
        node
    }

    /// Waits for the line saying the node is on Redis (it serves before that too).
    pub async fn subscribed(&mut self) {
        let patience = super::harness::PATIENCE * 2;
        self.backend
            .logged(patience, |line| line.contains("subscribed on Redis"))
            .await;
    }

    /// A delta client in `room`, registered as `email` (named after its local part).
    pub async fn member(&self, room: &str, email: &str) -> Client {
        let url = format!("{}?room={room}", self.backend.url);
        let mut client = Client::connect(&url, Some(shared::DELTA_SUBPROTOCOL)).await;
        let name = email.split('@').next().unwrap_or(email);
        client.add_user(email, name, Some((48.85, 2.35))).await;
        client.recv_type("welcome").await;
        client
    }
}

/// Redis and two nodes on it.
pub async fn two_nodes() -> (Redis, Node, Node) {
    let redis = Redis::start().await;
    let one = Node::start(&redis, "node-1").await;
    let two = Node::start(&redis, "node-2").await;
    (redis, one, two)
}
