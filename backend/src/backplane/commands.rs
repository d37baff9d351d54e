//! The Redis commands of the backplane, each a function on a connection manager: the
//! node's lease and place in the node set, its members' hash written with each tick's
//! changes (and published in the same pipeline), whole snapshots, forwarded frames, and
//! reading the other nodes' members and leases.

use super::config::NodeId;
use super::keys;
use super::message::{
    DeliverEnvelope, PresenceBody, PresenceEnvelope, RoomChange, RoomState, StoredMember,
};
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, RedisResult, pipe};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

type Conn = ConnectionManager;

/// Sets the node's lease to `value` for `ttl` and keeps the node in the node set; returns
/// the lease's value before (`None`: there was no lease, it expired or was deleted).
pub async fn renew(
    conn: &mut Conn,
    me: &NodeId,
    ttl: Duration,
    value: u64,
) -> RedisResult<Option<u64>> {
    let ttl = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
    let (before,): (Option<String>,) = pipe()
        .cmd("SET")
        .arg(keys::lease(me))
        .arg(value)
        .arg("PX")
        .arg(ttl)
        .arg("GET")
        .sadd(keys::NODES, me.as_str())
        .ignore()
        .query_async(conn)
        .await?;
    // Another version's value (`1`) reads as none of this process's renewals.
    Ok(before.map(|before| before.parse().unwrap_or(0)))
}

/// Writes a tick's changes into the node's hash and publishes them, in one pipeline.
pub async fn publish_changes(
    conn: &mut Conn,
    me: &NodeId,
    changes: &[RoomChange],
) -> RedisResult<()> {
    let hash = keys::members(me);
    let mut pipeline = pipe();
    for change in changes {
        add_members(&mut pipeline, &hash, &change.room, &change.upserts);
        for email in &change.leaves {
            pipeline
                .hdel(&hash, keys::member_field(&change.room, email))
                .ignore();
        }
    }
    let body = PresenceBody::Changes {
        changes: Cow::Borrowed(changes),
    };
    publish_presence(pipeline, conn, me, body).await
}

/// Replaces the node's hash with `rooms` and publishes it whole, atomically: what the
/// others knew of this node is replaced by it (empty: the node starts clean or stops).
pub async fn publish_snapshot(
    conn: &mut Conn,
    me: &NodeId,
    rooms: &[RoomState],
) -> RedisResult<()> {
    let hash = keys::members(me);
    let mut pipeline = pipe();
    // In the node set whenever its hash is: a node reading the others finds it.
    pipeline.atomic().sadd(keys::NODES, me.as_str()).ignore();
    pipeline.del(&hash).ignore();
    for room in rooms {
        add_members(&mut pipeline, &hash, &room.room, &room.users);
    }
    let body = PresenceBody::Replace {
        rooms: Cow::Borrowed(rooms),
    };
    publish_presence(pipeline, conn, me, body).await
}

/// Publishes a frame to each node's own channel.
pub async fn forward(
    conn: &mut Conn,
    nodes: &[NodeId],
    message: &DeliverEnvelope,
) -> RedisResult<()> {
    let message = serde_json::to_string(message).unwrap_or_default();
    let mut pipeline = pipe();
    for node in nodes {
        pipeline
            .publish(keys::node_channel(node), &message)
            .ignore();
    }
    pipeline.exec_async(conn).await
}

/// The nodes in the node set, this one aside.
pub async fn other_nodes(conn: &mut Conn, me: &NodeId) -> RedisResult<Vec<NodeId>> {
    let names: Vec<String> = conn.smembers(keys::NODES).await?;
    Ok(names
        .iter()
        .filter_map(|name| NodeId::parse(name).ok())
        .filter(|node| node != me)
        .collect())
}

/// Everything `node` holds, by room, as its hash says (entries that do not read are
/// skipped: another version's, or damaged).
pub async fn members_of(conn: &mut Conn, node: &NodeId) -> RedisResult<Vec<RoomState>> {
    let entries: BTreeMap<String, String> = conn.hgetall(keys::members(node)).await?;
    let mut rooms: BTreeMap<String, Vec<shared::User>> = BTreeMap::new();
    for value in entries.values() {
        if let Ok(member) = serde_json::from_str::<StoredMember>(value) {
            rooms.entry(member.room).or_default().push(member.user);
        }
    }
    Ok(rooms
        .into_iter()
        .map(|(room, users)| RoomState { room, users })
        .collect())
}

/// Which of `nodes` hold a live lease, in their order.
pub async fn live(conn: &mut Conn, nodes: &[NodeId]) -> RedisResult<Vec<bool>> {
    if nodes.is_empty() {
        return Ok(Vec::new());
    }
    let leases: Vec<String> = nodes.iter().map(keys::lease).collect();
    let found: Vec<Option<String>> = redis::cmd("MGET").arg(leases).query_async(conn).await?;
    Ok(found.iter().map(Option::is_some).collect())
}

/// Takes a node judged gone out of Redis, its place in the node set and its members, if
/// its lease is still gone (atomically: a node that renewed meanwhile keeps its entries);
/// returns whether it did.
pub async fn forget(conn: &mut Conn, node: &NodeId) -> RedisResult<bool> {
    let forgotten: i64 = redis::cmd("EVAL")
        .arg(FORGET_SCRIPT)
        .arg(3)
        .arg(keys::lease(node))
        .arg(keys::NODES)
        .arg(keys::members(node))
        .arg(node.as_str())
        .query_async(conn)
        .await?;
    Ok(forgotten == 1)
}

/// `forget`'s script: KEYS = the lease, the node set, the node's hash; ARGV = the node.
const FORGET_SCRIPT: &str = "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end \
    redis.call('SREM', KEYS[2], ARGV[1]) redis.call('DEL', KEYS[3]) return 1";

/// A graceful stop: the node's lease and entries gone, the others told at once.
pub async fn leave(conn: &mut Conn, me: &NodeId) -> RedisResult<()> {
    publish_snapshot(conn, me, &[]).await?;
    pipe()
        .del(keys::lease(me))
        .ignore()
        .srem(keys::NODES, me.as_str())
        .ignore()
        .exec_async(conn)
        .await
}

/// Adds `users` of `room` to the node's hash `hash`.
fn add_members(pipeline: &mut redis::Pipeline, hash: &str, room: &str, users: &[shared::User]) {
    for user in users {
        let field = keys::member_field(room, &user.email);
        pipeline.hset(hash, field, stored(room, user)).ignore();
    }
}

/// Ends `pipeline` with `body` published on the presence channel, and runs it.
async fn publish_presence(
    mut pipeline: redis::Pipeline,
    conn: &mut Conn,
    me: &NodeId,
    body: PresenceBody<'_>,
) -> RedisResult<()> {
    pipeline
        .publish(keys::PRESENCE_CHANNEL, envelope(me, body))
        .ignore();
    pipeline.exec_async(conn).await
}

fn stored(room: &str, user: &shared::User) -> String {
    let member = StoredMember {
        room: room.to_owned(),
        user: user.clone(),
    };
    serde_json::to_string(&member).unwrap_or_default()
}

fn envelope(me: &NodeId, body: PresenceBody<'_>) -> String {
    let envelope = PresenceEnvelope {
        node: me.to_string(),
        body,
    };
    serde_json::to_string(&envelope).unwrap_or_default()
}
