//! The pub/sub connection, a task of its own: subscribes to the shared presence channel
//! and this node's channel, reads the other nodes' members from Redis (each node's hash,
//! handed to the hub as a `Replace` before any message published since the subscription,
//! so that those apply after it, in order), turns what the other nodes publish into
//! [`Inbound`] messages for the hub, and tells the backplane task when it is subscribed
//! and when it lost Redis; it connects again with backoff until the backplane stops.

use super::commands;
use super::config::{COMMAND_TIMEOUT, NodeId, RECONNECT_MAX, RECONNECT_MIN};
use super::keys;
use super::message::{DeliverEnvelope, Inbound, PresenceBody, PresenceEnvelope, RoomState};
use futures_util::StreamExt;
use redis::aio::ConnectionManager;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// What the subscriber tells the backplane task.
#[derive(Debug)]
pub enum Link {
    /// Subscribed: whatever is published from now on reaches this node.
    Up,
    /// The pub/sub connection ended or could not be made.
    Down(String),
}

/// Runs until `stop`: subscribe, forward messages to `hub`, report to `links`.
pub async fn run(
    client: redis::Client,
    mut conn: ConnectionManager,
    me: NodeId,
    hub: mpsc::Sender<Inbound>,
    links: mpsc::Sender<Link>,
    stop: CancellationToken,
) {
    let mut backoff = RECONNECT_MIN;
    loop {
        let ended = tokio::select! {
            () = stop.cancelled() => return,
            ended = subscribed(&client, &mut conn, &me, &hub, &links) => ended,
        };
        let reason = match ended {
            Ok(()) => {
                backoff = RECONNECT_MIN;
                "the subscription ended".to_owned()
            }
            Err(error) => error.to_string(),
        };
        if links.send(Link::Down(reason)).await.is_err() {
            return;
        }
        let pause = backoff.mul_f64(0.5 + 0.5 * fastrand::f64());
        backoff = (backoff * 2).min(RECONNECT_MAX);
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// One pub/sub connection's life: `Ok` when its stream ends.
async fn subscribed(
    client: &redis::Client,
    conn: &mut ConnectionManager,
    me: &NodeId,
    hub: &mpsc::Sender<Inbound>,
    links: &mpsc::Sender<Link>,
) -> redis::RedisResult<()> {
    let connect = client.get_async_pubsub();
    let mut pubsub = tokio::time::timeout(COMMAND_TIMEOUT, connect)
        .await
        .map_err(timed_out)??;
    let own = keys::node_channel(me);
    let channels = [keys::PRESENCE_CHANNEL, own.as_str()];
    tokio::time::timeout(COMMAND_TIMEOUT, pubsub.subscribe(&channels))
        .await
        .map_err(timed_out)??;
    // Messages published from now on wait in the subscription while the others are read.
    for (node, rooms) in others(conn, me).await? {
        if hub.send(Inbound::Replace { node, rooms }).await.is_err() {
            return Ok(());
        }
    }
    if links.send(Link::Up).await.is_err() {
        return Ok(());
    }
    let mut messages = pubsub.on_message();
    while let Some(message) = messages.next().await {
        let Some(inbound) = read(me, message.get_channel_name(), message.get_payload_bytes())
        else {
            continue;
        };
        // Bounded: a hub that cannot keep up slows this reader, and Redis, which cuts a
        // subscriber that falls too far behind; the reconnect then resyncs presence.
        if hub.send(inbound).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// Every other node in the node set and its members as its hash holds them. Tried again
/// (after a connection the manager redials) before it counts as a failed subscription.
async fn others(
    conn: &mut ConnectionManager,
    me: &NodeId,
) -> redis::RedisResult<Vec<(NodeId, Vec<RoomState>)>> {
    let mut attempt = 0;
    loop {
        match read_others(conn, me).await {
            Ok(others) => return Ok(others),
            Err(error) if attempt >= READ_ATTEMPTS => return Err(error),
            Err(_) => attempt += 1,
        }
        tokio::time::sleep(RECONNECT_MIN).await;
    }
}

async fn read_others(
    conn: &mut ConnectionManager,
    me: &NodeId,
) -> redis::RedisResult<Vec<(NodeId, Vec<RoomState>)>> {
    let mut others = Vec::new();
    for node in commands::other_nodes(conn, me).await? {
        let rooms = commands::members_of(conn, &node).await?;
        others.push((node, rooms));
    }
    Ok(others)
}

/// How many times reading the others is tried again at a subscription.
const READ_ATTEMPTS: u32 = 3;

/// A published message as the hub takes it; `None` for this node's own presence (every
/// subscriber hears itself) and for what does not read.
fn read(me: &NodeId, channel: &str, payload: &[u8]) -> Option<Inbound> {
    if channel != keys::PRESENCE_CHANNEL {
        let deliver: DeliverEnvelope = serde_json::from_slice(payload).ok()?;
        return Some(Inbound::Deliver {
            room: deliver.room,
            audience: deliver.audience,
            kind: deliver.kind,
            text: deliver.text,
        });
    }
    let envelope = match serde_json::from_slice::<PresenceEnvelope>(payload) {
        Ok(envelope) => envelope,
        Err(error) => {
            log::warn!("backplane: a presence message that does not read: {error}");
            return None;
        }
    };
    let node = NodeId::parse(&envelope.node).ok()?;
    if node == *me {
        return None;
    }
    Some(match envelope.body {
        PresenceBody::Changes { changes } => Inbound::Presence {
            node,
            changes: changes.into_owned(),
        },
        PresenceBody::Replace { rooms } => Inbound::Replace {
            node,
            rooms: rooms.into_owned(),
        },
    })
}

fn timed_out(_: tokio::time::error::Elapsed) -> redis::RedisError {
    redis::RedisError::from((
        redis::ErrorKind::Io,
        "timed out",
        format!("no answer within {:?}", COMMAND_TIMEOUT),
    ))
}
